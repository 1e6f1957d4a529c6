"""Tests of firesets.worst_direction: the exact d = 2 sweep against brute force over all arc endpoints and a dense
grid; the search against the sweep (it is a certified lower bound, never above the true maximum)."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets import paper_threshold
from firesets import worst_direction as wd


def _unit_rows(A):
    return A / np.linalg.norm(A, axis=1, keepdims=True)


def _brute_max_2d(W, b):
    """max over unit x of #{r : <w_r, x> > b}: the count is constant between consecutive critical angles
    phi_r +- arccos(b / rho_r), so evaluating it at every midpoint (and at the critical angles) finds the maximum."""
    rho = np.hypot(W[:, 0], W[:, 1])
    phi = np.arctan2(W[:, 1], W[:, 0])
    crit = [0.0]
    for r in range(len(W)):
        if abs(b) < rho[r]:
            a = math.acos(b / rho[r])
            crit += [(phi[r] - a) % (2 * math.pi), (phi[r] + a) % (2 * math.pi)]
    crit = np.sort(np.array(crit))
    mids = np.r_[crit, (crit + np.r_[crit[1:], crit[0] + 2 * math.pi]) / 2]
    X = np.stack([np.cos(mids), np.sin(mids)], 1)
    return int(np.count_nonzero(X @ W.T > b, axis=1).max())


@pytest.mark.parametrize("b", [-0.7, 0.0, 0.9, 1.8])
def test_worst_direction_exact_2d_against_grid(b):
    W = np.random.default_rng(4).standard_normal((60, 2)) * 1.5
    x, k = wd.worst_direction_exact_2d(W, b)
    assert np.linalg.norm(x) == pytest.approx(1.0) and np.count_nonzero(W @ x > b) == k
    th = np.linspace(0, 2 * np.pi, 200001)
    grid = np.count_nonzero(np.stack([np.cos(th), np.sin(th)], 1) @ W.T > b, axis=1).max()
    assert grid == k  # a fine grid finds the deepest interval of 60 arcs
    assert _brute_max_2d(W, b) == k


@settings(max_examples=80, deadline=None)
@given(m=st.integers(1, 25), b=st.sampled_from([-2.0, -0.5, 0.0, 0.3, 1.0, 2.5]), seed=st.integers(0, 2**31),
       dup=st.booleans())
def test_worst_direction_exact_2d_against_endpoint_brute_force(m, b, seed, dup):
    # includes m = 1, neurons that fire everywhere (rho < -b), never (rho <= b), and duplicated neurons
    W = np.random.default_rng(seed).standard_normal((m, 2)) * 2.0
    if dup and m > 1:
        W[-1] = W[0]
    x, k = wd.worst_direction_exact_2d(W, b)
    assert np.linalg.norm(x) == pytest.approx(1.0)
    assert np.count_nonzero(W @ x > b) == k  # the returned x attains the count
    assert k == _brute_max_2d(W, b)


def test_worst_direction_search_is_certified_and_good():
    m = 2000
    b = paper_threshold(m)
    W = np.random.default_rng(8).standard_normal((m, 2))
    _, k_exact = wd.worst_direction_exact_2d(W, b)
    x, k = wd.worst_direction_search(W, b, restarts=16, steps=80, rng=1)
    assert np.count_nonzero(W @ x > b) == k and np.linalg.norm(x) == pytest.approx(1.0)
    assert k <= k_exact and k >= 0.95 * k_exact
    # in higher dimension the found count is at least that of every starting data point
    W = np.random.default_rng(9).standard_normal((500, 20))
    X0 = _unit_rows(np.random.default_rng(10).standard_normal((5, 20)))
    _, k = wd.worst_direction_search(W, 1.0, restarts=4, steps=20, X0=X0, rng=0)
    assert k >= np.count_nonzero(X0 @ W.T > 1.0, axis=1).max()
    # reproducible
    assert wd.worst_direction_search(W, 1.0, restarts=4, steps=5, rng=3)[1] == \
        wd.worst_direction_search(W, 1.0, restarts=4, steps=5, rng=3)[1]


def test_worst_direction_search_all_fire_when_d_exceeds_m():
    # d >= m: the rows of W are independent, x = W^+ 1 / ||W^+ 1|| makes every <w_r, x> equal and positive, so
    # at b = 0 all m neurons fire on some unit x; the search must find that maximum
    W = np.random.default_rng(11).standard_normal((8, 64))
    _, k = wd.worst_direction_search(W, 0.0, restarts=8, steps=60, rng=0)
    assert k == 8


def test_bad_input():
    W = np.ones((3, 2))
    cases = [
        (lambda: wd.worst_direction_search(W, 1.0, X0=np.zeros((1, 2))), ValueError, "X0"),
        (lambda: wd.worst_direction_search(W, 1.0, X0=np.ones((1, 3))), ValueError, "X0"),
        (lambda: wd.worst_direction_search(np.array([[np.nan, 1.0]]), 1.0), ValueError, "W"),
        (lambda: wd.worst_direction_search(W, float("nan")), ValueError, "b"),
        (lambda: wd.worst_direction_search(W, 1.0, restarts=0), ValueError, "restarts"),
        (lambda: wd.worst_direction_search(W, 1.0, steps=-1), ValueError, "steps"),
        (lambda: wd.worst_direction_search(W, 1.0, rng="x"), TypeError, "rng"),
        (lambda: wd.worst_direction_exact_2d(np.ones((3, 3)), 1.0), ValueError, "W"),
        (lambda: wd.worst_direction_exact_2d(np.ones(2), 1.0), ValueError, "W"),
        (lambda: wd.worst_direction_exact_2d(W, float("inf")), ValueError, "b"),
    ]
    for f, exc, name in cases:
        with pytest.raises(exc, match=name):
            f()


# ------------------------------------------------------------------------------------- subset construction
@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 40), d=st.integers(1, 80), b=st.floats(0.05, 3.0), seed=st.integers(0, 2**16))
def test_subset_direction_is_certified(m, d, b, seed):
    """The returned x is a unit vector, its count is the brute-force count, and every constructed neuron fires."""
    W = np.random.default_rng(seed).standard_normal((m, d))
    x, k, s = wd.subset_direction(W, b, rng=seed)
    assert np.linalg.norm(x) == pytest.approx(1.0, abs=1e-12)
    brute = sum(1 for r in range(m) if float(np.dot(W[r], x)) > b)
    assert k == brute
    assert 0 <= s <= min(m, d - 1) and k >= s


def test_subset_direction_matches_min_norm_formula():
    """||x_S||^2 = b^2 1^T (W_S W_S^T)^{-1} 1: the largest admissible prefix agrees with a direct lstsq per prefix."""
    rng = np.random.default_rng(3)
    m, d, b = 30, 60, 1.2
    W = rng.standard_normal((m, d))
    x, k, s = wd.subset_direction(W, b, margin=1e-9, rng=5)
    order = np.random.default_rng(5).permutation(m)[: min(m, d - 1)]
    norms = []
    for j in range(1, len(order) + 1):
        xs = np.linalg.lstsq(W[order[:j]], np.full(j, b + 1e-9), rcond=None)[0]  # min-norm solution
        norms.append(np.linalg.norm(xs))
    admissible = [j + 1 for j, v in enumerate(norms) if v <= 1.0]
    assert s == max(admissible)
    assert np.all(W[order[:s]] @ x > b)


def test_subset_direction_every_neuron_fires_when_d_is_large():
    for m in (8, 64, 200):
        b = paper_threshold(m)
        d = int(math.ceil(1.25 * (1 + b * b) * m))
        W = np.random.default_rng(m).standard_normal((m, d))
        _, k, s = wd.subset_direction(W, b, rng=1)
        assert k == m and s == m


def test_subset_direction_bad_input():
    W = np.ones((3, 4))
    with pytest.raises(ValueError, match="b"):
        wd.subset_direction(W, 0.0)
    with pytest.raises(ValueError, match="margin"):
        wd.subset_direction(W, 1.0, margin=0.0)
    with pytest.raises((ValueError, TypeError), match="W"):
        wd.subset_direction(np.ones(3), 1.0)
    with pytest.raises(ValueError, match="W"):
        wd.subset_direction(np.ones((3, 5)), 1.0)  # equal rows: not linearly independent
