"""Sparsity after initialization: the exact law, the Lemma 2.5 bound, Remark 2.6, samplers (Bypass paper, Section 2).

The worst direction on the sphere (the "for any input x" reading of Lemma 2.5) is in :mod:`firesets.worst_direction`.
Chapter: ``book/sparsity_at_init.md``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._validate import as_rng, check_finite_real, check_matrix, check_positive_int, check_unit_rows, check_vector

# ---------------------------------------------------------------------------------------------------------------
# Sparsity after initialization: exact law, the Lemma 2.5 bound, a derived Bernstein bound, samplers
# ---------------------------------------------------------------------------------------------------------------

__all__ = [
    "fire_probability",
    "expected_fire_count",
    "lemma25_bound",
    "exceed_probability",
    "exceed_log_probability",
    "bernstein_exponent",
    "bernstein_tail_bound",
    "bernstein_tail_bound_exact",
    "union_exceed_probability_independent",
    "constant_for_confidence",
    "fitted_exponent",
    "sample_fire_counts",
    "sample_fire_counts_data",
]


def _check_b_array(b, name: str = "b"):
    """Scalar or array of finite reals; returns (float ndarray, was_scalar)."""
    if isinstance(b, (numbers.Real, np.floating, np.integer)) and not isinstance(b, bool):
        return np.asarray(check_finite_real(b, name), dtype=np.float64), True
    arr = np.asarray(b)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name}: expected a finite real number or array of them, got {b!r}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite real numbers (no NaN or inf)")
    return arr, arr.ndim == 0


def fire_probability(b, x_norm: float = 1.0):
    """Exact probability that one neuron fires at initialization: ``Pr[<w, x> > b]`` for ``w ~ N(0, I_d)``.

    Parameters
    ----------
    b : float or array_like
        Threshold(s).
    x_norm : float
        ``||x||_2 >= 0``. ``<w, x> ~ N(0, ||x||^2)``, so the answer is ``Pr[N(0, 1) > b / ||x||]``
        (``1[0 > b]`` when ``x = 0``). Lemma 2.5 is about unit-norm inputs, ``x_norm = 1``.

    Returns
    -------
    float or ndarray
        ``p = erfc(b / (sqrt(2) ||x||)) / 2``, the Gaussian upper tail ``Q(b / ||x||)``.

    Notes
    -----
    For ``b >= 0``, ``Q(b) <= exp(-b^2/2) / 2`` and ``Q(b) ~ exp(-b^2/2) / (b sqrt(2 pi))`` as ``b -> inf`` (the
    Mills ratio); the ``1/b`` factor is what the bound ``m exp(-b^2/2)`` of Lemma 2.5 leaves out.
    """
    from scipy.special import ndtr

    arr, scalar = _check_b_array(b)
    s = check_finite_real(x_norm, "x_norm", low=0.0)
    if s == 0.0:
        out = (arr < 0).astype(np.float64)
    else:
        out = ndtr(-arr / s)
    return float(out) if scalar else out


def expected_fire_count(m: int, b, x_norm: float = 1.0):
    """``E[k] = m * Pr[N(0, ||x||^2) > b]``: the expected size of the fire set ``S_fire(x)`` at initialization."""
    m = check_positive_int(m, "m")
    return m * fire_probability(b, x_norm)


def lemma25_bound(m: int, b):
    """The quantity ``m exp(-b^2/2)`` of Lemma 2.5 (without the constant hidden in its ``O(.)``).

    With ``b = paper_threshold(m) = sqrt(0.4 ln m)`` it equals ``m^{4/5}`` (Remark 2.6).
    """
    m = check_positive_int(m, "m")
    arr, scalar = _check_b_array(b)
    out = m * np.exp(-(arr**2) / 2.0)
    return float(out) if scalar else out


def exceed_probability(m: int, b: float, c: float, x_norm: float = 1.0) -> float:
    """Exact ``Pr[k > c * m exp(-b^2/2)]`` for one input: ``k ~ Binomial(m, p)`` with ``p = fire_probability(b)``.

    The fire indicators ``1[<w_r, x> > b]`` of one fixed ``x`` are i.i.d. Bernoulli(``p``) over the neurons, so the
    fire count is exactly binomial; the tail is ``scipy.stats.binom.sf(floor(c B), m, p)``.

    Parameters
    ----------
    m : int
        Width, ``>= 1``.
    b : float
        Threshold.
    c : float
        The constant multiplying ``B = m exp(-b^2/2)``, ``c >= 0``.
    x_norm : float
        ``||x||``; 1 for the lemma.
    """
    from scipy.stats import binom

    m = check_positive_int(m, "m")
    b = check_finite_real(b, "b")
    c = check_finite_real(c, "c", low=0.0)
    p = fire_probability(b, x_norm)
    thr = math.floor(c * lemma25_bound(m, b))
    return float(binom.sf(thr, m, p))


def exceed_log_probability(m: int, b: float, c: float, x_norm: float = 1.0) -> float:
    """``ln Pr[k > c m exp(-b^2/2)]``, accurate far into the tail where the probability underflows.

    Uses ``scipy.stats.binom.logsf`` when it is finite and above ``-700``; otherwise, deep in the upper tail
    (threshold above the mean, where the pmf ratios ``pmf(j+1)/pmf(j) < 1`` decrease), the log-sum-exp of
    ``binom.logpmf`` over the first 4096 terms plus a geometric bound on the rest (relative error below
    ``1e-12`` whenever the first ratio is below ``1 - 1e-3``).
    """
    from scipy.special import logsumexp
    from scipy.stats import binom

    m = check_positive_int(m, "m")
    b = check_finite_real(b, "b")
    c = check_finite_real(c, "c", low=0.0)
    p = fire_probability(b, x_norm)
    thr = math.floor(c * lemma25_bound(m, b))
    if thr >= m:
        return -math.inf
    direct = float(binom.logsf(thr, m, p))
    if math.isfinite(direct) and direct > -700.0:
        return direct
    if p == 0.0:
        return -math.inf
    j = np.arange(thr + 1, min(m, thr + 4096) + 1)
    lp = binom.logpmf(j, m, p)
    total = float(logsumexp(lp))
    if j[-1] < m:  # the remaining terms shrink at least geometrically with the last ratio r
        r = (m - j[-1]) * p / ((j[-1] + 1) * (1.0 - p))
        if r < 1.0:
            total = float(np.logaddexp(total, lp[-1] + math.log(r / (1.0 - r))))
    return total


def bernstein_exponent(c):
    """The constant of our Bernstein form of Lemma 2.5: ``gamma(c) = 3 (c - 1/2)^2 / (2 (c + 1))`` for ``c > 1/2``.

    Statement (derived from Lemma A.3, Bernstein): for ``b >= 0``, a fixed unit-norm ``x`` and ``c > 1/2``,

    ``Pr[k > c B] <= exp(-gamma(c) B)``,  ``B = m exp(-b^2/2)``.

    Proof: ``k - mp = sum_r Z_r`` with ``Z_r = 1[<w_r, x> > b] - p`` i.i.d., mean 0, ``|Z_r| <= 1``,
    ``E Z_r^2 = p(1-p) <= p``. Since ``Q(b) <= exp(-b^2/2)/2`` for ``b >= 0``, ``mp <= B/2`` and
    ``t = cB - mp >= (c - 1/2) B > 0``. Bernstein gives ``exp(-(t^2/2) / (mp + t/3))``; the exponent grows with
    ``t`` and shrinks with ``mp``, so it is smallest at ``mp = B/2``, where it equals ``gamma(c) B``. With ``n``
    inputs, a union bound gives ``Pr[max_i k_i > c B] <= n exp(-gamma(c) B)``. ``gamma(1) = 3/16``.
    """
    arr, scalar = _check_b_array(c, "c")
    if np.any(arr <= 0.5):
        raise ValueError("c: expected values > 1/2 (the bound needs c B above the mean, which can reach B/2)")
    out = 3.0 * (arr - 0.5) ** 2 / (2.0 * (arr + 1.0))
    return float(out) if scalar else out


def bernstein_tail_bound(m: int, b: float, c: float) -> float:
    """Our derived Lemma 2.5 bound ``exp(-gamma(c) m exp(-b^2/2))`` on ``Pr[k > c m exp(-b^2/2)]`` (``b >= 0``).

    See :func:`bernstein_exponent` for the statement and proof.
    """
    m = check_positive_int(m, "m")
    b = check_finite_real(b, "b", low=0.0)
    return float(math.exp(-bernstein_exponent(c) * lemma25_bound(m, b)))


def bernstein_tail_bound_exact(m: int, b: float, c: float) -> float:
    """Lemma A.3 (Bernstein) applied with the exact ``p``: ``exp(-(t^2/2)/(m p (1-p) + t/3))``, ``t = cB - mp``.

    Returns 1 when ``c B <= m p`` (Bernstein says nothing below the mean).
    """
    m = check_positive_int(m, "m")
    b = check_finite_real(b, "b")
    c = check_finite_real(c, "c", low=0.0)
    p = fire_probability(b)
    t = c * lemma25_bound(m, b) - m * p
    if t <= 0:
        return 1.0
    return float(math.exp(-(t * t / 2.0) / (m * p * (1.0 - p) + t / 3.0)))


def union_exceed_probability_independent(m: int, b: float, c: float, n: int) -> float:
    """Exact ``Pr[max_i k_i > c m exp(-b^2/2)]`` for ``n`` orthonormal inputs (``d >= n``).

    For orthonormal ``x_1..x_n`` the pre-activations ``<w_r, x_i>`` are independent ``N(0, 1)``, so the ``k_i``
    are independent ``Binomial(m, p)``: the answer is ``1 - (1 - q)^n`` with ``q`` = :func:`exceed_probability`.
    The union bound ``n q`` holds for any ``n`` unit inputs.
    """
    n = check_positive_int(n, "n")
    q = exceed_probability(m, b, c)
    return float(-math.expm1(n * math.log1p(-q))) if q < 1.0 else 1.0


def constant_for_confidence(m: int, b: float, delta: float, n: int = 1) -> float:
    """The smallest ``c`` with ``Pr[max_i k_i > c m exp(-b^2/2)] <= delta`` by the union bound over ``n`` inputs.

    Exact per input: ``c = binom.isf(delta / n, m, p) / B`` (the measured constant hidden by Lemma 2.5's
    ``O(.)`` at confidence ``1 - delta``).
    """
    from scipy.stats import binom

    m = check_positive_int(m, "m")
    b = check_finite_real(b, "b")
    delta = check_finite_real(delta, "delta", low=0.0, high=1.0, low_open=True, high_open=True)
    n = check_positive_int(n, "n")
    p = fire_probability(b)
    return float(binom.isf(delta / n, m, p) / lemma25_bound(m, b))


def fitted_exponent(ms, ks) -> float:
    """Least-squares slope of ``ln k`` against ``ln m`` (the exponent ``alpha`` in ``k ~ C m^alpha``)."""
    ms = check_vector(ms, "ms")
    ks = check_vector(ks, "ks", length=ms.shape[0])
    if ms.shape[0] < 2 or np.any(ms <= 0) or np.any(ks <= 0):
        raise ValueError("ms, ks: expected at least two points with positive m and k")
    return float(np.polyfit(np.log(ms), np.log(ks), 1)[0])


def sample_fire_counts(m: int, b: float, size=None, rng=0, x_norm: float = 1.0) -> np.ndarray:
    """Sample fire counts ``k = |S_fire(x)|`` at initialization for one fixed input, in O(1) per draw.

    ``k`` is exactly ``Binomial(m, p)``, ``p = Pr[N(0, ||x||^2) > b]``: the neurons are i.i.d. For ``n``
    orthonormal inputs the ``n`` counts are independent, so ``size=(seeds, n)`` samples them jointly as well.

    Parameters
    ----------
    m : int
        Width, ``>= 1``.
    b : float
        Threshold.
    size : int or tuple of int, optional
        Output shape (``None``: a single count as a 0-d array).
    rng : int or numpy.random.Generator
    x_norm : float
        ``||x||``.

    Returns
    -------
    ndarray of int64
    """
    m = check_positive_int(m, "m")
    p = fire_probability(check_finite_real(b, "b"), x_norm)
    gen = as_rng(rng)
    if size is not None:
        shape = (size,) if isinstance(size, (numbers.Integral, np.integer)) else tuple(size)
        for s in shape:
            check_positive_int(s, "size")
        size = shape
    return np.asarray(gen.binomial(m, p, size=size), dtype=np.int64)


def sample_fire_counts_data(X, m: int, b: float, seeds: int = 1, rng=0, chunk: int = 2**17) -> np.ndarray:
    """Sample the fire counts ``k_i`` of ``n`` fixed unit-norm inputs under one Gaussian ``W``, never forming ``W``.

    The pre-activations ``(<w_r, x_1>, ..., <w_r, x_n>)`` of one neuron are ``N(0, X X^T)``, i.i.d. over ``r``.
    With the thin QR factorization ``X^T = Q R`` (``R`` is ``q x n``, ``q = min(n, d)``), ``X X^T = R^T R``, so
    ``g R`` with ``g ~ N(0, I_q)`` has exactly that law. We draw ``g`` for ``chunk`` neurons at a time: time
    ``O(m n q)``, memory ``O(chunk (n + q))``, and the ``m x d`` matrix ``W`` is never built.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs with unit Euclidean norm (the setting of Lemma 2.5).
    m : int
        Width.
    b : float
        Threshold.
    seeds : int
        Number of independent initializations.
    rng : int or numpy.random.Generator
    chunk : int
        Neurons per block.

    Returns
    -------
    ndarray of int64, shape (seeds, n)
        ``k_i`` for each initialization and input (Definition 2.4, ``t = 0``).
    """
    X = check_matrix(X, "X")
    check_unit_rows(X, "X", atol=1e-6)
    m = check_positive_int(m, "m")
    b = check_finite_real(b, "b")
    seeds = check_positive_int(seeds, "seeds")
    chunk = check_positive_int(chunk, "chunk")
    gen = as_rng(rng)
    R = np.linalg.qr(X.T, mode="r")  # (q, n), R^T R = X X^T
    q, n = R.shape
    out = np.zeros((seeds, n), dtype=np.int64)
    for s in range(seeds):  # loops over seeds and blocks of neurons only; each block is whole-batch
        done = 0
        while done < m:
            c = min(chunk, m - done)
            G = gen.standard_normal((c, q))
            out[s] += np.count_nonzero(G @ R > b, axis=0)
            done += c
    return out
