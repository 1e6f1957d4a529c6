"""The "Try it" panel of the chapter "Sparsity after initialization": vary m (log scale) and b, redraw the histogram."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt

from .. import sparsity as sp
from ..network import paper_threshold
from ..plots.sparsity_at_init import fire_count_histogram

__all__ = ["SparsityPanel"]


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
