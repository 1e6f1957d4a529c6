"""The SGD sweep runs end to end on its quick grid and writes what the chapter reads."""
import json
import math

import numpy as np
import pytest

from firesets.bench import sgd as bench_sgd
from firesets.data import normalize_rows


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("sgd")
    assert bench_sgd.main(["--quick", "--out-dir", str(out), "--no-progress"]) == 0
    return {p: json.loads((out / f"sgd_quick_{p}.json").read_text()) for p in bench_sgd.PARTS}


def test_every_part_written_with_machine_and_load(quick):
    for part, res in quick.items():
        assert res["part"] == part and res["blas_threads"] == 1
        assert res["machine"]["cpu_count"] >= 1 and len(res["load_average_start"]) == 3
        assert res["elapsed_seconds"] >= 0 and res["command"].startswith("python -m firesets.bench --sweep sgd")


def test_query_part_counts_are_consistent(quick):
    for c in quick["query"]["configs"]:
        assert c["status"] == "ok"
        pq = c["per_query"]
        assert pq["tests_failed"] <= pq["points_tested"] <= c["m"]
        assert pq["nodes_visited"] <= c["nodes_total"]
        assert math.isclose(c["b"], math.sqrt(0.4 * math.log(c["m"])))


def test_step_part_every_method_equal_to_dense(quick):
    for rec in quick["step"]["configs"]:
        for me, r in rec["methods"].items():
            if r["status"] == "ok":
                assert r["equal_to_dense"], me
                assert r["t_step"] > 0


def test_update_and_fired_and_convergence_parts(quick):
    for c in quick["update"]["configs"]:
        assert c["changed"] > 0 and c["work"] == c["build_work"] + c["update_nodes"]
    for s in quick["fired"]["stream"]:
        assert len(s["k_max_per_step"]) == quick["fired"]["settings"]["T"]
        assert max(s["k_max_per_step"]) <= s["m"]
    for r in quick["convergence"]["by_M"]:
        assert r["loss"][0] > 0 and len(r["steps"]) == len(r["loss"])


def test_planted_target_closed_form_and_mean_zero():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [math.sqrt(0.5), math.sqrt(0.5)]])
    # M sqrt(d) (z^2 - 1/d) with d = 2: z = 1 -> sqrt2/2 * M; z = 0 -> -sqrt2/2 * M; z^2 = 1/2 -> 0
    np.testing.assert_allclose(bench_sgd.planted_target(X, 2.0), [math.sqrt(2), -math.sqrt(2), 0.0], atol=1e-12)
    Z = normalize_rows(np.random.default_rng(0).standard_normal((200000, 4)))
    assert abs(bench_sgd.planted_target(Z, 1.0).mean()) < 0.01


def test_eta_rule_against_the_gaussian_tail():
    # P[N(0,1) > 1] = 0.158655...
    assert math.isclose(bench_sgd.eta_rule(16, 2, b=1.0), 0.5 / (2 * 0.15865525393145707), rel_tol=1e-9)
