"""Tests of firesets.ledger on arbitrary weight trajectories (not GD) against brute force, and its merge and
max-tree kernels against numpy."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets.ledger import Ledger, _set_leaves, _sorted_xor


def _pairs(W, X, b):
    r, i = np.nonzero(W @ X.T > b)  # (r, i) order
    return i, r


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 25), n=st.integers(1, 5), T=st.integers(0, 6),
       frac=st.floats(0.0, 1.0), all_rows=st.booleans())
def test_ledger_on_random_trajectories(seed, m, n, T, frac, all_rows):
    # each step moves a random subset of rows (integer weights: ties at b), told to the ledger as `changed`
    rng = np.random.default_rng(seed)
    d, b = 3, 1.0
    X = rng.integers(-2, 3, size=(n, d)).astype(float)
    Ws = [rng.integers(-2, 3, size=(m, d)).astype(float)]
    L = Ledger(Ws[0], X, b, keep_codes=True)
    W0 = Ws[0].copy()
    Ws[0][:] = 99.0  # the ledger copied W(0) (copy=True)
    Ws[0] = W0
    L.append(0.0, *_pairs(W0, X, b))
    for t in range(1, T + 1):
        W = Ws[-1].copy()
        rows = np.flatnonzero(rng.random(m) < frac)
        W[rows] += rng.integers(-2, 3, size=(rows.size, d))
        Ws.append(W)
        changed = None if all_rows else rng.permutation(np.concatenate([rows, rows]))  # repeats, any order
        L.moved(W, changed)
        L.append(float(t), *_pairs(W, X, b))
    fire = [X @ W.T > b for W in Ws]  # (n, m)
    assert L.T == T and L.loss.tolist() == list(range(T + 1))
    assert np.array_equal(L.k, [f.sum(axis=1) for f in fire])
    assert np.array_equal(L.union, [f.any(axis=0).sum() for f in fire])
    flips = [np.zeros(n, int)] + [(fire[t] != fire[t - 1]).sum(axis=1) for t in range(1, T + 1)]
    assert np.array_equal(L.flips, flips)
    ever = np.zeros((n, m), bool)
    never = []
    for t in range(T + 1):
        ever |= fire[t] != fire[0]
        never.append(m - ever.sum(axis=1))
    assert np.array_equal(L.never_flipped, never)
    for i in range(n):
        assert L.never_flipped_set(i).tolist() == np.flatnonzero(~ever[i]).tolist()
        for t in range(1, T + 1):
            assert L.flip_set(i, t).tolist() == np.flatnonzero(fire[t][i] != fire[t - 1][i]).tolist()
    move = [max(np.linalg.norm(W[r] - W0[r]) for r in range(m)) for W in Ws]
    np.testing.assert_allclose(L.movement, move, rtol=1e-12, atol=0)
    P0 = X @ W0.T
    xn = np.linalg.norm(X, axis=1).max()
    assert np.array_equal(L.envelope, [(P0 > b - R * xn).sum(axis=1) for R in move])
    for t in range(T + 1):
        assert L.fire_codes[t].tolist() == np.flatnonzero(fire[t]).tolist()
        if t:
            assert L.flip_codes[t].tolist() == np.flatnonzero(fire[t] != fire[t - 1]).tolist()


def test_movement_can_decrease():
    # a row moving back towards W(0): the max over rows must follow it down (not a running maximum)
    W0 = np.zeros((3, 2))
    X = np.eye(2)
    L = Ledger(W0, X, 0.5)
    L.append(0.0, *_pairs(W0, X, 0.5))
    for row, value in [(1, 3.0), (1, 1.0), (2, 2.0), (2, 0.0)]:
        W = np.zeros((3, 2))
        W[row, 0] = value
        L.moved(W, [row])
        L.append(0.0, *_pairs(W, X, 0.5))
    assert L.movement.tolist() == [0.0, 3.0, 1.0, 2.0, 1.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=30), st.lists(st.integers(0, 40), max_size=30))
def test_sorted_xor_against_setxor1d(a, b):
    a = np.unique(np.array(a, dtype=np.int64))
    b = np.unique(np.array(b, dtype=np.int64))
    assert _sorted_xor(a, b).tolist() == np.setxor1d(a, b).tolist()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**16), m=st.integers(1, 70), rounds=st.integers(1, 5))
def test_max_tree_against_max(seed, m, rounds):
    rng = np.random.default_rng(seed)
    M = 1 << max(0, (m - 1).bit_length())
    tree = np.zeros(2 * M)
    leaves = np.zeros(m)
    for _ in range(rounds):
        rows = np.unique(rng.integers(0, m, size=rng.integers(0, m + 1)))
        vals = rng.random(rows.size) * rng.choice([0.0, 1.0])
        _set_leaves(tree, M, rows, vals)
        leaves[rows] = vals
        assert tree[1] == leaves.max()


def test_bad_input():
    W0 = np.zeros((4, 2))
    X = np.eye(2)
    with pytest.raises(ValueError, match="W0"):
        Ledger(np.zeros(4), X, 0.0)
    with pytest.raises(ValueError, match="X"):
        Ledger(W0, np.eye(3), 0.0)
    with pytest.raises(ValueError, match="b"):
        Ledger(W0, X, np.nan)
    L = Ledger(W0, X, 0.0)
    with pytest.raises(ValueError, match="r"):
        L.append(0.0, np.array([0, 1]), np.array([3, 1]))  # not sorted by (r, i)
    with pytest.raises(ValueError, match="i"):
        L.append(0.0, np.array([2]), np.array([0]))  # i out of range
    with pytest.raises(ValueError, match="i"):
        L.append(0.0, np.array([0, 1]), np.array([0]))
    with pytest.raises(ValueError, match="loss"):
        L.append(np.inf, np.array([0]), np.array([0]))
    with pytest.raises(ValueError, match="W"):
        L.moved(W0)  # before the first append
    L.append(1.0, np.array([0, 1]), np.array([0, 3]))
    with pytest.raises(ValueError, match="i"):
        L.append(1.0, np.array([0]), np.array([0]))  # moved() missing
    with pytest.raises(ValueError, match="changed"):
        L.moved(W0, [4])
    with pytest.raises(ValueError, match="i"):
        L.never_flipped_set(99)
    with pytest.raises(ValueError, match="t"):
        L.flip_set(0, 1)
    with pytest.raises(ValueError, match="lam"):
        L.claim_a1_bound(0.0)
    with pytest.raises(ValueError, match="R"):
        L.envelope_at(-1.0)
    assert L.T == 0 and L.k.tolist() == [[1, 1]]  # the failed calls recorded nothing
