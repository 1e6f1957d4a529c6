"""Tests of firesets.lowerbound against independent oracles (explicit loops over pairs, hand-derived closed forms)."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firesets.lowerbound import (
    DDFN,
    BruteForceDDFN,
    max_ip_bruteforce,
    max_ip_via_ddfn,
    ov_bruteforce,
    ov_none,
    ov_planted,
    ov_random,
    ov_to_max_ip,
    ov_via_ddfn,
    value_bound,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ oracles written as loops
def loop_max_ip(A, B):
    return max(sum(int(a) * int(b) for a, b in zip(x, y)) for x in A.tolist() for y in B.tolist())


def loop_ov(A, B):
    return any(all(a * b == 0 for a, b in zip(x, y)) for x in A.tolist() for y in B.tolist())


def loop_count_at_least(A, B, t):
    return sum(1 for x in A.tolist() for y in B.tolist() if sum(a * b for a, b in zip(x, y)) >= t)


def int_sets(draw, max_rows=7, max_d=4, low=-4, high=4):
    d = draw(st.integers(1, max_d))
    na = draw(st.integers(1, max_rows))
    m = draw(st.integers(1, max_rows))
    A = np.array(draw(st.lists(st.integers(low, high), min_size=na * d, max_size=na * d))).reshape(na, d)
    B = np.array(draw(st.lists(st.integers(low, high), min_size=m * d, max_size=m * d))).reshape(m, d)
    return A, B


# ------------------------------------------------------------------ OV instances and the OV -> Max-IP reduction
def test_ov_generators():
    for seed in range(20):
        A, B = ov_random(12, 6, seed, p=0.4)
        assert A.shape == B.shape == (12, 6) and set(np.unique(np.r_[A.ravel(), B.ravel()])) <= {0, 1}
        A, B = ov_none(12, 6, seed, p=0.3)
        assert not loop_ov(A, B)
        A, B, (i, j) = ov_planted(12, 6, seed, p=0.5)
        assert sum(a * b for a, b in zip(A[i].tolist(), B[j].tolist())) == 0
        assert loop_ov(A, B)
    assert np.array_equal(ov_random(5, 3, 7)[0], ov_random(5, 3, np.random.default_rng(7))[0])


@given(st.data())
@SETTINGS
def test_ov_reductions_match_loops(data):
    n = data.draw(st.integers(1, 6))
    d = data.draw(st.integers(1, 5))
    seed = data.draw(st.integers(0, 10**6))
    A, B = ov_random(n, d, seed, p=data.draw(st.sampled_from([0.3, 0.5, 0.8])))
    truth = loop_ov(A, B)
    assert ov_bruteforce(A, B) == truth
    A2, B2 = ov_to_max_ip(A, B)
    assert (loop_max_ip(A2, B2) >= 0) == truth and loop_max_ip(A2, B2) <= 0
    k = data.draw(st.integers(1, n))
    assert ov_via_ddfn(A, B, k)[0] == truth


# ------------------------------------------------------------------ Max-IP through DDFN
@given(st.data())
@SETTINGS
def test_max_ip_via_ddfn_matches_loops(data):
    A, B = int_sets(data.draw)
    n = data.draw(st.integers(1, A.shape[0]))
    truth = loop_max_ip(A, B)
    assert max_ip_bruteforce(A, B) == truth
    for structure in (None, BruteForceDDFN):
        value, led = max_ip_via_ddfn(A, B, n, structure=structure)
        assert value == truth
        assert led.k == math.ceil(A.shape[0] / n) and led.k_paper == A.shape[0] // n


def test_edge_cases():
    # maximum attained by every pair
    A = np.tile([[2, -1, 3]], (9, 1))
    assert max_ip_via_ddfn(A, A, 4)[0] == 14 == loop_max_ip(A, A)
    # every inner product negative
    A = np.array([[1, 2], [3, 1], [2, 2]])
    B = -np.array([[1, 1], [2, 5]])
    assert max_ip_via_ddfn(A, B, 2)[0] == loop_max_ip(A, B) == -3
    # all zero: the interval is a single point, no round at all
    value, led = max_ip_via_ddfn(np.zeros((3, 2), int), np.ones((4, 2), int), 2)
    assert value == 0 and led.rounds == 0 and led.update_calls == 0
    # n = |A| (one instance), n = 1 (one instance per point)
    g = np.random.default_rng(3)
    A, B = g.integers(-9, 10, (7, 3)), g.integers(-9, 10, (5, 3))
    for n in (1, 7):
        assert max_ip_via_ddfn(A, B, n)[0] == loop_max_ip(A, B)


def test_literal_floor_misses_the_leftover_points():
    # |A| = 5, n = 2: floor(5 / 2) = 2 instances cover A[0..3]; the maximum sits in A[4]
    A = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [5, 5]])
    B = np.array([[1, 1], [2, 0]])
    assert max_ip_via_ddfn(A, B, 2)[0] == loop_max_ip(A, B) == 10
    value, led = max_ip_via_ddfn(A, B, 2, literal_floor=True)
    assert led.k == led.k_paper == 2 and value == loop_max_ip(A[:4], B) == 2


# ------------------------------------------------------------------ the ledger against the formulas
@given(st.data())
@settings(max_examples=60, deadline=None)
def test_ledger_counts(data):
    A, B = int_sets(data.draw, max_rows=6, max_d=3)
    n = data.draw(st.integers(1, A.shape[0]))
    na, m = A.shape[0], B.shape[0]
    value, led = max_ip_via_ddfn(A, B, n)
    k = math.ceil(na / n)
    starts = [i * n for i in range(na // n)] + ([na - n] if na % n else [])
    V = sum(int(np.abs(A[:, j]).max()) * int(np.abs(B[:, j]).max()) for j in range(A.shape[1]))
    assert (led.lo, led.hi) == (-V, V)
    # the binary search replayed with the loop oracle: same t's, same answers, same |Q| per round
    cap = m**0.8 * n  # Definition 1.3's escape size
    lo, hi, ts, answers, sizes, escapes = -V, V, [], [], [], 0
    while lo < hi:
        t = lo + (hi - lo + 1) // 2
        counts = [loop_count_at_least(A[s : s + n], B, t) for s in starts]
        escapes += sum(c > cap for c in counts)
        ts.append(t), answers.append(sum(counts) > 0)
        sizes.append(-1 if any(c > cap for c in counts) else sum(counts))
        lo, hi = (t, hi) if sum(counts) > 0 else (lo, t - 1)
    assert led.ts == ts and led.answers == answers and led.q_sizes == sizes and value == lo
    N = 2 * V + 1
    assert math.floor(math.log2(N)) <= led.rounds <= math.ceil(math.log2(N))
    assert led.update_calls == led.rounds * k * m
    assert led.query_calls == led.rounds * k and led.escapes == escapes
    # inside the structure: n inner products per UPDATE, n m at INIT (Theorem 3.1's accounting)
    assert led.init_inner_products == k * n * m
    assert led.inner_products == led.rounds * k * m * n
    # brute-force structure: every QUERY scans the n m stored products
    _, led2 = max_ip_via_ddfn(A, B, n, structure=BruteForceDDFN)
    assert led2.nodes_visited == led.rounds * k * n * m


def test_escape_is_reported_and_still_means_nonempty():
    A = np.ones((4, 2), int)
    value, led = max_ip_via_ddfn(A, A, 2, cap=0.5)
    assert value == 2 and led.escapes > 0
    assert led.escapes == sum(1 for a, q in zip(led.answers, led.q_sizes) if q < 0) * led.k
    assert all(a for a, q in zip(led.answers, led.q_sizes) if q < 0)


# ------------------------------------------------------------------ DDFN (Definition 1.3)
@given(st.data())
@SETTINGS
def test_ddfn_operations_match_loops(data):
    X, Y = int_sets(data.draw, max_rows=6, max_d=3, low=-3, high=3)
    b = data.draw(st.sampled_from([-2.0, -0.5, 0.0, 1.0, 2.5, 4.0]))
    D = DDFN(X, Y, b)
    Y = Y.copy()
    for _ in range(data.draw(st.integers(0, 5))):
        j = data.draw(st.integers(0, Y.shape[0] - 1))
        z = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=X.shape[1], max_size=X.shape[1])))
        D.update(j, z)
        Y[j] = z
        Q, escaped = D.query()
        want = [(i, j2) for i, j2 in itertools.product(range(X.shape[0]), range(Y.shape[0]))
                if int(X[i] @ Y[j2]) >= b]
        if len(want) > Y.shape[0] ** 0.8 * X.shape[0]:
            assert escaped and Q is None
        else:
            assert not escaped and [tuple(q) for q in Q.tolist()] == want
    assert D.update_calls == D.query_calls


def test_ddfn_escape_threshold():
    X = np.ones((2, 1), int)
    Y = np.r_[np.ones((16, 1), int), np.zeros((16, 1), int)]
    D = DDFN(X, Y, 1)
    assert D.cap == pytest.approx(32**0.8 * 2)  # = 32
    Q, escaped = D.query()  # 2 * 16 = 32 pairs qualify: not above the cap
    assert not escaped and Q.shape == (32, 2)
    D.update(20, [1])  # now 34 pairs > 32
    assert D.query() == (None, True) and D.escapes == 1


# ------------------------------------------------------------------ bad input
def test_bad_input():
    A = np.array([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="A: expected integer entries"):
        max_ip_via_ddfn(A + 0.5, A, 1)
    with pytest.raises(ValueError, match="B: expected 2 columns"):
        max_ip_via_ddfn(A, np.ones((2, 3), int), 1)
    with pytest.raises(ValueError, match="n: expected at most"):
        max_ip_via_ddfn(A, A, 3)
    with pytest.raises(ValueError, match="n: expected an integer >= 1"):
        max_ip_via_ddfn(A, A, 0)
    with pytest.raises(TypeError, match="A: expected an integer array"):
        max_ip_bruteforce(np.array([["a", "b"]]), A)
    with pytest.raises(ValueError, match="A: expected a 2-D"):
        max_ip_bruteforce(np.array([1, 2]), A)
    with pytest.raises(ValueError, match="inner products may reach"):
        max_ip_bruteforce(np.array([[2**30]]), np.array([[2**30]]))
    with pytest.raises(ValueError, match="in \\{0, 1\\}"):
        ov_bruteforce(A, A)
    with pytest.raises(ValueError, match="p: expected"):
        ov_random(3, 2, 0, p=1.5)
    D = DDFN(A, A, 0, cap=10)
    with pytest.raises(ValueError, match="j: expected an index"):
        D.update(2, [1, 1])
    with pytest.raises(ValueError, match="z: expected integer entries"):
        D.update(0, [1.5, 1])
    with pytest.raises(ValueError, match="J: expected distinct"):
        D.update_many([0, 0], np.ones((2, 2), int))
    assert D.update_calls == 0  # nothing was applied
    assert np.array_equal(D.query()[0], np.array([[0, 0], [0, 1], [1, 0], [1, 1]]))


def test_value_bound_is_a_bound():
    g = np.random.default_rng(5)
    for _ in range(20):
        A, B = g.integers(-6, 7, (5, 3)), g.integers(-6, 7, (4, 3))
        V = value_bound(A, B)
        P = A @ B.T
        assert -V <= P.min() and P.max() <= V


def test_ddfn_update_many_rejects_non_integer_indices_without_change():
    A = np.array([[1, 2], [3, 4]])
    D = DDFN(A, A, 0)
    before = D.tree.correlations.copy()
    with pytest.raises(TypeError, match="J: expected integer indices"):
        D.update_many([0.7], np.ones((1, 2), int))  # would silently truncate to index 0
    with pytest.raises(ValueError, match="J: expected distinct indices"):
        D.update_many([0, 2], np.ones((2, 2), int))
    with pytest.raises(ValueError, match="Z: expected integer entries"):
        D.update_many([0], np.array([[np.nan, 1.0]]))
    assert D.update_calls == 0 and np.array_equal(D.tree.correlations, before)
