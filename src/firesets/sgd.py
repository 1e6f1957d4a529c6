"""Minibatch SGD on explicit batches (Qin, Song, Yang, arXiv 2307.06565), driven by five ways to find the fire sets.

Chapter: ``book/sgd_halfspace.md``.

Step ``t`` takes the gradient of ``1/2 sum_{i in batch t} (f(W, x_i, a) - y_i)^2`` in ``W`` (the loss of
Definition 2.1 of the Bypass paper restricted to the batch; ``a`` fixed) and sets ``W <- W - eta * grad``. Only
rows of neurons that fire for some input of the batch change (``U = union of the batch's fire sets``), so a step
is: find the firing pairs ``(i, r)`` with ``<w_r, x_i> > b`` (strict), the forward pass from those pairs, the
gradient rows of ``U``, and the structure's update of those rows. The methods differ only in the first and last
phase:

* ``"dense"``: :func:`firesets.steps.dense_gd_step` on the batch (the book's one dense step: one BLAS product
  ``W X_B^T``, the masked gradient folded into the ``m x B`` matrix, one pass over ``W``; the reference);
* ``"scan"``: the same ``X_B W^T`` scanned for pairs, then only the rows of ``U`` updated;
* ``"halfspace"``: :class:`firesets.halfspace.HalfSpaceTree` over ``W`` (query_batch; update of ``U``);
* ``"balltree"``: scikit-learn's ``BallTree.query_radius`` on the weights lifted to equal norm (static: rebuilt
  after every step), candidates re-checked exactly;
* ``"dtree"``: the Correlation DTree of the Bypass paper over the finite dataset ``X`` (one QUERY per batch input,
  ``update_many`` of ``U``: ``n`` leaves per changed neuron).

A fresh-sample stream (a large set drawn once, batches without reuse) and a finite dataset are both just
``(X, y)`` with batches.
"""
from __future__ import annotations

import math
import time

import numpy as np

from firesets._validate import as_rng, check_finite_real, check_positive_int, check_vector
from firesets.halfspace import HalfSpaceTree
from firesets.network import TwoLayerReLU
from firesets.steps import dense_gd_step

__all__ = ["draw_batches", "sgd", "METHODS", "LiftedBallTree", "sgd_step_pairs"]

METHODS = ("dense", "scan", "halfspace", "balltree", "dtree")


def draw_batches(n: int, B: int, T: int, rng=0) -> np.ndarray:
    """``(T, B)`` int64 array of data indices: row ``t`` is a uniform sample of ``B`` distinct indices of ``[n]``.

    Batches are independent across steps (sampling with replacement between steps, without within one).
    """
    n = check_positive_int(n, "n")
    B = check_positive_int(B, "B")
    T = check_positive_int(T, "T")
    if B > n:
        raise ValueError(f"B: expected a batch size <= n = {n}, got {B}")
    gen = as_rng(rng)
    out = np.empty((T, B), dtype=np.int64)
    for t in range(T):
        out[t] = gen.choice(n, size=B, replace=False)
    return out


class LiftedBallTree:
    """scikit-learn's ``BallTree`` answering half-space queries through the equal-norm lift (static).

    ``w -> w' = (w, sqrt(M^2 - ||w||^2))`` with ``M = max ||w_r||`` and ``x -> x' = (t x, 0)``: then
    ``||w' - x'||^2 = M^2 + t^2 ||x||^2 - 2 t <w, x>``, so ``<w, x> > tau`` iff ``||w' - x'||^2 < M^2 + t^2 ||x||^2
    - 2 t tau``, a ball query. The radius is padded and every candidate re-checked exactly, so the answer is
    exactly ``{r : <w_r, x> > tau}``.
    """

    def __init__(self, W, leaf_size: int = 40):
        from sklearn.neighbors import BallTree

        W = np.ascontiguousarray(W, dtype=np.float64)
        self.W = W
        nrm2 = np.einsum("ij,ij->i", W, W)
        self.M = math.sqrt(float(nrm2.max())) * (1 + 1e-12) + 1e-300
        lift = np.sqrt(np.maximum(self.M ** 2 - nrm2, 0.0))
        self.tree = BallTree(np.column_stack([W, lift]), leaf_size=leaf_size)
        self.candidates = 0

    def query_batch(self, X, tau):
        X = np.ascontiguousarray(X, dtype=np.float64)
        xn = np.linalg.norm(X, axis=1)
        t = np.where(xn > 0, self.M / np.where(xn > 0, xn, 1.0), 1.0)
        r2 = self.M ** 2 + (t * xn) ** 2 - 2 * t * tau
        radius = np.sqrt(np.maximum(r2, 0.0)) * (1 + 1e-9) + 1e-12
        Q = np.column_stack([X * t[:, None], np.zeros(X.shape[0])])
        ind = self.tree.query_radius(Q, radius)
        qi = np.repeat(np.arange(X.shape[0]), [a.size for a in ind]).astype(np.int64)
        rr = np.concatenate(ind).astype(np.int64) if len(ind) else np.zeros(0, np.int64)
        self.candidates += rr.size
        keep = np.einsum("ij,ij->i", self.W[rr], X[qi]) > tau
        qi, rr = qi[keep], rr[keep]
        order = np.lexsort((rr, qi))
        return qi[order], rr[order]


def sgd_step_pairs(W, a, b, XB, yB, eta, qi, rr):
    """One SGD step from the firing pairs ``(qi, rr)`` of the batch: returns ``(U, new rows of U, batch loss)``.

    ``p = <w_r, x_i>`` is recomputed on the pairs (``d`` per pair); ``u_i = m^{-1/2} sum_r a_r (p - b)``; the
    gradient row of ``r in U`` is ``a_r m^{-1/2} sum_i (u_i - y_i) x_i`` over the ``i`` it fires for.
    """
    m = W.shape[0]
    B = XB.shape[0]
    p = np.einsum("ij,ij->i", W[rr], XB[qi])
    s = 1.0 / math.sqrt(m)
    u = np.bincount(qi, weights=a[rr] * (p - b), minlength=B) * s
    err = u - yB
    U, inv = np.unique(rr, return_inverse=True)
    # C[k, i] = -eta a_r m^{-1/2} (u_i - y_i) on the firing pairs: one bincount (each pair once, no np.add.at)
    Cm = np.bincount(inv * B + qi, weights=-eta * s * a[rr] * err[qi], minlength=U.size * B).reshape(U.size, B)
    return U, W[U] + Cm @ XB, 0.5 * float(err @ err)


def sgd(net: TwoLayerReLU, X, y, eta, batches, method: str = "dense", *, record: bool = True, hsr_kwargs=None):
    """Minibatch SGD: ``W <- W - eta * grad of 1/2 sum_{i in batch t} (f(x_i) - y_i)^2`` for each row of batches.

    Parameters
    ----------
    net : TwoLayerReLU
        The start; not mutated.
    X, y : arrays (n, d), (n,)
        The data the batches index (a finite dataset, or a large stream drawn once).
    eta : float
        Learning rate, ``> 0``.
    batches : int array (T, B)
        Data indices of each step (:func:`draw_batches`).
    method : one of :data:`METHODS`
    hsr_kwargs : dict, optional
        Keyword arguments of :class:`HalfSpaceTree` (``dynamic``, ``leaf_size``, ``rebuild_factor``).

    Returns
    -------
    net2 : TwoLayerReLU
        The network after ``T`` steps.
    log : dict of arrays
        ``k`` (T, B) fire counts of the batch's inputs, ``U`` (T,) ``|U|``, ``loss`` (T,) batch loss before the
        step, ``t_query``, ``t_grad``, ``t_update`` (T,) seconds, and for ``"halfspace"`` each counter of
        :class:`firesets.halfspace.HSRCounters` per step (``hsr_<name>``); ``t_init`` the structure's build.
    """
    if not isinstance(net, TwoLayerReLU):
        raise TypeError(f"net: expected a TwoLayerReLU, got {type(net).__name__}")
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    Xa = np.asarray(X)
    if Xa.ndim != 2 or Xa.shape[1] != net.d:
        raise ValueError(f"X: expected shape (n, {net.d}), got {Xa.shape}")
    X = np.ascontiguousarray(Xa, dtype=np.float64)
    if not np.all(np.isfinite(X)):
        raise ValueError("X: expected finite entries (no NaN or inf)")
    n = X.shape[0]
    y = check_vector(y, "y", length=n)
    eta = check_finite_real(eta, "eta", low=0.0, low_open=True)
    bt = np.asarray(batches)
    if bt.ndim != 2 or bt.shape[0] < 1 or bt.shape[1] < 1:
        raise ValueError(f"batches: expected a non-empty 2-D (T, B) array, got shape {bt.shape}")
    if bt.dtype == bool or not np.issubdtype(bt.dtype, np.integer):
        raise TypeError(f"batches: expected integer indices, got dtype {bt.dtype}")
    if bt.min() < 0 or bt.max() >= n:
        raise ValueError(f"batches: expected indices in [0, {n})")
    T, B = bt.shape
    W = net.W.copy()
    a = net.a.copy()
    b = net.b
    m = net.m
    log = {k: np.zeros(T) for k in ("U", "loss", "t_query", "t_grad", "t_update")}
    log["k"] = np.zeros((T, B), dtype=np.int64)
    log["U"] = np.zeros(T, dtype=np.int64)
    hs = tree = None
    t0 = time.perf_counter()
    if method == "halfspace":
        hs = HalfSpaceTree(W, **(hsr_kwargs or {}))
        hsr_names = list(hs.counters.as_dict())
        for k in hsr_names:
            log[f"hsr_{k}"] = np.zeros(T, dtype=np.int64)
    elif method == "balltree":
        tree = LiftedBallTree(W)
    elif method == "dtree":
        from firesets.trees import CorrelationDTree

        tree = CorrelationDTree(W, X)
    log["t_init"] = time.perf_counter() - t0
    H = np.empty((m, B)) if method == "dense" else None
    for t in range(T):
        idx = bt[t]
        XB = X[idx]
        yB = y[idx]
        if method == "dense":  # the book's one dense step (firesets.steps), on the batch
            t0 = time.perf_counter()
            loss, fire = dense_gd_step(W, XB, a, b, yB, eta, out=H)  # fire: (m, B)
            t1 = time.perf_counter()
            log["k"][t] = fire.sum(axis=0)
            log["U"][t] = int(fire.any(axis=1).sum())
            log["loss"][t] = loss
            log["t_query"][t], log["t_grad"][t], log["t_update"][t] = 0.0, t1 - t0, 0.0
            continue
        t0 = time.perf_counter()
        if method == "scan":
            qi, rr = np.nonzero(XB @ W.T > b)
            qi = qi.astype(np.int64)
            rr = rr.astype(np.int64)
        elif method == "halfspace":
            before = hs.counters.as_dict()
            qi, rr = hs.query_batch(XB, b)
        elif method == "balltree":
            qi, rr = tree.query_batch(XB, b)
        else:  # dtree: one QUERY per batch input (Algorithm 2 of the Bypass paper)
            res = [tree.query(int(i), b) for i in idx]
            qi = np.repeat(np.arange(B), [r.size for r in res]).astype(np.int64)
            rr = np.concatenate(res).astype(np.int64)
        t1 = time.perf_counter()
        U, rows, loss = sgd_step_pairs(W, a, b, XB, yB, eta, qi, rr)
        W[U] = rows
        t2 = time.perf_counter()
        if method == "halfspace":
            hs.update(U, rows)
            after = hs.counters.as_dict()
            for k in hsr_names:
                log[f"hsr_{k}"][t] = after[k] - before[k]
        elif method == "balltree":
            tree = LiftedBallTree(W)
        elif method == "dtree":
            tree.update_many(U, rows)
        t3 = time.perf_counter()
        log["k"][t] = np.bincount(qi, minlength=B)
        log["U"][t] = U.size
        log["loss"][t] = loss
        log["t_query"][t], log["t_grad"][t], log["t_update"][t] = t1 - t0, t2 - t1, t3 - t2
    if not record:
        log = {k: v for k, v in log.items() if k in ("k", "U", "loss")}
    return TwoLayerReLU(W, a, b), log
