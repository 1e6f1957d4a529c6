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


def _brute(values, tau, layout):
    r, c = np.nonzero(values > tau)
    if layout == "col":
        order = np.lexsort((r, c))
        r, c = r[order], c[order]
    return r, c


@pytest.mark.parametrize("k,M", [(1, 1), (2, 2), (3, 4), (4, 4), (5, 8), (1000, 1024), (1025, 2048)])
def test_padded_size(k, M):
    assert padded_size(k) == M
    assert tree_bytes(3, k) == 8 * 3 * 2 * M


@settings(max_examples=300, deadline=None)
@given(
    n_rows=st.integers(1, 6),
    n_leaves=st.integers(1, 40),
    layout=st.sampled_from(["row", "col"]),
    data=st.data(),
)
def test_random_sequences_against_brute_force(n_rows, n_leaves, layout, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    t = MaxTreeArray(n_rows, n_leaves, layout=layout)
    V = rng.integers(-4, 5, (n_rows, n_leaves)).astype(float)  # small integers: many ties
    t.leaves[:] = V
    t.rebuild()
    assert t.check_invariant()
    for _ in range(data.draw(st.integers(1, 12))):
        op = data.draw(st.sampled_from(["cols", "rows", "query", "query_row"]))
        if op == "cols":
            cols = np.unique(rng.integers(0, n_leaves, rng.integers(1, n_leaves + 1)))
            vals = rng.integers(-4, 5, (n_rows, cols.size)).astype(float)
            written = t.set_columns(cols, vals)
            V[:, cols] = vals
            M = padded_size(n_leaves)
            union = {(M + int(c)) >> k for c in cols for k in range(M.bit_length())}
            assert written == len(union)
        elif op == "rows":
            rows = np.unique(rng.integers(0, n_rows, rng.integers(1, n_rows + 1)))
            vals = rng.integers(-4, 5, (rows.size, n_leaves)).astype(float)
            written = t.set_rows(rows, vals)
            V[rows] = vals
            assert written == n_leaves + padded_size(n_leaves) - 1
        else:
            # thresholds at leaf values (ties), between them, above the max and below the min
            tau = float(data.draw(st.sampled_from([-5.0, -0.5, 0.0, 1.0, 2.5, 4.0, 9.0])))
            if op == "query":
                r, c, visited = t.report_above(tau)
                er, ec = _brute(V, tau, layout)
                assert visited == sum(_dfs_visits(V[i], tau) for i in range(n_rows))
            else:
                i = int(rng.integers(n_rows))
                r, c, visited = t.report_above(tau, row=i)
                ec = np.flatnonzero(V[i] > tau)
                er = np.full(ec.size, i)
                assert visited == _dfs_visits(V[i], tau)
                assert t.visited_mask(i, tau).sum() == visited
            assert np.array_equal(r, er) and np.array_equal(c, ec)
        assert np.array_equal(t.leaves, V)
        assert t.check_invariant()


@pytest.mark.parametrize("layout", ["row", "col"])
def test_dense_and_sparse_frontiers_agree(layout):
    # the same query with the dense shortcut disabled (never dense) and forced (always dense)
    rng = np.random.default_rng(3)
    t = MaxTreeArray(5, 300, layout=layout)
    t.leaves[:] = rng.standard_normal((5, 300))
    t.rebuild()
    for tau in [-3.0, 0.0, 1.5, 3.5]:
        expected = _brute(t.leaves.copy(), tau, layout)
        for ratio in [0, 10**9]:
            t.DENSE_RATIO = ratio
            r, c, visited = t.report_above(tau)
            assert np.array_equal(r, expected[0]) and np.array_equal(c, expected[1])
            assert visited == sum(_dfs_visits(t.leaves[i], tau) for i in range(5))


def test_visits_bounded_by_output_times_depth():
    # Theorem 3.1's query bound: visits <= 1 + 2 |S| log2 M per tree
    rng = np.random.default_rng(4)
    t = MaxTreeArray(1, 4096)
    t.leaves[:] = rng.standard_normal((1, 4096))
    t.rebuild()
    for tau in [1.0, 2.0, 3.0, 10.0]:
        _, c, visited = t.report_above(tau)
        assert visited <= 1 + 2 * c.size * t.depth


def test_set_columns_many_levels_dense_switch():
    # a batch touching most leaves takes the whole-level path; the result must equal a fresh build
    rng = np.random.default_rng(5)
    t = MaxTreeArray(3, 1000)
    t.leaves[:] = rng.standard_normal((3, 1000))
    t.rebuild()
    cols = np.sort(rng.choice(1000, 700, replace=False))
    vals = rng.standard_normal((3, 700))
    t.set_columns(cols, vals)
    fresh = MaxTreeArray(3, 1000)
    fresh.leaves[:] = t.leaves
    fresh.rebuild()
    assert np.array_equal(t.T, fresh.T)


def test_decreasing_leaf_lowers_the_root():
    # the case Algorithm 1's p <- max(p, l) gets wrong
    t = MaxTreeArray(1, 4)
    t.leaves[:] = [[1.0, 5.0, 2.0, 3.0]]
    t.rebuild()
    t.set_columns(np.array([1]), np.array([[0.0]]))
    assert t.T[0, 1] == 3.0
    assert t.report_above(2.5)[1].tolist() == [3]


def test_bad_construction_and_memory_refusal():
    with pytest.raises(ValueError, match="n_rows"):
        MaxTreeArray(0, 3)
    with pytest.raises(ValueError, match="n_leaves"):
        MaxTreeArray(3, 0)
    with pytest.raises(ValueError, match="layout"):
        MaxTreeArray(3, 3, layout="diag")
    with pytest.raises(MemoryError, match="MiB"):
        MaxTreeArray(4, 1000, max_bytes=1000)
    with pytest.raises(MemoryError, match="available"):
        MaxTreeArray(10**6, 10**9)  # ~16 PiB: refused before allocating


def test_bad_query_arguments_and_integer_sizes():
    t = MaxTreeArray(3, 5)
    t.leaves[:] = np.arange(15.0).reshape(3, 5)
    t.rebuild()
    before = t.T.copy()
    for call, exc, name in [
        (lambda: t.report_above(0.0, row=3), ValueError, "row"),  # a slice past the end would report nothing
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


@settings(max_examples=200, deadline=None)
@given(
    n_rows=st.integers(1, 7),
    n_leaves=st.integers(1, 70),
    dense_ratio=st.sampled_from([0, 1, 2, 10**9]),  # always dense, the tuned values, never dense
    block=st.sampled_from([1, 3, 1 << 14]),
    data=st.data(),
)
def test_set_nodes_major_and_report_above_nodes_against_brute_force(n_rows, n_leaves, dense_ratio, block, data):
    # the "col" layout paths the DTree uses: leaf-major updates and the all-trees-at-once search, against brute
    # force (leaves, a fresh build, FIND's visit count per row) and against the per-(row, node) search
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    t = MaxTreeArray(n_rows, n_leaves, layout="col")
    t.DENSE_UPDATE_RATIO = t.NODE_DENSE_RATIO = dense_ratio
    t.LEVEL_BLOCK = block
    V = rng.integers(-4, 5, (n_rows, n_leaves)).astype(float)
    t.leaves[:] = V
    t.rebuild()
    M = padded_size(n_leaves)
    for _ in range(data.draw(st.integers(1, 6))):
        cols = np.unique(rng.integers(0, n_leaves, rng.integers(1, n_leaves + 1)))
        vals = rng.integers(-4, 5, (cols.size, n_rows)).astype(float)  # leaf-major
        written = t.set_nodes_major(cols, vals)
        V[:, cols] = vals.T
        assert written == len(_ancestors(cols, M))
        fresh = MaxTreeArray(n_rows, n_leaves, layout="col")
        fresh.leaves[:] = V
        fresh.rebuild()
        assert np.array_equal(t.T, fresh.T)
        tau = float(data.draw(st.sampled_from([-5.0, -0.5, 0.0, 1.0, 2.5, 4.0, 9.0])))
        rows, leaves, values, visited = t.report_above_nodes(tau)
        er, ec = _brute(V, tau, "col")  # sorted by (leaf, row)
        assert np.array_equal(rows, er) and np.array_equal(leaves, ec)
        assert np.array_equal(values, V[er, ec])
        assert visited == sum(_dfs_visits(V[i], tau) for i in range(n_rows))
        assert visited == t.report_above(tau)[2]


def test_nodes_major_methods_on_one_row_tree_and_layout_check():
    rng = np.random.default_rng(8)
    t = MaxTreeArray(1, 37)  # "row" layout with one row: the same buffer as "col"
    V = rng.standard_normal(37)
    t.leaves[0] = V
    t.rebuild()
    t.set_nodes_major(np.array([0, 5, 36]), np.array([[9.0], [-9.0], [3.0]]))
    V[[0, 5, 36]] = [9.0, -9.0, 3.0]
    assert t.check_invariant() and np.array_equal(t.leaves[0], V)
    rows, leaves, values, _ = t.report_above_nodes(0.5)
    assert np.array_equal(leaves, np.flatnonzero(V > 0.5)) and not rows.any()
    assert np.array_equal(values, V[V > 0.5])
    t2 = MaxTreeArray(2, 5)
    with pytest.raises(ValueError, match="col"):
        t2.set_nodes_major(np.array([0]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="col"):
        t2.report_above_nodes(0.0)
    with pytest.raises(ValueError, match="tau"):
        MaxTreeArray(2, 5, layout="col").report_above_nodes(np.nan)
    assert MaxTreeArray(2, 5, layout="col").set_nodes_major(np.zeros(0, dtype=np.int64), np.zeros((0, 2))) == 0


@settings(max_examples=150, deadline=None)
@given(
    n_rows=st.integers(1, 9),
    n_leaves=st.integers(1, 40),
    layout=st.sampled_from(["row", "col"]),
    block=st.sampled_from([1, 2, 1 << 8]),
    dense_ratio=st.sampled_from([0, 8, 10**9]),
    data=st.data(),
)
def test_set_rows_blocks_and_report_on_a_set_of_rows(n_rows, n_leaves, layout, block, dense_ratio, data):
    # blockwise set_rows against a fresh build; report_above on a sorted set of rows against brute force and
    # FIND's visit count on each of those rows
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    t = MaxTreeArray(n_rows, n_leaves, layout=layout)
    t.ROWS_BLOCK = block
    t.DENSE_RATIO = dense_ratio
    V = rng.integers(-4, 5, (n_rows, n_leaves)).astype(float)
    t.leaves[:] = V
    t.rebuild()
    rows = np.unique(rng.integers(0, n_rows, rng.integers(1, n_rows + 1)))
    vals = rng.integers(-4, 5, (rows.size, n_leaves)).astype(float)
    assert t.set_rows(rows, vals) == n_leaves + padded_size(n_leaves) - 1
    V[rows] = vals
    fresh = MaxTreeArray(n_rows, n_leaves, layout=layout)
    fresh.leaves[:] = V
    fresh.rebuild()
    assert np.array_equal(t.T, fresh.T)
    tau = float(data.draw(st.sampled_from([-5.0, -0.5, 0.0, 1.0, 2.5, 9.0])))
    sel = np.unique(rng.integers(0, n_rows, rng.integers(0, n_rows + 1)))
    r, c, visited = t.report_above(tau, row=sel)
    mask = np.zeros_like(V, dtype=bool)
    mask[sel] = V[sel] > tau
    er, ec = _brute(np.where(mask, 1.0, 0.0), 0.5, layout)
    assert np.array_equal(r, er) and np.array_equal(c, ec)
    assert visited == sum(_dfs_visits(V[i], tau) for i in sel)


def test_report_above_rejects_bad_row_sets():
    t = MaxTreeArray(4, 5)
    for bad, exc in [(np.array([2, 1]), ValueError), (np.array([1, 1]), ValueError), (np.array([4]), ValueError),
                     (np.array([-1]), ValueError), (np.array([0.5]), TypeError), (np.array([[0]]), TypeError)]:
        with pytest.raises(exc, match="row"):
            t.report_above(0.0, row=bad)
