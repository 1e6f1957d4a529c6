"""Many array max-trees kept as one array (Algorithm 7 of the Bypass paper), with batched build, update and report-above.

Chapter: ``book/correlation_trees.ipynb``.
"""
from __future__ import annotations

import numpy as np

from firesets._validate import check_finite_real, check_positive_int

__all__ = ["MaxTreeArray", "padded_size", "tree_bytes", "available_memory_bytes"]


def padded_size(k: int) -> int:
    """Return the smallest power of two ``M >= k`` (the number of leaf slots of a tree with ``k`` leaves)."""
    k = check_positive_int(k, "k")
    return 1 << (k - 1).bit_length()


def tree_bytes(n_rows: int, n_leaves: int) -> int:
    """Bytes of the float64 array holding ``n_rows`` max-trees of ``n_leaves`` leaves each: ``8 * n_rows * 2M``."""
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


def _check_memory(nbytes: int, what: str, max_bytes) -> None:
    limit = max_bytes if max_bytes is not None else available_memory_bytes()
    if limit is not None and nbytes > limit:
        raise MemoryError(
            f"{what} needs about {nbytes / 2**20:.1f} MiB but only {limit / 2**20:.1f} MiB "
            f"{'are allowed (max_bytes)' if max_bytes is not None else 'are available'}; "
            "use fewer leaves or fewer trees"
        )


class MaxTreeArray:
    """``n_rows`` complete binary max-trees over ``n_leaves`` leaves each, stored as one ``(n_rows, 2M)`` array.

    Heap layout per row: node 1 is the root, node ``v`` has children ``2v`` and ``2v + 1``, the leaves are
    nodes ``M .. M + n_leaves - 1`` with ``M = padded_size(n_leaves)``; padding leaves and the unused slot 0
    hold ``-inf`` (they never report, every threshold is finite). Every internal node holds the maximum of
    its two children, which is the invariant of MAKEMAXTREE (Algorithm 7 of :cite:`alman2023bypass`).

    All operations act on every row at once (whole-array numpy); there is no Python loop over rows or
    leaves, only over the ``log2 M`` levels.

    Parameters
    ----------
    n_rows, n_leaves : int
        Number of trees and number of leaves per tree (both >= 1).
    layout : {"row", "col"}
        ``"row"``: the buffer is ``(n_rows, 2M)``, each tree contiguous (good for few long trees, the DTree).
        ``"col"``: the buffer is ``(2M, n_rows)``, each tree level contiguous across trees (good for many short
        trees, the WTree). ``self.T`` is always the ``(n_rows, 2M)`` view.
    max_bytes : int, optional
        Refuse (``MemoryError``, before allocating) when the array would exceed this many bytes; by default
        the limit is the machine's available memory.

    Notes
    -----
    Differences from Algorithm 7: the tree is padded to a power of two with ``-inf`` leaves instead of
    giving an odd last node a single-child parent, and internal nodes store values, not pointers to the
    maximal leaf (the paper's ``r'_i <- r_{2i-1}`` aliases nodes; see the chapter's errata).
    """

    #: a frontier denser than 1/DENSE_RATIO of the next level is expanded with one contiguous comparison
    DENSE_RATIO = 8

    def __init__(self, n_rows: int, n_leaves: int, *, layout: str = "row", max_bytes=None):
        n_rows = check_positive_int(n_rows, "n_rows")
        n_leaves = check_positive_int(n_leaves, "n_leaves")
        if layout not in ("row", "col"):
            raise ValueError(f"layout: expected 'row' or 'col', got {layout!r}")
        _check_memory(tree_bytes(n_rows, n_leaves), f"{n_rows} max-trees of {n_leaves} leaves", max_bytes)
        self.n_rows = n_rows
        self.n_leaves = n_leaves
        self.M = padded_size(n_leaves)
        self.depth = self.M.bit_length() - 1  # levels below the root; leaves are at level `depth`
        self.layout = layout
        if layout == "row":
            self._A = np.full((n_rows, 2 * self.M), -np.inf)
            self.T = self._A
            self._strides = (2 * self.M, 1)  # element strides of (row, node) in the buffer
        else:
            self._A = np.full((2 * self.M, n_rows), -np.inf)
            self.T = self._A.T
            self._strides = (1, n_rows)
        self._flat = self._A.reshape(-1)

    def _check_row(self, row) -> int:
        if isinstance(row, (bool, np.bool_)) or not isinstance(row, (int, np.integer)):
            raise TypeError(f"row: expected an integer index in [0, {self.n_rows}), got {row!r}")
        if not 0 <= int(row) < self.n_rows:
            raise ValueError(f"row: expected an integer index in [0, {self.n_rows}), got {int(row)}")
        return int(row)

    # ------------------------------------------------------------------ views
    @property
    def leaves(self) -> np.ndarray:
        """Writable view ``(n_rows, n_leaves)`` of the leaf values (call :meth:`rebuild` after writing)."""
        return self.T[:, self.M : self.M + self.n_leaves]

    @property
    def nbytes(self) -> int:
        return self.T.nbytes

    # ------------------------------------------------------------------ build
    def rebuild(self) -> int:
        """Recompute every internal node from the leaves, one strided pairwise maximum per level.

        Returns the number of nodes written per row (``M - 1`` internal nodes).
        """
        T, h = self.T, self.M // 2
        while h >= 1:
            np.maximum(T[:, 2 * h : 4 * h : 2], T[:, 2 * h + 1 : 4 * h : 2], out=T[:, h : 2 * h])
            h //= 2
        return self.M - 1

    def fill_product(self, A: np.ndarray, B: np.ndarray) -> int:
        """Set the leaves to ``A @ B.T`` (written straight into the tree buffer) and rebuild; ``A`` is (n_rows, d).

        Returns the nodes written per row (``n_leaves + M - 1``).
        """
        if self.layout == "row":
            np.matmul(A, B.T, out=self.leaves)
        else:
            np.matmul(B, A.T, out=self._A[self.M : self.M + self.n_leaves])
        return self.n_leaves + self.rebuild()

    # ------------------------------------------------------------------ update
    def set_columns(self, cols: np.ndarray, values: np.ndarray) -> int:
        """Set leaves ``cols`` of every row to ``values`` (shape ``(n_rows, len(cols))``) and repair the paths.

        ``cols`` must be sorted, unique, in range (the caller validates). The parents of the touched nodes are
        walked level by level (sorted, deduplicated); once more than a quarter of a level is touched the whole
        level is recomputed with one strided maximum. Returns the number of nodes on the union of the updated
        leaf-to-root paths, per row (what Theorem 3.1 counts; whole-level recomputation is a speed device and
        its extra writes are not counted).
        """
        T, M = self.T, self.M
        k = len(cols)
        if k == 0:
            return 0
        if k == 1:
            # one leaf: the new path values are the running maximum of the new leaf and the (unchanged) siblings
            path = (M + int(cols[0])) >> np.arange(self.depth + 1)
            if self.depth == 0:
                T[:, path] = values
                return 1
            acc = np.empty((self.n_rows, self.depth + 1))
            acc[:, 0] = values[:, 0]
            acc[:, 1:] = T[:, path[:-1] ^ 1]
            np.maximum.accumulate(acc, axis=1, out=acc)
            T[:, path] = acc
            return self.depth + 1
        nodes = M + np.asarray(cols, dtype=np.int64)
        T[:, nodes] = values
        written = k
        h = M
        dense = False
        while h > 1:
            parents = nodes >> 1
            keep = np.empty(len(parents), dtype=bool)
            keep[0] = True
            np.not_equal(parents[1:], parents[:-1], out=keep[1:])
            parents = parents[keep]
            h //= 2
            dense = dense or 4 * len(parents) > h
            if dense:
                np.maximum(T[:, 2 * h : 4 * h : 2], T[:, 2 * h + 1 : 4 * h : 2], out=T[:, h : 2 * h])
            else:
                T[:, parents] = np.maximum(T[:, 2 * parents], T[:, 2 * parents + 1])
            written += len(parents)
            nodes = parents
        return written

    def set_rows(self, rows: np.ndarray, values: np.ndarray) -> int:
        """Replace all leaves of the rows ``rows`` (sorted, unique) by ``values`` (``(len(rows), n_leaves)``) and rebuild them.

        Returns the nodes written per rebuilt row (``n_leaves + M - 1``).
        """
        k, M = len(rows), self.M
        if k == 0:
            return 0
        if self.layout == "row":
            tmp = np.full((k, 2 * M), -np.inf)
        else:
            tmp = np.full((2 * M, k), -np.inf).T
        tmp[:, M : M + self.n_leaves] = values
        h = M // 2
        while h >= 1:
            np.maximum(tmp[:, 2 * h : 4 * h : 2], tmp[:, 2 * h + 1 : 4 * h : 2], out=tmp[:, h : 2 * h])
            h //= 2
        self.T[rows] = tmp
        return self.n_leaves + M - 1

    # ------------------------------------------------------------------ query
    def _level_hits(self, lo: int, hi: int, rows_sel: slice, row0: int, tau: float) -> np.ndarray:
        """Buffer offsets, in buffer order, of the nodes ``lo <= v < hi`` of the selected rows with value > tau."""
        s_r, s_n = self._strides
        if self.layout == "row":
            r_idx, c_idx = np.nonzero(self._A[rows_sel, lo:hi] > tau)
        else:
            c_idx, r_idx = np.nonzero(self._A[lo:hi, rows_sel] > tau)
        return (r_idx.astype(np.int64) + row0) * s_r + (c_idx.astype(np.int64) + lo) * s_n

    def report_above(self, tau: float, row=None):
        """All ``(row, leaf)`` with leaf value ``> tau`` (strict), and the number of nodes visited.

        Level-by-level frontier expansion on buffer offsets: a node's two children are fetched (one gather)
        only when its value exceeds ``tau``, which is the search of FIND (Algorithm 2) with the strict test of
        Theorem 3.1. A frontier that is dense in its level is expanded instead by one contiguous comparison of
        the whole level, which yields the same set (a node exceeds ``tau`` only if its parent does).
        ``row=None`` searches every row, an int searches that row only.

        Returns
        -------
        rows, leaves : int64 arrays
            Sorted by ``(row, leaf)`` in the ``"row"`` layout and by ``(leaf, row)`` in the ``"col"`` layout.
        visited : int
            Nodes whose value the depth-first FIND reads: the root of each searched tree, plus both children
            of every internal node with value ``> tau``. It does not depend on the dense/sparse choice.
        """
        tau = check_finite_real(tau, "tau")
        M = self.M
        flat = self._flat
        s_r, s_n = self._strides
        if row is None:
            rows_sel, nrows, row0 = slice(None), self.n_rows, 0
        else:
            row0 = self._check_row(row)
            rows_sel, nrows = slice(row0, row0 + 1), 1
        F = self._level_hits(1, 2, rows_sel, row0, tau)
        visited = nrows
        level_size = 1
        for _ in range(self.depth):
            if F.size == 0:
                break
            visited += 2 * F.size
            level_size *= 2
            if self.DENSE_RATIO * 2 * F.size >= nrows * level_size:
                F = self._level_hits(level_size, 2 * level_size, rows_sel, row0, tau)
            else:
                node = (F & (2 * M - 1)) if self.layout == "row" else F // s_n
                left = F + node * s_n
                children = np.empty(2 * F.size, dtype=np.int64)
                children[0::2] = left
                children[1::2] = left + s_n
                F = children[flat[children] > tau]
        if self.layout == "row":
            return F >> (self.depth + 1), (F & (2 * M - 1)) - M, visited
        F = np.sort(F)
        node = F // s_n
        return F - node * s_n, node - M, visited

    def visited_mask(self, row: int, tau: float) -> np.ndarray:
        """Boolean mask over the ``2M`` node slots of tree ``row``: the nodes FIND reads at threshold ``tau``.

        The root, and both children of every internal node with value ``> tau`` (such a node's ancestors all
        exceed ``tau`` too, so FIND reaches it). ``mask.sum()`` equals the ``visited`` of :meth:`report_above`.
        """
        tau = check_finite_real(tau, "tau")
        vals = np.asarray(self.T[self._check_row(row)])
        mask = np.zeros(2 * self.M, dtype=bool)
        mask[1] = True
        above = vals[1 : self.M] > tau
        mask[2 : 2 * self.M : 2] = above
        mask[3 : 2 * self.M : 2] = above
        return mask

    # ------------------------------------------------------------------ checks
    def check_invariant(self) -> bool:
        """True iff every internal node equals the max of its children and padding/slot 0 hold ``-inf``."""
        T, M = self.T, self.M
        ok = bool(np.all(T[:, 0] == -np.inf)) and bool(np.all(T[:, M + self.n_leaves :] == -np.inf))
        if M > 1:
            ok = ok and bool(np.array_equal(T[:, 1:M], np.maximum(T[:, 2 : 2 * M : 2], T[:, 3 : 2 * M : 2])))
        return ok
