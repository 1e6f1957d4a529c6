"""Figures of the chapter on training with the trees (book/training_with_trees.ipynb), read from the bench JSON."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from firesets.analysis.training_with_trees import CONTENDERS, FIT_MIN_M, fit_exponent, series, theorem41_work
from firesets.analysis.training_with_trees import ok_configs as _ok
from firesets.plots import PALETTE

__all__ = ["plot_time_vs_m", "plot_crossover", "plot_phases", "plot_theorem41", "plot_live"]

LABELS = {"dense": "dense (BLAS)", "scan": "matrix + scan", "dtree": "DTree (Alg. 8)", "wtree": "WTree (Alg. 9)"}
PHASES = ("query", "forward_backward", "update")
PHASE_COLORS = {"query": "#4c72b0", "forward_backward": "#dd8452", "update": "#55a868"}


def plot_time_vs_m(data: dict, d: int = 64, contenders=CONTENDERS):
    """Per-iteration time against ``m`` (log-log), one panel per ``n``; returns ``(fig, slopes)``.

    ``slopes[(n, contender)]`` is the fitted exponent over ``m >= FIT_MIN_M`` (``None`` with fewer than 2 points).
    """
    ns = sorted({c["n"] for c in _ok(data) if c["d"] == d})
    cols = max(1, min(2, len(ns)))  # no timed configuration at d: one hidden panel, empty slopes
    rows = max(1, math.ceil(len(ns) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.6 * rows), squeeze=False, sharey=True)
    slopes = {}
    for ax, n in zip(axes.ravel(), ns):
        for name in contenders:
            ms, ts = series(data, name, n, d)
            if ms.size == 0:
                continue
            sel = ms >= FIT_MIN_M
            slope = fit_exponent(ms[sel], ts[sel]) if sel.sum() >= 2 else None
            slopes[(n, name)] = slope
            lab = LABELS[name] + ("" if slope is None else f", slope {slope:.2f}")
            ax.loglog(ms, ts * 1e3, "o-", color=PALETTE[name], label=lab, base=2, ms=4)
        ax.axvline(FIT_MIN_M, color="0.6", lw=0.8, ls=":")
        ax.set_title(f"n = {n}, d = {d}")
        ax.set_xlabel("m (width)")
        ax.legend(loc="upper left", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("ms per GD step")
    for ax in axes.ravel()[len(ns):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig, slopes


def plot_crossover(data: dict, contender: str = "dtree", ds=None):
    """Heat map over ``(m, n)`` of ``t_dense / t_contender`` (median of per-repeat ratios), one panel per ``d``.

    Cells above 1 (the contender wins) are warm; skipped configurations are blank with an ``x``.
    """
    ok = _ok(data)
    ds = sorted({c["d"] for c in data["configs"]}) if ds is None else list(ds)
    ms = sorted({c["m"] for c in data["configs"]})
    ns = sorted({c["n"] for c in data["configs"]})
    fig, axes = plt.subplots(1, len(ds), figsize=(5.4 * len(ds), 3.4), squeeze=False)
    for ax, d in zip(axes[0], ds):
        R = np.full((len(ns), len(ms)), np.nan)
        for c in ok:
            if c["d"] == d:
                R[ns.index(c["n"]), ms.index(c["m"])] = c["ratio_vs_dense"][contender]
        lim = max(1.0, float(np.nanmax(np.abs(np.log2(R))))) if np.isfinite(R).any() else 1.0
        im = ax.imshow(np.log2(R), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", origin="lower")
        for (a, b), v in np.ndenumerate(R):
            ax.text(b, a, "x" if np.isnan(v) else (f"{v:.1f}" if v < 10 else f"{v:.0f}"),
                    ha="center", va="center", fontsize=7, color="0.4" if np.isnan(v) else "black")
        ax.set_xticks(range(len(ms)), [f"$2^{{{int(math.log2(m))}}}$" for m in ms], fontsize=8)
        ax.set_yticks(range(len(ns)), [str(n) for n in ns])
        ax.set_xlabel("m")
        ax.set_ylabel("n")
        ax.set_title(f"dense / {contender} time, d = {d}")
        ax.grid(False)
        fig.colorbar(im, ax=ax, label="log2 speed-up")
    fig.tight_layout()
    return fig


def plot_phases(data: dict, m: int, d: int = 64, contenders=("scan", "dtree", "wtree")):
    """Stacked bars of the phase times (query, forward/backward, update) per contender, one panel per ``n`` at one
    ``(m, d)`` (linear scale), next to the dense step's time."""
    confs = sorted((c for c in _ok(data) if c["m"] == m and c["d"] == d), key=lambda c: c["n"])
    fig, axes = plt.subplots(1, max(1, len(confs)), figsize=(3.3 * max(1, len(confs)), 3.6), squeeze=False)
    for ax, c in zip(axes[0], confs):
        ax.bar(0, c["median_seconds"]["dense"] * 1e3, color="#555555", width=0.7,
               label="dense step" if c is confs[0] else None)
        for x, name in enumerate(contenders, start=1):
            ph = c["phases"].get(name, {})
            bottom = 0.0
            for p in PHASES:
                v = ph.get(p, 0.0) * 1e3
                ax.bar(x, v, bottom=bottom, color=PHASE_COLORS[p], width=0.7,
                       label=p.replace("_", "/") if (x == 1 and c is confs[0]) else None)
                bottom += v
        ax.set_xticks(range(len(contenders) + 1), ["dense"] + list(contenders), fontsize=8)
        ax.set_title(f"n = {c['n']}")
    axes[0][0].set_ylabel("ms per step (median)")
    fig.suptitle(f"phase breakdown at m = 2^{int(math.log2(m))}, d = {d}", fontsize=12)
    fig.legend(loc="lower center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_theorem41(data: dict, d: int = 64, contender: str = "dtree"):
    """Measured operation counts of the DTree step (Theorem E.1's three terms) over ``m^{4/5} n^2 d``, per ``n``;
    returns ``(fig, constants)`` with ``constants[(m, n)]``."""
    ns = sorted({c["n"] for c in _ok(data) if c["d"] == d})
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 3.7))
    consts = {}
    for i, n in enumerate(ns):
        rows = sorted((c["m"], theorem41_work(c, contender)) for c in _ok(data) if c["d"] == d and c["n"] == n)
        if not rows:
            continue
        ms = np.array([r[0] for r in rows])
        tot = np.array([r[1]["total"] for r in rows])
        bound = np.array([r[1]["bound"] for r in rows])
        color = plt.cm.viridis(i / max(1, len(ns) - 1))
        axes[0].loglog(ms, tot, "o-", color=color, base=2, ms=4, label=f"measured, n = {n}")
        axes[0].loglog(ms, bound, "--", color=color, base=2, lw=1)
        axes[1].semilogx(ms, tot / bound, "o-", color=color, base=2, ms=4, label=f"n = {n}")
        for m, r in rows:
            consts[(m, n)] = r["constant"]
    axes[0].set_xlabel("m")
    axes[0].set_ylabel("operations per step")
    axes[0].set_title("counts (solid) and $m^{4/5} n^2 d$ (dashed)")
    axes[0].legend(fontsize=8)
    axes[1].set_xlabel("m")
    axes[1].set_ylabel("measured / $m^{4/5} n^2 d$")
    axes[1].set_title("the constant of Theorem 4.1")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig, consts


def plot_live(result: dict, ax=None):
    """Bars of a :func:`firesets.bench.live_time` result or of one ``configs`` entry of the results file (ms per step
    per contender in the order of ``CONTENDERS``, speed-ups over dense printed on top)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    names = [k for k in CONTENDERS if k in result["median_seconds"]]
    names += [k for k in result["median_seconds"] if k not in names]
    vals = [result["median_seconds"][k] * 1e3 for k in names]
    bars = ax.bar([LABELS.get(k, k) for k in names], vals, color=[PALETTE.get(k, "0.5") for k in names])
    for bar, k in zip(bars, names):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"x{result['ratio_vs_dense'][k]:.1f}",
                ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("ms per GD step")
    ax.tick_params(axis="x", labelsize=8)
    return ax
