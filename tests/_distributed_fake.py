"""A hand-built results file of ``python -m firesets.bench --sweep distributed`` with known constants (for the tests)."""

C_PAIR, C0, C1, TO, FROM = 1e-6, 1e-3, 2e-4, 100, 120


def fake_data(flat=True, balanced=True):
    runs = []
    for w in (1, 2):
        for j, k in enumerate((18, 19, 20)):
            pairs = 1000 * (j + 1)
            extra = 0 if flat or k < 20 else 500
            work2 = [60, 50] if balanced else [90, 50]
            runs.append({
                "workers": w, "shards": w, "m": 2**k, "status": "ok",
                "seconds": {"wall": 0.01 * (j + 1), "shard_update": 0.6 * C_PAIR * pairs / w,
                            "shard_forward": 0.4 * C_PAIR * pairs / w, "reduce": 1e-5},
                "bytes_to_shards": TO * w, "bytes_from_shards": FROM * w + extra,
                "fire_pairs": pairs, "union": pairs // 2,
                "shard_bytes": [2**k * 100 // w] * w, "shard_rows": [2**k // w] * w,
                "shard_step_counters": ([{"nodes_visited": 100, "nodes_written": 100, "inner_products": 1}]
                                        if w == 1 else
                                        [{"nodes_visited": v, "nodes_written": 50, "inner_products": 1}
                                         for v in work2]),
            })
    runs.append({"workers": 2, "shards": 2, "m": 2**30, "status": "skipped", "reason": "memory"})
    overhead = [{"shards": P, "m": 64 * P, "wall": 0.002 + C0 + 5e-4 + C1 * P, "compute": 0.002, "reduce": 1e-5,
                 "client_cpu": 5e-4 + C1 * P, "bytes_per_step": 220 * P} for P in (1, 2, 4, 8)]
    in_process = [{"m": 2**k, "status": "ok", "seconds": {"wall": 0.005 * (k - 17)}} for k in (18, 19, 20)]
    return {"settings": {"n": 4, "d": 8}, "runs": runs, "overhead": overhead, "in_process": in_process}
