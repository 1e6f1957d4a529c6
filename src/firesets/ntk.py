"""The neural tangent kernel of 2NN(m, b): its Gram matrix on the data, lambda, and a learning rate from it."""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr, owens_t

from ._validate import as_rng, check_finite_real, check_matrix, check_positive_int, check_unit_rows

__all__ = [
    "orthant_prob",
    "ntk_gram",
    "ntk_gram_mc",
    "empirical_gram",
    "ntk_eigs",
    "learning_rate",
    "predicted_loss",
]


def orthant_prob(rho, b: float) -> np.ndarray:
    """``Pr[Z_1 > b, Z_2 > b]`` for a standard bivariate normal with correlation ``rho`` (elementwise).

    Closed form by Owen's T function: ``Pr = Phi(-b) - 2 T(b, sqrt((1 - rho) / (1 + rho)))``, the equal-limits
    case of Owen (1956), eq. (3.1); ``rho = -1`` gives ``max(0, Phi(-b) - Phi(b))``.
    """
    b = check_finite_real(b, "b")
    rho = np.asarray(rho, dtype=np.float64)
    if not np.all(np.isfinite(rho)) or np.any(np.abs(rho) > 1 + 1e-12):
        raise ValueError("rho: expected finite correlations in [-1, 1]")
    rho = np.clip(rho, -1.0, 1.0)
    neg = rho <= -1.0
    a = np.sqrt((1.0 - rho) / np.where(neg, 1.0, 1.0 + rho))
    p = ndtr(-b) - 2.0 * owens_t(b, a)
    p = np.where(neg, max(0.0, float(ndtr(-b) - ndtr(b))), p)
    return np.clip(p, 0.0, 1.0)


def _check_X(X) -> np.ndarray:
    X = check_matrix(X, "X")
    return check_unit_rows(X, "X", atol=1e-6)


def ntk_gram(X, b: float) -> np.ndarray:
    """The infinite-width NTK Gram matrix of the shifted ReLU on unit-norm data.

    ``H_ij = <x_i, x_j> Pr_{w ~ N(0, I_d)}[<w, x_i> > b, <w, x_j> > b]``, the limit of
    ``H(W)_ij = m^{-1} sum_r <x_i, x_j> 1[<w_r, x_i> > b] 1[<w_r, x_j> > b]`` (the kernel of [SYZ21]/[DZPS19] with the
    shifted indicator). For unit ``x_i, x_j`` the pair ``(<w, x_i>, <w, x_j>)`` is standard bivariate normal with
    correlation ``<x_i, x_j>``, so the probability is :func:`orthant_prob`.

    Parameters
    ----------
    X : ndarray (n, d)
        Unit-norm rows.
    b : float
        Threshold.

    Returns
    -------
    ndarray (n, n)
        Symmetric positive semi-definite Gram matrix.
    """
    X = _check_X(X)
    b = check_finite_real(b, "b")
    G = np.clip(X @ X.T, -1.0, 1.0)
    np.fill_diagonal(G, 1.0)
    return G * orthant_prob(G, b)


def empirical_gram(W, X, b: float) -> np.ndarray:
    """The finite-width Gram ``H(W)_ij = m^{-1} <x_i, x_j> #{r : <w_r, x_i> > b and <w_r, x_j> > b}``."""
    W = check_matrix(W, "W")
    X = check_matrix(X, "X", cols=W.shape[1])
    b = check_finite_real(b, "b")
    F = (X @ W.T > b).astype(np.float64)  # (n, m)
    return (X @ X.T) * (F @ F.T) / W.shape[0]


def ntk_gram_mc(X, b: float, samples: int = 100_000, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo estimate of :func:`ntk_gram` with standard errors: ``samples`` draws ``w ~ N(0, I_d)``.

    Returns ``(H_hat, se)``, both ``(n, n)``; ``se`` is the binomial standard error times ``|<x_i, x_j>|``.
    """
    X = _check_X(X)
    b = check_finite_real(b, "b")
    samples = check_positive_int(samples, "samples", minimum=2)
    W = as_rng(rng).standard_normal((samples, X.shape[1]))
    F = (X @ W.T > b).astype(np.float64)
    p = F @ F.T / samples
    G = X @ X.T
    return G * p, np.abs(G) * np.sqrt(p * (1 - p) / samples)


def ntk_eigs(H) -> tuple[float, float]:
    """``(lambda_min, lambda_max)`` of a symmetric Gram matrix (``lambda = lambda_min`` in the paper)."""
    H = check_matrix(H, "H")
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"H: expected a square matrix, got shape {H.shape}")
    ev = np.linalg.eigvalsh((H + H.T) / 2)
    return float(ev[0]), float(ev[-1])


def learning_rate(H, safety: float = 1.0) -> float:
    """The step size ``eta = safety / lambda_max(H)``.

    Linearized GD on the squared loss, ``err(t+1) = (I - eta H) err(t)``, is stable iff ``eta < 2 / lambda_max`` and
    contracts every eigen-direction monotonically iff ``eta <= 1 / lambda_max``; then
    ``||err(t)||^2 <= (1 - eta lambda)^{2t} ||err(0)||^2 <= (1 - eta lambda / 2)^t ||err(0)||^2``, the hypothesis of
    Claim A.1. ``safety`` scales the choice (``safety < 2`` for stability).
    """
    safety = check_finite_real(safety, "safety", low=0.0, low_open=True)
    _, lmax = ntk_eigs(H)
    if lmax <= 0:
        raise ValueError("H: expected a Gram matrix with a positive largest eigenvalue")
    return safety / lmax


def predicted_loss(loss0: float, eta: float, lam: float, T: int) -> np.ndarray:
    """The paper's rate ``L(t) <= (1 - eta lambda / 2)^t L(0)``, ``t = 0..T`` (hypothesis of Claim A.1)."""
    loss0 = check_finite_real(loss0, "loss0", low=0.0)
    eta = check_finite_real(eta, "eta", low=0.0, low_open=True)
    lam = check_finite_real(lam, "lam", low=0.0)
    T = check_positive_int(T, "T", minimum=0)
    q = 1.0 - eta * lam / 2
    if q < 0:
        raise ValueError(f"eta: expected eta * lam <= 2, got {eta * lam}")
    return loss0 * q ** np.arange(T + 1)
