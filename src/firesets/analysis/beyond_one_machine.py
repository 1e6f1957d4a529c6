"""What the chapter "Beyond one machine" computes from ``book/data/distributed_scaling.json`` and a small live run.

Chapter: ``book/beyond_one_machine.md``. The results file is written by ``python -m firesets.bench --sweep distributed``
(:mod:`firesets.bench.distributed`). From it: the per-step time and traffic of the sharded DTree step on the local
cluster, three measured constants (seconds per firing pair on a shard; the client's fixed and per-shard cost of a
round trip; payload bytes per shard and step), and from those the layout of wider networks over ``P`` machines:
memory per worker, bytes per step, a modelled step time and where the client becomes the bottleneck.

The step-time model (ours, not the paper's): ``T(m, P) = c_0 + c_1 P + c_pair k(m) / P`` with
``k(m) = n m Q(b)`` the expected number of firing pairs at initialization (``Q`` the Gaussian upper tail, unit-norm
points, :func:`firesets.sparsity.expected_fire_count`). The client's share ``c_0 + c_1 P`` grows with ``P``, the
shards' share shrinks; they cross at ``P* = sqrt(c_pair k(m) / c_1)``, which is also where ``T`` is smallest.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from firesets.bench.distributed import shard_memory_estimate
from firesets.network import paper_threshold
from firesets.sparsity import expected_fire_count

__all__ = ["load", "ok_runs", "runs_table", "split_table", "traffic", "constants", "expected_pairs", "layout",
           "layout_table", "live_check", "verdict", "setting_text", "check_text", "traffic_text", "constants_text",
           "p_star_text", "LAYOUT_LOG2M", "LAYOUT_P", "FIT_MIN_M"]

#: widths of the layout table (the chapter's "m = 2^26 .. 2^30") and machine counts
LAYOUT_LOG2M = (26, 27, 28, 29, 30)
LAYOUT_P = (1, 4, 16, 64, 256, 1024)
#: the seconds per firing pair are fitted on runs at least this wide (smaller ones are dominated by fixed costs)
FIT_MIN_M = 2**18


def load(path) -> dict:
    """The results file as a dict."""
    return json.loads(Path(path).read_text())


def ok_runs(data: dict, workers=None) -> list[dict]:
    """The cluster runs that ran (``status == "ok"``), optionally for one worker count, sorted by ``(workers, m)``."""
    runs = [r for r in data["runs"] if r["status"] == "ok" and (workers is None or r["workers"] == workers)]
    return sorted(runs, key=lambda r: (r["workers"], r["m"]))


def runs_table(data: dict):
    """One row per timed width: per-step medians for the in-process shard and for each worker count.

    Columns: ``m``, ``no Dask ms`` (the shard code for all neurons in one process), then per worker count ``w``:
    ``trip ms (w)`` (the round trip seen by the client), ``shard ms (w)`` (the slowest shard's update + forward),
    ``bytes (w)`` (payload per step, both ways).
    """
    import pandas as pd

    rows = {}
    for r in data.get("in_process", []):
        if r["status"] == "ok":
            rows.setdefault(r["m"], {"m": r["m"]})["no Dask ms"] = 1e3 * r["seconds"]["wall"]
    for r in ok_runs(data):
        w, row = r["workers"], rows.setdefault(r["m"], {"m": r["m"]})
        row[f"trip ms ({w})"] = 1e3 * r["seconds"]["wall"]
        row[f"shard ms ({w})"] = 1e3 * (r["seconds"]["shard_update"] + r["seconds"]["shard_forward"])
        row[f"bytes ({w})"] = int(r["bytes_to_shards"] + r["bytes_from_shards"])
    df = pd.DataFrame([rows[m] for m in sorted(rows)])
    return df


def split_table(data: dict):
    """Per width run with both 1 and 2 workers: what the busiest of the two shards did, relative to one shard.

    Columns: ``m``; the busiest shard's tree work (nodes read + written over the steps) over the one shard's; the
    slowest shard's time (update + query, median step) over the one shard's. Ideal split: 0.5 and 0.5.
    """
    import pandas as pd

    def work(c):
        return c["nodes_visited"] + c["nodes_written"]

    one = {r["m"]: r for r in ok_runs(data, 1)}
    rows = []
    for r2 in ok_runs(data, 2):
        r1 = one.get(r2["m"])
        if r1 is None:
            continue
        t1 = r1["seconds"]["shard_update"] + r1["seconds"]["shard_forward"]
        t2 = r2["seconds"]["shard_update"] + r2["seconds"]["shard_forward"]
        rows.append({"m": f"2^{int(math.log2(r2['m']))}",
                     "busiest shard's tree work / one shard's":
                         max(work(c) for c in r2["shard_step_counters"])
                         / sum(work(c) for c in r1["shard_step_counters"]),
                     "slowest shard's time / one shard's": t2 / t1})
    return pd.DataFrame(rows)


def traffic(data: dict) -> dict:
    """Payload bytes per step: per worker count, the smallest and largest over widths, and per shard."""
    out = {}
    for w in sorted({r["workers"] for r in ok_runs(data)}):
        b = [r["bytes_to_shards"] + r["bytes_from_shards"] for r in ok_runs(data, w)]
        ms = [r["m"] for r in ok_runs(data, w)]
        out[w] = {"min": float(min(b)), "max": float(max(b)), "m_min": min(ms), "m_max": max(ms),
                  "per_shard": float(np.median(b)) / w}
    return out


def constants(data: dict) -> dict:
    """The measured constants of the step-time model (see the module docstring).

    ``c_pair``: median over one-worker runs with ``m >= FIT_MIN_M`` of (slowest shard's update + forward) / firing
    pairs. ``c1``: slope of the least-squares line of the client's CPU seconds per step against ``P`` in the
    overhead sweep (what the client pays per shard: send, receive, add). ``c0``: the one-shard round trip minus the
    shard's compute and the client's CPU time (the latency of a round trip on the loopback).
    ``bytes_per_shard``: median payload bytes per shard and step over all runs.
    ``n``, ``d``: the bench's data size (the model's memory and pair counts use them).
    """
    one = [r for r in ok_runs(data, 1) if r["m"] >= FIT_MIN_M] or ok_runs(data, 1)
    if not one:
        raise ValueError("data: no one-worker run to measure the seconds per firing pair")
    c_pair = float(np.median([(r["seconds"]["shard_update"] + r["seconds"]["shard_forward"]) / r["fire_pairs"]
                              for r in one]))
    ov = data["overhead"]
    if len(ov) < 2:
        raise ValueError("data: the overhead sweep needs at least two shard counts")
    P = np.array([o["shards"] for o in ov], dtype=float)
    c1, cpu0 = (float(v) for v in np.polyfit(P, [o["client_cpu"] for o in ov], 1))
    one_shard = [o for o in ov if o["shards"] == 1] or ov[:1]
    c0 = float(one_shard[0]["wall"] - one_shard[0]["compute"] - one_shard[0]["client_cpu"])
    per_shard = float(np.median([(r["bytes_to_shards"] + r["bytes_from_shards"]) / r["shards"]
                                 for r in ok_runs(data)]))
    s = data["settings"]
    return {"c_pair": c_pair, "c0": float(c0), "c1": float(c1), "cpu_intercept": cpu0, "bytes_per_shard": per_shard,
            "n": int(s["n"]), "d": int(s["d"]), "fit_widths": [r["m"] for r in one]}


def expected_pairs(m: int, b: float | None, n: int) -> float:
    """``k(m) = n m Q(b)``: expected firing pairs at initialization (unit-norm points; ``b=None``: Remark 2.6)."""
    b = paper_threshold(m) if b is None else b
    return n * float(expected_fire_count(m, b))


def layout(m: int, P: int, const: dict, b: float | None = None) -> dict:
    """The layout of width ``m`` over ``P`` workers, from the measured constants.

    Returns ``mem_per_worker`` (bytes: a DTree over ``ceil(m / P)`` rows and ``n`` points, its ``W`` and ``a``),
    ``bytes_per_step`` (``P`` times the measured bytes per shard), ``pairs`` (``k(m)``), ``shard_s``
    (``c_pair k / P``), ``client_s`` (``c0 + c1 P``), ``step_s`` (their sum), ``p_star``
    (``sqrt(c_pair k / c1)``, where the client's share overtakes the shards'), ``client_bound`` (``P > p_star``).
    """
    n, d = const["n"], const["d"]
    k = expected_pairs(m, b, n)
    shard_s = const["c_pair"] * k / P
    client_s = const["c0"] + const["c1"] * P
    p_star = math.sqrt(const["c_pair"] * k / const["c1"]) if const["c1"] > 0 else math.inf
    return {"m": m, "P": P, "b": paper_threshold(m) if b is None else b, "pairs": k,
            "mem_per_worker": shard_memory_estimate(m, n, d, P) / P,
            "bytes_per_step": const["bytes_per_shard"] * P, "shard_s": shard_s, "client_s": client_s,
            "step_s": shard_s + client_s, "p_star": p_star, "client_bound": P > p_star}


def layout_table(const: dict, log2m=LAYOUT_LOG2M, Ps=LAYOUT_P):
    """The layout for every ``m = 2^k`` in ``log2m`` and ``P`` in ``Ps`` (``b = sqrt(0.4 ln m)``), as a DataFrame."""
    import pandas as pd

    rows = []
    for k in log2m:
        for P in Ps:
            L = layout(2**k, P, const)
            rows.append({"m": f"2^{k}", "P": P, "GiB per worker": L["mem_per_worker"] / 2**30,
                         "KiB per step": L["bytes_per_step"] / 2**10, "shards ms": 1e3 * L["shard_s"],
                         "client ms": 1e3 * L["client_s"], "step ms": 1e3 * L["step_s"],
                         "bottleneck": "client" if L["client_bound"] else "shards"})
    return pd.DataFrame(rows)


def live_check(m: int = 1000, n: int = 4, d: int = 8, steps: int = 5, shards: int = 3, b: float = 0.5,
               seed: int = 0) -> dict:
    """Train one small network both ways, sharded (in-process Dask cluster) and dense, and compare.

    Returns ``max_abs_diff`` (largest ``|W_sharded - W_dense|`` after ``steps`` steps), ``fire_sets_equal`` (every
    ``W(t)`` has the same firing pairs both ways), ``loss_rel_diff`` (of ``L(W(T))``), and the settings.
    """
    from distributed import Client

    from firesets.distributed import train_sharded
    from firesets.network import TwoLayerReLU
    from firesets.training import train

    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.standard_normal(n)
    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        net_s, log = train_sharded(net, X, y, 1.0, steps, client=client, shards=shards, keep_codes=True)
    net_d, _ = train(net, X, y, 1.0, steps, method="dense", keep_codes=True)
    W = net.W.copy()
    same = True
    for t in range(steps + 1):  # the dense run's fire sets, recomputed from its weights step by step
        same &= np.array_equal(np.flatnonzero((X @ W.T > b).ravel()), log.fire_codes[t])
        if t < steps:
            W = W - TwoLayerReLU(W, net.a, b).gradient(X, y)
    loss_d = net_d.loss(X, y)
    return {"m": m, "n": n, "d": d, "steps": steps, "shards": shards,
            "max_abs_diff": float(np.max(np.abs(net_s.W - net_d.W))),
            "fire_sets_equal": bool(same),
            "loss_rel_diff": float(abs(log.loss[-1] - loss_d) / max(abs(loss_d), 1e-300))}


def live_check_sgd(m: int = 1000, n: int = 64, d: int = 3, B: int = 8, steps: int = 10, shards: int = 3,
                   b: float = 0.5, seed: int = 0) -> dict:
    """Minibatch SGD both ways: sharded with a half-space tree per shard (in-process Dask) and dense, compared.

    Returns ``max_abs_diff`` (largest ``|W_sharded - W_dense|`` after the ``steps`` batches of size ``B``) and
    ``fire_counts_equal`` (the ``(T, B)`` fire counts of the batches agree), with the settings.
    """
    from distributed import Client

    from firesets.distributed_sgd import sgd_sharded
    from firesets.network import TwoLayerReLU
    from firesets.sgd import draw_batches, sgd

    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.standard_normal(n)
    batches = draw_batches(n, B, steps, rng=seed)
    with Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        net_s, log = sgd_sharded(net, X, y, 0.5, batches, client=client, shards=shards)
    net_d, log_d = sgd(net, X, y, 0.5, batches, method="dense")
    return {"m": m, "n": n, "d": d, "B": B, "steps": steps, "shards": shards,
            "max_abs_diff": float(np.max(np.abs(net_s.W - net_d.W))),
            "fire_counts_equal": bool(np.array_equal(log.k, log_d["k"]))}


def check_sgd_text(check: dict) -> str:
    """The live comparison of :func:`live_check_sgd`, one clause per line."""
    return "\n".join([
        f"m = {check['m']}, d = {check['d']}, batch size B = {check['B']}, {check['shards']} shards, "
        f"{check['steps']} steps",
        f"largest |W_sharded - W_dense|: {check['max_abs_diff']:.1e}",
        f"fire counts of every batch equal: {check['fire_counts_equal']}",
    ])


def _l2(m) -> str:
    return f"2^{int(round(math.log2(m)))}"


def setting_text(data: dict, path) -> str:
    """Where the numbers come from: the file, its command, the bench settings and the machine."""
    s, mach = data["settings"], data["machine"]
    return "\n".join([
        f"results: book/{path}, written by `{data['command'].strip()}`",
        f"n = {s['n']} points on the unit sphere of R^{s['d']}, b = sqrt(0.4 ln m), eta = {s['eta']}, "
        f"{s['steps']} steps per run",
        f"machine: {mach['cpu_model']}, {mach['cpu_count']} cores, {mach['memory_bytes'] / 2**30:.0f} GiB",
        f"numpy {mach['numpy']}, dask {mach['dask']}, distributed {mach['distributed']}",
    ])


def check_text(check: dict) -> str:
    """The live comparison of :func:`live_check`, one clause per line."""
    return "\n".join([
        f"m = {check['m']}, n = {check['n']}, d = {check['d']}, {check['shards']} shards, {check['steps']} steps",
        f"largest |W_sharded - W_dense|: {check['max_abs_diff']:.1e}",
        f"fire sets equal at every step: {check['fire_sets_equal']}",
    ])


def traffic_text(data: dict) -> str:
    """Payload per step over the widths, per worker count, and the widths skipped for memory."""
    lines = [f"{w} worker(s): {t['min']:.0f} to {t['max']:.0f} payload bytes per step over "
             f"m = {_l2(t['m_min'])} .. {_l2(t['m_max'])}" for w, t in traffic(data).items()]
    skipped = [r for r in data["runs"] if r["status"] != "ok"]
    lines.append(f"widths skipped (memory budget {data['settings']['mem_gib']} GiB): {len(skipped)}")
    return "\n".join(lines)


def constants_text(const: dict) -> str:
    """The model's constants with their units and what they were fitted on."""
    return "\n".join([
        f"c_pair = {const['c_pair'] * 1e6:.2f} us per firing pair (slowest shard, update + query)",
        "  fitted on m = " + ", ".join(_l2(m) for m in const["fit_widths"]),
        f"c_1 = {const['c1'] * 1e3:.3f} ms of client CPU per shard and step",
        f"c_0 = {const['c0'] * 1e3:.2f} ms round-trip latency (one shard, loopback)",
        f"payload = {const['bytes_per_shard']:.0f} bytes per shard and step (n = {const['n']})",
    ])


def p_star_text(const: dict, log2m=LAYOUT_LOG2M) -> str:
    """Per width: the expected firing pairs and ``P*``."""
    return "\n".join(
        f"m = 2^{k}: k(m) = {L['pairs']:.3g} firing pairs; the client is the bottleneck beyond "
        f"P* = {L['p_star']:.0f} machines" for k in log2m for L in [layout(2**k, 1, const)])


def verdict(data: dict, check: dict, tol: float = 1e-9) -> tuple[str, str]:
    """The chapter's verdict on Section 5's parallelization remark: ``(printed text, one-sentence glue)``.

    Reading tested: the remark says the trees can be updated "using distributed computing simultaneously"; we split
    over neurons (each machine keeps all ``n`` trees over its own neurons), not over the ``n`` trees. Criteria:
    (1) the sharded run equals one machine (weights within ``tol``, the same fire sets); (2) the payload per step
    does not grow with ``m`` (largest over smallest width within 5 %); (3) the work splits: with 2 workers the
    busiest shard's step counts (nodes read and written) are at most 60 % of the one-worker total at the widest
    common width.
    """
    tr = traffic(data)
    flat = all(t["max"] <= 1.05 * t["min"] for t in tr.values())
    exact = check["max_abs_diff"] <= tol and check["fire_sets_equal"]
    two, one = ok_runs(data, 2), ok_runs(data, 1)
    common = sorted({r["m"] for r in two} & {r["m"] for r in one})
    share = None
    if common:
        mw = common[-1]
        r1 = next(r for r in one if r["m"] == mw)
        r2 = next(r for r in two if r["m"] == mw)

        def work(c):
            return c["nodes_visited"] + c["nodes_written"]

        share = max(work(c) for c in r2["shard_step_counters"]) / sum(work(c) for c in r1["shard_step_counters"])
    split = share is not None and share <= 0.6
    ok = exact and flat and split
    word = "supported" if ok else "not shown"
    t_lines = [f"Section 5's parallel remark, read as a split of the neurons over machines: {word}",
               f"  sharded = one machine: largest |W difference| {check['max_abs_diff']:.1e} after "
               f"{check['steps']} steps, fire sets equal: {check['fire_sets_equal']}",
               ] + [f"  payload per step with {w} worker{'s' if w > 1 else ''}: {t['min']:.0f} to {t['max']:.0f} "
                    f"bytes over m = 2^{int(math.log2(t['m_min']))} .. 2^{int(math.log2(t['m_max']))}"
                    for w, t in tr.items()]
    if share is not None:
        t_lines.append(f"  busiest of 2 shards at m = 2^{int(math.log2(common[-1]))}: {share:.0%} of the "
                       "one-shard tree work")
    t_lines.append("  the split over the n trees that the remark describes (O(nd) -> O(d) per UPDATE) is not run")
    glue = (f"Read as a split over neurons (not over the n trees, as Section 5 words it), the parallel step is "
            f"{word}: it "
            f"matched one machine (largest weight difference {check['max_abs_diff']:.1e}, equal fire sets), its "
            "traffic per step stayed flat in m"
            + (f" and the busiest of two shards did {share:.0%} of the tree work." if share is not None else "."))
    return "\n".join(t_lines), glue
