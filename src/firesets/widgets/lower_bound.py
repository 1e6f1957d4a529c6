"""Widget of the lower-bound chapter (book/lower_bound.ipynb): m, n, c, eps live."""
from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display

from firesets.analysis.lower_bound import measure_ddfn_costs
from firesets.plots.lower_bound import plot_dtree_vs_bound, plot_proof_inequalities

__all__ = ["lowerbound_panel"]

_CACHE: dict = {}


def _measure(m, n, d):
    key = (m, n, d)
    if key not in _CACHE:
        _CACHE[key] = measure_ddfn_costs(m, n, d, rng=0, n_updates=16)
    return _CACHE[key]


def lowerbound_panel(d: int = 4):
    """Sliders log2 m, log2 n, c, eps: the proof's update-term map with (m, n) marked, and the measured DTree
    costs per UPDATE / QUERY for m = 2^6 .. 2^(log2 m) at that n against the bounds of Theorem F.4."""
    lm = w.IntSlider(value=12, min=6, max=15, description="log2 m")
    ln = w.IntSlider(value=2, min=0, max=8, description="log2 n")
    c = w.FloatSlider(value=0.2, min=0.05, max=0.95, step=0.05, description="c")
    eps = w.FloatSlider(value=0.1, min=0.01, max=0.9, step=0.01, description="eps")
    out = w.Output()

    def draw(*_):
        e = min(eps.value, c.value - 0.01)
        m, n = 2**lm.value, 2 ** min(ln.value, lm.value)
        with out:
            out.clear_output(wait=True)
            plot_proof_inequalities(c.value, e, log2_m_max=max(lm.value, 10), mark=(m, n))
            plt.show()
            rows = [_measure(2**k, n, d) for k in range(max(6, ln.value), lm.value + 1)]
            if len(rows) >= 1:
                plot_dtree_vs_bound(rows, n, c.value, e)
                plt.show()

    for s in (lm, ln, c, eps):
        s.observe(draw, names="value")
    draw()
    box = w.VBox([w.HBox([lm, ln]), w.HBox([c, eps]), out])
    display(box)
    return box
