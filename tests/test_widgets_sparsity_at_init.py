"""The chapter's live "Try it" panel (for make lab): every control moves and every redraw draws."""
import pytest

pytest.importorskip("ipywidgets")
from _widget_helpers import _controls, _FigureCounter, _move  # noqa: E402,F401


def test_sparsity_panel_moves():
    from firesets.widgets.sparsity_at_init import SparsityPanel

    with _FigureCounter() as fc:
        panel = SparsityPanel(seeds=200, log2m=10)
        c = _controls(panel.widget)
        start = fc.n
        _move(c["log2 m"], [8, 24, 12])
        c["paper b = sqrt(0.4 ln m)"].value = False
        _move(c["b"], [0.0, 2.5])
        assert fc.n >= start + 5
    assert panel.b_slider.disabled is False


def test_draw_frame_histogram():
    import math

    from firesets import paper_threshold
    from firesets.widgets.sparsity_at_init import draw

    fig = draw(2**12, 1.0, seeds=300)
    (ax,) = fig.axes
    p = 0.5 * math.erfc(paper_threshold(2**12) / math.sqrt(2))
    xs = [float(line.get_xdata()[0]) for line in ax.get_lines() if list(line.get_ydata()) == [0, 1]]
    assert xs[0] == 2**12 * p  # the exact mean E[k] = m Q(b)
    assert "paper's b" in ax.get_title() and "2^{12}" in ax.get_title()
    fig2 = draw(2**12, 0.5, seeds=300)
    assert "0.5 x paper's b" in fig2.axes[0].get_title()


def test_frame_panel_builds():
    from firesets.widgets.sparsity_at_init import frames

    panel = frames(log2m=(8, 10), b_factors=(1.0, 1.5), seeds=100)
    assert len(panel.frames) == 4
    assert set(panel.sliders) == {"m", "b_factor"}
    assert [o[0] for o in panel.sliders["m"].options] == ["2^8", "2^10"]
    assert [o[0] for o in panel.sliders["b_factor"].options] == ["paper", "1.5 x paper"]
    assert len(panel.links) == 1 + 2  # one stack at the outer level, two at the inner level


def test_default_grid_is_within_frame_budget():
    from firesets.widgets.frames import MAX_FRAMES
    from firesets.widgets.sparsity_at_init import B_FACTORS, LOG2M

    assert len(LOG2M) * len(B_FACTORS) <= MAX_FRAMES and 1.0 in B_FACTORS
    assert LOG2M[0] == 8 and LOG2M[-1] == 24
