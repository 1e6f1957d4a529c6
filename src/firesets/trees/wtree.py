"""Correlation WTree (Section 3, Theorem 3.2, Algorithms 10-15 of the Bypass paper): one max-tree per neuron.

Chapter: ``book/correlation_trees.md``.
"""
from __future__ import annotations

import numpy as np

from firesets._validate import check_finite_real, readonly
from firesets.trees.base import _CorrelationTree, _check_index, _check_index_array
from firesets.trees.maxtree import MaxTreeArray

__all__ = ["CorrelationWTree"]


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

    def query_all(self, tau, order="data", values=False):
        """QUERY of every tree: int arrays ``(i, r)`` with ``<w_r, x_i> > tau``, sorted like the DTree's.

        ``order="data"``: sorted by ``(i, r)``; ``order="neuron"``: sorted by ``(r, i)``. ``values=True`` also
        returns ``p``, the stored ``<w_r, x_i>`` of each pair (float64).
        """
        if order not in ("data", "neuron"):
            raise ValueError(f"order: expected 'data' or 'neuron', got {order!r}")
        r_idx, i_idx = self._report(tau)  # "row" layout: sorted by (tree r, leaf i)
        if order == "data" and i_idx.size:
            o = np.argsort(i_idx, kind="stable")  # -> (i, r): r stays sorted within each i
            i_idx, r_idx = i_idx[o], r_idx[o]
        if not values:
            return i_idx, r_idx
        return i_idx, r_idx, np.array(self._tree.leaves[r_idx, i_idx], dtype=np.float64)

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
