"""Figures of the lower-bound chapter (book/lower_bound.md): the reduction walked through, the proof's
inequalities, the DTree's costs against the theorem, and the frames of the "Try it" panel.

Every figure is stacked vertically (or sized) to stay legible at about 700 px of page width.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Rectangle

from firesets.analysis.lower_bound import (
    below_theorem,
    proof_cost_terms,
    proof_excluded_costs,
    proof_exponents,
    structure_exponents,
)
from firesets.lowerbound import instance_blocks
from firesets.plots import PALETTE

__all__ = ["plot_walkthrough", "plot_proof_inequalities", "plot_dtree_vs_bound", "plot_try_it"]


def plot_walkthrough(A, B, n, ledger, *, literal_floor=False):
    """Top: the matrix of <a_i, b_j> with the DDFN instances (blocks of n rows of A) outlined.
    Bottom: each binary-search round's t, filled when some QUERY was non-empty, and the true maximum."""
    A, B = np.asarray(A), np.asarray(B)
    P = A @ B.T
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(7, 8), gridspec_kw={"height_ratios": [1.25, 1]})
    im = ax0.imshow(P, cmap="coolwarm", norm=TwoSlopeNorm(0, P.min() - 1, P.max() + 1), aspect="auto")
    for (i, j), v in np.ndenumerate(P):
        ax0.text(j, i, str(v), ha="center", va="center", fontsize=9,
                 fontweight="bold" if v == P.max() else "normal")
    colours = plt.cm.tab10.colors
    for q, s in enumerate(instance_blocks(A.shape[0], n, literal_floor)):
        off = 0.06 + 0.08 * q
        ax0.add_patch(Rectangle((-0.5 + off, s - 0.5 + off), B.shape[0] - 2 * off, n - 2 * off, fill=False,
                                lw=2, ec=colours[q % 10], label=f"instance {q + 1}: rows {s} to {s + n - 1}"))
    ax0.set_xlabel(r"$j$ (vector $b_j$ of $B$: the neurons $\tilde y_j$)")
    ax0.set_ylabel(r"$i$ (vector $a_i$ of $A$: the points $\tilde x_i$)")
    ax0.set_title(r"$\langle a_i, b_j\rangle$; boxes = DDFN instances")
    ax0.grid(False)
    ax0.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=9, ncol=2)
    fig.colorbar(im, ax=ax0, fraction=0.046)
    r = np.arange(1, ledger.rounds + 1)
    ts = np.array(ledger.ts)
    ans = np.array(ledger.answers, dtype=bool)
    ax1.axhline(P.max(), color=PALETTE["exact"], ls="--", lw=1, label="Max-IP (brute force)")
    ax1.plot(r, ts, color="0.6", lw=1, zorder=1)
    ax1.scatter(r[ans], ts[ans], color=PALETTE["dtree"], s=60, zorder=2,
                label=r"some QUERY non-empty: $\max \geq t$")
    ax1.scatter(r[~ans], ts[~ans], facecolor="white", edgecolor=PALETTE["dtree"], s=60, zorder=2,
                label=r"every QUERY empty: $\max < t$")
    ax1.set_xticks(r)
    ax1.set_xlabel("binary-search round")
    ax1.set_ylabel(r"$t$ (last coordinate of every $\tilde y_j$)")
    ax1.set_title(f"binary search on $t$, start interval [{ledger.lo}, {ledger.hi}]")
    ax1.legend(fontsize=9)
    return fig


def _update_map(ax, c, eps, log2_m_max, mark=None, colorbar=True):
    """log2(k m U / m^{2-eps}) over powers of two n <= m; green dots where the proof's update inequality holds."""
    lm = np.arange(0, log2_m_max + 1)
    M, N = np.meshgrid(2.0**lm, 2.0**lm, indexing="xy")
    valid = N <= M
    T = proof_cost_terms(np.where(valid, M, 1), np.where(valid, N, 1), c, eps)
    R = np.where(valid, np.log2(T["update_ratio"]), np.nan)
    lim = max(np.nanmax(np.abs(R)), 1e-9)
    cmap = plt.get_cmap("coolwarm").with_extremes(bad="white")
    im = ax.imshow(R, origin="lower", cmap=cmap, norm=TwoSlopeNorm(0, -lim - 1e-9, lim), aspect="auto",
                   extent=(-0.5, lm[-1] + 0.5, -0.5, lm[-1] + 0.5))
    ax.grid(False)
    ax.plot(lm, lm, color="k", lw=1)
    hold = valid & (T["update_ratio"] <= 1 + 1e-12)
    ax.scatter(np.log2(M[hold]), np.log2(N[hold]), s=14, color=PALETTE["wtree"], edgecolor="k", lw=0.5,
               zorder=3, label=r"update term $\leq m^{2-\varepsilon}$")
    ax.set_xlabel(r"$\log_2 m$")
    ax.set_ylabel(r"$\log_2 n$")
    if colorbar:
        ax.figure.colorbar(im, ax=ax, fraction=0.046)
    if mark is not None:
        ax.scatter([np.log2(mark[0])], [np.log2(mark[1])], marker="*", s=200, color="gold", edgecolor="k",
                   zorder=3, label=r"your $(m, n)$")
    ax.legend(loc="upper left", fontsize=9)
    return ax


def plot_proof_inequalities(c, eps, *, log2_m_max=20, mark=None):
    """Top: log2(k m U / m^{2-eps}) over the (m, n) grid (n <= m, powers of two); green dots mark the cells where
    the proof's update-term inequality holds. Bottom: exponents (base n) of the proof's terms against
    a = log_n m, with the span a < a* where the reduction is subquadratic."""
    fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(7, 8.4))
    _update_map(ax0, c, eps, log2_m_max, mark)
    ax0.set_title(rf"$\log_2$(update term $/\ m^{{2-\varepsilon}}$), $c = {c:g}$, $\varepsilon = {eps:g}$")
    a = np.linspace(1, 3, 201)
    E = proof_exponents(a, c, eps)
    ax1.plot(a, E["update_term"], color=PALETTE["bound"], label=r"updates per round: $k\,m\,U$")
    ax1.plot(a, E["query_term"], color=PALETTE["wtree"], label=r"queries per round: $k\,T$")
    ax1.plot(a, E["budget"], color="k", ls="--", label=r"budget $m^{2-\varepsilon}$")
    ax1.plot(a, E["quadratic"], color="0.5", ls=":", label=r"$m^2$ (Max-IP needs $m^{2-o(1)}$)")
    a_star = float(E["a_star"].flat[0])
    ax1.axvline(a_star, color=PALETTE["bound"], lw=0.8, ls="-.")
    ax1.axvspan(1, a_star, color=PALETTE["wtree"], alpha=0.12,
                label=rf"reduction subquadratic: $a < a^* = {a_star:.3f}$")
    ax1.set_xlabel(r"$a = \log m / \log n$")
    ax1.set_ylabel(r"exponent of $n$")
    ax1.set_title(r"the proof's terms as powers of $n$ ($m = n^a$)")
    ax1.legend(fontsize=9)
    return fig


def plot_dtree_vs_bound(rows, n, c, eps):
    """Measured DTree costs per UPDATE (top) and per QUERY (bottom), counts against m for fixed n, with the
    per-operation costs Theorem F.4 rules out (below the solid lines) and those its proof's arithmetic rules
    out (below the dashed lines)."""
    rows = [r for r in rows if r["n"] == n]
    m = np.array([r["m"] for r in rows], dtype=float)
    mm = np.geomspace(m.min(), m.max(), 100)
    P = proof_excluded_costs(mm, n, c, eps)
    fig, axes = plt.subplots(2, 1, figsize=(7, 8), sharex=True)
    specs = [
        ("update", "update_cost", P["update_time"], P["update"],
         r"DTree: $d\,\times$ inner products + nodes written"),
        ("query", "query_cost", P["query_time"], P["query"],
         r"DTree: nodes visited, $|Q| \leq m^{4/5} n$"),
    ]
    for ax, (what, key, thm, proof, lab) in zip(axes, specs):
        ax.plot(m, [r[key] for r in rows], "o-", color=PALETTE["dtree"], label=lab)
        ax.plot(mm, thm, color=PALETTE["bound"], label=f"Theorem F.4: no {what} this fast")
        ax.fill_between(mm, 1, thm, color=PALETTE["bound"], alpha=0.08)
        ax.plot(mm, np.maximum(proof, 1), color=PALETTE["bound"], ls="--",
                label="what the proof's arithmetic rules out")
        if what == "query":
            ax.plot(m, [r["cap"] for r in rows], color="0.5", ls=":", label=r"escape size $m^{4/5} n$")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_ylabel(f"cost per {what.upper()} (counts)")
        ax.set_title(f"{what.upper()}, $n = {n}$, $c = {c:g}$, $\\varepsilon = {eps:g}$")
        ax.legend(fontsize=9)
    axes[-1].set_xlabel(r"$m$ (neurons)")
    return fig


def plot_try_it(m, n, c, eps, *, a_max=6.0, log2_m_max=24):
    """One frame of the "Try it" panel (7 x 3.6 in). Left: as powers of n (m = n^a), the DTree's UPDATE and QUERY
    exponents against the theorem's, the span where the DTree is below both shaded, your a marked. Right: the
    map of the proof's update inequality with your (m, n) starred."""
    # fixed margins instead of the theme's tight layout: a frame is drawn ~50 times per page build
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(7, 3.6), gridspec_kw={"width_ratios": [1.15, 1]},
                                   layout="none")
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.91, wspace=0.25)
    a = np.linspace(1, a_max, 301)
    E = proof_exponents(a, c, eps)
    S = structure_exponents(a, "dtree")
    ax0.plot(a, E["update_time"], color=PALETTE["bound"], label="theorem: UPDATE")
    ax0.plot(a, S["update"], color=PALETTE["dtree"], label="DTree: UPDATE")
    ax0.plot(a, E["query_time"], color=PALETTE["bound"], ls="--", label="theorem: QUERY")
    ax0.plot(a, S["query"], color=PALETTE["dtree"], ls="--", label="DTree: QUERY")
    both = below_theorem(a, c, eps, "dtree")["both"]
    ax0.fill_between(a, 0, 1, where=both, transform=ax0.get_xaxis_transform(), color=PALETTE["wtree"],
                     alpha=0.15, label="DTree below both")
    a_you = float(np.log(m) / np.log(n)) if n > 1 else np.inf
    if np.isfinite(a_you) and a_you <= a_max:
        ax0.axvline(a_you, color="k", lw=1)
        inside = bool(below_theorem(a_you, c, eps, "dtree")["both"])
        ax0.set_title(f"$a = {a_you:.2f}$: DTree below both: {'yes' if inside else 'no'}", fontsize=10)
    else:
        ax0.set_title(f"$a = \\log m / \\log n > {a_max:g}$" if n > 1 else "$n = 1$: $a$ undefined",
                      fontsize=10)
    ax0.set_xlabel(r"$a = \log m / \log n$")
    ax0.set_ylabel(r"exponent of $n$")
    ax0.legend(fontsize=7, loc="upper left")
    _update_map(ax1, c, eps, log2_m_max, mark=(m, n), colorbar=False)
    ax1.legend(fontsize=7, loc="upper left")
    ax1.set_title(r"proof's update inequality", fontsize=10)
    return fig
