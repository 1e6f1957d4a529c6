"""Datasets for the training chapters: unit-norm synthetic inputs and scikit-learn's digits (offline), with labels in {-s, +s}."""
from __future__ import annotations

import numpy as np

from ._validate import as_rng, check_finite_real, check_positive_int

__all__ = ["synthetic", "digits", "normalize_rows", "mean_abs_correlation"]


def normalize_rows(X) -> np.ndarray:
    """Each row divided by its Euclidean norm; raises ``ValueError`` on a zero row."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X: expected a 2-D array, got shape {X.shape}")
    nrm = np.linalg.norm(X, axis=1)
    if np.any(nrm == 0) or not np.all(np.isfinite(nrm)):
        raise ValueError("X: expected non-zero finite rows")
    return X / nrm[:, None]


def _labels(n: int, scale: float, gen: np.random.Generator) -> np.ndarray:
    return scale * np.where(gen.integers(0, 2, size=n) == 1, 1.0, -1.0)


def synthetic(n: int, d: int, label_scale: float = 1.0, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform on the unit sphere of ``R^d`` and labels uniform in ``{-label_scale, +label_scale}``.

    The inputs are normalized Gaussians, ``x = g / ||g||``; the labels are independent of them (a memorization
    task, the setting of the convergence theory [DZPS19]). Draw order: inputs, then labels.
    """
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    label_scale = check_finite_real(label_scale, "label_scale", low=0.0, low_open=True)
    gen = as_rng(rng)
    X = normalize_rows(gen.standard_normal((n, d)))
    return X, _labels(n, label_scale, gen)


def digits(n: int, label_scale: float = 1.0, center: bool = False, rng=0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images of scikit-learn's 8x8 digits (``load_digits``, shipped with the package: no download).

    Inputs are the 64 pixel intensities normalized to unit norm (``center=True`` first subtracts the mean image of
    the whole set). Labels are ``+label_scale`` for even digits and ``-label_scale`` for odd ones. The ``n`` images
    are a uniform sample without replacement from the 1797, drawn with ``rng``.

    Pixel intensities are non-negative, so the raw inputs are strongly correlated (all ``<x_i, x_j> >= 0``).
    """
    from sklearn.datasets import load_digits

    n = check_positive_int(n, "n")
    label_scale = check_finite_real(label_scale, "label_scale", low=0.0, low_open=True)
    D = load_digits()
    N = D.data.shape[0]
    if n > N:
        raise ValueError(f"n: expected at most {N} images, got {n}")
    idx = np.sort(as_rng(rng).choice(N, size=n, replace=False))
    A = D.data.astype(np.float64)
    if center:
        A = A - A.mean(axis=0)
    X = normalize_rows(A[idx])
    y = label_scale * np.where(D.target[idx] % 2 == 0, 1.0, -1.0)
    return X, y


def mean_abs_correlation(X) -> float:
    """Mean of ``|<x_i, x_j>|`` over pairs ``i < j`` (0 for a single point)."""
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if n < 2:
        return 0.0
    G = X @ X.T
    iu = np.triu_indices(n, 1)
    return float(np.mean(np.abs(G[iu])))
