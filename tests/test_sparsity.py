"""Tests of firesets.sparsity against independent oracles: loops over neurons, math.erfc, exact binomial sums."""
import math

import numpy as np
import pytest

from firesets import TwoLayerReLU
from firesets import firing
from firesets import sparsity as sp

# ---------------------------------------------------------------------------------------------------------------
# exact probabilities: closed forms written with math.erfc and exact binomial sums with math.comb
# ---------------------------------------------------------------------------------------------------------------


def _Q(z):
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _binom_sf_exact(k, m, p):
    # Pr[Binomial(m, p) > k] by summing the pmf in exact integer binomials
    return sum(math.comb(m, j) * p**j * (1 - p) ** (m - j) for j in range(k + 1, m + 1))


@pytest.mark.parametrize("b", [-1.5, -0.2, 0.0, 0.3, 1.0, 2.5, 4.0, 6.0])
@pytest.mark.parametrize("s", [0.5, 1.0, 2.0])
def test_fire_probability_closed_form(b, s):
    assert sp.fire_probability(b, s) == pytest.approx(_Q(b / s), rel=1e-12, abs=1e-300)
    assert sp.expected_fire_count(1000, b, s) == pytest.approx(1000 * _Q(b / s), rel=1e-12, abs=1e-300)


def test_fire_probability_array_and_zero_norm():
    bs = np.array([0.0, 1.0, 2.0])
    np.testing.assert_allclose(sp.fire_probability(bs), [_Q(v) for v in bs], rtol=1e-12)
    assert sp.fire_probability(0.5, 0.0) == 0.0 and sp.fire_probability(-0.5, 0.0) == 1.0
    assert sp.fire_probability(0.0, 0.0) == 0.0  # <w, 0> = 0 is not > 0 (strict)


def test_gaussian_tail_below_half_exp_and_mills_ratio():
    # the fact the derived Bernstein bound uses: Q(b) <= exp(-b^2/2) / 2 for b >= 0
    for b in np.linspace(0.0, 8.0, 161):
        assert _Q(b) <= 0.5 * math.exp(-b * b / 2) * (1 + 1e-12)
    # and what Lemma 2.5 leaves out: Q(b) exp(b^2/2) b sqrt(2 pi) -> 1
    b = 8.0
    assert sp.fire_probability(b) * math.exp(b * b / 2) * b * math.sqrt(2 * math.pi) == pytest.approx(1, abs=0.02)


def test_lemma25_bound_at_paper_threshold():
    from firesets import paper_threshold

    for m in [2**8, 2**16, 2**24]:
        assert sp.lemma25_bound(m, paper_threshold(m)) == pytest.approx(m**0.8, rel=1e-12)
    assert sp.lemma25_bound(10, 1.0) == pytest.approx(10 * math.exp(-0.5), rel=1e-15)


@pytest.mark.parametrize("m,b,c", [(50, 1.0, 0.3), (50, 1.0, 0.5), (200, 1.5, 0.8), (200, 0.5, 0.2), (1, 0.0, 0.1)])
def test_exceed_probability_against_exact_sum(m, b, c):
    p = _Q(b)
    thr = math.floor(c * m * math.exp(-b * b / 2))
    expect = _binom_sf_exact(thr, m, p)
    assert sp.exceed_probability(m, b, c) == pytest.approx(expect, rel=1e-9, abs=1e-300)
    if expect > 0:
        assert sp.exceed_log_probability(m, b, c) == pytest.approx(math.log(expect), rel=1e-9)


def test_bernstein_bounds_hold_against_exact_tail():
    from scipy.stats import binom

    assert sp.bernstein_exponent(1.0) == pytest.approx(3 / 16, rel=1e-15)
    for m in [16, 100, 1000, 10**5]:
        for b in [0.0, 0.5, 1.0, 2.0, 3.0]:
            for c in [0.55, 0.75, 1.0, 2.0, 5.0]:
                B = m * math.exp(-b * b / 2)
                exact = binom.sf(math.floor(c * B), m, _Q(b))
                loose = sp.bernstein_tail_bound(m, b, c)
                tight = sp.bernstein_tail_bound_exact(m, b, c)
                assert exact <= tight * (1 + 1e-9) + 1e-300
                assert tight <= loose * (1 + 1e-9)  # the proof's monotonicity step
                assert loose == pytest.approx(math.exp(-3 * (c - 0.5) ** 2 / (2 * (c + 1)) * B), rel=1e-12)


def test_union_and_constant_for_confidence():
    from scipy.stats import binom

    m, b, c, n = 500, 1.2, 0.4, 7
    q = binom.sf(math.floor(c * m * math.exp(-b * b / 2)), m, _Q(b))
    assert sp.union_exceed_probability_independent(m, b, c, n) == pytest.approx(1 - (1 - q) ** n, rel=1e-10)
    assert sp.union_exceed_probability_independent(m, b, c, n) <= n * q
    for delta, nn in [(1e-3, 1), (1e-3, 100), (0.2, 3)]:
        cc = sp.constant_for_confidence(m, b, delta, nn)
        B = m * math.exp(-b * b / 2)
        kstar = round(cc * B)
        assert binom.sf(kstar, m, _Q(b)) <= delta / nn  # Pr[k > c B] <= delta / n
        assert binom.sf(kstar - 1, m, _Q(b)) > delta / nn  # and c is the smallest such constant


def test_fitted_exponent_recovers_power_law():
    ms = 2.0 ** np.arange(8, 25)
    assert sp.fitted_exponent(ms, 3 * ms**0.8) == pytest.approx(0.8, rel=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# samplers: moments and quantiles against the exact binomial; the data sampler against a brute-force W
# ---------------------------------------------------------------------------------------------------------------


def test_sample_fire_counts_mean_and_quantiles():
    from scipy.stats import binom

    m, b, N = 2**16, 1.7, 20000
    k = sp.sample_fire_counts(m, b, size=N, rng=5)
    assert k.shape == (N,) and k.dtype == np.int64
    p = _Q(b)
    sd = math.sqrt(m * p * (1 - p))
    assert abs(k.mean() - m * p) < 5 * sd / math.sqrt(N)
    assert abs(k.std() - sd) < 5 * sd / math.sqrt(2 * N)
    for qq in [0.05, 0.5, 0.95]:
        # sample quantile sd ~ sqrt(q(1-q)/N) / density; density ~ 1/(sd sqrt(2 pi)) near the centre
        tol = 5 * math.sqrt(qq * (1 - qq) / N) * sd * math.sqrt(2 * math.pi) / math.exp(-0.5 * 1.645**2) + 1
        assert abs(np.quantile(k, qq) - binom.ppf(qq, m, p)) < tol
    assert np.array_equal(k, sp.sample_fire_counts(m, b, size=N, rng=5))  # reproducible
    assert sp.sample_fire_counts(10, 0.0, size=(3, 4), rng=0).shape == (3, 4)
    assert np.all(sp.sample_fire_counts(2**24, 1.0, size=5, rng=1) <= 2**24)


def _unit_rows(A):
    return A / np.linalg.norm(A, axis=1, keepdims=True)


def test_sample_fire_counts_data_against_brute_force_W():
    m, b, seeds = 400, 0.8, 600
    rng = np.random.default_rng(2)
    X = _unit_rows(rng.standard_normal((3, 5)))
    K = sp.sample_fire_counts_data(X, m, b, seeds=seeds, rng=9, chunk=128)
    assert K.shape == (seeds, 3) and K.dtype == np.int64
    # brute force: explicit W ~ N(0, I_d), the network's own pre-activations
    Kb = np.array([firing.fire_counts(TwoLayerReLU.init(m, 5, b=b, rng=1000 + s).preactivations(X), b) for s in range(seeds)])
    p = _Q(b)
    sd = math.sqrt(m * p * (1 - p))
    for KK in (K, Kb):
        assert np.all(np.abs(KK.mean(axis=0) - m * p) < 5 * sd / math.sqrt(seeds))
    # the joint law: Var(k_1 - k_2) = 2 m (p - P11), P11 = Pr[z_1 > b, z_2 > b], corr(z_1, z_2) = <x_1, x_2>
    from scipy.integrate import quad

    rho = float(X[0] @ X[1])
    P11 = quad(lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi) * _Q((b - rho * z) / math.sqrt(1 - rho**2)), b, 40)[0]
    v = 2 * m * (p - P11)
    for KK in (K, Kb):
        assert abs(np.var(KK[:, 0] - KK[:, 1], ddof=1) - v) < 5 * v * math.sqrt(2 / (seeds - 1))


def test_sample_fire_counts_data_structure():
    x = _unit_rows(np.array([[1.0, 2.0, 2.0]]))
    X = np.vstack([x, x, -x])
    K = sp.sample_fire_counts_data(X, 1000, 0.5, seeds=3, rng=0, chunk=77)
    assert np.array_equal(K[:, 0], K[:, 1])  # identical inputs have identical fire sets
    assert np.all(K[:, 0] + K[:, 2] <= 1000)  # with b > 0 no neuron fires on both x and -x
    assert np.array_equal(K, sp.sample_fire_counts_data(X, 1000, 0.5, seeds=3, rng=0, chunk=77))


# ---------------------------------------------------------------------------------------------------------------
# bad input: ValueError / TypeError naming the argument
# ---------------------------------------------------------------------------------------------------------------


def test_bad_input():
    X = _unit_rows(np.ones((2, 3)))
    cases = [
        (lambda: sp.expected_fire_count(0, 1.0), ValueError, "m"),
        (lambda: sp.lemma25_bound(-3, 1.0), ValueError, "m"),
        (lambda: sp.sample_fire_counts(0, 1.0), ValueError, "m"),
        (lambda: sp.sample_fire_counts(10, float("nan")), ValueError, "b"),
        (lambda: sp.fire_probability(float("inf")), ValueError, "b"),
        (lambda: sp.fire_probability(np.array([0.0, np.nan])), ValueError, "b"),
        (lambda: sp.fire_probability(1.0, -1.0), ValueError, "x_norm"),
        (lambda: sp.sample_fire_counts(10, 1.0, size=0), ValueError, "size"),
        (lambda: sp.sample_fire_counts_data(np.array([[np.nan, 1.0]]), 10, 1.0), ValueError, "X"),
        (lambda: sp.sample_fire_counts_data(np.ones(3), 10, 1.0), ValueError, "X"),
        (lambda: sp.sample_fire_counts_data(np.ones((2, 0)), 10, 1.0), ValueError, "X"),  # d < 1
        (lambda: sp.sample_fire_counts_data(np.ones((2, 3)), 10, 1.0), ValueError, "X"),  # not unit norm
        (lambda: sp.sample_fire_counts_data(X, 0, 1.0), ValueError, "m"),
        (lambda: sp.sample_fire_counts_data(X, 10, float("-inf")), ValueError, "b"),
        (lambda: sp.sample_fire_counts_data(X, 10, 1.0, seeds=0), ValueError, "seeds"),
        (lambda: sp.exceed_probability(10, 1.0, -1.0), ValueError, "c"),
        (lambda: sp.bernstein_exponent(0.5), ValueError, "c"),
        (lambda: sp.bernstein_tail_bound(10, -1.0, 1.0), ValueError, "b"),
        (lambda: sp.constant_for_confidence(10, 1.0, 1.5), ValueError, "delta"),
        (lambda: sp.constant_for_confidence(10, 1.0, 0.1, n=0), ValueError, "n"),
        (lambda: sp.fitted_exponent([1.0, 2.0], [1.0, -1.0]), ValueError, "ks"),
        (lambda: sp.fitted_exponent([1.0, 2.0], [1.0]), ValueError, "ks"),
        (lambda: sp.expected_fire_count(2.5, 1.0), TypeError, "m"),
        (lambda: sp.sample_fire_counts(10, 1.0, rng="x"), TypeError, "rng"),
    ]
    for f, exc, name in cases:
        with pytest.raises(exc, match=name):
            f()


def test_exceed_log_probability_deep_tail_against_lgamma_sum():
    # far in the tail scipy's logsf underflows; the oracle sums the pmf in log space from math.lgamma
    m, b, c = 3000, 1.0, 1.0  # threshold ~ 1820, mean ~ 476: Pr ~ 1e-700
    p = _Q(b)
    thr = math.floor(c * m * math.exp(-b * b / 2))
    logs = [
        math.lgamma(m + 1) - math.lgamma(j + 1) - math.lgamma(m - j + 1) + j * math.log(p) + (m - j) * math.log1p(-p)
        for j in range(thr + 1, m + 1)
    ]
    top = max(logs)
    expect = top + math.log(sum(math.exp(v - top) for v in logs))
    assert expect < -700  # really in the regime where logsf fails
    assert sp.exceed_log_probability(m, b, c) == pytest.approx(expect, rel=1e-9)
