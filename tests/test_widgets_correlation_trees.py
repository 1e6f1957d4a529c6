"""The chapter's live "Try it" panel (for make lab): every control moves and every redraw draws."""
import pytest

pytest.importorskip("ipywidgets")
from _widget_helpers import _controls, _FigureCounter, _move  # noqa: E402,F401


def test_maxtree_panel_moves():
    from firesets.widgets.correlation_trees import maxtree_panel

    with _FigureCounter() as fc:
        box = maxtree_panel()
        c = _controls(box)
        start = fc.n
        _move(c["m"], [2, 32, 7])
        _move(c["b"], [-2.0, 3.0, 0.35])
        assert fc.n >= start + 6
