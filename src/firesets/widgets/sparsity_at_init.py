"""The "Try it" panels of the chapter "Sparsity after initialization": vary m (log scale) and b.

:func:`draw` and :func:`frames` build the kernel-free panel of precomputed frames shown in the book
(:func:`firesets.widgets.frames.frame_panel`); :class:`SparsityPanel` is the live panel kept for ``make lab``.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt

from .. import sparsity as sp
from ..network import paper_threshold
from ..plots.sparsity_at_init import fire_count_histogram

__all__ = ["SparsityPanel", "draw", "frames", "B_FACTORS", "LOG2M"]

#: the frame grid: m = 2^8 .. 2^24 in steps of 2, and b as a multiple of the paper's sqrt(0.4 ln m)
LOG2M = tuple(range(8, 25, 2))
B_FACTORS = (0.5, 0.75, 1.0, 1.25, 1.5)


def draw(m: int, b_factor: float, seeds: int = 2000, rng: int = 0):
    """One frame: the fire-count histogram over ``seeds`` initializations at width ``m`` and
    ``b = b_factor * sqrt(0.4 ln m)`` (``b_factor = 1``: the paper's Remark 2.6), with the exact law and bound."""
    b = b_factor * paper_threshold(m)
    k = sp.sample_fire_counts(m, b, size=seeds, rng=rng)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    c999 = sp.constant_for_confidence(m, b, 1e-3)
    which = "paper's b" if b_factor == 1.0 else f"{b_factor:g} x paper's b"
    title = (f"$m = 2^{{{int(round(math.log2(m)))}}}$, $b = {b:.2f}$ ({which}): "
             f"$\\Pr[k > {c999:.3f}\\, m e^{{-b^2/2}}] \\leq 10^{{-3}}$")
    fire_count_histogram(k, m, b, ax=ax, title=title)
    ax.title.set_fontsize(10)
    return fig


def frames(log2m=LOG2M, b_factors=B_FACTORS, seeds: int = 2000):
    """The book's panel: :func:`draw` precomputed over ``m = 2^log2m`` and ``b = b_factor * b_paper``."""
    from .frames import frame_panel, log2_label

    grid = {"m": [2 ** int(j) for j in log2m], "b_factor": list(b_factors)}
    start = {"m": 2**16 if 2**16 in grid["m"] else grid["m"][len(grid["m"]) // 2],
             "b_factor": 1.0 if 1.0 in grid["b_factor"] else grid["b_factor"][0]}
    return frame_panel(
        lambda m, b_factor: draw(m, b_factor, seeds=seeds),
        grid,
        labels={"m": log2_label, "b_factor": lambda v: "paper" if v == 1.0 else f"{v:g} x paper"},
        descriptions={"m": "width $m$", "b_factor": r"threshold $b$ / $\sqrt{0.4 \ln m}$"},
        value=start,
    )


class SparsityPanel:
    """Histogram of the fire count ``k`` over many initializations, with the exact mean and the Lemma 2.5 bound.

    Sliders: ``log2 m`` (8..24) and ``b``; a checkbox pins ``b`` to the paper's ``sqrt(0.4 ln m)``. Each redraw
    samples ``seeds`` exact ``Binomial(m, p)`` counts (O(1) each, so the cost does not grow with ``m``).
    """

    def __init__(self, seeds: int = 4000, log2m: int = 16, rng: int = 0):
        import ipywidgets as w

        self.seeds = seeds
        self.rng = rng
        self.m_slider = w.IntSlider(value=log2m, min=8, max=24, step=1, description="log2 m", continuous_update=False)
        self.paper_b = w.Checkbox(value=True, description="paper b = sqrt(0.4 ln m)")
        self.b_slider = w.FloatSlider(value=paper_threshold(2**log2m), min=0.0, max=5.0, step=0.05, description="b",
                                      disabled=True, continuous_update=False, readout_format=".2f")
        self.out = w.Output()
        self.m_slider.observe(self._on_change, names="value")
        self.b_slider.observe(self._on_change, names="value")
        self.paper_b.observe(self._on_change, names="value")
        self.widget = w.VBox([w.HBox([self.m_slider, self.paper_b]), self.b_slider, self.out])
        self._busy = False
        self._on_change(None)

    def figure(self, m: int, b: float):
        """Sample and draw; returns the matplotlib figure (this is what a slider move costs)."""
        k = sp.sample_fire_counts(m, b, size=self.seeds, rng=self.rng)
        fig, ax = plt.subplots(figsize=(7, 3.8))
        c999 = sp.constant_for_confidence(m, b, 1e-3)
        title = f"m = 2^{int(round(math.log2(m)))}, b = {b:.3f}: Pr[k > {c999:.3f} · m exp(-b²/2)] ≤ 0.001 (exact)"
        fire_count_histogram(k, m, b, ax=ax, title=title)
        return fig

    def _on_change(self, _change):
        from IPython.display import display

        if self._busy:
            return
        self._busy = True
        try:
            m = 2 ** int(self.m_slider.value)
            self.b_slider.disabled = bool(self.paper_b.value)
            if self.paper_b.value:
                self.b_slider.value = round(paper_threshold(m), 2)
                b = paper_threshold(m)
            else:
                b = float(self.b_slider.value)
            with self.out:
                self.out.clear_output(wait=True)
                fig = self.figure(m, b)
                display(fig)
                plt.close(fig)
        finally:
            self._busy = False
