"""The SGD chapter's frame panel: draw works at grid points and the panel builds over a small grid."""
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("ipywidgets")

from firesets.widgets import sgd_halfspace as ws  # noqa: E402
from firesets.widgets.frames import MAX_FRAMES  # noqa: E402


def test_grid_within_frame_budget_and_varies_m_B_d_b():
    assert math.prod(len(v) for v in ws.GRID.values()) <= MAX_FRAMES
    assert set(ws.GRID) == {"m", "B", "d", "b"} and "paper" in ws.GRID["b"]


def test_frame_data_against_brute_force():
    f = ws.frame_data(256, 4, 3, "paper")
    assert math.isclose(f["b"], math.sqrt(0.4 * math.log(256)))
    # the fire counts of step 1 recomputed from the same seeded draws
    from firesets.data import normalize_rows
    from firesets.network import TwoLayerReLU

    gen = np.random.default_rng(0)
    net = TwoLayerReLU.init(256, 3, b=f["b"], rng=gen)
    X = normalize_rows(gen.standard_normal((64, 3)))
    assert f["k"] == (X[:4] @ net.W.T > f["b"]).sum(axis=1).tolist()
    assert f["work"]["reported"] == sum(f["k"])
    assert set(f["times"]) == {"dense", "scan", "halfspace"}


def test_draw_returns_a_figure_of_three_panels():
    fig = ws.draw(256, 8, 8, 1.0)
    assert len(fig.axes) == 3
    plt.close(fig)
    assert ws.b_label("paper") == "sqrt(0.4 ln m)" and ws.b_label(1.0) == "1.00"


def test_panel_builds_on_a_small_grid():
    p = ws.panel(grid={"m": [2 ** 6, 2 ** 8], "B": [1, 4], "d": [3], "b": ["paper", 1.0]})
    assert len(p.frames) == 8
    assert set(p.sliders) == {"m", "B", "d", "b"}
    assert p.sliders["m"].options[0][0] == "2^6"
