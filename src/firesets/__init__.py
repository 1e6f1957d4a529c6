"""firesets: an executable reproduction of sublinear-time training of wide two-layer ReLU networks by fire-set
detection (Alman, Liang, Song, Zhang, Zhuo, NeurIPS 2023; Qin, Song, Yang, arXiv 2307.06565)."""
from .network import TwoLayerReLU, paper_threshold
from .trees import CorrelationDTree, CorrelationWTree

__all__ = ["TwoLayerReLU", "paper_threshold", "CorrelationDTree", "CorrelationWTree"]

__version__ = "0.1.0"
