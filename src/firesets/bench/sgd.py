"""``python -m firesets.bench --sweep sgd``: the sweeps of the SGD chapter, written to ``book/data/sgd_*.json``.

Five parts (``--part``, default all), each one results file with the machine, the settings, BLAS on one thread
(threadpoolctl), the load averages at start and end, and the elapsed time:

* ``query``  -> ``sgd_query.json``: half-space queries (batch of 8 unit inputs) at the paper's threshold
  ``b = sqrt(0.4 ln m)`` against m for d in {2, 3, 4, 8, 16, 64}: the tree's counters and median times, the
  numpy scan's median time;
* ``step``   -> ``sgd_step.json``: one SGD step of every contender (dense, scan, halfspace, balltree, dtree)
  against m and B for d in {3, 8, 64}: median phase times and the tree's counters;
* ``fired``  -> ``sgd_fired.json``: fire counts of every input during SGD (Lemma 6.6 of arXiv 2307.06565) on a
  fresh-sample stream (planted target) and on scikit-learn's digits, several seeds;
* ``update`` -> ``sgd_update.json``: the amortized update work of each dynamization during SGD;
* ``convergence`` -> ``sgd_convergence.json``: iterations to reach excess loss eps on a planted even polynomial
  of coefficient norm M, and the loss each width reaches.

``--quick`` runs a small grid (seconds; what the tests run) and writes ``sgd_quick_*.json`` unless ``--out-dir``
says where. A configuration whose predicted time exceeds the part's budget is recorded as skipped with the reason.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from firesets.bench.common import load_average as _load, machine_info
from firesets.data import digits, normalize_rows
from firesets.halfspace import HalfSpaceTree
from firesets.network import TwoLayerReLU, paper_threshold
from firesets.sgd import draw_batches, sgd

__all__ = ["main", "planted_target", "eta_rule", "PARTS", "GRIDS"]

PARTS = ("query", "step", "fired", "update", "convergence")

GRIDS = {
    "full": {
        "query": {"d": [2, 3, 4, 8, 16, 64], "log2m": list(range(10, 23, 2)), "B": 8, "budget_s": 60.0},
        "step": {"d": [3, 8, 64], "log2m": [12, 14, 16, 18, 20], "B": [1, 8, 64], "n": 128, "steps": 4,
                 "budget_s": 2.5, "dtree_max_log2m": 18},
        "fired": {"d": 16, "log2m": [10, 12, 14, 16, 18], "seeds": [0, 1, 2], "T": 100, "B": 16, "digits_n": 1797,
                  "digits_log2m": [10, 12, 14, 16]},
        "update": {"d": 3, "log2m": [10, 12, 14, 16, 18, 20], "B": 8, "T": 100,
                   "variants": [["inplace", 1.1], ["inplace", 1.5], ["inplace", 3.0], ["logarithmic", None]]},
        "convergence": {"d": 4, "log2m": 12, "M": [0.5, 1.0, 2.0, 4.0], "eps": [0.05, 0.02, 0.01, 0.005, 0.002],
                        "T": 1000, "B": 16, "every": 5, "widths": [6, 8, 10, 12, 14], "n_test": 1000},
    },
    "quick": {
        "query": {"d": [3, 16], "log2m": [8, 10], "B": 4, "budget_s": 10.0},
        "step": {"d": [3], "log2m": [8, 10], "B": [1, 4], "n": 16, "steps": 3, "budget_s": 2.0,
                 "dtree_max_log2m": 10},
        "fired": {"d": 8, "log2m": [8, 10], "seeds": [0, 1], "T": 5, "B": 4, "digits_n": 64, "digits_log2m": [8]},
        "update": {"d": 3, "log2m": [8, 10], "B": 4, "T": 10,
                   "variants": [["inplace", 1.5], ["logarithmic", None]]},
        "convergence": {"d": 4, "log2m": 8, "M": [1.0, 2.0], "eps": [0.05, 0.02], "T": 60, "B": 8, "every": 5,
                        "widths": [6, 8], "n_test": 200},
    },
}


def planted_target(X, M: float, v=None) -> np.ndarray:
    """Daniely's class: the even polynomial ``M * sqrt(d) * (<v, x>^2 - 1/d)`` of degree 2 (``v = e_1``).

    On unit inputs drawn uniformly from the sphere it has mean 0; its coefficient vector is ``M sqrt(d) (1, -1/d)``
    (norm proportional to ``M``).
    """
    X = np.asarray(X, dtype=np.float64)
    d = X.shape[1]
    v = np.eye(d)[0] if v is None else np.asarray(v, dtype=np.float64)
    z = X @ v
    return M * math.sqrt(d) * (z * z - 1.0 / d)


def eta_rule(m: int, B: int, b: float | None = None) -> float:
    """Learning rate ``0.5 / (B * P[<w, x> > b])`` for ``w ~ N(0, I)``, unit ``x``: a step moves f by O(1)."""
    from scipy.stats import norm

    b = paper_threshold(m) if b is None else b
    return 0.5 / (B * float(norm.sf(b)))


def _unit(gen, n, d):
    return normalize_rows(gen.standard_normal((n, d)))


def _median(xs):
    return float(np.median(xs)) if len(xs) else None


# ------------------------------------------------------------------------------------------------ parts
def run_query(g: dict, progress) -> dict:
    out = []
    for d in g["d"]:
        prev = None
        for lm in g["log2m"]:
            m = 2 ** lm
            progress(f"query d={d} m=2^{lm}")
            if prev is not None and 4.5 * prev > g["budget_s"]:
                out.append({"d": d, "m": m, "status": "skipped",
                            "reason": f"predicted {4.5 * prev:.0f} s > budget {g['budget_s']:.0f} s"})
                continue
            t_all = time.perf_counter()
            gen = np.random.default_rng(lm * 100 + d)
            W = gen.standard_normal((m, d))
            X = _unit(gen, g["B"], d)
            b = paper_threshold(m)
            t0 = time.perf_counter()
            hs = HalfSpaceTree(W)
            t_build = time.perf_counter() - t0
            hs.query_batch(X, b)  # warm
            hs.counters.reset()
            reps = 3 if m <= 2 ** 18 else 1
            tq, ts = [], []
            for _ in range(reps):
                t0 = time.perf_counter()
                qi, rr = hs.query_batch(X, b)
                tq.append(time.perf_counter() - t0)
            c = {k: v / (reps * g["B"]) for k, v in hs.counters.as_dict().items() if k != "build_work"}
            for _ in range(reps):
                t0 = time.perf_counter()
                si, sr = np.nonzero(X @ W.T > b)
                ts.append(time.perf_counter() - t0)
            assert np.array_equal(qi, si) and np.array_equal(rr, sr)
            out.append({"d": d, "m": m, "status": "ok", "b": b, "B": g["B"], "t_build": t_build,
                        "t_query": _median(tq), "t_scan": _median(ts), "per_query": c,
                        "nodes_total": int(hs._blocks[-1].lo.size), "build_work": hs.counters.build_work})
            prev = time.perf_counter() - t_all
            del W, hs
    return {"configs": out}


def run_step(g: dict, progress) -> dict:
    methods = ["dense", "scan", "halfspace", "balltree", "dtree"]
    out = []
    for d in g["d"]:
        for B in g["B"]:
            prev = {me: None for me in methods}
            for lm in g["log2m"]:
                m = 2 ** lm
                gen = np.random.default_rng(lm * 1000 + d * 10 + B)
                net = TwoLayerReLU.init(m, d, rng=gen)
                X = _unit(gen, g["n"], d)
                y = np.where(gen.integers(0, 2, g["n"]) == 1, 1.0, -1.0)
                batches = draw_batches(g["n"], B, g["steps"], rng=gen)
                eta = eta_rule(m, B)
                rec = {"d": d, "B": B, "m": m, "b": net.b, "eta": eta, "methods": {}}
                ref = None
                for me in methods:
                    progress(f"step d={d} B={B} m=2^{lm} {me}")
                    if me == "dtree" and lm > g["dtree_max_log2m"]:
                        rec["methods"][me] = {"status": "skipped",
                                              "reason": f"memory: n = {g['n']} trees of 2m leaves"}
                        continue
                    if prev[me] is not None and 4.5 * prev[me] > g["budget_s"]:
                        rec["methods"][me] = {"status": "skipped",
                                              "reason": f"predicted {4.5 * prev[me]:.1f} s per step > budget"}
                        prev[me] = 4.5 * prev[me]
                        continue
                    net2, log = sgd(net, X, y, eta, batches, method=me)
                    if ref is None:
                        ref = net2.W
                    exact = bool(np.allclose(net2.W, ref, rtol=1e-9, atol=1e-12))
                    sl = slice(1, None)  # the first step warms caches
                    tq, tg, tu = (float(np.median(log[k][sl])) for k in ("t_query", "t_grad", "t_update"))
                    r = {"status": "ok", "t_query": tq, "t_grad": tg, "t_update": tu, "t_step": tq + tg + tu,
                         "t_init": float(log["t_init"]), "U": float(np.mean(log["U"][sl])),
                         "k_mean": float(np.mean(log["k"][sl])), "equal_to_dense": exact}
                    if me == "halfspace":
                        r["counters"] = {k[4:]: float(np.mean(log[k][sl])) for k in log if k.startswith("hsr_")}
                    rec["methods"][me] = r
                    prev[me] = r["t_step"]
                out.append(rec)
    return {"configs": out}


def run_fired(g: dict, progress) -> dict:
    out = {"stream": [], "digits": []}
    d, T, B = g["d"], g["T"], g["B"]
    for lm in g["log2m"]:
        m = 2 ** lm
        for seed in g["seeds"]:
            progress(f"fired stream m=2^{lm} seed={seed}")
            gen = np.random.default_rng(seed)
            net = TwoLayerReLU.init(m, d, rng=gen)
            X = _unit(gen, T * B, d)
            y = planted_target(X, 1.0)
            batches = np.arange(T * B).reshape(T, B)  # a fresh sample at every step
            _, log = sgd(net, X, y, eta_rule(m, B), batches, method="scan", record=False)
            k = log["k"]
            out["stream"].append({"m": m, "seed": seed, "b": net.b, "k_max_per_step": k.max(axis=1).tolist(),
                                  "k_mean_per_step": k.mean(axis=1).tolist(), "loss": log["loss"].tolist()})
    Xd, yd = digits(g["digits_n"], rng=0)
    for lm in g["digits_log2m"]:
        m = 2 ** lm
        for seed in g["seeds"]:
            progress(f"fired digits m=2^{lm} seed={seed}")
            net = TwoLayerReLU.init(m, Xd.shape[1], rng=seed)
            batches = draw_batches(Xd.shape[0], B, T, rng=seed + 100)
            _, log = sgd(net, Xd, yd, eta_rule(m, B), batches, method="scan", record=False)
            k = log["k"]
            out["digits"].append({"m": m, "seed": seed, "b": net.b, "k_max_per_step": k.max(axis=1).tolist(),
                                  "k_mean_per_step": k.mean(axis=1).tolist(), "loss": log["loss"].tolist()})
    return out


def run_update(g: dict, progress) -> dict:
    out = []
    d, B, T = g["d"], g["B"], g["T"]
    for lm in g["log2m"]:
        m = 2 ** lm
        gen = np.random.default_rng(lm)
        net = TwoLayerReLU.init(m, d, rng=gen)
        X = _unit(gen, T * B, d)
        y = planted_target(X, 1.0)
        batches = np.arange(T * B).reshape(T, B)
        eta = eta_rule(m, B)
        for dyn, factor in g["variants"]:
            progress(f"update m=2^{lm} {dyn} {factor}")
            kw = {"dynamic": dyn} if factor is None else {"dynamic": dyn, "rebuild_factor": factor}
            _, log = sgd(net, X, y, eta, batches, method="halfspace", hsr_kwargs=kw)
            changed = int(log["U"].sum())
            work = int(log["hsr_build_work"].sum() + log["hsr_update_nodes"].sum())
            out.append({"m": m, "dynamic": dyn, "rebuild_factor": factor, "changed": changed, "work": work,
                        "build_work": int(log["hsr_build_work"].sum()),
                        "update_nodes": int(log["hsr_update_nodes"].sum()),
                        "rebuilds": int(log["hsr_rebuilds"].sum()),
                        "t_update": float(log["t_update"].sum()), "t_query": float(log["t_query"].sum()),
                        "nodes_visited_first": float(log["hsr_nodes_visited"][: max(1, T // 10)].mean()),
                        "nodes_visited_last": float(log["hsr_nodes_visited"][-max(1, T // 10):].mean()),
                        "t_init": float(log["t_init"])})
    return {"configs": out}


def _iterations_to(curve, steps, eps):
    hit = np.flatnonzero(np.asarray(curve) <= eps)
    return int(steps[hit[0]]) if hit.size else None


def run_convergence(g: dict, progress) -> dict:
    d, B, T, every = g["d"], g["B"], g["T"], g["every"]
    gen = np.random.default_rng(7)
    Xt = _unit(gen, g["n_test"], d)
    out = {"by_M": [], "by_width": []}

    def curve(m, M, seed):
        net = TwoLayerReLU.init(m, d, rng=seed)
        g2 = np.random.default_rng(seed + 1000)
        X = _unit(g2, T * B, d)
        y = planted_target(X, M)
        yt = planted_target(Xt, M)
        eta = eta_rule(m, B)
        steps, losses = [0], [0.5 * float(np.mean((net.forward(Xt) - yt) ** 2))]
        cur = net
        bt = np.arange(T * B).reshape(T, B)
        for s in range(0, T, every):
            cur, _ = sgd(cur, X, y, eta, bt[s:s + every], method="dense", record=False)
            steps.append(s + every)
            losses.append(0.5 * float(np.mean((cur.forward(Xt) - yt) ** 2)))
        return np.array(steps), np.array(losses), 0.5 * float(np.mean(yt ** 2)), eta

    m = 2 ** g["log2m"]
    for M in g["M"]:
        progress(f"convergence M={M}")
        steps, losses, var, eta = curve(m, M, 0)
        hits = {str(e): _iterations_to(losses, steps, e) for e in g["eps"]}
        out["by_M"].append({"M": M, "m": m, "eta": eta, "steps": steps.tolist(), "loss": losses.tolist(),
                            "null_loss": var, "iterations_to_eps": hits})
    for lw in g["widths"]:
        progress(f"convergence width 2^{lw}")
        steps, losses, var, eta = curve(2 ** lw, 1.0, 0)
        out["by_width"].append({"m": 2 ** lw, "M": 1.0, "final_loss": float(losses[-1]),
                                "min_loss": float(losses.min()), "null_loss": var})
    return out


# ------------------------------------------------------------------------------------------------ CLI
RUNNERS = {"query": run_query, "step": run_step, "fired": run_fired, "update": run_update,
           "convergence": run_convergence}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m firesets.bench --sweep sgd", description=__doc__.split("\n")[0])
    p.add_argument("--part", choices=PARTS + ("all",), default="all")
    p.add_argument("--quick", action="store_true", help="the small grid (seconds)")
    p.add_argument("--out-dir", default="book/data")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    from threadpoolctl import threadpool_limits

    grid = "quick" if args.quick else "full"
    parts = PARTS if args.part == "all" else (args.part,)
    outdir = Path(args.out_dir)
    outdir.mkdir(parents=True, exist_ok=True)
    prefix = "sgd_quick_" if args.quick else "sgd_"
    command = "python -m firesets.bench --sweep sgd" + (" --quick" if args.quick else "")
    if args.part != "all":
        command += f" --part {args.part}"
    t_total = time.perf_counter()

    def progress(msg):
        if not args.no_progress:
            print(f"[{time.perf_counter() - t_total:7.1f} s] {msg}", file=sys.stderr, flush=True)

    import scipy.linalg.blas  # noqa: F401  (load every BLAS before limiting it)

    with threadpool_limits(limits=1):
        for part in parts:
            t0 = time.perf_counter()
            load0 = _load()
            res = RUNNERS[part](GRIDS[grid][part], progress)
            res.update({
                "part": part, "grid": grid, "command": command, "settings": GRIDS[grid][part],
                "machine": machine_info(), "blas_threads": 1, "load_average_start": load0,
                "load_average_end": _load(), "elapsed_seconds": time.perf_counter() - t0,
                "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            })
            path = outdir / f"{prefix}{part}.json"
            path.write_text(json.dumps(res, indent=1))
            progress(f"wrote {path} ({res['elapsed_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
