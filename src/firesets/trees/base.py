"""What the Correlation DTree and WTree share (Section 3 of the Bypass paper): counters, memory, validation, QUERY.

Chapter: ``book/correlation_trees.md``.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import numpy as np

from firesets._validate import check_finite_real, check_vector, readonly
from firesets.trees import kernels
from firesets.trees.maxtree import check_memory, padded_size

__all__ = ["Counters", "estimate_memory_bytes"]


@dataclass
class Counters:
    """What Theorems 3.1 and 3.2 count, in the logical binary trees of the paper.

    Attributes
    ----------
    inner_products : int
        Inner products ``<w_r, x_i>`` computed (each costs ``d`` multiply-adds).
    nodes_written : int
        Tree nodes (leaves and internal nodes) given a value.
    nodes_visited : int
        Tree nodes whose value a query read (FIND of Algorithm 2, strict test): each searched root, plus both
        children of every internal node above the threshold.
    leaves_reported : int
        Leaves a query reported (the output size ``|S|`` of Theorems 3.1 and 3.2).
    """

    inner_products: int = 0
    nodes_written: int = 0
    nodes_visited: int = 0
    leaves_reported: int = 0

    def reset(self) -> None:
        """Set every counter to zero."""
        for f in fields(self):
            setattr(self, f.name, 0)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def dtree_block(n: int, m: int) -> int:
    """Leaves per block of the DTree: ``L = 2^j >= 2`` with ``L n <= 8`` values (one 64-byte cache line) if possible.

    Capped by ``pow2(m)`` (a tree with fewer leaves is one block). Measured at m = 2^20, d = 64 (FIND at the paper's
    threshold and the path repair of its fire set): one cache line per block beat two and four at n = 1 and 4.
    """
    L = 2
    while 2 * L * n <= 8:
        L *= 2
    return min(L, padded_size(m))


def estimate_memory_bytes(kind: str, m: int, n: int, d: int) -> int:
    """Bytes a ``CorrelationDTree`` (``kind="dtree"``) or ``CorrelationWTree`` (``"wtree"``) of this size holds.

    DTree: the leaves ``(m, n)`` plus a heap of ``2 pow2(m) / L`` nodes per tree (:func:`dtree_block`); WTree: ``m``
    heaps of ``2 pow2(n)`` nodes; both: the stored copies of ``W`` (m, d) and ``X`` (n, d), all float64.
    """
    if kind == "dtree":
        trees = 8 * n * (m + 2 * (padded_size(m) // dtree_block(n, m)))
    elif kind == "wtree":
        trees = 8 * m * 2 * padded_size(n)
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


def _as_matrix(A, name: str, *, cols=None, finite=True) -> np.ndarray:
    """``A`` as a C-contiguous float64 2-D array (with finite entries unless ``finite=False``).

    A finite sum means finite entries, so the full test runs only when the sum is not finite.
    """
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
    if finite and not np.isfinite(arr.sum()) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite entries (no NaN or inf)")
    return arr


def _check_flag(value, name: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r}")


def _last_occurrence(R: np.ndarray, Z: np.ndarray):
    """Sorted unique ``R`` with the row of ``Z`` of each index's last occurrence (sequential-update semantics)."""
    if R.size <= 1 or bool(np.all(R[1:] > R[:-1])):  # already sorted and unique: nothing to resolve
        return R, Z
    rev = R[::-1]
    uniq, first_in_rev = np.unique(rev, return_index=True)
    return uniq, Z[R.size - 1 - first_in_rev]


class _CorrelationTree:
    """Shared state, validation and the QUERY of every tree (``query_all``) of the DTree and the WTree.

    A subclass sets ``_kind``, builds its storage in ``_build()`` and provides ``_store(R, V)`` (leaves of the
    sorted unique neurons ``R`` set to ``V[j, i] = <w_{R[j]}, x_i>``, trees repaired, counters updated) and
    ``_find_all(tau)`` (every pair above ``tau`` in ``(r, i)`` order with values, and the nodes read).

    ``_build()`` returns whether every stored inner product is finite: a NaN or inf in ``W`` makes a whole leaf row
    non-finite, so ``W`` is checked through its products with ``X`` (which the build reads anyway) instead of by a
    pass over its ``m d`` entries.
    """

    _kind = ""

    def __init__(self, W, X, *, copy=True, max_bytes=None):
        W = _as_matrix(W, "W", finite=False)  # checked through the inner products below
        X = _as_matrix(X, "X", cols=W.shape[1])
        self.m, self.d = W.shape
        self.n = X.shape[0]
        need = estimate_memory_bytes(self._kind, self.m, self.n, self.d)
        kind = "DTree" if self._kind == "dtree" else "WTree"
        check_memory(need, f"Correlation{kind}(m={self.m}, n={self.n}, d={self.d})", max_bytes)
        # copy=False keeps W itself when it is already C-contiguous float64: the structure then updates the
        # caller's array in place and the caller must not write to it (saves an (m, d) copy at INIT)
        self._W = W if (not copy and W.flags.writeable) else W.copy()
        self._X = X.copy()
        self.counters = Counters()
        if not self._build():
            raise ValueError("W: expected finite entries (no NaN or inf) with finite inner products <w_r, x_i>")
        self.counters.inner_products += self.n * self.m

    @property
    def W(self) -> np.ndarray:
        """Read-only view ``(m, d)`` of the current weights."""
        return readonly(self._W)

    @property
    def X(self) -> np.ndarray:
        """Read-only view ``(n, d)`` of the data points."""
        return readonly(self._X)

    def update(self, r, z) -> None:
        """UPDATE(z, r): ``w_r <- z``; the ``n`` inner products ``<z, x_i>`` replace leaf ``r`` of every tree."""
        r = _check_index(r, "r", self.m)
        z = check_vector(z, "z", length=self.d)
        self._W[r] = z
        self._store(np.array([r], dtype=np.int64), (self._X @ z)[None, :])

    def update_many(self, R, Z) -> None:
        """UPDATE a batch: ``w_{R[k]} <- Z[k]`` for every k (last occurrence wins, as with single updates in order).

        The ``n |R|`` new inner products are one product ``Z X^T``; the DTree then repairs the union of the
        ``|R|`` leaf-to-root paths of its ``n`` trees (each shared node once), the WTree rebuilds the ``|R|`` trees.
        Validation happens before anything is written.
        """
        R, Z = self._check_batch(R, Z)
        if R.size == 0:
            return
        self._W[R] = Z
        self._store(R, Z @ self._X.T)

    def add_many(self, R, D) -> None:
        """UPDATE by increments: ``w_{R[k]} <- w_{R[k]} + D[k]`` for strictly increasing ``R``.

        The same result as ``update_many(R, W[R] + D)``, in one pass over the changed rows: each row is read,
        moved and correlated with the ``n`` points while it is in cache (:func:`~firesets.trees.kernels.add_rows`),
        then the trees are repaired as in :meth:`update_many`. This is how a GD step updates the fired neurons.
        Validation happens before anything is written.
        """
        R = _check_index_array(R, "R", self.m)
        D = np.asarray(D)
        if D.ndim != 2 or D.shape != (R.size, self.d):
            raise ValueError(f"D: expected shape ({R.size}, {self.d}) (one row per index of R), got {D.shape}")
        if R.size == 0:
            return
        if R.size > 1 and not bool(np.all(R[1:] > R[:-1])):
            raise ValueError("R: expected strictly increasing indices (each neuron once, sorted)")
        D = _as_matrix(D, "D", cols=self.d)
        V = np.empty((R.size, self.n))
        kernels.add_rows(self._W, R, D, self._X, V)
        self._store(R, V)

    def query_all(self, tau, order: str = "data", values: bool = False):
        """QUERY of every tree: all pairs ``(i, r)`` with ``<w_r, x_i> > tau`` (strict).

        Parameters
        ----------
        tau : float
        order : {"data", "neuron"}
            ``"data"``: sorted by ``(i, r)``; ``"neuron"``: sorted by ``(r, i)``.
        values : bool
            Also return ``p`` with ``p[k]`` the stored ``<w_r, x_i>`` of pair ``k`` (float64).

        Returns
        -------
        ``(i, r)`` or ``(i, r, p)``: int64, int64 (and float64) arrays of equal length.
        """
        tau = check_finite_real(tau, "tau")
        if order not in ("data", "neuron"):
            raise ValueError(f"order: expected 'data' or 'neuron', got {order!r}")
        _check_flag(values, "values")
        ii, rr, pp, visited = self._find_all(tau)
        self.counters.nodes_visited += int(visited)
        self.counters.leaves_reported += int(ii.size)
        if order == "data" and self.n > 1 and ii.size:
            ii, rr, pp = kernels.pairs_by_data(ii, rr, pp, self.n)
        return (ii, rr, pp) if values else (ii, rr)

    def _check_batch(self, R, Z):
        R = _check_index_array(R, "R", self.m)
        Z = np.asarray(Z)
        if Z.ndim != 2 or Z.shape != (R.size, self.d):
            raise ValueError(f"Z: expected shape ({R.size}, {self.d}) (one row per index of R), got {Z.shape}")
        if R.size == 0:
            return R, np.zeros((0, self.d))
        Z = _as_matrix(Z, "Z", cols=self.d)
        return _last_occurrence(R, Z)
