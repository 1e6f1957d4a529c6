"""The correlation trees of Section 3 (Bypass paper): the DTree and the WTree over compiled kernels
(:mod:`firesets.trees.kernels`), a forest of array max-trees (:mod:`firesets.trees.maxtree`, the WTree's storage and
the chapter's drawing), and the paper's pseudo-code transcribed literally (:mod:`firesets.trees.reference`, for
comparison only)."""
from .base import Counters, estimate_memory_bytes
from .dtree import CorrelationDTree
from .wtree import CorrelationWTree

__all__ = ["Counters", "CorrelationDTree", "CorrelationWTree", "estimate_memory_bytes"]
