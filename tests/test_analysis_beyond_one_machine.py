"""The chapter "Beyond one machine": constants, layout and verdict from a hand-built results file (known answers)."""
import math

import numpy as np
import pytest

pytest.importorskip("distributed")
from _distributed_fake import C0, C1, C_PAIR, FROM, TO, fake_data  # noqa: E402

from firesets.analysis import beyond_one_machine as A  # noqa: E402

EXACT = {"max_abs_diff": 0.0, "fire_sets_equal": True, "steps": 5}


def test_constants_recover_the_planted_values():
    c = A.constants(fake_data())
    assert c["c_pair"] == pytest.approx(C_PAIR, rel=1e-12)
    assert c["c0"] == pytest.approx(C0, rel=1e-9) and c["c1"] == pytest.approx(C1, rel=1e-9)
    assert c["bytes_per_shard"] == TO + FROM and (c["n"], c["d"]) == (4, 8)
    assert c["fit_widths"] == [2**18, 2**19, 2**20]


def test_layout_closed_form():
    c = A.constants(fake_data())
    m, P, b = 2**28, 64, 2.5
    L = A.layout(m, P, c, b)
    k = 4 * m * 0.5 * math.erfc(b / math.sqrt(2))  # n m Q(b)
    rows = -(-m // P)
    M = 1 << (rows - 1).bit_length()
    mem = 8 * 4 * 2 * M + 8 * (rows + 4) * 8 + 8 * rows  # n trees of 2M slots, W and X copies, a
    assert L["pairs"] == pytest.approx(k, rel=1e-12)
    assert L["mem_per_worker"] == pytest.approx(mem, rel=1e-12)
    assert L["bytes_per_step"] == (TO + FROM) * P
    assert L["shard_s"] == pytest.approx(C_PAIR * k / P, rel=1e-9)
    assert L["client_s"] == pytest.approx(C0 + C1 * P, rel=1e-9)
    assert L["p_star"] == pytest.approx(math.sqrt(C_PAIR * k / C1), rel=1e-9)
    assert L["client_bound"] == (P > L["p_star"])
    # default b: the paper's threshold sqrt(0.4 ln m)
    assert A.layout(m, P, c)["b"] == pytest.approx(math.sqrt(0.4 * math.log(m)))
    # the step time is smallest at P* (the two shares cross there)
    Ps = np.arange(1, 4000)
    best = Ps[np.argmin([A.layout(m, int(p), c, b)["step_s"] for p in Ps])]
    assert abs(best - L["p_star"]) <= 1


def test_layout_table_and_runs_table():
    c = A.constants(fake_data())
    t = A.layout_table(c, log2m=(26, 30), Ps=(1, 1024))
    assert list(t["m"]) == ["2^26", "2^26", "2^30", "2^30"] and list(t["P"]) == [1, 1024, 1, 1024]
    assert set(t["bottleneck"]) <= {"client", "shards"}
    r = A.runs_table(fake_data())
    assert list(r["m"]) == [2**18, 2**19, 2**20]
    assert r["bytes (2)"].tolist() == [2 * (TO + FROM)] * 3
    assert r["shard ms (1)"].tolist() == pytest.approx([1e3 * C_PAIR * p for p in (1000, 2000, 3000)])
    assert r["no Dask ms"].tolist() == pytest.approx([5.0, 10.0, 15.0])


def test_split_table():
    t = A.split_table(fake_data())
    assert list(t["m"]) == ["2^18", "2^19", "2^20"]
    assert t.iloc[:, 1].tolist() == pytest.approx([0.55] * 3)  # (60 + 50) / (100 + 100)
    assert t.iloc[:, 2].tolist() == pytest.approx([0.5] * 3)  # each of two shards: half the pairs' time


def test_traffic():
    t = A.traffic(fake_data())
    assert t[1] == {"min": TO + FROM, "max": TO + FROM, "m_min": 2**18, "m_max": 2**20, "per_shard": TO + FROM}
    assert A.traffic(fake_data(flat=False))[2]["max"] == 2 * (TO + FROM) + 500


@pytest.mark.parametrize("data, check, word", [
    (fake_data(), EXACT, "supported"),
    (fake_data(flat=False), EXACT, "not shown"),
    (fake_data(balanced=False), EXACT, "not shown"),
    (fake_data(), dict(EXACT, max_abs_diff=1e-3), "not shown"),
    (fake_data(), dict(EXACT, fire_sets_equal=False), "not shown"),
])
def test_verdict_follows_its_criteria(data, check, word):
    text, glue = A.verdict(data, check)
    assert word in text.splitlines()[0] and word in glue
    assert all(len(line) <= 100 for line in text.splitlines())
    if word == "supported":
        assert "55%" in text and "55%" in glue  # busiest of two shards: (60 + 50) / (100 + 100)


def test_constants_refuse_incomplete_data():
    d = fake_data()
    d["overhead"] = d["overhead"][:1]
    with pytest.raises(ValueError, match="overhead"):
        A.constants(d)
    d = fake_data()
    d["runs"] = [r for r in d["runs"] if r.get("workers") != 1]
    with pytest.raises(ValueError, match="one-worker"):
        A.constants(d)


def test_live_check_matches_one_machine():
    res = A.live_check(m=30, n=3, d=3, steps=2, shards=2, b=0.2)
    assert res["fire_sets_equal"] and res["max_abs_diff"] < 1e-12 and res["loss_rel_diff"] < 1e-10


def test_texts_wrap_and_say_what_was_computed():
    d = fake_data()
    d["settings"].update(eta=1.0, steps=8, mem_gib=3.0)
    d["command"] = "python -m firesets.bench --sweep distributed"
    d["machine"] = {"cpu_model": "cpu", "cpu_count": 2, "memory_bytes": 2**34, "numpy": "1", "dask": "2",
                    "distributed": "3"}
    c = A.constants(d)
    texts = [A.setting_text(d, "data/x.json"), A.check_text(dict(EXACT, m=10, n=2, d=3, shards=2)),
             A.traffic_text(d), A.constants_text(c), A.p_star_text(c)]
    for t in texts:
        assert all(len(line) <= 100 for line in t.splitlines())
    assert "16 GiB" in texts[0] and "1 worker(s): 220 to 220" in texts[2] and "skipped" in texts[2]
    assert "c_1 = 0.200 ms" in texts[3] and "c_0 = 1.00 ms" in texts[3] and "1.00 us" in texts[3]
    P30 = A.layout(2**30, 1, c)["p_star"]
    assert f"P* = {P30:.0f}" in texts[4].splitlines()[-1]


def test_live_check_sgd_matches_one_machine():
    res = A.live_check_sgd(m=40, n=10, d=3, B=4, steps=3, shards=2, b=0.2)
    assert res["fire_counts_equal"] is True and res["max_abs_diff"] < 1e-12
    text = A.check_sgd_text(res)
    assert "fire counts of every batch equal: True" in text and "B = 4" in text
