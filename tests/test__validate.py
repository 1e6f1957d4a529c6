"""Tests of the argument validation shared by firesets' public functions."""
import numpy as np
import pytest

from firesets._validate import (
    as_rng, check_finite_real, check_matrix, check_positive_int, check_unit_rows, check_vector, readonly,
)


def test_readonly_is_a_view_that_refuses_writes():
    a = np.arange(6.0).reshape(2, 3)
    v = readonly(a)
    assert np.shares_memory(v, a) and a.flags.writeable
    with pytest.raises(ValueError):
        v[0, 0] = 1.0
    a[0, 0] = 7.0  # the owner still writes, and the view sees it
    assert v[0, 0] == 7.0
    assert readonly(a.T).shape == (3, 2)


def test_as_rng_reproducible_and_rejects_bad_seeds():
    assert as_rng(3).random() == np.random.default_rng(3).random()
    g = np.random.default_rng(1)
    assert as_rng(g) is g
    with pytest.raises(ValueError, match="rng"):
        as_rng(-1)
    with pytest.raises(TypeError, match="rng"):
        as_rng(1.5)


def test_scalars():
    assert check_positive_int(4.0, "m") == 4
    with pytest.raises(ValueError, match="m"):
        check_positive_int(0, "m")
    with pytest.raises(TypeError, match="m"):
        check_positive_int(2.5, "m")
    with pytest.raises(ValueError, match="eta"):
        check_finite_real(0.0, "eta", low=0, low_open=True)
    with pytest.raises(ValueError, match="b"):
        check_finite_real(float("nan"), "b")


def test_arrays():
    with pytest.raises(ValueError, match="X"):
        check_matrix(np.ones(3), "X")
    with pytest.raises(ValueError, match="X"):
        check_matrix(np.array([[1.0, np.inf]]), "X")
    with pytest.raises(ValueError, match="X"):
        check_matrix(np.ones((2, 3)), "X", cols=4)
    with pytest.raises(ValueError, match="y"):
        check_vector(np.ones(3), "y", length=2)
    X = np.array([[3.0, 4.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="row 0"):
        check_unit_rows(X, "X")
    assert check_unit_rows(X / np.linalg.norm(X, axis=1, keepdims=True), "X").shape == (2, 2)
