"""Figures of "Beyond one machine": each draws what the results file holds."""
import numpy as np
import pytest

pytest.importorskip("distributed")
from _distributed_fake import C1, fake_data  # noqa: E402
from _plot_helpers import _close_figures, _find_line  # noqa: E402,F401

from firesets.analysis.beyond_one_machine import constants, layout  # noqa: E402
from firesets.plots.beyond_one_machine import draw_layout, plot_overhead, plot_scaling  # noqa: E402


def test_plot_scaling_draws_times_and_bytes():
    fig = plot_scaling(fake_data())
    ax1, ax2 = fig.axes
    assert _find_line(ax1, [10.0, 20.0, 30.0]) is not None  # one worker's round trips (ms)
    assert _find_line(ax1, [5.0, 10.0, 15.0]) is not None  # in process
    assert _find_line(ax2, [440.0, 440.0, 440.0]) is not None  # two workers' bytes per step


def test_plot_overhead_points_and_fit():
    d = fake_data()
    fig = plot_overhead(d, constants(d))
    ax = fig.axes[0]
    pts = _find_line(ax, [1e3 * (5e-4 + C1 * P) for P in (1, 2, 4, 8)])
    assert pts is not None and pts.get_linestyle() == "None"


def test_draw_layout_marks_the_chosen_P():
    c = constants(fake_data())
    fig = draw_layout(2**26, 16, 2.0, c)
    ax = fig.axes[0]
    want = 1e3 * layout(2**26, 16, c, 2.0)["step_s"]
    assert any(np.allclose(line.get_ydata(), [want]) for line in ax.get_lines())
    assert "GiB" in " ".join(t.get_text() for t in ax.texts)
