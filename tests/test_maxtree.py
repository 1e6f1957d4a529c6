"""Tests of firesets.trees.maxtree against brute force (sorting all leaves) and a recursive depth-first FIND."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets.trees.maxtree import MaxTreeArray, padded_size, path_union_size, tree_bytes


def _dfs_visits(leaves_row, tau):
    """Nodes read by a recursive FIND (root, then both children of every internal node > tau) on the padded tree."""
    M = padded_size(len(leaves_row))
    vals = np.full(M, -np.inf)
    vals[: len(leaves_row)] = leaves_row

    def node_max(lo, hi):  # value of the node covering leaves [lo, hi)
        return max(vals[lo:hi])

    def find(lo, hi):
        if hi - lo == 1:
            return 0
        mid = (lo + hi) // 2
        reads = 2
        if node_max(lo, mid) > tau:
            reads += find(lo, mid)
        if node_max(mid, hi) > tau:
            reads += find(mid, hi)
        return reads

    return 1 + (find(0, M) if node_max(0, M) > tau else 0)


@pytest.mark.parametrize("k,M", [(1, 1), (2, 2), (3, 4), (4, 4), (5, 8), (1000, 1024), (1025, 2048)])
def test_padded_size(k, M):
    assert padded_size(k) == M
    assert tree_bytes(3, k) == 8 * 3 * 2 * M


@settings(max_examples=300, deadline=None)
@given(n_rows=st.integers(1, 6), n_leaves=st.integers(1, 40), data=st.data())
def test_random_sequences_against_brute_force(n_rows, n_leaves, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    t = MaxTreeArray(n_rows, n_leaves)
    V = rng.integers(-4, 5, (n_rows, n_leaves)).astype(float)  # small integers: many ties
    t.leaves[:] = V
    assert t.rebuild() == padded_size(n_leaves) - 1
    assert t.check_invariant()
    for _ in range(data.draw(st.integers(1, 12))):
        op = data.draw(st.sampled_from(["rows", "query", "query_row", "query_rows"]))
        if op == "rows":
            rows = np.unique(rng.integers(0, n_rows, rng.integers(1, n_rows + 1)))
            vals = rng.integers(-4, 5, (rows.size, n_leaves)).astype(float)
            assert t.set_rows(rows, vals) == n_leaves + padded_size(n_leaves) - 1
            V[rows] = vals
            fresh = MaxTreeArray(n_rows, n_leaves)
            fresh.leaves[:] = V
            fresh.rebuild()
            assert np.array_equal(t.T, fresh.T)
        else:
            # thresholds at leaf values (ties), between them, above the max and below the min
            tau = float(data.draw(st.sampled_from([-5.0, -0.5, 0.0, 1.0, 2.5, 4.0, 9.0])))
            if op == "query":
                sel = np.arange(n_rows)
                r, c, p, visited = t.report_above(tau)
            elif op == "query_row":
                sel = np.array([int(rng.integers(n_rows))])
                r, c, p, visited = t.report_above(tau, row=int(sel[0]))
                assert t.visited_mask(int(sel[0]), tau).sum() == visited
            else:
                sel = np.unique(rng.integers(0, n_rows, rng.integers(0, n_rows + 1)))
                r, c, p, visited = t.report_above(tau, row=sel)
            mask = np.zeros(V.shape, dtype=bool)
            mask[sel] = V[sel] > tau
            er, ec = np.nonzero(mask)  # sorted by (row, leaf)
            assert np.array_equal(r, er) and np.array_equal(c, ec) and np.array_equal(p, V[er, ec])
            assert visited == sum(_dfs_visits(V[i], tau) for i in sel)
        assert np.array_equal(t.leaves, V)
        assert t.check_invariant()


def test_visits_bounded_by_output_times_depth():
    # Theorem 3.1's query bound: visits <= 1 + 2 |S| log2 M per tree
    rng = np.random.default_rng(4)
    t = MaxTreeArray(1, 4096)
    t.leaves[:] = rng.standard_normal((1, 4096))
    t.rebuild()
    for tau in [1.0, 2.0, 3.0, 10.0]:
        _, c, _, visited = t.report_above(tau)
        assert visited <= 1 + 2 * c.size * t.depth


def test_fill_product_and_decreasing_leaf():
    rng = np.random.default_rng(5)
    A, B = rng.integers(-3, 4, (3, 2)).astype(float), rng.integers(-3, 4, (7, 2)).astype(float)
    t = MaxTreeArray(3, 7)
    assert t.fill_product(A, B) == 7 + 8 - 1
    assert np.array_equal(t.leaves, A @ B.T) and t.check_invariant()
    # the case Algorithm 1's p <- max(p, l) gets wrong: the maximal leaf decreases
    t = MaxTreeArray(1, 4)
    t.leaves[:] = [[1.0, 5.0, 2.0, 3.0]]
    t.rebuild()
    t.set_rows(np.array([0]), np.array([[1.0, 0.0, 2.0, 3.0]]))
    assert t.T[0, 1] == 3.0
    assert t.report_above(2.5)[1].tolist() == [3]
    assert t.set_rows(np.zeros(0, dtype=np.int64), np.zeros((0, 4))) == 0


def test_bad_construction_and_memory_refusal():
    with pytest.raises(ValueError, match="n_rows"):
        MaxTreeArray(0, 3)
    with pytest.raises(ValueError, match="n_leaves"):
        MaxTreeArray(3, 0)
    with pytest.raises(ValueError, match="max_bytes: .*MiB"):
        MaxTreeArray(4, 1000, max_bytes=1000)
    with pytest.raises(TypeError, match="max_bytes"):
        MaxTreeArray(4, 1000, max_bytes="1000")
    with pytest.raises(ValueError, match="max_bytes: .*available"):
        MaxTreeArray(10**6, 10**9)  # ~16 PiB: refused before allocating


def test_bad_query_arguments_and_integer_sizes():
    t = MaxTreeArray(3, 5)
    t.leaves[:] = np.arange(15.0).reshape(3, 5)
    t.rebuild()
    before = t.T.copy()
    for call, exc, name in [
        (lambda: t.report_above(0.0, row=3), ValueError, "row"),
        (lambda: t.report_above(0.0, row=-1), ValueError, "row"),
        (lambda: t.report_above(0.0, row=1.0), TypeError, "row"),
        (lambda: t.report_above(np.nan), ValueError, "tau"),
        (lambda: t.visited_mask(5, 0.0), ValueError, "row"),
        (lambda: MaxTreeArray(2.5, 3), TypeError, "n_rows"),  # int() would truncate silently
        (lambda: MaxTreeArray(2, "3"), TypeError, "n_leaves"),
        (lambda: padded_size(0), ValueError, "k"),
        (lambda: padded_size(2.5), TypeError, "k"),
    ]:
        with pytest.raises(exc, match=name):
            call()
    assert np.array_equal(t.T, before)


def _ancestors(cols, M):
    """Brute force: the set of nodes on the leaf-to-root paths of the leaves ``cols``."""
    return {(M + int(c)) >> k for c in cols for k in range(M.bit_length())}


@settings(max_examples=200, deadline=None)
@given(n_leaves=st.integers(1, 5000), data=st.data())
def test_path_union_size_against_ancestor_sets(n_leaves, data):
    cols = np.array(sorted(data.draw(st.sets(st.integers(0, n_leaves - 1), max_size=40))), dtype=np.int64)
    M = padded_size(n_leaves)
    assert path_union_size(cols, M.bit_length() - 1) == (len(_ancestors(cols, M)) if cols.size else 0)


def test_report_above_rejects_bad_row_sets():
    t = MaxTreeArray(4, 5)
    for bad, exc in [(np.array([2, 1]), ValueError), (np.array([1, 1]), ValueError), (np.array([4]), ValueError),
                     (np.array([-1]), ValueError), (np.array([0.5]), TypeError), (np.array([[0]]), TypeError)]:
        with pytest.raises(exc, match="row"):
            t.report_above(0.0, row=bad)
    r, c, p, visited = t.report_above(0.0, row=np.zeros(0, dtype=np.int64))
    assert r.size == c.size == p.size == visited == 0
