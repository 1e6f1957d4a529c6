"""Tests of firesets.steps: the readable sparse step (Algorithm 8) and the dense step against Definition 2.1's
gradient computed independently (a loop over neurons and points; the network's own gradient; brute-force fire
sets from all n m inner products)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets import CorrelationDTree, CorrelationWTree, TwoLayerReLU
from firesets.steps import StepRecord, add_rows_CX, dense_gd_step, sparse_forward, sparse_gd_step

TREES = [CorrelationDTree, CorrelationWTree]


def _loop_step(W, a, b, X, y, eta):
    """One GD step by the paper's formulas, one neuron and one point at a time (Section 2, strict indicator)."""
    m = W.shape[0]
    u = [sum(a[r] * max(float(W[r] @ x) - b, 0.0) for r in range(m)) / math.sqrt(m) for x in X]
    G = np.zeros_like(W)
    pairs = []
    for r in range(m):
        for i, x in enumerate(X):
            if W[r] @ x > b:
                G[r] += a[r] / math.sqrt(m) * (u[i] - y[i]) * x
                pairs.append((r, i))
    loss = 0.5 * sum((u[i] - y[i]) ** 2 for i in range(len(X)))
    return W - eta * G, loss, pairs


def _unit(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _check_sparse_steps(tree_cls, W, a, b, X, y, eta, steps, atol):
    tree = tree_cls(W, X)
    cur = W.copy()
    for _ in range(steps):
        nxt, loss, pairs = _loop_step(cur, a, b, X, y, eta)
        rec = sparse_gd_step(tree, a, b, y, eta)
        assert isinstance(rec, StepRecord)
        assert list(zip(rec.r.tolist(), rec.i.tolist())) == pairs  # fire sets, in (r, i) order
        assert rec.U.tolist() == sorted({r for r, _ in pairs})
        assert rec.loss == pytest.approx(loss, rel=1e-12, abs=1e-12)
        scale = max(1.0, float(np.abs(nxt).max()))  # weights may grow large at large eta
        np.testing.assert_allclose(tree.W, nxt, rtol=0, atol=atol * scale)
        cur = nxt
    return tree


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 40), n=st.integers(1, 7), d=st.integers(1, 5),
       b=st.floats(-1.0, 1.5), eta=st.floats(0.01, 20.0), tree=st.sampled_from(TREES))
def test_sparse_step_equals_the_gradient_step(seed, m, n, d, b, eta, tree):
    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    X, y = _unit(rng, n, d), rng.standard_normal(n)
    _check_sparse_steps(tree, net.W, net.a, net.b, X, y, eta, 3, atol=1e-12 * max(1.0, eta))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.sampled_from([1, 4, 16]), n=st.integers(1, 6), d=st.integers(1, 4),
       b=st.integers(-2, 3), k=st.integers(2, 6), tree=st.sampled_from(TREES))
def test_sparse_step_exact_with_ties_at_the_threshold(seed, m, n, d, b, k, tree):
    # integer W, X, y and b, eta = 2^-k, sqrt(m) a power of two: every number is dyadic, the arithmetic exact,
    # so inner products equal to b stay exactly b (and must not fire) across steps
    rng = np.random.default_rng(seed)
    W = rng.integers(-3, 4, size=(m, d)).astype(float)
    X = rng.integers(-2, 3, size=(n, d)).astype(float)
    if n > 1:
        X[-1] = X[0]  # a duplicate data point
    y = rng.integers(-2, 3, size=n).astype(float)
    a = np.where(rng.integers(0, 2, m) == 1, 1.0, -1.0)
    _check_sparse_steps(tree, W, a, float(b), X, y, 2.0**-k, 3, atol=0.0)


@pytest.mark.parametrize("tree_cls", TREES)
def test_sparse_step_with_no_firing_pair_changes_nothing(tree_cls):
    rng = np.random.default_rng(1)
    net = TwoLayerReLU.init(30, 3, b=40.0, rng=rng)
    X, y = _unit(rng, 4, 3), rng.standard_normal(4)
    tree = tree_cls(net.W, X)
    rec = sparse_gd_step(tree, net.a, net.b, y, 1.0)
    assert rec.i.size == rec.r.size == rec.U.size == 0
    assert rec.loss == pytest.approx(0.5 * float(y @ y), rel=1e-15)
    assert np.array_equal(tree.W, net.W)


def test_sparse_forward_against_the_network():
    rng = np.random.default_rng(2)
    net = TwoLayerReLU.init(50, 4, b=0.2, rng=rng)
    X = _unit(rng, 6, 4)
    P = X @ net.W.T
    i, r = np.nonzero(P > net.b)
    np.testing.assert_allclose(sparse_forward(i, r, P[i, r], net.a, net.b, 6), net.forward(X), rtol=1e-13,
                               atol=1e-15)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 40), n=st.integers(1, 12), d=st.integers(1, 5),
       b=st.floats(-1.0, 1.5), eta=st.floats(0.01, 20.0))
def test_dense_step_against_the_loop_gradient(seed, m, n, d, b, eta):
    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    X, y = _unit(rng, n, d), rng.standard_normal(n)
    W = net.W.copy()
    nxt, loss, pairs = _loop_step(net.W, net.a, net.b, X, y, eta)
    got_loss, F = dense_gd_step(W, X, net.a, net.b, y, eta, out=np.empty((m, n)))
    np.testing.assert_allclose(W, nxt, rtol=0, atol=1e-12 * max(1.0, eta))
    assert got_loss == pytest.approx(loss, rel=1e-12, abs=1e-12)
    assert [tuple(p) for p in np.argwhere(F).tolist()] == pairs
    np.testing.assert_allclose(W, net.W - eta * net.gradient(X, y), rtol=0, atol=1e-12 * max(1.0, eta))


def test_dense_step_strict_at_the_threshold():
    W = np.array([[1.0, 0.0], [2.0, 0.0]])
    a = np.array([1.0, 1.0])
    X, y = np.array([[1.0, 0.0]]), np.array([0.0])
    W2 = W.copy()
    _, F = dense_gd_step(W2, X, a, 1.0, y, 0.1)
    assert F[:, 0].tolist() == [False, True]  # <w_1, x> = b does not fire
    assert np.array_equal(W2[0], W[0]) and not np.array_equal(W2[1], W[1])


@pytest.mark.parametrize("n", [1, 8, 9, 20])  # both branches of the dense update (compiled pass, BLAS blocks)
def test_dense_step_across_row_blocks(n):
    rng = np.random.default_rng(n)
    m, d = 2500, 7  # three blocks of 1024 rows, the last one partial
    net = TwoLayerReLU.init(m, d, b=0.3, rng=rng)
    X, y = _unit(rng, n, d), rng.standard_normal(n)
    W = net.W.copy()
    dense_gd_step(W, X, net.a, net.b, y, 0.5)
    np.testing.assert_allclose(W, net.W - 0.5 * net.gradient(X, y), rtol=0, atol=1e-12)


def test_add_rows_CX_against_numpy():
    rng = np.random.default_rng(1)
    W, C, X = rng.standard_normal((33, 5)), rng.standard_normal((33, 4)), rng.standard_normal((4, 5))
    want = W + C @ X
    add_rows_CX(W, C, X)
    np.testing.assert_allclose(W, want, rtol=1e-13, atol=1e-13)
