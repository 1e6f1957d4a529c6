"""Figures of the chapter, checked by what they draw: the data of the lines, bars and points against the inputs,
the axis scales and titles, and one new figure when no ``ax`` is given."""
import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from firesets import TwoLayerReLU, bench  # noqa: E402
from firesets.plots import fire_sets_in_training as pt  # noqa: E402
from firesets.training import train  # noqa: E402


from _plot_helpers import _close_figures, _find_line, _hlines, _new_figures, _vlines, _ydata  # noqa: E402,F401


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
    from firesets.analysis.fire_sets_in_training import envelope_radius

    L, b = runs[256]
    ax, new = _new_figures(pt.plot_envelope_vs_R, L, b, 0.05, 1e6)
    assert len(new) == 1
    (env, pred, bound) = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    R = np.asarray(env.get_xdata())
    assert R[0] == pytest.approx(1e-3) and R[-1] == pytest.approx(3.0)  # max(4 * 0.05, 3)
    np.testing.assert_allclose(env.get_ydata(), [L.envelope_at(r).max() / 256 for r in R])  # fraction of m
    Q = np.array([0.5 * math.erfc((b - r) / math.sqrt(2)) for r in R])
    np.testing.assert_allclose(pred.get_ydata(), Q, rtol=1e-10)
    np.testing.assert_allclose(bound.get_ydata(), 0.5 * math.erfc(b / math.sqrt(2)) + 2 * R / math.sqrt(2 * math.pi),
                               rtol=1e-10)
    assert _hlines(ax) == [pytest.approx(math.exp(-b * b / 2))]
    assert sorted(_vlines(ax)) == pytest.approx(sorted([math.exp(-b * b / 2), envelope_radius(b), 0.05]))
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
        assert _find_line(ax, L.union / L.m).get_label().startswith(f"{label}: ")
        assert "cup" in _find_line(ax, L.union / L.m).get_label()
        assert _find_line(ax, L.k.sum(axis=1) / L.m) is not None
    assert ax.get_yscale() == "log"


def test_training_plots_use_given_ax(runs):
    _, ax = plt.subplots()
    for fn, args in ((pt.plot_fire_counts, (runs,)), (pt.plot_flips, (runs,)), (pt.plot_union, ({"a": runs[64][0]},)),
                     (pt.plot_movement, (runs, {64: 1.0, 256: 1.0})), (pt.plot_loss, ({"l": ([1.0, 0.5], {})},)),
                     (pt.plot_envelope_vs_R, (runs[64][0], runs[64][1], 0.1, 0.2))):
        out, new = _new_figures(fn, *args, ax=ax)
        assert out is ax and not new


def _sweep_recs():
    recs = []
    for m in (256, 1024, 4096):
        for s, r in enumerate((0.3, 0.25)):
            recs.append(dict(m=m, seed=s, ratio=r * m**-0.05, ratio_q=1.1 + 0.01 * s, growth=1.0 + 0.1 * s))
    return recs


def test_plot_sweep():
    from scipy.stats import norm

    recs = _sweep_recs()
    fig, axes = plt.subplots(2, 1)
    out = pt.plot_sweep(recs, axes=axes)
    top, bot = out
    ms = np.array([256.0, 1024.0, 4096.0])
    means = [np.mean([r["ratio"] for r in recs if r["m"] == m]) for m in ms]
    assert _find_line(top, means) is not None
    b = np.sqrt(0.4 * np.log(ms))
    assert _find_line(top, norm.sf(b) * np.exp(b * b / 2)) is not None  # the Mills factor
    assert _find_line(bot, [1.105] * 3) is not None  # mean over seeds of k / (m Q(b))
    assert _find_line(bot, [1.05] * 3) is not None  # mean growth
    assert _hlines(bot) == [1.0] and top.get_xscale() == "log"
    _, new = _new_figures(pt.plot_sweep, recs)
    assert len(new) == 1


def test_plot_radii():
    rows = [dict(m=m, b=math.sqrt(0.4 * math.log(m)), R=1.0 / j, D=10.0 / j, R1=0.9, e=0.2 / j)
            for j, m in enumerate((256, 1024, 4096), start=1)]
    ax, new = _new_figures(pt.plot_radii, rows)
    assert len(new) == 1
    for key in ("R", "D", "R1", "e"):
        assert _find_line(ax, [r[key] for r in rows]) is not None
    b = np.array([r["b"] for r in rows])
    assert _find_line(ax, (np.log(b) + math.log(math.sqrt(2 * math.pi))) / b) is not None
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
