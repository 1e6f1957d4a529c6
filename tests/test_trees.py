"""Tests of firesets.trees against brute force (all inner products X W^T) and the counting formulas."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets.trees import CorrelationDTree, CorrelationWTree, estimate_memory_bytes
from firesets.trees.maxtree import padded_size

CLASSES = [CorrelationDTree, CorrelationWTree]


def _brute_pairs(W, X, tau):
    i, r = np.nonzero(X @ W.T > tau)  # row-major: sorted by (i, r)
    return i, r


def _snapshot(t):
    return t._tree.T.copy(), t.W.copy(), dict(t.counters.as_dict())


def _same(t, snap):
    T, W, c = snap
    return np.array_equal(t._tree.T, T) and np.array_equal(t.W, W) and t.counters.as_dict() == c


@settings(max_examples=300, deadline=None)
@given(
    cls=st.sampled_from(CLASSES),
    m=st.integers(1, 33),
    n=st.integers(1, 9),
    d=st.integers(1, 4),
    dup=st.booleans(),
    data=st.data(),
)
def test_random_operation_sequences_against_brute_force(cls, m, n, d, dup, data):
    # integer-valued vectors: inner products are exact, so ties at the threshold are real ties
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W = rng.integers(-2, 3, (m, d)).astype(float)
    X = rng.integers(-2, 3, (n, d)).astype(float)
    if dup and n > 1:
        X[-1] = X[0]  # duplicate data rows
    if dup and m > 1:
        W[-1] = W[0]  # duplicate neurons
    t = cls(W, X)
    Wc = W.copy()
    for _ in range(data.draw(st.integers(1, 10))):
        op = data.draw(st.sampled_from(["update", "update_many", "query", "query_all"]))
        if op == "update":
            r = int(rng.integers(m))
            z = rng.integers(-2, 3, d).astype(float)
            t.update(r, z)
            Wc[r] = z
        elif op == "update_many":
            R = rng.integers(0, m, rng.integers(0, 2 * m + 1))  # repeats allowed: last one wins
            Z = rng.integers(-2, 3, (R.size, d)).astype(float)
            t.update_many(R, Z)
            for r, z in zip(R, Z):
                Wc[r] = z
        else:
            C = X @ Wc.T
            # ties (values in C), above the maximum, below the minimum, and in between
            tau = float(data.draw(st.sampled_from([C.min() - 1, C.max(), C.max() + 1, 0.0, 0.5, float(C.flat[0])])))
            if op == "query_all":
                i, r = t.query_all(tau)
                ei, er = _brute_pairs(Wc, X, tau)
                assert np.array_equal(i, ei) and np.array_equal(r, er)
            elif cls is CorrelationDTree:
                i = int(rng.integers(n))
                assert np.array_equal(t.query(i, tau), np.flatnonzero(C[i] > tau))
            else:
                r = int(rng.integers(m))
                assert np.array_equal(t.query(r, tau), np.flatnonzero(C[:, r] > tau))
        assert t.check_invariant()
        assert np.array_equal(t.correlations, X @ Wc.T)
        assert np.array_equal(t.W, Wc)


@pytest.mark.parametrize("cls", CLASSES)
def test_float_data_queries(cls):
    rng = np.random.default_rng(7)
    m, n, d = 300, 7, 5
    W, X = rng.standard_normal((m, d)), rng.standard_normal((n, d))
    t = cls(W, X)
    R = rng.choice(m, 40, replace=False)
    Z = rng.standard_normal((40, d))
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
        ia, ra = a.query_all(tau)
        ib, rb = b.query_all(tau)
        assert np.array_equal(ia, ib) and np.array_equal(ra, rb)


def test_values_views():
    rng = np.random.default_rng(9)
    W, X = rng.integers(-3, 4, (10, 3)).astype(float), rng.integers(-3, 4, (4, 3)).astype(float)
    dt, wt = CorrelationDTree(W, X), CorrelationWTree(W, X)
    assert np.array_equal(dt.values(2), X[2] @ W.T)
    assert np.array_equal(wt.values(7), W[7] @ X.T)
    for t in (dt, wt):
        assert t.correlations.shape == (4, 10)
        with pytest.raises(ValueError):
            t.correlations[0, 0] = 1.0  # read-only


@pytest.mark.parametrize("m,n", [(1, 1), (16, 3), (37, 5), (5, 37)])
def test_counters_against_theorem_formulas(m, n):
    rng = np.random.default_rng(10)
    d = 3
    W, X = rng.standard_normal((m, d)), rng.standard_normal((n, d))
    Mm, Mn = padded_size(m), padded_size(n)
    dt, wt = CorrelationDTree(W, X), CorrelationWTree(W, X)
    # INIT: n m inner products (Lemmas D.2, D.6); every leaf and internal node written once
    assert dt.counters.inner_products == n * m == wt.counters.inner_products
    assert dt.counters.nodes_written == n * (m + Mm - 1)
    assert wt.counters.nodes_written == m * (n + Mn - 1)
    for t in (dt, wt):
        t.counters.reset()
        assert t.counters.as_dict() == {"inner_products": 0, "nodes_written": 0, "nodes_visited": 0}
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
    union = {(Mm + int(r)) >> k for r in u for k in range(Mm.bit_length())}
    assert dt.counters.inner_products == n * u.size == wt.counters.inner_products
    assert dt.counters.nodes_written == n * len(union)
    assert wt.counters.nodes_written == u.size * (n + Mn - 1)
    # QUERY: visits <= (trees) + 2 |S| depth  (Theorems 3.1, 3.2: O(|S| log m) resp. O(|S| log n))
    for tau in [-10.0, 0.0, 1.0, 10.0]:
        for t, trees, depth in ((dt, n, Mm.bit_length() - 1), (wt, m, Mn.bit_length() - 1)):
            t.counters.reset()
            i, r = t.query_all(tau)
            assert t.counters.nodes_visited <= trees + 2 * i.size * depth
            if tau == 10.0 and i.size == 0:
                assert t.counters.nodes_visited == trees  # only the roots are read
            if tau == -10.0:
                assert i.size == n * m  # everything fires


def test_visits_everything_fires_equals_all_real_nodes():
    # tau below the minimum with m a power of two: FIND reads every node of every tree exactly once
    rng = np.random.default_rng(11)
    W, X = rng.standard_normal((64, 4)), rng.standard_normal((3, 4))
    dt = CorrelationDTree(W, X)
    dt.counters.reset()
    dt.query_all(-1e9)
    assert dt.counters.nodes_visited == 3 * (2 * 64 - 1)


def test_memory_estimate_and_refusal():
    assert estimate_memory_bytes("dtree", 1000, 5, 7) == 8 * 5 * 2 * 1024 + 8 * 1005 * 7
    assert estimate_memory_bytes("wtree", 1000, 5, 7) == 8 * 1000 * 2 * 8 + 8 * 1005 * 7
    with pytest.raises(ValueError, match="kind"):
        estimate_memory_bytes("ztree", 1, 1, 1)
    W, X = np.ones((100, 2)), np.ones((3, 2))
    for cls in CLASSES:
        with pytest.raises(MemoryError, match="needs about"):
            cls(W, X, max_bytes=100)
        t = cls(W, X)
        assert t.nbytes <= estimate_memory_bytes(cls._kind, 100, 3, 2)


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
        (lambda: t.query(-1, 0.0), ValueError, "^[ir]: expected"),
        (lambda: t.query(10**6, 0.0), ValueError, "^[ir]: expected"),
        (lambda: t.query(0, np.nan), ValueError, "tau"),
        (lambda: t.query_all(np.inf), ValueError, "tau"),
        (lambda: t.query_all("1"), TypeError, "tau"),
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


def test_empty_batch_is_a_no_op():
    rng = np.random.default_rng(13)
    for cls in CLASSES:
        t = cls(rng.standard_normal((5, 2)), rng.standard_normal((3, 2)))
        snap = _snapshot(t)
        t.update_many(np.zeros(0, dtype=int), np.zeros((0, 2)))
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


@settings(max_examples=100, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 9), node_search=st.booleans(), data=st.data())
def test_dtree_pairs_by_neuron_against_brute_force(m, n, node_search, data):
    # both search strategies (all trees at once, tree by tree): pairs in (r, i) order, their values, FIND's visits
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W = rng.integers(-2, 3, (m, 3)).astype(float)
    X = rng.integers(-2, 3, (n, 3)).astype(float)
    t = CorrelationDTree(W, X)
    t.NODE_SEARCH_MAX_N = 10**6 if node_search else 0
    C = X @ W.T
    R = np.unique(rng.integers(0, m, rng.integers(0, m + 1)))  # sorted, unique: the fast path of update_many
    Z = rng.integers(-2, 3, (R.size, 3)).astype(float)
    t.update_many(R, Z)
    W[R] = Z
    C = X @ W.T
    tau = float(data.draw(st.sampled_from([C.min() - 1, C.max(), 0.0, 0.5, float(C.flat[0])])))
    before = t.counters.nodes_visited
    ii, rr, vals = t.query_pairs_by_neuron(tau)
    er, ei = np.nonzero(C.T > tau)  # (r, i) order
    assert np.array_equal(ii, ei) and np.array_equal(rr, er)
    assert np.array_equal(vals, C[ei, er])
    reference = CorrelationDTree(W, X)
    reference.query_all(tau)
    assert t.counters.nodes_visited - before == reference.counters.nodes_visited
    i2, r2 = t.query_all(tau)
    bi, br = _brute_pairs(W, X, tau)
    assert np.array_equal(i2, bi) and np.array_equal(r2, br)
    assert t.check_invariant() and np.array_equal(t.correlations, C)


def test_update_many_sorted_unique_fast_path_matches_sequential_updates():
    rng = np.random.default_rng(21)  # integer-valued floats: every inner product is exact, whatever the BLAS order
    W = rng.integers(-3, 4, (50, 3)).astype(float)
    X = rng.integers(-3, 4, (4, 3)).astype(float)
    a, b = CorrelationDTree(W, X), CorrelationDTree(W, X)
    R = np.array([2, 7, 8, 30, 49])
    Z = rng.integers(-3, 4, (5, 3)).astype(float)
    a.update_many(R, Z)
    for r, z in zip(R, Z):
        b.update(r, z)
    assert np.array_equal(a.correlations, b.correlations) and np.array_equal(a.W, b.W)
    assert a.counters.inner_products == b.counters.inner_products
    with pytest.raises(ValueError, match="tau"):
        a.query_pairs_by_neuron(np.inf)


@settings(max_examples=100, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 9), data=st.data())
def test_wtree_query_many_against_brute_force(m, n, data):
    # FIND on a set of trees: the pairs of those neurons in (r, i) order, and the visits of query(r) on each
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W = rng.integers(-2, 3, (m, 3)).astype(float)
    X = rng.integers(-2, 3, (n, 3)).astype(float)
    t = CorrelationWTree(W, X)
    C = X @ W.T
    R = rng.integers(0, m, rng.integers(0, 2 * m + 1))  # any order, repeats
    tau = float(data.draw(st.sampled_from([C.min() - 1, C.max(), 0.0, 0.5, float(C.flat[0])])))
    before = t.counters.nodes_visited
    ii, rr = t.query_many(R, tau)
    keep = np.zeros(m, dtype=bool)
    keep[R] = True
    er, ei = np.nonzero((C.T > tau) & keep[:, None])  # (r, i) order
    assert np.array_equal(ii, ei) and np.array_equal(rr, er)
    reference = CorrelationWTree(W, X)
    for r in np.unique(R):
        reference.query(int(r), tau)
    assert t.counters.nodes_visited - before == reference.counters.nodes_visited


def test_wtree_query_many_validates():
    t = CorrelationWTree(np.ones((5, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="R"):
        t.query_many([5], 0.0)
    with pytest.raises(TypeError, match="R"):
        t.query_many([0.5], 0.0)
    with pytest.raises(ValueError, match="tau"):
        t.query_many([0], np.nan)
    ii, rr = t.query_many([], 0.0)
    assert ii.size == rr.size == 0
