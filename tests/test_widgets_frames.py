"""The precomputed-frame panel: one frame per grid point, each slider linked to every stack of its level."""
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

w = pytest.importorskip("ipywidgets")
from PIL import Image  # noqa: E402

from firesets.widgets.frames import MAX_FRAMES, frame_panel, log2_label, png_frame  # noqa: E402


def _draw(m, b):
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title(f"{m} {b}")
    ax.plot([0, 1], [0, m * b])
    return fig


def test_frames_and_links_cover_the_grid():
    before = set(plt.get_fignums())
    p = frame_panel(_draw, {"m": [4, 8, 16], "b": [0.5, 1.0]}, labels={"m": log2_label}, value={"b": 1.0})
    assert set(plt.get_fignums()) == before  # every frame figure was closed
    assert len(p.frames) == 6
    assert [len(level) for level in p.stacks] == [1, 3]  # one outer stack, one inner stack per m
    assert [o[0] for o in p.sliders["m"].options] == ["2^2", "2^3", "2^4"]
    assert p.sliders["b"].index == 1 and all(s.selected_index == 1 for s in p.stacks[1])
    # the frame at grid point (j, i) is child i of inner stack j: the leaves are in grid order
    outer = p.stacks[0][0]
    for j, inner in enumerate(outer.children):
        for i, img in enumerate(inner.children):
            assert img is p.frames[(j, i)]
    # every frame differs (each grid point drew its own figure)
    assert len({f.value for f in p.frames.values()}) == 6


def test_each_slider_is_jslinked_to_every_stack_of_its_level():
    p = frame_panel(_draw, {"m": [4, 8], "b": [0.5, 1.0, 2.0]})
    links = p.links
    assert len(links) == 1 + 2  # m drives one outer stack, b drives two inner stacks
    pairs = {(id(l.source[0]), l.source[1], id(l.target[0]), l.target[1]) for l in links}
    for j, name in enumerate(["m", "b"]):
        for stack in p.stacks[j]:
            assert (id(p.sliders[name]), "index", id(stack), "selected_index") in pairs


def test_png_frame_is_a_palette_png():
    fig, ax = plt.subplots()
    ax.imshow([[0, 1], [2, 3]], cmap="viridis")
    img = Image.open(io.BytesIO(png_frame(fig, colors=16)))
    assert img.format == "PNG" and img.mode == "P"
    assert len(img.getcolors()) <= 16


def test_bad_grids_are_refused():
    with pytest.raises(ValueError, match="grid"):
        frame_panel(_draw, {})
    with pytest.raises(ValueError, match="no values"):
        frame_panel(_draw, {"m": [], "b": [1]})
    with pytest.raises(ValueError, match="MAX_FRAMES"):
        frame_panel(_draw, {"m": list(range(MAX_FRAMES + 1)), "b": [1]})
    with pytest.raises(ValueError, match="unknown parameter"):
        frame_panel(_draw, {"m": [1], "b": [1]}, labels={"d": str})
    with pytest.raises(ValueError, match="not among"):
        frame_panel(_draw, {"m": [1], "b": [1]}, value={"m": 3})
    with pytest.raises(TypeError, match="draw"):
        frame_panel(None, {"m": [1]})
