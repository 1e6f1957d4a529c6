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


def test_lowerbound_frames_build_and_link():
    from firesets.widgets.lower_bound import FRAME_GRID, lowerbound_frames

    grid = {"m": [2**8, 2**12], "n": [2**2], "c": [0.2], "eps": [0.05, 0.1]}
    panel = lowerbound_frames(grid, dpi=30)
    assert set(panel.sliders) == {"m", "n", "c", "eps"}
    assert len(panel.frames) == 4
    assert [o[0] for o in panel.sliders["m"].options] == ["2^8", "2^12"]
    assert panel.sliders["m"].index == 1  # opens at the second m
    assert all(len(img.value) > 100 and img.value[:4] == b"\x89PNG" for img in panel.frames.values())
    import math

    assert math.prod(len(v) for v in FRAME_GRID.values()) <= 160
