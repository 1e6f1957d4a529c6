"""firesets: an executable reproduction of sublinear-time training of wide two-layer ReLU networks by fire-set detection."""
from .network import TwoLayerReLU, paper_threshold

__all__ = ["TwoLayerReLU", "paper_threshold"]

try:  # the trees arrive with Chapter 3
    from .trees import CorrelationDTree, CorrelationWTree  # noqa: F401

    __all__ += ["CorrelationDTree", "CorrelationWTree"]
except ImportError:  # pragma: no cover
    pass

__version__ = "0.1.0"
