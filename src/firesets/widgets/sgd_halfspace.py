"""The "Try it" panel of the SGD chapter: precomputed frames over m, B, d and b (``book/sgd_halfspace.md``)."""
from __future__ import annotations

import math
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np

from firesets.data import normalize_rows
from firesets.network import TwoLayerReLU, paper_threshold
from firesets.sgd import sgd
from firesets.widgets.frames import frame_panel, log2_label

__all__ = ["GRID", "frame_data", "draw", "panel", "b_label"]

#: 4 x 3 x 3 x 2 = 72 frames; "paper" is b = sqrt(0.4 ln m)
GRID = {"m": [2 ** 8, 2 ** 10, 2 ** 12, 2 ** 14], "B": [1, 8, 32], "d": [3, 8, 64], "b": ["paper", 1.0]}
_N = 64  # the finite dataset the batches are drawn from
_METHODS = ("dense", "scan", "halfspace")


def b_label(b) -> str:
    """Slider readout of the threshold choice."""
    return "sqrt(0.4 ln m)" if b == "paper" else f"{float(b):.2f}"


@lru_cache(maxsize=None)
def frame_data(m: int, B: int, d: int, b, seed: int = 0) -> dict:
    """Two SGD steps of each method at one grid point: fire counts, query work, step-time split (step 2)."""
    thr = paper_threshold(m) if b == "paper" else float(b)
    gen = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=thr, rng=gen)
    X = normalize_rows(gen.standard_normal((_N, d)))
    y = np.where(gen.integers(0, 2, _N) == 1, 1.0, -1.0)
    batches = np.stack([np.arange(B), (np.arange(B) + B) % _N])
    out = {"m": m, "B": B, "d": d, "b": thr, "times": {}}
    for me in _METHODS:
        _, log = sgd(net, X, y, 1.0, batches, method=me)
        out["times"][me] = (float(log["t_query"][1]), float(log["t_grad"][1]), float(log["t_update"][1]))
        if me == "halfspace":
            out["k"] = log["k"][0].tolist()
            out["work"] = {"nodes visited": int(log["hsr_nodes_visited"][0]),
                           "points tested": int(log["hsr_points_tested"][0]),
                           "reported": int(log["hsr_points_reported"][0])}
    return out


def draw(m: int, B: int, d: int, b, seed: int = 0):
    """One frame (a 7 x 3.6 figure): fire counts of the batch, query work, step-time split."""
    f = frame_data(m, B, d, b, seed)
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(7, 3.6), layout="none")
    k = np.asarray(f["k"])
    a1.bar(np.arange(k.size), k, color="#4c72b0")
    a1.axhline(m ** 0.8, color="#c44e52", ls="--", lw=1, label="$m^{4/5}$")
    a1.set_yscale("log")
    a1.set_ylim(0.8, m * 1.2)
    a1.set_xlabel("input $i$ of the batch")
    a1.set_title("fired $k_i$", fontsize=10)
    a1.legend(fontsize=7)
    vals = [m * B] + list(f["work"].values())
    a2.bar(range(len(vals)), np.maximum(vals, 0.8), color=["#8172b3", "#c44e52", "#dd8452", "#55a868"])
    a2.set_xticks(range(len(vals)), ["scan $mB$", "nodes", "tested", "output"], fontsize=7, rotation=35)
    a2.set_yscale("log")
    a2.set_title("query work (batch)", fontsize=10)
    bottom = np.zeros(len(_METHODS))
    for j, (phase, col) in enumerate(zip(("query", "gradient", "update"), ("#8172b3", "#4c72b0", "#dd8452"))):
        v = np.array([f["times"][me][j] * 1e3 for me in _METHODS])
        a3.bar(range(len(_METHODS)), v, bottom=bottom, color=col, label=phase)
        bottom += v
    a3.set_xticks(range(len(_METHODS)), ["dense", "scan", "tree"], fontsize=8)
    a3.set_ylabel("ms", fontsize=9)
    a3.set_title("step time split", fontsize=10)
    a3.legend(fontsize=7)
    fig.suptitle(f"$m = 2^{{{int(math.log2(m))}}}$, $B = {B}$, $d = {d}$, $b = {f['b']:.2f}$", fontsize=10)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.2, top=0.83, wspace=0.42)
    return fig


def panel(grid=None, value=None):
    """The frame panel over :data:`GRID` (72 frames), opening at the paper's threshold."""
    grid = GRID if grid is None else grid
    return frame_panel(
        draw, grid,
        labels={"m": log2_label, "B": lambda v: f"{v}", "d": lambda v: f"{v}", "b": b_label},
        descriptions={"m": "width $m$", "B": "batch $B$", "d": "dimension $d$", "b": "threshold $b$"},
        value=value or {"m": grid["m"][-1], "B": grid["B"][1] if len(grid["B"]) > 1 else grid["B"][0],
                        "d": grid["d"][0], "b": grid["b"][0]},
    )
