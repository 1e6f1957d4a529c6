"""Figures of the chapter, checked by what they draw: the data of the lines, bars and points against the inputs,
the axis scales and titles, and one new figure when no ``ax`` is given."""
import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from firesets.plots import sparsity_at_init as ps  # noqa: E402


from _plot_helpers import _close_figures, _find_line, _hlines, _new_figures, _vlines, _ydata  # noqa: E402,F401


# ---------------------------------------------------------------------------------------------- sparsity
def test_fire_count_histogram():
    m, b = 400, 1.5
    k = np.array([20, 22, 25, 25, 27, 30, 31, 28])
    ax, new = _new_figures(ps.fire_count_histogram, k, m, b)
    assert len(new) == 1
    p = 0.5 * math.erfc(b / math.sqrt(2))  # Pr[N(0,1) > b]
    vl = _vlines(ax)
    assert vl == [pytest.approx(m * p, rel=1e-12)]  # the mean; the bound is far right: an arrow, not a line
    bound = m * math.exp(-b * b / 2)
    assert ax.get_xlim()[1] < bound  # the axis spans the samples, not the bound
    (note,) = ax.texts
    assert f"{bound:.4g}" in note.get_text() and "rightarrow" in note.get_text()
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


def test_fire_count_histogram_bound_inside_or_left():
    """b < 0: the bound m e^{-b^2/2} can sit inside the samples (a line) or left of them (an arrow, no line)."""
    m = 400
    for b, inside in ((-0.7, True), (-1.5, False)):
        p = 0.5 * math.erfc(b / math.sqrt(2))
        k = np.random.default_rng(0).binomial(m, p, size=300)
        ax = ps.fire_count_histogram(k, m, b)
        bound = m * math.exp(-b * b / 2)
        vl = _vlines(ax)
        if inside:
            assert len(vl) == 2 and vl[1] == pytest.approx(bound, rel=1e-12) and not ax.texts
            assert ax.get_xlim()[0] <= bound <= ax.get_xlim()[1]
        else:
            assert len(vl) == 1 and len(ax.texts) == 1 and ax.get_xlim()[0] > bound
        plt.close("all")


def test_sphere_scaling_vs_m():
    ms = np.array([32.0, 64.0, 128.0])
    sphere = {"d = a": dict(ms=ms, ratio=ms**0.2, slope=0.2), "d = b": dict(ms=ms, ratio=np.ones(3), slope=0.0)}
    ax, new = _new_figures(ps.sphere_scaling_vs_m, sphere)
    assert len(new) == 1
    assert _find_line(ax, ms**0.2) is not None
    fit = [line for line in ax.get_lines() if line.get_linestyle() == "-" and len(line.get_xdata()) == 3]
    np.testing.assert_allclose(np.asarray(fit[0].get_ydata()), ms**0.2, rtol=1e-9)  # the fitted power law
    assert _hlines(ax) == [1.0] and ax.get_xscale() == "log" and ax.get_yscale() == "log"
