"""Panels of the chapter on the correlation trees (book/correlation_trees.md).

``tree_frames`` is the page's "Try it" panel: precomputed frames over ``m`` and ``b``
(:func:`firesets.widgets.frames.frame_panel`), so it works in the HTML without a kernel. ``maxtree_panel`` is the
old live panel, kept for JupyterLab only.
"""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from firesets.plots.correlation_trees import draw_maxtree, draw_tree_frame
from firesets.widgets.frames import frame_panel

__all__ = ["maxtree_panel", "tree_frames", "TREE_GRID"]

#: the frames of the "Try it" panel: 4 x 7 = 28
TREE_GRID = {"m": [4, 8, 16, 32], "b": [0.0, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0]}


def tree_frames(grid=None, *, value=None, dpi: int = 80):
    """Precomputed frames of :func:`firesets.plots.correlation_trees.draw_tree_frame` over ``m`` and ``b``."""
    grid = TREE_GRID if grid is None else grid
    return frame_panel(draw_tree_frame, grid, labels={"m": str, "b": lambda v: f"{v:.2f}"},
                       descriptions={"m": "$m$", "b": "$b$"}, value=value or {"m": 16, "b": 1.0}, dpi=dpi)


def maxtree_panel(d: int = 8, seed: int = 0):
    """Live sliders for ``m`` (leaves) and the threshold ``b`` (needs a kernel; for ``make lab``)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((32, d))
    x = rng.standard_normal(d)
    x /= np.linalg.norm(x)
    all_values = W @ x
    m_slider = widgets.IntSlider(value=16, min=2, max=32, step=1, description="m")
    b_slider = widgets.FloatSlider(value=1.0, min=-2.0, max=3.0, step=0.05, description="b")
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(9, 3.6))
            draw_maxtree(all_values[: m_slider.value], b_slider.value, ax=ax)
            plt.show()

    m_slider.observe(redraw, names="value")
    b_slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox([m_slider, b_slider]), out])
