"""Correlation DTree (Section 3, Theorem 3.1, Algorithms 1, 2, 5-7, 10-12 of the Bypass paper): a max-tree per point.

Chapter: ``book/correlation_trees.md``.
"""
from __future__ import annotations

import numpy as np

from firesets._validate import check_finite_real, readonly
from firesets.trees import kernels
from firesets.trees.base import _check_flag, _check_index, _check_index_array, _CorrelationTree, dtree_block
from firesets.trees.maxtree import padded_size

__all__ = ["CorrelationDTree"]


def _aligned_empty(shape) -> np.ndarray:
    """An uninitialised float64 C array whose first element sits on a 64-byte (cache line) boundary."""
    size = int(np.prod(shape))
    buf = np.empty(size + 8)
    skip = (-buf.ctypes.data % 64) // 8
    return buf[skip : skip + size].reshape(shape)


class CorrelationDTree(_CorrelationTree):
    """Correlation DTree: ``n`` max-trees, tree ``i`` over the ``m`` leaves ``<w_r, x_i>`` (Theorem 3.1).

    Parameters
    ----------
    W : array (m, d)
        Weights ``w_1..w_m`` (rows).
    X : array (n, d)
        Data points ``x_1..x_n`` (rows).
    copy : bool, default True
        Store a copy of ``W``. ``False`` keeps ``W`` itself when it is C-contiguous float64 (UPDATE then
        writes into the caller's array, which must not be modified elsewhere).
    max_bytes : int, optional
        Refuse with ``ValueError`` (before allocating) above this size; default: the available memory.

    Notes
    -----
    INIT (Algorithms 1/10, Lemma D.2) is one product ``W X^T`` into the leaves (``n m`` inner products) and one
    bottom-up build (:func:`~firesets.trees.kernels.dtree_build`). UPDATE (Algorithms 1/11, Lemma D.3) recomputes the
    ``n`` inner products ``<z, x_i>`` and repairs the leaf-to-root path of leaf ``r`` in every tree with
    ``p = max(left child, right child)``: the paper's rule ``p <- max(p, l)`` is wrong when a leaf decreases (see
    the chapter's errata). ``update_many`` repairs the union of the paths, each node once
    (:func:`~firesets.trees.kernels.dtree_store`). QUERY (Algorithms 2/12, Lemma D.4) reports
    ``{r : <w_r, x_i> > tau}`` with the strict test of Theorem 3.1 (Algorithm 2 tests ``>=``) by a loop over a
    stack of nodes (:func:`~firesets.trees.kernels.dtree_find`); ``query_all`` searches the ``n`` trees together
    and ``query_many`` a set of them.

    Storage (differs from the pointer trees of the pseudo-code, same results and counts): the leaves are one
    ``(m, n)`` array ``P`` with ``P[r, i] = <w_r, x_i>`` (the ``n`` trees' values of leaf ``r`` contiguous, so a
    path repair or a search step serves every tree from one cache line), and the trees above the leaves are one
    node-major heap over blocks of ``L`` consecutive leaves (:func:`~firesets.trees.base.dtree_block`): the last
    ``log2 L`` levels of each tree are replaced by a scan of one block. The counters count the logical binary trees
    of the paper over ``M = pow2(m)`` leaves: ``inner_products`` +n per updated neuron, ``nodes_written`` the
    nodes on the union of repaired paths (``n (log2 M + 1)`` for one neuron), ``nodes_visited`` FIND's reads (each
    root plus both children of every internal node above ``tau``), ``leaves_reported`` the output size.
    """

    _kind = "dtree"

    def _build(self) -> bool:
        m, n = self.m, self.n
        self.block = dtree_block(n, m)  #: leaves per block, ``L``
        self.depth = padded_size(m).bit_length() - 1  #: levels of the logical tree below its root
        nb = padded_size(m) // self.block
        self._P = _aligned_empty((m, n))
        with np.errstate(invalid="ignore", over="ignore"):  # a NaN or inf is reported by the build
            np.matmul(self._W, self._X.T, out=self._P)
        self._H = _aligned_empty((2 * nb, n))
        finite = kernels.dtree_build(self._P, self._H, self.block)
        self._rows = np.arange(n, dtype=np.int64)
        self._hint = 0  # room for the next query's output (FIND kernels write into preallocated arrays)
        self.counters.nodes_written += n * (m + padded_size(m) - 1)
        return finite

    @property
    def correlations(self) -> np.ndarray:
        """Read-only view ``(n, m)`` of the leaves: entry ``(i, r)`` is the stored ``<w_r, x_i>``."""
        return readonly(self._P.T)

    def values(self, i) -> np.ndarray:
        """Read-only view ``(m,)`` of the leaves of tree ``i``: ``<w_r, x_i>`` for every ``r``."""
        return readonly(self._P[:, _check_index(i, "i", self.n)])

    @property
    def nbytes(self) -> int:
        """Bytes held: leaves, heap, and the copies of ``W`` and ``X``."""
        return self._P.nbytes + self._H.nbytes + self._W.nbytes + self._X.nbytes

    def _store(self, R: np.ndarray, V: np.ndarray) -> None:
        kernels.dtree_store(self._P, self._H, self.block, R, np.ascontiguousarray(V, dtype=np.float64))
        self.counters.inner_products += self.n * R.size
        self.counters.nodes_written += self.n * int(kernels.path_union(R, self.depth))

    def _find_rows(self, rows: np.ndarray, tau: float):
        """FIND on the trees ``rows`` together: ``(i, r, p, visited)`` in ``(r, i)`` order."""
        hint = self._hint * rows.size // self.n + 16  # the last output size, scaled: usually one pass
        out = kernels.report(kernels.dtree_find, hint, self._P, self._H, self.block, rows, tau)
        if rows.size == self.n:
            self._hint = out[0].size + out[0].size // 4
        return out

    def _find(self, rows: np.ndarray, tau: float):
        ii, rr, pp, visited = self._find_rows(rows, tau)
        self.counters.nodes_visited += int(visited)
        self.counters.leaves_reported += int(ii.size)
        return ii, rr, pp

    def _find_all(self, tau: float):
        return self._find_rows(self._rows, tau)

    def query(self, i, tau) -> np.ndarray:
        """QUERY(i, tau): sorted int64 array of the ``r`` with ``<w_r, x_i> > tau`` (strict)."""
        i = _check_index(i, "i", self.n)
        tau = check_finite_real(tau, "tau")
        return self._find(np.array([i], dtype=np.int64), tau)[1]

    def query_many(self, I, tau, values: bool = False):
        """QUERY(i, tau) for every ``i`` of ``I`` (any order, repeats allowed): FIND on those trees together.

        Returns ``(i, r)`` (or ``(i, r, p)`` with the stored values) sorted by ``(r, i)``; ``nodes_visited`` grows
        by what FIND on each distinct tree of ``I`` reads.
        """
        rows = np.unique(_check_index_array(I, "I", self.n))
        tau = check_finite_real(tau, "tau")
        _check_flag(values, "values")
        ii, rr, pp = self._find(rows, tau) if rows.size else (rows, rows, np.zeros(0))
        return (ii, rr, pp) if values else (ii, rr)

    def check_invariant(self) -> bool:
        """True iff every block node is the max of its leaves, every other node the max of its two children."""
        P, H, L = self._P, self._H, self.block
        nb = H.shape[0] // 2
        padded = np.full((nb * L, self.n), -np.inf)
        padded[: self.m] = P
        ok = bool(np.all(H[0] == -np.inf))
        ok = ok and bool(np.array_equal(H[nb:], padded.reshape(nb, L, self.n).max(axis=1)))
        return ok and bool(np.array_equal(H[1:nb], np.maximum(H[2 : 2 * nb : 2], H[3 : 2 * nb : 2])))
