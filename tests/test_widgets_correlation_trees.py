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


def test_tree_frames_build_over_the_grid():
    import matplotlib.pyplot as plt

    from firesets.widgets.correlation_trees import TREE_GRID, tree_frames
    from firesets.widgets.frames import MAX_FRAMES

    small = {"m": [4, 16], "b": [0.5, 1.0]}
    before = set(plt.get_fignums())
    p = tree_frames(small, value={"m": 16, "b": 1.0})
    assert set(plt.get_fignums()) == before
    assert len(p.frames) == 4 and len({f.value for f in p.frames.values()}) == 4
    assert p.sliders["m"].index == 1 and p.sliders["b"].index == 1
    assert [o[0] for o in p.sliders["b"].options] == ["0.50", "1.00"]
    n_frames = 1
    for v in TREE_GRID.values():
        n_frames *= len(v)
    assert n_frames <= MAX_FRAMES and 16 in TREE_GRID["m"] and 1.0 in TREE_GRID["b"]
