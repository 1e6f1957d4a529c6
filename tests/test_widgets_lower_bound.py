"""The chapter's live "Try it" panel (for make lab): every control moves and every redraw draws."""
import pytest

pytest.importorskip("ipywidgets")
from _widget_helpers import _controls, _FigureCounter, _move  # noqa: E402,F401


def test_lowerbound_panel_moves():
    from firesets.widgets.lower_bound import lowerbound_panel

    with _FigureCounter() as fc:
        box = lowerbound_panel()
        c = _controls(box)
        start = fc.n
        c["log2 m"].value = 8
        c["log2 n"].value = 3
        c["c"].value = 0.5
        c["eps"].value = 0.7  # above c: the panel caps it just below c
        assert fc.n >= start + 4
