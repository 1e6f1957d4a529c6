"""Correlation DTree (Section 3, Theorem 3.1, Algorithms 1, 2, 5-7 of the Bypass paper): one max-tree per data point.

Chapter: ``book/correlation_trees.md``.
"""
from __future__ import annotations

import numpy as np

from firesets._validate import check_finite_real, readonly
from firesets.trees.base import _CorrelationTree, _check_index
from firesets.trees.maxtree import MaxTreeArray

__all__ = ["CorrelationDTree"]


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

    def query_all(self, tau, order="data", values=False):
        """QUERY of every tree: int arrays ``(i, r)`` of all pairs with ``<w_r, x_i> > tau``.

        ``order="data"`` sorts the pairs by ``(i, r)``, ``order="neuron"`` by ``(r, i)``; ``values=True`` adds the
        stored ``<w_r, x_i>`` of each pair as a third array (float64).
        """
        if order not in ("data", "neuron"):
            raise ValueError(f"order: expected 'data' or 'neuron', got {order!r}")
        ii, rr, p = self.query_pairs_by_neuron(tau)
        if order == "data" and self.n > 1 and ii.size:
            perm = np.argsort(ii, kind="stable")  # (r, i) -> (i, r): r stays sorted within each i
            ii, rr, p = ii[perm], rr[perm], p[perm]
        return (ii, rr, p) if values else (ii, rr)

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
