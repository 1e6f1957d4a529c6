"""The chapters' "Try it" panels stay live: every control can be moved and every redraw runs without error.

nbval ignores the widget cells' outputs (they hold random model ids), so these tests are what keeps the panels
working: each control is set to new values (as a reader dragging it would) and the redraw must succeed and
actually draw (matplotlib records a new figure for every redraw).
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("ipywidgets")
import ipywidgets as w  # noqa: E402


def _controls(box):
    """Every value widget inside a panel, by description."""
    found, stack = {}, [box]
    while stack:
        node = stack.pop()
        if isinstance(node, (w.Box,)):
            stack.extend(node.children)
        elif isinstance(node, w.ValueWidget):
            found[node.description] = node
    return found


class _FigureCounter:
    """Counts figures created by matplotlib while active (each redraw makes one or more)."""

    def __enter__(self):
        self.n = 0
        self._orig = plt.figure

        def counting(*a, **k):
            self.n += 1
            return self._orig(*a, **k)

        plt.figure = counting
        return self

    def __exit__(self, *exc):
        plt.figure = self._orig
        plt.close("all")


def _move(ctrl, values):
    for v in values:
        ctrl.value = v


def test_sparsity_panel_moves():
    from firesets.widgets.sparsity_at_init import SparsityPanel

    with _FigureCounter() as fc:
        panel = SparsityPanel(seeds=200, log2m=10)
        c = _controls(panel.widget)
        start = fc.n
        _move(c["log2 m"], [8, 24, 12])
        c["paper b = sqrt(0.4 ln m)"].value = False
        _move(c["b"], [0.0, 2.5])
        assert fc.n >= start + 5
    assert panel.b_slider.disabled is False


def test_maxtree_panel_moves():
    from firesets.widgets.correlation_trees import maxtree_panel

    with _FigureCounter() as fc:
        box = maxtree_panel()
        c = _controls(box)
        start = fc.n
        _move(c["m"], [2, 32, 7])
        _move(c["b"], [-2.0, 3.0, 0.35])
        assert fc.n >= start + 6


def test_training_panel_moves():
    from firesets.widgets.fire_sets_in_training import training_panel

    with _FigureCounter() as fc:
        box = training_panel()
        c = _controls(box)
        start = fc.n
        c["iterations"].value = 5
        c["log2 m"].value = 8
        c["b = sqrt(0.4 ln m)"].value = False
        c["b"].value = 0.5
        c["eta x lam_max"].value = 2.0
        c["data"].value = "digits"
        assert fc.n >= start + 6


def test_live_training_timing_panel_moves():
    from firesets.widgets.training_with_trees import live_panel

    with _FigureCounter() as fc:
        box = live_panel(repeats=1)
        c = _controls(box)
        start = fc.n
        c["log2 m"].value = 8
        c["n"].value = 16
        c["b"].value = 0.5
        assert fc.n >= start + 3


def test_lowerbound_panel_moves():
    from firesets.widgets.lower_bound import lowerbound_panel

    with _FigureCounter() as fc:
        box = lowerbound_panel()
        c = _controls(box)
        start = fc.n
        c["log2 m"].value = 8
        c["log2 n"].value = 3
        c["c"].value = 0.5
        c["eps"].value = 0.7  # above c: the panel caps it just below c
        assert fc.n >= start + 4
