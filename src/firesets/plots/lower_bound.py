"""Figures of the lower-bound chapter (book/lower_bound.ipynb): the reduction walked through, the proof's inequalities, DTree costs."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.patches import Rectangle

from firesets.lowerbound import instance_blocks
from firesets.analysis.lower_bound import proof_cost_terms, proof_exponents
from firesets.plots import PALETTE

__all__ = ["plot_walkthrough", "plot_proof_inequalities", "plot_dtree_vs_bound"]


def plot_walkthrough(A, B, n, ledger, *, literal_floor=False):
    """Left: the matrix of <a_i, b_j> with the DDFN instances (blocks of n rows of A) outlined.
    Right: each binary-search round's t, filled when some QUERY was non-empty, and the true maximum."""
    A, B = np.asarray(A), np.asarray(B)
    P = A @ B.T
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1.3]})
    im = ax0.imshow(P, cmap="coolwarm", norm=TwoSlopeNorm(0, P.min() - 1, P.max() + 1), aspect="auto")
    for (i, j), v in np.ndenumerate(P):
        ax0.text(j, i, str(v), ha="center", va="center", fontsize=8,
                 fontweight="bold" if v == P.max() else "normal")
    colours = plt.cm.tab10.colors
    for q, s in enumerate(instance_blocks(A.shape[0], n, literal_floor)):
        off = 0.06 + 0.08 * q
        ax0.add_patch(Rectangle((-0.5 + off, s - 0.5 + off), B.shape[0] - 2 * off, n - 2 * off, fill=False,
                                lw=2, ec=colours[q % 10], label=f"instance {q + 1}: rows {s}..{s + n - 1}"))
    ax0.set_xlabel("j (vector b_j of B: the neurons y_j)")
    ax0.set_ylabel("i (vector a_i of A: the points x_i)")
    ax0.set_title("<a_i, b_j>; boxes = DDFN instances")
    ax0.grid(False)
    ax0.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize=8, ncol=2)
    fig.colorbar(im, ax=ax0, fraction=0.046)
    r = np.arange(1, ledger.rounds + 1)
    ts = np.array(ledger.ts)
    ans = np.array(ledger.answers, dtype=bool)
    ax1.axhline(P.max(), color=PALETTE["exact"], ls="--", lw=1, label="Max-IP (brute force)")
    ax1.plot(r, ts, color="0.6", lw=1, zorder=1)
    ax1.scatter(r[ans], ts[ans], color=PALETTE["dtree"], s=60, zorder=2, label="some QUERY non-empty: max >= t")
    ax1.scatter(r[~ans], ts[~ans], facecolor="white", edgecolor=PALETTE["dtree"], s=60, zorder=2,
                label="all QUERY empty: max < t")
    ax1.set_xticks(r)
    ax1.set_xlabel("binary-search round")
    ax1.set_ylabel("t (the added coordinate of every y~_j)")
    ax1.set_title(f"binary search on t, start interval [{ledger.lo}, {ledger.hi}]")
    ax1.legend(fontsize=8)
    return fig


def plot_proof_inequalities(c, eps, *, log2_m_max=20, mark=None):
    """Left: log2(k m U / m^{2-eps}) over the (m, n) grid (n <= m, powers of two); green dots mark the cells where
    the proof's update-term inequality holds. Right: exponents (base n) of the proof's terms against a = log_n m."""
    lm = np.arange(0, log2_m_max + 1)
    M, N = np.meshgrid(2.0**lm, 2.0**lm, indexing="xy")
    valid = N <= M
    T = proof_cost_terms(np.where(valid, M, 1), np.where(valid, N, 1), c, eps)
    R = np.where(valid, np.log2(T["update_ratio"]), np.nan)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.4))
    lim = max(np.nanmax(np.abs(R)), 1e-9)
    cmap = plt.get_cmap("coolwarm").copy()
    cmap.set_bad("white")
    im = ax0.imshow(R, origin="lower", cmap=cmap, norm=TwoSlopeNorm(0, -lim - 1e-9, lim), aspect="auto",
                    extent=(-0.5, lm[-1] + 0.5, -0.5, lm[-1] + 0.5))
    ax0.grid(False)
    ax0.plot(lm, lm, color="k", lw=1)
    hold = valid & (T["update_ratio"] <= 1 + 1e-12)
    ax0.scatter(np.log2(M[hold]), np.log2(N[hold]), s=14, color=PALETTE["wtree"], edgecolor="k", lw=0.5,
                zorder=3, label="update term <= m^(2-eps)")
    ax0.legend(loc="upper left", fontsize=8)
    ax0.set_xlabel("log2 m")
    ax0.set_ylabel("log2 n")
    ax0.set_title(f"log2 (update term / m^(2-eps)), c={c:g}, eps={eps:g}")
    fig.colorbar(im, ax=ax0, fraction=0.046)
    if mark is not None:
        ax0.scatter([np.log2(mark[0])], [np.log2(mark[1])], marker="*", s=200, color="gold", edgecolor="k", zorder=3)
    a = np.linspace(1, 3, 201)
    E = proof_exponents(a, c, eps)
    ax1.plot(a, E["update_term"], color=PALETTE["bound"], label="updates per round: k m U")
    ax1.plot(a, E["query_term"], color=PALETTE["wtree"], label="queries per round: k T")
    ax1.plot(a, E["budget"], color="k", ls="--", label="budget m^(2-eps)")
    ax1.plot(a, E["quadratic"], color="0.5", ls=":", label="m^2 (Max-IP needs m^(2-o(1)))")
    a_star = float(E["a_star"].flat[0])
    ax1.axvline(a_star, color=PALETTE["bound"], lw=0.8, ls="-.")
    ax1.axvspan(1, a_star, color=PALETTE["wtree"], alpha=0.12, label=f"proof works: a < a* = {a_star:.3f}")
    ax1.set_xlabel("a = log m / log n")
    ax1.set_ylabel("exponent of n")
    ax1.set_title("the proof's terms as powers of n (m = n^a)")
    ax1.legend(fontsize=8)
    return fig


def plot_dtree_vs_bound(rows, n, c, eps):
    """Measured DTree costs per UPDATE and per QUERY (counts) against m, for fixed n, with the per-operation
    costs Theorem F.4 rules out (below the solid lines) and those its proof actually rules out (dashed)."""
    rows = [r for r in rows if r["n"] == n]
    m = np.array([r["m"] for r in rows], dtype=float)
    mm = np.geomspace(m.min(), m.max(), 100)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    specs = [
        ("update", "update_cost", mm ** (1 - c) * n ** (c - eps), n * mm ** (-eps), "DTree: d x inner products + nodes written"),
        ("query", "query_cost", mm ** (1 - c) * n ** (1 + c - eps), n * mm ** (1 - eps), "DTree: nodes visited, |Q| <= m^(4/5) n"),
    ]
    for ax, (what, key, thm, proof, lab) in zip(axes, specs):
        ax.plot(m, [r[key] for r in rows], "o-", color=PALETTE["dtree"], label=lab)
        ax.plot(mm, thm, color=PALETTE["bound"], label=f"Theorem F.4: no {what} this fast")
        ax.fill_between(mm, 1, thm, color=PALETTE["bound"], alpha=0.08)
        ax.plot(mm, np.maximum(proof, 1), color=PALETTE["bound"], ls="--", label="what the proof rules out")
        if what == "query":
            ax.plot(m, [r["cap"] for r in rows], color="0.5", ls=":", label="escape size m^(4/5) n")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("m (neurons)")
        ax.set_ylabel(f"cost per {what.upper()} (counts)")
        ax.set_title(f"{what.upper()}, n = {n}, c = {c:g}, eps = {eps:g}")
        ax.legend(fontsize=8)
    return fig
