"""Panels of the chapter on training with the trees (book/training_with_trees.md).

``counts_frames`` is the page's "Try it" panel: precomputed frames over ``m`` and ``b`` of the counted operations
of one GD step (:func:`firesets.widgets.frames.frame_panel`), so it works in the HTML without a kernel.
``live_panel`` re-times the contenders and needs a kernel (``make lab`` only).
"""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

from firesets.bench import live_time
from firesets.network import paper_threshold
from firesets.plots.training_with_trees import draw_counts_frame, plot_live
from firesets.widgets.frames import frame_panel, log2_label

__all__ = ["live_panel", "counts_frames", "COUNTS_GRID"]

#: the frames of the "Try it" panel: 4 x 6 = 24 (the b grid holds 1.97 = sqrt(0.4 ln 2^14))
COUNTS_GRID = {"m": [2**10, 2**12, 2**14, 2**16], "b": [0.5, 1.0, 1.5, 1.97, 2.5, 3.0]}


def counts_frames(grid=None, *, value=None, dpi: int = 80):
    """Precomputed frames of :func:`firesets.plots.training_with_trees.draw_counts_frame` over ``m`` and ``b``."""
    grid = COUNTS_GRID if grid is None else grid
    return frame_panel(draw_counts_frame, grid, labels={"m": log2_label, "b": lambda v: f"{v:.2f}"},
                       descriptions={"m": "$m$", "b": "$b$"}, value=value or {"m": 2**14, "b": 1.97}, dpi=dpi)


def live_panel(d: int = 16, repeats: int = 5, seed: int = 0):
    """Sliders for ``log2 m``, ``n`` and the threshold ``b``: re-times dense, scan, DTree and WTree GD steps live.

    Sizes stay small (``m <= 2^16``, ``n <= 16``, ``d = 16`` as in the benchmark's smaller grid) so one re-timing
    answers in well under two seconds; ``b`` starts at ``paper_threshold(m)`` (Remark 2.6) and can be moved to see
    the cost follow the fire-set sizes; the button resets it to ``paper_threshold(m)`` of the current ``m``.
    """
    logm = widgets.IntSlider(value=14, min=8, max=16, step=1, description="log2 m", continuous_update=False)
    n_pick = widgets.Dropdown(options=[1, 2, 4, 8, 16], value=4, description="n")
    b_slider = widgets.FloatSlider(value=round(paper_threshold(2**14), 2), min=0.0, max=3.5, step=0.05,
                                   description="b", continuous_update=False)
    paper_b = widgets.Button(description="b = sqrt(0.4 ln m)")
    out = widgets.Output()

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            res = live_time(2 ** logm.value, n_pick.value, d, b=b_slider.value, repeats=repeats, rng=seed)
            fig, ax = plt.subplots(figsize=(6.5, 3.2))
            plot_live(res, ax=ax)
            c = res["counts"]["dtree"]
            ax.set_title(f"m = 2^{logm.value}, n = {n_pick.value}, d = {d}, b = {b_slider.value:.2f}: "
                         f"{int(c['fire_pairs'])} firing pairs, |U| = {int(c['union'])}", fontsize=9)
            plt.show()

    def reset_b(*_):
        b_slider.value = round(paper_threshold(2 ** logm.value), 2)

    for w in (logm, n_pick, b_slider):
        w.observe(redraw, names="value")
    paper_b.on_click(reset_b)
    redraw()
    return widgets.VBox([widgets.HBox([logm, n_pick]), widgets.HBox([b_slider, paper_b]), out])
