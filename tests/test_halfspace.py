"""Tests of firesets.halfspace against brute force (one scan of W), for both dynamizations."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets.halfspace import HalfSpaceTree, HSRCounters, halfspace_bruteforce

DYN = ["inplace", "logarithmic"]


def _brute_pairs(W, X, tau):
    # independent oracle: numpy matrix product and a row-major nonzero, sorted by (i, r)
    i, r = np.nonzero(np.asarray(X, float) @ np.asarray(W, float).T > tau)
    return i.astype(np.int64), r.astype(np.int64)


@settings(max_examples=250, deadline=None)
@given(
    dynamic=st.sampled_from(DYN),
    m=st.integers(1, 70),
    d=st.integers(1, 5),
    leaf=st.integers(1, 6),
    dup=st.booleans(),
    factor=st.sampled_from([1.01, 1.5, 4.0]),
    data=st.data(),
)
def test_random_operation_sequences_against_brute_force(dynamic, m, d, leaf, dup, factor, data):
    # integer coordinates: inner products are exact, so ties at the threshold are real ties
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W = rng.integers(-3, 4, (m, d)).astype(float)
    if dup and m > 1:
        W[rng.integers(0, m, m // 2)] = W[0]  # duplicate rows
    hs = HalfSpaceTree(W, dynamic=dynamic, leaf_size=leaf, rebuild_factor=factor)
    ref = W.copy()
    for _ in range(data.draw(st.integers(1, 12))):
        if data.draw(st.booleans()):
            B = data.draw(st.integers(1, 4))
            X = rng.integers(-3, 4, (B, d)).astype(float) * data.draw(st.sampled_from([1.0, 0.5, 3.0]))
            # thresholds at ties, past both extremes, and in between
            tau = float(data.draw(st.sampled_from([0.0, 1.0, -2.0, 5.0, 1e6, -1e6, 2.5])))
            i, r = hs.query_batch(X, tau)
            bi, br = _brute_pairs(ref, X, tau)
            assert np.array_equal(i, bi) and np.array_equal(r, br)
            assert np.array_equal(hs.query(X[0], tau), halfspace_bruteforce(ref, X[0], tau))
        else:
            k = data.draw(st.integers(1, m))
            R = rng.choice(m, size=k, replace=False)
            Z = rng.integers(-4, 5, (k, d)).astype(float)
            hs.update(R, Z)
            ref[R] = Z
            assert np.array_equal(hs.W, ref)


@pytest.mark.parametrize("dynamic", DYN)
def test_float_data_many_updates_stays_exact(dynamic):
    rng = np.random.default_rng(5)
    m, d = 3000, 3
    W = rng.standard_normal((m, d))
    hs = HalfSpaceTree(W, dynamic=dynamic, leaf_size=8, rebuild_factor=1.2)
    for t in range(60):
        X = rng.standard_normal((4, d))
        tau = float(rng.normal(1.0, 1.0))
        i, r = hs.query_batch(X, tau)
        bi, br = _brute_pairs(hs.W, X, tau)
        assert np.array_equal(i, bi) and np.array_equal(r, br)
        R = rng.choice(m, size=int(rng.integers(1, 200)), replace=False)
        hs.update(R, hs.W[R] + 0.2 * rng.standard_normal((R.size, d)))
    assert hs.counters.rebuilds >= 1  # the rebuild path ran and stayed exact


def test_m_equals_one_and_output_sorted_per_query():
    hs = HalfSpaceTree(np.array([[1.0, 2.0]]))
    assert hs.query(np.array([1.0, 0.0]), 0.5).tolist() == [0]
    assert hs.query(np.array([1.0, 0.0]), 1.0).tolist() == []  # strict: <w, x> = tau does not fire
    rng = np.random.default_rng(0)
    W = rng.standard_normal((500, 2))
    hs = HalfSpaceTree(W, leaf_size=3)
    i, r = hs.query_batch(rng.standard_normal((6, 2)), -0.3)
    key = i * 1000 + r
    assert np.all(np.diff(key) > 0)


def test_counters_account_for_the_output_and_the_tests():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((2000, 3))
    hs = HalfSpaceTree(W, leaf_size=8)
    assert hs.counters.build_work > 0
    hs.counters.reset()
    X = rng.standard_normal((3, 3))
    i, r = hs.query_batch(X, 1.0)
    c = hs.counters
    assert c.points_reported == i.size
    assert c.tests_failed <= c.points_tested
    assert c.points_tested - c.tests_failed <= c.points_reported
    assert 3 <= c.nodes_visited
    # the pruning never tests more than every point once per query
    assert c.points_tested <= 3 * 2000


def test_build_work_is_points_times_depth():
    # m = 64 points, leaf 1: a perfectly balanced tree of depth 6 -> 64 * 7 memberships
    W = np.random.default_rng(2).standard_normal((64, 2))
    hs = HalfSpaceTree(W, leaf_size=1)
    assert hs.counters.build_work == 64 * 7


def test_logarithmic_blocks_stay_logarithmic():
    rng = np.random.default_rng(3)
    m = 1024
    hs = HalfSpaceTree(rng.standard_normal((m, 2)), dynamic="logarithmic", leaf_size=4)
    for _ in range(200):
        R = rng.choice(m, size=3, replace=False)
        hs.update(R, rng.standard_normal((3, 2)))
        assert hs.n_blocks <= int(np.log2(m / 4)) + 2


def _state(hs):
    return hs.W.copy(), hs.counters.as_dict(), [None if b is None else b.rho.copy() for b in hs._blocks]


@pytest.mark.parametrize("dynamic", DYN)
def test_bad_input_raises_naming_the_argument_and_changes_nothing(dynamic):
    W = np.random.default_rng(4).standard_normal((10, 3))
    hs = HalfSpaceTree(W, dynamic=dynamic)
    before = _state(hs)
    bad_updates = [
        (np.array([1, 1]), np.zeros((2, 3)), "R"),  # duplicate rows
        (np.array([10]), np.zeros((1, 3)), "R"),  # out of range
        (np.array([-1]), np.zeros((1, 3)), "R"),
        (np.array([0.5]), np.zeros((1, 3)), "R"),
        (np.array([[0]]), np.zeros((1, 3)), "R"),
        (np.array([1]), np.zeros((1, 2)), "W_R"),  # wrong shape
        (np.array([1]), np.full((1, 3), np.nan), "W_R"),
        (np.array([1, 2]), np.array([[0, 0, 0], [np.inf, 0, 0]]), "W_R"),
    ]
    for R, Z, name in bad_updates:
        with pytest.raises((ValueError, TypeError), match=name):
            hs.update(R, Z)
    for X, tau, name in [
        (np.zeros((2, 2)), 0.0, "X"),
        (np.full((1, 3), np.nan), 0.0, "X"),
        (np.zeros((0, 3)), 0.0, "X"),
        (np.zeros((1, 3)), np.nan, "tau"),
        (np.zeros((1, 3)), "a", "tau"),
    ]:
        with pytest.raises((ValueError, TypeError), match=name):
            hs.query_batch(X, tau)
    with pytest.raises(ValueError, match="x"):
        hs.query(np.zeros((3, 1)), 0.0)
    after = _state(hs)
    assert np.array_equal(before[0], after[0]) and before[1] == after[1]
    assert all((a is None and b is None) or np.array_equal(a, b) for a, b in zip(before[2], after[2]))


def test_constructor_bad_input():
    for W, name in [(np.zeros(3), "W"), (np.full((2, 2), np.nan), "W"), (np.zeros((0, 2)), "W")]:
        with pytest.raises(ValueError, match=name):
            HalfSpaceTree(W)
    with pytest.raises(ValueError, match="dynamic"):
        HalfSpaceTree(np.zeros((2, 2)), dynamic="static")
    with pytest.raises(ValueError, match="rebuild_factor"):
        HalfSpaceTree(np.zeros((2, 2)), rebuild_factor=1.0)
    with pytest.raises(TypeError, match="leaf_size"):
        HalfSpaceTree(np.zeros((2, 2)), leaf_size=1.5)
    with pytest.raises(TypeError, match="W"):
        HalfSpaceTree(np.array([["a", "b"]]))


def test_readonly_view_and_counters_reset():
    hs = HalfSpaceTree(np.ones((3, 2)))
    with pytest.raises(ValueError):
        hs.W[0, 0] = 5.0
    c = HSRCounters(nodes_visited=3)
    c.reset()
    assert c.as_dict() == HSRCounters().as_dict()
