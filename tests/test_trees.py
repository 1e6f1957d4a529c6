"""Tests of firesets.trees against brute force (all inner products X W^T), a recursive FIND, the counting formulas."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets.trees import CorrelationDTree, CorrelationWTree, estimate_memory_bytes

CLASSES = [CorrelationDTree, CorrelationWTree]


def _pow2(k):
    M = 1
    while M < k:
        M *= 2
    return M


def _dfs_visits(leaves, tau):
    """Nodes a recursive FIND (root, then both children of every internal node > tau) reads on the padded tree."""
    M = _pow2(len(leaves))
    vals = np.full(M, -np.inf)
    vals[: len(leaves)] = leaves

    def find(lo, hi):  # the node covering leaves [lo, hi), known to be > tau
        if hi - lo == 1:
            return 0
        mid = (lo + hi) // 2
        reads = 2
        for a, b in ((lo, mid), (mid, hi)):
            if vals[a:b].max() > tau:
                reads += find(a, b)
        return reads

    return 1 + (find(0, M) if vals.max() > tau else 0)


def _ancestors(cols, k):
    """Brute force: the nodes on the leaf-to-root paths of the leaves ``cols`` in a heap over ``k`` leaves."""
    M = _pow2(k)
    return {(M + int(c)) >> h for c in cols for h in range(M.bit_length())}


def _brute_pairs(W, X, tau):
    i, r = np.nonzero(X @ W.T > tau)  # row-major: sorted by (i, r)
    return i, r


def _snapshot(t):
    pairs = t.query_all(-1e300, values=True)  # every pair, before the counters are read
    return t.correlations.copy(), t.W.copy(), dict(t.counters.as_dict()), pairs


def _same(t, snap):
    C, W, c, pairs = snap
    same = np.array_equal(t.correlations, C) and np.array_equal(t.W, W) and t.counters.as_dict() == c
    t.counters.reset()
    again = t.query_all(-1e300, values=True)
    for key, value in c.items():
        setattr(t.counters, key, value)
    return same and all(np.array_equal(a, b) for a, b in zip(again, pairs)) and t.check_invariant()


@settings(max_examples=300, deadline=None)
@given(
    cls=st.sampled_from(CLASSES),
    m=st.integers(1, 70),
    n=st.integers(1, 9),
    d=st.integers(1, 4),
    dup=st.booleans(),
    data=st.data(),
)
def test_random_operation_sequences_against_brute_force(cls, m, n, d, dup, data):
    # integer-valued vectors: inner products are exact, so ties at the threshold are real ties; every count is
    # checked against its definition (recursive FIND, ancestor sets), every answer against X W^T
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W = rng.integers(-2, 3, (m, d)).astype(float)
    X = rng.integers(-2, 3, (n, d)).astype(float)
    if dup and n > 1:
        X[-1] = X[0]  # duplicate data rows
    if dup and m > 1:
        W[-1] = W[0]  # duplicate neurons
    t = cls(W, X)
    dtree = cls is CorrelationDTree
    Wc = W.copy()
    for _ in range(data.draw(st.integers(1, 10))):
        op = data.draw(st.sampled_from(["update", "update_many", "add_many", "query", "query_all", "query_many"]))
        t.counters.reset()
        if op == "update":
            r = int(rng.integers(m))
            z = rng.integers(-2, 3, d).astype(float)
            t.update(r, z)
            Wc[r] = z
            written = n * _pow2(m).bit_length() if dtree else n + _pow2(n) - 1
            assert t.counters.as_dict() == dict(inner_products=n, nodes_written=written, nodes_visited=0,
                                                leaves_reported=0)
        elif op == "update_many":
            R = rng.integers(0, m, rng.integers(0, 2 * m + 1))  # repeats allowed: last one wins
            if data.draw(st.booleans()):
                R = np.unique(R)  # sorted and unique: nothing to resolve
            Z = rng.integers(-2, 3, (R.size, d)).astype(float)
            t.update_many(R, Z)
            for r, z in zip(R, Z):
                Wc[r] = z
            u = np.unique(R)
            written = n * len(_ancestors(u, m)) if dtree else u.size * (n + _pow2(n) - 1)
            assert t.counters.inner_products == n * u.size and t.counters.nodes_written == written
        elif op == "add_many":
            R = np.flatnonzero(rng.random(m) < 0.5)  # strictly increasing, possibly empty
            D = rng.integers(-2, 3, (R.size, d)).astype(float)
            t.add_many(R, D)
            Wc[R] += D
            written = n * len(_ancestors(R, m)) if dtree else R.size * (n + _pow2(n) - 1)
            assert t.counters.inner_products == n * R.size and t.counters.nodes_written == written
        else:
            C = X @ Wc.T
            # ties (values in C), above the maximum, below the minimum, and in between
            tau = float(data.draw(st.sampled_from([C.min() - 1, C.max(), C.max() + 1, 0.0, 0.5, float(C.flat[0])])))
            if op == "query_all":
                order = data.draw(st.sampled_from(["data", "neuron"]))
                i, r, p = t.query_all(tau, order=order, values=True)
                ei, er = np.nonzero(C > tau)
                if order == "neuron":
                    er, ei = np.nonzero(C.T > tau)
                assert np.array_equal(i, ei) and np.array_equal(r, er) and np.array_equal(p, C[ei, er])
                assert i.dtype == r.dtype == np.int64 and p.dtype == np.float64
                trees = C if dtree else C.T
                assert t.counters.nodes_visited == sum(_dfs_visits(row, tau) for row in trees)
                assert t.counters.leaves_reported == ei.size
            elif op == "query":
                j = int(rng.integers(n if dtree else m))
                row = C[j] if dtree else C[:, j]
                out = t.query(j, tau)
                assert out.dtype == np.int64 and np.array_equal(out, np.flatnonzero(row > tau))
                assert t.counters.nodes_visited == _dfs_visits(row, tau)
            else:
                size = n if dtree else m
                S = rng.integers(0, size, rng.integers(0, 2 * size + 1))  # any order, repeats
                i, r, p = t.query_many(S, tau, values=True)
                keep = np.zeros(size, dtype=bool)
                keep[S] = True
                sel = (C > tau) & (keep[:, None] if dtree else keep[None, :])
                er, ei = np.nonzero(sel.T)  # (r, i) order
                assert np.array_equal(i, ei) and np.array_equal(r, er) and np.array_equal(p, C[ei, er])
                trees = C if dtree else C.T
                assert t.counters.nodes_visited == sum(_dfs_visits(trees[s], tau) for s in np.unique(S))
        assert t.check_invariant()
        assert np.array_equal(t.correlations, X @ Wc.T)
        assert np.array_equal(t.W, Wc)


@pytest.mark.parametrize("cls", CLASSES)
@pytest.mark.parametrize("m,n", [(1, 1), (1, 5), (7, 1), (1000, 1), (1000, 3), (300, 7), (129, 17)])
def test_float_data_queries(cls, m, n):
    rng = np.random.default_rng(7)
    d = 5
    W, X = rng.standard_normal((m, d)), rng.standard_normal((n, d))
    t = cls(W, X)
    k = min(m, 40)
    R = rng.choice(m, k, replace=False)
    Z = rng.standard_normal((k, d))
    t.update_many(R, Z)
    W[R] = Z
    C = t.correlations
    assert np.allclose(C, X @ W.T, rtol=0, atol=1e-12)
    for tau in [-1.0, 0.3, 1.7, 50.0]:
        i, r = t.query_all(tau)
        ei, er = np.nonzero(C > tau)  # strict test on the stored values
        assert np.array_equal(i, ei) and np.array_equal(r, er)


def test_dtree_and_wtree_interchangeable():
    rng = np.random.default_rng(8)
    W, X = rng.standard_normal((200, 6)), rng.standard_normal((11, 6))
    a, b = CorrelationDTree(W, X), CorrelationWTree(W, X)
    for tau in [-0.5, 0.0, 1.0, 2.0]:
        for order in ["data", "neuron"]:
            for x, y in zip(a.query_all(tau, order=order, values=True), b.query_all(tau, order=order, values=True)):
                assert np.array_equal(x, y)


def test_values_views():
    rng = np.random.default_rng(9)
    W, X = rng.integers(-3, 4, (10, 3)).astype(float), rng.integers(-3, 4, (4, 3)).astype(float)
    dt, wt = CorrelationDTree(W, X), CorrelationWTree(W, X)
    assert np.array_equal(dt.values(2), X[2] @ W.T)
    assert np.array_equal(wt.values(7), W[7] @ X.T)
    for t in (dt, wt):
        assert t.correlations.shape == (4, 10) and (t.m, t.n, t.d) == (10, 4, 3)
        for view in (t.correlations, t.W, t.X, t.values(1)):
            with pytest.raises(ValueError):
                view[0] = 1.0  # read-only


@pytest.mark.parametrize("m,n", [(1, 1), (16, 3), (37, 5), (5, 37), (2, 1), (3, 16)])
def test_counters_against_theorem_formulas(m, n):
    rng = np.random.default_rng(10)
    d = 3
    W, X = rng.standard_normal((m, d)), rng.standard_normal((n, d))
    Mm, Mn = _pow2(m), _pow2(n)
    dt, wt = CorrelationDTree(W, X), CorrelationWTree(W, X)
    # INIT: n m inner products (Lemmas D.2, D.6); every leaf and internal node written once
    assert dt.counters.inner_products == n * m == wt.counters.inner_products
    assert dt.counters.nodes_written == n * (m + Mm - 1)
    assert wt.counters.nodes_written == m * (n + Mn - 1)
    for t in (dt, wt):
        t.counters.reset()
        assert t.counters.as_dict() == {"inner_products": 0, "nodes_written": 0, "nodes_visited": 0,
                                        "leaves_reported": 0}
    z = rng.standard_normal(d)
    # UPDATE: n inner products; DTree writes a leaf-to-root path in each of n trees: n (log2 M + 1)
    dt.update(m - 1, z)
    assert dt.counters.inner_products == n
    assert dt.counters.nodes_written == n * (Mm.bit_length())
    # WTree rebuilds one tree of n leaves: n + M_n - 1 nodes, O(n) (Lemma D.7)
    wt.update(m - 1, z)
    assert wt.counters.inner_products == n
    assert wt.counters.nodes_written == n + Mn - 1
    # batched: the union of paths, counted once
    R = np.array([0, m - 1, 0])
    Z = rng.standard_normal((3, d))
    for t in (dt, wt):
        t.counters.reset()
        t.update_many(R, Z)
    u = np.unique(R)
    assert dt.counters.inner_products == n * u.size == wt.counters.inner_products
    assert dt.counters.nodes_written == n * len(_ancestors(u, m))
    assert wt.counters.nodes_written == u.size * (n + Mn - 1)
    # QUERY: visits <= (trees) + 2 |S| depth  (Theorems 3.1, 3.2: O(|S| log m) resp. O(|S| log n))
    for tau in [-10.0, 0.0, 1.0, 10.0]:
        for t, trees, depth in ((dt, n, Mm.bit_length() - 1), (wt, m, Mn.bit_length() - 1)):
            t.counters.reset()
            i, r = t.query_all(tau)
            assert t.counters.leaves_reported == i.size
            assert t.counters.nodes_visited <= trees + 2 * i.size * depth
            if tau == 10.0 and i.size == 0:
                assert t.counters.nodes_visited == trees  # only the roots are read
            if tau == -10.0:
                assert i.size == n * m  # everything fires


@pytest.mark.parametrize("n", [1, 2, 3, 4, 8, 16])
def test_visits_everything_fires_equals_all_real_nodes(n):
    # tau below the minimum with m a power of two: FIND reads every node of every tree exactly once, whatever the
    # number of leaves per block of the DTree's storage
    rng = np.random.default_rng(11)
    W, X = rng.standard_normal((64, 4)), rng.standard_normal((n, 4))
    dt = CorrelationDTree(W, X)
    dt.counters.reset()
    dt.query_all(-1e9)
    assert dt.counters.nodes_visited == n * (2 * 64 - 1)
    assert dt.counters.leaves_reported == n * 64


def test_memory_estimate_and_refusal():
    # DTree: leaves (m, n) + a heap of 2 pow2(m) / L nodes per tree (L = 2 leaves per block at n = 5);
    # WTree: m heaps of 2 pow2(n) nodes; both: W and X
    assert estimate_memory_bytes("dtree", 1000, 5, 7) == 8 * 5 * (1000 + 2 * 512) + 8 * 1005 * 7
    assert estimate_memory_bytes("dtree", 1000, 1, 7) == 8 * 1 * (1000 + 2 * 128) + 8 * 1001 * 7  # L = 8
    assert estimate_memory_bytes("wtree", 1000, 5, 7) == 8 * 1000 * 2 * 8 + 8 * 1005 * 7
    with pytest.raises(ValueError, match="kind"):
        estimate_memory_bytes("ztree", 1, 1, 1)
    W, X = np.ones((100, 2)), np.ones((3, 2))
    for cls in CLASSES:
        with pytest.raises(ValueError, match="max_bytes: .*needs about"):
            cls(W, X, max_bytes=100)
        with pytest.raises(TypeError, match="max_bytes"):
            cls(W, X, max_bytes=1e9)
        t = cls(W, X)
        assert t.nbytes == estimate_memory_bytes(cls._kind, 100, 3, 2)


@pytest.mark.parametrize("cls", CLASSES)
def test_bad_input_raises_and_leaves_structure_unchanged(cls):
    rng = np.random.default_rng(12)
    m, n, d = 9, 4, 3
    t = cls(rng.standard_normal((m, d)), rng.standard_normal((n, d)))
    snap = _snapshot(t)
    bad_calls = [
        (lambda: t.update(m, np.zeros(d)), ValueError, "r"),
        (lambda: t.update(-1, np.zeros(d)), ValueError, "r"),
        (lambda: t.update(1.5, np.zeros(d)), TypeError, "r"),
        (lambda: t.update(True, np.zeros(d)), TypeError, "r"),
        (lambda: t.update(0, np.zeros(d + 1)), ValueError, "z"),
        (lambda: t.update(0, np.array([0.0, np.nan, 0.0])), ValueError, "z"),
        (lambda: t.update(0, np.array([0.0, np.inf, 0.0])), ValueError, "z"),
        (lambda: t.update_many([0, m], np.zeros((2, d))), ValueError, "R"),
        (lambda: t.update_many([0, 1], np.zeros((3, d))), ValueError, "Z"),
        (lambda: t.update_many([0, 1], np.zeros((2, d + 1))), ValueError, "Z"),
        (lambda: t.update_many([0, 1], np.array([[0.0] * d, [np.nan] * d])), ValueError, "Z"),
        (lambda: t.update_many([0.0, 1.0], np.zeros((2, d))), TypeError, "R"),
        (lambda: t.update_many([[0, 1]], np.zeros((2, d))), ValueError, "R"),
        (lambda: t.query(-1, 0.0), ValueError, "^[ir]: expected"),
        (lambda: t.query(10**6, 0.0), ValueError, "^[ir]: expected"),
        (lambda: t.query(0, np.nan), ValueError, "tau"),
        (lambda: t.query_all(np.inf), ValueError, "tau"),
        (lambda: t.query_all("1"), TypeError, "tau"),
        (lambda: t.query_all(0.0, order="r"), ValueError, "order"),
        (lambda: t.query_all(0.0, values="yes"), TypeError, "values"),
        (lambda: t.query_many([0], 0.0, values=1), TypeError, "values"),
        (lambda: t.query_many([0, 10**6], 0.0), ValueError, "^[IR]: expected"),
        (lambda: t.query_many([0.5], 0.0), TypeError, "^[IR]: expected"),
        (lambda: t.query_many([0], np.nan), ValueError, "tau"),
    ]
    for call, exc, name in bad_calls:
        with pytest.raises(exc, match=name):
            call()
        assert _same(t, snap)
    with pytest.raises(ValueError, match="W"):
        cls(np.zeros((0, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X"):
        cls(np.zeros((4, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="W"):
        cls(np.array([[np.inf, 0.0]]), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="X"):
        cls(np.zeros((4, 2)), np.array([["a", "b"]]))


def test_empty_batch_and_empty_query_many():
    rng = np.random.default_rng(13)
    for cls in CLASSES:
        t = cls(rng.standard_normal((5, 2)), rng.standard_normal((3, 2)))
        snap = _snapshot(t)
        t.update_many(np.zeros(0, dtype=int), np.zeros((0, 2)))
        assert _same(t, snap)
        i, r, p = t.query_many([], 0.0, values=True)
        assert i.size == r.size == p.size == 0 and i.dtype == np.int64
        assert _same(t, snap)


def test_copy_false_shares_weights():
    W = np.arange(12, dtype=float).reshape(6, 2)
    X = np.ones((2, 2))
    t = CorrelationDTree(W, X, copy=False)
    t.update(3, [1.0, 1.0])
    assert np.array_equal(W[3], [1.0, 1.0])
    t2 = CorrelationDTree(W, X)  # default: a copy
    t2.update(4, [0.0, 0.0])
    assert not np.array_equal(W[4], [0.0, 0.0])


@pytest.mark.parametrize("cls", CLASSES)
def test_update_many_equals_sequential_updates(cls):
    rng = np.random.default_rng(21)  # integer-valued floats: every inner product is exact, whatever the BLAS order
    W = rng.integers(-3, 4, (50, 3)).astype(float)
    X = rng.integers(-3, 4, (4, 3)).astype(float)
    a, b = cls(W, X), cls(W, X)
    R = np.array([30, 2, 7, 2, 8, 49, 30])
    Z = rng.integers(-3, 4, (7, 3)).astype(float)
    a.update_many(R, Z)
    for r, z in zip(R, Z):
        b.update(r, z)
    assert np.array_equal(a.correlations, b.correlations) and np.array_equal(a.W, b.W)
    assert a.check_invariant() and b.check_invariant()
    for tau in [-1.0, 0.0, 2.0]:
        for x, y in zip(a.query_all(tau, values=True), b.query_all(tau, values=True)):
            assert np.array_equal(x, y)


def test_decreasing_leaf_lowers_every_root():
    # the case Algorithm 1's p <- max(p, l) gets wrong: the maximal leaf decreases
    W = np.array([[1.0], [5.0], [2.0], [3.0], [0.0]])
    t = CorrelationDTree(W, np.array([[1.0], [2.0]]))
    t.update(1, [0.0])
    assert t.query(0, 2.5).tolist() == [3] and t.query(1, 5.0).tolist() == [3]
    assert t.check_invariant()


@pytest.mark.parametrize("n", [1, 3])
def test_large_tree_built_in_chunks_against_brute_force(n):
    # enough blocks for the DTree's build to work in several chunks (kernels.BUILD_CHUNK), a width that is not
    # a power of two, and a batch touching many paths; integer data keep every inner product exact
    from firesets.trees import kernels

    rng = np.random.default_rng(14)
    m, d = 3 * kernels.BUILD_CHUNK * 8 + 5, 3
    W = rng.integers(-3, 4, (m, d)).astype(float)
    X = rng.integers(-3, 4, (n, d)).astype(float)
    t = CorrelationDTree(W, X)
    assert (_pow2(m) // t.block) > kernels.BUILD_CHUNK and t.check_invariant()
    R = rng.integers(0, m, 3000)
    Z = rng.integers(-3, 4, (R.size, d)).astype(float)
    t.update_many(R, Z)
    for r, z in zip(R, Z):
        W[r] = z
    C = X @ W.T
    assert np.array_equal(t.correlations, C) and t.check_invariant()
    for tau in [C.max() - 1, 2.0, C.max()]:
        t.counters.reset()
        i, r, p = t.query_all(tau, values=True)
        ei, er = np.nonzero(C > tau)
        assert np.array_equal(i, ei) and np.array_equal(r, er) and np.array_equal(p, C[ei, er])
        assert t.counters.nodes_visited == sum(_dfs_visits(row, tau) for row in C)


@pytest.mark.parametrize("cls", CLASSES)
def test_add_many_refuses_bad_input_and_changes_nothing(cls):
    rng = np.random.default_rng(0)
    W, X = rng.standard_normal((9, 3)), rng.standard_normal((4, 3))
    t = cls(W, X)
    before_W, before_C = t.W.copy(), t.correlations.copy()
    bad = [
        (np.array([3, 1]), np.zeros((2, 3)), "increasing"),  # unsorted
        (np.array([1, 1]), np.zeros((2, 3)), "increasing"),  # repeated
        (np.array([1, 9]), np.zeros((2, 3)), "R"),  # out of range
        (np.array([1, 2]), np.zeros((2, 2)), "D"),  # wrong shape
        (np.array([1, 2]), np.array([[0.0, np.nan, 0.0], [0.0, 0.0, 0.0]]), "D"),  # NaN
    ]
    for R, D, word in bad:
        with pytest.raises(ValueError, match=word):
            t.add_many(R, D)
    with pytest.raises(TypeError, match="R"):
        t.add_many(np.array([0.5]), np.zeros((1, 3)))
    assert np.array_equal(t.W, before_W) and np.array_equal(t.correlations, before_C)


@pytest.mark.parametrize("cls", CLASSES)
def test_add_many_equals_update_many_on_floats(cls):
    rng = np.random.default_rng(5)
    W, X = rng.standard_normal((300, 6)), rng.standard_normal((5, 6))
    a, b = cls(W, X), cls(W, X)
    R = np.flatnonzero(rng.random(300) < 0.3)
    D = rng.standard_normal((R.size, 6))
    a.add_many(R, D)
    b.update_many(R, W[R] + D)
    np.testing.assert_array_equal(a.W, b.W)
    np.testing.assert_allclose(a.correlations, b.correlations, rtol=1e-12, atol=1e-12)
    for tau in (-1.0, 0.0, 0.7):
        for x, y in zip(a.query_all(tau), b.query_all(tau)):
            np.testing.assert_array_equal(x, y)
    assert a.check_invariant()
