"""Figures of the chapter on the correlation trees (book/correlation_trees.ipynb)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from firesets.analysis.correlation_trees import find_visits, heap_values, padded
from firesets.plots import PALETTE

__all__ = ["draw_maxtree", "plot_query_visits", "plot_dtree_vs_wtree", "draw_tree_frame"]


def draw_maxtree(values, tau, ax=None, *, title=None):
    """Draw the max-tree over ``values`` (one tree, heap layout), the nodes FIND reads at ``tau``, and the fire set.

    Nodes: filled orange if read and ``> tau`` (FIND descends), grey-outlined if read and ``<= tau`` (pruned),
    faint if never read. Leaves above ``tau`` (the reported set) get a thick red edge.
    """
    values = np.asarray(values, dtype=float)
    vals = heap_values(values)
    M = padded(values.size)
    depth = M.bit_length() - 1
    visited = find_visits(vals, tau)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(7.0, 0.42 * M), 3.6))
    pos = {}
    for v in range(1, 2 * M):
        level = v.bit_length() - 1
        k = v - (1 << level)
        x = (k + 0.5) * M / (1 << level)
        pos[v] = (x, depth - level)
    for v in range(2, 2 * M):
        if np.isfinite(vals[v]):
            (x0, y0), (x1, y1) = pos[v // 2], pos[v]
            ax.plot([x0, x1], [y0, y1], color="#bbbbbb", lw=1, zorder=1)
    for v in range(1, 2 * M):
        if not np.isfinite(vals[v]):
            continue  # padding
        x, y = pos[v]
        above = vals[v] > tau
        if visited[v] and above:
            face, edge, alpha = PALETTE["dtree"], "black", 1.0
        elif visited[v]:
            face, edge, alpha = "white", "#555555", 1.0
        else:
            face, edge, alpha = "#eeeeee", "#cccccc", 0.8
        leaf = v >= M
        lw = 2.5 if (leaf and above) else 1.0
        if leaf and above:
            edge = PALETTE["bound"]
        ax.scatter([x], [y], s=420 if leaf else 460, c=face, edgecolors=edge, linewidths=lw, alpha=alpha, zorder=2)
        ax.text(x, y, f"{vals[v]:.2f}", ha="center", va="center", fontsize=5.5 if M > 16 else 6.5, zorder=3)
    fire = np.flatnonzero(values > tau)
    ax.set_xlim(-0.2, M + 0.2)
    ax.set_ylim(-0.9, depth + 0.6)
    ax.axis("off")
    ax.set_title(
        title
        or f"$m = {values.size}$, $b = {tau:.2f}$: FIND reads {int(visited.sum())} nodes, "
        f"reports $S = \\{{{', '.join(map(str, fire.tolist()))}\\}}$",
        fontsize=10,
    )
    for k in range(values.size):
        ax.text(pos[M + k][0], -0.6, str(k), ha="center", va="center", fontsize=7, color="#555555")
    return ax


def plot_query_visits(ms, visits, sizes, n, ax=None):
    """Nodes visited by ``query_all`` per reported pair, scaled by ``log2 m`` and by ``log2(n m / |S|)``, per ``m``."""
    ms, visits, sizes = (np.asarray(a, dtype=float) for a in (ms, visits, sizes))
    if ax is None:
        _, ax = plt.subplots()
    ax.plot(np.log2(ms), visits / (sizes * np.log2(ms)), "o-", color=PALETTE["dtree"],
            label=r"visits / ($|S| \log_2 m$)")
    ax.plot(np.log2(ms), visits / (sizes * np.log2(n * ms / sizes)), "s--", color=PALETTE["measured"],
            label=r"visits / ($|S| \log_2(nm/|S|)$)")
    ax.set_xlabel(r"$\log_2 m$")
    ax.set_ylabel("nodes visited per reported pair")
    ax.set_ylim(bottom=0)
    ax.legend()
    return ax


def plot_dtree_vs_wtree(labels, dtree, wtree, ax=None, *, ylabel="count"):
    """Grouped bars: one pair (DTree, WTree) per operation label."""
    if ax is None:
        _, ax = plt.subplots()
    x = np.arange(len(labels))
    ax.bar(x - 0.2, dtree, 0.4, color=PALETTE["dtree"], label="DTree")
    ax.bar(x + 0.2, wtree, 0.4, color=PALETTE["wtree"], label="WTree")
    ax.set_xticks(x, labels)
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def draw_tree_frame(m: int, b: float, *, d: int = 8, seed: int = 0):
    """One frame of the chapter's "Try it" panel: the max-tree of ``<w_r, x>`` for the first ``m`` of 32 seeded
    ``N(0, I_d)`` neurons and one unit ``x``, FIND's reads at threshold ``b``; returns the Figure (7 x 3.6 in)."""
    from firesets.analysis.correlation_trees import gaussian_instance

    W, X = gaussian_instance(32, 1, d, seed)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    draw_maxtree((X[0] @ W.T)[:m], b, ax=ax)
    fig.tight_layout()
    return fig
