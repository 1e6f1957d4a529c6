"""What the Correlation DTree and WTree share (Section 3 of the Bypass paper): counters, memory estimate, validation.

Chapter: ``book/correlation_trees.md``.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import numpy as np

from firesets._validate import check_finite_real, check_vector, readonly
from firesets.trees.maxtree import _check_memory, tree_bytes

__all__ = ["Counters", "estimate_memory_bytes"]


@dataclass
class Counters:
    """What Theorems 3.1 and 3.2 count.

    Attributes
    ----------
    inner_products : int
        Inner products ``<w_r, x_i>`` computed (each costs ``d`` multiply-adds).
    nodes_written : int
        Tree nodes (leaves and internal nodes) given a value.
    nodes_visited : int
        Tree nodes whose value a query read (FIND of Algorithm 2, strict test).
    """

    inner_products: int = 0
    nodes_written: int = 0
    nodes_visited: int = 0

    def reset(self) -> None:
        """Set every counter to zero."""
        for f in fields(self):
            setattr(self, f.name, 0)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def estimate_memory_bytes(kind: str, m: int, n: int, d: int) -> int:
    """Bytes a ``CorrelationDTree`` (``kind="dtree"``) or ``CorrelationWTree`` (``"wtree"``) of this size holds.

    The tree array (``n`` trees of ``2 * pow2(m)`` float64 slots for the DTree, ``m`` trees of ``2 * pow2(n)``
    for the WTree) plus the stored copies of ``W`` (m, d) and ``X`` (n, d).
    """
    if kind == "dtree":
        trees = tree_bytes(n, m)
    elif kind == "wtree":
        trees = tree_bytes(m, n)
    else:
        raise ValueError(f"kind: expected 'dtree' or 'wtree', got {kind!r}")
    return trees + 8 * (m + n) * d


def _check_index(value, name: str, size: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an integer index in [0, {size}), got {value!r}")
    value = int(value)
    if not 0 <= value < size:
        raise ValueError(f"{name}: expected an integer index in [0, {size}), got {value}")
    return value


def _check_index_array(R, name: str, size: int) -> np.ndarray:
    arr = np.asarray(R)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of indices, got shape {arr.shape}")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name}: expected integer indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= size:
        bad = arr[(arr < 0) | (arr >= size)][0]
        raise ValueError(f"{name}: expected indices in [0, {size}), got {int(bad)}")
    return arr


def _as_matrix(A, name: str, *, cols=None) -> np.ndarray:
    """``A`` as a C-contiguous float64 2-D array with finite entries (fast path: a finite sum means finite entries)."""
    arr = np.asarray(A)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool) or np.iscomplexobj(arr):
        raise TypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{name}: expected {cols} columns, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(arr.sum()) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite entries (no NaN or inf)")
    return arr


def _last_occurrence(R: np.ndarray, Z: np.ndarray):
    """Sorted unique ``R`` with the row of ``Z`` of each index's last occurrence (sequential-update semantics)."""
    if R.size <= 1 or bool(np.all(R[1:] > R[:-1])):  # already sorted and unique: nothing to resolve
        return R, Z
    rev = R[::-1]
    uniq, first_in_rev = np.unique(rev, return_index=True)
    return uniq, Z[R.size - 1 - first_in_rev]


class _CorrelationTree:
    """Shared state and validation of the DTree and the WTree."""

    _kind = ""

    def __init__(self, W, X, *, max_bytes=None, copy=True):
        W = _as_matrix(W, "W")
        X = _as_matrix(X, "X", cols=W.shape[1])
        self.m, self.d = W.shape
        self.n = X.shape[0]
        need = estimate_memory_bytes(self._kind, self.m, self.n, self.d)
        _check_memory(need, f"Correlation{self._kind[0].upper()}Tree(m={self.m}, n={self.n}, d={self.d})", max_bytes)
        # copy=False keeps W itself when it is already C-contiguous float64: the structure then updates the
        # caller's array in place and the caller must not write to it (saves an (m, d) copy at INIT)
        self._W = W if (not copy and W.flags.writeable) else W.copy()
        self._X = X.copy()
        self.counters = Counters()

    # read-only views of the stored vectors
    @property
    def W(self) -> np.ndarray:
        """Read-only view ``(m, d)`` of the current weights."""
        return readonly(self._W)

    @property
    def X(self) -> np.ndarray:
        """Read-only view ``(n, d)`` of the data points."""
        return readonly(self._X)

    @property
    def nbytes(self) -> int:
        """Bytes held: the tree array plus the copies of ``W`` and ``X``."""
        return self._tree.nbytes + self._W.nbytes + self._X.nbytes

    def check_invariant(self) -> bool:
        """True iff every tree satisfies the max-tree invariant (each internal node is the max of its children)."""
        return self._tree.check_invariant()

    def _report(self, tau, row=None):
        """FIND on one tree (``row``) or all: ``(rows, leaves)`` of the leaves ``> tau``; counts the nodes read."""
        tau = check_finite_real(tau, "tau")
        rows, leaves, visited = self._tree.report_above(tau, row=row)
        self.counters.nodes_visited += visited
        return rows, leaves

    def update_many(self, R, Z) -> None:
        """UPDATE a batch: ``w_{R[k]} <- Z[k]`` for every k (last occurrence wins, as with single updates in order).

        The ``n |R|`` new inner products are one product ``Z X^T``; the DTree then repairs the union of the ``|R|``
        leaf-to-root paths in its ``n`` trees (sharing common nodes), the WTree rebuilds the ``|R|`` trees at once.
        """
        R, Z = self._check_batch(R, Z)
        if R.size == 0:
            return
        self._W[R] = Z
        self._store(R, Z @ self._X.T)

    def _check_z(self, z) -> np.ndarray:
        return check_vector(z, "z", length=self.d)

    def _check_batch(self, R, Z):
        R = _check_index_array(R, "R", self.m)
        Z = np.asarray(Z)
        if Z.ndim != 2 or Z.shape != (R.size, self.d):
            raise ValueError(f"Z: expected shape ({R.size}, {self.d}) (one row per index of R), got {Z.shape}")
        if R.size == 0:
            return R, np.zeros((0, self.d))
        Z = _as_matrix(Z, "Z", cols=self.d)
        return _last_occurrence(R, Z)
