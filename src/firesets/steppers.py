"""GD driven by fire-set detection: correlation matrix + scan, DTree (Algorithm 8), WTree (Algorithm 9).

Chapter: ``book/training_with_trees.ipynb``. Each stepper satisfies the protocol of ``notes/stepper_protocol.md``
and registers itself with :func:`firesets.training.register_stepper` at import ("scan", "dtree", "wtree").
"""
from __future__ import annotations

import math
from time import perf_counter

import numpy as np
from scipy.linalg import blas as _blas

from ._validate import check_matrix, check_vector, readonly
from .trees import CorrelationDTree, CorrelationWTree
from .network import TwoLayerReLU
from .training import StepRecord, check_eta, register_stepper

__all__ = ["ScanStepper", "DTreeStepper", "WTreeStepper", "sparse_gd_rows", "sparse_forward", "update_rows_blocked",
           "group_rows"]

_EMPTY = np.zeros(0, dtype=np.int64)


def _check_data(net, X, y):
    if not isinstance(net, TwoLayerReLU):
        raise TypeError(f"net: expected a TwoLayerReLU, got {type(net).__name__}")
    X = check_matrix(X, "X", cols=net.d)
    y = check_vector(y, "y", length=X.shape[0])
    return X, y


def _fire_max(ii: np.ndarray, n: int) -> int:
    """``max_i k_{i,t}``: the largest fire set (``0`` without firing pairs)."""
    return int(np.bincount(ii, minlength=n).max()) if ii.size else 0


def group_rows(rr: np.ndarray, is_sorted: bool = False):
    """The distinct neurons of the firing pairs and each pair's slot among them.

    Parameters
    ----------
    rr : int array (k,)
        The neuron ``r`` of every firing pair.
    is_sorted : bool
        ``True`` when ``rr`` is non-decreasing (pairs in ``(r, i)`` order): no sort is needed.

    Returns
    -------
    U : int64 array
        ``union_i S_{i,fire}``, sorted.
    pos : intp array (k,)
        ``U[pos] == rr``.

    Notes
    -----
    For pairs in ``(i, r)`` order ``rr`` is ``n`` sorted runs; the stable (merge) argsort costs ``O(k log n)``.
    """
    rr = np.asarray(rr, dtype=np.int64)
    k = rr.size
    if k == 0:
        return _EMPTY, np.zeros(0, dtype=np.intp)
    order = None
    if not is_sorted:
        order = np.argsort(rr, kind="stable")
        rr = rr[order]
    start = np.empty(k, dtype=bool)
    start[0] = True
    np.not_equal(rr[1:], rr[:-1], out=start[1:])
    U = rr[start]
    pos_sorted = np.cumsum(start) - 1
    if order is None:
        return U, pos_sorted
    pos = np.empty(k, dtype=np.intp)
    pos[order] = pos_sorted
    return U, pos


def sparse_gd_rows(ii, rr, p, a, b, y, X, W_rows, eta, *, rr_sorted=False):
    """One GD step of Definition 2.1 computed from the firing pairs only (forward, residual, gradient rows).

    Parameters
    ----------
    ii, rr : int arrays (k,)
        The firing pairs ``(i, r)``: ``<w_r, x_i> > b``, each pair once.
    p : float array (k,)
        ``<w_r, x_i>`` for those pairs (read from a tree's leaves or the correlation matrix).
    a : (m,) output weights; b : threshold; y : (n,) labels; X : (n, d) data.
    W_rows : callable
        ``W_rows(U)`` returns the current rows ``W[U]`` as a new ``(|U|, d)`` array.
    eta : float
        Learning rate.
    rr_sorted : bool
        Pairs come in ``(r, i)`` order (skips a sort).

    Returns
    -------
    loss : float
        ``L(W(t)) = 1/2 sum_i (u_i - y_i)^2``.
    U : int64 array
        The union of the fire sets (sorted): the only neurons with a nonzero gradient row.
    W_new : (|U|, d) array
        ``W[U] - eta dL/dW[U]``.
    changed : int64 array
        The neurons of ``U`` that fire for some ``x_i`` with ``u_i != y_i`` (the rows the step changes).
    C : (|U|, n) array
        The coefficient matrix ``C[pos(r), i] = -eta a_r m^{-1/2} (u_i - y_i)`` on firing pairs, 0 elsewhere.

    Notes
    -----
    Forward (Algorithm 8, line 13): ``u_i = m^{-1/2} sum_{r in S_i,fire} a_r (<w_r, x_i> - b)``, one ``bincount``.
    Backward (lines 16-24): ``dL/dw_r = m^{-1/2} a_r sum_i (u_i - y_i) 1[<w_r, x_i> > b] x_i``; with the small dense
    ``C`` the rows are ``W[U] + C X``: ``|U| n d`` multiply-adds by one BLAS call (``dgemm``, ``beta = 1``).
    Algorithm 8 writes ``M = X diag(y - u)``, ``Delta W = M P`` and ``W <- W - eta Delta W``, which is gradient
    *ascent*; we subtract the gradient (see the chapter's errata).
    """
    loss, U, pos, C, changed = sparse_forward(ii, rr, p, a, b, y, eta, X.shape[0], rr_sorted=rr_sorted)
    W_new = np.ascontiguousarray(W_rows(U), dtype=np.float64)
    if U.size:
        _add_CX(W_new, C, X)
    return loss, U, W_new, changed, C


def _add_CX(W_rows_block: np.ndarray, C: np.ndarray, X: np.ndarray) -> None:
    """``W_rows_block += C X`` in place: one ``dgemm`` on the Fortran view ``W^T (d, k) += X^T (d, n) C^T (n, k)``."""
    out = _blas.dgemm(1.0, X.T, C.T, beta=1.0, c=W_rows_block.T, overwrite_c=1)
    if not np.shares_memory(out, W_rows_block):  # pragma: no cover - BLAS copied (not expected for Fortran c)
        W_rows_block[...] = out.T


def sparse_forward(ii, rr, p, a, b, y, eta, n, *, rr_sorted=False):
    """Forward pass and coefficient matrix of one sparse GD step (:func:`sparse_gd_rows` before ``C X``).

    Returns ``loss, U, pos, C, changed`` (see :func:`sparse_gd_rows`; ``U[pos] == rr``).
    """
    m = a.shape[0]
    scale = 1.0 / math.sqrt(m)
    s_pair = a[rr]
    u = np.bincount(ii, weights=s_pair * (p - b), minlength=n) * scale
    err = u - y
    loss = 0.5 * float(err @ err)
    U, pos = group_rows(rr, is_sorted=rr_sorted)
    C = np.zeros((U.size, n))
    e_pair = err[ii]
    coef = s_pair * e_pair
    coef *= -eta * scale
    C[pos, ii] = coef
    active = e_pair != 0
    if active.all():
        changed = U
    else:
        changed = U[np.bincount(pos[active], minlength=U.size) > 0]
    return loss, U, pos, C, changed


#: rows per block of :func:`update_rows_blocked` (2^8 rows of d = 64 floats = 128 KiB stay in L2; measured best)
ROW_BLOCK = 1 << 8


def update_rows_blocked(W: np.ndarray, U: np.ndarray, C: np.ndarray, X: np.ndarray,
                        block: int = ROW_BLOCK) -> np.ndarray:
    """``W[U] += C X`` in place and return the new inner products ``W[U] X^T`` (``(|U|, n)``), block by block.

    Each block of rows is gathered, updated by one ``dgemm``, scattered back and multiplied by ``X^T`` while it is
    still in cache: the rows of ``W`` cross the memory bus once each way instead of three times. The loop runs over
    ``ceil(|U| / block)`` blocks, not over neurons.

    Parameters
    ----------
    W : (m, d) C-contiguous float64 array, updated in place.
    U : sorted unique int array (k,).
    C : (k, n) coefficients (row ``j`` belongs to ``U[j]``).
    X : (n, d) data.
    """
    k, d = U.size, W.shape[1]
    vals = np.empty((k, X.shape[0]))
    if k == 0:
        return vals
    buf = np.empty((min(block, k), d))
    XT = X.T
    for s0 in range(0, k, block):
        s1 = min(k, s0 + block)
        Ub, B = U[s0:s1], buf[: s1 - s0]
        np.take(W, Ub, axis=0, out=B)
        _add_CX(B, C[s0:s1], X)
        W[Ub] = B
        np.matmul(B, XT, out=vals[s0:s1])
    return vals


class _SparseStepper:
    """Shared construction, records and bookkeeping of the sparse steppers."""

    name = ""

    def __init__(self, net: TwoLayerReLU, X, y):
        X, y = _check_data(net, X, y)
        self.X = X
        self.y = y
        self.a = net.a.copy()
        self.b = float(net.b)
        self.m, self.d = net.W.shape
        self.n = X.shape[0]
        #: counters and phase times of the last step (also filled when ``record=False``)
        self.last_counters: dict = {}
        self.last_phase_seconds: dict = {}

    def _finish(self, record, loss, ii, rr, codes_sorted, changed, counters, phases):
        self.last_counters = counters
        self.last_phase_seconds = phases
        if not record:
            return None
        codes = ii.astype(np.int64) * self.m + rr
        if not codes_sorted:
            codes.sort()
        return StepRecord(loss, codes, np.asarray(changed, dtype=np.int64), dict(counters), dict(phases))


class ScanStepper(_SparseStepper):
    """GD on 2NN(m, b) that keeps the correlation matrix ``W X^T`` and finds fire sets by a linear scan.

    The contender that separates what the preprocessing buys from what the trees buy: the ``n m`` inner
    products are computed once (like the trees' INIT), a step refreshes only the rows of the changed neurons
    (``|U| n d``), but finding the firing pairs reads all ``m n`` entries (one vectorized comparison), where
    the trees read ``O(k log m)`` nodes.

    Parameters
    ----------
    net : TwoLayerReLU
        The network (``W`` is copied; ``net`` is never mutated).
    X : ndarray (n, d)
    y : ndarray (n,)

    Notes
    -----
    The matrix is stored ``(m, n)`` (``W X^T``, the transpose of the ``X W^T`` of Section 4) so that the refresh of a
    neuron writes one contiguous row and the scan yields the pairs in ``(r, i)`` order (no sort for the union).
    Counters: ``entries_scanned = m n``, ``inner_products = |U| n``, ``fire_pairs`` (``sum_i k_i``), ``fire_max``
    (``max_i k_i``), ``union``, ``changed``, ``leaves_rewritten = |U| n``.

    References
    ----------
    .. [1] Alman et al., NeurIPS 2023, Section 4 (the preprocessing of ``<w_r, x_i>`` without the trees).
    """

    name = "scan"

    def __init__(self, net: TwoLayerReLU, X, y):
        super().__init__(net, X, y)
        self._W = np.array(net.W, dtype=np.float64, order="C")
        self._P = self._W @ self.X.T  # (m, n)

    @property
    def W(self) -> np.ndarray:
        """The current weights ``(m, d)`` (a read-only view; callers copy)."""
        return readonly(self._W)

    @property
    def correlations(self) -> np.ndarray:
        """Read-only view of the maintained matrix ``(m, n)``: entry ``(r, i)`` is ``<w_r, x_i>``."""
        return readonly(self._P)

    def step(self, eta: float, record: bool = True) -> StepRecord | None:
        """One full-batch GD step ``W(t+1) = W(t) - eta dL/dW(W(t))``; the record describes ``W(t)``."""
        eta = check_eta(eta)
        n, m = self.n, self.m
        t0 = perf_counter()
        flat = np.flatnonzero(self._P > self.b)
        if n == 1:
            rr, ii = flat, np.zeros(flat.size, dtype=np.int64)
        else:
            rr, ii = np.divmod(flat, n)
        p = self._P.reshape(-1)[flat]
        t1 = perf_counter()
        loss, U, W_new, changed, _ = sparse_gd_rows(
            ii, rr, p, self.a, self.b, self.y, self.X, lambda R: np.take(self._W, R, axis=0), eta, rr_sorted=True
        )
        t2 = perf_counter()
        if U.size:
            self._W[U] = W_new
            self._P[U] = W_new @ self.X.T
        t3 = perf_counter()
        counters = {
            "fire_pairs": int(flat.size),
            "fire_max": _fire_max(ii, n),
            "union": int(U.size),
            "changed": int(changed.size),
            "entries_scanned": m * n,
            "inner_products": int(U.size) * n,
            "leaves_rewritten": int(U.size) * n,
        }
        phases = {"query": t1 - t0, "forward_backward": t2 - t1, "update": t3 - t2}
        return self._finish(record, loss, ii, rr, False, changed, counters, phases)


class DTreeStepper(_SparseStepper):
    """GD on 2NN(m, b) driven by the correlation DTree: Algorithm 8 (Algorithm 3) of Alman et al., Theorem 4.1.

    Per step: QUERY every tree at ``b`` (the firing pairs ``(i, r)``), read ``<w_r, x_i>`` of those pairs from the
    leaves, forward and backward on the pairs only, update the rows of the union ``U`` of the fire sets, then
    UPDATE the ``|U|`` changed neurons in all ``n`` trees (``|U| n`` new inner products and path repairs).

    Parameters
    ----------
    net : TwoLayerReLU
        The network (the tree copies ``W``; ``net`` is never mutated).
    X : ndarray (n, d)
    y : ndarray (n,)

    Notes
    -----
    Differences from the pseudo-code (chapter errata): Algorithm 8 line 22-24 would ascend the loss (sign of
    ``M = X diag(y - u)``), we descend; line 9 runs ``t = 0 -> T`` (``T + 1`` steps), we run one step per call;
    the forward pass reads the stored inner products instead of recomputing them (``O(k)`` instead of ``O(k d)``);
    the updates of line 27-29 go to the tree as one batch. The weights live in the tree (``self.W`` is the tree's
    read-only view), so the stepper holds one copy of ``W``.

    Implementation (speed, same arithmetic): QUERY is :meth:`CorrelationDTree.query_all` in neuron order, which returns
    the pairs in ``(r, i)`` order with their leaf values (no sort, no second read of the leaves); the forward pass and
    the ``|U| x n`` coefficient matrix come from :func:`sparse_forward`; :func:`update_rows_blocked` gathers, updates
    (one ``dgemm`` per block of rows), scatters and multiplies by ``X^T`` block by block in cache; the new inner
    products, already leaf-major, repair the trees without validation (``U`` is sorted and unique by construction).

    Counters per step: the tree's ``nodes_visited`` (QUERY), ``inner_products`` and ``nodes_written`` (UPDATE),
    plus ``fire_pairs = sum_i k_{i,t}``, ``fire_max = max_i k_{i,t}``, ``union = |U|``, ``changed``,
    ``leaves_rewritten = |U| n``.

    References
    ----------
    .. [1] Alman, Liang, Song, Zhang, Zhuo. Bypass exponential time preprocessing. NeurIPS 2023.
       Algorithms 3 and 8, Theorem 4.1 / E.1.
    """

    name = "dtree"

    def __init__(self, net: TwoLayerReLU, X, y):
        super().__init__(net, X, y)
        self.tree = CorrelationDTree(net.W, self.X)

    @property
    def W(self) -> np.ndarray:
        """The current weights ``(m, d)`` (the tree's read-only view; callers copy)."""
        return self.tree.W

    def step(self, eta: float, record: bool = True) -> StepRecord | None:
        """One full-batch GD step ``W(t+1) = W(t) - eta dL/dW(W(t))``; the record describes ``W(t)``."""
        eta = check_eta(eta)
        tree = self.tree
        before = tree.counters.as_dict()
        t0 = perf_counter()
        ii, rr, p = tree.query_all(self.b, order="neuron", values=True)  # (r, i) order, leaf values
        t1 = perf_counter()
        loss, U, _, C, changed = sparse_forward(ii, rr, p, self.a, self.b, self.y, eta, self.n, rr_sorted=True)
        t2 = perf_counter()
        if U.size:
            # the tree's weights, updated in place (U is sorted and unique); the new inner products come out
            # leaf-major (|U|, n), the layout of the tree's buffer
            vals = update_rows_blocked(tree._W, U, C, self.X)
            tree._store(U, vals)
        t3 = perf_counter()
        after = tree.counters.as_dict()
        counters = {key: after[key] - before[key] for key in after}
        counters.update(
            fire_pairs=int(ii.size), fire_max=_fire_max(ii, self.n), union=int(U.size), changed=int(changed.size),
            leaves_rewritten=int(U.size) * self.n,
        )
        phases = {"query": t1 - t0, "forward_backward": t2 - t1, "update": t3 - t2}
        return self._finish(record, loss, ii, rr, False, changed, counters, phases)


class WTreeStepper(_SparseStepper):
    """GD on 2NN(m, b) driven by the correlation WTree: Algorithm 9 (Algorithm 4) of Alman et al., Theorem 4.2.

    INIT builds the ``m`` trees over the data and queries every tree once (Algorithm 9 lines 9-17, the
    ``S~_{r,fire}`` and, by duality, the ``S_{i,fire}``). The firing pairs are then maintained: a step runs the
    forward and backward pass on them, updates the union ``U`` (rebuilding ``|U|`` trees of ``n`` leaves), and
    re-queries only the trees of ``U`` (lines 36-46): a neuron outside ``U`` fires for no ``x_i`` and does not
    move, so it still fires for none.

    Parameters
    ----------
    net : TwoLayerReLU
    X : ndarray (n, d)
    y : ndarray (n,)

    Notes
    -----
    The pairs are kept in ``(r, i)`` order, the order in which the WTree reports them, so grouping them by neuron
    needs no sort; ``fire_codes`` (``record=True``) sorts them into ``(i, r)`` order. The re-query of the trees in
    ``U`` is one batched FIND, :meth:`CorrelationWTree.query_many` (its reads are counted in ``nodes_visited``).
    Algorithm 9 line 33 has the same sign error as Algorithm 8 (ascent); we descend.

    References
    ----------
    .. [1] Alman et al., NeurIPS 2023. Algorithms 4 and 9, Theorem 4.2 / E.2.
    """

    name = "wtree"

    def __init__(self, net: TwoLayerReLU, X, y):
        super().__init__(net, X, y)
        self.tree = CorrelationWTree(net.W, self.X)
        ii, rr = self.tree.query_all(self.b)  # sorted by (i, r)
        order = np.argsort(rr, kind="stable")  # -> (r, i)
        self._ii, self._rr = ii[order], rr[order]
        self._p = np.asarray(self.tree.correlations[self._ii, self._rr])

    @property
    def W(self) -> np.ndarray:
        """The current weights ``(m, d)`` (the tree's read-only view; callers copy)."""
        return self.tree.W

    def _requery(self, U: np.ndarray):
        """FIND on the trees of ``U`` (Algorithm 9, lines 36-46): the new pairs in ``(r, i)`` order and their values."""
        tree = self.tree
        if U.size == 0:
            return _EMPTY, _EMPTY, np.zeros(0)
        return tree.query_many(U, self.b, values=True)  # sorted by (r, i), with the leaf values

    def step(self, eta: float, record: bool = True) -> StepRecord | None:
        """One full-batch GD step ``W(t+1) = W(t) - eta dL/dW(W(t))``; the record describes ``W(t)``."""
        eta = check_eta(eta)
        tree = self.tree
        ii, rr, p = self._ii, self._rr, self._p
        before = tree.counters.as_dict()
        t0 = perf_counter()
        loss, U, _, C, changed = sparse_forward(ii, rr, p, self.a, self.b, self.y, eta, self.n, rr_sorted=True)
        t1 = perf_counter()
        if U.size:
            # W[U] += C X in place in the tree's weights, then rebuild the |U| trees from the new inner products
            tree._store(U, update_rows_blocked(tree._W, U, C, self.X))
        t2 = perf_counter()
        self._ii, self._rr, self._p = self._requery(U)
        t3 = perf_counter()
        after = tree.counters.as_dict()
        counters = {key: after[key] - before[key] for key in after}
        counters.update(
            fire_pairs=int(ii.size),
            fire_max=_fire_max(ii, self.n),
            union=int(U.size),
            changed=int(changed.size),
            leaves_rewritten=int(U.size) * self.n,
        )
        phases = {"query": t3 - t2, "forward_backward": t1 - t0, "update": t2 - t1}
        return self._finish(record, loss, ii, rr, False, changed, counters, phases)


register_stepper("scan", ScanStepper)
register_stepper("dtree", DTreeStepper)
register_stepper("wtree", WTreeStepper)
