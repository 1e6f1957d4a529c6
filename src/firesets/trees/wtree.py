"""Correlation WTree (Section 3, Theorem 3.2, Algorithms 10-15 of the Bypass paper): one max-tree per neuron.

Chapter: ``book/correlation_trees.md``.
"""
from __future__ import annotations

import numpy as np

from firesets._validate import check_finite_real, readonly
from firesets.trees.base import _check_flag, _check_index, _check_index_array, _CorrelationTree
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
    copy : bool, default True
        Store a copy of ``W``. ``False`` keeps ``W`` itself when it is C-contiguous float64 (UPDATE then
        writes into the caller's array, which must not be modified elsewhere).
    max_bytes : int, optional
        Refuse with ``ValueError`` (before allocating) above this size; default: the available memory.

    Notes
    -----
    INIT (Algorithm 13, Lemma D.6): ``W X^T`` into the leaves, ``n m`` inner products, then each tree built
    bottom-up. UPDATE (Algorithm 14, Lemma D.7) rebuilds tree ``r`` once from the ``n`` new inner products
    (Algorithm 14 rebuilds inside its loop over ``j``, ``n`` times; see the errata). QUERY (Algorithm 15, Lemma D.8)
    reports ``{i : <w_r, x_i> > tau}`` (strict), visiting ``O(|S| log n)`` nodes: the trees have ``n`` leaves, so
    the ``log m`` of Theorem 3.2 should read ``log n``.

    Storage: a :class:`~firesets.trees.maxtree.MaxTreeArray` of ``m`` heaps, each tree one contiguous run of
    ``2 pow2(n)`` slots. ``query_all`` returns the same pairs as :meth:`CorrelationDTree.query_all`, so the two
    structures are interchangeable there; ``query_many(R, tau)`` runs FIND on the trees of ``R`` only (the
    re-query of Algorithm 9, lines 36-46).
    """

    _kind = "wtree"

    def _build(self) -> bool:
        self._tree = MaxTreeArray(self.m, self.n)
        self.depth = self._tree.depth  #: levels of each tree below its root
        with np.errstate(invalid="ignore", over="ignore"):  # a NaN or inf is reported below
            written = self._tree.fill_product(self._W, self._X)
        self.counters.nodes_written += self.m * written
        return bool(np.isfinite(self._tree.T[:, 1]).all() and np.isfinite(self._tree.leaves).all())

    @property
    def correlations(self) -> np.ndarray:
        """Read-only view ``(n, m)`` of the leaves (a transpose view): entry ``(i, r)`` is ``<w_r, x_i>``."""
        return readonly(self._tree.leaves.T)

    def values(self, r) -> np.ndarray:
        """Read-only view ``(n,)`` of the leaves of tree ``r``: ``<w_r, x_i>`` for every ``i``."""
        return readonly(self._tree.leaves[_check_index(r, "r", self.m)])

    @property
    def nbytes(self) -> int:
        """Bytes held: the ``m`` heaps and the copies of ``W`` and ``X``."""
        return self._tree.nbytes + self._W.nbytes + self._X.nbytes

    def check_invariant(self) -> bool:
        """True iff every tree satisfies the max-tree invariant (each internal node is the max of its children)."""
        return self._tree.check_invariant()

    def _store(self, R: np.ndarray, V: np.ndarray) -> None:
        written = self._tree.set_rows(R, V)
        self.counters.inner_products += self.n * R.size
        self.counters.nodes_written += R.size * written

    def _find(self, rows: np.ndarray, tau: float):
        rr, ii, pp, visited = self._tree.report_above(tau, rows)
        self.counters.nodes_visited += int(visited)
        self.counters.leaves_reported += int(ii.size)
        return ii, rr, pp

    def _find_all(self, tau: float):
        rr, ii, pp, visited = self._tree.report_above(tau)
        return ii, rr, pp, visited

    def query(self, r, tau) -> np.ndarray:
        """QUERY(r, tau): sorted int64 array of the data indices ``i`` with ``<w_r, x_i> > tau`` (strict)."""
        r = _check_index(r, "r", self.m)
        tau = check_finite_real(tau, "tau")
        return self._find(np.array([r], dtype=np.int64), tau)[0]

    def query_many(self, R, tau, values: bool = False):
        """QUERY(r, tau) for every ``r`` of ``R`` (any order, repeats allowed): FIND (Algorithm 15) on those trees.

        Returns ``(i, r)`` (or ``(i, r, p)`` with the stored values) sorted by ``(r, i)``; ``nodes_visited`` grows by
        what :meth:`query` on each distinct tree reads, ``O(|R| + sum_r k~_r log n)`` (Lemma D.8).
        """
        rows = _check_index_array(R, "R", self.m)
        tau = check_finite_real(tau, "tau")
        _check_flag(values, "values")
        if rows.size > 1 and not bool(np.all(rows[1:] > rows[:-1])):
            rows = np.unique(rows)
        ii, rr, pp = self._find(rows, tau) if rows.size else (rows, rows, np.zeros(0))
        return (ii, rr, pp) if values else (ii, rr)
