"""Many array max-trees kept as one array (Algorithm 7 of the Bypass paper), with batched build, update and report-above.

Chapter: ``book/correlation_trees.ipynb``.
"""
from __future__ import annotations

import numpy as np

from firesets._validate import check_finite_real, check_positive_int

__all__ = ["MaxTreeArray", "padded_size", "path_union_size", "tree_bytes", "available_memory_bytes"]


def padded_size(k: int) -> int:
    """Return the smallest power of two ``M >= k`` (the number of leaf slots of a tree with ``k`` leaves)."""
    k = check_positive_int(k, "k")
    return 1 << (k - 1).bit_length()


def path_union_size(cols: np.ndarray, depth: int) -> int:
    """Number of distinct nodes on the leaf-to-root paths of the sorted, unique leaves ``cols`` in a tree of ``depth``.

    Two consecutive sorted leaves ``c < c'`` share exactly their ancestors above the highest bit where they differ, so
    leaf ``c'`` adds ``bit_length(c ^ c')`` new nodes: the union has ``depth + 1 + sum_j bit_length(c_j ^ c_{j-1})``
    nodes (``0`` for no leaf). One O(k) pass, independent of how the repair is carried out.
    """
    k = len(cols)
    if k == 0:
        return 0
    c = np.asarray(cols, dtype=np.int64)
    x = c[1:] ^ c[:-1]
    # bit_length(x) = frexp exponent of float(x) (exact: x < 2^53)
    return int(depth) + 1 + int(np.frexp(x.astype(np.float64))[1].sum(dtype=np.int64))


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
        ``"row"``: the buffer is ``(n_rows, 2M)``, each tree contiguous (the WTree: rebuilding one short tree
        writes one contiguous run). ``"col"``: the buffer is ``(2M, n_rows)``, the values of a node in all trees
        contiguous (the DTree: a path repair or a search step moves a node, or a sibling pair, of every tree with
        one gather; see :meth:`set_nodes_major` and :meth:`report_above_nodes`). ``self.T`` is always the
        ``(n_rows, 2M)`` view.
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
    #: the same switch for :meth:`report_above_nodes` (measured best at m = 2^20, n = 1 and 4)
    NODE_DENSE_RATIO = 2

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

        ``cols`` must be sorted, unique, in range (the caller validates). Returns the number of nodes on the union
        of the updated leaf-to-root paths, per row (what Theorem 3.1 counts, :func:`path_union_size`); the repair
        may write more (whole-level recomputation) without counting it.

        In the ``"col"`` layout (and for a single row) the work is done by :meth:`set_nodes_major`; the ``"row"``
        layout walks the sorted, deduplicated parents level by level, switching to whole-level recomputation once
        more than a quarter of a level is touched.
        """
        k = len(cols)
        if k == 0:
            return 0
        if self.layout == "col" or self.n_rows == 1:
            return self.set_nodes_major(cols, np.asarray(values).T)
        T, M = self.T, self.M
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
            nodes = parents
        return path_union_size(cols, self.depth)

    #: ``set_nodes_major`` recomputes a whole level once more than 1/DENSE_UPDATE_RATIO of it is touched
    DENSE_UPDATE_RATIO = 4

    def _records(self, nodes_per_record: int) -> np.ndarray:
        """The buffer as 1-D records of ``nodes_per_record`` consecutive nodes (all ``n_rows`` values of each).

        ``"col"`` layout (or one row) only. Fancy indexing on these opaque records moves whole nodes (or sibling
        pairs) with one 1-D gather or scatter, instead of a 2-D loop whose inner dimension is ``n_rows``.
        """
        n = self.n_rows
        if n == 1 and nodes_per_record == 1:
            return self._flat
        return self._flat.view(np.dtype((np.void, 8 * n * nodes_per_record)))

    def _pair_max(self, pairs_flat: np.ndarray, out_rec: np.ndarray, work: np.ndarray) -> None:
        """``out_rec[j] = max(child 2j, child 2j + 1)`` for sibling pairs stored contiguously in ``pairs_flat``.

        One contiguous ``np.maximum`` of the flat block with itself shifted by ``n_rows`` (every second group of
        ``n_rows`` results is a parent), then one strided record copy: no loop with an inner dimension ``n_rows``.
        """
        n = self.n_rows
        if n == 1:
            np.maximum(pairs_flat[0::2], pairs_flat[1::2], out=out_rec)
            return
        L = pairs_flat.size
        z = work[: L - n]
        np.maximum(pairs_flat[:-n], pairs_flat[n:], out=z)
        rec = work[:L].view(np.dtype((np.void, 8 * n)))
        out_rec[...] = rec[0::2]

    #: rows of sibling pairs per block of a whole-level recomputation (bounds the scratch, keeps it in cache)
    LEVEL_BLOCK = 1 << 14

    def _rebuild_levels_from(self, h: int) -> None:
        """Recompute the internal nodes ``1 .. 2h - 1`` (level of ``h`` and above), whole levels, blockwise."""
        n = self.n_rows
        if n == 1:
            T = self._flat
            while h >= 1:
                np.maximum(T[2 * h : 4 * h : 2], T[2 * h + 1 : 4 * h : 2], out=T[h : 2 * h])
                h //= 2
            return
        rec = self._records(1)
        B = self.LEVEL_BLOCK
        work = np.empty(2 * n * min(h, B))
        while h >= 1:
            for lo in range(h, 2 * h, B):  # blocks of parents [lo, hi)
                hi = min(2 * h, lo + B)
                self._pair_max(self._flat[2 * lo * n : 2 * hi * n], rec[lo:hi], work)
            h //= 2

    def set_nodes_major(self, cols: np.ndarray, values: np.ndarray) -> int:
        """:meth:`set_columns` with leaf-major values: ``values[j]`` holds the ``n_rows`` new values of leaf ``cols[j]``.

        Only for the ``"col"`` layout (or one row), where the ``n_rows`` values of a node are contiguous and the two
        children of node ``p`` are the contiguous record ``p`` of sibling pairs. Per level: the sorted parents of the
        touched nodes (deduplicated by ``p[1:] != p[:-1]``), one gather of their children pairs (one record each), one
        contiguous ``np.maximum``, one scatter of the parent records. Once more than ``1/DENSE_UPDATE_RATIO`` of a
        level is touched, it and every level above are recomputed whole (blockwise, same arithmetic). Returns
        :func:`path_union_size` (the logical count of Theorem 3.1), whatever was written.

        Notes
        -----
        No early stop: a repaired parent whose value did not change still has its ancestors repaired. In GD
        every repaired parent changes (the updated leaves are the firing ones, the largest of their subtrees), so
        testing for it would only cost time (measured for Chapter 4 at m = 2^20, n = 1, 4, 16).
        """
        if self.layout != "col" and self.n_rows != 1:
            raise ValueError("set_nodes_major: needs the 'col' layout or a single row")
        k = len(cols)
        if k == 0:
            return 0
        n, M = self.n_rows, self.M
        nodes = M + np.asarray(cols, dtype=np.int64)
        values = np.ascontiguousarray(values, dtype=np.float64)
        node_rec = self._records(1)
        node_rec[nodes] = values.reshape(-1) if n == 1 else values.view(node_rec.dtype).reshape(-1)
        if M > 1:
            pairs = self._flat.reshape(M, 2 * n)
            work = None
            h = M
            while h > 1:
                parents = nodes >> 1
                if parents.size > 1:
                    keep = np.empty(parents.size, dtype=bool)
                    keep[0] = True
                    np.not_equal(parents[1:], parents[:-1], out=keep[1:])
                    parents = parents[keep]
                h //= 2
                if self.DENSE_UPDATE_RATIO * parents.size > h:
                    self._rebuild_levels_from(h)  # this level and every level above, whole
                    break
                kk = parents.size
                G = np.take(pairs, parents, axis=0)  # (kk, 2n): both children of each parent
                Gf = G.reshape(-1)
                if work is None:
                    work = np.empty(2 * n * kk)
                    out = np.empty(kk) if n == 1 else np.empty(kk, dtype=node_rec.dtype)
                o = out[:kk]
                self._pair_max(Gf, o, work)
                node_rec[parents] = o
                nodes = parents
        return path_union_size(cols, self.depth)

    #: trees per block of :meth:`set_rows` (the block's scratch, ``2M x ROWS_BLOCK`` floats, stays in cache)
    ROWS_BLOCK = 1 << 8

    def set_rows(self, rows: np.ndarray, values: np.ndarray) -> int:
        """Replace all leaves of the rows ``rows`` (sorted, unique) by ``values`` (``(len(rows), n_leaves)``); rebuild.

        Block by block of ``ROWS_BLOCK`` trees: the trees are built in a small scratch array with every level
        contiguous across the block's trees (one ``np.maximum`` per level on contiguous halves), then copied into
        their slots (one contiguous run of ``2M`` values per tree in the ``"row"`` layout). Returns the nodes
        written per rebuilt row (``n_leaves + M - 1``).
        """
        k, M, nl = len(rows), self.M, self.n_leaves
        if k == 0:
            return 0
        rows = np.asarray(rows, dtype=np.int64)
        values = np.asarray(values)
        B = min(k, self.ROWS_BLOCK)
        tmp = np.full((2 * M, B), -np.inf)  # node-major scratch: level h is the contiguous block tmp[h:2h]
        for s0 in range(0, k, B):
            s1 = min(k, s0 + B)
            t = tmp[:, : s1 - s0]
            t[M : M + nl] = values[s0:s1].T
            h = M // 2
            while h >= 1:
                np.maximum(t[2 * h : 4 * h : 2], t[2 * h + 1 : 4 * h : 2], out=t[h : 2 * h])
                h //= 2
            if self.layout == "row":
                self._A[rows[s0:s1]] = t.T
            else:
                self._A[:, rows[s0:s1]] = t
        return nl + M - 1

    # ------------------------------------------------------------------ query
    def _level_hits(self, lo: int, hi: int, rows_sel, row0: int, tau: float, row_ids=None) -> np.ndarray:
        """Buffer offsets, in buffer order, of the nodes ``lo <= v < hi`` of the selected rows with value > tau.

        ``rows_sel`` is a slice starting at ``row0``, or (with ``row_ids``) a sorted array of rows.
        """
        s_r, s_n = self._strides
        if row_ids is None and self.layout == "col" and rows_sel == slice(None):
            # every row: the level is one contiguous block whose flat positions are the buffer offsets minus lo * s_n
            return np.flatnonzero(self._A[lo:hi] > tau) + lo * s_n
        if self.layout == "row":
            r_idx, c_idx = np.nonzero(self._A[rows_sel, lo:hi] > tau)
        else:
            c_idx, r_idx = np.nonzero(self._A[lo:hi, rows_sel] > tau)
        r = row_ids[r_idx] if row_ids is not None else r_idx.astype(np.int64) + row0
        return r * s_r + (c_idx.astype(np.int64) + lo) * s_n

    def _check_rows(self, rows) -> np.ndarray:
        arr = np.asarray(rows)
        if arr.ndim != 1 or arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"row: expected an integer or a 1-D integer array of rows, got {rows!r}")
        arr = arr.astype(np.int64)
        if arr.size and (arr[0] < 0 or arr[-1] >= self.n_rows or not bool(np.all(arr[1:] > arr[:-1]))):
            raise ValueError(f"row: expected sorted, unique rows in [0, {self.n_rows})")
        return arr

    def report_above(self, tau: float, row=None):
        """All ``(row, leaf)`` with leaf value ``> tau`` (strict), and the number of nodes visited.

        Level-by-level frontier expansion on buffer offsets: a node's two children are fetched (one gather)
        only when its value exceeds ``tau``, which is the search of FIND (Algorithm 2) with the strict test of
        Theorem 3.1. A frontier that is dense in its level is expanded instead by one contiguous comparison of
        the whole level, which yields the same set (a node exceeds ``tau`` only if its parent does).
        ``row=None`` searches every row, an int searches that row only, a sorted array of unique rows searches
        those rows (FIND on each of them).

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
        row_ids = None
        if row is None:
            rows_sel, nrows, row0 = slice(None), self.n_rows, 0
        elif isinstance(row, (int, np.integer, bool, np.bool_)) or np.ndim(row) == 0:
            row0 = self._check_row(row)
            rows_sel, nrows = slice(row0, row0 + 1), 1
        else:
            row_ids = rows_sel = self._check_rows(row)
            nrows, row0 = row_ids.size, 0
            if nrows == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0
        F = self._level_hits(1, 2, rows_sel, row0, tau, row_ids)
        visited = nrows
        level_size = 1
        for _ in range(self.depth):
            if F.size == 0:
                break
            visited += 2 * F.size
            level_size *= 2
            if self.DENSE_RATIO * 2 * F.size >= nrows * level_size:
                F = self._level_hits(level_size, 2 * level_size, rows_sel, row0, tau, row_ids)
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

    def report_above_nodes(self, tau: float):
        """:meth:`report_above` of every row in the ``"col"`` layout (or one row), walking nodes, not (row, node) pairs.

        A node enters the frontier when it exceeds ``tau`` in some row; its two children in all rows are then read
        with one gather (the contiguous row of the ``(M, 2 n_rows)`` view). The reported set and the count are those
        of FIND run on every row separately: a ``(row, node)`` pair above ``tau`` has its parent above ``tau`` in the
        same row, so it is always reached, and ``visited`` counts, as FIND does, the ``n_rows`` roots plus two per
        ``(row, internal node)`` above ``tau`` (the extra reads of a node below ``tau`` in a row are not counted).
        A frontier denser than ``1/NODE_DENSE_RATIO`` of its next level is expanded by one contiguous comparison.

        Returns
        -------
        rows, leaves : int64 arrays
            Sorted by ``(leaf, row)``.
        values : float64 array
            The leaf values of those pairs.
        visited : int
        """
        if self.layout != "col" and self.n_rows != 1:
            raise ValueError("report_above_nodes: needs the 'col' layout or a single row")
        tau = check_finite_real(tau, "tau")
        n, M = self.n_rows, self.M
        A = self._flat.reshape(2 * M, n)
        pairs = self._flat.reshape(M, 2 * n) if M > 1 else None
        shift = n.bit_length() - 1 if n & (n - 1) == 0 else -1  # log2(n) when n is a power of two

        def split(nz):  # flat positions in a (k, n) block -> node slot
            if n == 1:
                return nz
            return nz >> shift if shift >= 0 else nz // n

        def distinct(q):  # sorted slots -> distinct slots
            if n == 1 or q.size <= 1:
                return q
            keep = np.empty(q.size, dtype=bool)
            keep[0] = True
            np.not_equal(q[1:], q[:-1], out=keep[1:])
            return q[keep]

        root = A[1:2]
        nz = np.flatnonzero(root > tau)
        cnt = nz.size  # (row, node) pairs above tau on the frontier's level
        F = np.ones(1 if cnt else 0, dtype=np.int64)  # nodes above tau in some row, sorted
        slot = split(nz)
        block, nodes, lo = root, None, 1  # the last level read (rows: nodes lo + j, or nodes[j])
        visited = n
        for level in range(1, self.depth + 1):
            if F.size == 0:
                break
            visited += 2 * cnt
            lo = 1 << level
            if self.NODE_DENSE_RATIO * 2 * F.size >= lo:
                block = A[lo : 2 * lo]
                nodes = None  # row j of block is node lo + j
            else:
                # children 2F, 2F + 1 of every frontier node, in order: one record (sibling pair) each
                block = np.take(pairs, F, axis=0).reshape(2 * F.size, n)
                nodes = np.empty(2 * F.size, dtype=np.int64)
                np.multiply(F, 2, out=nodes[0::2])
                np.add(nodes[0::2], 1, out=nodes[1::2])
            nz = np.flatnonzero(block > tau)
            cnt = nz.size
            slot = split(nz)
            F = distinct(slot)
            F = F + lo if nodes is None else nodes[F]
        if F.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), visited
        # F is now the leaf level (or the root when M == 1): report every (leaf, row) above tau
        leaf_nodes = slot + lo if nodes is None else nodes[slot]
        rows = np.zeros(nz.size, dtype=np.int64) if n == 1 else nz - slot * n
        return rows, leaf_nodes - M, block.reshape(-1)[nz], visited

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
