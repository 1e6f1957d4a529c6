"""The chapter's live "Try it" panel (for make lab): every control moves and every redraw draws."""
import pytest

pytest.importorskip("ipywidgets")
from _widget_helpers import _controls, _FigureCounter, _move  # noqa: E402,F401


def test_training_panel_moves():
    from firesets.widgets.fire_sets_in_training import training_panel

    with _FigureCounter() as fc:
        box = training_panel()
        c = _controls(box)
        start = fc.n
        c["iterations"].value = 5
        c["log2 m"].value = 8
        c["b = sqrt(0.4 ln m)"].value = False
        c["b"].value = 0.5
        c["eta x lam_max"].value = 2.0
        c["data"].value = "digits"
        assert fc.n >= start + 6


def test_draw_frame():
    import math

    import numpy as np

    from firesets import paper_threshold
    from firesets.widgets.fire_sets_in_training import draw

    fig = draw(2**8, 1.0, 1.0, T=5, n=4, d=6)
    a0, a1 = fig.axes
    assert a0.get_yscale() == "log" and len(a0.get_lines()) == 2  # measured loss and the predicted rate
    b = paper_threshold(2**8)
    assert f"b = {b:.2f}" in a1.get_title() and "2^{8}" in a1.get_title()
    assert len(a1.get_lines()) == 3 and all(len(line.get_xdata()) == 6 for line in a1.get_lines())
    fig2 = draw(2**8, 1.5, 3.0, T=5, n=4, d=6)  # eta * lambda > 2: no predicted rate is drawn
    assert len(fig2.axes[0].get_lines()) in (1, 2)
    assert f"b = {1.5 * b:.2f}" in fig2.axes[1].get_title()
    assert np.isfinite(math.log2(2**8))


def test_frame_panel_builds():
    from firesets.widgets.fire_sets_in_training import frames

    panel = frames(log2m=(6, 8), b_factors=(1.0,), eta_factors=(1.0, 2.5), T=3)
    assert len(panel.frames) == 4 and set(panel.sliders) == {"m", "b_factor", "eta_factor"}
    assert [o[0] for o in panel.sliders["m"].options] == ["2^6", "2^8"]
    assert [o[0] for o in panel.sliders["eta_factor"].options] == ["1 / lambda_max", "2.5 / lambda_max"]


def test_default_grid_within_budget():
    from firesets.widgets.fire_sets_in_training import B_FACTORS, ETA_FACTORS, LOG2M
    from firesets.widgets.frames import MAX_FRAMES

    assert len(LOG2M) * len(B_FACTORS) * len(ETA_FACTORS) <= MAX_FRAMES
    assert 1.0 in B_FACTORS and 1.0 in ETA_FACTORS
