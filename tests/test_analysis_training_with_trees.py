"""Tests of firesets.analysis.training_with_trees on hand-built results dicts, against independent oracles (numpy.polyfit and the
closed-form least-squares slope, Theorem E.1's terms computed by hand, targets on both sides of each threshold).

tests/test_bench.py already checks summarize/verdict_lines on one met and one missed case, the closed forms of
theorem41_work, work_decomposition and parallel_update_estimate, and load's rejection of a foreign file; this file
covers the rest: boundaries, missing counters and configurations, filtering, and the remaining verdict sentences."""
import json
import math

import numpy as np
import pytest

from firesets.analysis import training_with_trees as ba

M20 = ba.TARGETS["speedup_m"]
D = ba.TARGETS["d"]
N_E = ba.TARGETS["exponent_n"]


def _data(configs):
    return {"kind": "firesets-bench", "schema_version": ba.SCHEMA_VERSION, "configs": configs}


def _conf(m, n, d, t, counts=None, status="ok", ratio=None, overhead=2.0):
    """A timed configuration: ``t`` maps contender -> median seconds (dense required); ratios are t_dense / t."""
    ratio = {k: (t["dense"] / v if v > 0 else math.inf) for k, v in t.items()} if ratio is None else ratio
    return {"m": m, "n": n, "d": d, "status": status, "median_seconds": dict(t), "ratio_vs_dense": ratio,
            "overhead_vs_floor": {"dtree": overhead},
            "counts": {"dtree": counts if counts is not None else {"fire_pairs": 10.0, "union": 5}},
            "phases": {"dtree": {"query": 1.0, "forward_backward": 1.0, "update": 1.0}}}


def _times(m, dense_a=1.0, tree_a=0.6, c_tree=1e-9):
    return {"dense": 1e-9 * m**dense_a, "scan": 2e-9 * m**dense_a, "dtree": c_tree * m**tree_a,
            "wtree": c_tree * m**tree_a}


# --------------------------------------------------------------------------------------------- load, filters
def test_load_round_trip_and_schema(tmp_path):
    data = _data([_conf(64, 1, 4, {"dense": 1.0, "dtree": 0.5})])
    p = tmp_path / "r.json"
    p.write_text(json.dumps(data))
    assert ba.load(p) == data
    assert ba.load(str(p)) == data
    p.write_text(json.dumps({**data, "schema_version": ba.SCHEMA_VERSION + 1}))
    with pytest.raises(ValueError, match="path"):
        ba.load(p)


def test_ok_configs_filters_status():
    a = _conf(64, 1, 4, {"dense": 1.0})
    b = {**_conf(128, 1, 4, {"dense": 1.0}), "status": "skipped"}
    c = {k: v for k, v in _conf(256, 1, 4, {"dense": 1.0}).items() if k != "status"}
    assert ba.ok_configs(_data([a, b, c])) == [a]
    assert ba.ok_configs(_data([])) == []


# ------------------------------------------------------------------------------------------------ fitting
@pytest.mark.parametrize("alpha", [0.0, 0.5, 0.8, 1.0, 2.0, -0.3])
def test_fit_exponent_exact_power_law(alpha):
    ms = np.array([3, 17, 100, 2**12, 2**20], dtype=float)
    assert ba.fit_exponent(ms, 7.5 * ms**alpha) == pytest.approx(alpha, abs=1e-10)
    assert ba.fit_exponent(list(ms[:2]), list(0.1 * ms[:2] ** alpha)) == pytest.approx(alpha, abs=1e-10)


def test_fit_exponent_noisy_against_polyfit_and_closed_form():
    rng = np.random.default_rng(3)
    ms = 2.0 ** np.arange(8, 21)
    ts = 1e-6 * ms**0.83 * np.exp(rng.normal(0, 0.2, ms.size))
    x, y = np.log(ms), np.log(ts)
    slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)  # least squares by hand
    got = ba.fit_exponent(ms, ts)
    assert got == pytest.approx(slope, abs=1e-12)
    assert got == pytest.approx(np.polyfit(np.log2(ms), np.log2(ts), 1)[0], abs=1e-12)  # log base does not matter
    assert isinstance(got, float)
    with pytest.raises(ValueError, match="ms"):
        ba.fit_exponent([], [])


# ------------------------------------------------------------------------------------------------- series
def test_series_sorted_filtered():
    confs = [_conf(m, 4, 8, {"dense": m * 1e-9, "dtree": m * 2e-9}) for m in (1024, 64, 256)]
    confs.append({**_conf(512, 4, 8, {"dense": 1.0, "dtree": 1.0}), "status": "skipped"})  # not timed
    confs.append(_conf(128, 4, 8, {"dense": 1.0}))  # no dtree time
    confs.append(_conf(32, 2, 8, {"dense": 1.0, "dtree": 1.0}))  # other n
    confs.append(_conf(32, 4, 16, {"dense": 1.0, "dtree": 1.0}))  # other d
    ms, ts = ba.series(_data(confs), "dtree", 4, 8)
    np.testing.assert_array_equal(ms, [64, 256, 1024])
    np.testing.assert_allclose(ts, [128e-9, 512e-9, 2048e-9])
    assert ms.dtype == np.int64
    ms, rs = ba.series(_data(confs), "dtree", 4, 8, key="ratio_vs_dense")
    np.testing.assert_allclose(rs, [0.5, 0.5, 0.5])
    ms, ts = ba.series(_data(confs), "wtree", 4, 8)
    assert ms.size == 0 and ts.size == 0 and ms.dtype == np.int64
    assert ba.series(_data([]), "dense", 1, 1)[0].size == 0


# ------------------------------------------------------------------------------------- Theorem E.1's terms
def test_theorem41_work_by_hand_and_missing_counters():
    m, n, d = 4096, 3, 5
    cnt = {"nodes_visited": 17, "inner_products": 11, "nodes_written": 23, "fire_pairs": 9}
    c = _conf(m, n, d, {"dense": 1.0, "dtree": 1.0}, counts=cnt)
    c["counts"]["wtree"] = {"fire_pairs": 4}  # only one counter: the others count 0
    w = ba.theorem41_work(c)
    bound = 4096**0.8 * 9 * 5
    assert (w["query"], w["update"], w["gradient"]) == (17.0, 5 * 11 + 23.0, 5 * 9.0)
    assert w["total"] == 17 + 78 + 45 and w["bound"] == pytest.approx(bound)
    assert w["constant"] == pytest.approx(140 / bound)
    w2 = ba.theorem41_work(c, "wtree")
    assert (w2["query"], w2["update"], w2["gradient"], w2["total"]) == (0.0, 0.0, 20.0, 20.0)
    with pytest.raises(KeyError):
        ba.theorem41_work(c, "scan")  # no counts for it: not silently zero


def test_work_decomposition_without_counted_work():
    c = _conf(256, 2, 4, {"dense": 2e-3, "dtree": 1e-3}, counts={})
    w = ba.work_decomposition(c)
    assert w["ops"] == 0 and w["work_ratio"] == math.inf and math.isnan(w["cost_ratio"])
    assert math.isnan(w["ns_per_op"]) and w["dense_ops"] == 2 * 256 * 2 * 4
    assert w["dense_ns_per_op"] == pytest.approx(1e9 * 2e-3 / (2 * 256 * 2 * 4))
    c = _conf(256, 2, 4, {"dense": 2e-3, "dtree": 1e-3}, counts={"fire_pairs": 8})  # 32 ops
    w = ba.work_decomposition(c)
    assert w["ns_per_op"] == pytest.approx(1e9 * 1e-3 / 32)
    assert w["dense_ns_per_op"] * w["cost_ratio"] == pytest.approx(w["ns_per_op"])


def test_parallel_update_estimate_edges():
    c = _conf(1024, 8, 2, {"dense": 6.0, "dtree": 4.0}, counts={})
    c["phases"]["dtree"] = {"query": 1.0, "forward_backward": 0.0, "update": 8.0}
    p = ba.parallel_update_estimate(c)
    assert p["serial_seconds"] == 9.0 and p["parallel_seconds"] == 2.0  # 1 + 0 + 8 / 8
    assert p["update_share"] == pytest.approx(8 / 9) and p["speedup_vs_dense_parallel"] == 3.0
    assert p["union_over_pairs"] == 0.0 and p["count_update_share"] == 0.0  # no counts: no division by zero
    assert p["count_parallel"] == 0.0 and p["constant_parallel"] == 0.0
    c["counts"]["dtree"] = {"union": 3, "fire_pairs": 0.5}  # pairs below 1 count as 1
    assert ba.parallel_update_estimate(c)["union_over_pairs"] == 3.0


# ------------------------------------------------------------------------------------------------ summarize
def test_summarize_speedup_targets_on_both_sides():
    t4, t1 = ba.TARGETS["speedup"][4], ba.TARGETS["speedup"][1]
    for eps, met in ((0.0, True), (1e-9, True), (-1e-9, False)):
        confs = [_conf(M20, 4, D, {"dense": 1.0, "dtree": 1.0}, ratio={"dtree": t4 + eps}),
                 _conf(M20, 1, D, {"dense": 1.0, "dtree": 1.0}, ratio={"dtree": t1 + eps})]
        s = ba.summarize(_data(confs))
        assert s["speedup_dtree"][f"m=2^20,n=4,d={D}"] == {"ratio": t4 + eps, "target": t4, "met": met}
        assert s["speedup_dtree"][f"m=2^20,n=1,d={D}"] == {"ratio": t1 + eps, "target": t1, "met": met}
    # n = 4 met, n = 1 skipped (missing): None, not a crash
    confs = [_conf(M20, 4, D, {"dense": 1.0, "dtree": 0.1}),
             {**_conf(M20, 1, D, {"dense": 1.0, "dtree": 0.01}), "status": "skipped"}]
    s = ba.summarize(_data(confs))
    assert s["speedup_dtree"][f"m=2^20,n=4,d={D}"]["met"] is True
    assert s["speedup_dtree"][f"m=2^20,n=1,d={D}"] is None
    assert s["configs_timed"] == 1
    assert list(s["speedup_dtree"]) == [f"m=2^20,n=4,d={D}", f"m=2^20,n=1,d={D}"]  # larger n first


def test_summarize_exponent_window_and_polyfit():
    rng = np.random.default_rng(5)
    ks = range(12, 21)
    noise = {k: float(np.exp(rng.normal(0, 0.1))) for k in ks}
    confs = [_conf(2**k, N_E, D, _times(2**k, c_tree=1e-9 * noise[k]),
                   counts={"fire_pairs": (2**k) ** 0.8, "nodes_visited": 3 * 2**k, "union": 1}) for k in ks]
    confs.append(_conf(2**20, N_E, 2 * D, _times(2**20, tree_a=2.0)))  # other d: ignored by the fits
    confs.append(_conf(2**20, 2 * N_E, D, _times(2**20, tree_a=2.0)))  # other n: ignored by the fits
    s = ba.summarize(_data(confs))
    win = [k for k in ks if 2**k >= ba.FIT_MIN_M]
    ms = np.array([2.0**k for k in win])
    tree = np.array([1e-9 * noise[k] * 2.0 ** (0.6 * k) for k in win])
    assert s["exponents"]["dtree"] == pytest.approx(np.polyfit(np.log(ms), np.log(tree), 1)[0], abs=1e-10)
    assert s["exponents"]["dense"] == pytest.approx(1.0) and s["exponents"]["scan"] == pytest.approx(1.0)
    ms_all = np.array([2.0**k for k in ks])
    tree_all = np.array([1e-9 * noise[k] * 2.0 ** (0.6 * k) for k in ks])
    assert s["exponents_all_m"]["dtree"] == pytest.approx(np.polyfit(np.log(ms_all), np.log(tree_all), 1)[0])
    assert s["fit_window"] == {"n": N_E, "d": D, "min_m": ba.FIT_MIN_M, "points": len(win), "max_m": 2**20}
    # count = nodes_visited + d * fire_pairs = 3 m + 64 m^0.8 (not a power law): polyfit of the hand-made totals
    tot = 3 * ms + D * ms**0.8
    ce = np.polyfit(np.log(ms), np.log(tot), 1)[0]
    assert s["count_exponent_dtree"] == pytest.approx(ce, abs=1e-10)
    assert s["per_op_exponent_dtree"] == pytest.approx(s["exponents"]["dtree"] - ce)


def test_summarize_exponents_need_two_positive_points():
    confs = [_conf(2**16, N_E, D, _times(2**16)), _conf(2**18, N_E, D, {**_times(2**18), "wtree": 0.0}),
             _conf(2**12, N_E, D, _times(2**12))]  # below the window
    confs[1]["median_seconds"].pop("scan")  # scan not timed at 2^18
    s = ba.summarize(_data(confs))
    assert s["exponents"]["dense"] == pytest.approx(1.0)
    assert s["exponents"]["scan"] is None  # one point in the window
    assert s["exponents"]["wtree"] is None  # a zero time is not fitted: one point left
    assert s["exponents_all_m"]["scan"] == pytest.approx(1.0)  # 2^12 and 2^16
    assert s["exponents_all_m"]["wtree"] == pytest.approx(0.6)
    assert s["fit_window"]["points"] == 2 and s["fit_window"]["max_m"] == 2**18
    assert s["count_exponent_dtree"] == pytest.approx(0.0)  # fire_pairs constant at 10
    one = ba.summarize(_data(confs[:1]))
    assert one["exponents"]["dtree"] is None and one["per_op_exponent_dtree"] is None


def test_summarize_overheads_scan_and_constants():
    confs = [_conf(m, n, D, {"dense": 1.0, "scan": ts, "dtree": td, "wtree": 1.0}, overhead=o,
                   counts={"fire_pairs": fp, "union": 1})
             for (m, n, ts, td, o, fp) in [(2**10, 1, 1.0, 0.5, 3.0, 8), (2**12, 1, 1.0, 2.0, 4.0, 16),
                                           (2**10, 2, 1.0, 1.0, 5.0, 32)]]
    confs.append(_conf(2**14, 1, 8, {"dense": 1.0, "scan": 1.0, "dtree": 0.1, "wtree": 1.0}, overhead=9.0))
    s = ba.summarize(_data(confs))
    # overhead at the largest m per n, d = 64 only
    assert s["overhead_dtree"] == {f"m=2^12,n=1,d={D}": 4.0, f"m=2^10,n=2,d={D}": 5.0}
    assert s["dtree_faster_than_scan"] == 2  # strictly faster: 0.5 < 1 and 0.1 < 1, not 1 < 1 nor 2 < 1
    # constant = d fire_pairs / (m^0.8 n^2 d) = fire_pairs / (m^0.8 n^2); min and max over m per n (d = 64 only)
    c1 = [8 / 2**8, 16 / (2**12) ** 0.8]
    assert s["theorem41_constant"]["1"] == pytest.approx([min(c1), max(c1)])
    assert s["theorem41_constant"]["2"] == pytest.approx([32 / (2**8 * 4)] * 2)
    assert set(s["theorem41_constant"]) == {"1", "2"}
    (lose,) = s["dtree_loses"]
    assert (lose["m"], lose["n"], lose["ratio"], lose["union_fraction"]) == (2**12, 1, 0.5, 1 / 2**12)
    dense_ops, ops = 2 * 2**12 * 1 * D, D * 16
    assert lose["work_ratio"] == pytest.approx(dense_ops / ops)
    assert lose["cost_ratio"] == pytest.approx((2.0 / ops) / (1.0 / dense_ops))


# -------------------------------------------------------------------------------------------- verdict_lines
def _summary(ed, **kw):
    s = {"speedup_dtree": {}, "exponents": {"dtree": ed, "dense": 1.0, "scan": 0.9, "wtree": 0.7},
         "exponents_all_m": {"dtree": ed, "dense": 1.0}, "count_exponent_dtree": 0.8,
         "per_op_exponent_dtree": None if ed is None else ed - 0.8,
         "fit_window": {"n": 4, "d": 64, "min_m": 2**16, "points": 5, "max_m": 2**20},
         "dtree_loses": [], "overhead_dtree": {}, "theorem41_constant": {}, "dtree_faster_than_scan": 3,
         "configs_timed": 7}
    s.update(kw)
    return s


@pytest.mark.parametrize("ed, word", [(0.849, "met"), (0.85, "MISSED"), (0.851, "MISSED"), (0.3, "met"),
                                      (None, "not measured")])
def test_verdict_exponent_target_both_sides(ed, word):
    lines = ba.verdict_lines(_summary(ed))
    line = next(l for l in lines if l.startswith("fitted exponent of m ("))
    assert f"(target < {ba.TARGETS['exponent_below']}: {word})" in line
    assert "n = 4, d = 64, m from 2^16 to 2^20, 5 sizes" in line
    assert f"DTree {'not measured' if ed is None else format(ed, '.2f')}" in line
    assert "dense 1.00, scan 0.90, WTree 0.70" in line


def test_verdict_speedups_mixed_and_missing():
    sp = {"m=2^20,n=4,d=64": {"ratio": 3.0, "target": 3.0, "met": True},
          "m=2^20,n=1,d=64": {"ratio": 14.96, "target": 15.0, "met": False},
          "m=2^20,n=9,d=64": None}
    lines = ba.verdict_lines(_summary(0.7, speedup_dtree=sp))
    assert lines[:3] == ["DTree speed-up over dense at m=2^20,n=4,d=64: x3.0 (target >= 3: met)",
                         "DTree speed-up over dense at m=2^20,n=1,d=64: x15.0 (target >= 15: MISSED)",
                         "DTree speed-up over dense at m=2^20,n=9,d=64: not timed"]


def test_verdict_remaining_sentences():
    loses = [{"work_ratio": 0.5}, {"work_ratio": 1.0}, {"work_ratio": 3.0}]
    s = _summary(0.7, dtree_loses=loses, overhead_dtree={"m=2^20,n=4,d=64": 12.345},
                 theorem41_constant={"1": [0.12345, 0.5], "4": [1.0, 2.0]}, per_op_exponent_dtree=-0.1)
    text = "\n".join(ba.verdict_lines(s))
    assert ("the DTree is slower than dense in 3 of 7 timed configurations; in 1 of them it counts more "
            "operations than dense, in the other 2 fewer but dearer ones") in text
    assert "faster than the scan of the maintained correlation matrix in 3 of 7 configurations" in text
    assert "DTree step / floor (its unavoidable matrix products) at m=2^20,n=4,d=64: 12.3" in text
    assert "n = 1: count / (m^(4/5) n^2 d) in [0.123, 0.500] over m" in text
    assert "n = 4: count / (m^(4/5) n^2 d) in [1.000, 2.000] over m" in text
    assert "same window: 0.80 (Theorem 4.1: 0.8)" in text and "cost per operation: -0.10" in text
    assert "every timed m (a check of the window, not the verdict): DTree 0.70, dense 1.00" in text
    # no loss: no breakdown clause
    text = "\n".join(ba.verdict_lines(_summary(0.7)))
    assert "slower than dense in 0 of 7 timed configurations\n" in text


def test_verdict_without_window_or_sizes():
    lines = ba.verdict_lines(_summary(None, fit_window=None, count_exponent_dtree=None))
    assert any(l.startswith("fitted exponent of m (): DTree not measured (target < 0.85: not measured)")
               for l in lines)
    assert any("same window: not measured" in l for l in lines)
    lines = ba.verdict_lines(_summary(None, fit_window={"n": 4, "d": 64, "min_m": 2**16, "points": 0,
                                                          "max_m": None}))
    assert any("(n = 4, d = 64, m from 2^16)" in l for l in lines)


def test_verdict_of_summarize_end_to_end_boundary():
    # summarize -> verdict_lines: speed-up exactly on target (met), just below (MISSED); exponent 0.86 (MISSED)
    confs = [_conf(2**k, N_E, D, _times(2**k, tree_a=0.86)) for k in range(16, 21)]
    confs[-1]["ratio_vs_dense"]["dtree"] = ba.TARGETS["speedup"][4]
    confs.append(_conf(M20, 1, D, {"dense": 1.0, "scan": 1.0, "dtree": 1.0, "wtree": 1.0},
                       ratio={"dtree": ba.TARGETS["speedup"][1] * (1 - 1e-12)}))
    text = "\n".join(ba.verdict_lines(ba.summarize(_data(confs))))
    assert "n=4,d=64: x3.0 (target >= 3: met)" in text
    assert "n=1,d=64: x15.0 (target >= 15: MISSED)" in text
    assert "DTree 0.86 (target < 0.85: MISSED)" in text
    confs = [_conf(2**k, N_E, D, _times(2**k, tree_a=0.84)) for k in range(16, 21)]
    assert "DTree 0.84 (target < 0.85: met)" in "\n".join(ba.verdict_lines(ba.summarize(_data(confs))))


# ================================================================== contenders, search vs scan, proofs, runs
def test_contenders_of_from_settings_or_configs():
    assert ba.contenders_of({"settings": {"contenders": ["dense", "scan_numba", "dtree"]}, "configs": []}) == (
        "dense", "scan_numba", "dtree")
    confs = [_conf(64, 1, 4, {"scan": 1.0, "dense": 2.0}), _conf(128, 1, 4, {"dense": 1.0, "wtree": 0.5})]
    assert ba.contenders_of(_data(confs)) == ("dense", "scan", "wtree")
    assert ba.contenders_of(_data([])) == ()


def test_kind_of_reads_the_counters():
    c = _conf(64, 1, 4, {"dense": 1.0, "dtree": 0.5, "s2": 0.4})
    c["counts"] = {"dtree": {"nodes_visited": 3}, "s2": {"entries_scanned": 64}, "dense": {}}
    data = _data([c])
    assert [ba.kind_of(data, k) for k in ("dtree", "s2", "dense", "absent")] == ["tree", "scan", "dense", "dense"]


@pytest.mark.parametrize("A,alpha", [(3.0, 0.8), (0.5, 1.3), (7.0, -0.2)])
def test_fit_power_exact(A, alpha):
    ms = np.array([5.0, 80.0, 2**12, 2**20])
    a, e = ba.fit_power(ms, A * ms**alpha)
    assert a == pytest.approx(A, rel=1e-9) and e == pytest.approx(alpha, abs=1e-12)
    with pytest.raises(ValueError, match="ms"):
        ba.fit_power([3.0], [1.0])


def _search(n=2, d=8, A=3.0, alpha=0.75, c_v=40.0, c_e=1.0, upd_t=1e-3, upd_s=1e-3, ks=range(16, 22)):
    """Exact model: visits = A m^alpha at c_v ns, m n entries at c_e ns; equal forward/backward phases."""
    confs = []
    for k in ks:
        m = 2**k
        visits = A * m**alpha
        q_t, q_s = 1e-9 * c_v * visits, 1e-9 * c_e * m * n
        ut, us = upd_t(m) if callable(upd_t) else upd_t, upd_s(m) if callable(upd_s) else upd_s
        confs.append({"m": m, "n": n, "d": d, "status": "ok",
                      "median_seconds": {"dense": 1.0, "scan": q_s + 1e-3 + us, "dtree": q_t + 1e-3 + ut},
                      "ratio_vs_dense": {"dense": 1.0, "scan": 1.0, "dtree": 1.0},
                      "counts": {"scan": {"entries_scanned": m * n}, "dtree": {"nodes_visited": visits}},
                      "phases": {"scan": {"query": q_s, "forward_backward": 1e-3, "update": us},
                                 "dtree": {"query": q_t, "forward_backward": 1e-3, "update": ut}}})
    return _data(confs)


def test_query_cost_rows_closed_form():
    rows = ba.query_cost_rows(_search(), 2, 8)
    assert [r["m"] for r in rows] == [2**k for k in range(16, 22)]
    for r in rows:
        assert r["ns_visit"] == pytest.approx(40.0) and r["ns_entry"] == pytest.approx(1.0)
        assert r["entries"] == 2 * r["m"] and r["visits"] == pytest.approx(3.0 * r["m"] ** 0.75)
        assert r["query_ratio"] == pytest.approx(2 * r["m"] / (40 * r["visits"]))
    assert ba.query_cost_rows(_search(), 4, 8) == []


def test_crossover_closed_form():
    x = ba.crossover(_search(), 2, 8)
    m_q = (3.0 * 40.0 / 2.0) ** (1 / 0.25)  # A c_v m^alpha = m n c_e: about 2^23.6, past the timed 2^21
    assert x["m_query"] == pytest.approx(m_q)
    assert x["visits_alpha"] == pytest.approx(0.75) and x["ns_visit_exponent"] == pytest.approx(0, abs=1e-9)
    # the fitted-times crossover and the step crossover (equal other phases) sit on the 2^(1/8) grid
    for key in ("m_query_fit", "m_step"):
        assert m_q <= x[key] <= m_q * 2 ** 0.125 + 1e-6
    assert x["timed_step_wins"] == 0 and x["timed"] == 6
    # a tree whose update grows faster than the scan's never wins the step
    y = ba.crossover(_search(upd_t=lambda m: 3e-9 * m, upd_s=lambda m: 1e-9 * m**0.5), 2, 8)
    assert y["m_step"] is None and y["update_ratio_exponent"] == pytest.approx(0.5)
    # alpha >= 1: no query crossover
    assert ba.crossover(_search(alpha=1.0), 2, 8)["m_query"] is None
    # fewer than two sizes in the window
    assert ba.crossover(_search(ks=range(10, 17)), 2, 8) is None


def test_search_vs_scan_lines_words():
    out = ba.search_vs_scan_lines(_search(), 8)
    assert out["wins"] == 0 and out["timed"] == 6
    assert out["glue"].startswith("The scan of the maintained correlations beats the DTree step in 6 of 6")
    assert "modelled step crossover at m = 2^" in out["glue"] and "beyond the timed 2^21" in out["glue"]
    assert all(len(line) <= 100 for line in out["lines"])
    fast = ba.search_vs_scan_lines(_search(c_v=0.001), 8)
    assert fast["wins"] == 6 and "beats the scan of the maintained correlations in 6 of 6" in fast["glue"]
    none = ba.search_vs_scan_lines(_search(ks=[16]), 8)
    assert none["glue"].startswith("Not enough sizes")


def _proof_conf(m, n, d, dtree, wtree):
    return {"m": m, "n": n, "d": d, "status": "ok", "median_seconds": {"dense": 1.0},
            "counts": {"dtree": dtree, "wtree": wtree, "scan": {"entries_scanned": m * n, "union": 1}}}


def test_proof_checks_by_hand():
    m, n, d, U, k = 1000, 3, 8, 50, 60  # M = 1024, N = 4
    dt = {"union": U, "fire_pairs": k, "inner_products": n * U, "nodes_written": n * U * 11,
          "nodes_visited": n + 2 * k * 10}
    wt = {"union": U, "fire_pairs": k, "inner_products": n * U, "nodes_written": U * (n + 4 - 1),
          "nodes_visited": U}
    out = ba.proof_checks(_data([_proof_conf(m, n, d, dt, wt)]))
    assert out["e1"] == {"visits": True, "ip": True, "written": True, "union": True, "configs": 1}
    assert out["e2"] == {"ip": True, "written": True, "visits": True, "configs": 1}
    assert out["union_const"] == pytest.approx([U / (m**0.8 * n)] * 2)
    assert out["log_part"] == pytest.approx([11 / d] * 2) and out["log_part_at"] == (m, n, d)
    bad_d = {**dt, "nodes_visited": n + 2 * k * 10 + 1, "inner_products": n * U + 1}
    bad_w = {**wt, "nodes_written": U * (n + 4 - 1) - 1, "nodes_visited": U - 1}
    out = ba.proof_checks(_data([_proof_conf(m, n, d, bad_d, bad_w)]))
    assert not out["e1"]["visits"] and not out["e1"]["ip"] and out["e1"]["written"]
    assert not out["e2"]["written"] and not out["e2"]["visits"] and out["e2"]["ip"]


def test_union_model_closed_form():
    c = {"m": 1000, "n": 4, "counts": {"dtree": {"fire_pairs": 400, "union": 300}}}
    u = ba.union_model(c)
    assert u["p"] == pytest.approx(0.1) and u["model"] == pytest.approx(1000 * (1 - 0.9**4))
    assert u["union_fraction"] == pytest.approx(0.3)


def _counted(m, n, d, total_const):
    """A configuration whose Theorem E.1 count is exactly total_const * m^0.8 n^2 d (all in the gradient term)."""
    pairs = total_const * m**0.8 * n**2
    return {"m": m, "n": n, "d": d, "status": "ok", "median_seconds": {"dense": 1.0, "dtree": 1.0},
            "counts": {"dtree": {"fire_pairs": pairs, "union": min(m, pairs)}},
            "phases": {"dtree": {"query": 1.0, "forward_backward": 1.0, "update": 1.0}}}


def test_sublinear_rows_closed_form():
    confs = [_counted(2**k, n, 64, c) for k in (16, 17) for n, c in ((1, 0.4), (4, 0.2))]
    sub = ba.sublinear_rows(_data(confs), 64, log2_ms=(20, 40))
    assert sub["C"] == pytest.approx(0.4)
    r20, r40 = sub["rows"]
    assert r20["n_break_even"] == pytest.approx(5 * 2**4) and r40["m_fifth"] == pytest.approx(2**8)
    assert r20["ratio_n_sqrt_m"] == pytest.approx(0.2 * 2 ** (20 * 0.3))
    assert r40["ratio_n_log_m"] == pytest.approx(0.2 * 40 * 2 ** (-8))
    (m1, m4) = sub["measured"]
    assert m1["n"] == 1 and m1["m"] == 2**17
    assert m4["count_over_dense"] == pytest.approx(0.2 * (2**17) ** 0.8 * 16 * 64 / (2 * 2**17 * 4 * 64))
    assert ba.sublinear_rows(_data([]), 64) == {"C": None, "rows": [], "measured": []}


def test_parallel_work_depth_closed_form():
    c = _conf(1024, 4, 8, {"dense": 1.0, "dtree": 0.5}, counts={"nodes_visited": 100, "inner_products": 40,
                                                                 "nodes_written": 60, "fire_pairs": 12})
    out = ba.parallel_work_depth(_data([c]), 8)
    assert out["work"] == pytest.approx(((100 + 380 + 96) / (1024**0.8 * 16 * 8),) * 2)
    assert out["depth"] == pytest.approx(((100 + 95 + 96) / (1024**0.8 * 4 * 8),) * 2)
    assert ba.parallel_work_depth(_data([c]), 64) == {"work": None, "depth": None}


def test_theorem_lines_holds_and_exceeds():
    ok = _data([_counted(2**k, n, 64, 0.3) for k in range(16, 20) for n in (1, 4)])
    out = ba.theorem_lines(ok)
    assert "Theorem 4.1 (DTree step) on the counts: HOLDS" in out["lines"]
    assert out["glue"]["v-theorem-4-1"].startswith("Theorem 4.1 HOLDS")
    assert "0.300, 0.300" in out["glue"]["v-theorem-4-1"] and "v-theorem-4-2" not in out["glue"]
    steep = []
    for k in range(16, 20):
        c = _counted(2**k, 4, 64, 0.3)
        c["counts"]["dtree"]["fire_pairs"] *= (2**k) ** 0.2  # count ~ m^1.0
        steep.append(c)
    out = ba.theorem_lines(_data(steep))
    assert "exceeds m^0.8" in out["lines"][0] and "1.00" in out["lines"][1]


def test_target_lines_words():
    s = {"speedup_dtree": {"m=2^20,n=4,d=64": {"ratio": 2.9, "target": 3.0, "met": False},
                           "m=2^20,n=1,d=64": None}, "exponents": {"dtree": 0.84}}
    lines = ba.target_lines(s)
    assert lines[0].endswith("x2.9 (target >= 3: MISSED)") and lines[1].endswith("not timed")
    assert lines[2].endswith("0.84 (target < 0.85: met)")
    assert ba.target_lines({**s, "exponents": {"dtree": None}})[2].endswith("not measured (target < 0.85: "
                                                                                "not measured)")


def test_glue_texts_keys_and_words():
    lit = {"before": 1.0, "literal": 1.5, "ours": 0.5}
    g = ba.glue_texts(agreement_ok=True, literal=lit, stale={"stale": 7, "updated": 0},
                      search={"glue": "S."}, pwd={"work": (0.1, 0.2), "depth": (0.3, 0.4)}, sub={"C": 0.4})
    assert set(g) == {"v-algorithms-8-9", "v-search-vs-scan", "v-section-5-parallel", "v-sublinear-regime"}
    assert "raises the loss from 1.0000 to 1.5000" in g["v-algorithms-8-9"] and "7 wrong pairs" in g[
        "v-algorithms-8-9"]
    assert "n < 5.0 m^(1/5)" in g["v-sublinear-regime"]
    g = ba.glue_texts(agreement_ok=False, literal={**lit, "literal": 0.9}, stale={"stale": 0, "updated": 0},
                      search={"glue": "S."}, pwd={"work": None}, sub={"C": None})
    assert set(g) == {"v-algorithms-8-9", "v-search-vs-scan"} and "NOT" in g["v-algorithms-8-9"]


def test_wrap_width():
    text = " ".join(["word"] * 80)
    lines = ba.wrap(text, width=30).split("\n")
    assert all(len(line) <= 30 for line in lines) and all(line.startswith("  ") for line in lines[1:])


# ------------------------------------------------------------------------------------------- seeded runs
def test_step_counts_against_brute_force():
    from firesets.analysis.correlation_trees import gaussian_instance

    m, n, d, b = 300, 3, 5, 0.8
    sc = ba.step_counts(m, b, n=n, d=d, seed=4)
    W, X = gaussian_instance(m, n, d, 4)
    fire = X @ W.T > b
    U = int(fire.any(axis=0).sum())
    assert sc["fire_pairs"] == fire.sum() and sc["union"] == U
    assert sc["dense"] == {"query": m * n * d, "update": 0, "gradient": m * n * d}
    assert sc["scan"] == {"query": m * n, "update": d * n * U, "gradient": d * int(fire.sum())}
    assert sc["dtree"]["gradient"] == d * int(fire.sum())
    assert sc["dtree"]["query"] <= n + 2 * fire.sum() * 9  # M = 512
    assert sc["dtree"]["update"] >= d * n * U  # the inner products, plus the path writes


def test_gd_agreement_and_union_nested_small():
    from firesets import TwoLayerReLU

    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.array([1.0, -1.0, 1.0, -1.0])
    res = ba.gd_agreement(TwoLayerReLU.init(256, 6, rng=1), X, y, 5.0, 4)
    assert res["ok"] and set(res["methods"]) == {"scan", "dtree", "wtree"} and res["T"] == 4
    u = ba.union_nested(res["ledger"], 256)
    # oracle: U(t) recomputed from the codes by hand
    sets = [set((np.asarray(c) % 256).tolist()) for c in res["ledger"].fire_codes]
    assert u["nested"] == all(sets[t + 1] <= sets[t] for t in range(len(sets) - 1))
    assert u["first"] == len(sets[0]) and u["last"] == len(sets[-1]) and u["steps"] == 4


def test_literal_step_is_ascent_against_the_gradient():
    from firesets import TwoLayerReLU

    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 4))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.choice([-1.0, 1.0], 5)
    net = TwoLayerReLU.init(512, 4, rng=3)
    out = ba.literal_algorithm8_step(net, X, y, 0.05)
    G = net.gradient(X, y)  # the independent dense gradient of L
    assert out["literal"] == pytest.approx(net.with_weights(net.W + 0.05 * G).loss(X, y), rel=1e-10)
    assert out["ours"] == pytest.approx(net.with_weights(net.W - 0.05 * G).loss(X, y), rel=1e-10)
    assert out["literal"] > out["before"] > out["ours"]


def test_algorithm4_stale_requery_and_wtree_dependence():
    from firesets import TwoLayerReLU

    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 5))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.choice([-1.0, 1.0], 6)
    out = ba.algorithm4_stale_requery(TwoLayerReLU.init(512, 5, rng=4), X, y, 50.0)
    assert out["updated"] == 0 and out["stale"] > 0 and out["U"] > 0
    dep = ba.wtree_depends_on_weights(m=20, n=5, d=3, seed=1)
    assert dep["m"] == 20 and 0 < dep["differ"] <= 20


def test_fastest_of_geometric_mean():
    confs = [_conf(64, 1, 4, {"dense": 1.0, "a": 1.0, "b": 4.0}), _conf(128, 1, 4, {"dense": 1.0, "a": 2.0,
                                                                                    "b": 0.25}),
             _conf(256, 1, 4, {"dense": 1.0, "a": 1.0})]
    # over the two configurations timing both: a -> 1 * 2 = 2, b -> 4 * 0.25 = 1: b is faster
    assert ba.fastest_of(_data(confs), ["a", "b"]) == "b"
    assert ba.fastest_of(_data(confs), ["a"]) == "a"
    assert ba.fastest_of(_data([]), ["x", "y"]) == "x"
    with pytest.raises(ValueError, match="names"):
        ba.fastest_of(_data(confs), [])
