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
