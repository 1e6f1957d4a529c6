"""Figures of the chapter "Fire sets during training" (Lemma B.6, flip sets, Claim A.1, convergence)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import ndtr

from . import PALETTE

__all__ = [
    "plot_fire_counts", "plot_flips", "plot_envelope_vs_R", "plot_loss", "plot_movement", "plot_union",
    "plot_sweep", "plot_radii",
]


def _scale(m: int, b: float) -> float:
    return m * math.exp(-b * b / 2)


def _colors(k):
    return plt.cm.viridis(np.linspace(0.1, 0.85, k))


def plot_fire_counts(runs: dict, title: str = "", ax=None, C: float | None = None, C_label: str = ""):
    """``max_i k_{i,t}`` (solid), ``mean_i k_{i,t}`` (dashed) and the proof's envelope (dotted), over ``m e^{-b^2/2}``.

    ``runs`` maps ``m`` to ``(ledger, b)``. ``C`` draws Lemma B.6's bound ``k_{i,t} <= C m e^{-b^2/2}`` with a measured
    constant as a horizontal black line.
    """
    ax = ax or plt.subplots()[1]
    if C is not None:
        ax.axhline(C, color="k", lw=1.5, label=C_label or rf"Lemma B.6: $C\,m e^{{-b^2/2}}$, C = {C:.3g}")
    for c, (m, (L, b)) in zip(_colors(len(runs)), runs.items()):
        s = _scale(m, b)
        t = np.arange(L.T + 1)
        ax.plot(t, L.k.max(axis=1) / s, color=c, lw=2, label=rf"$m = {m}$: $\max_i k_{{i,t}}$")
        ax.plot(t, L.k.mean(axis=1) / s, color=c, lw=1.2, ls="--")
        ax.plot(t, L.envelope.max(axis=1) / s, color=c, lw=1.2, ls=":")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"$k_{i,t}\,/\,(m\,e^{-b^2/2})$")
    ax.set_yscale("log")
    ax.set_title(title or "fire counts: max (solid), mean (dashed), envelope (dotted)", fontsize=10)
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_flips(runs: dict, title: str = "", ax=None):
    """Total flips ``sum_i |S_{i,flip}(t)|`` per iteration (Definition B.4), for each ``m``."""
    ax = ax or plt.subplots()[1]
    for c, (m, (L, _)) in zip(_colors(len(runs)), runs.items()):
        f = L.flips.sum(axis=1)[1:]
        ax.plot(np.arange(1, L.T + 1), np.where(f > 0, f, np.nan), color=c, lw=1.5, marker=".", ms=3, label=f"m = {m}")
    ax.set_yscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"$\sum_i |S_{i,\mathrm{flip}}(t)|$")
    ax.set_title(title or "flips per iteration (zero counts not drawn)")
    ax.legend()
    return ax


def plot_envelope_vs_R(L, b: float, R_measured: float, D: float, ax=None):
    """The envelope ``max_i #{r: <w_r(0), x_i> > b - R}`` against ``R`` as a fraction of ``m``.

    Drawn with its mean ``Q(b - R)`` (exact), the Lemma A.5 bound ``Q(b) + 2R/sqrt(2 pi)``, the scale
    ``e^{-b^2/2}`` of Lemma B.6 (horizontal), and vertical marks at ``R = e^{-b^2/2}`` (the Lemma A.5 route's
    radius), ``R = R_1(b)`` (where ``Q(b - R) = e^{-b^2/2}``, the exact route's radius) and the measured movement.
    """
    from ..analysis.fire_sets_in_training import envelope_radius

    ax = ax or plt.subplots()[1]
    m = L.m
    R = np.geomspace(1e-3, max(4 * R_measured, 3.0), 120)
    env = np.array([L.envelope_at(r).max() for r in R]) / m
    ax.plot(R, env, color=PALETTE["measured"], lw=2,
            label=r"measured $\max_i \#\{r: \langle w_r(0),x_i\rangle > b-R\}\,/\,m$")
    ax.plot(R, ndtr(-(b - R)), color=PALETTE["exact"], ls="--", label=r"mean: $Q(b-R)$")
    ax.plot(R, ndtr(-b) + 2 * R / math.sqrt(2 * math.pi), color=PALETTE["bound"], ls=":",
            label=r"Lemma A.5: $Q(b) + 2R/\sqrt{2\pi}$")
    e = math.exp(-b * b / 2)
    ax.axhline(e, color="gray", lw=1, ls="--", label=r"$e^{-b^2/2}$ (Lemma B.6 with $C = 1$)")
    R1 = float(envelope_radius(b, 1.0))
    ax.axvline(e, color="gray", ls="-.", lw=1)
    ax.axvline(R1, color=PALETTE["wtree"], ls="-.", lw=1.5)
    ax.axvline(R_measured, color=PALETTE["dtree"], lw=1.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(min(env.min(), ndtr(-b)) / 2, 1.5)
    top = ax.get_ylim()[1]
    ax.text(e, top * 0.5, r" $R=e^{-b^2/2}$", color="gray", fontsize=9)
    ax.text(R1, top * 0.2, r" $R_1(b)$", color=PALETTE["wtree"], fontsize=9)
    ax.text(R_measured, top * 0.08, " measured", color=PALETTE["dtree"], fontsize=9)
    ax.set_xlabel(f"movement radius $R$   (Claim A.1's $D$ = {D:.3g} is off the chart)" if D > R[-1]
                  else "movement radius $R$")
    ax.set_ylabel(r"envelope as a fraction of $m$")
    ax.set_title(f"Lemma B.6's counting step at m = {m}, b = {b:.2f}")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_loss(curves: dict, ax=None):
    """Loss curves; ``curves`` maps a label to ``(loss array, style dict)``; predicted rates pass their own style."""
    ax = ax or plt.subplots()[1]
    for label, (loss, style) in curves.items():
        loss = np.asarray(loss, dtype=float)
        ax.plot(np.arange(loss.size), np.where(loss > 0, loss, np.nan), label=label, **style)
    ax.set_yscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"$L(W(t))$")
    ax.legend(fontsize=8)
    return ax


def plot_movement(runs: dict, D: dict, ax=None):
    """``||W(t) - W(0)||_{inf,2}`` for each ``m`` with Claim A.1's ``D`` (dashed) and ``e^{-b^2/2}`` (dotted)."""
    ax = ax or plt.subplots()[1]
    for c, (m, (L, b)) in zip(_colors(len(runs)), runs.items()):
        t = np.arange(L.T + 1)
        ax.plot(t[1:], L.movement[1:], color=c, lw=2, label=f"m = {m}")
        ax.axhline(D[m], color=c, ls="--", lw=1)
        ax.axhline(math.exp(-b * b / 2), color=c, ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"$\|W(t)-W(0)\|_{\infty,2}$")
    ax.set_title(r"movement (solid), Claim A.1's D (dashed), $e^{-b^2/2}$ (dotted)")
    ax.legend()
    return ax


def plot_union(runs: dict, ax=None):
    """``|union_i S_{i,fire}(t)| / m`` per iteration; ``runs`` maps a data-set label to a ledger."""
    ax = ax or plt.subplots()[1]
    styles = ["-", "--", "-.", ":"]
    for j, (label, L) in enumerate(runs.items()):
        t = np.arange(L.T + 1)
        ax.plot(t, L.union / L.m, lw=2, ls=styles[j % 4], color=f"C{j}", label=rf"{label}: $|\cup_i S_{{i,\mathrm{{fire}}}}|$")
        ax.plot(t, L.k.sum(axis=1) / L.m, lw=1, ls=styles[j % 4], color=f"C{j}", alpha=0.6,
                label=rf"{label}: $\sum_i k_{{i,t}}$")
    ax.set_xlabel("iteration t")
    ax.set_ylabel("neurons / m")
    ax.set_yscale("log")
    ax.set_title(r"neurons a sparse step touches: $|\cup_i S_{i,\mathrm{fire}}(t)|$ vs $\sum_i k_{i,t}$")
    ax.legend(fontsize=8)
    return ax


def plot_sweep(recs, axes=None):
    """The Lemma B.6 sweep: per seed (dots) and mean (line) of ``max_{i,t} k_{i,t}`` over ``m e^{-b^2/2}`` (top,
    with the Mills factor ``Q(b) e^{b^2/2}`` that the initial mean alone has) and over ``m Q(b)`` (bottom, with the
    growth ``max_{i,t} k_{i,t} / k_{i,0}``). ``recs`` are the records of the sweep JSON. Two stacked axes."""
    from scipy.stats import norm

    from ..analysis.fire_sets_in_training import sweep_table

    if axes is None:
        _, axes = plt.subplots(2, 1, figsize=(7, 6.6), sharex=True)
    top, bot = axes
    for key, ax, lab, col in (("ratio", top, r"$\max_{i,t} k_{i,t} / (m e^{-b^2/2})$", PALETTE["measured"]),
                              ("ratio_q", bot, r"$\max_{i,t} k_{i,t} / (m Q(b))$", PALETTE["measured"]),
                              ("growth", bot, r"$\max_{i,t} k_{i,t} / k_{i,0}$", PALETTE["dtree"])):
        t = sweep_table(recs, key)
        ms = np.array(list(t), dtype=float)
        for m, v in t.items():
            ax.plot(np.full(v.size, m), v, ".", color=col, alpha=0.45, ms=5)
        ax.plot(ms, [v.mean() for v in t.values()], "-", color=col, lw=2, label=lab + " (seed mean; dots: seeds)")
    ms = np.array(list(sweep_table(recs, "ratio")), dtype=float)
    b = np.sqrt(0.4 * np.log(ms))
    top.plot(ms, np.exp(norm.logsf(b) + b * b / 2), "--", color=PALETTE["exact"],
             label=r"initial mean alone: $Q(b)\,e^{b^2/2}$ (Mills factor)")
    bot.axhline(1.0, color=PALETTE["exact"], lw=1, ls="--")
    top.set_ylabel(r"$k\,/\,(m e^{-b^2/2})$")
    bot.set_ylabel(r"$k\,/\,(m Q(b))$ and $k_t / k_0$")
    bot.set_xlabel("width $m$")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.legend(fontsize=8, loc="upper right")
    top.set_title(r"Lemma B.6 sweep: synthetic data, $b = \sqrt{0.4 \ln m}$, $\eta = 1/\lambda_{\max}$")
    return axes


def plot_radii(rows, ax=None):
    """Per width: measured movement ``R``, Claim A.1's ``D``, the exact route's radius ``R_1(b)``, its leading
    term ``(ln b + ln sqrt(2 pi)) / b`` and the Lemma A.5 route's ``e^{-b^2/2}``. ``rows`` from
    :func:`firesets.analysis.fire_sets_in_training.radii_table`."""
    ax = ax or plt.subplots(figsize=(7, 3.8))[1]
    ms = np.array([r["m"] for r in rows], dtype=float)
    b = np.array([r["b"] for r in rows])
    ax.plot(ms, [r["D"] for r in rows], "s--", color=PALETTE["bound"], label="Claim A.1's $D$")
    ax.plot(ms, [r["R"] for r in rows], "o-", color=PALETTE["dtree"], lw=2, label="measured movement $R$")
    ax.plot(ms, [r["R1"] for r in rows], "-", color=PALETTE["wtree"], lw=2,
            label=r"$R_1(b)$: $Q(b - R_1) = e^{-b^2/2}$")
    ax.plot(ms, (np.log(b) + math.log(math.sqrt(2 * math.pi))) / b, ":", color=PALETTE["wtree"],
            label=r"$(\ln b + \ln\sqrt{2\pi})\,/\,b$")
    ax.plot(ms, [r["e"] for r in rows], "-.", color="gray", label=r"$e^{-b^2/2}$ (Lemma A.5 route)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("width $m$")
    ax.set_ylabel("radius")
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title("Movement against the radii of Lemma B.6's proof")
    return ax
