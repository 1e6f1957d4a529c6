"""Correlation DTree and WTree (Section 3, Theorems 3.1 and 3.2 of the Bypass paper) on the array max-tree.

Chapter: ``book/correlation_trees.ipynb``.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

import numpy as np

from firesets._validate import check_finite_real, check_vector, readonly
from firesets.maxtree import MaxTreeArray, _check_memory, tree_bytes

__all__ = ["Counters", "CorrelationDTree", "CorrelationWTree", "estimate_memory_bytes"]


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


class CorrelationDTree(_CorrelationTree):
    """Correlation DTree: ``n`` max-trees, tree ``i`` over the ``m`` leaves ``<w_r, x_i>`` (Theorem 3.1).

    Parameters
    ----------
    W : array (m, d)
        Weights ``w_1..w_m`` (rows).
    X : array (n, d)
        Data points ``x_1..x_n`` (rows).
    max_bytes : int, optional
        Refuse with ``MemoryError`` (before allocating) above this size; default: the available memory.
    copy : bool, default True
        Store a copy of ``W``. ``False`` keeps ``W`` itself when it is C-contiguous float64 (UPDATE then
        writes into the caller's array, which must not be modified elsewhere).

    Notes
    -----
    INIT (Algorithm 1, Lemma D.2) computes ``X W^T`` straight into the leaves and builds every tree with one
    strided maximum per level: ``n m`` inner products. UPDATE (Algorithm 1, Lemma D.3) recomputes the ``n``
    inner products ``<z, x_i>`` and repairs the leaf-to-root path of leaf ``r`` in every tree with
    ``p = max(left child, right child)``. The paper's rule ``p <- max(p, l)`` is wrong when a leaf decreases;
    see the chapter's errata. QUERY (Algorithm 2, Lemma D.4) reports ``{r : <w_r, x_i> > tau}`` with the strict
    test of Theorem 3.1 (Algorithm 2 tests ``>=``).

    Storage: the ``n`` trees share one ``(2M, n)`` buffer (``MaxTreeArray`` ``"col"`` layout): the ``n`` values of
    a node are contiguous, so a batched path repair (:meth:`MaxTreeArray.set_nodes_major`) and the all-trees
    search of :meth:`query_pairs_by_neuron` move all ``n`` trees' values of a node, or of a sibling pair, with one
    gather. ``update_many(R, Z)`` equals ``update(R[k], Z[k])`` for k in order (a repeated index: the last row
    wins; a sorted, unique ``R`` skips the de-duplication), but shares the repaired paths.
    Counters: ``inner_products`` +n per updated neuron, ``nodes_written`` the
    nodes on the union of repaired paths (``n (log2 M + 1)`` for one neuron, ``M`` = m rounded up to a power
    of two), ``nodes_visited`` the FIND reads (one per root plus two per internal node above ``tau``).
    """

    _kind = "dtree"
    #: :meth:`query_pairs_by_neuron` searches the trees together up to this many trees
    NODE_SEARCH_MAX_N = 4

    def __init__(self, W, X, *, max_bytes=None, copy=True):
        super().__init__(W, X, max_bytes=max_bytes, copy=copy)
        # "col" layout: the n values of a neuron's leaf (and of every node) are contiguous, so a path repair or a
        # FIND step reads all n trees at once (one gather of a sibling pair serves every tree)
        self._tree = MaxTreeArray(self.n, self.m, layout="col", max_bytes=max_bytes)
        written = self._tree.fill_product(self._X, self._W)
        self.counters.inner_products += self.n * self.m
        self.counters.nodes_written += self.n * written

    @property
    def correlations(self) -> np.ndarray:
        """Read-only view ``(n, m)`` of the leaves: entry ``(i, r)`` is ``<w_r, x_i>``."""
        return readonly(self._tree.leaves)

    def values(self, i) -> np.ndarray:
        """Read-only view ``(m,)`` of the leaves of tree ``i``: ``<w_r, x_i>`` for every ``r``."""
        return self.correlations[_check_index(i, "i", self.n)]

    def update(self, r, z) -> None:
        """UPDATE(z, r): set ``w_r <- z`` and repair leaf ``r`` in all ``n`` trees (Theorem 3.1: O(n (d + log m)))."""
        r = _check_index(r, "r", self.m)
        z = self._check_z(z)
        self._W[r] = z
        vals = self._X @ z
        written = self._tree.set_columns(np.array([r]), vals[:, None])
        self.counters.inner_products += self.n
        self.counters.nodes_written += self.n * written

    def _store(self, R: np.ndarray, vals: np.ndarray) -> None:
        """Trusted UPDATE of the leaves only: ``R`` sorted unique, ``vals[j, i] = <w_{R[j]}, x_i>`` for the new ``W``.

        For callers that have already written ``W[R]`` and computed the new inner products (the DTree stepper);
        no validation. Counts ``n |R|`` inner products and the path-union nodes.
        """
        if R.size == 0:
            return
        written = self._tree.set_nodes_major(R, vals)
        self.counters.inner_products += self.n * R.size
        self.counters.nodes_written += self.n * written

    def query(self, i, tau) -> np.ndarray:
        """QUERY(i, tau): sorted int array of the ``r`` with ``<w_r, x_i> > tau`` (strict)."""
        i = _check_index(i, "i", self.n)
        return self._report(tau, i)[1]

    def query_all(self, tau):
        """QUERY of every tree: int arrays ``(i, r)`` of all pairs with ``<w_r, x_i> > tau``, sorted by ``(i, r)``."""
        ii, rr, _ = self.query_pairs_by_neuron(tau)
        if self.n == 1 or ii.size == 0:
            return ii, rr
        order = np.argsort(ii, kind="stable")  # (r, i) -> (i, r): r stays sorted within each i
        return ii[order], rr[order]

    def query_pairs_by_neuron(self, tau):
        """QUERY of every tree, with the pairs in ``(r, i)`` order and their values.

        Returns
        -------
        ii, rr : int64 arrays
            Every pair with ``<w_r, x_i> > tau`` (strict), sorted by ``(r, i)``.
        values : float64 array
            ``<w_r, x_i>`` of those pairs, read from the leaves.

        Notes
        -----
        For ``n <= NODE_SEARCH_MAX_N`` the ``n`` trees are searched together
        (:meth:`MaxTreeArray.report_above_nodes`: a node's two children are read in all trees with one gather);
        for larger ``n`` a node above ``tau`` in one tree is mostly below it in the others, and the per-tree frontier
        of :meth:`MaxTreeArray.report_above` reads less (measured at m = 2^20: the node search wins at n = 1, 4 and
        loses at n = 8, 16). Either way ``nodes_visited`` is what FIND run on each tree separately reads.
        """
        tau = check_finite_real(tau, "tau")
        tree = self._tree
        if self.n <= self.NODE_SEARCH_MAX_N:
            ii, rr, vals, visited = tree.report_above_nodes(tau)
        else:
            ii, rr, visited = tree.report_above(tau)  # "col" layout: sorted by (leaf r, tree i)
            vals = tree._flat[(rr + tree.M) * self.n + ii]
        self.counters.nodes_visited += visited
        return ii, rr, vals


class CorrelationWTree(_CorrelationTree):
    """Correlation WTree: ``m`` max-trees, tree ``r`` over the ``n`` leaves ``<w_r, x_i>`` (Theorem 3.2).

    Parameters
    ----------
    W : array (m, d)
        Weights (rows).
    X : array (n, d)
        Data points (rows).
    max_bytes : int, optional
        Refuse with ``MemoryError`` (before allocating) above this size; default: the available memory.
    copy : bool, default True
        Store a copy of ``W``. ``False`` keeps ``W`` itself when it is C-contiguous float64 (UPDATE then
        writes into the caller's array, which must not be modified elsewhere).

    Notes
    -----
    INIT (Algorithm 13, Lemma D.6): ``W X^T`` into the leaves, ``n m`` inner products. UPDATE (Algorithm 14,
    Lemma D.7) rebuilds tree ``r`` once from the ``n`` new inner products (Algorithm 14 rebuilds inside its
    loop over ``j``; see the errata). QUERY (Algorithm 15, Lemma D.8) reports ``{i : <w_r, x_i> > tau}``
    (strict), visiting ``O(|S| log n)`` nodes: the trees have ``n`` leaves, so the ``log m`` of Theorem 3.2
    should read ``log n``.

    ``query_all(tau)`` returns the same ``(i, r)`` arrays, sorted by ``(i, r)``, as
    :meth:`CorrelationDTree.query_all`, so the two structures are interchangeable there. ``query_many(R, tau)``
    runs FIND on the trees of ``R`` only (the re-query of Algorithm 9, lines 36-46).
    """

    _kind = "wtree"

    def __init__(self, W, X, *, max_bytes=None, copy=True):
        super().__init__(W, X, max_bytes=max_bytes, copy=copy)
        # "row" layout: each of the m small trees is one contiguous run of 2 pow2(n) slots, so rebuilding a tree
        # (UPDATE) writes one contiguous run and FIND on a set of trees (query_many) stays inside their runs
        self._tree = MaxTreeArray(self.m, self.n, layout="row", max_bytes=max_bytes)
        written = self._tree.fill_product(self._W, self._X)
        self.counters.inner_products += self.n * self.m
        self.counters.nodes_written += self.m * written

    @property
    def correlations(self) -> np.ndarray:
        """Read-only view ``(n, m)`` of the leaves (a transpose view): entry ``(i, r)`` is ``<w_r, x_i>``."""
        return readonly(self._tree.leaves.T)

    def values(self, r) -> np.ndarray:
        """Read-only view ``(n,)`` of the leaves of tree ``r``: ``<w_r, x_i>`` for every ``i``."""
        return readonly(self._tree.leaves[_check_index(r, "r", self.m)])

    def update(self, r, z) -> None:
        """UPDATE(z, r): set ``w_r <- z`` and rebuild tree ``r`` (Theorem 3.2: O(n d))."""
        r = _check_index(r, "r", self.m)
        z = self._check_z(z)
        self._W[r] = z
        written = self._tree.set_rows(np.array([r]), (self._X @ z)[None, :])
        self.counters.inner_products += self.n
        self.counters.nodes_written += written

    def _store(self, R: np.ndarray, vals: np.ndarray) -> None:
        """Trusted UPDATE of the trees only: ``R`` sorted unique, ``vals[j, i] = <w_{R[j]}, x_i>`` for the new ``W``.

        For callers that have already written ``W[R]`` and computed the new inner products (the WTree stepper);
        no validation. Counts ``n |R|`` inner products and the rebuilt nodes.
        """
        if R.size == 0:
            return
        written = self._tree.set_rows(R, vals)
        self.counters.inner_products += self.n * R.size
        self.counters.nodes_written += R.size * written

    def query(self, r, tau) -> np.ndarray:
        """QUERY(r, tau): sorted int array of the data indices ``i`` with ``<w_r, x_i> > tau`` (strict)."""
        r = _check_index(r, "r", self.m)
        return self._report(tau, r)[1]

    def query_all(self, tau):
        """QUERY of every tree: int arrays ``(i, r)`` with ``<w_r, x_i> > tau``, sorted by ``(i, r)`` like the DTree's."""
        r_idx, i_idx = self._report(tau)  # "row" layout: sorted by (tree r, leaf i)
        if i_idx.size == 0:
            return i_idx, r_idx
        order = np.argsort(i_idx, kind="stable")  # -> (i, r): r stays sorted within each i
        return i_idx[order], r_idx[order]

    def query_many(self, R, tau):
        """QUERY(r, tau) for every ``r`` of ``R`` at once: FIND (Algorithm 15) on the trees ``R`` only.

        Parameters
        ----------
        R : int array
            Neurons (any order, repeats allowed; each tree is searched once).
        tau : float
            Threshold (strict test).

        Returns
        -------
        ii, rr : int64 arrays
            Every pair with ``r`` in ``R`` and ``<w_r, x_i> > tau``, sorted by ``(r, i)``.

        Notes
        -----
        Counts ``nodes_visited`` like :meth:`query` on each tree (root plus both children of every internal node
        above ``tau``): ``O(|R| + sum_r k~_r log n)`` (Lemma D.8).
        """
        R = _check_index_array(R, "R", self.m)
        tau = check_finite_real(tau, "tau")
        if R.size > 1 and not bool(np.all(R[1:] > R[:-1])):
            R = np.unique(R)
        rr, ii, visited = self._tree.report_above(tau, row=R)
        self.counters.nodes_visited += visited
        return ii, rr
