"""The tuned GD steppers: dense, scan of the maintained correlations, DTree (Algorithm 8), WTree (Algorithm 9).

Chapter: ``book/training_with_trees.md``. Each stepper is a class called ``Stepper(net, X, y)`` with ``.step(eta)``
(one full-batch GD step, returning the :class:`~firesets.steps.StepRecord` of the weights *before* the step),
``.state()`` (the record of the current weights, no step) and ``.W`` (a read-only view of the current weights).
The sparse steppers are tested equal to the readable :func:`firesets.steps.sparse_gd_step`, which is tested equal
to dense GD. Hot loops are numba kernels written like the pseudo-code (loops over the firing pairs and over the
rows of the union ``U``); the trees are used through their public API only.
"""
from __future__ import annotations

import math
from time import perf_counter

import numpy as np
from numba import njit

from ._validate import check_eta, check_training_data, readonly
from .network import hidden_layer, output_layer
from .steps import StepRecord, dense_gd_step
from .trees import CorrelationDTree, CorrelationWTree

__all__ = ["DenseStepper", "ScanStepper", "DTreeStepper", "WTreeStepper", "pairs_forward_backward",
           "scan_pairs"]


# ------------------------------------------------------------------------------------------------ kernels
#: entries per block of the scan: a block whose maximum is <= b (most of them) is skipped after one
#: branch-free (vectorized) pass; measured at m = 2^20: as fast as numpy's comparison alone at n = 1, 4, faster at 16
SCAN_BLOCK = 16


@njit(cache=True)
def _scan_collect(flat, b, n, ii, rr, pp):  # pragma: no cover - compiled
    k = 0
    cap = ii.size
    N = flat.size
    for s in range(0, N, SCAN_BLOCK):  # flat index q = r n + i: the pairs come out in (r, i) order
        e = min(s + SCAN_BLOCK, N)
        top = flat[s]
        for q in range(s + 1, e):
            top = max(top, flat[q])
        if top > b:
            for q in range(s, e):
                if flat[q] > b:
                    if k < cap:
                        ii[k] = q % n
                        rr[k] = q // n
                        pp[k] = flat[q]
                    k += 1
    return k


def scan_pairs(P: np.ndarray, b: float, buf=None):
    """Every ``(i, r, p)`` with ``p = P[r, i] > b`` (strict), sorted by ``(r, i)``: one compiled pass over ``P``.

    The fused compare-and-collect of the scan stepper: ``P`` is the maintained ``(m, n)`` correlation matrix.
    ``buf`` is an optional triple of arrays reused across calls (grown when too small; the caller keeps the
    returned ``buf``). Returns ``i, r, p, buf`` (``i, r, p`` are slices of ``buf``).
    """
    if buf is None:
        buf = (np.empty(1024, np.int64), np.empty(1024, np.int64), np.empty(1024))
    flat = P.reshape(-1)  # P is C-contiguous: a view
    k = _scan_collect(flat, b, P.shape[1], *buf)
    if k > buf[0].size:  # rare: the fire sets outgrew the buffer; grow it and scan again
        size = 2 * k
        buf = (np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size))
        k = _scan_collect(flat, b, P.shape[1], *buf)
    return buf[0][:k], buf[1][:k], buf[2][:k], buf


@njit(cache=True)
def _forward_backward(i, r, p, a, b, y, sqrt_m):  # pragma: no cover - compiled
    n = y.size
    u = np.zeros(n)
    for k in range(i.size):  # forward: u_i = sum over fired r of a_r (<w_r, x_i> - b)
        u[i[k]] += a[r[k]] * (p[k] - b)
    err = u / sqrt_m - y
    loss = 0.0
    for q in range(n):
        loss += err[q] * err[q]
    n_u = 0
    for k in range(r.size):  # |U|: the distinct neurons of the (r, i)-sorted pairs
        if k == 0 or r[k] != r[k - 1]:
            n_u += 1
    U = np.empty(n_u, np.int64)
    G = np.zeros((n_u, n))
    j = -1
    for k in range(r.size):  # backward: G[r, i] = a_r m^{-1/2} (f(x_i) - y_i) on fired pairs
        if k == 0 or r[k] != r[k - 1]:
            j += 1
            U[j] = r[k]
        G[j, i[k]] = a[r[k]] * err[i[k]] / sqrt_m
    return 0.5 * loss, U, G


def pairs_forward_backward(i, r, p, a, b, y):
    """Forward and backward of one GD step on the firing pairs ``(i, r, p)``, sorted by ``(r, i)``.

    Returns ``loss, U, G``: ``L(W)``, the sorted union ``U`` of the fire sets and ``G (|U|, n)`` with
    ``dL/dw_{U[j]} = sum_i G[j, i] x_i``. One compiled pass over the ``k`` pairs (Algorithm 8, lines 13-24,
    with the sign of the descent; see :func:`firesets.steps.sparse_gd_step`).
    """
    return _forward_backward(i, r, p, a, b, y, math.sqrt(a.shape[0]))


@njit(cache=True, fastmath=True)  # the n dot products may be reassociated (vectorized)
def _descend_rows(W, P, U, G, X, eta):  # pragma: no cover - compiled
    n, d = X.shape
    for j in range(U.size):  # one row at a time: it stays in cache from the update to its n new products
        r = U[j]
        for i in range(n):
            c = eta * G[j, i]
            if c != 0.0:
                for q in range(d):
                    W[r, q] -= c * X[i, q]
        for i in range(n):
            s = 0.0
            for q in range(d):
                s += W[r, q] * X[i, q]
            P[r, i] = s


# ------------------------------------------------------------------------------------------------ steppers
class _Stepper:
    """Shared construction and records: validates ``(net, X, y)`` once; never mutates ``net``."""

    name = ""

    def __init__(self, net, X, y):
        self.X, self.y = check_training_data(net, X, y)
        self.a = np.array(net.a, dtype=np.float64)
        self.b = float(net.b)
        self.m, self.d = net.W.shape
        self.n = self.X.shape[0]
        #: operation counts and phase seconds of the last step (also kept when ``record=False``)
        self.last_counters: dict = {}
        self.last_phases: dict = {}

    def _pairs(self):  # the current firing pairs (i, r, p), sorted by (r, i)
        raise NotImplementedError

    def release_W(self) -> np.ndarray:
        """Hand the current weights over to the caller (a writable ``(m, d)`` array, no copy).

        The stepper is unusable afterwards (``train`` calls this once, at the end).
        """
        W, self._W = self._W, None
        self.__dict__.pop("tree", None)
        return W

    def state(self) -> StepRecord:
        """The record of the current weights (loss, firing pairs, union) without stepping."""
        i, r, p = self._pairs()
        loss, U, _ = pairs_forward_backward(i, r, p, self.a, self.b, self.y)
        return StepRecord(loss, i.copy(), r.copy(), U)

    def _finish(self, record, loss, i, r, U, counters, phases):
        counters.update(fire_pairs=int(i.size), union=int(U.size),
                        fire_max=int(np.bincount(i, minlength=self.n).max()) if i.size else 0)
        self.last_counters, self.last_phases = counters, phases
        if not record:
            return None
        return StepRecord(loss, i.copy(), r.copy(), U, dict(counters), dict(phases))


class DenseStepper(_Stepper):
    """The best dense full-batch GD step (:func:`firesets.steps.dense_gd_step`), its ``m x n`` buffer reused.

    ``net`` is copied, never mutated; only ``W`` trains (``a`` fixed, Section 2).
    """

    name = "dense"

    def __init__(self, net, X, y):
        super().__init__(net, X, y)
        self._W = np.array(net.W, dtype=np.float64, order="C")
        self._H = np.empty((self.m, self.n))

    @property
    def W(self) -> np.ndarray:
        """The current weights ``(m, d)`` (a read-only view)."""
        return readonly(self._W)

    def state(self) -> StepRecord:
        """The record of the current weights by one dense forward pass (no step)."""
        H = hidden_layer(self._W, self.X, self.b)
        err = output_layer(H, self.a) - self.y
        r, i = np.nonzero(H > 0)  # row-major: sorted by (r, i)
        return StepRecord(0.5 * float(err @ err), i, r, np.unique(r))

    def step(self, eta, record: bool = True) -> StepRecord | None:
        """One GD step; returns the record of ``W(t)`` (``None`` when ``record=False``)."""
        eta = check_eta(eta)
        t0 = perf_counter()
        loss, F = dense_gd_step(self._W, self.X, self.a, self.b, self.y, eta, out=self._H)
        phases = {"step": perf_counter() - t0}
        self.last_counters, self.last_phases = {}, phases
        if not record:
            return None
        r, i = np.nonzero(F)
        return StepRecord(loss, i, r, np.flatnonzero(F.any(axis=1)), {}, phases)


class ScanStepper(_Stepper):
    """GD that maintains the correlation matrix ``P = W X^T`` (m, n) and finds the firing pairs by a scan.

    The contender that separates what the preprocessing buys from what the trees buy: the ``n m`` inner
    products are computed once (like the trees' INIT), a step refreshes only the rows of ``U`` (``|U| n d``),
    and finding the pairs reads all ``m n`` entries in one compiled compare-and-collect pass (:func:`scan_pairs`)
    where the trees read ``O(k log m)`` nodes. The forward/backward pass and the row update are compiled loops
    over the pairs and the rows of ``U``. Counters: ``entries_scanned = m n``, ``inner_products =
    leaves_rewritten = |U| n``, ``fire_pairs``, ``fire_max``, ``union``.
    """

    name = "scan"

    def __init__(self, net, X, y):
        super().__init__(net, X, y)
        self._W = np.array(net.W, dtype=np.float64, order="C")
        self._P = self._W @ self.X.T
        self._buf = None

    @property
    def W(self) -> np.ndarray:
        """The current weights ``(m, d)`` (a read-only view)."""
        return readonly(self._W)

    @property
    def correlations(self) -> np.ndarray:
        """Read-only view of the maintained ``(m, n)`` matrix: entry ``(r, i)`` is ``<w_r, x_i>``."""
        return readonly(self._P)

    def _pairs(self):
        i, r, p, self._buf = scan_pairs(self._P, self.b, self._buf)
        return i, r, p

    def step(self, eta, record: bool = True) -> StepRecord | None:
        """One GD step ``W(t+1) = W(t) - eta dL/dW``; returns the record of ``W(t)``."""
        eta = check_eta(eta)
        t0 = perf_counter()
        i, r, p = self._pairs()
        t1 = perf_counter()
        loss, U, G = pairs_forward_backward(i, r, p, self.a, self.b, self.y)
        t2 = perf_counter()
        _descend_rows(self._W, self._P, U, G, self.X, eta)
        t3 = perf_counter()
        nu = int(U.size) * self.n
        counters = {"entries_scanned": self.m * self.n, "inner_products": nu, "leaves_rewritten": nu}
        phases = {"query": t1 - t0, "forward_backward": t2 - t1, "update": t3 - t2}
        return self._finish(record, loss, i, r, U, counters, phases)


class _TreeStepper(_Stepper):
    """A stepper whose weights live in a correlation tree (public API only)."""

    def __init__(self, net, X, y):
        super().__init__(net, X, y)
        # the tree updates this array in place (copy=False): the stepper's one copy of W
        self._W = np.array(net.W, dtype=np.float64, order="C")
        self.tree = self._tree_class(self._W, self.X, copy=False)
        self._Z = np.empty((0, self.d))

    @property
    def W(self) -> np.ndarray:
        """The current weights ``(m, d)`` (the tree's read-only view)."""
        return self.tree.W

    def _descend(self, U, G, eta):
        """``w_r <- w_r - eta sum_i G[r, i] x_i`` for ``r`` in ``U``: UPDATE by increments (``add_many``)."""
        if U.size:
            if self._Z.shape[0] < U.size:  # a buffer reused across steps (grown as the union grows)
                self._Z = np.empty((min(2 * U.size, self.m), self.d))
            D = np.matmul(G, self.X, out=self._Z[: U.size])
            D *= -eta
            self.tree.add_many(U, D)

    def step(self, eta, record: bool = True) -> StepRecord | None:
        """One GD step ``W(t+1) = W(t) - eta dL/dW``; returns the record of ``W(t)``."""
        eta = check_eta(eta)
        before = self.tree.counters.as_dict()
        t0 = perf_counter()
        i, r, p = self._pairs()
        t1 = perf_counter()
        loss, U, G = pairs_forward_backward(i, r, p, self.a, self.b, self.y)
        t2 = perf_counter()
        self._descend(U, G, eta)
        t3 = perf_counter()
        self._after_update(U)
        t4 = perf_counter()
        after = self.tree.counters.as_dict()
        counters = {key: after[key] - before[key] for key in after}
        counters["leaves_rewritten"] = int(U.size) * self.n
        phases = {"query": (t1 - t0) + (t4 - t3), "forward_backward": t2 - t1, "update": t3 - t2}
        return self._finish(record, loss, i, r, U, counters, phases)

    def _after_update(self, U):
        pass


class DTreeStepper(_TreeStepper):
    """GD driven by the correlation DTree: Algorithm 8 (Algorithm 3) of Alman et al., Theorem 4.1.

    Per step: QUERY every tree at ``b`` (``query_all(b, order="neuron", values=True)``: the firing pairs with
    their stored inner products), forward and backward on the pairs (:func:`pairs_forward_backward`), update the
    rows of ``U`` and UPDATE them in all ``n`` trees (``update_many``: ``|U| n`` new inner products and path
    repairs). Differences from the pseudo-code (chapter errata): Algorithm 8 lines 22-24 ascend the loss, we
    descend; line 9 runs ``T + 1`` steps, we run one per call; the forward pass reads the stored inner products
    instead of recomputing them (``O(k)`` instead of ``O(k d)``); the updates of lines 27-29 go as one batch.
    Counters: the tree's (``nodes_visited``, ``inner_products``, ``nodes_written``) plus ``fire_pairs``,
    ``fire_max``, ``union``, ``leaves_rewritten = |U| n``.
    """

    name = "dtree"
    _tree_class = CorrelationDTree

    def _pairs(self):
        return self.tree.query_all(self.b, order="neuron", values=True)


class WTreeStepper(_TreeStepper):
    """GD driven by the correlation WTree: Algorithm 9 (Algorithm 4) of Alman et al., Theorem 4.2.

    INIT builds the ``m`` trees over the data and queries every tree once (Algorithm 9 lines 9-17). The firing
    pairs are then maintained: after the update of ``U`` only the trees of ``U`` are queried again (lines
    36-46), since a neuron outside ``U`` fires for no ``x_i``, does not move, and still fires for none.
    Algorithm 9 line 33 has the sign error of Algorithm 8 (ascent); we descend. The re-query is
    :meth:`CorrelationWTree.query_many`; the values are read from its ``correlations`` view.
    """

    name = "wtree"
    _tree_class = CorrelationWTree

    def __init__(self, net, X, y):
        super().__init__(net, X, y)
        self._cur = self.tree.query_all(self.b, order="neuron", values=True)

    def _pairs(self):
        return self._cur

    def _after_update(self, U):
        i, r = self.tree.query_many(U, self.b)  # sorted by (r, i)
        self._cur = (i, r, np.array(self.tree.correlations[i, r]))
