"""Half-space reporting over the weights (Qin, Song, Yang, arXiv 2307.06565): a dynamic ball tree.

Chapter: ``book/sgd_halfspace.md``.

The SGD paper finds, for each input ``x`` of a minibatch, the neurons ``r`` with ``<w_r, x> > b`` by a half-space
reporting (HSR) structure built over the rows of ``W`` (its summary: "via geometric search"). The HSR structures
the bound ``O~(m^{1-Theta(1/d)})`` comes from (partition trees, Agarwal-Eppstein-Matousek) are not practical;
this module builds the practical stand-in, a ball tree over the weights, and makes it exact and dynamic:

* a node holds a center ``c`` and a radius ``rho`` covering its points. For a query ``(x, tau)`` every point
  ``w`` of the node has ``<c, x> - rho ||x|| <= <w, x> <= <c, x> + rho ||x||``: the node is pruned when the upper
  bound is ``<= tau``, reported whole when the lower bound is ``> tau``, and opened otherwise (leaves test their
  points one by one). Both shortcuts keep a relative slack of ``SLACK`` so that floating-point rounding can only
  send a point to the exact leaf test, never misclassify it.
* two dynamizations (``dynamic=``): ``"inplace"`` moves a point inside the one tree and grows the radii on its
  leaf-to-root path to cover it (``O(d log m)`` per point), rebuilding the whole tree once the radii have grown by
  the factor ``rebuild_factor`` (pruning degrades as radii grow); ``"logarithmic"`` is the Bentley-Saxe
  logarithmic method, the textbook source of an ``O(log^2 m)`` amortized update: static blocks of sizes
  ``leaf_size * 2^j``, an update deletes the old point (a tombstone) and inserts the new one by merging the
  small blocks like a binary counter; a global rebuild when the tombstones outnumber half the points.

Counters (:class:`HSRCounters`): ``nodes_visited``, ``points_tested`` (leaf tests), ``tests_failed`` (tested, not
reported), ``points_reported``, ``build_work`` (point-node memberships written by builds: ``s * depth`` for a
block of ``s`` points), ``update_nodes`` (path nodes checked by in-place updates), ``rebuilds``.

Longer than 400 lines because the two dynamizations (in place, logarithmic) share the build and query
kernels and are measured against each other in the chapter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
from numba import njit

from firesets._validate import check_finite_real, check_positive_int, readonly

__all__ = ["HalfSpaceTree", "HSRCounters", "halfspace_bruteforce", "SLACK"]

#: relative slack of the prune / report-whole tests (rounding can only send a point to the exact leaf test)
SLACK = 1e-9


@dataclass
class HSRCounters:
    """What a query or an update of :class:`HalfSpaceTree` costs, in node and point operations."""

    nodes_visited: int = 0
    points_tested: int = 0
    tests_failed: int = 0
    points_reported: int = 0
    build_work: int = 0
    update_nodes: int = 0
    rebuilds: int = 0

    def reset(self) -> None:
        """Set every counter to zero."""
        for f in fields(self):
            setattr(self, f.name, 0)

    def as_dict(self) -> dict:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


def halfspace_bruteforce(W, x, tau) -> np.ndarray:
    """The oracle: sorted indices ``r`` with ``<w_r, x> > tau`` by one scan of ``W`` (strict)."""
    W = np.asarray(W, dtype=np.float64)
    return np.flatnonzero(W @ np.asarray(x, dtype=np.float64) > tau).astype(np.int64)


# ---------------------------------------------------------------------------------------------- numba kernels
@lru_cache(maxsize=None)
def _node_count(s: int, leaf: int) -> int:
    if s <= leaf:
        return 1
    h = s // 2
    return 1 + _node_count(h, leaf) + _node_count(s - h, leaf)


@njit(cache=True)
def _select(keys, order, kth):
    """Permute ``keys`` and ``order`` together so that ``keys[:kth] <= keys[kth] <= keys[kth+1:]`` (quickselect)."""
    lo = 0
    hi = keys.shape[0] - 1
    while hi > lo:
        mid = (lo + hi) // 2  # median of three as the pivot
        if keys[mid] < keys[lo]:
            keys[mid], keys[lo] = keys[lo], keys[mid]
            order[mid], order[lo] = order[lo], order[mid]
        if keys[hi] < keys[lo]:
            keys[hi], keys[lo] = keys[lo], keys[hi]
            order[hi], order[lo] = order[lo], order[hi]
        if keys[hi] < keys[mid]:
            keys[hi], keys[mid] = keys[mid], keys[hi]
            order[hi], order[mid] = order[mid], order[hi]
        pivot = keys[mid]
        i = lo
        j = hi
        while i <= j:
            while keys[i] < pivot:
                i += 1
            while keys[j] > pivot:
                j -= 1
            if i <= j:
                keys[i], keys[j] = keys[j], keys[i]
                order[i], order[j] = order[j], order[i]
                i += 1
                j -= 1
        if kth <= j:
            hi = j
        elif kth >= i:
            lo = i
        else:
            return


@njit(cache=True)
def _build_kernel(P, leaf, n_nodes):
    """Ball tree over the rows of ``P``: median split on the coordinate of largest spread, exact radii."""
    s, d = P.shape
    perm = np.arange(s)
    Pw = P.copy()  # the points kept in tree order: a node's points are contiguous rows (sequential reads)
    lo = np.empty(n_nodes, np.int64)
    hi = np.empty(n_nodes, np.int64)
    left = np.full(n_nodes, -1, np.int64)
    right = np.full(n_nodes, -1, np.int64)
    parent = np.full(n_nodes, -1, np.int64)
    C = np.zeros((n_nodes, d))
    rho = np.zeros(n_nodes)
    leaf_of = np.empty(s, np.int64)
    stack = np.empty(256, np.int64)
    lo[0] = 0
    hi[0] = s
    stack[0] = 0
    top = 1
    nxt = 1
    work = 0
    mn = np.empty(d)
    mx = np.empty(d)
    while top > 0:
        top -= 1
        k = stack[top]
        a = lo[k]
        e = hi[k]
        cnt = e - a
        work += cnt
        for j in range(d):
            mn[j] = np.inf
            mx[j] = -np.inf
        for q in range(a, e):
            for j in range(d):
                v = Pw[q, j]
                C[k, j] += v
                if v < mn[j]:
                    mn[j] = v
                if v > mx[j]:
                    mx[j] = v
        for j in range(d):
            C[k, j] /= cnt
        r2 = 0.0
        for q in range(a, e):
            t = 0.0
            for j in range(d):
                diff = Pw[q, j] - C[k, j]
                t += diff * diff
            if t > r2:
                r2 = t
        rho[k] = math.sqrt(r2)
        if cnt <= leaf:
            for q in range(a, e):
                leaf_of[q] = k
            continue
        best = 0
        bs = -1.0
        for j in range(d):
            if mx[j] - mn[j] > bs:
                bs = mx[j] - mn[j]
                best = j
        seg = perm[a:e].copy()
        rows = Pw[a:e].copy()
        keys = rows[:, best].copy()
        order = np.arange(cnt)
        _select(keys, order, cnt // 2)  # O(cnt) median split (the build is O(m log m) point moves)
        for q in range(cnt):
            perm[a + q] = seg[order[q]]
            Pw[a + q] = rows[order[q]]
        mid = a + cnt // 2
        l_ = nxt
        r_ = nxt + 1
        nxt += 2
        left[k] = l_
        right[k] = r_
        parent[l_] = k
        parent[r_] = k
        lo[l_] = a
        hi[l_] = mid
        lo[r_] = mid
        hi[r_] = e
        stack[top] = r_
        stack[top + 1] = l_
        top += 2
    return perm, Pw, lo, hi, left, right, parent, C, rho, leaf_of, work


@njit(cache=True)
def _query_kernel(Q, tau, slack, C, rho, lo, hi, left, right, Pp, ids, alive, use_alive):
    """Every pair (query q, id) with <p, Q[q]> > tau; per query the ids come out sorted. Counters in cnt."""
    nq, d = Q.shape
    cap = 1024
    out_q = np.empty(cap, np.int64)
    out_r = np.empty(cap, np.int64)
    n_out = 0
    cnt = np.zeros(4, np.int64)  # nodes_visited, points_tested, tests_failed, points_reported
    stack = np.empty(256, np.int64)
    for q in range(nq):
        qn = 0.0
        for j in range(d):
            qn += Q[q, j] * Q[q, j]
        qn = math.sqrt(qn)
        start = n_out
        stack[0] = 0
        top = 1
        while top > 0:
            top -= 1
            k = stack[top]
            cnt[0] += 1
            cx = 0.0
            for j in range(d):
                cx += C[k, j] * Q[q, j]
            rq = rho[k] * qn
            eps = slack * (abs(cx) + rq + abs(tau)) + 1e-300
            if cx + rq + eps <= tau:
                continue
            a = lo[k]
            e = hi[k]
            whole = cx - rq - eps > tau
            if whole or left[k] < 0:
                need = n_out + (e - a)
                if need > cap:
                    while cap < need:
                        cap *= 2
                    nq_ = np.empty(cap, np.int64)
                    nr_ = np.empty(cap, np.int64)
                    nq_[:n_out] = out_q[:n_out]
                    nr_[:n_out] = out_r[:n_out]
                    out_q = nq_
                    out_r = nr_
                for t in range(a, e):
                    if use_alive and not alive[t]:
                        continue
                    if whole:
                        out_q[n_out] = q
                        out_r[n_out] = ids[t]
                        n_out += 1
                    else:
                        cnt[1] += 1
                        v = 0.0
                        for j in range(d):
                            v += Pp[t, j] * Q[q, j]
                        if v > tau:
                            out_q[n_out] = q
                            out_r[n_out] = ids[t]
                            n_out += 1
                        else:
                            cnt[2] += 1
                continue
            stack[top] = right[k]
            stack[top + 1] = left[k]
            top += 2
        out_r[start:n_out] = np.sort(out_r[start:n_out])
    cnt[3] = n_out
    return out_q[:n_out].copy(), out_r[:n_out].copy(), cnt


@njit(cache=True)
def _grow_kernel(pos_list, Z, Pp, leaf_of, parent, C, rho):
    """Move the points at positions ``pos_list`` to ``Z`` and grow the radii on their leaf-to-root paths."""
    d = Pp.shape[1]
    touched = 0
    growth = 0.0
    for k in range(pos_list.shape[0]):
        p = pos_list[k]
        for j in range(d):
            Pp[p, j] = Z[k, j]
        node = leaf_of[p]
        while node >= 0:
            touched += 1
            t = 0.0
            for j in range(d):
                diff = Z[k, j] - C[node, j]
                t += diff * diff
            r = math.sqrt(t)
            if r > rho[node]:
                growth += r - rho[node]
                rho[node] = r
            node = parent[node]
    return touched, growth


class _Block:
    """One static ball tree over the points ``P`` (rows) with external ids ``ids``; points stored in tree order."""

    __slots__ = ("ids", "Pp", "lo", "hi", "left", "right", "parent", "C", "rho", "leaf_of", "pos", "alive",
                 "dead", "work", "rho_sum0")

    def __init__(self, ids: np.ndarray, P: np.ndarray, leaf: int):
        s = P.shape[0]
        perm, self.Pp, self.lo, self.hi, self.left, self.right, self.parent, self.C, self.rho, self.leaf_of, work = (
            _build_kernel(P, leaf, _node_count(s, leaf)))
        self.work = int(work)
        self.ids = np.ascontiguousarray(ids[perm], dtype=np.int64)
        self.alive = np.ones(s, dtype=np.bool_)
        self.dead = 0
        self.rho_sum0 = float(self.rho.sum())

    @property
    def size(self) -> int:
        return self.ids.shape[0]

    def query(self, Q, tau, use_alive):
        return _query_kernel(Q, tau, SLACK, self.C, self.rho, self.lo, self.hi, self.left, self.right, self.Pp,
                             self.ids, self.alive, use_alive)


class HalfSpaceTree:
    """Exact half-space reporting over the rows of ``W``: ``{r : <w_r, x> > tau}`` (arXiv 2307.06565, Section 6).

    Parameters
    ----------
    W : array (m, d)
        The weights, one point per row.
    dynamic : {"inplace", "logarithmic"}
        How :meth:`update` keeps the structure exact (module docstring).
    leaf_size : int
        Points per leaf (a node with more is split at the median of its widest coordinate).
    rebuild_factor : float
        ``"inplace"`` only: rebuild once the sum of the radii exceeds this multiple of its value at build.

    Notes
    -----
    The paper's structure is a half-space reporting structure in the computational-geometry sense, whose query
    bound ``O~(m^{1-1/floor(d/2)} + k)`` (Agarwal-Eppstein-Matousek, through the summary's ``m^{1-Theta(1/d)}``)
    this ball tree does not guarantee; the chapter measures what it achieves. Firing is strict (``> tau``).
    """

    def __init__(self, W, *, dynamic: str = "inplace", leaf_size: int = 16, rebuild_factor: float = 1.5):
        if dynamic not in ("inplace", "logarithmic"):
            raise ValueError(f"dynamic: expected 'inplace' or 'logarithmic', got {dynamic!r}")
        self.leaf_size = check_positive_int(leaf_size, "leaf_size")
        self.rebuild_factor = check_finite_real(rebuild_factor, "rebuild_factor", low=1.0, low_open=True)
        W = self._check_W(W)
        self.dynamic = dynamic
        self.m, self.d = W.shape
        self._W = W.copy()
        self.counters = HSRCounters()
        self._build_all()

    # ------------------------------------------------------------------ validation
    @staticmethod
    def _check_W(W) -> np.ndarray:
        arr = np.asarray(W)
        if arr.ndim != 2:
            raise ValueError(f"W: expected a 2-D array, got shape {arr.shape}")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise TypeError(f"W: expected a real numeric array, got dtype {arr.dtype}")
        if arr.shape[0] < 1 or arr.shape[1] < 1:
            raise ValueError(f"W: expected a non-empty array, got shape {arr.shape}")
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError("W: expected finite entries (no NaN or inf)")
        return arr

    def _check_Q(self, X, name: str) -> np.ndarray:
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.shape[1] != self.d or arr.shape[0] < 1:
            raise ValueError(f"{name}: expected shape (B, {self.d}) with B >= 1, got {arr.shape}")
        if not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
            raise TypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: expected finite entries (no NaN or inf)")
        return arr

    # ------------------------------------------------------------------ build
    def _build_all(self) -> None:
        blk = _Block(np.arange(self.m, dtype=np.int64), self._W, self.leaf_size)
        self.counters.build_work += blk.work
        level = 0
        if self.dynamic == "logarithmic":  # the level whose capacity leaf_size * 2^level holds m points
            level = max(0, math.ceil(math.log2(self.m / self.leaf_size))) if self.m > self.leaf_size else 0
        self._blocks = [None] * level + [blk]
        self._where = np.full(self.m, level, dtype=np.int64)  # block of each live point
        self._pos = np.empty(self.m, dtype=np.int64)  # its position inside that block
        self._pos[blk.ids] = np.arange(self.m)
        self._dead = 0

    @property
    def W(self) -> np.ndarray:
        """Read-only view ``(m, d)`` of the current weights."""
        return readonly(self._W)

    @property
    def n_blocks(self) -> int:
        """Number of static trees held (1 for ``"inplace"``; at most ``log2(m / leaf_size) + 2`` otherwise)."""
        return sum(b is not None for b in self._blocks)

    # ------------------------------------------------------------------ query
    def query(self, x, tau) -> np.ndarray:
        """Sorted int64 array of the ``r`` with ``<w_r, x> > tau`` (strict)."""
        x = np.asarray(x)
        if x.ndim != 1:
            raise ValueError(f"x: expected a 1-D array of length {self.d}, got shape {x.shape}")
        return self.query_batch(x[None, :], tau, _name="x")[1]

    def query_batch(self, X, tau, *, _name: str = "X"):
        """Every pair ``(i, r)`` with ``<w_r, x_i> > tau`` as int64 arrays sorted by ``(i, r)``."""
        Q = self._check_Q(X, _name)
        tau = check_finite_real(tau, "tau")
        blocks = [b for b in self._blocks if b is not None]
        use_alive = self.dynamic == "logarithmic"
        if len(blocks) == 1:
            qi, rr, cnt = blocks[0].query(Q, tau, use_alive)
            self._add_query_counts(cnt)
            return qi, rr
        parts_i, parts_r = [], []
        for b in blocks:
            qi, rr, cnt = b.query(Q, tau, use_alive)
            self._add_query_counts(cnt)
            parts_i.append(qi)
            parts_r.append(rr)
        qi = np.concatenate(parts_i)
        rr = np.concatenate(parts_r)
        order = np.lexsort((rr, qi))
        return qi[order], rr[order]

    def _add_query_counts(self, cnt) -> None:
        c = self.counters
        c.nodes_visited += int(cnt[0])
        c.points_tested += int(cnt[1])
        c.tests_failed += int(cnt[2])
        c.points_reported += int(cnt[3])

    # ------------------------------------------------------------------ update
    def update(self, R, W_R) -> None:
        """Rows ``R`` (unique indices) get the weights ``W_R`` (one row each); the structure stays exact."""
        arr = np.asarray(R)
        if arr.ndim != 1:
            raise ValueError(f"R: expected a 1-D array of indices, got shape {arr.shape}")
        if arr.size and (arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"R: expected integer indices, got dtype {arr.dtype}")
        R = arr.astype(np.int64)
        Z = np.asarray(W_R)
        if Z.ndim != 2 or Z.shape != (R.size, self.d):
            raise ValueError(f"W_R: expected shape ({R.size}, {self.d}), got {Z.shape}")
        if R.size == 0:
            return
        if R.min() < 0 or R.max() >= self.m:
            raise ValueError(f"R: expected indices in [0, {self.m}), got {int(R[(R < 0) | (R >= self.m)][0])}")
        if np.unique(R).size != R.size:
            raise ValueError("R: expected unique indices (each row updated once)")
        if not np.issubdtype(Z.dtype, np.number) or np.iscomplexobj(Z):
            raise TypeError(f"W_R: expected a real numeric array, got dtype {Z.dtype}")
        Z = np.ascontiguousarray(Z, dtype=np.float64)
        if not np.all(np.isfinite(Z)):
            raise ValueError("W_R: expected finite entries (no NaN or inf)")
        self._W[R] = Z
        if self.dynamic == "inplace":
            self._update_inplace(R, Z)
        else:
            self._update_logarithmic(R, Z)

    def _update_inplace(self, R, Z) -> None:
        blk = self._blocks[0]
        touched, _ = _grow_kernel(self._pos[R], Z, blk.Pp, blk.leaf_of, blk.parent, blk.C, blk.rho)
        self.counters.update_nodes += int(touched)
        if blk.rho.sum() > self.rebuild_factor * blk.rho_sum0:
            self.counters.rebuilds += 1
            self._build_all()

    def _update_logarithmic(self, R, Z) -> None:
        # delete: tombstones in the blocks that hold the old points
        for j in np.unique(self._where[R]):
            sel = R[self._where[R] == j]
            blk = self._blocks[j]
            blk.alive[self._pos[sel]] = False
            blk.dead += sel.size
        self._dead += R.size
        if self._dead > self.m // 2:  # global rebuild: every tombstone dropped
            self.counters.rebuilds += 1
            self._build_all()
            # _build_all used the new weights already (self._W holds them)
            return
        # insert: the binary counter -- merge the new points with the small blocks until a level has room
        ids, pts = [R], [Z]
        total = R.size
        L = self.leaf_size
        j = 0
        while True:
            if j >= len(self._blocks):
                self._blocks.append(None)
            blk = self._blocks[j]
            if blk is not None:
                keep = blk.alive
                ids.append(blk.ids[keep])
                pts.append(blk.Pp[keep])
                total += int(keep.sum())
                self._dead -= blk.dead
                self._blocks[j] = None
            if total <= L << j:  # level j has room for every point collected so far
                break
            j += 1
        all_ids = np.concatenate(ids)
        new = _Block(all_ids, np.concatenate(pts), L)
        self.counters.build_work += new.work
        self._blocks[j] = new
        self._where[new.ids] = j
        self._pos[new.ids] = np.arange(new.size)
