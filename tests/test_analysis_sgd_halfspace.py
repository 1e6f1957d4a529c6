"""The SGD chapter's analysis: fits against closed forms, summaries against hand-built results, the verdicts."""
import math

import numpy as np
import pytest

from firesets.analysis import sgd_halfspace as an


def test_fit_exponent_recovers_a_power_law():
    ms = 2.0 ** np.arange(10, 20, 2)
    assert math.isclose(an.fit_exponent(ms, 3 * ms ** 0.8), 0.8, abs_tol=1e-12)
    with pytest.raises(ValueError, match="ms"):
        an.fit_exponent([4], [1])
    with pytest.raises(ValueError, match="ys"):
        an.fit_exponent([4, 8], [0, 1])


def test_hsr_bound_exponent():
    assert an.hsr_bound_exponent(2) == 0.0 and an.hsr_bound_exponent(3) == 0.0
    assert an.hsr_bound_exponent(4) == 0.5 and an.hsr_bound_exponent(5) == 0.5
    assert math.isclose(an.hsr_bound_exponent(64), 1 - 1 / 32)


def test_exactness_check_small_run_is_exact():
    r = an.exactness_check(m=300, d=3, B=4, T=5, n=40)
    assert r["exact"] and r["queries"] == 2 * 5 * 4 and r["query_mismatches"] == 0
    assert set(r["methods"]) == {"dense", "scan", "halfspace", "balltree", "dtree"}


def _query_data():
    cfg = []
    for d, alpha, ts in [(3, 0.25, 0.1), (64, 1.0, 5.0)]:
        for m in [2 ** 14, 2 ** 16, 2 ** 18]:
            cfg.append({"d": d, "m": m, "status": "ok", "B": 8, "t_query": ts * m / 2 ** 18, "t_scan": m / 2 ** 18,
                        "per_query": {"nodes_visited": m ** alpha, "tests_failed": 0.0,
                                      "points_tested": m if d == 64 else 10.0, "points_reported": 5.0}})
    cfg.append({"d": 64, "m": 2 ** 20, "status": "skipped", "reason": "x"})
    return {"configs": cfg}


def test_query_summary_and_dimension_verdict():
    rows = an.query_summary(_query_data())
    r3, r64 = rows
    assert math.isclose(r3["exp_beyond"], 0.25) and math.isclose(r64["exp_beyond"], 1.0)
    assert math.isclose(r3["speedup_top"], 10.0) and math.isclose(r64["speedup_top"], 0.2)
    assert r64["tested_fraction_top"] == 1.0 and r64["skipped"] == [2 ** 20]
    assert an.dimension_verdict(rows) == 64


def _step_data():
    configs = []
    for m in [2 ** 14, 2 ** 16]:
        hs = {"status": "ok", "t_step": 1e-3 * (m / 2 ** 14) ** 0.5,
              "counters": {"nodes_visited": m ** 0.5, "points_tested": 0.0}}
        configs.append({"d": 3, "B": 8, "m": m, "methods": {
            "dense": {"status": "ok", "t_step": 1e-2 * m / 2 ** 14},
            "scan": {"status": "ok", "t_step": 5e-3 * m / 2 ** 14},
            "halfspace": hs, "balltree": {"status": "skipped"}}})
    return {"configs": configs}


def test_step_table_and_count_exponent():
    rows = an.step_table(_step_data())
    assert [r["best"] for r in rows] == ["halfspace", "halfspace"]
    assert math.isclose(rows[0]["hs_over_dense"], 0.1) and rows[0]["times"]["balltree"] is None
    e = an.step_counts_exponent(_step_data(), 3, 8)
    assert math.isclose(e["exp_work"], 0.5) and math.isclose(e["exp_time"], 0.5)


def test_fired_summary_against_hand_counts():
    data = {"stream": [{"m": 1024, "seed": s, "k_max_per_step": [10, 20 + s], "k_mean_per_step": [5.0, 7.0]}
                       for s in range(2)]}
    (r,) = an.fired_summary(data)
    assert r["k_max"] == 21 and math.isclose(r["c_max"], 21 / 1024 ** 0.8)
    assert r["k_mean_first"] == 5.0 and r["k_mean_last"] == 7.0 and r["seeds"] == 2


def test_update_summary_ratio():
    data = {"configs": [{"m": 2 ** 10, "dynamic": "logarithmic", "rebuild_factor": None, "changed": 10,
                         "work": 1210, "rebuilds": 0, "t_update": 1e-5, "nodes_visited_first": 10.0,
                         "nodes_visited_last": 20.0}]}
    (r,) = an.update_summary(data)
    assert math.isclose(r["work_per_change"], 121.0) and math.isclose(r["ratio_log2sq"], 1.0)
    assert r["variant"] == "logarithmic" and math.isclose(r["visits_growth"], 2.0)


def test_convergence_summary_slope():
    by_M = [{"M": M, "iterations_to_eps": {"0.1": int(100 * M ** 2 / 0.01), "0.05": None}} for M in (1.0, 2.0)]
    s = an.convergence_summary({"by_M": by_M})
    assert math.isclose(s["exp_vs_M2_over_eps2"], 1.0) and len(s["missing"]) == 2


def _full_data(update_growth=0.0, conv_slope=0.5, kscale=0.5):
    upd = []
    for m in [2 ** 10, 2 ** 12, 2 ** 14]:
        l2 = math.log2(2 * m) ** 2
        upd.append({"m": m, "dynamic": "logarithmic", "rebuild_factor": None, "changed": 100,
                    "work": int(100 * 0.5 * l2 * (m / 2 ** 10) ** update_growth), "rebuilds": 0, "t_update": 1e-3,
                    "nodes_visited_first": 1.0, "nodes_visited_last": 1.0})
        upd.append({"m": m, "dynamic": "inplace", "rebuild_factor": 1.5, "changed": 100, "work": int(100 * l2 * 0.1),
                    "rebuilds": 0, "t_update": 1e-3, "nodes_visited_first": 1.0, "nodes_visited_last": 1.0})
    fired = {"stream": [{"m": m, "seed": 0, "k_max_per_step": [kscale * m ** 0.8], "k_mean_per_step": [1.0]}
                        for m in (2 ** 10, 2 ** 12)], "digits": []}
    by_M = [{"M": M, "iterations_to_eps": {e: int(10 * (M ** 2 / float(e) ** 2) ** conv_slope)
                                           for e in ("0.1", "0.05")}} for M in (1.0, 2.0)]
    return {"query": _query_data(), "step": _step_data(), "fired": fired, "update": {"configs": upd},
            "convergence": {"by_M": by_M}}


def test_verdict_words_follow_the_numbers():
    ex = {"exact": True, "queries": 10, "query_mismatches": 0, "methods": {"dense": {"max_abs_dW": 0.0}}}
    v = an.verdicts(ex, _full_data())
    assert set(v) == {"v-sgd-hsr-exact", "v-sgd-lemma-6-6", "v-sgd-iteration-cost", "v-sgd-update-cost",
                      "v-sgd-convergence"}
    assert v["v-sgd-hsr-exact"].startswith("Holds")
    assert v["v-sgd-lemma-6-6"].startswith("Consistent") and "0.50 m^(4/5)" in v["v-sgd-lemma-6-6"]
    assert v["v-sgd-iteration-cost"].startswith("Consistent on counts")
    assert "loses to the scan from d = 64" in v["v-sgd-iteration-cost"]
    # half-space / scan: 1e-3 * 2 / (5e-3 * 4) = 0.1 at m = 2^16 (0.2 at 2^14)
    assert "at best 0.1 of the scan step's (d = 3, B = 8, m = 2^16)" in v["v-sgd-iteration-cost"]
    assert v["v-sgd-update-cost"].startswith("Consistent with") and "0.50 log2(2m)^2" in v["v-sgd-update-cost"]
    assert v["v-sgd-convergence"].startswith("Consistent with") and "^0.50" in v["v-sgd-convergence"]
    bad = an.verdicts({**ex, "exact": False, "query_mismatches": 3}, _full_data(0.5, 1.5, 1.5))
    assert bad["v-sgd-hsr-exact"].startswith("Fails")
    assert bad["v-sgd-lemma-6-6"].startswith("Not confirmed")
    assert bad["v-sgd-update-cost"].startswith("Above")
    assert bad["v-sgd-convergence"].startswith("Slower than")


def test_dimension_and_high_d_lines():
    rows = an.query_summary(_query_data())
    lines = an.dimension_lines(rows)
    assert "m^0.25 (below 1: sublinear)" in lines[0] and "polylog" in lines[0]
    assert "m^1.00 (about 1: linear)" in lines[2] and "HSR bound m^0.97" in lines[2]
    assert "scan time / tree time at m = 2^18: 10" in lines[1]
    step = _step_data()
    for c in step["configs"]:
        c["d"] = 64
    hl = an.high_d_lines(_query_data(), step)
    assert "tests 262144 of 262144 neurons" in hl[0] and "5.0x the scan's time" in hl[3]
    assert "SGD steps at d = 64" in hl[4]


def test_output_floor_lines():
    fired = {"stream": [{"m": m, "seed": 0, "k_max_per_step": [m ** 0.8], "k_mean_per_step": [0.2 * m ** 0.8]}
                        for m in (2 ** 10, 2 ** 12, 2 ** 14)]}
    lines = an.output_floor_lines(fired)
    # exponent 0.80 is first reached by 1 - 1/floor(d/2) at floor(d/2) = 5, d = 10
    assert "m^0.80" in lines[0] and "d = 10" in lines[1]


def test_convergence_summary_excludes_eps_met_at_start_and_finds_the_width():
    by_M = [{"M": 1.0, "iterations_to_eps": {"0.1": 0, "0.05": 40, "0.01": 1000}},
            {"M": 2.0, "iterations_to_eps": {"0.1": 160, "0.05": None, "0.01": None}}]
    widths = [{"m": 64, "min_loss": 0.08}, {"m": 256, "min_loss": 0.03}]
    s = an.convergence_summary({"by_M": by_M, "by_width": widths})
    assert s["at_start"] == [(1.0, 0.1)] and len(s["points"]) == 3 and len(s["missing"]) == 2
    # points (M^2/eps^2, steps): (400, 40), (10000, 1000), (400, 160): slope fitted through all three
    x = np.log([400, 10000, 400])
    y = np.log([40, 1000, 160])
    assert math.isclose(s["exp_vs_M2_over_eps2"], np.polyfit(x, y, 1)[0])
    assert s["width_needed"] == {0.1: 64, 0.05: 256, 0.01: None}
