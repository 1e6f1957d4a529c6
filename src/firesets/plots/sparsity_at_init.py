"""Figures of the chapter "Sparsity after initialization" (Lemma 2.5, Remark 2.6); only notebooks import this."""
from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt

from . import PALETTE
from .. import sparsity as sp

__all__ = [
    "fire_count_histogram", "counts_vs_m", "constant_vs_m", "tail_vs_c", "worst_direction_vs_d", "exponent_vs_m",
]


def fire_count_histogram(k, m, b, ax=None, title=None):
    """Histogram of sampled fire counts ``k`` with the exact pmf, the exact mean ``m p`` and the bound ``m e^{-b^2/2}``."""
    from scipy.stats import binom

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    k = np.asarray(k)
    p = sp.fire_probability(b)
    mean, bound = m * p, sp.lemma25_bound(m, b)
    lo, hi = int(k.min()), int(k.max())
    width = max(1, int(np.ceil((hi - lo + 1) / 60)))
    edges = np.arange(lo, hi + width + 1, width) - 0.5
    ax.hist(k, bins=edges, density=True, histtype="stepfilled", color=PALETTE["measured"], alpha=0.55, label=f"sampled k ({k.size} seeds)")
    grid = np.arange(max(0, lo - 2 * width), hi + 2 * width + 1)
    ax.plot(grid, binom.pmf(grid, m, p), color=PALETTE["exact"], lw=1.2, label="exact Binomial(m, p) pmf")
    ax.axvline(mean, color=PALETTE["exact"], ls="--", lw=1.5, label=f"exact E[k] = m p = {mean:.4g}")
    ax.axvline(bound, color=PALETTE["bound"], lw=2, label=f"Lemma 2.5: m exp(-b²/2) = {bound:.4g}")
    ax.set_xlim(min(lo, mean) - 3 * width, max(hi, bound) * 1.05 + 3 * width)
    ax.set_xlabel("fire count k = |S_fire(x)|")
    ax.set_ylabel("density")
    ax.set_title(title or f"m = {m:,}, b = {b:.3f}")
    ax.legend(loc="upper right", frameon=True)
    return ax


def counts_vs_m(ms, quantiles, exact_mean, bound, data_ms=None, data_k=None, ax=None):
    """Fire-count quantiles against ``m`` (log-log) with the exact mean and the Lemma 2.5 bound ``m^{4/5}``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    ms = np.asarray(ms, dtype=float)
    qs = sorted(quantiles)
    ax.fill_between(ms, quantiles[qs[0]], quantiles[qs[-1]], color=PALETTE["measured"], alpha=0.25,
                    label=f"sampled k, {qs[0]:g}-{qs[-1]:g} quantiles")
    ax.plot(ms, quantiles[0.5], "o-", color=PALETTE["measured"], ms=4, label="sampled median k")
    ax.plot(ms, exact_mean, "--", color=PALETTE["exact"], label="exact E[k] = m Q(b)")
    ax.plot(ms, bound, color=PALETTE["bound"], lw=2, label="Lemma 2.5 / Remark 2.6: m exp(-b²/2) = m^{4/5}")
    if data_ms is not None:
        ax.plot(data_ms, data_k, "x", color=PALETTE["wtree"], ms=6, label="k_i of random data under one W (sampled)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=10)
    ax.set_xlabel("width m")
    ax.set_ylabel("fire count k")
    ax.legend(loc="upper left")
    return ax


def constant_vs_m(ms, curves, ax=None):
    """Ratios ``k / (m e^{-b^2/2})`` against ``m``: the constant hidden in Lemma 2.5's ``O(.)``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    styles = ["o-", "s-", "^-", "--", ":", "-."]
    for (label, ys), st in zip(curves.items(), styles):
        ax.plot(ms, ys, st, ms=4, label=label)
    ax.axhline(0.5, color=PALETTE["bound"], lw=1, ls=":", label="1/2 (Q(b) ≤ exp(-b²/2)/2)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width m")
    ax.set_ylabel("k / (m exp(-b²/2))")
    ax.set_ylim(0, None)
    ax.legend(loc="upper right")
    return ax


def tail_vs_c(cs, exact, sampled, bernstein, ms, n_seeds, ax=None):
    """``Pr[k > c m e^{-b^2/2}]`` against ``c``: exact binomial tail, sampled frequency and our Bernstein bound."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    floor = 0.5 / n_seeds
    for j, m in enumerate(ms):
        col = colors[j % len(colors)]
        ax.plot(cs, exact[j], "-", color=col, label=f"exact, m = 2^{int(np.log2(m))}")
        s = np.where(np.asarray(sampled[j]) > 0, sampled[j], np.nan)
        ax.plot(cs, s, "o", color=col, ms=4, mfc="none", label=f"sampled ({n_seeds} seeds)" if j == 0 else None)
        ax.plot(cs, bernstein[j], ":", color=col, lw=1.6, label="Bernstein bound exp(-γ(c) B)" if j == 0 else None)
    ax.axhline(floor, color="grey", lw=0.8, ls="--", label="sampling resolution")
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 2)
    ax.set_xlabel("c")
    ax.set_ylabel("Pr[k > c · m exp(-b²/2)]")
    ax.legend(loc="lower left", fontsize=8)
    return ax


def worst_direction_vs_d(ds, rows, ax=None, title=None):
    """Fire count over ``B = m e^{-b^2/2}`` for a fixed x, the worst of n data points and the worst direction found.

    ``rows`` maps a legend label to ``(ys, style)``; ``ys`` may be shorter than ``ds`` (plotted against ``ds[:len(ys)]``).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    for label, (ys, st) in rows.items():
        ax.plot(np.asarray(ds)[: len(ys)], ys, st, ms=5, label=label)
    ax.axhline(1.0, color=PALETTE["bound"], lw=2, label="Lemma 2.5 quantity (c = 1)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("input dimension d")
    ax.set_ylabel("k / (m exp(-b²/2))")
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def exponent_vs_m(ms, local, fitted, ax=None):
    """The local growth exponent ``d ln E[k] / d ln m`` against ``m``, the Mills-ratio prediction, Remark 2.6's 4/5."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    ms = np.asarray(ms, dtype=float)
    ax.plot(ms, local, "o-", ms=4, color=PALETTE["measured"], label="local exponent of exact E[k]")
    ax.plot(ms, 0.8 - 1 / (2 * np.log(ms)), "--", color=PALETTE["exact"], label="4/5 - 1/(2 ln m) (Mills ratio)")
    ax.axhline(0.8, color=PALETTE["bound"], lw=2, label="Remark 2.6: 4/5")
    ax.axhline(fitted, color="grey", ls=":", label="fitted exponent of the median, 2^8..2^24")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width m")
    ax.set_ylabel("d ln k / d ln m")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Remark 2.6: growth exponent of the fire count")
    return ax
