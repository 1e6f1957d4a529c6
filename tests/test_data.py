"""Tests of firesets.data: unit norms, label scales, reproducibility, the offline digits."""
import numpy as np
import pytest
from sklearn.datasets import load_digits

from firesets.data import digits, mean_abs_correlation, normalize_rows, synthetic


def test_synthetic():
    X, y = synthetic(50, 7, label_scale=0.5, rng=3)
    assert X.shape == (50, 7) and y.shape == (50,)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-14)
    assert set(np.unique(y)) == {-0.5, 0.5}
    X2, y2 = synthetic(50, 7, label_scale=0.5, rng=np.random.default_rng(3))
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


def test_digits_offline_and_normalized():
    X, y = digits(100, label_scale=2.0, rng=0)
    assert X.shape == (100, 64)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-14)
    assert set(np.unique(y)) <= {-2.0, 2.0}
    # every row is a normalized image of the set, with the parity label
    D = load_digits()
    A = D.data / np.linalg.norm(D.data, axis=1, keepdims=True)
    for x, lab in zip(X[:10], y[:10]):
        j = int(np.argmin(np.linalg.norm(A - x, axis=1)))
        assert np.allclose(A[j], x) and lab == (2.0 if D.target[j] % 2 == 0 else -2.0)
    assert np.all(X @ X.T >= 0)  # non-negative pixels
    Xc, _ = digits(100, center=True, rng=0)
    assert mean_abs_correlation(Xc) < mean_abs_correlation(X)


def test_mean_abs_correlation_and_normalize():
    assert mean_abs_correlation(np.eye(3)) == 0.0
    assert mean_abs_correlation(np.array([[1.0, 0.0], [-1.0, 0.0]])) == 1.0
    assert mean_abs_correlation(np.ones((1, 3))) == 0.0
    np.testing.assert_allclose(normalize_rows([[3.0, 4.0]]), [[0.6, 0.8]])


def test_bad_input():
    with pytest.raises(ValueError, match="n"):
        synthetic(0, 3)
    with pytest.raises(ValueError, match="label_scale"):
        synthetic(3, 3, label_scale=0.0)
    with pytest.raises(ValueError, match="n"):
        digits(5000)
    with pytest.raises(ValueError, match="X"):
        normalize_rows([[0.0, 0.0]])
