"""The precomputed "Try it" panel of "Beyond one machine" builds over its grid."""
import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("distributed")
from _distributed_fake import fake_data  # noqa: E402

from firesets.analysis.beyond_one_machine import constants  # noqa: E402
from firesets.widgets.beyond_one_machine import GRID, layout_panel  # noqa: E402
from firesets.widgets.frames import MAX_FRAMES  # noqa: E402


def test_layout_panel_builds():
    p = layout_panel(constants(fake_data()), grid={"m": [2**20, 2**30], "P": [1, 64], "b": [2.5]})
    assert len(p.frames) == 4
    assert [o[0] for o in p.sliders["m"].options] == ["2^20", "2^30"]
    assert p.sliders["m"].index == 1 and p.sliders["P"].index == 1


def test_default_grid_fits_the_frame_budget():
    n = 1
    for v in GRID.values():
        n *= len(v)
    assert n <= MAX_FRAMES
