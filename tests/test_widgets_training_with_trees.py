"""The chapter's live "Try it" panel (for make lab): every control moves and every redraw draws."""
import pytest

pytest.importorskip("ipywidgets")
from _widget_helpers import _controls, _FigureCounter, _move  # noqa: E402,F401


def test_live_training_timing_panel_moves():
    from firesets.widgets.training_with_trees import live_panel

    with _FigureCounter() as fc:
        box = live_panel(repeats=1)
        c = _controls(box)
        start = fc.n
        c["log2 m"].value = 8
        c["n"].value = 16
        c["b"].value = 0.5
        assert fc.n >= start + 3
