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
