"""Figures of the chapter "Fire sets during training" (Lemma B.6, flip sets, Claim A.1, convergence)."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from scipy.special import ndtr

from . import PALETTE

__all__ = ["plot_fire_counts", "plot_flips", "plot_envelope_vs_R", "plot_loss", "plot_movement", "plot_union"]


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
        ax.plot(t, L.k.max(axis=1) / s, color=c, lw=2, label=f"m = {m}: max$_i$ k")
        ax.plot(t, L.k.mean(axis=1) / s, color=c, lw=1.2, ls="--")
        ax.plot(t, L.envelope.max(axis=1) / s, color=c, lw=1.2, ls=":")
    ax.set_xlabel("iteration t")
    ax.set_ylabel(r"$k_{i,t}\,/\,(m\,e^{-b^2/2})$")
    ax.set_yscale("log")
    ax.set_title(title or r"fire counts: max (solid), mean (dashed), envelope $\#\{r: \langle w_r(0),x_i\rangle > b-R(t)\}$ (dotted)",
                 fontsize=10)
    ax.legend(loc="best")
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
    """The envelope ``max_i #{r: <w_r(0), x_i> > b - R}`` against ``R``, with ``m Q(b - R)`` and the anti-concentration bound."""
    ax = ax or plt.subplots()[1]
    m = L.m
    s = _scale(m, b)
    R = np.geomspace(1e-3, max(4 * R_measured, 3.0), 120)
    env = np.array([L.envelope_at(r).max() for r in R]) / s
    ax.plot(R, env, color=PALETTE["measured"], lw=2, label=r"measured $\max_i \#\{r: \langle w_r(0),x_i\rangle > b-R\}$")
    ax.plot(R, m * ndtr(-(b - R)) / s, color=PALETTE["exact"], ls="--", label=r"$m\,\Pr[z > b-R]$")
    ax.plot(R, m * (ndtr(-b) + 2 * R / math.sqrt(2 * math.pi)) / s, color=PALETTE["bound"], ls=":",
            label=r"$m(\Pr[z>b] + 2R/\sqrt{2\pi})$ (Lemma A.5)")
    ax.axvline(math.exp(-b * b / 2), color="gray", ls="-.", lw=1)
    ax.text(math.exp(-b * b / 2), ax.get_ylim()[1] * 0.6, r" $R=e^{-b^2/2}$", color="gray", fontsize=9)
    ax.axvline(R_measured, color=PALETTE["dtree"], lw=1.5)
    ax.text(R_measured, ax.get_ylim()[1] * 0.3, " measured movement", color=PALETTE["dtree"], fontsize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"movement radius R   (Claim A.1's D = {D:.3g} is off the chart)" if D > R[-1] else "movement radius R")
    ax.set_ylabel(r"envelope $/\,(m\,e^{-b^2/2})$")
    ax.set_title(f"Lemma B.6's counting step at m = {m}, b = {b:.2f}")
    ax.legend(fontsize=8, loc="upper left")
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
        ax.plot(t, L.union / L.m, lw=2, ls=styles[j % 4], color=f"C{j}", label=f"{label}: union")
        ax.plot(t, L.k.sum(axis=1) / L.m, lw=1, ls=styles[j % 4], color=f"C{j}", alpha=0.6,
                label=rf"{label}: $\sum_i k_{{i,t}}$")
    ax.set_xlabel("iteration t")
    ax.set_ylabel("neurons / m")
    ax.set_yscale("log")
    ax.set_title(r"neurons a sparse step touches: $|\cup_i S_{i,\mathrm{fire}}(t)|$ vs $\sum_i k_{i,t}$")
    ax.legend(fontsize=8)
    return ax
