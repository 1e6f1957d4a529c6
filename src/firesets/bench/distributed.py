"""``python -m firesets.bench --sweep distributed``: GD with the DTree sharded over neurons on a local Dask cluster.

Chapter: ``book/beyond_one_machine.md``. Writes ``book/data/distributed_scaling.json`` (``--out`` another path).

Three measurements, all on a loopback ``LocalCluster`` (one thread per worker process):

``runs``
    For 1 and 2 workers (one shard per worker) and ``m = 2^14 .. 2^22`` (``n`` points on the unit sphere of
    ``R^d``, ``b = sqrt(0.4 ln m)``, rows drawn on the shards by :func:`firesets.distributed.chunked_init`, so both
    worker counts train the same network): the seconds to build the shards, then ``steps`` GD steps with, per step,
    the round trip seen by the client (``wall``), the slowest shard's update and forward, the client's reduction,
    the payload bytes each way, the firing pairs and ``|U|``; the bytes each shard holds; the losses. A configuration
    whose estimated memory exceeds ``--mem-gib`` is recorded as skipped.
``in_process``
    The same shard code without Dask (one ``_Shard`` in this process) at the same ``m``: the one-machine time.
``overhead``
    The client's cost per shard: a tiny network (``m = 64 P``) split into ``P = 1 .. 32`` shards on the 2-worker
    cluster; per step the wall time, the shards' compute and the client process's CPU seconds, against ``P``.
    (With many shards on two worker processes the wall time also queues on the workers; the client's CPU time
    is what a cluster with one machine per shard would still pay per shard.)

Machine info (CPU, memory, versions), the load averages at start and end and the elapsed time are recorded too.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from ..network import paper_threshold
from ..trees import estimate_memory_bytes

__all__ = ["DEFAULTS", "shard_memory_estimate", "machine_info", "run", "main"]

DEFAULTS = dict(log2m=[14, 16, 18, 20, 22], workers=[1, 2], n=4, d=32, steps=8, mem_gib=3.0, seed=0, eta=1.0,
                overhead_shards=[1, 2, 4, 8, 16, 32], overhead_steps=12)
SCHEMA_VERSION = 1


def shard_memory_estimate(m: int, n: int, d: int, shards: int) -> int:
    """Bytes all shards hold together: each a DTree over ``ceil(m / P)`` rows (trees, ``W``, ``X``) and its ``a``."""
    rows = -(-m // shards)
    return shards * (estimate_memory_bytes("dtree", rows, n, d) + 8 * rows)


def machine_info() -> dict:
    """CPU model, core count, memory, Python, numpy, dask and distributed versions."""
    import dask
    import distributed

    cpu, mem = platform.processor() or "", None
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
        with open("/proc/meminfo") as fh:
            mem = next((int(ln.split()[1]) * 1024 for ln in fh if ln.startswith("MemTotal:")), None)
    except OSError:  # pragma: no cover - not Linux
        pass
    return {"platform": platform.platform(), "cpu_model": cpu, "cpu_count": os.cpu_count(), "memory_bytes": mem,
            "python": sys.version.split()[0], "numpy": np.__version__, "dask": dask.__version__,
            "distributed": distributed.__version__}


def _load() -> list:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def _data(n, d, seed):
    gen = np.random.default_rng([seed, 1])
    X = gen.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.where(gen.integers(0, 2, size=n) == 1, 1.0, -1.0)
    return X, y


def _median(xs):
    return float(np.median(xs)) if len(xs) else None


def _summarize_log(log) -> dict:
    """Medians over the steps after the first (the first pays one-off costs) of the per-step records."""
    sel = slice(1, None) if len(log.seconds) > 1 else slice(None)
    secs = log.seconds[sel]
    return {
        "seconds": {k: _median([s[k] for s in secs]) for k in ("wall", "shard_update", "shard_forward", "reduce",
                                                               "client_cpu")},
        "bytes_to_shards": _median(log.bytes_to_shards[sel]),
        "bytes_from_shards": _median(log.bytes_from_shards[sel]),
        "fire_pairs": _median(log.fire_pairs[:-1][sel]),
        "union": _median(log.union[sel]),
        "loss": list(map(float, log.loss)),
        "per_step": {"wall": [s["wall"] for s in log.seconds], "bytes_to_shards": list(log.bytes_to_shards),
                     "bytes_from_shards": list(log.bytes_from_shards), "fire_pairs": list(log.fire_pairs),
                     "union": list(log.union)},
    }


def _run_cluster(client, m, X, y, shards, steps, eta, seed):
    from ..distributed import ShardedGD

    t0 = time.perf_counter()
    run = ShardedGD.from_seed(m, X, y, client=client, shards=shards, seed=seed)
    run.start()
    build = time.perf_counter() - t0
    before = run.info()
    for _ in range(steps):
        run.step(eta)
    info = run.info()
    run.close()
    # the trees' operation counts of the steps alone, per shard (INIT excluded)
    ops = [{k: r1["counters"][k] - r0["counters"][k] for k in r1["counters"]} for r0, r1 in zip(before, info)]
    out = {"build_seconds": build, "shard_bytes": [r["nbytes"] for r in info],
           "shard_rows": [r["rows"] for r in info], "shard_step_counters": ops}
    out.update(_summarize_log(run.log))
    return out


def _run_in_process(m, X, y, steps, eta, seed):
    """One shard holding every neuron, in this process: the shard code's one-machine time, no Dask."""
    from ..distributed import _Shard

    t0 = time.perf_counter()
    sh = _Shard(X, y, paper_threshold(m), m, 0, m, seed=seed)
    res = sh.start()
    build = time.perf_counter() - t0
    walls, u = [], res["u"]
    for _ in range(steps):
        t1 = time.perf_counter()
        res = sh.step(u - y, eta)
        walls.append(time.perf_counter() - t1)
        u = res["u"]
    return {"build_seconds": build, "seconds": {"wall": _median(walls[1:] if len(walls) > 1 else walls)},
            "per_step": {"wall": walls}, "shard_bytes": [sh.info()["nbytes"]]}


def _overhead(client, X, y, shard_counts, steps, eta, seed):
    from ..distributed import ShardedGD

    rows = []
    for P in shard_counts:
        run = ShardedGD.from_seed(64 * P, X, y, client=client, shards=P, seed=seed)
        run.start()
        for _ in range(steps):
            run.step(eta)
        run.close()
        secs = run.log.seconds[1:]
        rows.append({"shards": P, "m": 64 * P,
                     "wall": _median([s["wall"] for s in secs]),
                     "compute": _median([s["shard_update"] + s["shard_forward"] for s in secs]),
                     "reduce": _median([s["reduce"] for s in secs]),
                     "client_cpu": _median([s["client_cpu"] for s in secs]),
                     "bytes_per_step": _median([a + b for a, b in zip(run.log.bytes_to_shards[1:],
                                                                      run.log.bytes_from_shards[1:])])})
    return rows


def run(out=None, *, log2m=None, workers=None, n=None, d=None, steps=None, mem_gib=None, seed=None,
        overhead_shards=None, progress=True, command="python -m firesets.bench --sweep distributed") -> dict:
    """Run the three measurements and write the JSON (``out``: default ``book/data/distributed_scaling.json``)."""
    from ..distributed import local_cluster

    s = dict(DEFAULTS)
    for k, v in dict(log2m=log2m, workers=workers, n=n, d=d, steps=steps, mem_gib=mem_gib, seed=seed,
                     overhead_shards=overhead_shards).items():
        if v is not None:
            s[k] = v
    X, y = _data(s["n"], s["d"], s["seed"])
    say = print if progress else (lambda *a, **k: None)
    t_start, load_start = time.perf_counter(), _load()
    runs, in_process, overhead = [], [], []
    budget = s["mem_gib"] * 2**30
    for w in s["workers"]:
        cluster = local_cluster(w)
        from distributed import Client

        client = Client(cluster)
        try:
            for k in s["log2m"]:
                m = 2**k
                est = shard_memory_estimate(m, s["n"], s["d"], w)
                entry = {"workers": w, "shards": w, "m": m, "n": s["n"], "d": s["d"], "b": paper_threshold(m),
                         "mem_estimate_bytes": est}
                if est > budget:
                    entry.update(status="skipped", reason=f"memory estimate above {s['mem_gib']:g} GiB")
                else:
                    entry.update(status="ok", **_run_cluster(client, m, X, y, w, s["steps"], s["eta"], s["seed"]))
                    say(f"workers={w} m=2^{k}: {entry['seconds']['wall'] * 1e3:.1f} ms/step")
                runs.append(entry)
            if w == max(s["workers"]):
                overhead = _overhead(client, X, y, s["overhead_shards"], s["overhead_steps"], s["eta"], s["seed"])
        finally:
            client.close()
            cluster.close()
    for k in s["log2m"]:
        m = 2**k
        est = shard_memory_estimate(m, s["n"], s["d"], 1)
        entry = {"m": m, "n": s["n"], "d": s["d"], "b": paper_threshold(m), "mem_estimate_bytes": est}
        if est > budget:
            entry.update(status="skipped", reason=f"memory estimate above {s['mem_gib']:g} GiB")
        else:
            entry.update(status="ok", **_run_in_process(m, X, y, s["steps"], s["eta"], s["seed"]))
            say(f"in-process m=2^{k}: {entry['seconds']['wall'] * 1e3:.1f} ms/step")
        in_process.append(entry)
    data = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "settings": {k: s[k] for k in s} | {"threshold": "sqrt(0.4 ln m)", "data": "unit sphere, labels +-1",
                                             "threads_per_worker": 1, "cluster": "LocalCluster, loopback"},
        "load_start": load_start,
        "load_end": _load(),
        "elapsed_seconds": time.perf_counter() - t_start,
        "runs": runs,
        "in_process": in_process,
        "overhead": overhead,
    }
    path = Path(out) if out else Path(__file__).resolve().parents[3] / "book" / "data" / "distributed_scaling.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))
    data["path"] = str(path)
    return data


def main(argv=None) -> int:
    """Command line: ``python -m firesets.bench --sweep distributed [--out PATH] [--tiny] [--mem-gib G]``."""
    parser = argparse.ArgumentParser(prog="python -m firesets.bench --sweep distributed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="output .json (default book/data/distributed_scaling.json)")
    parser.add_argument("--mem-gib", type=float, default=DEFAULTS["mem_gib"],
                        help="skip widths whose shards would hold more than this (GiB, all shards together)")
    parser.add_argument("--tiny", action="store_true", help="a seconds-long run (m = 2^8, 2^10; for tests)")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    kw = dict(log2m=[8, 10], steps=3, overhead_shards=[1, 2, 4]) if args.tiny else {}
    command = " ".join(["python -m firesets.bench --sweep distributed", *(sys.argv[1:] if argv is None else argv)])
    data = run(args.out, mem_gib=args.mem_gib, seed=args.seed, progress=not args.no_progress, command=command, **kw)
    ok = sum(r["status"] == "ok" for r in data["runs"])
    print(f"wrote {data['path']} ({ok} of {len(data['runs'])} cluster runs, {data['elapsed_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
