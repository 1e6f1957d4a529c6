"""Figures of the SGD chapter (``book/sgd_halfspace.md``): query work, step times, fire counts, updates, convergence."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from firesets.analysis.sgd_halfspace import step_table, update_summary
from firesets.plots import PALETTE

__all__ = ["COLORS", "plot_query_work", "plot_step_times", "plot_crossover", "plot_fired", "plot_update",
           "plot_convergence"]

COLORS = {"dense": PALETTE["dense"], "scan": PALETTE["scan"], "halfspace": "#c44e52", "balltree": "#937860",
          "dtree": PALETTE["dtree"]}
LABELS = {"dense": "dense step", "scan": "numpy scan", "halfspace": "half-space tree",
          "balltree": "scikit-learn BallTree (lifted)", "dtree": "Correlation DTree"}


def _log2_axis(ax):
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")


def plot_query_work(data: dict):
    """Two stacked panels: work beyond the output per query, and query time against the scan, against m."""
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 7.6))
    ds = sorted({c["d"] for c in data["configs"]})
    cmap = plt.get_cmap("viridis")
    for j, d in enumerate(ds):
        cs = sorted([c for c in data["configs"] if c["d"] == d and c["status"] == "ok"], key=lambda c: c["m"])
        ms = np.array([c["m"] for c in cs])
        col = cmap(j / max(1, len(ds) - 1))
        beyond = [c["per_query"]["nodes_visited"] + c["per_query"]["tests_failed"] for c in cs]
        a1.plot(ms, beyond, "o-", color=col, label=f"$d = {d}$")
        a2.plot(ms, [c["t_query"] / c["B"] * 1e3 for c in cs], "o-", color=col, label=f"tree, $d = {d}$")
        a2.plot(ms, [c["t_scan"] / c["B"] * 1e3 for c in cs], ":", color=col)
    ms_all = np.array(sorted({c["m"] for c in data["configs"]}), dtype=float)
    a1.plot(ms_all, ms_all, "k--", lw=1, label="$m$ (every neuron)")
    _log2_axis(a1)
    a1.set_xlabel("width $m$")
    a1.set_ylabel("nodes visited + failed tests\nper query")
    a1.set_title("Work beyond the output, at $b = \\sqrt{0.4 \\ln m}$")
    a1.legend(ncol=2, fontsize=8)
    _log2_axis(a2)
    a2.set_xlabel("width $m$")
    a2.set_ylabel("ms per query")
    a2.set_title("Query time: tree (solid) against the numpy scan (dotted)")
    a2.legend(ncol=2, fontsize=8)
    return fig


def plot_step_times(data: dict, B: int = 8):
    """One panel per d (stacked): the median SGD step time of every contender against m at batch size B."""
    rows = [r for r in step_table(data) if r["B"] == B]
    ds = sorted({r["d"] for r in rows})
    fig, axes = plt.subplots(len(ds), 1, figsize=(7, 3.0 * len(ds)), sharex=True, squeeze=False)
    for ax, d in zip(axes[:, 0], ds):
        rs = sorted([r for r in rows if r["d"] == d], key=lambda r: r["m"])
        for me in COLORS:
            pts = [(r["m"], r["times"].get(me)) for r in rs if r["times"].get(me) is not None]
            if pts:
                ax.plot(*zip(*pts), "o-", color=COLORS[me], label=LABELS[me])
        _log2_axis(ax)
        ax.set_ylabel("s per step")
        ax.set_title(f"$d = {d}$, $B = {B}$")
    axes[0, 0].legend(fontsize=8, ncol=2)
    axes[-1, 0].set_xlabel("width $m$")
    return fig


def plot_crossover(data: dict):
    """The fastest contender of each (d, B, m), with the half-space step's time over the dense step's."""
    rows = step_table(data)
    keys = sorted({(r["d"], r["B"]) for r in rows})
    ms = sorted({r["m"] for r in rows})
    names = list(COLORS)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(keys) + 1.6))
    for yi, (d, B) in enumerate(keys):
        for xi, m in enumerate(ms):
            r = next((r for r in rows if r["d"] == d and r["B"] == B and r["m"] == m), None)
            if r is None or r["best"] is None:
                ax.text(xi, yi, "not timed", ha="center", va="center", fontsize=7, color="0.4")
                continue
            ax.add_patch(plt.Rectangle((xi - 0.5, yi - 0.5), 1, 1, color=COLORS[r["best"]], alpha=0.75))
            if r["hs_over_dense"] is not None:
                ax.text(xi, yi, f"{r['hs_over_dense']:.2g}", ha="center", va="center", fontsize=8)
    ax.set_xlim(-0.5, len(ms) - 0.5)
    ax.set_ylim(-0.5, len(keys) - 0.5)
    ax.set_xticks(range(len(ms)), [f"$2^{{{int(math.log2(m))}}}$" for m in ms])
    ax.set_yticks(range(len(keys)), [f"$d={d}$, $B={B}$" for d, B in keys])
    ax.set_xlabel("width $m$")
    ax.grid(False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=COLORS[n], alpha=0.75) for n in names]
    ax.legend(handles, [LABELS[n] for n in names], fontsize=8, ncol=3, loc="upper center",
              bbox_to_anchor=(0.5, -0.22))
    ax.set_title("Fastest SGD step (colour); number = half-space step / dense step")
    return fig


def plot_fired(data: dict):
    """Two stacked panels: the largest fire count per step over ``m^{4/5}``, on the stream and on digits."""
    sources = [s for s in ("stream", "digits") if data.get(s)]
    fig, axes = plt.subplots(len(sources), 1, figsize=(7, 3.3 * len(sources)), squeeze=False)
    titles = {"stream": "fresh samples (planted target), $d = 16$", "digits": "scikit-learn digits, $d = 64$"}
    for ax, src in zip(axes[:, 0], sources):
        ms = sorted({r["m"] for r in data[src]})
        cmap = plt.get_cmap("viridis")
        for j, m in enumerate(ms):
            for r in [r for r in data[src] if r["m"] == m]:
                k = np.asarray(r["k_max_per_step"]) / m ** 0.8
                ax.plot(np.arange(1, k.size + 1), k, color=cmap(j / max(1, len(ms) - 1)), lw=1,
                        label=f"$m = 2^{{{int(math.log2(m))}}}$" if r["seed"] == r_first_seed(data[src], m) else None)
        ax.axhline(1.0, color=PALETTE["bound"], ls="--", lw=1, label="$m^{4/5}$")
        ax.set_ylim(0, 1.1)
        ax.set_xlabel("SGD step $t$")
        ax.set_ylabel("$\\max_i k_{i,t} / m^{4/5}$")
        ax.set_title(titles[src])
        ax.legend(fontsize=8, ncol=3)
    return fig


def r_first_seed(runs, m):
    return min(r["seed"] for r in runs if r["m"] == m)


def plot_update(data: dict):
    """Amortized update work per changed neuron against m, each dynamization, with ``log2(2m)^2``."""
    rows = update_summary(data)
    fig, ax = plt.subplots(figsize=(7, 4.0))
    variants = sorted({r["variant"] for r in rows})
    for j, v in enumerate(variants):
        rs = sorted([r for r in rows if r["variant"] == v], key=lambda r: r["m"])
        ax.plot([r["m"] for r in rs], [r["work_per_change"] for r in rs], marker="os^D"[j % 4],
                ls=("-", "--", ":", "-.")[j % 4], label=v, color=plt.get_cmap("tab10")(j), alpha=0.85)
    ms = np.array(sorted({r["m"] for r in rows}), dtype=float)
    ax.plot(ms, np.log2(2 * ms) ** 2, "k--", lw=1, label="$\\log_2^2(2m)$")
    _log2_axis(ax)
    ax.set_xlabel("width $m$")
    ax.set_ylabel("node-point operations\nper changed neuron")
    ax.set_title("Amortized update work during SGD ($d = 3$, $B = 8$)")
    ax.legend(fontsize=8)
    return fig


def plot_convergence(data: dict):
    """Two stacked panels: held-out excess loss over the steps for each M; iterations to eps against M^2/eps^2."""
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(7, 7.2))
    for j, r in enumerate(data["by_M"]):
        a1.plot(np.maximum(r["steps"], 1), r["loss"], color=plt.get_cmap("viridis")(j / max(1, len(data["by_M"]) - 1)),
                label=f"$M = {r['M']:g}$")
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_xlabel("SGD step $t$")
    a1.set_ylabel("held-out excess loss")
    a1.set_title("SGD on a planted even polynomial (fresh samples)")
    a1.legend(fontsize=8)
    pts = [(r["M"], float(e), it) for r in data["by_M"] for e, it in r["iterations_to_eps"].items()
           if it is not None and it > 0]  # eps met before the first step: no point on a log axis
    if pts:
        x = np.array([p[0] ** 2 / p[1] ** 2 for p in pts])
        y = np.array([p[2] for p in pts])
        a2.scatter(x, y, c=[p[0] for p in pts], cmap="viridis")
        xm, ym = np.exp(np.median(np.log(x))), np.exp(np.median(np.log(y)))
        xs = np.array([xm / 10, xm * 10])  # one decade either side of the median point
        a2.plot(xs, ym * xs / xm, "k--", lw=1, label="slope 1 ($\\propto M^2/\\varepsilon^2$)")
        a2.legend(fontsize=8)
    a2.set_xscale("log")
    a2.set_yscale("log")
    a2.set_xlabel("$M^2 / \\varepsilon^2$")
    a2.set_ylabel("steps to excess loss $\\leq \\varepsilon$")
    return fig
