"""Widgets of the chapter on the correlation trees (book/correlation_trees.ipynb)."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from firesets.plots.correlation_trees import draw_maxtree

__all__ = ["maxtree_panel"]


def maxtree_panel(d: int = 8, seed: int = 0):
    """Sliders for ``m`` (leaves) and the threshold ``b``: redraws the max-tree of ``<w_r, x>`` and FIND's visits.

    The weights are ``N(0, I_d)`` draws (seeded), ``x`` a fixed unit vector, as in Definition 2.1.
    """
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
