"""The worst input direction for one drawn ``W``: how many neurons can fire on some unit ``x`` (Lemma 2.5, "for any x").

Lemma 2.5 of the Bypass paper bounds the fire count of each *fixed* input (probability over ``W``); this module asks
for the supremum over the unit sphere for a drawn ``W``: a certified lower bound in any dimension
(:func:`worst_direction_search`) and the exact value in ``d = 2`` (:func:`worst_direction_exact_2d`).
A third tool, :func:`subset_direction`, certifies a lower bound by construction: the minimum-norm ``x`` that puts a
chosen set of neurons above ``b`` (it needs ``d`` larger than the set); it lets ``d`` grow with ``m``.
Chapter: ``book/sparsity_at_init.md`` (Experiment 5).
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import as_rng, check_finite_real, check_matrix, check_positive_int

__all__ = ["worst_direction_search", "worst_direction_exact_2d", "subset_direction"]


def worst_direction_search(W, b: float, *, restarts: int = 32, steps: int = 150, X0=None, rng=0):
    """Search the unit sphere for an input ``x`` with many firing neurons: a lower bound on ``max_x k(x)``.

    Lemma 2.5 bounds the fire count of each *fixed* ``x`` (probability over ``W``). This search asks the other
    question: for one drawn ``W``, how large can ``|{r : <w_r, x> > b}|`` be over all unit ``x``?

    Method: projected gradient ascent, batched over ``restarts`` starting points, on the smooth count
    ``F_tau(x) = sum_r sigmoid((<w_r, x> - b) / tau)`` restricted to ``||x|| = 1``, with the temperature ``tau``
    annealed geometrically from 0.5 to 0.01; then a polishing step that moves ``x`` to the normalized mean of its
    fire set while that does not lower the exact count. Starting points: the rows of ``X0`` (e.g. the data),
    normalized rows of ``W`` and random directions. Every candidate is scored by its exact count; the best is
    returned, so the result is a certified lower bound on the supremum (not the supremum itself).

    Parameters
    ----------
    W : array_like, shape (m, d)
        Hidden weights.
    b : float
        Threshold.
    restarts : int
        Number of random/neuron-aligned starting points (besides ``X0``).
    steps : int
        Gradient steps.
    X0 : array_like, shape (n0, d), optional
        Extra starting points (unit norm after normalization; zero rows are rejected).
    rng : int or numpy.random.Generator

    Returns
    -------
    x : ndarray, shape (d,)
        A unit vector.
    k : int
        Its exact fire count ``|{r : <w_r, x> > b}|``.
    """
    W = check_matrix(W, "W")
    b = check_finite_real(b, "b")
    restarts = check_positive_int(restarts, "restarts")
    steps = check_positive_int(steps, "steps", minimum=0)
    gen = as_rng(rng)
    m, d = W.shape
    starts = []
    if X0 is not None:
        X0 = check_matrix(X0, "X0", cols=d)
        nrm = np.linalg.norm(X0, axis=1)
        if np.any(nrm == 0):
            raise ValueError("X0: expected non-zero rows")
        starts.append(X0 / nrm[:, None])
    half = restarts // 2
    rows = gen.choice(m, size=min(half, m), replace=False)
    starts.append(W[rows])
    starts.append(gen.standard_normal((restarts - rows.size, d)))
    Xc = np.concatenate(starts, axis=0)
    Xc /= np.linalg.norm(Xc, axis=1, keepdims=True)

    best_X, best_k = Xc.copy(), np.zeros(Xc.shape[0], dtype=np.int64) - 1
    taus = 0.5 * (0.01 / 0.5) ** (np.arange(steps + 1) / max(steps, 1))
    lr = 0.05
    for step, tau in enumerate(taus):
        P = Xc @ W.T  # one product per step: scores the current points and gives the gradient
        k = np.count_nonzero(P > b, axis=1)
        better = k > best_k
        best_X[better], best_k[better] = Xc[better], k[better]
        if step == steps:
            break
        S = 0.5 * (1.0 + np.tanh(0.5 * (P - b) / tau))  # numerically safe sigmoid((P - b) / tau)
        G = (S * (1.0 - S) / tau) @ W  # gradient of F_tau, (R, d)
        G -= np.sum(G * Xc, axis=1, keepdims=True) * Xc  # tangent to the sphere
        gn = np.linalg.norm(G, axis=1, keepdims=True)
        Xc = Xc + lr * G / np.where(gn > 0, gn, 1.0)
        Xc /= np.linalg.norm(Xc, axis=1, keepdims=True)
    # polish: x <- normalized mean of its fire set, kept only if the exact count grows
    Xp = best_X.copy()
    for _ in range(10):
        M = (Xp @ W.T > b).astype(np.float64) @ W
        nm = np.linalg.norm(M, axis=1, keepdims=True)
        ok = nm[:, 0] > 0
        Xp[ok] = M[ok] / nm[ok]
        k = np.count_nonzero(Xp @ W.T > b, axis=1)
        better = k > best_k
        best_X[better], best_k[better] = Xp[better], k[better]
    j = int(np.argmax(best_k))
    return best_X[j].copy(), int(best_k[j])


def worst_direction_exact_2d(W, b: float):
    """Exact ``max_{||x|| = 1} |{r : <w_r, x> > b}|`` for ``d = 2``, by an angular sweep (oracle for the search).

    Neuron ``r`` with ``w_r = rho_r (cos phi_r, sin phi_r)`` fires at ``x = (cos theta, sin theta)`` iff
    ``rho_r cos(theta - phi_r) > b``: an open arc of half-width ``arccos(b / rho_r)`` around ``phi_r`` (empty when
    ``rho_r <= b``, the whole circle when ``rho_r < -b``). The maximum overlap of open arcs is found by sorting
    the ``2m`` endpoints (ends before starts at ties). Time ``O(m log m)``.

    Returns
    -------
    x : ndarray, shape (2,)
        A unit vector attaining the maximum (midpoint of a deepest interval).
    k : int
        The maximum count.
    """
    W = check_matrix(W, "W", cols=2)
    b = check_finite_real(b, "b")
    rho = np.hypot(W[:, 0], W[:, 1])
    phi = np.arctan2(W[:, 1], W[:, 0])
    always = rho < -b
    arcs = (rho > b) & ~always
    alpha = np.arccos(np.clip(b / np.where(arcs, rho, 1.0), -1.0, 1.0))[arcs]
    two_pi = 2.0 * math.pi
    s = np.mod(phi[arcs] - alpha, two_pi)
    e = s + 2.0 * alpha
    wrap = e > two_pi
    starts = np.concatenate([s, np.zeros(int(wrap.sum()))])
    ends = np.concatenate([np.where(wrap, two_pi, e), e[wrap] - two_pi])
    pos = np.concatenate([starts, ends])
    kind = np.concatenate([np.ones(starts.size, dtype=np.int64), -np.ones(ends.size, dtype=np.int64)])
    order = np.lexsort((kind, pos))  # by position, ends (-1) before starts (+1)
    depth = np.cumsum(kind[order])
    base = int(always.sum())
    if depth.size == 0:
        return np.array([1.0, 0.0]), base
    j = int(np.argmax(depth))
    lo = pos[order][j]
    hi = pos[order][j + 1] if j + 1 < pos.size else two_pi
    theta = 0.5 * (lo + hi)
    return np.array([math.cos(theta), math.sin(theta)]), base + int(depth[j])


def subset_direction(W, b: float, *, margin: float = 1e-9, rng=0):
    """A certified lower bound on ``max_{||x|| = 1} |{r : <w_r, x> > b}|`` by a minimum-norm construction.

    For a set ``S`` of neurons whose rows ``W_S`` are linearly independent, the minimum-norm solution of
    ``W_S x = b' 1`` (``b' = b + margin``, ``b > 0``) is ``x_S = W_S^T (W_S W_S^T)^{-1} b' 1`` with
    ``||x_S||^2 = b'^2 1^T (W_S W_S^T)^{-1} 1``. If ``||x_S|| <= 1`` then ``x = x_S / ||x_S||`` is a unit vector on
    which every neuron of ``S`` fires (``<w_r, x> = b' / ||x_S|| > b``). The neurons are taken in a random order;
    for the prefixes ``S_s`` of that order one Cholesky factor ``L`` of the Gram matrix of the first ``s_max``
    rows gives every ``||x_{S_s}||^2 = b'^2 ||L_s^{-1} 1||^2`` at once (a prefix of a Cholesky factor is the
    factor of the prefix), and the largest ``s`` with ``||x_{S_s}|| <= 1`` is used. For Gaussian rows
    ``||x_S||^2 ~ b'^2 s / (d - s)``, so ``s ~ d / (1 + b^2)``: every neuron fires once ``d >~ (1 + b^2) m``.

    The returned count is the exact count of the returned unit ``x`` (it may exceed ``s``), so the result is a
    certified lower bound on the supremum in any dimension. Not in the paper: it tests the "every ``x`` on the
    sphere" reading of Lemma 2.5 when ``d`` grows with ``m``. Time ``O(s_max^2 d + s_max^3)``,
    ``s_max = min(m, d - 1)``.

    Parameters
    ----------
    W : array_like, shape (m, d)
        Hidden weights.
    b : float
        Threshold, ``> 0``.
    margin : float
        ``b' - b > 0``.
    rng : int or numpy.random.Generator
        Order of the neurons.

    Returns
    -------
    x : ndarray, shape (d,)
        A unit vector (the first coordinate axis if no prefix qualifies).
    k : int
        Its exact fire count.
    s : int
        The size of the constructed set (every neuron of it fires on ``x``).
    """
    W = check_matrix(W, "W")
    b = check_finite_real(b, "b", low=0.0, low_open=True)
    margin = check_finite_real(margin, "margin", low=0.0, low_open=True)
    gen = as_rng(rng)
    m, d = W.shape
    smax = min(m, d - 1)
    x = np.zeros(d)
    x[0] = 1.0
    if smax < 1:
        return x, int(np.count_nonzero(W @ x > b)), 0
    order = gen.permutation(m)[:smax]
    WS = W[order]
    G = WS @ WS.T
    try:
        L = np.linalg.cholesky(G)
    except np.linalg.LinAlgError:  # numerically dependent rows: keep the largest stable prefix
        ev = np.linalg.eigvalsh(G)
        raise ValueError(f"W: rows not linearly independent enough (smallest Gram eigenvalue {ev[0]:.3g})")
    from scipy.linalg import solve_triangular

    z = solve_triangular(L, np.ones(smax), lower=True)
    bp = b + margin
    norm2 = bp * bp * np.cumsum(z * z)
    ok = np.flatnonzero(norm2 <= 1.0)
    if ok.size == 0:
        return x, int(np.count_nonzero(W @ x > b)), 0
    s = int(ok[-1]) + 1
    y = solve_triangular(L[:s, :s], z[:s], lower=True, trans="T")  # (W_S W_S^T)^{-1} 1 on the prefix
    xs = bp * (WS[:s].T @ y)
    x = xs / np.linalg.norm(xs)
    return x, int(np.count_nonzero(W @ x > b)), s
