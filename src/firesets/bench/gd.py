"""The GD sweep of ``python -m firesets.bench``: per-step cost of dense GD against the scan, DTree and WTree steppers.

Chapter: ``book/training_with_trees.md``. Writes ``book/data/bench_<grid>.json`` (``--quick``, ``--tiny`` select the
smaller grids, ``--out`` another path). The file holds ``machine``, ``settings`` (grid, eta, threshold rule, seed,
memory budget, BLAS threads = 1, ``timing``), the load averages at start and end, ``elapsed_seconds``,
``numba_first_call_seconds`` (compile or cache load of the kernels, once per file), ``summary``
(:func:`firesets.analysis.training_with_trees.summarize`) and one entry per configuration in ``configs``:
``m, n, d, b, status`` (``"ok"`` or ``"skipped"`` with ``reason``), ``mem_estimate_bytes``, ``repeats``,
``build_seconds``, per-step ``seconds`` per contender and ``floor_seconds``, ``median_seconds``, ``ratio_vs_dense``
(median dense step / median contender step), ``overhead_vs_floor`` (median step / median floor), and medians over
the steps of ``phases`` and ``counts`` (the steppers' ``last_phases`` and ``last_counters``).

The contenders are timed ONE AT A TIME (build one, warm it up, time ``R`` steps, free it), so that only one
structure lives at once: m = 2^22 at d = 64 fits a 14 GiB budget for n <= 16. Reading the file is
:mod:`firesets.analysis.training_with_trees`.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import time
from pathlib import Path

import numpy as np

from .._validate import as_rng, check_finite_real, check_positive_int
from ..analysis.training_with_trees import CONTENDERS, FIT_MIN_M, SCHEMA_VERSION, ok_configs, summarize
from ..network import TwoLayerReLU, paper_threshold
from ..training import STEPPERS, train
from . import common

__all__ = ["GRIDS", "ETA", "make_data", "memory_estimate", "time_config", "run", "live_time", "main"]

#: the grids: m, n, d values; seconds of stepping to aim at per configuration; min and max repeats
GRIDS = {
    "full": dict(m=[2**k for k in range(12, 23)], n=[1, 4, 16, 64], d=[16, 64], budget=8.0, rmin=5, rmax=25),
    "quick": dict(m=[2**k for k in range(12, 21, 2)], n=[1, 4, 16], d=[64], budget=0.8, rmin=3, rmax=9),
    "tiny": dict(m=[2**6, 2**9], n=[1, 3], d=[4], budget=0.05, rmin=2, rmax=3),
}
DEFAULT_MEM_GIB = 14.0
ETA = 1.0


def make_data(n: int, d: int, rng=0):
    """``n`` points uniform on the unit sphere of R^d (the paper's ``||x_i||_2 = 1``) and labels in ``{-1, +1}``."""
    gen = as_rng(rng)
    X = gen.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = np.where(gen.integers(0, 2, size=n) == 1, 1.0, -1.0)
    return X, y


def _pow2(k: int) -> int:
    return 1 << max(0, (int(k) - 1).bit_length())


def memory_estimate(m: int, n: int, d: int) -> int:
    """Bytes held at once: the source network and the largest single contender, plus one step's temporaries.

    Source ``W`` (``8 m d``); dense: its ``W`` and the ``m x n`` buffers (``17 m n``); scan: ``W`` and ``W X^T``;
    DTree: ``W`` and ``n`` trees of ``2 pow2(m)`` slots; WTree: ``W`` and ``m`` trees of ``2 pow2(n)`` slots;
    temporaries: a step on the union (at most ``m`` rows: the reused row buffer ``8 m d``, pairs, ``G``).
    """
    m, n, d = int(m), int(n), int(d)
    W = 8 * m * d
    largest = W + max(17 * m * n, 8 * m * n, 16 * n * _pow2(m), 16 * m * _pow2(n))
    temp = 8 * m * d + 8 * m * (4 * n + 2)
    return W + largest + temp


def _floor_time(X: np.ndarray, G: np.ndarray, Wu: np.ndarray) -> float:
    """Seconds of the unavoidable products of a sparse step: ``G X`` (gradient rows) and ``X W_U^T`` (new leaves)."""
    t = time.perf_counter()
    G @ X
    X @ Wu.T
    return time.perf_counter() - t


def _time_one(name, net, X, y, eta, R):
    """Build one contender, one warm-up step, ``R`` timed steps; then free it."""
    t = time.perf_counter()
    s = STEPPERS[name](net, X, y)
    build = time.perf_counter() - t
    s.step(eta, record=False)
    secs, phases, counts = [], [], []
    for _ in range(R):
        t = time.perf_counter()
        s.step(eta, record=False)
        secs.append(time.perf_counter() - t)
        phases.append(dict(s.last_phases) if name != "dense" else {})
        counts.append(dict(s.last_counters))
    del s
    gc.collect()
    return build, secs, phases, counts


def time_config(net: TwoLayerReLU, X, y, *, contenders=CONTENDERS, budget=1.0, rmin=3, rmax=9, eta=ETA,
                rng=0) -> dict:
    """Time GD steps of each contender on one ``(m, n, d)``, one contender at a time.

    ``R = clip(budget / (len(contenders) t_1), rmin, rmax)`` with ``t_1`` one dense warm-up step. Each contender is
    built on the same ``(net, X, y)`` (build time recorded), takes one warm-up step, then ``R`` timed steps
    (``record=False``); then it is freed. The *floor* (the two matrix products a sparse step cannot avoid, ``G X``
    and ``X W_U^T`` with ``|U|`` = the DTree's union) is timed ``R`` times at the end.

    Returns
    -------
    dict
        ``seconds`` (per-step times per contender), ``median_seconds``, ``ratio_vs_dense`` (median dense / median
        contender), ``phases`` and ``counts`` (medians over the steps), ``floor_seconds``, ``floor_median_seconds``,
        ``overhead_vs_floor`` (median contender / median floor), ``build_seconds``, ``repeats``.
    """
    gen = as_rng(rng)
    names = list(contenders)
    probe = STEPPERS["dense"](net, X, y)
    t = time.perf_counter()
    probe.step(eta, record=False)
    warm = time.perf_counter() - t
    del probe
    R = int(min(rmax, max(rmin, budget // max(len(names) * warm, 1e-9))))
    build, secs, phases, counts = {}, {}, {}, {}
    for name in names:
        build[name], secs[name], phases[name], counts[name] = _time_one(name, net, X, y, eta, R)
    n, d = X.shape
    unions = [c.get("union") for k in ["dtree"] + names for c in counts.get(k, [])[-1:]]
    union = max(1, int(next((u for u in unions if u is not None), 1)))
    G, Wu = gen.standard_normal((union, n)), gen.standard_normal((union, d))
    floor = [_floor_time(X, G, Wu) for _ in range(R)]
    med = {k: float(np.median(v)) for k, v in secs.items()}
    fmed = float(np.median(floor))
    out = {"repeats": R, "build_seconds": build, "seconds": secs, "median_seconds": med, "floor_seconds": floor,
           "floor_median_seconds": fmed, "phases": {}, "counts": {}, "ratio_vs_dense": {}, "overhead_vs_floor": {}}
    for name in names:
        keys = sorted({k for p in phases[name] for k in p})
        out["phases"][name] = {k: float(np.median([p.get(k, 0.0) for p in phases[name]])) for k in keys}
        keys = sorted({k for c in counts[name] for k in c})
        out["counts"][name] = {k: float(np.median([c.get(k, 0) for c in counts[name]])) for k in keys}
        if "dense" in med:
            out["ratio_vs_dense"][name] = med["dense"] / med[name]
        out["overhead_vs_floor"][name] = med[name] / fmed
    return out


def _warm_kernels() -> None:
    """A first call of every stepper and of the ledger at a tiny size (compiles or loads the numba kernels)."""
    net = TwoLayerReLU.init(64, 4, rng=0)
    X, y = make_data(3, 4, rng=0)
    for name in STEPPERS:
        train(net, X, y, ETA, 2, method=name)


def run(grid: str = "quick", out=None, *, mem_gib: float = DEFAULT_MEM_GIB, seed: int = 0, progress: bool = True,
        grid_override: dict | None = None) -> dict:
    """Run a grid with BLAS pinned to one thread and write the JSON results file.

    Parameters
    ----------
    grid : {"full", "quick", "tiny"}
        Which grid of ``GRIDS``.
    out : path or None
        Output file (or directory, then ``bench_<grid>.json`` inside it); ``None``: ``book/data/bench_<grid>.json``.
    mem_gib : float
        Configurations whose :func:`memory_estimate` exceeds this many GiB are skipped (recorded with the reason).
    seed : int
        Seed of the networks and data.
    progress : bool
        Show a progress bar on stderr.
    grid_override : dict, optional
        Replace entries of the grid (for tests and small custom grids).
    """
    if grid not in GRIDS:
        raise ValueError(f"grid: expected one of {sorted(GRIDS)}, got {grid!r}")
    mem_gib = check_finite_real(mem_gib, "mem_gib", low=0.0, low_open=True)
    seed = check_positive_int(seed, "seed", minimum=0)
    spec = dict(GRIDS[grid])
    spec.update(grid_override or {})
    path = Path(out) if out is not None else Path("book") / "data"
    if path.suffix != ".json":
        path = path / f"bench_{grid}.json"
    configs = [(m, n, d) for d in spec["d"] for m in spec["m"] for n in spec["n"]]
    started = time.time()
    data = {
        "schema_version": SCHEMA_VERSION,
        "kind": "firesets-bench",
        "grid": grid,
        "command": "python -m firesets.bench" + ("" if grid == "full" else f" --{grid}"),
        "started": common.timestamp(started),
        "machine": common.machine_info(),
        "load_average_start": common.load_average(),
        "settings": {
            "m": list(spec["m"]), "n": list(spec["n"]), "d": list(spec["d"]),
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
            "timing": "one contender at a time: build, one warm-up step, R timed steps, free",
        },
        "configs": [],
    }
    with common.pinned_blas() as info:
        data["threads_inside_limit"] = info
        data["numba_first_call_seconds"] = common.numba_first_call_seconds(_warm_kernels)
        bar = common.progress(len(configs), f"bench {grid}", progress)
        current, net = None, None
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
            entry["load_average"] = common.load_average()
            entry.update(status="ok", reason=None)
            entry.update(time_config(net, X, y, budget=spec["budget"], rmin=spec["rmin"], rmax=spec["rmax"],
                                     rng=seed + m + n + d))
            data["configs"].append(entry)
            bar.update(1)
        bar.close()
        net = None
    finished = time.time()
    data["finished"] = common.timestamp(finished)
    data["elapsed_seconds"] = finished - started
    data["load_average_end"] = common.load_average()
    data["summary"] = summarize(data)
    common.write_json(data, path)
    data["path"] = str(path)
    return data


def live_time(m: int, n: int, d: int = 32, b=None, *, repeats: int = 5, eta: float = ETA, rng=0) -> dict:
    """Re-time the four contenders at one small size (BLAS pinned to one thread): the chapter's live panel.

    Returns ``{"median_seconds", "ratio_vs_dense", "counts", "phases", "repeats"}`` as in :func:`time_config`.
    """
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    repeats = check_positive_int(repeats, "repeats")
    gen = as_rng(rng)
    net = TwoLayerReLU.init(m, d, b=b, rng=gen)
    X, y = make_data(n, d, rng=gen)
    with common.pinned_blas():
        res = time_config(net, X, y, budget=0.0, rmin=repeats, rmax=repeats, eta=eta, rng=gen)
    return {k: res[k] for k in ("median_seconds", "ratio_vs_dense", "counts", "phases", "repeats")}


def main(argv=None) -> int:
    """``python -m firesets.bench [--sweep gd]``: run the GD grid (full, ``--quick`` or ``--tiny``)."""
    parser = argparse.ArgumentParser(prog="python -m firesets.bench --sweep gd", description=__doc__.splitlines()[0])
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="the small grid (a few minutes)")
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
