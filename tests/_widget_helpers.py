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
