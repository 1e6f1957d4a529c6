"""Figures of the chapter on training with the trees (book/training_with_trees.md), read from the bench JSON.

Multi-panel figures are stacked vertically (or 2 x 2) and sized for a page about 700 px wide; contenders are the
file's (:func:`firesets.analysis.training_with_trees.contenders_of`), never a fixed list.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from firesets.analysis.training_with_trees import (
    CONTENDERS, FIT_MIN_M, contenders_of, crossover, fit_exponent, query_cost_rows, series, theorem41_work,
)
from firesets.analysis.training_with_trees import ok_configs as _ok
from firesets.plots import PALETTE

__all__ = ["plot_time_vs_m", "plot_crossover", "plot_phases", "plot_theorem41", "plot_live",
           "plot_search_vs_scan", "draw_counts_frame", "label_of"]

LABELS = {"dense": "dense (BLAS)", "scan": "matrix + scan", "dtree": "DTree (Alg. 8)", "wtree": "WTree (Alg. 9)"}
PHASES = ("query", "forward_backward", "update")
PHASE_COLORS = {"query": "#4c72b0", "forward_backward": "#dd8452", "update": "#55a868", "gradient": "#dd8452"}
_EXTRA = ["#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd"]


def label_of(name: str) -> str:
    """The legend label of a contender (its name when the chapter has no longer label for it)."""
    return LABELS.get(name, name)


def _color(name: str, names=()) -> str:
    if name in PALETTE:
        return PALETTE[name]
    extra = [k for k in names if k not in PALETTE]
    return _EXTRA[extra.index(name) % len(_EXTRA)] if name in extra else "0.5"


def _m_tex(m) -> str:
    return f"$2^{{{int(math.log2(m))}}}$"


def plot_time_vs_m(data: dict, d: int = 64, contenders=None):
    """Per-iteration time against ``m`` (log-log), one panel per ``n`` (2 x 2); returns ``(fig, slopes)``.

    ``slopes[(n, contender)]`` is the fitted exponent over ``m >= FIT_MIN_M`` (``None`` with fewer than 2 points).
    """
    contenders = contenders_of(data) if contenders is None else contenders
    ns = sorted({c["n"] for c in _ok(data) if c["d"] == d})
    cols = max(1, min(2, len(ns)))  # no timed configuration at d: one hidden panel, empty slopes
    rows = max(1, math.ceil(len(ns) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.7 * cols, 3.2 * rows), squeeze=False, sharey=True)
    slopes = {}
    for ax, n in zip(axes.ravel(), ns):
        for name in contenders:
            ms, ts = series(data, name, n, d)
            if ms.size == 0:
                continue
            sel = ms >= FIT_MIN_M
            slope = fit_exponent(ms[sel], ts[sel]) if sel.sum() >= 2 else None
            slopes[(n, name)] = slope
            lab = label_of(name) + ("" if slope is None else f", slope {slope:.2f}")
            ax.loglog(ms, ts * 1e3, "o-", color=_color(name, contenders), label=lab, base=2, ms=3)
        ax.axvline(FIT_MIN_M, color="0.6", lw=0.8, ls=":")
        ax.set_title(f"$n = {n}$, $d = {d}$", fontsize=10)
        ax.set_xlabel("width $m$", fontsize=9)
        ax.legend(loc="upper left", fontsize=6.5)
    for ax in axes[:, 0]:
        ax.set_ylabel("ms per GD step", fontsize=9)
    for ax in axes.ravel()[len(ns):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig, slopes


def _ratio(c, contender, baseline):
    if baseline == "dense" and contender in c.get("ratio_vs_dense", {}):
        return c["ratio_vs_dense"][contender]
    t = c["median_seconds"]
    return t[baseline] / t[contender] if contender in t and baseline in t else np.nan


def plot_crossover(data: dict, contender: str = "dtree", ds=None, baseline: str = "dense"):
    """Heat map over ``(m, n)`` of ``t_baseline / t_contender`` (above 1: the contender wins), one panel per ``d``,
    stacked vertically. Against dense the per-round median ratio of the file; otherwise the ratio of medians.
    Skipped configurations show an ``x``."""
    ok = _ok(data)
    ds = sorted({c["d"] for c in data["configs"]}) if ds is None else list(ds)
    ms = sorted({c["m"] for c in data["configs"]})
    ns = sorted({c["n"] for c in data["configs"]})
    fig, axes = plt.subplots(len(ds), 1, figsize=(7.0, 2.5 * max(1, len(ds)) + 0.3), squeeze=False)
    for ax, d in zip(axes[:, 0], ds):
        R = np.full((len(ns), len(ms)), np.nan)
        for c in ok:
            if c["d"] == d:
                R[ns.index(c["n"]), ms.index(c["m"])] = _ratio(c, contender, baseline)
        lim = max(1.0, float(np.nanmax(np.abs(np.log2(R))))) if np.isfinite(R).any() else 1.0
        im = ax.imshow(np.log2(R), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", origin="lower")
        for (a, b), v in np.ndenumerate(R):
            ax.text(b, a, "x" if np.isnan(v) else (f"{v:.1f}" if v < 10 else f"{v:.0f}"),
                    ha="center", va="center", fontsize=7, color="0.4" if np.isnan(v) else "black")
        ax.set_xticks(range(len(ms)), [_m_tex(m) for m in ms], fontsize=8)
        ax.set_yticks(range(len(ns)), [str(n) for n in ns], fontsize=8)
        ax.set_xlabel("$m$", fontsize=9)
        ax.set_ylabel("$n$", fontsize=9)
        ax.set_title(f"{label_of(baseline)} time / {label_of(contender)} time, $d = {d}$", fontsize=10)
        ax.grid(False)
        fig.colorbar(im, ax=ax, label=r"$\log_2$ speed-up", pad=0.02)
    fig.tight_layout()
    return fig


def plot_phases(data: dict, m: int, d: int = 64, contenders=None):
    """Horizontal stacked bars of the phase times (query, forward/backward, update) per sparse contender next to
    the dense step's time, one panel per ``n`` at one ``(m, d)``, panels stacked vertically."""
    confs = sorted((c for c in _ok(data) if c["m"] == m and c["d"] == d), key=lambda c: c["n"])
    if contenders is None:
        contenders = [k for k in contenders_of(data) if k != "dense"]
    k = max(1, len(confs))
    fig, axes = plt.subplots(k, 1, figsize=(7.0, 1.0 + 0.42 * (len(contenders) + 1) * k), squeeze=False)
    for ax, c in zip(axes[:, 0], confs):
        names = ["dense"] + list(contenders)
        ax.barh(0, c["median_seconds"]["dense"] * 1e3, color="#555555", height=0.7,
                label="dense step" if c is confs[0] else None)
        for y, name in enumerate(contenders, start=1):
            ph = c["phases"].get(name, {})
            left = 0.0
            for p in PHASES:
                v = ph.get(p, 0.0) * 1e3
                ax.barh(y, v, left=left, color=PHASE_COLORS[p], height=0.7,
                        label=p.replace("_", "/") if (y == 1 and c is confs[0]) else None)
                left += v
        ax.set_yticks(range(len(names)), [label_of(nm) for nm in names], fontsize=8)
        ax.invert_yaxis()
        ax.set_title(f"$n = {c['n']}$", fontsize=9, loc="left")
    axes[-1][0].set_xlabel("ms per step (median)", fontsize=9)
    fig.suptitle(f"phase breakdown at $m = 2^{{{int(math.log2(m))}}}$, $d = {d}$", fontsize=10)
    fig.legend(loc="lower center", ncol=4, fontsize=8, bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    return fig


def plot_theorem41(data: dict, d: int = 64, contender: str = "dtree"):
    """Measured operation counts of a tree step (Theorem E.1's three terms) and ``m^{4/5} n^2 d``, per ``n``
    (top), and their ratio (bottom); returns ``(fig, constants)`` with ``constants[(m, n)]``."""
    ns = sorted({c["n"] for c in _ok(data) if c["d"] == d})
    fig, axes = plt.subplots(2, 1, figsize=(7.0, 6.2), sharex=True)
    consts = {}
    for i, n in enumerate(ns):
        rows = sorted((c["m"], theorem41_work(c, contender)) for c in _ok(data)
                      if c["d"] == d and c["n"] == n and contender in c.get("counts", {}))
        if not rows:
            continue
        ms = np.array([r[0] for r in rows])
        tot = np.array([r[1]["total"] for r in rows])
        bound = np.array([r[1]["bound"] for r in rows])
        color = plt.cm.viridis(i / max(1, len(ns) - 1))
        axes[0].loglog(ms, tot, "o-", color=color, base=2, ms=3, label=f"measured, $n = {n}$")
        axes[0].loglog(ms, bound, "--", color=color, base=2, lw=1)
        axes[1].semilogx(ms, tot / bound, "o-", color=color, base=2, ms=3, label=f"$n = {n}$")
        for m, r in rows:
            consts[(m, n)] = r["constant"]
    axes[0].set_ylabel("operations per step")
    axes[0].set_title(f"{label_of(contender)}: counts (solid) and $m^{{4/5}} n^2 d$ (dashed), $d = {d}$",
                      fontsize=10)
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("$m$")
    axes[1].set_ylabel("count / $m^{4/5} n^2 d$")
    axes[1].set_ylim(bottom=0)
    axes[1].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig, consts


def plot_search_vs_scan(data: dict, n: int, d: int = 64, tree: str = "dtree", scan: str = "scan"):
    """Top: ns per node visit of the tree's query against ns per scanned entry, per ``m``. Bottom: the two query
    phase times with the fitted count-times-cost models extended to the extrapolated crossover. Returns the
    figure and the :func:`crossover` dict (``None`` if fewer than two sizes in the fit window)."""
    rows = query_cost_rows(data, n, d, tree, scan)
    x = crossover(data, n, d, tree, scan)
    fig, axes = plt.subplots(2, 1, figsize=(7.0, 5.8))
    if rows:
        ms = np.array([r["m"] for r in rows], dtype=float)
        axes[0].semilogx(ms, [r["ns_visit"] for r in rows], "o-", base=2, color=_color(tree), ms=3,
                         label=f"{label_of(tree)}: ns per node visit")
        axes[0].semilogx(ms, [r["ns_entry"] for r in rows], "s-", base=2, color=_color(scan), ms=3,
                         label=f"{label_of(scan)}: ns per scanned entry")
        axes[0].set_ylim(bottom=0)
        t_tree = np.array([r["ns_visit"] * r["visits"] for r in rows]) * 1e-6
        t_scan = np.array([r["ns_entry"] * r["entries"] for r in rows]) * 1e-6
        axes[1].loglog(ms, t_tree, "o", base=2, color=_color(tree), ms=3, label=f"{label_of(tree)} query")
        axes[1].loglog(ms, t_scan, "s", base=2, color=_color(scan), ms=3, label=f"{label_of(scan)} query")
        if x is not None:
            hi = max(ms[-1], x["m_query"] or ms[-1]) * 2
            mm = 2.0 ** np.linspace(math.log2(x["window"][0]), math.log2(hi), 60)
            axes[1].loglog(mm, 1e-6 * x["ns_visit"] * x["visits_A"] * mm ** x["visits_alpha"], "-", base=2,
                           color=_color(tree), lw=1, label=r"model: $A m^{\alpha}\,c_v$")
            axes[1].loglog(mm, 1e-6 * x["ns_entry"] * n * mm, "-", base=2, color=_color(scan), lw=1,
                           label=r"model: $m n\,c_e$")
            if x["m_query"] is not None:
                axes[1].axvline(x["m_query"], color="0.5", ls=":", lw=1)
    axes[0].set_ylabel("ns per counted operation")
    axes[0].set_title(f"query phase, $n = {n}$, $d = {d}$", fontsize=10)
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("$m$")
    axes[1].set_ylabel("ms per query phase")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    return fig, x


def plot_live(result: dict, ax=None):
    """Bars of a :func:`firesets.bench.live_time` result or of one ``configs`` entry of the results file (ms per step
    per contender, in the file's order, speed-ups over dense printed on top)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    names = [k for k in CONTENDERS if k in result["median_seconds"]]
    names += [k for k in result["median_seconds"] if k not in names]
    vals = [result["median_seconds"][k] * 1e3 for k in names]
    bars = ax.bar([label_of(k) for k in names], vals, color=[_color(k, names) for k in names])
    for bar, k in zip(bars, names):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"x{result['ratio_vs_dense'][k]:.1f}",
                ha="center", va="bottom", fontsize=9)
    ax.set_ylabel("ms per GD step")
    ax.tick_params(axis="x", labelsize=8)
    return ax


def draw_counts_frame(m: int, b: float, *, n: int = 4, d: int = 16, seed: int = 0):
    """One frame of the chapter's "Try it" panel: the counted operations of one GD step (Theorem E.1's query,
    update and gradient terms) of the dense step, the scan and the DTree at ``(m, b)``, as fractions of the dense
    step's ``2 m n d``. Returns the Figure (7 x 3.6 in)."""
    from firesets.analysis.training_with_trees import step_counts

    sc = step_counts(m, b, n=n, d=d, seed=seed)
    dense = 2.0 * m * n * d
    names = ["dense", "scan", "dtree"]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for y, name in enumerate(names):
        left = 0.0
        for p in ("query", "update", "gradient"):
            v = sc[name][p] / dense
            ax.barh(y, v, left=left, color=PHASE_COLORS[p], height=0.6, label=p if y == 0 else None)
            left += v
        ax.text(left, y, f" {left:.3f}", va="center", fontsize=8)
    ax.set_yticks(range(len(names)), [label_of(k) for k in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("operations per step / $2mnd$")
    ax.set_xlim(0, 1.25 * max(1.0, max(sum(sc[k].values()) / dense for k in names)))
    ax.set_title(f"$m = 2^{{{int(math.log2(m))}}}$, $b = {b:.2f}$, $n = {n}$, $d = {d}$: "
                 f"{sc['fire_pairs']} firing pairs, $|U|/m = {sc['union'] / m:.3f}$", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
