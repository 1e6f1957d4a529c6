"""firesets.analysis.correlation_trees against independent oracles: brute-force fire sets, closed-form counts of a
heap-ordered max-tree, an explicit FIND written here, and hand-built inputs to the verdict."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets.analysis import correlation_trees as ct


def _find_count(values, tau):
    """Nodes FIND reads, by recursion over an explicit list-of-levels tree (a second construction)."""
    M = 1
    while M < len(values):
        M *= 2
    levels = [list(values) + [-math.inf] * (M - len(values))]
    while len(levels[-1]) > 1:
        prev = levels[-1]
        levels.append([max(prev[2 * k], prev[2 * k + 1]) for k in range(len(prev) // 2)])
    levels.reverse()  # levels[0] = [root]

    def visit(depth, k):
        if depth == len(levels) - 1 or not levels[depth][k] > tau:
            return 1
        return 1 + visit(depth + 1, 2 * k) + visit(depth + 1, 2 * k + 1)

    return visit(0, 0)


@given(st.lists(st.integers(-4, 4), min_size=1, max_size=37), st.integers(-5, 5))
@settings(max_examples=80, deadline=None)
def test_heap_and_find_against_recursion(vals, tau):
    vals = [float(v) for v in vals]
    T = ct.heap_values(vals)
    M = ct.padded(len(vals))
    assert T.size == 2 * M and T[1] == max(vals)
    assert np.array_equal(T[M:M + len(vals)], vals)
    assert ct.find_visits(T, tau).sum() == _find_count(vals, tau)


def test_padded():
    assert [ct.padded(k) for k in (1, 2, 3, 4, 5, 1000, 1024, 1025)] == [1, 2, 4, 4, 8, 1024, 1024, 2048]
    with pytest.raises(ValueError, match="k"):
        ct.padded(0)


def test_gaussian_instance_is_seeded_and_unit():
    W, X = ct.gaussian_instance(7, 3, 5, 1)
    W2, X2 = ct.gaussian_instance(7, 3, 5, 1)
    assert W.shape == (7, 5) and X.shape == (3, 5)
    assert np.array_equal(W, W2) and np.array_equal(X, X2)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0)


def test_small_tree_demo_matches_brute_force():
    out = ct.small_tree_demo(m=13, d=4, b=0.3, seed=5)
    assert np.array_equal(out["S"], out["brute"])
    assert out["visits"] == out["oracle_visits"] == _find_count(list(out["values"]), 0.3)
    assert out["visits"] <= out["bound"]


def test_count_checks_closed_forms():
    rows = ct.count_checks(sizes=((5, 3, 4), (8, 1, 2), (1, 6, 3)), seed=0)
    assert len(rows) == 6
    for r in rows:
        m, n = r["m"], r["n"]
        assert r["init_ip"] == n * m and r["update_ip"] == n
        M = 1 << (m - 1).bit_length()
        N = 1 << (n - 1).bit_length()
        expected = n * (int(math.log2(M)) + 1) if r["tree"] == "DTree" else n + N - 1
        assert r["formula"] == expected == r["written"]


def test_query_visits_sweep_small():
    out = ct.query_visits_sweep(ms=(64, 256, 1000), n=3, d=4, seed=0)
    assert out["exact"] and out["bound_ok"]
    np.testing.assert_allclose(out["c_log_m"], out["visits"] / (out["sizes"] * np.log2([64, 256, 1000])))
    np.testing.assert_allclose(out["per_pair"], out["visits"] / out["sizes"])


@pytest.mark.parametrize("trees", ["dtree", "wtree"])
def test_single_leaf_visits(trees):
    out = ct.single_leaf_visits(range(1, 7), trees=trees)
    assert np.array_equal(out["sizes"], np.ones(6))
    # oracle: FIND on 0..2^k-1 at tau = 2^k - 1.5
    exp = [_find_count(list(range(2**k)), 2**k - 1.5) for k in range(1, 7)]
    assert out["visits"].tolist() == exp == (1 + 2 * np.arange(1, 7)).tolist()
    assert out["holds"]
    with pytest.raises(ValueError, match="trees"):
        ct.single_leaf_visits(trees="both")


def test_wtree_query_sweep_small():
    out = ct.wtree_query_sweep(m=50, ns=(1, 3, 8), d=4, seed=2)
    assert out["exact"] and out["bound_ok"]
    assert out["visits"].min() >= 50  # one root read per tree at least


def test_dtree_vs_wtree_small():
    out = ct.dtree_vs_wtree(m=40, n=5, d=3, R=7, seed=1)
    assert out["same"]
    c = out["counts"]
    assert c["DTree"]["update_ip"] == c["WTree"]["update_ip"] == 5 * 7
    assert c["WTree"]["update_written"] == 7 * (5 + 8 - 1)  # 7 rebuilt trees of n = 5 (N = 8) leaves
    assert c["DTree"]["init_written"] >= 5 * (2 * 40 - 1)  # at least every real node of the 5 trees
    assert out["wtree_init_m_trees"] == (c["WTree"]["init_written"] == 40 * (2 * 8 - 1))


def test_batch_update_counts_against_path_union():
    rows = ct.batch_update_counts(m=20, n=3, d=2, ks=(1, 5, 20), seed=0)
    for r in rows:
        assert r["batch"] == r["union_paths"] <= r["single"]
    assert rows[0]["ratio"] == 1.0
    # all 20 leaves (heap 32..51) and their ancestors: 20 + 10 + 5 + 3 + 2 + 1 nodes per tree
    assert rows[-1]["batch"] == 3 * 41


def _verdict_inputs(**over):
    counts = [{"tree": t, "init_ok": True, "update_ip_ok": True, "written": 5, "formula": 5}
              for t in ("DTree", "WTree")]
    sweep = {"exact": True, "bound_ok": True, "c_log_m": np.array([0.9, 0.7]), "c_log_ratio": np.array([2.0, 2.1]),
             "ms": np.array([2**10, 2**12]), "per_pair": np.array([9.0, 12.0]), "per_pair_slope": 1.9}
    wsweep = {"exact": True, "bound_ok": True, "m": 64, "ns": np.array([4, 16])}
    single = {"ks": np.array([2, 3]), "holds": True}
    shared = {"same": True}
    args = {"counts": counts, "sweep": sweep, "wsweep": wsweep, "single_d": single, "single_w": dict(single),
            "shared": shared}
    args.update(over)
    return args


def test_verdict_holds_and_lines_are_short():
    v = ct.verdict(**_verdict_inputs())
    assert v["dtree_ok"] and v["wtree_ok"]
    assert v["glue"]["v-theorem-3-1"].startswith("Theorem 3.1 HOLDS")
    assert v["glue"]["v-theorem-3-2"].startswith("Theorem 3.2 HOLDS")
    assert "loose, not wrong" in v["glue"]["v-theorem-3-2"]
    assert all(len(line) <= 100 for line in v["lines"])
    assert "<= 0.90" in "\n".join(v["lines"])
    assert "grow from 9.0 to 12.0" in v["glue"]["v-section-1-1"]


def test_verdict_fails_on_each_broken_input():
    bad_counts = [{"tree": "DTree", "init_ok": True, "update_ip_ok": True, "written": 6, "formula": 5},
                  {"tree": "WTree", "init_ok": True, "update_ip_ok": True, "written": 5, "formula": 5}]
    v = ct.verdict(**_verdict_inputs(counts=bad_counts))
    assert not v["dtree_ok"] and v["wtree_ok"] and "FAILS" in v["glue"]["v-theorem-3-1"]
    sweep = _verdict_inputs()["sweep"]
    v = ct.verdict(**_verdict_inputs(sweep={**sweep, "bound_ok": False}))
    assert not v["dtree_ok"]
    v = ct.verdict(**_verdict_inputs(wsweep={"exact": False, "bound_ok": True, "m": 64, "ns": np.array([4])}))
    assert not v["wtree_ok"] and "FAILS" in v["glue"]["v-theorem-3-2"]


def test_printed_rules_table_ours_agree():
    rows = ct.printed_rules_table(rules=(None, "ge"), steps=60)
    ours = [r for r in rows if r["rule"] == "none (ours)"]
    assert len(ours) == 2 and all(r["result"] == r["written"] == r["visited"] == 0 for r in ours)
    assert any(r["result"] > 0 for r in rows if r["rule"] == "ge")


def test_errata_demos_lines():
    lines = ct.errata_demos()
    assert any(l.startswith("item 5, printed >= : [1, 2] | ours > : [2]") for l in lines)
    assert any("15 nodes written" in l for l in lines)
    assert all(len(l) <= 100 for l in lines)
