"""The "Try it" panel of the chapter "Beyond one machine" (book/beyond_one_machine.md): precomputed layout frames."""
from __future__ import annotations

from functools import partial

from firesets.plots.beyond_one_machine import draw_layout
from firesets.widgets.frames import frame_panel, log2_label

__all__ = ["layout_panel", "GRID"]

#: the panel's grid: 4 widths x 5 machine counts x 3 thresholds = 60 frames
GRID = {"m": [2**k for k in (24, 26, 28, 30)], "P": [1, 4, 16, 64, 256], "b": [2.0, 2.5, 3.0]}


def layout_panel(const: dict, grid: dict | None = None, value: dict | None = None):
    """Sliders for ``m``, ``P`` and ``b`` over :func:`firesets.plots.beyond_one_machine.draw_layout` frames."""
    grid = dict(GRID if grid is None else grid)
    value = value or {"m": grid["m"][-1], "P": grid["P"][len(grid["P"]) // 2],
                      "b": grid["b"][max(0, len(grid["b"]) - 2)]}
    return frame_panel(
        partial(draw_layout, const=const), grid,
        labels={"m": log2_label, "P": lambda v: f"{v:d}", "b": lambda v: f"{v:.2f}"},
        descriptions={"m": "width $m$", "P": "machines $P$", "b": "threshold $b$"},
        value=value,
    )
