"""Panels that move without a kernel: precomputed figure frames flipped by sliders in the browser.

A rendered page has no Python behind it, so a "Try it" panel in the HTML cannot redraw. Instead every point of a
small parameter grid is drawn once at build time; each frame becomes an ``ipywidgets.Image`` (a 64-colour PNG);
the frames sit in nested ``Stack`` s (one level per parameter) and each ``SelectionSlider`` 's ``index`` is tied to
the ``selected_index`` of every stack of its level with ``widgets.jslink``. The stored widget state carries the
frames and the links, so the browser flips frames with no kernel; in JupyterLab the same panel works as is.

The redraw loop of every chapter's panel is this one function: a chapter supplies ``draw(**params) -> Figure``
and the grid.
"""
from __future__ import annotations

import io
import itertools
import math
from typing import Callable, Mapping, Sequence

__all__ = ["frame_panel", "png_frame", "log2_label", "MAX_FRAMES"]

#: a page carries every frame: keep the grid coarse (64-colour frames are ~5-15 kB each)
MAX_FRAMES = 160


def log2_label(v) -> str:
    """Readout for a power of two: ``2^16`` (plain text: slider readouts do not typeset math)."""
    e = math.log2(v)
    return f"2^{int(e)}" if float(e).is_integer() else f"{v:g}"


def png_frame(fig, *, colors: int = 64, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to a palette PNG of ``colors`` colours and close it."""
    import matplotlib.pyplot as plt
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    buf.seek(0)
    img = Image.open(buf).convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    img.save(out, format="png", optimize=True)
    return out.getvalue()


def frame_panel(
    draw: Callable,
    grid: Mapping[str, Sequence],
    *,
    labels: Mapping[str, Callable] | None = None,
    descriptions: Mapping[str, str] | None = None,
    value: Mapping[str, object] | None = None,
    dpi: int = 80,
    width: str = "100%",
):
    """A panel of precomputed frames: one ``SelectionSlider`` per parameter, the frames in nested ``Stack`` s.

    Parameters
    ----------
    draw : callable
        ``draw(**params)`` returns a matplotlib ``Figure`` for one point of the grid (it is closed after use).
    grid : mapping name -> sequence
        The values of each parameter, in slider order (first = outermost stack). At most :data:`MAX_FRAMES`
        points in all.
    labels : mapping name -> callable, optional
        How a value reads on its slider (default ``f"{v:g}"`` for numbers, ``str`` otherwise).
    descriptions : mapping name -> str, optional
        Slider descriptions; ``$...$`` is typeset as math by the page (default: the name).
    value : mapping name -> value, optional
        The initially selected value of each parameter (default: the first).

    Returns
    -------
    ipywidgets.VBox
        Sliders above the frames. Attributes ``sliders`` (dict name -> slider), ``stacks`` (list of lists of
        stacks, one list per level), ``frames`` (dict of index tuples -> Image) and ``links`` (the jslinks) for tests.
    """
    import ipywidgets as w

    if not callable(draw):
        raise TypeError(f"draw: expected a callable returning a matplotlib Figure, got {type(draw).__name__}")
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError("grid: expected a non-empty mapping of parameter name -> sequence of values")
    names = list(grid)
    values = {k: list(grid[k]) for k in names}
    for k, vs in values.items():
        if not vs:
            raise ValueError(f"grid: parameter {k!r} has no values")
    total = math.prod(len(vs) for vs in values.values())
    if total > MAX_FRAMES:
        raise ValueError(f"grid: {total} frames is more than MAX_FRAMES = {MAX_FRAMES}; use a coarser grid")
    labels = dict(labels or {})
    descriptions = dict(descriptions or {})
    value = dict(value or {})
    for k in list(labels) + list(descriptions) + list(value):
        if k not in values:
            raise ValueError(f"labels/descriptions/value: unknown parameter {k!r} (grid has {names})")

    def label(k, v):
        f = labels.get(k)
        if f is not None:
            return str(f(v))
        return f"{v:g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)

    layout = w.Layout(width=width, max_width="720px", height="auto")
    frames = {}
    for combo in itertools.product(*(range(len(values[k])) for k in names)):
        params = {k: values[k][j] for k, j in zip(names, combo)}
        frames[combo] = w.Image(value=png_frame(draw(**params), dpi=dpi), format="png", layout=layout)

    start = []
    for k in names:
        if k in value:
            if value[k] not in values[k]:
                raise ValueError(f"value: {value[k]!r} is not among the grid values of {k!r}")
            start.append(values[k].index(value[k]))
        else:
            start.append(0)

    # nested stacks, built from the innermost level out; levels[j] lists the stacks indexed by parameter j
    levels: list[list] = [[] for _ in names]

    def build(prefix: tuple):
        j = len(prefix)
        if j == len(names):
            return frames[prefix]
        children = [build(prefix + (i,)) for i in range(len(values[names[j]]))]
        stack = w.Stack(children=children, selected_index=start[j])
        levels[j].append(stack)
        return stack

    root = build(())
    sliders, links = {}, []
    for j, k in enumerate(names):
        opts = [(label(k, v), i) for i, v in enumerate(values[k])]
        s = w.SelectionSlider(
            options=opts,
            index=start[j],
            description=descriptions.get(k, k),
            continuous_update=True,
            style={"description_width": "initial"},
            layout=w.Layout(width="auto", min_width="320px"),
        )
        for stack in levels[j]:
            links.append(w.jslink((s, "index"), (stack, "selected_index")))
        sliders[k] = s
    panel = w.VBox([*sliders.values(), root])
    panel.sliders, panel.stacks, panel.frames, panel.links = sliders, levels, frames, links
    return panel
