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


def test_counts_frames_build_over_the_grid():
    import matplotlib.pyplot as plt

    from firesets.widgets.frames import MAX_FRAMES
    from firesets.widgets.training_with_trees import COUNTS_GRID, counts_frames

    before = set(plt.get_fignums())
    p = counts_frames({"m": [2**8, 2**10], "b": [1.0, 1.97]}, value={"m": 2**10, "b": 1.97})
    assert set(plt.get_fignums()) == before
    assert len(p.frames) == 4 and len({f.value for f in p.frames.values()}) == 4
    assert [o[0] for o in p.sliders["m"].options] == ["2^8", "2^10"]
    assert [o[0] for o in p.sliders["b"].options] == ["1.00", "1.97"]
    assert p.sliders["m"].index == 1 and p.sliders["b"].index == 1
    n = 1
    for v in COUNTS_GRID.values():
        n *= len(v)
    assert n <= MAX_FRAMES and 2**14 in COUNTS_GRID["m"] and 1.97 in COUNTS_GRID["b"]
