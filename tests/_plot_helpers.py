"""Shared helpers of the figure tests: what a drawn Axes holds (the autouse fixture closes figures)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def _ydata(ax):
    return [np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()]


def _find_line(ax, y):
    """The first line of ``ax`` whose y-data equals ``y`` (nan-aware), or None."""
    y = np.asarray(y, dtype=float)
    for line in ax.get_lines():
        yd = np.asarray(line.get_ydata(), dtype=float)
        if yd.shape == y.shape and np.allclose(yd, y, rtol=1e-12, atol=0, equal_nan=True):
            return line
    return None


def _hlines(ax):
    """y-values of the horizontal full-width lines (axhline: x-data (0, 1) in axes coordinates)."""
    return [float(np.asarray(line.get_ydata())[0]) for line in ax.get_lines()
            if list(line.get_xdata()) == [0, 1] and len(set(line.get_ydata())) == 1]


def _vlines(ax):
    return [float(np.asarray(line.get_xdata())[0]) for line in ax.get_lines()
            if list(line.get_ydata()) == [0, 1] and len(set(line.get_xdata())) == 1]


def _new_figures(fn, *args, **kwargs):
    before = set(plt.get_fignums())
    out = fn(*args, **kwargs)
    return out, set(plt.get_fignums()) - before
