"""Tests of firesets.plots.* (every public figure function on small inputs): what was drawn is checked against the
inputs (y-data of the lines against the arrays passed or their documented transform, counts of bars, lines and
points, axis scales, titles), and figure bookkeeping (one new figure when no ``ax`` is given, none otherwise)."""
import matplotlib

matplotlib.use("Agg")

import copy  # noqa: E402
import math  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from firesets import TwoLayerReLU, bench  # noqa: E402
from firesets.analysis import training_with_trees as ba  # noqa: E402
from firesets import plots  # noqa: E402
from firesets.lowerbound import instance_blocks, max_ip_via_ddfn  # noqa: E402
from firesets.plots import correlation_trees as pc  # noqa: E402
from firesets.plots import training_with_trees as pf  # noqa: E402
from firesets.plots import lower_bound as pl  # noqa: E402
from firesets.plots import sparsity_at_init as ps  # noqa: E402
from firesets.plots import fire_sets_in_training as pt  # noqa: E402
from firesets.training import train  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def _ydata(ax):
    return [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]


def _find_line(ax, y):
    """The first line of ``ax`` whose y-data equals ``y`` (nan-aware), or None."""
    y = np.asarray(y, dtype=float)
    for line in ax.get_lines():
        yd = np.asarray(line.get_ydata(), dtype=float)
        if yd.shape == y.shape and np.allclose(yd, y, rtol=1e-12, atol=0, equal_nan=True):
            return line
    return None


def _hlines(ax):
    """y-values of the horizontal full-width lines (axhline: x-data (0, 1) in axes coordinates)."""
    return [float(np.asarray(line.get_ydata())[0]) for line in ax.get_lines()
            if list(line.get_xdata()) == [0, 1] and len(set(line.get_ydata())) == 1]


def _vlines(ax):
    return [float(np.asarray(line.get_xdata())[0]) for line in ax.get_lines()
            if list(line.get_ydata()) == [0, 1] and len(set(line.get_xdata())) == 1]


def _new_figures(fn, *args, **kwargs):
    before = set(plt.get_fignums())
    out = fn(*args, **kwargs)
    return out, set(plt.get_fignums()) - before


# ------------------------------------------------------------------------------------------------- theme
def test_use_theme_white_and_closes_figures():
    with matplotlib.rc_context():  # the theme is global: restore the defaults for the other tests
        plt.figure()
        plt.figure()
        plots.use_theme()
        assert plt.get_fignums() == []  # documented: it closes what was open
        fig, ax = plt.subplots()
        assert to_rgba(fig.get_facecolor()) == to_rgba("white")
        assert to_rgba(ax.get_facecolor()) == to_rgba("white")
        assert to_rgba(matplotlib.rcParams["savefig.facecolor"]) == to_rgba("white")
    assert set(plots.PALETTE) >= {"dense", "scan", "dtree", "wtree", "exact", "bound", "measured"}


# ---------------------------------------------------------------------------------------------- sparsity
def test_fire_count_histogram():
    m, b = 400, 1.5
    k = np.array([20, 22, 25, 25, 27, 30, 31, 28])
    ax, new = _new_figures(ps.fire_count_histogram, k, m, b)
    assert len(new) == 1
    p = 0.5 * math.erfc(b / math.sqrt(2))  # Pr[N(0,1) > b]
    vl = _vlines(ax)
    assert vl[0] == pytest.approx(m * p, rel=1e-12)
    assert vl[1] == pytest.approx(m * math.exp(-b * b / 2), rel=1e-12)
    pmf = next(line for line in ax.get_lines() if len(line.get_xdata()) > 2)
    x = np.asarray(pmf.get_xdata(), dtype=int)
    exact = np.array([math.comb(m, j) * p**j * (1 - p) ** (m - j) for j in x])
    np.testing.assert_allclose(pmf.get_ydata(), exact, rtol=1e-9)
    # the histogram is a density over the samples' range
    (poly,) = ax.patches
    verts = poly.get_path().vertices
    assert verts[:, 0].min() <= k.min() and verts[:, 0].max() >= k.max()
    assert ax.get_title() == f"m = {m:,}, b = {b:.3f}"
    assert "fire count" in ax.get_xlabel()
    # with an ax: drawn there, no new figure
    _, ax2 = plt.subplots()
    out, new = _new_figures(ps.fire_count_histogram, k, m, b, ax=ax2, title="T")
    assert out is ax2 and not new and ax2.get_title() == "T"


def test_counts_vs_m():
    ms = np.array([2.0**8, 2.0**10, 2.0**12])
    q = {0.1: ms**0.7, 0.5: ms**0.75, 0.9: ms**0.78}
    mean, bound = ms**0.76, ms**0.8
    data_ms, data_k = [2.0**9, 2.0**11], [40.0, 100.0]
    ax, new = _new_figures(ps.counts_vs_m, ms, q, mean, bound, data_ms=data_ms, data_k=data_k)
    assert len(new) == 1
    for y in (q[0.5], mean, bound, data_k):
        line = _find_line(ax, y)
        assert line is not None
    np.testing.assert_array_equal(_find_line(ax, q[0.5]).get_xdata(), ms)
    np.testing.assert_array_equal(_find_line(ax, data_k).get_xdata(), data_ms)
    assert len(ax.get_lines()) == 4 and len(ax.collections) == 1  # the quantile band
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "fire count" in ax.get_ylabel()
    ax2 = ps.counts_vs_m(ms, q, mean, bound)
    assert len(ax2.get_lines()) == 3  # no data points without data_ms


def test_constant_vs_m():
    ms = [2**8, 2**10, 2**12]
    curves = {"a": [0.3, 0.35, 0.4], "b": [0.2, 0.25, 0.3], "c": [0.1, 0.1, 0.1]}
    ax, new = _new_figures(ps.constant_vs_m, ms, curves)
    assert len(new) == 1
    for label, ys in curves.items():
        line = _find_line(ax, ys)
        assert line is not None and line.get_label() == label
    assert _hlines(ax) == [0.5]
    assert ax.get_xscale() == "log" and ax.get_ylim()[0] == 0


def test_tail_vs_c():
    cs = np.array([1.0, 1.5, 2.0])
    ms = [2**8, 2**12]
    exact = [np.array([0.3, 1e-3, 1e-6]), np.array([0.2, 1e-4, 1e-9])]
    sampled = [np.array([0.25, 0.01, 0.0]), np.array([0.2, 0.0, 0.0])]
    bern = [np.array([0.9, 0.1, 1e-2]), np.array([0.8, 1e-2, 1e-4])]
    ax, new = _new_figures(ps.tail_vs_c, cs, exact, sampled, bern, ms, 100)
    assert len(new) == 1
    assert len(ax.get_lines()) == 3 * len(ms) + 1
    for j, m in enumerate(ms):
        assert _find_line(ax, exact[j]).get_label() == f"exact, m = 2^{int(math.log2(m))}"
        assert _find_line(ax, bern[j]) is not None
        assert _find_line(ax, np.where(sampled[j] > 0, sampled[j], np.nan)) is not None  # zeros not drawn
    assert _hlines(ax) == [0.5 / 100]
    assert ax.get_yscale() == "log" and ax.get_ylim() == pytest.approx((1e-12, 2))


def test_worst_direction_vs_d():
    ds = [4, 8, 16, 32]
    rows = {"fixed x": ([1.0, 1.1, 0.9, 1.0], "o-"), "worst found": ([2.0, 3.0], "s--")}
    ax, new = _new_figures(ps.worst_direction_vs_d, ds, rows, title="W")
    assert len(new) == 1
    short = _find_line(ax, [2.0, 3.0])
    np.testing.assert_array_equal(short.get_xdata(), ds[:2])  # documented: shorter ys against ds[:len(ys)]
    np.testing.assert_array_equal(_find_line(ax, rows["fixed x"][0]).get_xdata(), ds)
    assert _hlines(ax) == [1.0] and ax.get_xscale() == "log" and ax.get_title() == "W"


def test_exponent_vs_m():
    ms = np.array([2.0**8, 2.0**12, 2.0**16])
    local = [0.7, 0.74, 0.76]
    ax, new = _new_figures(ps.exponent_vs_m, ms, local, 0.77)
    assert len(new) == 1
    assert _find_line(ax, local) is not None
    assert _find_line(ax, 0.8 - 1 / (2 * np.log(ms))) is not None  # Mills-ratio prediction
    assert sorted(_hlines(ax)) == [0.77, 0.8]
    assert ax.get_xscale() == "log" and "Remark 2.6" in ax.get_title()


# ---------------------------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def runs():
    out = {}
    for m in (64, 256):
        net = TwoLayerReLU.init(m, 6, rng=m)
        X, y = bench.make_data(4, 6, rng=1)
        _, L = train(net, X, y, 0.5, 4)
        out[m] = (L, float(net.b))
    return out


def test_plot_fire_counts(runs):
    ax, new = _new_figures(pt.plot_fire_counts, runs, C=1.7)
    assert len(new) == 1
    for m, (L, b) in runs.items():
        s = m * math.exp(-b * b / 2)
        assert _find_line(ax, L.k.max(axis=1) / s) is not None
        assert _find_line(ax, L.k.mean(axis=1) / s) is not None
        assert _find_line(ax, L.envelope.max(axis=1) / s) is not None
        np.testing.assert_array_equal(_find_line(ax, L.k.mean(axis=1) / s).get_xdata(), np.arange(L.T + 1))
    assert len(ax.get_lines()) == 3 * len(runs) + 1 and _hlines(ax) == [1.7]
    assert ax.get_yscale() == "log" and "fire counts" in ax.get_title()


def test_plot_flips(runs):
    ax, new = _new_figures(pt.plot_flips, runs, title="F")
    assert len(new) == 1 and len(ax.get_lines()) == len(runs)
    for m, (L, _) in runs.items():
        f = L.flips.sum(axis=1)[1:].astype(float)
        line = _find_line(ax, np.where(f > 0, f, np.nan))
        assert line is not None and line.get_label() == f"m = {m}"
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, L.T + 1))
    assert ax.get_yscale() == "log" and ax.get_title() == "F"


def test_plot_envelope_vs_R(runs):
    L, b = runs[256]
    ax, new = _new_figures(pt.plot_envelope_vs_R, L, b, 0.05, 1e6)
    assert len(new) == 1
    (env, pred, bound) = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    R = np.asarray(env.get_xdata())
    assert R[0] == pytest.approx(1e-3) and R[-1] == pytest.approx(3.0)  # max(4 * 0.05, 3)
    s = 256 * math.exp(-b * b / 2)
    np.testing.assert_allclose(env.get_ydata(), [L.envelope_at(r).max() / s for r in R])
    Q = np.array([0.5 * math.erfc((b - r) / math.sqrt(2)) for r in R])
    np.testing.assert_allclose(pred.get_ydata(), 256 * Q / s, rtol=1e-10)
    np.testing.assert_allclose(bound.get_ydata(), 256 * (0.5 * math.erfc(b / math.sqrt(2))
                                                         + 2 * R / math.sqrt(2 * math.pi)) / s, rtol=1e-10)
    assert sorted(_vlines(ax)) == pytest.approx(sorted([math.exp(-b * b / 2), 0.05]))
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "off the chart" in ax.get_xlabel() and "m = 256" in ax.get_title()


def test_plot_loss():
    curves = {"dense": ([1.0, 0.5, 0.0, 0.1], {"color": "k"}), "rate": (np.array([1.0, 0.9, 0.81, 0.729]), {"ls": ":"})}
    ax, new = _new_figures(pt.plot_loss, curves)
    assert len(new) == 1
    assert _find_line(ax, [1.0, 0.5, np.nan, 0.1]).get_label() == "dense"  # zero loss not drawn on the log axis
    assert _find_line(ax, curves["rate"][0]).get_linestyle() == ":"
    assert ax.get_yscale() == "log"


def test_plot_movement(runs):
    D = {64: 10.0, 256: 20.0}
    ax, new = _new_figures(pt.plot_movement, runs, D)
    assert len(new) == 1
    for m, (L, b) in runs.items():
        line = _find_line(ax, L.movement[1:])
        assert line is not None and line.get_label() == f"m = {m}"
    expected = sorted([10.0, 20.0] + [math.exp(-b * b / 2) for _, b in runs.values()])
    assert sorted(_hlines(ax)) == pytest.approx(expected)
    assert ax.get_yscale() == "log"


def test_plot_union(runs):
    ledgers = {"random": runs[64][0], "other": runs[256][0]}
    ax, new = _new_figures(pt.plot_union, ledgers)
    assert len(new) == 1 and len(ax.get_lines()) == 4
    for label, L in ledgers.items():
        assert _find_line(ax, L.union / L.m).get_label() == f"{label}: union"
        assert _find_line(ax, L.k.sum(axis=1) / L.m) is not None
    assert ax.get_yscale() == "log"


def test_training_plots_use_given_ax(runs):
    _, ax = plt.subplots()
    for fn, args in ((pt.plot_fire_counts, (runs,)), (pt.plot_flips, (runs,)), (pt.plot_union, ({"a": runs[64][0]},)),
                     (pt.plot_movement, (runs, {64: 1.0, 256: 1.0})), (pt.plot_loss, ({"l": ([1.0, 0.5], {})},)),
                     (pt.plot_envelope_vs_R, (runs[64][0], runs[64][1], 0.1, 0.2))):
        out, new = _new_figures(fn, *args, ax=ax)
        assert out is ax and not new


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
    assert ax.get_title() == (f"m = {len(values)}, b = {tau:.2f}: FIND reads {len(read)} nodes, "
                              f"reports S = {fire}")
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


# -------------------------------------------------------------------------------------------- lowerbound
def test_plot_walkthrough():
    rng = np.random.default_rng(0)
    A, B = rng.integers(-2, 3, size=(5, 3)), rng.integers(-2, 3, size=(4, 3))
    value, led = max_ip_via_ddfn(A, B, 2)
    fig, new = _new_figures(pl.plot_walkthrough, A, B, 2, led)
    assert new == {fig.number}
    ax0, ax1 = fig.axes[:2]
    np.testing.assert_array_equal(ax0.get_images()[0].get_array(), A @ B.T)
    rects = [p for p in ax0.patches if isinstance(p, Rectangle)]
    assert len(rects) == len(instance_blocks(5, 2)) == 3  # 2 floor blocks + the overlapping last one
    assert len(ax0.texts) == A.shape[0] * B.shape[0]
    assert _hlines(ax1) == [value] == [(A @ B.T).max()]
    np.testing.assert_array_equal(ax1.get_lines()[-1].get_ydata(), led.ts)
    filled, empty = ax1.collections[:2]
    ans = np.array(led.answers)
    np.testing.assert_array_equal(filled.get_offsets()[:, 1], np.array(led.ts)[ans])
    np.testing.assert_array_equal(empty.get_offsets()[:, 1], np.array(led.ts)[~ans])
    assert f"[{led.lo}, {led.hi}]" in ax1.get_title()
    fig2 = pl.plot_walkthrough(A, B, 2, max_ip_via_ddfn(A, B, 2, literal_floor=True)[1], literal_floor=True)
    assert len([p for p in fig2.axes[0].patches if isinstance(p, Rectangle)]) == 2


def test_plot_proof_inequalities():
    c, eps, L = 0.3, 0.1, 6
    fig, new = _new_figures(pl.plot_proof_inequalities, c, eps, log2_m_max=L, mark=(16, 4))
    assert new == {fig.number}
    ax0, ax1 = fig.axes[:2]
    R = np.ma.filled(ax0.get_images()[0].get_array(), np.nan)
    hold = 0
    for i in range(L + 1):  # rows: log2 n
        for j in range(L + 1):  # columns: log2 m
            m, n = 2.0**j, 2.0**i
            if n > m:
                assert np.isnan(R[i, j])
                continue
            ratio = math.floor(m / n) * m * m ** (1 - c) * n ** (c - eps) / m ** (2 - eps)
            assert R[i, j] == pytest.approx(math.log2(ratio), abs=1e-9)
            hold += ratio <= 1 + 1e-12
    dots = ax0.collections[0]
    assert len(dots.get_offsets()) == hold
    assert np.all(dots.get_offsets()[:, 1] <= dots.get_offsets()[:, 0])  # n <= m
    star = ax0.collections[-1]
    np.testing.assert_allclose(star.get_offsets(), [[4, 2]])
    a = np.linspace(1, 3, 201)
    for y in (a * (3 - c) + c - eps - 1, a * (2 - c) + c - eps, a * (2 - eps), 2 * a):
        assert _find_line(ax1, y) is not None
    assert _vlines(ax1) == pytest.approx([1 + eps / (1 - c)])
    assert f"c={c:g}, eps={eps:g}" in ax0.get_title()


def test_plot_dtree_vs_bound():
    rows = [{"n": 4, "m": m, "update_cost": 30.0 + m / 100, "query_cost": 5.0 * m**0.8, "cap": 4 * m**0.8}
            for m in (64, 256, 1024)]
    rows += [{"n": 8, "m": 64, "update_cost": 1.0, "query_cost": 1.0, "cap": 1.0}]
    c, eps, n = 0.2, 0.1, 4
    fig, new = _new_figures(pl.plot_dtree_vs_bound, rows, n, c, eps)
    assert new == {fig.number}
    up, qu = fig.axes
    mine = [r for r in rows if r["n"] == n]
    m = np.array([r["m"] for r in mine], dtype=float)
    meas_u = _find_line(up, [r["update_cost"] for r in mine])
    np.testing.assert_array_equal(meas_u.get_xdata(), m)
    assert _find_line(qu, [r["query_cost"] for r in mine]) is not None
    assert _find_line(qu, [r["cap"] for r in mine]) is not None
    assert _find_line(up, [r["cap"] for r in mine]) is None  # the escape size is drawn in the query panel only
    mm = np.geomspace(64, 1024, 100)
    assert _find_line(up, mm ** (1 - c) * n ** (c - eps)) is not None
    assert _find_line(qu, mm ** (1 - c) * n ** (1 + c - eps)) is not None
    assert _find_line(up, np.maximum(n * mm ** (-eps), 1)) is not None
    assert _find_line(qu, np.maximum(n * mm ** (1 - eps), 1)) is not None
    for ax, what in ((up, "UPDATE"), (qu, "QUERY")):
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert ax.get_title().startswith(f"{what}, n = {n}")


# --------------------------------------------------------------------------------------------- fasttrain
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench_tiny.json"
    assert bench.main(["--tiny", "--out", str(out), "--no-progress"]) == 0
    return ba.load(out)


def _grid(tiny):
    spec = bench.GRIDS["tiny"]
    return sorted(spec["m"]), sorted(spec["n"]), sorted(spec["d"])


def test_plot_time_vs_m_tiny(tiny):
    ms, ns, (d,) = _grid(tiny)
    (fig, slopes), new = _new_figures(pf.plot_time_vs_m, tiny, d=d)
    assert new == {fig.number}
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(ns)
    for ax, n in zip(axes, ns):
        assert ax.get_title() == f"n = {n}, d = {d}"
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        for name in ba.CONTENDERS:
            ts = [c["median_seconds"][name] * 1e3 for c in sorted(tiny["configs"], key=lambda c: c["m"])
                  if c["n"] == n and c["d"] == d]
            line = _find_line(ax, ts)
            assert line is not None and line.get_label() == pf.LABELS[name]  # no slope: below FIT_MIN_M
            np.testing.assert_array_equal(line.get_xdata(), ms)
        assert _vlines(ax) == [ba.FIT_MIN_M]
    assert slopes == {(n, name): None for n in ns for name in ba.CONTENDERS}


def test_plot_time_vs_m_exact_power_laws():
    # three n (one panel hidden), exact power laws above FIT_MIN_M: the slopes in the legend are the exponents
    alpha = {"dense": 1.0, "scan": 0.9, "dtree": 0.6, "wtree": 0.7}
    confs = []
    for n in (1, 2, 4):
        for k in range(15, 20):
            m = 2**k
            confs.append({"m": m, "n": n, "d": 8, "status": "ok",
                          "median_seconds": {c: 1e-9 * n * m**a for c, a in alpha.items()}})
    confs.append({"m": 2**20, "n": 1, "d": 8, "status": "skipped"})
    fig, slopes = pf.plot_time_vs_m({"configs": confs}, d=8)
    assert len(fig.axes) == 4 and sum(ax.get_visible() for ax in fig.axes) == 3
    for (n, name), s in slopes.items():
        assert s == pytest.approx(alpha[name], abs=1e-9)
    ax = fig.axes[0]
    assert {line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")} == {
        f"{pf.LABELS[c]}, slope {a:.2f}" for c, a in alpha.items()}
    assert len(ax.get_lines()[0].get_xdata()) == 5  # the skipped m = 2^20 is not drawn


def test_plot_crossover(tiny):
    ms, ns, (d,) = _grid(tiny)
    data = copy.deepcopy(tiny)
    skipped = next(c for c in data["configs"] if c["m"] == ms[-1] and c["n"] == ns[-1])
    skipped["status"] = "skipped"
    fig, new = _new_figures(pf.plot_crossover, data, "wtree")
    assert new == {fig.number}
    ax = fig.axes[0]
    img = np.ma.filled(ax.get_images()[0].get_array().astype(float), np.nan)
    for c in data["configs"]:
        v = img[ns.index(c["n"]), ms.index(c["m"])]
        if c["status"] == "ok":
            assert v == pytest.approx(math.log2(c["ratio_vs_dense"]["wtree"]))
        else:
            assert np.isnan(v)
    assert sorted(t.get_text() for t in ax.texts).count("x") == 1
    assert ax.get_title() == f"dense / wtree time, d = {d}"
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(n) for n in ns]
    assert len(fig.axes) == 2  # the panel and its colour bar


def test_plot_phases(tiny):
    ms, ns, (d,) = _grid(tiny)
    m = ms[-1]
    fig, new = _new_figures(pf.plot_phases, tiny, m, d=d)
    assert new == {fig.number}
    assert len(fig.axes) == len(ns)
    conts = ("scan", "dtree", "wtree")
    for ax, n in zip(fig.axes, ns):
        c = next(c for c in tiny["configs"] if c["m"] == m and c["n"] == n)
        bars = ax.patches
        assert len(bars) == 1 + len(conts) * len(pf.PHASES)
        assert bars[0].get_height() == pytest.approx(c["median_seconds"]["dense"] * 1e3)
        for j, name in enumerate(conts):
            stack = bars[1 + 3 * j: 4 + 3 * j]
            assert [b.get_height() for b in stack] == pytest.approx([c["phases"][name][p] * 1e3 for p in pf.PHASES])
            assert stack[-1].get_y() + stack[-1].get_height() == pytest.approx(sum(c["phases"][name].values()) * 1e3)
        assert ax.get_title() == f"n = {n}" and ax.get_yscale() == "linear"
    assert fig._suptitle.get_text() == f"phase breakdown at m = 2^{int(math.log2(m))}, d = {d}"


def test_plot_theorem41(tiny):
    ms, ns, (d,) = _grid(tiny)
    (fig, consts), new = _new_figures(pf.plot_theorem41, tiny, d=d)
    assert new == {fig.number}
    assert set(consts) == {(m, n) for m in ms for n in ns}
    ax0, ax1 = fig.axes
    for c in tiny["configs"]:
        k = c["counts"]["dtree"]
        total = k["nodes_visited"] + d * k["inner_products"] + k["nodes_written"] + d * k["fire_pairs"]
        assert consts[(c["m"], c["n"])] == pytest.approx(total / (c["m"] ** 0.8 * c["n"] ** 2 * d))
    for n in ns:
        rows = sorted((c["m"], c) for c in tiny["configs"] if c["n"] == n)
        tot = [ba.theorem41_work(c)["total"] for _, c in rows]
        bound = [mm**0.8 * n**2 * d for mm, _ in rows]
        assert _find_line(ax0, tot).get_label() == f"measured, n = {n}"
        assert _find_line(ax0, bound) is not None
        assert _find_line(ax1, np.array(tot) / np.array(bound)).get_label() == f"n = {n}"
    assert ax0.get_xscale() == ax0.get_yscale() == "log" and ax1.get_xscale() == "log"
    assert ax1.get_yscale() == "linear"


def test_plot_live(tiny):
    conf = tiny["configs"][0]
    ax, new = _new_figures(pf.plot_live, conf)
    assert len(new) == 1
    assert [b.get_height() for b in ax.patches] == pytest.approx([conf["median_seconds"][k] * 1e3
                                                                  for k in ba.CONTENDERS])
    assert [t.get_text() for t in ax.get_xticklabels()] == [pf.LABELS[k] for k in ba.CONTENDERS]
    assert [t.get_text() for t in ax.texts] == [f"x{conf['ratio_vs_dense'][k]:.1f}" for k in ba.CONTENDERS]
    # a live_time-like result with an unknown contender and a different order: CONTENDERS first, then the rest
    res = {"median_seconds": {"extra": 0.004, "dtree": 0.001, "dense": 0.002},
           "ratio_vs_dense": {"extra": 0.5, "dtree": 2.0, "dense": 1.0}}
    _, ax2 = plt.subplots()
    out, new = _new_figures(pf.plot_live, res, ax=ax2)
    assert out is ax2 and not new
    assert [b.get_height() for b in ax2.patches] == pytest.approx([2.0, 1.0, 4.0])
    assert [t.get_text() for t in ax2.get_xticklabels()] == ["dense (BLAS)", "DTree (Alg. 8)", "extra"]


@pytest.mark.filterwarnings("ignore:No artists with labels:UserWarning")
def test_fasttrain_plots_without_timed_configurations(tiny):
    # the tiny grid has no d = 64 (the default) and no m = 2^20: empty figures, no exception
    (fig, slopes), new = _new_figures(pf.plot_time_vs_m, tiny)
    assert new == {fig.number} and slopes == {} and not any(ax.get_visible() for ax in fig.axes)
    fig, consts = pf.plot_theorem41(tiny)
    assert consts == {} and all(not ax.get_lines() for ax in fig.axes)
    fig = pf.plot_phases(tiny, 2**20, d=4)
    assert len(fig.axes) == 1 and not fig.axes[0].patches
    fig = pf.plot_crossover(tiny, "dtree", ds=[64])
    img = fig.axes[0].get_images()[0].get_array()
    assert np.all(np.ma.getmaskarray(img) | np.isnan(np.ma.filled(img, np.nan)))
    assert {t.get_text() for t in fig.axes[0].texts} == {"x"}
