"""``python -m firesets.bench``: per-iteration cost of dense GD against the scan, DTree and WTree steppers (Chapter 4).

Chapter: ``book/training_with_trees.ipynb``. Writes ``book/data/bench_<grid>.json`` (``--quick``, ``--tiny`` select
the smaller grids, ``--out`` another path). The results file holds ``machine`` (CPU, memory, Python, numpy, BLAS
libraries), ``settings`` (grid, eta, threshold rule, seed, memory budget, BLAS threads = 1), the load averages at
start and end, ``elapsed_seconds``, ``summary`` (:func:`firesets.analysis.training_with_trees.summarize`) and one entry per
configuration in ``configs``:
``m, n, d, b, status`` (``"ok"`` or ``"skipped"`` with ``reason``), ``mem_estimate_bytes``, ``repeats``,
``build_seconds``, per-round ``seconds`` and ``floor_seconds``, ``median_seconds``, ``ratio_vs_dense`` and
``overhead_vs_floor`` (medians of per-round ratios), and medians over rounds of ``phases`` and ``counts`` (the
steppers' ``last_phase_seconds`` and ``last_counters``). Reading the file (exponents, Theorem 4.1's terms, the
verdict) is :mod:`firesets.analysis.training_with_trees`.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from ._validate import as_rng, check_positive_int
from .analysis.training_with_trees import CONTENDERS, FIT_MIN_M, SCHEMA_VERSION, ok_configs, summarize
from .trees.maxtree import padded_size
from .network import TwoLayerReLU, paper_threshold

__all__ = [
    "GRIDS",
    "make_data",
    "memory_estimate",
    "machine_info",
    "time_config",
    "run",
    "live_time",
    "main",
]

#: the grids: m, n, d values; seconds of stepping to aim at per configuration; min and max repeats
GRIDS = {
    "full": dict(m=[2**k for k in range(12, 23)], n=[1, 4, 16, 64], d=[16, 64], budget=8.0, rmin=5, rmax=25),
    "quick": dict(m=[2**k for k in range(12, 21, 2)], n=[1, 4, 16], d=[64], budget=0.8, rmin=3, rmax=9),
    "tiny": dict(m=[2**6, 2**9], n=[1, 3], d=[4], budget=0.05, rmin=2, rmax=3),
}
DEFAULT_MEM_GIB = 6.0
ETA = 1.0


# ------------------------------------------------------------------------------------------------ setup
def make_data(n: int, d: int, rng=0):
    """``n`` points uniform on the unit sphere of R^d (the paper's ``||x_i||_2 = 1``) and labels in ``{-1, +1}``."""
    gen = as_rng(rng)
    X = gen.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.where(gen.integers(0, 2, size=n) == 1, 1.0, -1.0)
    return X, y


def memory_estimate(m: int, n: int, d: int) -> int:
    """Bytes held at once when the four contenders coexist (interleaved timing), plus one step's temporaries.

    The source ``W`` (``8 m d``); dense: its copy of ``W`` and the ``m x n`` buffers (``9 m n``); scan: ``W`` and the
    matrix ``W X^T``; DTree: ``W`` and ``n`` trees of ``2 pow2(m)`` slots; WTree: ``W`` and ``m`` trees of
    ``2 pow2(n)`` slots; temporaries: a step on the union (at most ``m`` rows of ``n + 2 d`` floats) and a scan mask.
    """
    m, n, d = int(m), int(n), int(d)
    W = 8 * m * d
    dense = W + 9 * m * n
    scan = W + 8 * m * n
    dtree = W + 16 * n * padded_size(m)
    wtree = W + 16 * m * padded_size(n)
    temp = 8 * m * (n + 2 * d) + 9 * m * n
    return W + dense + scan + dtree + wtree + temp


def machine_info() -> dict:
    """The machine: CPU model, core count, memory, Python/numpy versions, BLAS libraries (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:  # pragma: no cover
        pass
    mem = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem = int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover
        pass
    caches = []
    for idx in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            caches.append({f: (idx / f).read_text().strip() for f in ("level", "type", "size")})
        except OSError:  # pragma: no cover
            pass
    return {
        "caches": caches,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "memory_bytes": mem,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": [
            {k: v for k, v in lib.items()
             if k in ("user_api", "internal_api", "version", "num_threads", "architecture")}
            for lib in threadpool_info()
        ],
    }


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


# ------------------------------------------------------------------------------------------------ timing
def _load_blas() -> None:
    """Import every module whose BLAS the contenders call (numpy's and scipy's OpenBLAS are two libraries).

    ``threadpoolctl.threadpool_limits`` only limits the libraries loaded when it is entered; scipy's BLAS (the
    ``dgemm`` of the dense and sparse steps) would otherwise load later and run with all cores.
    """
    import scipy.linalg.blas  # noqa: F401

    from . import steppers, training  # noqa: F401


def _floor_time(X: np.ndarray, C: np.ndarray, Wu: np.ndarray) -> float:
    """Seconds of the unavoidable products of a sparse step: ``C X`` (gradient rows) and ``X W_U^T`` (new leaves)."""
    t = time.perf_counter()
    C @ X
    X @ Wu.T
    return time.perf_counter() - t


def time_config(net: TwoLayerReLU, X, y, *, contenders=CONTENDERS, budget=1.0, rmin=3, rmax=9, eta=ETA, rng=0) -> dict:
    """Time interleaved GD steps of every contender on one ``(m, n, d)``; medians of per-repeat ratios.

    Each contender is built on the same ``(net, X, y)`` (build times recorded), takes one warm-up step, then
    ``R`` rounds follow; in round ``j`` every contender takes one step (``record=False``) in an order rotated by
    ``j``. ``R = clip(budget / warm-up round time, rmin, rmax)``. Each round also times the *floor*: the two matrix
    products a sparse step cannot avoid (``C X`` and ``X W_U^T`` with ``|U|`` = the DTree's last union size).

    Returns
    -------
    dict
        ``seconds`` (per-round times per contender), ``median_seconds``, ``ratio_vs_dense`` (median over rounds of
        ``t_dense / t_c``), ``phases`` and ``counts`` (medians over rounds), ``floor_seconds``,
        ``overhead_vs_floor`` (median over rounds of ``t_c / t_floor``), ``build_seconds``, ``repeats``.
    """
    from .training import make_stepper

    gen = as_rng(rng)
    steppers, build = {}, {}
    for name in contenders:
        t = time.perf_counter()
        steppers[name] = make_stepper(name, net, X, y)
        build[name] = time.perf_counter() - t
    t = time.perf_counter()
    for s in steppers.values():
        s.step(eta, record=False)
    warm = time.perf_counter() - t
    R = int(min(rmax, max(rmin, budget // max(warm, 1e-9))))
    n, d = X.shape
    # the floor's operands: |U| rows, |U| = the union of the last warm-up step (DTree's, else any sparse one)
    pick = ["dtree"] + [k for k in steppers if k != "dtree"]
    unions = [getattr(steppers[k], "last_counters", {}).get("union") for k in pick if k in steppers]
    union = max(1, int(next((u for u in unions if u is not None), 1)))
    C = gen.standard_normal((union, n))
    Wu = gen.standard_normal((union, d))
    secs = {name: [] for name in contenders}
    phases = {name: [] for name in contenders}
    counts = {name: [] for name in contenders}
    floor = []
    names = list(contenders)
    for j in range(R):
        order = names[j % len(names):] + names[: j % len(names)]
        for name in order:
            s = steppers[name]
            t = time.perf_counter()
            s.step(eta, record=False)
            secs[name].append(time.perf_counter() - t)
            phases[name].append(dict(getattr(s, "last_phase_seconds", {}) or {}))
            counts[name].append(dict(getattr(s, "last_counters", {}) or {}))
        floor.append(_floor_time(X, C, Wu))
    out = {
        "repeats": R,
        "build_seconds": build,
        "seconds": secs,
        "median_seconds": {k: float(np.median(v)) for k, v in secs.items()},
        "floor_seconds": floor,
        "floor_median_seconds": float(np.median(floor)),
        "phases": {},
        "counts": {},
        "ratio_vs_dense": {},
        "overhead_vs_floor": {},
    }
    for name in contenders:
        keys = sorted({k for p in phases[name] for k in p})
        out["phases"][name] = {k: float(np.median([p.get(k, 0.0) for p in phases[name]])) for k in keys}
        keys = sorted({k for c in counts[name] for k in c})
        out["counts"][name] = {k: float(np.median([c.get(k, 0) for c in counts[name]])) for k in keys}
        if "dense" in secs:
            out["ratio_vs_dense"][name] = float(np.median(np.array(secs["dense"]) / np.array(secs[name])))
        out["overhead_vs_floor"][name] = float(np.median(np.array(secs[name]) / np.array(floor)))
    del steppers
    return out


def run(grid: str = "quick", out=None, *, mem_gib: float = DEFAULT_MEM_GIB, seed: int = 0, progress: bool = True,
        grid_override: dict | None = None) -> dict:
    """Run a benchmark grid with BLAS pinned to one thread and write the JSON results file.

    Parameters
    ----------
    grid : {"full", "quick", "tiny"}
        Which grid of ``GRIDS``.
    out : path or None
        Output file (or directory, then ``bench_<grid>.json`` inside it). ``None``: ``book/data/bench_<grid>.json``
        relative to the current directory.
    mem_gib : float
        Configurations whose :func:`memory_estimate` exceeds this many GiB are skipped (recorded with the reason).
    seed : int
        Seed of the networks and data.
    progress : bool
        Show a tqdm progress bar on stderr.
    grid_override : dict, optional
        Replace entries of the grid (for tests).

    Returns
    -------
    dict
        The results written (schema ``SCHEMA_VERSION``; see the chapter for the fields).
    """
    from threadpoolctl import threadpool_info, threadpool_limits
    from tqdm.auto import tqdm

    if grid not in GRIDS:
        raise ValueError(f"grid: expected one of {sorted(GRIDS)}, got {grid!r}")
    _load_blas()  # every BLAS library must be loaded before the limit is entered, or it escapes the limit
    if not (isinstance(mem_gib, (int, float)) and math.isfinite(mem_gib) and mem_gib > 0):
        raise ValueError(f"mem_gib: expected a positive number of GiB, got {mem_gib!r}")
    seed = check_positive_int(seed, "seed", minimum=0)
    spec = dict(GRIDS[grid])
    spec.update(grid_override or {})
    path = Path(out) if out is not None else Path("book") / "data"
    if path.suffix != ".json":
        path = path / f"bench_{grid}.json"
    path.parent.mkdir(parents=True, exist_ok=True)

    configs = [(m, n, d) for d in spec["d"] for m in spec["m"] for n in spec["n"]]
    started = time.time()
    data = {
        "schema_version": SCHEMA_VERSION,
        "kind": "firesets-bench",
        "grid": grid,
        "command": "python -m firesets.bench" + ("" if grid == "full" else f" --{grid}"),
        "started": _dt.datetime.fromtimestamp(started, _dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "load_average_start": _load(),
        "settings": {
            "m": list(spec["m"]),
            "n": list(spec["n"]),
            "d": list(spec["d"]),
            "contenders": list(CONTENDERS),
            "eta": ETA,
            "b": "paper_threshold(m) = sqrt(0.4 ln m)",
            "data": "x_i uniform on the unit sphere, y_i uniform in {-1, +1}",
            "init": "TwoLayerReLU.init(m, d, rng=seed + m + d)",
            "seed": seed,
            "mem_budget_gib": float(mem_gib),
            "budget_seconds_per_config": spec["budget"],
            "repeats_min": spec["rmin"],
            "repeats_max": spec["rmax"],
            "blas_threads": 1,
            "fit_min_m": FIT_MIN_M,
        },
        "configs": [],
    }
    with threadpool_limits(limits=1):
        data["threads_inside_limit"] = [
            {k: v for k, v in lib.items() if k in ("internal_api", "filepath", "num_threads")}
            for lib in threadpool_info()
        ]
        if any(lib["num_threads"] != 1 for lib in data["threads_inside_limit"]):
            raise RuntimeError(f"BLAS threads not pinned to 1: {data['threads_inside_limit']}")
        bar = tqdm(total=len(configs), desc=f"bench {grid}", disable=not progress, file=sys.stderr)
        current = (None, None)
        net = None
        for m, n, d in configs:
            bar.set_postfix_str(f"m=2^{int(math.log2(m))} n={n} d={d}")
            entry = {"m": m, "n": n, "d": d, "b": paper_threshold(m), "mem_estimate_bytes": memory_estimate(m, n, d)}
            if entry["mem_estimate_bytes"] > mem_gib * 2**30:
                entry.update(status="skipped", reason=(
                    f"memory estimate {entry['mem_estimate_bytes'] / 2**30:.1f} GiB "
                    f"exceeds the budget {mem_gib:g} GiB"))
                data["configs"].append(entry)
                bar.update(1)
                continue
            if current != (m, d):
                net = None
                net = TwoLayerReLU.init(m, d, rng=seed + m + d)
                current = (m, d)
            X, y = make_data(n, d, rng=seed + 7919 * n + d)
            entry["load_average"] = _load()
            entry.update(status="ok", reason=None)
            entry.update(time_config(net, X, y, budget=spec["budget"], rmin=spec["rmin"], rmax=spec["rmax"],
                                     rng=seed + m + n + d))
            data["configs"].append(entry)
            bar.update(1)
        bar.close()
        net = None
    finished = time.time()
    data["finished"] = _dt.datetime.fromtimestamp(finished, _dt.timezone.utc).isoformat(timespec="seconds")
    data["elapsed_seconds"] = finished - started
    data["load_average_end"] = _load()
    data["summary"] = summarize(data)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(path)
    data["path"] = str(path)
    return data


# ------------------------------------------------------------------------------------------------ live
def live_time(m: int, n: int, d: int = 32, b=None, *, repeats: int = 5, eta: float = ETA, rng=0) -> dict:
    """Re-time the four contenders at one small size (BLAS pinned to one thread): the chapter's live panel.

    Returns ``{"median_seconds": ..., "ratio_vs_dense": ..., "counts": ...}`` as in :func:`time_config`.
    """
    from threadpoolctl import threadpool_limits

    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    repeats = check_positive_int(repeats, "repeats")
    gen = as_rng(rng)
    net = TwoLayerReLU.init(m, d, b=b, rng=gen)
    X, y = make_data(n, d, rng=gen)
    _load_blas()
    with threadpool_limits(limits=1):
        res = time_config(net, X, y, budget=0.0, rmin=repeats, rmax=repeats, eta=eta, rng=gen)
    return {k: res[k] for k in ("median_seconds", "ratio_vs_dense", "counts", "phases", "repeats")}


# ------------------------------------------------------------------------------------------------ CLI
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firesets.bench", description=__doc__.splitlines()[0])
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="the small grid (about 2 minutes)")
    g.add_argument("--tiny", action="store_true", help="the test-suite grid (seconds)")
    parser.add_argument("--out", default=None, help="output .json file or directory (default book/data/)")
    parser.add_argument("--mem-gib", type=float, default=DEFAULT_MEM_GIB,
                        help="skip configurations above this memory estimate (GiB)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    grid = "quick" if args.quick else "tiny" if args.tiny else "full"
    data = run(grid, args.out, mem_gib=args.mem_gib, seed=args.seed, progress=not args.no_progress)
    print(f"wrote {data['path']} ({len(ok_configs(data))} of {len(data['configs'])} configurations timed, "
          f"{data['elapsed_seconds']:.0f} s)")
    print(json.dumps(data["summary"], indent=1))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
