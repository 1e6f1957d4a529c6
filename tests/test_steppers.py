"""Tests of firesets.steppers: every tuned stepper equal to the readable step (firesets.steps.sparse_gd_step),
which tests/test_steps.py checks against Definition 2.1's gradient; the kernels against numpy oracles."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets import CorrelationDTree, CorrelationWTree, TwoLayerReLU
from firesets.steppers import (
    DenseStepper,
    DTreeStepper,
    ScanStepper,
    WTreeStepper,
    pairs_forward_backward,
    scan_pairs,
)
from firesets.steps import dense_gd_step, sparse_gd_step

TUNED = [ScanStepper, DTreeStepper, WTreeStepper]
ALL = [DenseStepper] + TUNED


def _unit(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _brute_pairs(W, X, b):
    r, i = np.nonzero(W @ X.T > b)  # every inner product; row-major = (r, i) order
    return i, r


def _check_equal_to_reference(cls, net, X, y, eta, steps, atol):
    """The stepper and sparse_gd_step on a DTree, side by side: same pairs, loss, union, weights.

    ``atol`` is relative to the largest weight (0: bit-for-bit equal)."""
    ref = CorrelationDTree(net.W, X)
    W0 = net.W.copy()
    s = cls(net, X, y)
    for _ in range(steps):
        i, r = _brute_pairs(np.asarray(s.W), X, net.b)
        want = sparse_gd_step(ref, net.a, net.b, y, eta)
        rec = s.step(eta)
        assert np.array_equal(rec.i, want.i) and np.array_equal(rec.r, want.r), cls.name
        assert np.array_equal(rec.i, i) and np.array_equal(rec.r, r), cls.name  # and brute force
        assert rec.i.dtype == rec.r.dtype == rec.U.dtype == np.int64
        assert np.array_equal(rec.U, want.U), cls.name
        assert rec.loss == pytest.approx(want.loss, rel=1e-12, abs=1e-12), cls.name
        scale = max(1.0, float(np.abs(ref.W).max()))  # weights may grow large at large eta
        np.testing.assert_allclose(s.W, ref.W, rtol=0, atol=atol * scale)
    assert np.array_equal(net.W, W0)  # net never mutated


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 60), n=st.integers(1, 8), d=st.integers(1, 5),
       b=st.floats(-1.0, 1.5), eta=st.floats(0.01, 30.0))
def test_every_stepper_equals_the_readable_step(seed, m, n, d, b, eta):
    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    X, y = _unit(rng, n, d), rng.standard_normal(n)
    for cls in ALL:
        _check_equal_to_reference(cls, net, X, y, eta, 4, atol=1e-12 * max(1.0, eta))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.sampled_from([1, 4, 16, 64]), n=st.integers(1, 6),
       d=st.integers(1, 4), b=st.integers(-2, 3), k=st.integers(2, 6))
def test_every_stepper_exact_with_ties(seed, m, n, d, b, k):
    # dyadic data (integers, eta = 2^-k, sqrt(m) a power of two): exact arithmetic, ties at b persist
    rng = np.random.default_rng(seed)
    W = rng.integers(-3, 4, size=(m, d)).astype(float)
    X = rng.integers(-2, 3, size=(n, d)).astype(float)
    if n > 1:
        X[-1] = X[0]
    y = rng.integers(-2, 3, size=n).astype(float)
    net = TwoLayerReLU(W, np.where(rng.integers(0, 2, m) == 1, 1.0, -1.0), float(b))
    for cls in ALL:
        _check_equal_to_reference(cls, net, X, y, 2.0**-k, 3, atol=0.0)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_many_flips_with_large_eta(cls):
    rng = np.random.default_rng(3)
    net = TwoLayerReLU.init(600, 5, b=0.5, rng=rng)
    X, y = _unit(rng, 6, 5), 20.0 * rng.standard_normal(6)
    _check_equal_to_reference(cls, net, X, y, 40.0, 6, atol=1e-9)
    prev = None  # the run moves many neurons across b at every step: the test exercises flips
    flips = 0
    s = cls(net, X, y)
    for _ in range(6):
        rec = s.step(40.0)
        cur = set(zip(rec.r.tolist(), rec.i.tolist()))
        flips += 0 if prev is None else len(cur ^ prev)
        prev = cur
    assert flips > 200


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_no_firing_pairs_m1_n1(cls):
    net = TwoLayerReLU(np.array([[0.5, -1.0]]), np.array([-1.0]), 3.0)
    X, y = np.array([[0.6, 0.8]]), np.array([0.7])
    s = cls(net, X, y)
    for _ in range(2):
        rec = s.step(1.0)
        assert rec.i.size == rec.r.size == rec.U.size == 0
        assert rec.loss == pytest.approx(0.5 * 0.49, rel=1e-15)
    assert np.array_equal(s.W, net.W)
    st_ = s.state()
    assert st_.i.size == 0 and st_.loss == pytest.approx(0.5 * 0.49, rel=1e-15)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_state_and_release(cls):
    rng = np.random.default_rng(4)
    net = TwoLayerReLU.init(200, 4, b=0.3, rng=rng)
    X, y = _unit(rng, 3, 4), rng.standard_normal(3)
    s = cls(net, X, y)
    s.step(0.5)
    W = np.array(s.W)
    rec = s.state()
    i, r = _brute_pairs(W, X, net.b)
    assert np.array_equal(rec.i, i) and np.array_equal(rec.r, r)
    assert rec.loss == pytest.approx(net.with_weights(W).loss(X, y), rel=1e-12)
    assert np.array_equal(np.array(s.W), W)  # state() does not step
    with pytest.raises(ValueError):
        s.W[0, 0] = 1.0  # a read-only view
    out = s.release_W()
    assert np.array_equal(out, W) and out.flags.writeable


def test_counters_against_brute_force():
    rng = np.random.default_rng(5)
    m, n, d = 300, 4, 6
    net = TwoLayerReLU.init(m, d, b=0.8, rng=rng)
    X, y = _unit(rng, n, d), rng.standard_normal(n)
    i, r = _brute_pairs(net.W, X, net.b)
    union = np.unique(r).size
    for cls in TUNED:
        s = cls(net, X, y)
        assert s.step(0.1, record=False) is None
        c = s.last_counters
        assert c["fire_pairs"] == i.size and c["union"] == union
        assert c["fire_max"] == np.bincount(i, minlength=n).max()
        assert c["leaves_rewritten"] == union * n and c["inner_products"] == union * n
        assert set(s.last_phases) == {"query", "forward_backward", "update"}
    assert ScanStepper(net, X, y).step(0.1).counters["entries_scanned"] == m * n


def _find_visits(values, tau):
    """Nodes FIND reads in a padded max-heap: the root, plus both children of each internal node > tau."""
    M = 1 << (len(values) - 1).bit_length()
    level = np.full(M, -np.inf)
    level[: len(values)] = values
    visits = 1
    while level.size > 1:
        level = np.maximum(level[0::2], level[1::2])
        visits += 2 * int(np.sum(level > tau))
    return visits


def test_dtree_node_visits_match_find_count():
    rng = np.random.default_rng(8)
    m, n, d = 257, 3, 4
    net = TwoLayerReLU.init(m, d, b=1.0, rng=rng)
    X, y = _unit(rng, n, d), rng.standard_normal(n)
    P = X @ net.W.T
    rec = DTreeStepper(net, X, y).step(0.2)
    assert rec.counters["nodes_visited"] == sum(_find_visits(P[i], net.b) for i in range(n))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 50), n=st.integers(1, 6), b=st.integers(-2, 2),
       small=st.booleans())
def test_scan_pairs_against_brute_force(seed, m, n, b, small):
    rng = np.random.default_rng(seed)
    P = rng.integers(-3, 4, size=(m, n)).astype(float)  # ties at b
    buf = (np.empty(1, np.int64), np.empty(1, np.int64), np.empty(1)) if small else None
    i, r, p, buf2 = scan_pairs(P, float(b), buf)
    r0, i0 = np.nonzero(P > b)
    assert np.array_equal(i, i0) and np.array_equal(r, r0) and np.array_equal(p, P[r0, i0])
    assert buf2[0].size >= i0.size


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 40), n=st.integers(1, 6), b=st.floats(-1, 1))
def test_pairs_forward_backward_against_dense_formulas(seed, m, n, b):
    rng = np.random.default_rng(seed)
    P = rng.standard_normal((m, n))
    a = np.where(rng.integers(0, 2, m) == 1, 1.0, -1.0)
    y = rng.standard_normal(n)
    r, i = np.nonzero(P > b)
    loss, U, G = pairs_forward_backward(i, r, P[r, i], a, b, y)
    F = P > b
    u = (a @ np.maximum(P - b, 0.0)) / math.sqrt(m)
    assert loss == pytest.approx(0.5 * float((u - y) @ (u - y)), rel=1e-12, abs=1e-14)
    assert U.tolist() == np.flatnonzero(F.any(axis=1)).tolist()
    G_dense = F * (a / math.sqrt(m))[:, None] * (u - y)[None, :]
    np.testing.assert_allclose(G, G_dense[U], rtol=1e-12, atol=1e-14)


def test_dense_stepper_is_dense_gd_step():
    rng = np.random.default_rng(6)
    net = TwoLayerReLU.init(70, 5, b=0.1, rng=rng)
    X, y = _unit(rng, 4, 5), rng.standard_normal(4)
    s = DenseStepper(net, X, y)
    W = net.W.copy()
    for _ in range(3):
        loss, F = dense_gd_step(W, X, net.a, net.b, y, 0.7)
        rec = s.step(0.7)
        assert rec.loss == loss and np.array_equal(s.W, W)
        assert rec.U.tolist() == np.flatnonzero(F.any(axis=1)).tolist()


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.name)
def test_validation(cls):
    rng = np.random.default_rng(0)
    net = TwoLayerReLU.init(20, 3, rng=rng)
    X, y = _unit(rng, 4, 3), rng.standard_normal(4)
    with pytest.raises(TypeError, match="net"):
        cls(net.W, X, y)
    with pytest.raises(ValueError, match="X"):
        cls(net, X[:, :2], y)
    with pytest.raises(ValueError, match="y"):
        cls(net, X, y[:3])
    with pytest.raises(ValueError, match="X"):
        cls(net, np.full((4, 3), np.nan), y)
    s = cls(net, X, y)
    W0 = np.array(s.W)
    for bad in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="eta"):
            s.step(bad)
    with pytest.raises(TypeError, match="eta"):
        s.step("0.1")
    assert np.array_equal(s.W, W0)  # nothing mutated by the failed calls


def test_wtree_stepper_requeries_only_the_union():
    # Algorithm 9: after INIT, a step queries the trees of U only; FIND reads at least one root per tree of U
    rng = np.random.default_rng(7)
    net = TwoLayerReLU.init(500, 4, b=1.2, rng=rng)
    X, y = _unit(rng, 3, 4), rng.standard_normal(3)
    s = WTreeStepper(net, X, y)
    rec = s.step(0.3)
    assert 0 < rec.U.size < net.m
    P1 = np.asarray(s.W) @ X.T  # (m, n): the trees' leaves after the update
    assert rec.counters["nodes_visited"] == sum(_find_visits(P1[r], net.b) for r in rec.U)
    assert isinstance(s.tree, CorrelationWTree)
