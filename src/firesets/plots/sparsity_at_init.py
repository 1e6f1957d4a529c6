"""Figures of the chapter "Sparsity after initialization" (Lemma 2.5, Remark 2.6); only notebooks import this."""
from __future__ import annotations

import numpy as np
import matplotlib.pyplot as plt

from . import PALETTE
from .. import sparsity as sp

__all__ = [
    "fire_count_histogram", "counts_vs_m", "constant_vs_m", "tail_vs_c", "worst_direction_vs_d", "exponent_vs_m",
    "sphere_scaling_vs_m",
]


def fire_count_histogram(k, m, b, ax=None, title=None):
    """Histogram of sampled fire counts ``k`` with the exact pmf, the exact mean ``m p`` and the bound ``m e^{-b^2/2}``.

    The x axis spans the sampled distribution (not the bound): when ``m e^{-b^2/2}`` lies beyond the samples it is
    shown as an arrow at the right edge with its value, so the distribution is never squeezed into a spike.
    """
    from scipy.stats import binom

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.6))
    k = np.asarray(k)
    p = sp.fire_probability(b)
    mean, bound = m * p, sp.lemma25_bound(m, b)
    lo, hi = int(k.min()), int(k.max())
    width = max(1, int(np.ceil((hi - lo + 1) / 60)))
    edges = np.arange(lo, hi + width + 1, width) - 0.5
    ax.hist(k, bins=edges, density=True, histtype="stepfilled", color=PALETTE["measured"], alpha=0.55,
            label=f"sampled $k$ ({k.size} seeds)")
    grid = np.arange(max(0, lo - 2 * width), hi + 2 * width + 1)
    ax.plot(grid, binom.pmf(grid, m, p), color=PALETTE["exact"], lw=1.2, label=r"exact Binomial$(m, Q(b))$ pmf")
    ax.axvline(mean, color=PALETTE["exact"], ls="--", lw=1.5, label=rf"exact $\mathbb{{E}}[k] = m\,Q(b) = {mean:.4g}$")
    pad = 3 * width + 0.05 * (hi - lo + 1)
    left, right = min(lo, mean) - pad, max(hi, mean) + pad
    blabel = rf"Lemma 2.5: $m\,e^{{-b^2/2}} = {bound:.4g}$"
    if left <= bound <= right + 0.25 * (right - left):
        ax.axvline(bound, color=PALETTE["bound"], lw=2, label=blabel)
        right = max(right, bound + pad)
    else:  # far to the right (or left): an arrow at the edge, with the value
        inside = right - 0.02 * (right - left) if bound > right else left + 0.02 * (right - left)
        ax.annotate(blabel + (r" $\rightarrow$" if bound > right else ""), xy=(inside, 0.55),
                    xycoords=("data", "axes fraction"), ha="right" if bound > right else "left", va="center",
                    color=PALETTE["bound"], fontsize=9,
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec=PALETTE["bound"], lw=0.8))
    ax.set_xlim(left, right)
    ax.set_xlabel(r"fire count $k = |\mathcal{S}_{\rm fire}(x)|$")
    ax.set_ylabel("density")
    ax.set_title(title or f"m = {m:,}, b = {b:.3f}")
    ax.legend(loc="upper left", frameon=True, fontsize=8)
    return ax


def counts_vs_m(ms, quantiles, exact_mean, bound, data_ms=None, data_k=None, ax=None):
    """Fire-count quantiles against ``m`` (log-log) with the exact mean and the Lemma 2.5 bound ``m^{4/5}``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    ms = np.asarray(ms, dtype=float)
    qs = sorted(quantiles)
    ax.fill_between(ms, quantiles[qs[0]], quantiles[qs[-1]], color=PALETTE["measured"], alpha=0.25,
                    label=f"sampled $k$, {qs[0]:g}-{qs[-1]:g} quantiles")
    ax.plot(ms, quantiles[0.5], "o-", color=PALETTE["measured"], ms=4, label="sampled median $k$")
    ax.plot(ms, exact_mean, "--", color=PALETTE["exact"], label=r"exact $\mathbb{E}[k] = m\,Q(b)$")
    ax.plot(ms, bound, color=PALETTE["bound"], lw=2, label=r"Lemma 2.5 / Remark 2.6: $m\,e^{-b^2/2} = m^{4/5}$")
    if data_ms is not None:
        ax.plot(data_ms, data_k, "x", color=PALETTE["wtree"], ms=6, label=r"$k_i$ of random data under one $W$ (sampled)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=10)
    ax.set_xlabel("width $m$")
    ax.set_ylabel("fire count $k$")
    ax.legend(loc="upper left")
    return ax


def constant_vs_m(ms, curves, ax=None):
    """Ratios ``k / (m e^{-b^2/2})`` against ``m``: the constant hidden in Lemma 2.5's ``O(.)``."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    styles = ["o-", "s-", "^-", "--", ":", "-."]
    for (label, ys), st in zip(curves.items(), styles):
        ax.plot(ms, ys, st, ms=4, label=label)
    ax.axhline(0.5, color=PALETTE["bound"], lw=1, ls=":", label=r"$1/2$ ($Q(b) \leq e^{-b^2/2}/2$)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width $m$")
    ax.set_ylabel(r"$k\,/\,(m\,e^{-b^2/2})$")
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
        ax.plot(cs, bernstein[j], ":", color=col, lw=1.6, label=r"Bernstein bound $e^{-\gamma(c) B}$" if j == 0 else None)
    ax.axhline(floor, color="grey", lw=0.8, ls="--", label="sampling resolution")
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 2)
    ax.set_xlabel("$c$")
    ax.set_ylabel(r"$\Pr[k > c\,m\,e^{-b^2/2}]$")
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
    ax.axhline(1.0, color=PALETTE["bound"], lw=2, label=r"Lemma 2.5 quantity $m\,e^{-b^2/2}$ ($c = 1$)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("input dimension $d$")
    ax.set_ylabel(r"$k\,/\,(m\,e^{-b^2/2})$")
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def exponent_vs_m(ms, local, fitted, ax=None, expansion=None):
    """The exact local exponent ``d ln E[k] / d ln m`` against ``m``, its expansions, Remark 2.6's 4/5 and a fit.

    ``expansion`` (optional) is the two-term expansion ``4/5 - 1/(2 ln m) + 5/(2 ln^2 m)`` evaluated at ``ms``;
    the one-term ``4/5 - 1/(2 ln m)`` is always drawn.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    ms = np.asarray(ms, dtype=float)
    ax.plot(ms, local, "o-", ms=4, color=PALETTE["measured"], label=r"exact local exponent of $\mathbb{E}[k]$")
    ax.plot(ms, 0.8 - 1 / (2 * np.log(ms)), "--", color=PALETTE["exact"], label=r"$4/5 - 1/(2 \ln m)$")
    if expansion is not None:
        ax.plot(ms, expansion, ":", color=PALETTE["exact"], lw=2,
                label=r"$4/5 - 1/(2 \ln m) + 5/(2 \ln^2 m)$")
    ax.axhline(0.8, color=PALETTE["bound"], lw=2, label="Remark 2.6: $4/5$")
    ax.axhline(fitted, color="grey", ls=":", label=r"fitted exponent of the median $k$")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("width $m$")
    ax.set_ylabel(r"$\mathrm{d} \ln k / \mathrm{d} \ln m$")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Remark 2.6: growth exponent of the fire count")
    return ax


def sphere_scaling_vs_m(sphere, ax=None):
    """Certified ``max_x k / (m e^{-b^2/2})`` against ``m`` for several laws ``d(m)``, with the fitted power laws.

    ``sphere`` is the output of :func:`firesets.analysis.sparsity_at_init.sphere_scaling`.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.8))
    marks = ["o", "s", "^", "v"]
    for j, (law, v) in enumerate(sphere.items()):
        ms = np.asarray(v["ms"], dtype=float)
        r = np.asarray(v["ratio"], dtype=float)
        line, = ax.plot(ms, r, marks[j % 4], ms=6, label=f"${law}$: slope {v['slope']:+.2f}")
        fit = np.exp(np.polyval(np.polyfit(np.log(ms), np.log(r), 1), np.log(ms)))
        ax.plot(ms, fit, "-", color=line.get_color(), lw=1)
    ax.axhline(1.0, color=PALETTE["bound"], lw=2, label=r"$m\,e^{-b^2/2}$ ($c = 1$)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("width $m$")
    ax.set_ylabel(r"certified $\max_x k\,/\,(m\,e^{-b^2/2})$")
    ax.legend(loc="upper left", fontsize=8)
    return ax
