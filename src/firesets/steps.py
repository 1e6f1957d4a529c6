"""One gradient-descent step on 2NN(m, b), twice: sparse (Algorithm 8 of the Bypass paper) and dense.

Chapter: ``book/training_with_trees.md``. :func:`sparse_gd_step` is the readable reference: Algorithm 8 written
out in numpy on the public API of a correlation tree. The tuned steppers of :mod:`firesets.steppers` are tested
equal to it; :func:`dense_gd_step` is the best dense step we know how to write, the baseline of the benchmark.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from .network import hidden_layer, output_layer

__all__ = ["StepRecord", "sparse_forward", "sparse_gd_step", "dense_gd_step"]


@dataclass
class StepRecord:
    """What one GD step saw: the state ``W(t)`` *before* the step.

    Attributes
    ----------
    loss : float
        ``L(W(t))`` of Definition 2.1.
    i, r : int64 arrays (k,)
        The firing pairs ``<w_r(t), x_i> > b`` (strict), sorted by ``(r, i)`` (neuron-major).
    U : int64 array
        The union of the fire sets, sorted: the only neurons whose gradient row can be nonzero.
    counters : dict
        Operation counts of the step (what Theorems 4.1/4.2 count; ``{}`` when not counted).
    phases : dict
        Seconds per phase (``{}`` when not timed).
    """

    loss: float
    i: np.ndarray
    r: np.ndarray
    U: np.ndarray
    counters: dict = field(default_factory=dict)
    phases: dict = field(default_factory=dict)


def sparse_forward(i, r, p, a, b, n):
    """The forward pass on the firing pairs only: ``f(x_i) = m^{-1/2} sum_{r in S_i,fire} a_r (p - b)``.

    Algorithm 8, line 13, with the inner products ``p = <w_r, x_i>`` read from the structure (no recomputation);
    ``i, r, p`` are the pairs above ``b``. Returns the ``n`` predictions (zero where no neuron fires).
    """
    return np.bincount(i, weights=a[r] * (p - b), minlength=n) / math.sqrt(a.shape[0])


def sparse_gd_step(tree, a, b, y, eta) -> StepRecord:
    """One GD step ``W <- W - eta dL/dW`` driven by a correlation tree: Algorithm 8 (DTree) / 9 (WTree).

    Parameters
    ----------
    tree : CorrelationDTree or CorrelationWTree
        Holds ``W`` and ``X``; updated in place (its ``W`` becomes ``W(t+1)``).
    a : ndarray (m,)
        Output weights (fixed). ``b`` : float, the threshold. ``y`` : ndarray (n,), the labels.
    eta : float
        Learning rate.

    Returns
    -------
    StepRecord
        The loss and firing pairs of ``W(t)`` and the union ``U``.

    Notes
    -----
    Only the public API of the trees is used (``query_all``, ``X``, ``add_many``). Algorithm 8 writes
    ``M = X diag(y - u)``, ``Delta W = M P`` and ``W <- W - eta Delta W``: that *ascends* the loss (sign
    erratum, see the chapter's errata); we descend. Algorithm 8 recomputes ``<w_r, x_i>`` for the forward pass;
    we read them from the tree. No validation here: the steppers validate once at construction.
    """
    m, n = tree.m, tree.n
    i, r, p = tree.query_all(b, order="neuron", values=True)  # QUERY: every pair <w_r, x_i> > b
    err = sparse_forward(i, r, p, a, b, n) - y               # forward on fired pairs, residuals f(x_i) - y_i
    U, j = np.unique(r, return_inverse=True)                 # U: neurons firing on some x_i (all others: 0 rows)
    G = np.zeros((U.size, n))
    G[j, i] = a[r] * err[i] / math.sqrt(m)                   # backward: dL/dw_r = sum_i G[r, i] x_i
    tree.add_many(U, -eta * (G @ tree.X))                    # descend on the fired rows; UPDATE repairs the tree
    return StepRecord(0.5 * float(err @ err), i, r, U)


@njit(cache=True, fastmath=True)  # the d-loop vectorized
def add_rows_CX(W, C, X):
    """``W[r] += sum_i C[r, i] X[i]`` for every row ``r``, in place: the dense update, one pass over ``W``."""
    m, n = C.shape
    d = X.shape[1]
    for r in range(m):
        for i in range(n):
            c = C[r, i]
            for j in range(d):
                W[r, j] += c * X[i, j]


def dense_gd_step(W, X, a, b, y, eta, out=None):
    """The best dense GD step: ``W <- W - eta dL/dW`` in place, two BLAS products (Definition 2.1, Section 2).

    Parameters
    ----------
    W : C-contiguous float64 array (m, d)
        Updated in place.
    X, a, b, y, eta
        Data (n, d), output weights, threshold, labels, learning rate.
    out : float64 array (m, n), optional
        A buffer for the hidden layer, reused across steps.

    Returns
    -------
    loss : float
        ``L(W(t))`` before the step.
    F : bool array (m, n)
        The fire mask of ``W(t)``: ``F[r, i] = <w_r, x_i> > b``.

    Notes
    -----
    ``H = sigma_b(W X^T)`` by :func:`firesets.network.hidden_layer` (the ``W @ X.T`` orientation: one row of
    ``H`` per neuron); the coefficient matrix ``C = -eta m^{-1/2} a (f - y)^T * F`` (all scalings folded into
    the ``m x n`` matrix) is written over ``H``; ``W += C X`` is :func:`add_rows_CX`, one compiled pass over
    ``W``, for ``n <= 8``, and one BLAS product per block of 1024 rows beyond (no ``m x d`` temporary). Both
    replaced ``dgemm`` with ``beta = 1`` on the Fortran view ``W^T``, which with one BLAS thread ran 4-7x slower
    than either at ``m = 2^20, n >= 4, d = 64`` (measured on this project's 2-core machine). The gradient uses the strict indicator
    ``1[<w_r, x_i> > b]``; the paper writes ``>=`` (the two differ only where ``sigma_b`` has a kink).
    """
    H = hidden_layer(W, X, b, out=out)
    err = output_layer(H, a) - y
    F = H > 0
    np.multiply(F, err, out=H)
    H *= (-eta / math.sqrt(W.shape[0]) * a)[:, None]
    if X.shape[0] <= 8:  # W += C X: one compiled pass over W for small n, cache-sized BLAS blocks beyond
        add_rows_CX(W, H, X)
    else:
        tmp = np.empty((1024, X.shape[1]))
        for s in range(0, W.shape[0], 1024):  # a loop over blocks of 1024 neurons, each one BLAS product
            e = min(s + 1024, W.shape[0])
            W[s:e] += np.matmul(H[s:e], X, out=tmp[: e - s])
    return 0.5 * float(err @ err), F
