"""The scaling run writes a results file that the chapter's analysis reads (tiny grid, loopback cluster)."""
import json

import pytest

pytest.importorskip("distributed")

from firesets.bench import distributed as bd  # noqa: E402
from firesets.analysis import beyond_one_machine as A  # noqa: E402


def test_tiny_run_feeds_the_analysis(tmp_path):
    out = tmp_path / "d.json"
    assert bd.main(["--tiny", "--out", str(out), "--no-progress"]) == 0
    data = json.loads(out.read_text())
    assert {r["workers"] for r in data["runs"]} == {1, 2}
    assert all(r["status"] == "ok" for r in data["runs"])
    for r in data["runs"]:
        assert sum(r["shard_rows"]) == r["m"] and len(r["shard_rows"]) == r["workers"]
        # payload: every shard gets n floats + eta and answers with n floats + counters, at every width
        assert r["bytes_to_shards"] == r["workers"] * data["runs"][0]["bytes_to_shards"]
        assert r["fire_pairs"] > 0 and len(r["loss"]) == data["settings"]["steps"] + 1
    # both worker counts train the same network (chunked_init): the same losses up to rounding
    for m in {r["m"] for r in data["runs"]}:
        l1, l2 = (next(r["loss"] for r in data["runs"] if r["m"] == m and r["workers"] == w) for w in (1, 2))
        assert l1 == pytest.approx(l2, rel=1e-10)
    assert [o["shards"] for o in data["overhead"]] == [1, 2, 4]
    c = A.constants(data)
    assert c["c_pair"] > 0 and c["bytes_per_shard"] > 8 * data["settings"]["n"]
    assert A.layout(2**30, 64, c)["mem_per_worker"] > 0


def test_memory_estimate():
    # the estimate: P DTrees over ceil(m / P) = 5 rows each: the (5, 3) leaves plus a heap of 2 * pow2(5) / L
    # nodes per tree with leaf blocks of L = 2 (the largest power of two with L n <= 8), W, X and a
    assert bd.shard_memory_estimate(10, 3, 2, 2) == 2 * (8 * 3 * (5 + 2 * 8 // 2) + 8 * (5 + 3) * 2 + 8 * 5)
