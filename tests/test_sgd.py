"""Tests of firesets.sgd: every method equals the dense minibatch step, which equals an independent gradient."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets import TwoLayerReLU
from firesets.sgd import METHODS, LiftedBallTree, draw_batches, sgd


def _oracle_sgd(net, X, y, eta, batches):
    """Reference: per step, the network's own gradient of the batch loss (TwoLayerReLU.gradient)."""
    cur = net.copy()
    for idx in batches:
        cur = cur.with_weights(cur.W - eta * cur.gradient(X[idx], y[idx]))
    return cur


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(1, 60), n=st.integers(1, 20), d=st.integers(1, 5), T=st.integers(1, 6),
    seed=st.integers(0, 2**31), data=st.data(),
)
def test_every_method_equals_the_gradient_step_on_random_sizes(m, n, d, T, seed, data):
    B = data.draw(st.integers(1, n))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    b = data.draw(st.sampled_from([0.0, 0.3, 1.0, -0.5]))
    net = TwoLayerReLU.init(m, d, b=b, rng=seed)
    batches = draw_batches(n, B, T, rng=seed)
    ref = _oracle_sgd(net, X, y, 0.7, batches)
    W0 = net.W.copy()
    for method in METHODS:
        net2, log = sgd(net, X, y, 0.7, batches, method=method)
        np.testing.assert_allclose(net2.W, ref.W, rtol=1e-10, atol=1e-10, err_msg=method)
        assert np.array_equal(net.W, W0)  # net not mutated
        assert log["k"].shape == (T, B) and log["U"].shape == (T,)


def test_fired_sets_and_loss_match_brute_force():
    rng = np.random.default_rng(0)
    n, d, m = 30, 4, 400
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.standard_normal(n)
    net = TwoLayerReLU.init(m, d, rng=1)
    batches = draw_batches(n, 5, 8, rng=2)
    logs = {me: sgd(net, X, y, 0.5, batches, method=me)[1] for me in METHODS}
    # brute force along the dense trajectory
    cur = net.copy()
    for t, idx in enumerate(batches):
        P = X[idx] @ cur.W.T
        k = (P > cur.b).sum(axis=1)
        U = int((P > cur.b).any(axis=0).sum())
        loss = cur.loss(X[idx], y[idx])
        for me, log in logs.items():
            assert np.array_equal(log["k"][t], k), me
            assert log["U"][t] == U, me
            assert math.isclose(log["loss"][t], loss, rel_tol=1e-10), me
        cur = cur.with_weights(cur.W - 0.5 * cur.gradient(X[idx], y[idx]))


def test_halfspace_counters_logged_per_step_and_both_dynamizations_agree():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 3))
    y = rng.standard_normal(50)
    net = TwoLayerReLU.init(800, 3, rng=4)
    batches = draw_batches(50, 4, 10, rng=5)
    a, la = sgd(net, X, y, 1.0, batches, method="halfspace", hsr_kwargs={"dynamic": "inplace"})
    b, lb = sgd(net, X, y, 1.0, batches, method="halfspace", hsr_kwargs={"dynamic": "logarithmic"})
    np.testing.assert_allclose(a.W, b.W, rtol=1e-12, atol=1e-12)
    assert np.array_equal(la["hsr_points_reported"], la["k"].sum(axis=1))
    assert np.array_equal(lb["hsr_points_reported"], lb["k"].sum(axis=1))


def test_draw_batches_distinct_within_a_step_and_reproducible():
    bt = draw_batches(10, 4, 50, rng=7)
    assert bt.shape == (50, 4)
    assert all(np.unique(row).size == 4 for row in bt)
    assert bt.min() >= 0 and bt.max() < 10
    assert np.array_equal(bt, draw_batches(10, 4, 50, rng=7))
    assert len(np.unique(bt)) == 10  # every index is drawn at some step
    with pytest.raises(ValueError, match="B"):
        draw_batches(3, 4, 1)
    with pytest.raises(TypeError, match="T"):
        draw_batches(3, 1, 1.5)


def test_lifted_balltree_is_exact_on_ties_and_non_unit_queries():
    rng = np.random.default_rng(8)
    W = rng.integers(-3, 4, (300, 3)).astype(float)
    lt = LiftedBallTree(W)
    for tau in [-1e6, -1.0, 0.0, 2.0, 1e6]:
        X = rng.integers(-2, 3, (4, 3)).astype(float) * 2.5
        i, r = lt.query_batch(X, tau)
        bi, br = np.nonzero(X @ W.T > tau)
        assert np.array_equal(i, bi) and np.array_equal(r, br)


def test_bad_input():
    net = TwoLayerReLU.init(5, 2, rng=0)
    X = np.zeros((4, 2))
    y = np.zeros(4)
    bt = draw_batches(4, 2, 3)
    with pytest.raises(ValueError, match="method"):
        sgd(net, X, y, 0.1, bt, method="wtree")
    with pytest.raises(ValueError, match="X"):
        sgd(net, np.zeros((4, 3)), y, 0.1, bt)
    with pytest.raises(ValueError, match="X"):
        sgd(net, np.full((4, 2), np.nan), y, 0.1, bt)
    with pytest.raises(ValueError, match="y"):
        sgd(net, X, np.zeros(3), 0.1, bt)
    with pytest.raises(ValueError, match="eta"):
        sgd(net, X, y, 0.0, bt)
    with pytest.raises(ValueError, match="batches"):
        sgd(net, X, y, 0.1, np.array([[0, 4]]))
    with pytest.raises(TypeError, match="batches"):
        sgd(net, X, y, 0.1, np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="batches"):
        sgd(net, X, y, 0.1, np.array([0, 1]))
    with pytest.raises(TypeError, match="net"):
        sgd(net.W, X, y, 0.1, bt)
