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


def test_training_checks():
    from firesets import TwoLayerReLU
    from firesets._validate import check_eta, check_steps, check_training_data

    assert check_eta(0.5) == 0.5
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="eta"):
            check_eta(bad)
    with pytest.raises(TypeError, match="eta"):
        check_eta("1")
    assert check_steps(3) == 3 and check_steps(np.int64(0)) == 0
    with pytest.raises(ValueError, match="steps"):
        check_steps(-1)
    for bad in (True, 2.0, "3"):
        with pytest.raises(TypeError, match="steps"):
            check_steps(bad)
    net = TwoLayerReLU.init(5, 3, rng=0)
    X, y = check_training_data(net, [[1, 0, 0], [0, 1, 0]], [1, 2])
    assert X.dtype == y.dtype == np.float64 and X.flags.c_contiguous and X.shape == (2, 3)
    with pytest.raises(TypeError, match="net"):
        check_training_data(net.W, X, y)
    with pytest.raises(ValueError, match="X"):
        check_training_data(net, X[:, :2], y)
    with pytest.raises(ValueError, match="y"):
        check_training_data(net, X, [1.0])


def test_check_pairs_and_rows():
    from firesets._validate import check_pairs, check_rows

    i, r = check_pairs([1, 0, 1], [0, 2, 2], n=2, m=3)  # sorted by (r, i)
    assert i.dtype == r.dtype == np.int64 and i.tolist() == [1, 0, 1]
    assert check_pairs([], [], 1, 1)[0].size == 0
    with pytest.raises(ValueError, match="r"):
        check_pairs([0, 0], [1, 0], 1, 2)  # not sorted
    with pytest.raises(ValueError, match="r"):
        check_pairs([0, 0], [1, 1], 1, 2)  # repeated
    with pytest.raises(ValueError, match="i"):
        check_pairs([2], [0], 2, 1)
    with pytest.raises(ValueError, match="r"):
        check_pairs([0], [-1], 2, 1)
    with pytest.raises(ValueError, match="i"):
        check_pairs([0, 1], [0], 2, 1)
    with pytest.raises(TypeError, match="i"):
        check_pairs([0.5], [0], 2, 1)
    assert check_rows([3, 1, 3], "changed", 4).tolist() == [1, 3]
    assert check_rows(np.array([0, 2]), "changed", 3).tolist() == [0, 2]
    with pytest.raises(ValueError, match="changed"):
        check_rows([4], "changed", 4)
    with pytest.raises(ValueError, match="changed"):
        check_rows([[0]], "changed", 4)
    with pytest.raises(TypeError, match="changed"):
        check_rows([0.0], "changed", 4)


def test_check_choice_and_net_type():
    from firesets import TwoLayerReLU
    from firesets._validate import check_choice, check_training_data

    assert check_choice("a", "method", {"a": 1, "b": 2}) == "a"
    with pytest.raises(ValueError, match="method"):
        check_choice("c", "method", {"a": 1})
    with pytest.raises(TypeError, match="method"):
        check_choice(1, "method", {"a": 1})

    class Fake:  # has W, a, b but is not a TwoLayerReLU
        W, a, b = np.zeros((2, 2)), np.ones(2), 0.0

    check_training_data(Fake(), np.ones((1, 2)), [0.0])
    with pytest.raises(TypeError, match="net"):
        check_training_data(Fake(), np.ones((1, 2)), [0.0], net_type=TwoLayerReLU)
