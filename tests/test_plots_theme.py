"""Figures of the chapter, checked by what they draw: the data of the lines, bars and points against the inputs,
the axis scales and titles, and one new figure when no ``ax`` is given."""
import matplotlib

matplotlib.use("Agg")


import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

from firesets import plots  # noqa: E402


from _plot_helpers import _close_figures, _find_line, _hlines, _new_figures, _vlines, _ydata  # noqa: E402,F401


# ------------------------------------------------------------------------------------------------- theme
def test_use_theme_white_and_closes_figures():
    with matplotlib.rc_context():  # the theme is global: restore the defaults for the other tests
        plt.figure()
        plt.figure()
        plots.use_theme()
        assert plt.get_fignums() == []  # documented: it closes what was open
        fig, ax = plt.subplots()
        assert to_rgba(fig.get_facecolor()) == to_rgba("white")
        assert to_rgba(ax.get_facecolor()) == to_rgba("white")
        assert to_rgba(matplotlib.rcParams["savefig.facecolor"]) == to_rgba("white")
    assert set(plots.PALETTE) >= {"dense", "scan", "dtree", "wtree", "exact", "bound", "measured"}
