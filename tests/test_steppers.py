"""Tests of firesets.steppers: tree-driven GD against dense GD (TwoLayerReLU.gradient) step by step."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets import TwoLayerReLU
from firesets.steppers import (
    DTreeStepper,
    ScanStepper,
    WTreeStepper,
    group_rows,
    sparse_forward,
    sparse_gd_rows,
    update_rows_blocked,
)
from firesets.training import DenseStepper, available_steppers, make_stepper, train

SPARSE = [ScanStepper, DTreeStepper, WTreeStepper]


def _unit_data(n, d, rng):
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, rng.standard_normal(n)


def _brute_codes(W, X, b):
    # every pair (i, r) with <w_r, x_i> > b, as i * m + r in (i, r) order: all n m inner products
    return np.flatnonzero(X @ W.T > b).astype(np.int64)


def _oracle_run(net, X, y, eta, steps):
    """Dense GD by the network's own gradient (Definition 2.1), with brute-force fire sets and losses."""
    cur = net.copy()
    states = []
    for _ in range(steps):
        codes = _brute_codes(cur.W, X, cur.b)
        err = cur.forward(X) - y
        fire = (X @ cur.W.T > cur.b).T  # (m, n)
        changed = np.flatnonzero(fire[:, err != 0].any(axis=1))
        states.append((cur.loss(X, y), codes, changed))
        cur = cur.with_weights(cur.W - eta * cur.gradient(X, y))
    return cur.W, states


def _check_against_oracle(cls, net, X, y, eta, steps):
    W_ref, states = _oracle_run(net, X, y, eta, steps)
    W0 = net.W.copy()
    s = cls(net, X, y)
    flips = 0
    prev = None
    for t in range(steps):
        rec = s.step(eta)
        loss, codes, changed = states[t]
        assert rec.loss == pytest.approx(loss, rel=1e-10, abs=1e-12), (cls.name, t)
        assert np.array_equal(rec.fire_codes, codes), (cls.name, t)
        assert np.array_equal(rec.changed, changed), (cls.name, t)
        assert rec.fire_codes.dtype == np.int64 and rec.changed.dtype == np.int64
        if prev is not None:
            flips += np.setxor1d(prev, codes).size
        prev = codes
    scale = max(1.0, float(np.abs(W_ref).max()))
    assert np.abs(np.asarray(s.W) - W_ref).max() <= 1e-10 * scale, cls.name
    assert np.array_equal(net.W, W0)  # never mutated
    return flips


@pytest.mark.parametrize("cls", SPARSE, ids=lambda c: c.name)
@pytest.mark.parametrize(
    "m,n,d,eta,steps",
    [(1000, 5, 8, 0.5, 12), (777, 1, 3, 2.0, 10), (1500, 16, 10, 5.0, 8), (1, 3, 2, 0.7, 5), (2, 1, 1, 1.0, 4)],
)
def test_matches_dense_gd_step_by_step(cls, m, n, d, eta, steps):
    rng = np.random.default_rng(m + n + d)
    net = TwoLayerReLU.init(m, d, rng=rng)
    X, y = _unit_data(n, d, rng)
    _check_against_oracle(cls, net, X, y, eta, steps)


@pytest.mark.parametrize("cls", SPARSE, ids=lambda c: c.name)
def test_many_flips_with_large_eta(cls):
    # a large learning rate moves many neurons across the threshold at every step
    rng = np.random.default_rng(3)
    m, n, d = 600, 6, 5
    net = TwoLayerReLU.init(m, d, b=0.5, rng=rng)
    X, y = _unit_data(n, d, rng)
    y *= 20.0
    flips = _check_against_oracle(cls, net, X, y, eta=40.0, steps=8)
    assert flips > 200  # the test exercises flips, not a static fire set


@pytest.mark.parametrize("cls", SPARSE, ids=lambda c: c.name)
def test_real_digits(cls):
    from sklearn.datasets import load_digits

    X, labels = load_digits(return_X_y=True)
    X = X[:24] / np.linalg.norm(X[:24], axis=1, keepdims=True)
    y = (labels[:24] - 4.5) / 4.5
    net = TwoLayerReLU.init(2048, X.shape[1], rng=5)
    _check_against_oracle(cls, net, X, y, eta=3.0, steps=6)


@pytest.mark.parametrize("cls", SPARSE, ids=lambda c: c.name)
def test_ties_at_threshold_do_not_fire(cls):
    # integer W and X: inner products are exact integers, b equals some of them (strict firing must not fire)
    rng = np.random.default_rng(11)
    W = rng.integers(-3, 4, size=(50, 3)).astype(float)
    X = rng.integers(-2, 3, size=(4, 3)).astype(float)
    X[2] = X[0]  # duplicate data point
    net = TwoLayerReLU(W, np.where(rng.integers(0, 2, 50) == 1, 1.0, -1.0), 2.0)
    assert np.any(X @ W.T == 2.0)
    y = rng.standard_normal(4)
    rec = cls(net, X, y).step(1e-3)
    assert np.array_equal(rec.fire_codes, _brute_codes(W, X, 2.0))


@pytest.mark.parametrize("cls", SPARSE, ids=lambda c: c.name)
def test_no_firing_pairs(cls):
    rng = np.random.default_rng(2)
    net = TwoLayerReLU.init(100, 4, b=50.0, rng=rng)
    X, y = _unit_data(3, 4, rng)
    s = cls(net, X, y)
    for _ in range(2):
        rec = s.step(1.0)
        assert rec.fire_codes.size == 0 and rec.changed.size == 0
        assert rec.loss == pytest.approx(0.5 * float(y @ y))
    assert np.array_equal(s.W, net.W)


@settings(max_examples=25, deadline=None)
@given(
    m=st.integers(1, 70),
    n=st.integers(1, 9),
    d=st.integers(1, 5),
    b=st.floats(-1.0, 1.5),
    eta=st.floats(0.01, 30.0),
    seed=st.integers(0, 2**16),
)
def test_random_runs_against_gradient_oracle(m, n, d, b, eta, seed):
    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    X, y = _unit_data(n, d, rng)
    for cls in SPARSE:
        _check_against_oracle(cls, net, X, y, eta, 4)


def test_record_false_and_last_counters_against_brute_force():
    rng = np.random.default_rng(4)
    m, n, d = 300, 4, 6
    net = TwoLayerReLU.init(m, d, b=0.8, rng=rng)
    X, y = _unit_data(n, d, rng)
    P = X @ net.W.T
    pairs = np.argwhere(P > net.b)
    union = np.unique(pairs[:, 1]).size
    for cls in SPARSE:
        s = cls(net, X, y)
        assert s.step(0.1, record=False) is None
        c = s.last_counters
        assert c["fire_pairs"] == len(pairs) and c["union"] == union
        assert c["fire_max"] == np.bincount(pairs[:, 0], minlength=n).max()
        assert c["leaves_rewritten"] == union * n and c["inner_products"] == union * n
        assert set(s.last_phase_seconds) == {"query", "forward_backward", "update"}
    # the weights moved exactly like the dense step's
    d_ = DenseStepper(net, X, y)
    d_.step(0.1, record=False)
    assert np.allclose(s.W, d_.W, rtol=0, atol=1e-12)


def _find_visits(values, tau):
    """Nodes FIND reads in a padded max-heap over `values`: the root, plus both children of each internal node > tau."""
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
    X, y = _unit_data(n, d, rng)
    s = DTreeStepper(net, X, y)
    P = X @ net.W.T
    rec = s.step(0.2)
    assert rec.counters["nodes_visited"] == sum(_find_visits(P[i], net.b) for i in range(n))


def test_train_with_every_method_agrees():
    rng = np.random.default_rng(9)
    net = TwoLayerReLU.init(800, 6, rng=rng)
    X, y = _unit_data(5, 6, rng)
    assert {"scan", "dtree", "wtree", "dense"} <= set(available_steppers())
    ref, led = train(net, X, y, 2.0, 7, method="dense")
    for method in ("scan", "dtree", "wtree"):
        out, led2 = train(net, X, y, 2.0, 7, method=method)
        assert np.allclose(out.W, ref.W, rtol=0, atol=1e-10 * np.abs(ref.W).max())
        assert np.allclose(led2.loss, led.loss, rtol=1e-10)
        assert np.array_equal(led2.k, led.k) and np.array_equal(led2.flips, led.flips)
        assert isinstance(make_stepper(method, net, X, y), (ScanStepper, DTreeStepper, WTreeStepper))


@pytest.mark.parametrize("cls", SPARSE, ids=lambda c: c.name)
def test_validation(cls):
    rng = np.random.default_rng(0)
    net = TwoLayerReLU.init(20, 3, rng=rng)
    X, y = _unit_data(4, 3, rng)
    with pytest.raises(TypeError, match="net"):
        cls(net.W, X, y)
    with pytest.raises(ValueError, match="X"):
        cls(net, X[:, :2], y)
    with pytest.raises(ValueError, match="y"):
        cls(net, X, y[:3])
    s = cls(net, X, y)
    W0 = np.array(s.W)
    for bad in (0.0, -1.0, math.inf):
        with pytest.raises(ValueError, match="eta"):
            s.step(bad)
    with pytest.raises(TypeError, match="eta"):
        s.step("0.1")
    assert np.array_equal(s.W, W0)  # nothing mutated by the failed calls


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=0, max_size=60), st.booleans())
def test_group_rows_against_unique(rr, presort):
    rr = np.array(sorted(rr) if presort else rr, dtype=np.int64)
    U, pos = group_rows(rr, is_sorted=presort)
    U2, inv = np.unique(rr, return_inverse=True)
    assert np.array_equal(U, U2) and np.array_equal(pos, inv.reshape(-1))


def test_sparse_gd_rows_against_network_gradient():
    rng = np.random.default_rng(12)
    m, n, d = 90, 5, 4
    net = TwoLayerReLU.init(m, d, b=0.3, rng=rng)
    X, y = _unit_data(n, d, rng)
    P = X @ net.W.T
    ii, rr = np.nonzero(P > net.b)
    loss, U, W_new, changed, C = sparse_gd_rows(ii, rr, P[ii, rr], net.a, net.b, y, X, lambda R: net.W[R], 0.25)
    full = net.W - 0.25 * net.gradient(X, y)
    assert loss == pytest.approx(net.loss(X, y), rel=1e-12)
    assert np.allclose(W_new, full[U], rtol=0, atol=1e-13)
    outside = np.setdiff1d(np.arange(m), U)
    assert np.array_equal(full[outside], net.W[outside])  # zero gradient off the union
    assert C.shape == (U.size, n)


@pytest.mark.parametrize("block", [1, 3, 7, 1 << 8])
def test_update_rows_blocked_against_direct_products(block):
    # W[U] += C X in place, and the returned (|U|, n) block equals W[U] X^T, whatever the block size
    rng = np.random.default_rng(13)
    m, n, d = 40, 3, 5
    W = rng.standard_normal((m, d))
    X = rng.standard_normal((n, d))
    U = np.array([0, 4, 5, 11, 20, 21, 22, 39])
    C = rng.standard_normal((U.size, n))
    expected = W.copy()
    expected[U] += C @ X
    vals = update_rows_blocked(W, U, C, X, block=block)
    assert np.allclose(W, expected, rtol=0, atol=1e-13)
    untouched = np.setdiff1d(np.arange(m), U)
    assert np.array_equal(W[untouched], expected[untouched])  # bit-for-bit: rows outside U are never written
    assert vals.shape == (U.size, n) and np.allclose(vals, W[U] @ X.T, rtol=0, atol=1e-13)
    assert update_rows_blocked(W, np.zeros(0, dtype=np.int64), np.zeros((0, n)), X).shape == (0, n)


def test_sparse_forward_is_the_first_half_of_sparse_gd_rows():
    # same loss, union, coefficients and changed rows; y_i = u_i on one point leaves its pairs inactive
    rng = np.random.default_rng(14)
    m, n, d = 64, 4, 3  # integer W and X, b = 0.5, m^{-1/2} = 1/8: every forward value is exact
    net = TwoLayerReLU.init(m, d, b=0.5, rng=rng)
    net = net.with_weights(rng.integers(-2, 3, (m, d)).astype(float))
    X = rng.integers(-1, 2, (n, d)).astype(float)
    y = rng.standard_normal(n)
    y[1] = net.forward(X)[1]  # zero error on point 1: neurons firing only there do not change
    P = X @ net.W.T
    rr, ii = np.nonzero(P.T > net.b)  # (r, i) order
    loss, U, pos, C, changed = sparse_forward(ii, rr, P[ii, rr], net.a, net.b, y, 0.5, n, rr_sorted=True)
    loss2, U2, W_new, changed2, C2 = sparse_gd_rows(ii, rr, P[ii, rr], net.a, net.b, y, X, lambda R: net.W[R], 0.5)
    assert loss == loss2 and np.array_equal(U, U2) and np.array_equal(C, C2) and np.array_equal(changed, changed2)
    assert np.array_equal(U[pos], rr)
    err = net.forward(X) - y
    fire = P.T > net.b
    assert np.array_equal(changed, np.flatnonzero(fire[:, err != 0].any(axis=1)))
