"""Tests of firesets.trees.reference (the paper's pseudo-code) against brute force and against the fast structures."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets.trees import CorrelationDTree, CorrelationWTree
from firesets.trees.reference import (
    PAPER_RULES,
    RefDTree,
    RefWTree,
    make_max_tree,
    run_differential,
    wtree_init_literal_indices,
)


def _check_tree(node):
    """Max-tree invariant of a pointer tree; returns the leaf indices below ``node``, left to right."""
    if node.is_leaf():
        return [node.index]
    kids = [c for c in (node.left, node.right) if c is not None]
    assert node.value == max(c.value for c in kids)
    return [k for c in kids for k in _check_tree(c)]


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 13])
def test_make_max_tree(k):
    rng = np.random.default_rng(k)
    u = rng.integers(-5, 6, k).astype(float)
    root, leaves, written = make_max_tree(u)
    assert _check_tree(root) == list(range(k))
    assert root.value == u.max()
    assert [leaf.value for leaf in leaves] == list(u)
    assert written >= 2 * k - 1


@settings(max_examples=100, deadline=None)
@given(cls=st.sampled_from([RefDTree, RefWTree]), m=st.integers(1, 9), n=st.integers(1, 5), data=st.data())
def test_corrected_reference_against_brute_force(cls, m, n, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W = rng.integers(-2, 3, (m, 2)).astype(float)
    X = rng.integers(-2, 3, (n, 2)).astype(float)
    t = cls(W, X, paper=False)
    for _ in range(data.draw(st.integers(1, 8))):
        if rng.random() < 0.5:
            r = int(rng.integers(m))
            W[r] = rng.integers(-2, 3, 2)
            t.update(r, W[r])
        tau = float(data.draw(st.sampled_from([-9.0, -1.0, 0.0, 0.5, 2.0, 9.0])))
        i, r = t.query_all(tau)
        ei, er = np.nonzero(X @ W.T > tau)
        assert np.array_equal(i, ei) and np.array_equal(r, er)
        for root in t.roots:
            _check_tree(root)


@pytest.mark.parametrize("fast,ref", [(CorrelationDTree, RefDTree), (CorrelationWTree, RefWTree)])
@pytest.mark.parametrize("m,n", [(1, 1), (8, 4), (16, 2), (4, 8)])
def test_corrected_reference_equals_fast_in_results_and_costs_for_powers_of_two(fast, ref, m, n):
    assert run_differential(fast, ref, m, n, 3, 80, paper=False, rng=m * 10 + n) == []


@pytest.mark.parametrize("fast,ref", [(CorrelationDTree, RefDTree), (CorrelationWTree, RefWTree)])
@pytest.mark.parametrize("m,n", [(13, 5), (5, 13), (3, 3)])
def test_corrected_reference_equals_fast_in_results_otherwise(fast, ref, m, n):
    # padding (fast) and one-child parents (Algorithm 7) change costs, never results
    diffs = run_differential(fast, ref, m, n, 3, 80, paper=False, rng=m * 10 + n)
    assert not [x for x in diffs if x["what"] in ("result", "inner_products")]


def test_printed_update_rule_keeps_stale_maxima():
    # Algorithm 1 line 28: after every leaf decreases below tau, the root still holds the old maximum,
    # so FIND walks the whole tree and reports nothing: visits 2m - 2 with |S| = 0
    m = 16
    W = np.arange(1, m + 1, dtype=float)[:, None]
    X = np.ones((1, 1))
    printed = RefDTree(W, X, paper={"max_update"})
    fixed = RefDTree(W, X, paper=False)
    for t in (printed, fixed):
        for r in range(m):
            t.update(r, [-1.0])
        t.counters["nodes_visited"] = 0
    assert printed.query(0, 0.0).size == 0 and fixed.query(0, 0.0).size == 0
    assert printed.roots[0].value == float(m)  # stale
    assert printed.counters["nodes_visited"] == 2 * m - 1
    assert fixed.counters["nodes_visited"] == 1


def test_printed_ge_reports_ties():
    W = np.array([[1.0], [2.0], [3.0]])
    X = np.ones((1, 1))
    assert RefDTree(W, X, paper={"ge"}).query(0, 2.0).tolist() == [1, 2]
    assert RefDTree(W, X, paper=False).query(0, 2.0).tolist() == [2]
    assert CorrelationDTree(W, X).query(0, 2.0).tolist() == [2]


def test_unchecked_root_reports_a_single_leaf_below_threshold():
    W, X = np.array([[-5.0]]), np.ones((1, 1))  # m = 1: the root is a leaf
    assert RefDTree(W, X, paper={"unchecked_root"}).query(0, 0.0).tolist() == [0]
    assert RefDTree(W, X, paper=False).query(0, 0.0).tolist() == []


def test_rebuild_in_loop_is_quadratic_in_n():
    n = 8
    W, X = np.ones((2, 1)), np.ones((n, 1))
    printed, fixed = RefWTree(W, X, paper={"rebuild_in_loop"}), RefWTree(W, X, paper=False)
    for t in (printed, fixed):
        t.counters["nodes_written"] = 0
        t.update(0, [2.0])
    assert fixed.counters["nodes_written"] == 2 * n - 1
    assert printed.counters["nodes_written"] == n * (2 * n - 1)


def test_literal_wtree_indices_fail_when_m_exceeds_n():
    W, X = np.ones((5, 2)), np.ones((3, 2))
    with pytest.raises(IndexError):
        wtree_init_literal_indices(W, X)


def test_paper_rules_validation():
    with pytest.raises(ValueError, match="paper"):
        RefDTree(np.ones((2, 1)), np.ones((1, 1)), paper={"nonsense"})
    assert set(PAPER_RULES) == {"max_update", "ge", "unchecked_root", "rebuild_in_loop"}
