"""Figures for the chapters: one seaborn theme; chapter-specific figures live in submodules (only notebooks import these)."""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

__all__ = ["use_theme", "PALETTE"]

#: one colour per contender / quantity, reused across chapters
PALETTE = {
    "dense": "#4c72b0",
    "scan": "#8172b3",
    "dtree": "#dd8452",
    "wtree": "#55a868",
    "exact": "#222222",
    "bound": "#c44e52",
    "measured": "#4c72b0",
}


def use_theme() -> None:
    """Set the book's one plotting theme: seaborn whitegrid, white facecolor, readable font sizes."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook")
    mpl.rcParams.update(
        {
            "figure.facecolor": "white",
            "axes.facecolor": "white",
            "savefig.facecolor": "white",
            "figure.figsize": (7.0, 4.2),
            "figure.dpi": 100,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 9,
            "figure.autolayout": True,
        }
    )
    plt.close("all")
