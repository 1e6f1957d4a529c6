"""Figures of the chapter, checked by what they draw: the data of the lines, bars and points against the inputs,
the axis scales and titles, and one new figure when no ``ax`` is given."""
import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from firesets.lowerbound import instance_blocks, max_ip_via_ddfn  # noqa: E402
from firesets.plots import lower_bound as pl  # noqa: E402


from _plot_helpers import _close_figures, _find_line, _hlines, _new_figures, _vlines, _ydata  # noqa: E402,F401


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
    assert f"$c = {c:g}$, $\\varepsilon = {eps:g}$" in ax0.get_title()


def test_plot_dtree_vs_bound():
    rows = [{"n": 4, "m": m, "update_cost": 30.0 + m / 100, "query_cost": 5.0 * m**0.8, "cap": 4 * m**0.8}
            for m in (64, 256, 1024)]
    rows += [{"n": 8, "m": 64, "update_cost": 1.0, "query_cost": 1.0, "cap": 1.0}]
    c, eps, n = 0.2, 0.1, 4
    fig, new = _new_figures(pl.plot_dtree_vs_bound, rows, n, c, eps)
    assert new == {fig.number}
    up, qu = fig.axes
    assert up.get_position().y0 > qu.get_position().y0  # stacked vertically, UPDATE on top
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
        assert ax.get_title().startswith(f"{what}, $n = {n}$")


def test_plot_try_it():
    from firesets.analysis.lower_bound import below_theorem

    c, eps = 0.2, 0.05
    fig, new = _new_figures(pl.plot_try_it, 2**16, 2**4, c, eps)
    assert new == {fig.number}
    ax0, ax1 = fig.axes[:2]
    a = np.linspace(1, 6, 301)
    for y in (a * (1 - c) + c - eps, np.ones_like(a), a * (1 - c) + 1 + c - eps, 1 + 0.8 * a):
        assert _find_line(ax0, y) is not None
    assert _vlines(ax0) == pytest.approx([4.0])  # a = log m / log n = 16 / 4
    # the DTree is below both at a = 4 > a* = 1.0625, by hand: 1 < 4*0.8 + 0.15 and 1 + 3.2 < 3.2 + 1.15
    assert "yes" in ax0.get_title()
    assert bool(below_theorem(4.0, c, eps)["both"])
    star = ax1.collections[-1]
    np.testing.assert_allclose(star.get_offsets(), [[16, 4]])
    f2 = pl.plot_try_it(2**20, 2**2, 0.5, 0.15)  # a = 10 beyond the plotted range
    assert _vlines(f2.axes[0]) == [] and "> 6" in f2.axes[0].get_title()
    f3 = pl.plot_try_it(2**8, 2**8, 0.5, 0.15)  # a = 1: below the theorem's update exponent? 1 < 0.5+0.35: no
    assert "no" in f3.axes[0].get_title()
