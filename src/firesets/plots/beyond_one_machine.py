"""Figures of the chapter "Beyond one machine" (book/beyond_one_machine.md), read from the distributed results file."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from firesets.analysis.beyond_one_machine import layout, ok_runs
from firesets.plots import PALETTE

__all__ = ["plot_scaling", "plot_overhead", "draw_layout", "WORKER_COLORS"]

WORKER_COLORS = {1: PALETTE["dtree"], 2: PALETTE["wtree"]}


def _log2_ticks(ax, ms):
    ax.set_xscale("log", base=2)
    ax.set_xticks(ms)
    ax.set_xticklabels([f"$2^{{{int(math.log2(m))}}}$" for m in ms])


def plot_scaling(data: dict):
    """Two stacked panels against ``m``: ms per GD step (round trip, slowest shard, in-process) and bytes per step.

    The lower panel sets the payload each step sends and receives beside the bytes the shards hold.
    """
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6.4), sharex=True)
    ms_all = sorted({r["m"] for r in ok_runs(data)} | {r["m"] for r in data.get("in_process", [])
                                                       if r["status"] == "ok"})
    inproc = [r for r in data.get("in_process", []) if r["status"] == "ok"]
    if inproc:
        ax1.plot([r["m"] for r in inproc], [1e3 * r["seconds"]["wall"] for r in inproc], "s-", color="0.3",
                 ms=4, label="one process, no Dask")
    for w in sorted({r["workers"] for r in ok_runs(data)}):
        runs = ok_runs(data, w)
        ms = [r["m"] for r in runs]
        lab = f"{w} worker{'s' if w > 1 else ''}"
        ax1.plot(ms, [1e3 * r["seconds"]["wall"] for r in runs], "o-", color=WORKER_COLORS.get(w), ms=4,
                 label=f"{lab}: round trip")
        ax1.plot(ms, [1e3 * (r["seconds"]["shard_update"] + r["seconds"]["shard_forward"]) for r in runs], "o--",
                 color=WORKER_COLORS.get(w), ms=3, alpha=0.7, label=f"{lab}: slowest shard")
        ax2.plot(ms, [r["bytes_to_shards"] + r["bytes_from_shards"] for r in runs], "o-",
                 color=WORKER_COLORS.get(w), ms=4, label=f"{lab}: sent + received per step")
        ax2.plot(ms, [sum(r["shard_bytes"]) for r in runs], "^:", color=WORKER_COLORS.get(w), ms=4,
                 label=f"{lab}: held by the shards")
    ax1.set_yscale("log")
    ax1.set_ylabel("ms per GD step")
    ax1.legend(fontsize=8, loc="upper left")
    ax2.set_yscale("log")
    ax2.set_ylabel("bytes")
    ax2.set_xlabel("$m$ (width)")
    ax2.legend(fontsize=8, loc="center right")
    _log2_ticks(ax2, ms_all)
    fig.tight_layout()
    return fig


def plot_overhead(data: dict, const: dict):
    """The client's CPU seconds per step against ``P`` with the fitted line (slope ``c_1``), and the round trip."""
    ov = data["overhead"]
    P = np.array([o["shards"] for o in ov], dtype=float)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(P, [1e3 * o["client_cpu"] for o in ov], "o", color=PALETTE["measured"],
            label="client CPU per step (median)")
    ax.plot(P, [1e3 * o["wall"] for o in ov], "s", color="0.55", ms=4,
            label="round trip (all shards on 2 worker processes)")
    grid = np.linspace(P.min(), P.max(), 50)
    ax.plot(grid, 1e3 * (const["cpu_intercept"] + const["c1"] * grid), "-", color=PALETTE["bound"],
            label=f"fit: slope $c_1$ = {1e3 * const['c1']:.3f} ms per shard")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("$P$ (shards)")
    ax.set_ylabel("ms per step")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def draw_layout(m: int, P: int, b: float, const: dict, Ps=tuple(2**k for k in range(13))):
    """One frame: the modelled step time against ``P`` at width ``m`` and threshold ``b``, the chosen ``P`` marked,
    and its memory per worker and bytes per step written beside it."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    Ps = np.array(sorted(set(Ps) | {P}), dtype=float)
    L = [layout(m, int(p), const, b) for p in Ps]
    ax.plot(Ps, [1e3 * x["shard_s"] for x in L], "--", color=PALETTE["dtree"],
            label=r"shards: $c_{\mathrm{pair}}\, k / P$")
    ax.plot(Ps, [1e3 * x["client_s"] for x in L], ":", color=PALETTE["dense"], label="client: $c_0 + c_1 P$")
    ax.plot(Ps, [1e3 * x["step_s"] for x in L], "-", color="0.2", label="step")
    sel = layout(m, P, const, b)
    ax.plot([P], [1e3 * sel["step_s"]], "o", color=PALETTE["bound"], ms=8)
    ax.axvline(sel["p_star"], color="0.6", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("$P$ (machines)")
    ax.set_ylabel("ms per step (model)")
    ax.set_title(f"$m = 2^{{{int(round(math.log2(m)))}}}$, $b$ = {b:.2f}, $P$ = {P}", fontsize=11)
    text = (f"memory per worker: {sel['mem_per_worker'] / 2**30:.3g} GiB\n"
            f"sent + received per step: {sel['bytes_per_step'] / 2**10:.3g} KiB\n"
            f"firing pairs $k$: {sel['pairs']:.3g}\n"
            f"client-bound beyond $P^*$ = {sel['p_star']:.3g}")
    ax.text(1.02, 0.5, text, transform=ax.transAxes, fontsize=8.5, va="center")
    ax.legend(fontsize=8, loc="lower left")
    fig.subplots_adjust(left=0.1, right=0.68, bottom=0.15, top=0.9)
    return fig
