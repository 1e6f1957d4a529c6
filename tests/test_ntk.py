"""Tests of firesets.ntk: the Owen's-T orthant probability against scipy's bivariate normal CDF and Monte Carlo."""
import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm

from firesets import TwoLayerReLU
from firesets.ntk import (
    empirical_gram,
    learning_rate,
    ntk_eigs,
    ntk_gram,
    ntk_gram_mc,
    orthant_prob,
    predicted_loss,
)


def _unit(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@pytest.mark.parametrize("b", [0.0, 0.7, 1.9, -0.5])
@pytest.mark.parametrize("rho", [-0.95, -0.4, 0.0, 0.3, 0.8, 0.999])
def test_orthant_prob_against_scipy_cdf(b, rho):
    ref = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([-b, -b])
    assert orthant_prob(rho, b) == pytest.approx(ref, rel=1e-6, abs=1e-12)


def test_orthant_prob_edge_cases():
    b = 1.1
    assert orthant_prob(1.0, b) == pytest.approx(norm.sf(b), rel=1e-14)  # Z1 = Z2
    assert orthant_prob(0.0, b) == pytest.approx(norm.sf(b) ** 2, rel=1e-12)  # independent
    assert orthant_prob(-1.0, b) == 0.0  # Z2 = -Z1: both above b > 0 impossible
    assert orthant_prob(-1.0, -b) == pytest.approx(norm.cdf(b) - norm.cdf(-b), rel=1e-12)
    with pytest.raises(ValueError, match="rho"):
        orthant_prob(1.5, b)


def test_ntk_gram_against_monte_carlo():
    rng = np.random.default_rng(0)
    X = _unit(rng, 6, 5)
    X[1] = 0.9 * X[0] + 0.1 * X[1]  # a correlated pair
    X[1] /= np.linalg.norm(X[1])
    b = 0.8
    H = ntk_gram(X, b)
    Hmc, se = ntk_gram_mc(X, b, samples=200_000, rng=1)
    assert np.all(np.abs(H - Hmc) <= 5 * se + 1e-12)
    assert np.allclose(H, H.T) and ntk_eigs(H)[0] > 0


def test_empirical_gram_converges_and_matches_brute_force():
    rng = np.random.default_rng(2)
    X = _unit(rng, 4, 3)
    b = 0.5
    net = TwoLayerReLU.init(200, 3, b=b, rng=3)
    He = empirical_gram(net.W, X, b)
    brute = np.array([[X[i] @ X[j] * np.mean([(w @ X[i] > b) and (w @ X[j] > b) for w in net.W])
                       for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(He, brute, rtol=1e-12, atol=1e-15)
    big = TwoLayerReLU.init(400_000, 3, b=b, rng=4)
    assert np.max(np.abs(empirical_gram(big.W, X, b) - ntk_gram(X, b))) < 5e-3


def test_learning_rate_and_prediction():
    H = np.diag([4.0, 1.0])
    assert learning_rate(H) == pytest.approx(0.25)
    assert ntk_eigs(H) == (1.0, 4.0)
    p = predicted_loss(2.0, 0.25, 1.0, 3)
    np.testing.assert_allclose(p, 2.0 * 0.875 ** np.arange(4))


def test_bad_input():
    with pytest.raises(ValueError, match="X"):
        ntk_gram(np.ones((3, 2)), 0.5)  # rows not unit norm
    with pytest.raises(ValueError, match="b"):
        ntk_gram(np.eye(2), float("nan"))
    with pytest.raises(ValueError, match="H"):
        ntk_eigs(np.ones((2, 3)))
    with pytest.raises(ValueError, match="safety"):
        learning_rate(np.eye(2), safety=0)
    with pytest.raises(ValueError, match="eta"):
        predicted_loss(1.0, -1.0, 0.1, 3)
