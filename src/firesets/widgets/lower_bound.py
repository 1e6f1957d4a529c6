"""Panels of the lower-bound chapter (book/lower_bound.md).

:func:`lowerbound_frames` is the chapter's "Try it": precomputed frames of
:func:`firesets.plots.lower_bound.plot_try_it` over a grid of ``m``, ``n``, ``c`` and ``eps`` (works offline).
:func:`lowerbound_panel` is the live panel for ``make lab`` (measures the DTree at the chosen sizes).
"""
from __future__ import annotations

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display

from firesets.analysis.lower_bound import measure_ddfn_costs
from firesets.plots.lower_bound import plot_dtree_vs_bound, plot_proof_inequalities, plot_try_it
from firesets.widgets.frames import frame_panel, log2_label

__all__ = ["lowerbound_frames", "lowerbound_panel", "FRAME_GRID"]

#: the frame grid: 4 x 2 x 2 x 2 = 32 frames (c = 0.2 is Theorem 1.4's 1/5)
FRAME_GRID = {
    "m": [2**8, 2**12, 2**16, 2**20],
    "n": [2**2, 2**6],
    "c": [0.2, 0.5],
    "eps": [0.05, 0.15],
}


def lowerbound_frames(grid=None, *, dpi: int = 80):
    """The "Try it" panel: one precomputed frame of :func:`plot_try_it` per point of ``grid``
    (default :data:`FRAME_GRID`, opening at the paper's c = 1/5)."""
    grid = dict(FRAME_GRID if grid is None else grid)
    value = {k: (v[1] if k == "m" and len(v) > 1 else v[0]) for k, v in grid.items()}
    return frame_panel(
        plot_try_it,
        grid,
        labels={"m": log2_label, "n": log2_label},
        descriptions={
            "m": "neurons $m$",
            "n": "points per instance $n$",
            "c": "exponent $c$",
            "eps": r"$\varepsilon$",
        },
        value=value,
        dpi=dpi,
    )


_CACHE: dict = {}


def _measure(m, n, d):
    key = (m, n, d)
    if key not in _CACHE:
        _CACHE[key] = measure_ddfn_costs(m, n, d, rng=0, n_updates=16)
    return _CACHE[key]


def lowerbound_panel(d: int = 4):
    """Live sliders log2 m, log2 n, c, eps (for ``make lab``): the proof's update-term map with (m, n) marked,
    and the measured DTree costs per UPDATE / QUERY for m = 2^6 .. 2^(log2 m) at that n against Theorem F.4."""
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
