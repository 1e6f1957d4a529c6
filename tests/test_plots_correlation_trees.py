"""Figures of the chapter, checked by what they draw: the data of the lines, bars and points against the inputs,
the axis scales and titles, and one new figure when no ``ax`` is given."""
import matplotlib

matplotlib.use("Agg")


import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from firesets import plots  # noqa: E402
from firesets.plots import correlation_trees as pc  # noqa: E402


from _plot_helpers import _close_figures, _find_line, _hlines, _new_figures, _vlines, _ydata  # noqa: E402,F401


# ------------------------------------------------------------------------------------------- correlation
def _find_oracle(values, tau):
    """Max-tree in heap layout (padding -inf) and the nodes FIND reads: the root, and both children of every read
    internal node whose value is > tau."""
    M = 1 << max(0, (len(values) - 1).bit_length())
    T = np.full(2 * M, -np.inf)
    T[M:M + len(values)] = values
    for v in range(M - 1, 0, -1):
        T[v] = max(T[2 * v], T[2 * v + 1])
    read, stack = set(), [1]
    while stack:
        v = stack.pop()
        read.add(v)
        if v < M and T[v] > tau:
            stack += [2 * v, 2 * v + 1]
    read = {v for v in read if np.isfinite(T[v])}
    return M, T, read


@pytest.mark.parametrize("values", [[0.3, -1.2, 2.0, 0.9, -0.1, 1.4, 0.2, -0.7], [0.5, 1.5, -0.4, 2.2, 0.1]])
def test_draw_maxtree(values):
    tau = 0.8
    M, T, read = _find_oracle(values, tau)
    ax, new = _new_figures(pc.draw_maxtree, values, tau)
    assert len(new) == 1
    finite = [v for v in range(1, 2 * M) if np.isfinite(T[v])]
    assert len(ax.collections) == len(finite)  # one marker per real (non-padding) node
    assert len(ax.get_lines()) == len(finite) - 1  # one edge per non-root node
    fire = [i for i, v in enumerate(values) if v > tau]
    assert ax.get_title() == (f"$m = {len(values)}$, $b = {tau:.2f}$: FIND reads {len(read)} nodes, "
                              f"reports $S = \\{{{', '.join(map(str, fire))}\\}}$")
    # node order in the drawing is heap order over the finite nodes: check the colours
    for v, coll in zip(finite, ax.collections):
        face = to_rgba(coll.get_facecolor()[0])
        if v in read and T[v] > tau:
            assert face[:3] == to_rgba(plots.PALETTE["dtree"])[:3]
        elif v in read:
            assert face[:3] == to_rgba("white")[:3]
        if v >= M and T[v] > tau:
            assert to_rgba(coll.get_edgecolor()[0])[:3] == to_rgba(plots.PALETTE["bound"])[:3]
    texts = [t.get_text() for t in ax.texts]
    assert [str(k) for k in range(len(values))] == texts[-len(values):]  # leaf indices
    assert sorted(texts[:-len(values)]) == sorted(f"{T[v]:.2f}" for v in finite)
    _, ax2 = plt.subplots()
    out, new = _new_figures(pc.draw_maxtree, values, tau, ax=ax2, title="t")
    assert out is ax2 and not new and ax2.get_title() == "t"


def test_plot_query_visits():
    ms = np.array([2**8, 2**10, 2**12])
    visits, sizes, n = np.array([900.0, 4000.0, 15000.0]), np.array([100.0, 300.0, 900.0]), 4
    ax, new = _new_figures(pc.plot_query_visits, ms, visits, sizes, n)
    assert len(new) == 1
    a, b = ax.get_lines()
    np.testing.assert_allclose(a.get_xdata(), [8, 10, 12])
    np.testing.assert_allclose(a.get_ydata(), visits / (sizes * np.array([8, 10, 12])))
    np.testing.assert_allclose(b.get_ydata(), visits / (sizes * np.log2(n * ms / sizes)))
    assert ax.get_ylim()[0] == 0


def test_plot_dtree_vs_wtree():
    labels, dt, wt = ["build", "update", "query"], [100.0, 20.0, 5.0], [80.0, 40.0, 3.0]
    ax, new = _new_figures(pc.plot_dtree_vs_wtree, labels, dt, wt, ylabel="nodes")
    assert len(new) == 1
    bars = ax.patches
    assert len(bars) == 2 * len(labels)
    assert [b.get_height() for b in bars] == dt + wt
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "nodes"


@pytest.mark.parametrize("m,b", [(4, 0.0), (16, 1.0), (32, 2.0), (3, 5.0)])
def test_draw_tree_frame(m, b):
    from firesets.analysis.correlation_trees import gaussian_instance

    before = set(plt.get_fignums())
    fig = pc.draw_tree_frame(m, b)
    assert set(plt.get_fignums()) - before == {fig.number}
    assert tuple(fig.get_size_inches()) == (7, 3.6)
    ax = fig.axes[0]
    W, X = gaussian_instance(32, 1, 8, 0)
    values = (X[0] @ W.T)[:m]
    _, _, read = _find_oracle(values, b)
    assert f"FIND reads {len(read)} nodes" in ax.get_title()
    plt.close(fig)
