"""Array max-trees (MAKEMAXTREE, Algorithm 7 of the Bypass paper): sizes, the memory guard, and a forest of heaps.

:class:`MaxTreeArray` is the storage of the WTree (one short tree per neuron) and the tree the chapter draws.
Chapter: ``book/correlation_trees.md``.
"""
from __future__ import annotations

import numbers

import numpy as np

from firesets._validate import check_finite_real, check_positive_int
from firesets.trees import kernels

__all__ = ["MaxTreeArray", "padded_size", "path_union_size", "tree_bytes", "available_memory_bytes", "check_memory"]


def padded_size(k: int) -> int:
    """Return the smallest power of two ``M >= k`` (the number of leaf slots of a tree with ``k`` leaves)."""
    k = check_positive_int(k, "k")
    return 1 << (k - 1).bit_length()


def path_union_size(cols, depth: int) -> int:
    """Number of distinct nodes on the leaf-to-root paths of the sorted, unique leaves ``cols`` (tree of ``depth``).

    Two consecutive sorted leaves ``c < c'`` share exactly their ancestors above the highest bit where they differ, so
    leaf ``c'`` adds ``bit_length(c ^ c')`` new nodes: the union has ``depth + 1 + sum_j bit_length(c_j ^ c_{j-1})``
    nodes (``0`` for no leaf).
    """
    return int(kernels.path_union(np.asarray(cols, dtype=np.int64), int(depth)))


def tree_bytes(n_rows: int, n_leaves: int) -> int:
    """Bytes of the float64 array holding ``n_rows`` heaps of ``n_leaves`` leaves each: ``8 * n_rows * 2M``."""
    return 8 * int(n_rows) * 2 * padded_size(n_leaves)


def available_memory_bytes() -> int | None:
    """``MemAvailable`` from ``/proc/meminfo`` in bytes, or ``None`` where that file does not exist."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        return None
    return None  # pragma: no cover


def check_memory(nbytes: int, what: str, max_bytes) -> None:
    """Raise ``ValueError`` (naming ``max_bytes``) before allocating ``nbytes`` above the limit.

    The limit is ``max_bytes`` when given, else the machine's available memory.
    """
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (numbers.Integral, np.integer)):
            raise TypeError(f"max_bytes: expected an integer number of bytes or None, got {max_bytes!r}")
        limit = int(max_bytes)
    else:
        limit = available_memory_bytes()
    if limit is not None and nbytes > limit:
        raise ValueError(
            f"max_bytes: {what} needs about {nbytes / 2**20:.1f} MiB but only {limit / 2**20:.1f} MiB "
            f"{'are allowed' if max_bytes is not None else 'are available'}; use fewer leaves or fewer trees"
        )


class MaxTreeArray:
    """``n_rows`` complete binary max-trees over ``n_leaves`` leaves each, stored as one ``(n_rows, 2M)`` array.

    Heap layout per row: node 1 is the root, node ``v`` has children ``2v`` and ``2v + 1``, the leaves are
    nodes ``M .. M + n_leaves - 1`` with ``M = padded_size(n_leaves)``; padding leaves and the unused slot 0
    hold ``-inf`` (they never report, every threshold is finite). Every internal node holds the maximum of
    its two children, the invariant of MAKEMAXTREE (Algorithm 7 of :cite:`alman2023bypass`). Each tree is one
    contiguous run, so rebuilding a tree writes one run and FIND on a tree stays inside it.

    Parameters
    ----------
    n_rows, n_leaves : int
        Number of trees and number of leaves per tree (both >= 1).
    max_bytes : int, optional
        Refuse (``ValueError``, before allocating) when the array would exceed this many bytes; by default the
        limit is the machine's available memory.

    Notes
    -----
    Differences from Algorithm 7: the tree is padded to a power of two with ``-inf`` leaves instead of giving an
    odd last node a single-child parent, and internal nodes store values, not pointers to the maximal leaf (the
    paper's ``r'_i <- r_{2i-1}`` aliases nodes; see the chapter's errata).
    """

    def __init__(self, n_rows: int, n_leaves: int, *, max_bytes=None):
        n_rows = check_positive_int(n_rows, "n_rows")
        n_leaves = check_positive_int(n_leaves, "n_leaves")
        check_memory(tree_bytes(n_rows, n_leaves), f"{n_rows} max-trees of {n_leaves} leaves", max_bytes)
        self.n_rows = n_rows
        self.n_leaves = n_leaves
        self.M = padded_size(n_leaves)
        self.depth = self.M.bit_length() - 1  # levels below the root; leaves are at level `depth`
        self.T = np.full((n_rows, 2 * self.M), -np.inf)
        self._hint = 0  # room for the next query's output (the FIND kernel writes into preallocated arrays)

    @property
    def leaves(self) -> np.ndarray:
        """Writable view ``(n_rows, n_leaves)`` of the leaf values (call :meth:`rebuild` after writing)."""
        return self.T[:, self.M : self.M + self.n_leaves]

    @property
    def nbytes(self) -> int:
        return self.T.nbytes

    def _all_rows(self) -> np.ndarray:
        return np.arange(self.n_rows, dtype=np.int64)

    def rebuild(self) -> int:
        """Recompute every internal node from the leaves, bottom-up. Returns the internal nodes per row (``M - 1``)."""
        kernels.forest_build(self.T, self._all_rows(), self.M)
        return self.M - 1

    def fill_product(self, A: np.ndarray, B: np.ndarray) -> int:
        """Set the leaves to ``A @ B.T`` (``A`` is ``(n_rows, d)``) and rebuild; returns the nodes written per row."""
        np.matmul(A, B.T, out=self.leaves)
        return self.n_leaves + self.rebuild()

    def set_rows(self, rows, values) -> int:
        """Replace all leaves of the sorted, unique ``rows`` by ``values`` ``(len(rows), n_leaves)`` and rebuild them.

        Returns the nodes written per rebuilt row (``n_leaves + M - 1``), ``0`` for no row.
        """
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return 0
        kernels.forest_set_rows(self.T, rows, self.M, np.ascontiguousarray(values, dtype=np.float64))
        return self.n_leaves + self.M - 1

    def _check_row(self, row) -> int:
        if isinstance(row, (bool, np.bool_)) or not isinstance(row, (numbers.Integral, np.integer)):
            raise TypeError(f"row: expected an integer index in [0, {self.n_rows}), got {row!r}")
        if not 0 <= int(row) < self.n_rows:
            raise ValueError(f"row: expected an integer index in [0, {self.n_rows}), got {int(row)}")
        return int(row)

    def _check_rows(self, rows) -> np.ndarray:
        arr = np.asarray(rows)
        if arr.ndim != 1 or arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"row: expected an integer or a 1-D integer array of rows, got {rows!r}")
        arr = arr.astype(np.int64)
        if arr.size and (arr[0] < 0 or arr[-1] >= self.n_rows or not bool(np.all(arr[1:] > arr[:-1]))):
            raise ValueError(f"row: expected sorted, unique rows in [0, {self.n_rows})")
        return arr

    def report_above(self, tau: float, row=None):
        """FIND (Algorithm 2, strict ``> tau``) on every tree (``row=None``), one tree (an int) or sorted unique rows.

        Returns
        -------
        rows, leaves : int64 arrays
            Every ``(row, leaf)`` with leaf value ``> tau``, sorted by ``(row, leaf)``.
        values : float64 array
            Those leaf values.
        visited : int
            Nodes FIND reads: the root of each searched tree, plus both children of every internal node ``> tau``.
        """
        tau = check_finite_real(tau, "tau")
        if row is None:
            rows = self._all_rows()
        elif np.ndim(row) == 0:
            rows = np.array([self._check_row(row)], dtype=np.int64)
        else:
            rows = self._check_rows(row)
        out = kernels.report(kernels.forest_find, self._hint * rows.size // self.n_rows + 16, self.T, rows, self.M, tau)
        if rows.size == self.n_rows:
            self._hint = out[0].size + out[0].size // 4
        return out

    def visited_mask(self, row: int, tau: float) -> np.ndarray:
        """Boolean mask over the ``2M`` node slots of tree ``row``: the nodes FIND reads at threshold ``tau``.

        The root, and both children of every internal node with value ``> tau`` (such a node's ancestors all
        exceed ``tau`` too, so FIND reaches it). ``mask.sum()`` equals the ``visited`` of :meth:`report_above`.
        """
        tau = check_finite_real(tau, "tau")
        vals = self.T[self._check_row(row)]
        mask = np.zeros(2 * self.M, dtype=bool)
        mask[1] = True
        above = vals[1 : self.M] > tau
        mask[2 : 2 * self.M : 2] = above
        mask[3 : 2 * self.M : 2] = above
        return mask

    def check_invariant(self) -> bool:
        """True iff every internal node equals the max of its children and padding/slot 0 hold ``-inf``."""
        T, M = self.T, self.M
        ok = bool(np.all(T[:, 0] == -np.inf)) and bool(np.all(T[:, M + self.n_leaves :] == -np.inf))
        if M > 1:
            ok = ok and bool(np.array_equal(T[:, 1:M], np.maximum(T[:, 2 : 2 * M : 2], T[:, 3 : 2 * M : 2])))
        return ok
