"""Tests of firesets.bench (the --tiny grid end to end: JSON schema, not speed; the BLAS-pinning guard) and of
firesets.analysis.training_with_trees (on constructed results with closed-form answers)."""
import contextlib
import json
import math

import numpy as np
import pytest

from firesets import TwoLayerReLU, bench
from firesets.analysis import training_with_trees as ba
from firesets.training import STEPPERS


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench_tiny.json"
    assert bench.main(["--tiny", "--out", str(out), "--no-progress"]) == 0
    return json.loads(out.read_text())


def test_tiny_schema(tiny):
    assert tiny["kind"] == "firesets-bench" and tiny["schema_version"] == ba.SCHEMA_VERSION
    assert tiny["grid"] == "tiny" and tiny["settings"]["blas_threads"] == 1
    for key in ("cpu_model", "cpu_count", "python", "numpy", "blas"):
        assert key in tiny["machine"]
    assert all(lib["num_threads"] == 1 for lib in tiny["threads_inside_limit"])
    # every BLAS library this process has loaded (numpy's and scipy's may differ) was under the limit
    from threadpoolctl import threadpool_info

    pinned = {lib["filepath"] for lib in tiny["threads_inside_limit"]}
    assert {lib["filepath"] for lib in threadpool_info() if lib["user_api"] == "blas"} <= pinned
    spec = bench.GRIDS["tiny"]
    assert len(tiny["configs"]) == len(spec["m"]) * len(spec["n"]) * len(spec["d"])
    for c in tiny["configs"]:
        assert c["status"] == "ok" and c["reason"] is None
        assert c["b"] == pytest.approx(math.sqrt(0.4 * math.log(c["m"])))
        R = c["repeats"]
        assert spec["rmin"] <= R <= spec["rmax"]
        assert set(c["seconds"]) == set(ba.CONTENDERS)
        for name, ts in c["seconds"].items():
            assert len(ts) == R and all(t > 0 for t in ts)
            assert c["median_seconds"][name] == pytest.approx(float(np.median(ts)))
            ratio = np.median(c["seconds"]["dense"]) / np.median(ts)  # contenders timed one at a time
            assert c["ratio_vs_dense"][name] == pytest.approx(float(ratio))
            assert c["overhead_vs_floor"][name] == pytest.approx(np.median(ts) / np.median(c["floor_seconds"]))
            assert c["build_seconds"][name] > 0
        assert c["ratio_vs_dense"]["dense"] == 1.0
        assert len(c["floor_seconds"]) == R
        for name in ("scan", "dtree", "wtree"):
            assert set(c["phases"][name]) == {"query", "forward_backward", "update"}
            cnt = c["counts"][name]
            assert cnt["union"] <= cnt["fire_pairs"] <= c["m"] * c["n"]
            assert cnt["leaves_rewritten"] == cnt["union"] * c["n"]
            assert cnt["inner_products"] == cnt["union"] * c["n"]
        assert c["counts"]["scan"]["entries_scanned"] == c["m"] * c["n"]
        assert c["counts"]["dtree"]["nodes_visited"] >= c["n"]  # at least the roots
    assert "summary" in tiny and set(tiny["summary"]["exponents"]) == set(ba.CONTENDERS)
    assert tiny["numba_first_call_seconds"] > 0 and "numba" in tiny["machine"]
    assert "one contender at a time" in tiny["settings"]["timing"]


def test_tiny_counts_match_brute_force(tiny):
    # replay the run: the timed rounds see W(1), ..., W(R) (after the warm-up step); brute-force pair counts
    c = next(c for c in tiny["configs"] if c["n"] == 3 and c["m"] == bench.GRIDS["tiny"]["m"][-1])
    net = TwoLayerReLU.init(c["m"], c["d"], rng=tiny["settings"]["seed"] + c["m"] + c["d"])
    X, y = bench.make_data(c["n"], c["d"], rng=tiny["settings"]["seed"] + 7919 * c["n"] + c["d"])
    s = STEPPERS["dtree"](net, X, y)
    pairs = []
    for _ in range(1 + c["repeats"]):
        P = X @ np.asarray(s.W).T
        pairs.append(int((P > net.b).sum()))
        s.step(bench.ETA, record=False)
    # the median over the timed rounds (steps 2..R+1) of the brute-force pair counts
    assert c["counts"]["dtree"]["fire_pairs"] == float(np.median(pairs[1:]))


def test_skips_over_memory_budget(tmp_path):
    data = bench.run("tiny", tmp_path, mem_gib=1e-9, progress=False)
    assert (tmp_path / "bench_tiny.json").exists()
    assert all(c["status"] == "skipped" and "memory estimate" in c["reason"] for c in data["configs"])
    assert ba.load(tmp_path / "bench_tiny.json")["summary"]["speedup_dtree"]["m=2^20,n=4,d=64"] is None


def test_run_validation(tmp_path):
    with pytest.raises(ValueError, match="grid"):
        bench.run("huge", tmp_path)
    with pytest.raises(ValueError, match="mem_gib"):
        bench.run("tiny", tmp_path, mem_gib=-1)
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"kind": "other"}))
    with pytest.raises(ValueError, match="path"):
        ba.load(bad)


def test_memory_estimate_covers_the_arrays():
    # one contender at a time: the source network plus the largest contender's arrays (its tree counted apart,
    # although the tree steppers share W with their tree) must stay below the estimate
    m, n, d = 3000, 5, 7
    net = TwoLayerReLU.init(m, d, rng=0)
    X, y = bench.make_data(n, d, rng=1)
    held = []
    for name in ba.CONTENDERS:
        s = STEPPERS[name](net, X, y)
        s.step(bench.ETA, record=False)
        b = net.W.nbytes + sum(v.nbytes for v in vars(s).values() if isinstance(v, np.ndarray))
        tree = getattr(s, "tree", None)
        if tree is not None:
            b += tree.nbytes
        held.append(b)
    assert bench.memory_estimate(m, n, d) >= max(held)


def test_sweep_flag(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(bench, "SWEEPS", {"gd": lambda argv: calls.append(("gd", argv)) or 0,
                                          "other": lambda argv: calls.append(("other", argv)) or 0})
    assert bench.main(["--tiny", "--out", "x"]) == 0  # gd by default, the other flags passed through
    assert bench.main(["--sweep", "all", "--tiny"]) == 0
    assert calls == [("gd", ["--tiny", "--out", "x"]), ("gd", ["--tiny"]), ("other", ["--tiny"])]
    with pytest.raises(SystemExit):
        bench.main(["--sweep", "nope"])


def test_fit_exponent_closed_form():
    ms = 2.0 ** np.arange(10, 20)
    assert ba.fit_exponent(ms, 3.0 * ms**0.8) == pytest.approx(0.8, abs=1e-12)
    with pytest.raises(ValueError, match="ms"):
        ba.fit_exponent([4.0], [1.0])


def _fake(configs):
    return {"kind": "firesets-bench", "schema_version": ba.SCHEMA_VERSION, "configs": configs}


def _conf(m, n, d, t_dense, t_tree, counts=None, t_scan=None):
    t_scan = t_tree if t_scan is None else t_scan
    return {"m": m, "n": n, "d": d, "status": "ok",
            "median_seconds": {"dense": t_dense, "scan": t_scan, "dtree": t_tree, "wtree": t_tree},
            "ratio_vs_dense": {"dense": 1.0, "scan": t_dense / t_tree, "dtree": t_dense / t_tree,
                               "wtree": t_dense / t_tree},
            "overhead_vs_floor": {"dtree": 2.0},
            "counts": {"dtree": counts or {"union": m // 2, "fire_pairs": m**0.8}},
            "phases": {"dtree": {"query": 1.0, "forward_backward": 1.0, "update": 2.0}}}


def test_summarize_on_a_constructed_result():
    confs = [_conf(2**k, 4, 64, 1e-9 * 2**k, 1e-9 * 2 ** (0.6 * k)) for k in range(14, 21)]
    confs += [_conf(2**20, 1, 64, 1.0, 0.1), _conf(2**12, 64, 64, 1.0, 2.0)]
    s = ba.summarize(_fake(confs))
    assert s["exponents"]["dense"] == pytest.approx(1.0) and s["exponents"]["dtree"] == pytest.approx(0.6)
    assert s["count_exponent_dtree"] == pytest.approx(0.8)  # the count is d * fire_pairs = 64 m^0.8
    v4 = s["speedup_dtree"]["m=2^20,n=4,d=64"]
    assert v4["met"] is True and v4["ratio"] == pytest.approx(2**20 / 2**12)
    assert s["speedup_dtree"]["m=2^20,n=1,d=64"] == {"ratio": 10.0, "target": 15.0, "met": False}
    (lose,) = s["dtree_loses"]
    assert {k: lose[k] for k in ("m", "n", "d", "ratio", "union_fraction")} == {
        "m": 2**12, "n": 64, "d": 64, "ratio": 0.5, "union_fraction": 0.5}
    # counts: d * fire_pairs = 64 * 2^9.6 against dense 2 m n d; the time ratio splits into work and cost per op
    ops = 64 * (2**12) ** 0.8
    assert lose["work_ratio"] == pytest.approx(2 * 2**12 * 64 * 64 / ops)
    assert lose["work_ratio"] / lose["cost_ratio"] == pytest.approx(0.5)
    assert s["per_op_exponent_dtree"] == pytest.approx(0.6 - 0.8)
    assert s["fit_window"] == {"n": 4, "d": 64, "min_m": ba.FIT_MIN_M, "points": 5, "max_m": 2**20}
    assert s["exponents_all_m"]["dtree"] == pytest.approx(0.6)  # the constructed times are exact powers
    assert s["theorem41_constant"]["4"] == pytest.approx([1 / 16, 1 / 16])  # 64 m^0.8 / (m^0.8 * 4^2 * 64)
    assert s["dtree_faster_than_scan"] == 0 and s["configs_timed"] == len(confs)


def test_verdict_lines_follow_the_numbers():
    # met: speed-ups above target, exponent below 0.85; the words are decided by the numbers, not typed
    fast = [_conf(2**k, 4, 64, 1e-9 * 2**k, 1e-9 * 2 ** (0.6 * k), t_scan=1.0) for k in range(16, 21)]
    fast += [_conf(2**20, 1, 64, 20.0, 1.0, t_scan=2.0)]
    text = "\n".join(ba.verdict_lines(ba.summarize(_fake(fast))))
    assert "MISSED" not in text and text.count(": met") == 3
    assert "slower than dense in 0 of 6" in text
    assert "faster than the scan of the maintained correlation matrix in 6" in text
    # missed: slower than target and an exponent near 1
    slow = [_conf(2**k, 4, 64, 1e-9 * 2**k, 1.5e-9 * 2 ** (0.95 * k)) for k in range(16, 21)]
    slow += [_conf(2**20, 1, 64, 1.0, 0.5)]
    lines = ba.verdict_lines(ba.summarize(_fake(slow)))
    text = "\n".join(lines)
    assert text.count("MISSED") == 3 and ": met" not in text
    assert "DTree 0.95 (target < 0.85: MISSED)" in text
    # nothing timed: every number reads "not timed" / "not measured", no exception
    empty = "\n".join(ba.verdict_lines(ba.summarize(_fake([]))))
    assert empty.count("not timed") == 2 and "DTree not measured" in empty and "in 0 of 0" in empty


def test_work_decomposition_closed_form():
    c = _conf(1024, 4, 8, 2.0, 0.5, counts={"nodes_visited": 100, "inner_products": 40, "nodes_written": 60,
                                              "fire_pairs": 12, "union": 10})
    w = ba.work_decomposition(c)
    assert w["ops"] == 100 + 8 * 40 + 60 + 8 * 12 and w["dense_ops"] == 2 * 1024 * 4 * 8
    assert w["work_ratio"] == pytest.approx(65536 / 576)
    assert w["cost_ratio"] == pytest.approx((0.5 / 576) / (2.0 / 65536))
    assert w["work_ratio"] / w["cost_ratio"] == pytest.approx(2.0 / 0.5)


def test_theorem41_work_and_parallel_estimate():
    c = _conf(1024, 4, 8, 1.0, 0.5, counts={"nodes_visited": 100, "inner_products": 40, "nodes_written": 60,
                                              "fire_pairs": 12, "union": 10})
    w = ba.theorem41_work(c)
    assert w["query"] == 100 and w["update"] == 8 * 40 + 60 and w["gradient"] == 8 * 12
    assert w["constant"] == pytest.approx((100 + 380 + 96) / (1024**0.8 * 16 * 8))
    p = ba.parallel_update_estimate(c)
    assert p["serial_seconds"] == 4.0 and p["parallel_seconds"] == 2.5 and p["update_share"] == 0.5
    assert p["union_over_pairs"] == pytest.approx(10 / 12)
    assert p["count_parallel"] == pytest.approx(100 + 380 / 4 + 96)
    assert p["constant_parallel"] == pytest.approx((100 + 95 + 96) / (1024**0.8 * 4 * 8))
    assert p["count_update_share"] == pytest.approx(380 / 576)


def test_blas_guard_refuses_unpinned_threads(tmp_path, monkeypatch):
    # a limit that does not hold (here: a no-op) must stop the run before anything is timed or written
    import threadpoolctl

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", lambda limits=None: contextlib.nullcontext())
    monkeypatch.setattr(threadpoolctl, "threadpool_info", lambda: [
        {"user_api": "blas", "internal_api": "openblas", "filepath": "/fake/libopenblas.so", "num_threads": 2}])
    with pytest.raises(RuntimeError, match="not pinned"):
        bench.run("tiny", tmp_path, progress=False)
    assert not (tmp_path / "bench_tiny.json").exists()


def test_live_time_small():
    r = bench.live_time(2**8, 2, 4, repeats=2)
    assert set(r["median_seconds"]) == set(ba.CONTENDERS) and r["repeats"] == 2
    with pytest.raises(ValueError, match="m"):
        bench.live_time(0, 2)
