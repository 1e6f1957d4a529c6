"""The correlation trees of Section 3 (Bypass paper): a shared max-tree core, the DTree, the WTree, and the
paper's pseudo-code transcribed literally (:mod:`firesets.trees.reference`, for comparison only)."""
from .base import Counters, estimate_memory_bytes
from .dtree import CorrelationDTree
from .wtree import CorrelationWTree

__all__ = ["Counters", "CorrelationDTree", "CorrelationWTree", "estimate_memory_bytes"]
