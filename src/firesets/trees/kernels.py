"""Compiled kernels of the correlation trees (numba), written as the Bypass paper writes the algorithms.

Two storages, one per tree family:

* **forest of row heaps** (the WTree, and :class:`~firesets.trees.maxtree.MaxTreeArray`): ``T`` is ``(rows, 2N)``;
  row ``t`` is one max-tree in heap order (node 1 the root, node ``v`` has children ``2v, 2v + 1``, leaf ``j`` is
  node ``N + j``; padding leaves and slot 0 hold ``-inf``).
* **node-major heap over leaf blocks** (the DTree): the leaves are ``P`` ``(m, n)`` (``P[r, i] = <w_r, x_i>``: the
  ``n`` trees' values of a leaf are contiguous), and ``H`` ``(2 nb, n)`` is one heap over ``nb`` blocks of ``L``
  consecutive leaves per tree: node ``nb + b`` holds the maximum of block ``b``, node ``v < nb`` the maximum of its
  two children. The logical tree of Theorem 3.1 (``M = nb L`` leaves, binary) is this heap with the last
  ``log2 L`` levels replaced by a scan of the block; the kernels count what the logical tree would count.

Every kernel loops over arrays only: FIND (Algorithms 2/12 and 15) is a loop over a stack of nodes, the path
repair of the DTree's UPDATE (Algorithms 1/11) a loop up the tree, the rebuild of a neuron's tree (WTree UPDATE,
Algorithm 14) and INIT's build (MAKEMAXTREE, Algorithm 7, in Algorithms 10 and 13) a bottom-up loop. Thresholds
are strict everywhere: a node is entered iff its value is ``> tau`` (Algorithms 2, 12, 15 test ``>=``; see the
chapter's errata).

Speed (same results, same counts): the FIND kernels write into preallocated output arrays (:func:`report`); the
DTree's kernels prefetch the memory they will read a few steps ahead (``llvm.prefetch``, :func:`_prefetch`),
since at large ``m`` they wait on cache misses, not on arithmetic.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = [
    "add_rows",
    "forest_build",
    "forest_find",
    "forest_set_rows",
    "dtree_build",
    "dtree_find",
    "dtree_store",
    "pairs_by_data",
    "path_union",
    "report",
]


def report(kernel, hint, *args):
    """Run a FIND kernel writing into output arrays with room for ``hint`` pairs; again with exact room if short.

    Returns ``(a, b, values, visited)``. The arrays are allocated outside the compiled loop: growing them inside
    it (reassigning arrays in the loop) made the loop several times slower.
    """
    cap = max(int(hint), 16)
    out = (np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64), np.empty(cap))
    k, visited = kernel(*args, *out)
    if k > cap:
        out = (np.empty(k, dtype=np.int64), np.empty(k, dtype=np.int64), np.empty(k))
        k, visited = kernel(*args, *out)
    return out[0][:k], out[1][:k], out[2][:k], visited


#: blocks (FIND) and leaves (UPDATE) the DTree's kernels prefetch ahead of the one they work on
PREFETCH_AHEAD = 8
#: blocks per chunk of the DTree's build (a chunk's subtree stays in cache while it is built)
BUILD_CHUNK = 4096


@intrinsic
def _prefetch(typingctx, arr, idx):
    """``llvm.prefetch`` (read, keep in all cache levels) of ``arr.reshape(-1)[idx]``: a hint, no effect on results."""
    sig = types.void(arr, types.intp)

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [ptr.type, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, fastmath=True)  # the d-loops vectorized
def add_rows(W, R, D, X, V):
    """``w_{R[k]} += D[k]`` in place and ``V[k, i] = <w_{R[k]}, x_i>``: one visit per changed row (UPDATE's new
    rows and their ``n`` inner products together, for :meth:`~firesets.trees.base._CorrelationTree.add_many`)."""
    n, d = X.shape
    wflat = W.reshape(-1)
    for k in range(R.size):
        if k + PREFETCH_AHEAD < R.size:  # the row a few steps ahead: its cache lines, requested now
            ahead = R[k + PREFETCH_AHEAD] * d
            for q in range(0, d, 8):
                _prefetch(wflat, ahead + q)
        r = R[k]
        for q in range(d):
            W[r, q] += D[k, q]
        for i in range(n):
            s = 0.0
            for q in range(d):
                s += W[r, q] * X[i, q]
            V[k, i] = s


@njit(cache=True)
def path_union(cols, depth):
    """Distinct nodes on the leaf-to-root paths of the sorted, unique leaves ``cols`` in a tree of ``depth`` levels.

    Consecutive leaves ``c < c'`` share their ancestors above the highest differing bit, so ``c'`` adds
    ``bit_length(c ^ c')`` new nodes: ``depth + 1 + sum_j bit_length(c_j ^ c_{j-1})`` (0 for no leaf).
    """
    if cols.size == 0:
        return 0
    total = depth + 1
    for j in range(1, cols.size):
        x = cols[j] ^ cols[j - 1]
        while x:
            total += 1
            x >>= 1
    return total


# ---------------------------------------------------------------- forest of row heaps (WTree)
@njit(cache=True)
def forest_build(T, rows, N):
    """MAKEMAXTREE (Algorithm 7) on the trees ``rows`` whose leaves are set: every internal node, bottom-up."""
    for t in rows:
        for v in range(N - 1, 0, -1):
            T[t, v] = max(T[t, 2 * v], T[t, 2 * v + 1])


@njit(cache=True)
def forest_set_rows(T, rows, N, V):
    """UPDATE of the WTree (Algorithm 14, once): tree ``rows[j]`` gets leaves ``V[j]`` and is rebuilt bottom-up."""
    n = V.shape[1]
    for j in range(rows.size):
        t = rows[j]
        for i in range(n):
            T[t, N + i] = V[j, i]
        for v in range(N - 1, 0, -1):
            T[t, v] = max(T[t, 2 * v], T[t, 2 * v + 1])


@njit(cache=True)
def forest_find(T, rows, N, tau, out_t, out_j, out_p):
    """FIND (Algorithm 2 / 15, strict) on each tree of ``rows`` in turn: a loop over a stack of nodes.

    Writes the leaves ``> tau`` as ``(tree, leaf, value)`` into the ``out_*`` arrays, sorted by ``(position in
    rows, leaf)``, as far as they have room. Returns ``(k, visited)``: the number of such leaves (``k`` larger
    than the arrays means: call again with room for ``k``) and the nodes read (each tree's root, plus both
    children of every internal node ``> tau``).
    """
    cap = out_t.size
    k = 0
    visited = rows.size
    depth = 0
    while (1 << depth) < N:
        depth += 1
    stack = np.empty(depth + 2, dtype=np.int64)
    for t in rows:
        if not T[t, 1] > tau:
            continue
        top = 0
        stack[0] = 1
        while top >= 0:
            v = stack[top]  # value > tau
            top -= 1
            if v >= N:  # a leaf: report it
                if k < cap:
                    out_t[k] = t
                    out_j[k] = v - N
                    out_p[k] = T[t, v]
                k += 1
                continue
            visited += 2  # both children read
            if T[t, 2 * v + 1] > tau:
                top += 1
                stack[top] = 2 * v + 1
            if T[t, 2 * v] > tau:  # left on top: leaves come out left to right
                top += 1
                stack[top] = 2 * v
    return k, visited


# ---------------------------------------------------------------- node-major heap over leaf blocks (DTree)
@njit(cache=True)
def _block_max(P, H, nb, L, b):
    """``H[nb + b] <- max of the leaves of block b`` in every tree (``-inf`` for a block past the last leaf)."""
    m, n = P.shape
    v = nb + b
    for i in range(n):
        H[v, i] = -np.inf
    for r in range(b * L, min(b * L + L, m)):
        for i in range(n):
            if P[r, i] > H[v, i]:
                H[v, i] = P[r, i]


@njit(cache=True)
def dtree_build(P, H, L):
    """INIT's build (Algorithm 6 with MAKEMAXTREE, Algorithm 7) of all ``n`` trees, bottom-up; True iff P is finite.

    In chunks of ``BUILD_CHUNK`` blocks: a chunk's block maxima and the heap nodes above them inside the chunk
    (a subtree) are computed while they are in cache, then the levels above the chunk roots.
    """
    nb = H.shape[0] // 2
    m, n = P.shape
    for i in range(n):
        H[0, i] = -np.inf
    finite = True
    C = min(nb, BUILD_CHUNK)
    for c0 in range(0, nb, C):
        for b in range(c0, c0 + C):
            v = nb + b
            for i in range(n):
                H[v, i] = -np.inf
            for r in range(b * L, min(b * L + L, m)):
                for i in range(n):
                    x = P[r, i]
                    finite &= np.isfinite(x)
                    H[v, i] = max(H[v, i], x)
        lo, hi = nb + c0, nb + c0 + C
        while hi - lo > 1:
            lo //= 2
            hi //= 2
            for v in range(lo, hi):
                for i in range(n):
                    H[v, i] = max(H[2 * v, i], H[2 * v + 1, i])
    for v in range(nb // C - 1, 0, -1):
        for i in range(n):
            H[v, i] = max(H[2 * v, i], H[2 * v + 1, i])
    return finite


@njit(cache=True)
def dtree_store(P, H, L, R, V):
    """UPDATE of the leaves ``R`` (sorted, unique) in all ``n`` trees: ``P[R[j]] <- V[j]`` and the path repair.

    One pass over ``R`` in order; each repaired node is written once, by the last leaf of its subtree. Leaf ``R[j]``
    climbs from its block only through the ancestors it does not share with the next leaf's block (heights below
    ``bit_length(b ^ b')``); the last one climbs to the root. A node is set to the max of its two children (the
    paper's ``p <- max(p, l)`` is wrong when a leaf decreases), with no early stop. The leaf and the lowest
    nodes of the path ``PREFETCH_AHEAD`` leaves ahead are prefetched (the repair is bound by cache misses).
    """
    nb = H.shape[0] // 2
    n = H.shape[1]
    pflat = P.reshape(-1)
    hflat = H.reshape(-1)
    height = 0
    while (1 << height) < nb:
        height += 1
    k = R.size
    for j in range(k):
        if j + PREFETCH_AHEAD < k:  # the leaf and the lowest sibling pairs of the path a few leaves ahead
            ahead = R[j + PREFETCH_AHEAD]
            _prefetch(pflat, ahead * n)
            v = nb + ahead // L
            for _ in range(4):
                if v < 2:
                    break
                _prefetch(hflat, (v & ~1) * n)
                v >>= 1
        r = R[j]
        for i in range(n):
            P[r, i] = V[j, i]
        b = r // L
        if j + 1 < k and R[j + 1] // L == b:
            continue  # the block's last updated leaf repairs it
        _block_max(P, H, nb, L, b)
        top = height + 1
        if j + 1 < k:
            x = b ^ (R[j + 1] // L)
            top = 0
            while x:
                top += 1
                x >>= 1
        v = nb + b
        for _ in range(1, top):
            v >>= 1
            for i in range(n):
                H[v, i] = max(H[2 * v, i], H[2 * v + 1, i])


@njit(cache=True)
def dtree_find(P, H, L, rows, tau, out_i, out_r, out_p):
    """FIND (Algorithm 2, strict) on the trees ``rows`` (sorted) together: one loop over a stack of heap nodes.

    A node is expanded when it exceeds ``tau`` in one of the searched trees; a block node above ``tau`` is resolved
    by scanning its ``L`` leaves. The pairs ``(i, r, value)`` go to the ``out_*`` arrays sorted by ``(r, i)``, as
    far as they have room; returns ``(k, visited)``, ``k`` the number of pairs (call again with room for ``k``).
    ``visited`` is what FIND run on each searched tree separately reads in the logical binary tree (``M = nb L``
    leaves): its root, plus both children of every internal node ``> tau`` -- inside a block, counted from the
    bit mask of the leaves above ``tau`` (an in-block node is above ``tau`` iff one of its leaves is).
    """
    nb = H.shape[0] // 2
    m = P.shape[0]
    logL = 0
    while (1 << logL) < L:
        logL += 1
    height = 0
    while (1 << height) < nb:
        height += 1
    cap = out_i.size
    k = 0
    visited = rows.size
    masks = np.zeros(rows.size, dtype=np.int64)
    groups = np.zeros(logL + 1, dtype=np.int64)  # groups[h]: the bits at multiples of 2^h among the L leaf bits
    for h in range(logL + 1):
        for j in range(0, L, 1 << h):
            groups[h] |= 1 << j
    n = H.shape[1]
    hflat = H.reshape(-1)
    blocks = np.empty(nb, dtype=np.int64)  # the blocks above tau, left to right
    nblocks = 0
    stack = np.empty(height + 2, dtype=np.int64)
    stack[0] = 1
    top = 0
    while top >= 0:  # the heap: DFS over a stack of nodes (Algorithm 2)
        v = stack[top]
        top -= 1
        above = 0
        for i in rows:
            if H[v, i] > tau:
                above += 1
        if above == 0:
            continue
        if v < nb:  # internal heap node: both children read in each tree where it is above tau
            visited += 2 * above
            if 4 * v + 3 < 2 * nb:  # the grandchildren are read next: fetch them while the children are
                _prefetch(hflat, 4 * v * n)
                _prefetch(hflat, (4 * v + 3) * n)
            top += 1
            stack[top] = 2 * v + 1
            top += 1
            stack[top] = 2 * v
        else:
            blocks[nblocks] = v - nb
            nblocks += 1
    # the blocks, in a second loop: their loads do not wait for the search, and are prefetched ahead
    flat = P.reshape(-1)
    for q in range(nblocks):
        if q + PREFETCH_AHEAD < nblocks:
            _prefetch(flat, blocks[q + PREFETCH_AHEAD] * L * P.shape[1])
        b = blocks[q]
        for s in range(rows.size):
            masks[s] = 0
        for r in range(b * L, min(b * L + L, m)):
            bit = 1 << (r - b * L)
            for s in range(rows.size):
                i = rows[s]
                if P[r, i] > tau:
                    masks[s] |= bit
                    if k < cap:
                        out_i[k] = i
                        out_r[k] = r
                        out_p[k] = P[r, i]
                    k += 1
        for s in range(rows.size):  # logical internal nodes of the block above tau: the block root, and at
            g = masks[s]  # each height h the groups of 2^h leaves with a leaf above tau (bit j of g_h: group j)
            if g == 0 or logL == 0:  # L = 1: the block is a leaf
                continue
            visited += 2
            for h in range(1, logL):
                g = (g | (g >> (1 << (h - 1)))) & groups[h]
                x = g
                while x:
                    x &= x - 1
                    visited += 2
    return k, visited


@njit(cache=True)
def pairs_by_data(ii, rr, pp, n):
    """Stable counting sort of pairs in ``(r, i)`` order into ``(i, r)`` order (``O(k + n)``)."""
    start = np.zeros(n + 1, dtype=np.int64)
    for i in ii:
        start[i + 1] += 1
    for i in range(n):
        start[i + 1] += start[i]
    oi = np.empty_like(ii)
    orr = np.empty_like(rr)
    op = np.empty_like(pp)
    for s in range(ii.size):
        q = start[ii[s]]
        start[ii[s]] += 1
        oi[q], orr[q], op[q] = ii[s], rr[s], pp[s]
    return oi, orr, op
