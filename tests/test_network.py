"""Tests of firesets.network against independent oracles (explicit loops, finite differences, closed forms)."""
import math

import numpy as np
import pytest

from firesets import TwoLayerReLU, paper_threshold


def _loop_forward(W, a, b, x):
    # Definition 2.1 written as the sum it is, one neuron at a time
    m = W.shape[0]
    return sum(a[r] * max(float(np.dot(W[r], x)) - b, 0.0) for r in range(m)) / math.sqrt(m)


def test_paper_threshold_closed_form():
    for m in [1, 2, 10, 2**16, 2**24]:
        assert paper_threshold(m) == pytest.approx(math.sqrt(0.4 * math.log(m)), rel=1e-15)
        # m * exp(-b^2/2) = m^{4/5} (Remark 2.6)
        assert m * math.exp(-paper_threshold(m) ** 2 / 2) == pytest.approx(m ** 0.8, rel=1e-12)


def test_init_distribution_and_shapes():
    net = TwoLayerReLU.init(4000, 3, rng=1)
    assert net.W.shape == (4000, 3) and net.a.shape == (4000,)
    assert net.W.dtype == np.float64 and net.a.dtype == np.float64
    assert set(np.unique(net.a)) == {-1.0, 1.0}
    assert net.b == pytest.approx(paper_threshold(4000))
    # N(0, 1) entries: mean within 5 standard errors, variance within 5 standard errors (sd of s^2 ~ sqrt(2/N))
    N = net.W.size
    assert abs(net.W.mean()) < 5 / math.sqrt(N)
    assert abs(net.W.var() - 1) < 5 * math.sqrt(2 / N)
    # signs balanced: binomial(m, 1/2)
    assert abs((net.a > 0).sum() - 2000) < 5 * math.sqrt(4000 / 4)


def test_init_reproducible():
    a, b = TwoLayerReLU.init(50, 4, b=0.3, rng=7), TwoLayerReLU.init(50, 4, b=0.3, rng=np.random.default_rng(7))
    assert np.array_equal(a.W, b.W) and np.array_equal(a.a, b.a) and a.b == b.b == 0.3


def test_forward_matches_loop_and_loss():
    rng = np.random.default_rng(3)
    net = TwoLayerReLU.init(37, 5, b=0.2, rng=rng)
    X = rng.standard_normal((6, 5))
    y = rng.standard_normal(6)
    u = net.forward(X)
    expect = np.array([_loop_forward(net.W, net.a, net.b, x) for x in X])
    np.testing.assert_allclose(u, expect, rtol=1e-12, atol=1e-14)
    assert net.forward(X[2]) == pytest.approx(expect[2], rel=1e-12)
    assert net.loss(X, y) == pytest.approx(0.5 * sum((expect - y) ** 2), rel=1e-12)
    np.testing.assert_allclose(net.preactivations(X), np.array([[w @ x for w in net.W] for x in X]), rtol=1e-12)


def test_gradient_against_finite_differences():
    rng = np.random.default_rng(11)
    net = TwoLayerReLU.init(23, 4, b=0.1, rng=rng)
    X = rng.standard_normal((5, 4))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.standard_normal(5)
    G = net.gradient(X, y)
    assert G.shape == (23, 4)
    h = 1e-6
    # the loss is piecewise quadratic; a central difference is exact up to O(h^2) away from kinks
    P = X @ net.W.T
    assert np.min(np.abs(P - net.b)) > 1e-4  # no kink within reach of h
    num = np.zeros_like(G)
    for r in range(net.m):
        for j in range(net.d):
            Wp, Wm = net.W.copy(), net.W.copy()
            Wp[r, j] += h
            Wm[r, j] -= h
            num[r, j] = (net.with_weights(Wp).loss(X, y) - net.with_weights(Wm).loss(X, y)) / (2 * h)
    np.testing.assert_allclose(G, num, rtol=1e-6, atol=1e-8)


def test_gradient_uses_strict_threshold():
    # a neuron exactly at the threshold does not fire: no gradient flows through it
    W = np.array([[1.0, 0.0], [2.0, 0.0]])
    net = TwoLayerReLU(W, np.array([1.0, 1.0]), b=1.0)
    G = net.gradient(np.array([[1.0, 0.0]]), np.array([0.0]))
    assert np.all(G[0] == 0) and G[1, 0] > 0


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(m=0, d=3), "m"),
        (dict(m=4, d=0), "d"),
        (dict(m=4, d=3, b=float("nan")), "b"),
        (dict(m=4, d=3, b=float("inf")), "b"),
    ],
)
def test_init_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        TwoLayerReLU.init(**kwargs)


def test_bad_input_in_evaluation():
    net = TwoLayerReLU.init(8, 3, rng=0)
    with pytest.raises(ValueError, match="X"):
        net.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="X"):
        net.forward(np.array([[np.nan, 0, 0]]))
    with pytest.raises(ValueError, match="y"):
        net.loss(np.ones((2, 3)), np.ones(3))
    with pytest.raises(ValueError, match="a"):
        TwoLayerReLU(np.ones((3, 2)), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="m"):
        paper_threshold(0)
    with pytest.raises(TypeError, match="rng"):
        TwoLayerReLU.init(4, 2, rng="seed")


def test_hidden_and_output_layers_against_loops():
    from firesets.network import hidden_layer, output_layer

    rng = np.random.default_rng(3)
    W = rng.integers(-2, 3, size=(7, 3)).astype(float)  # integer: ties with b = 1
    X = rng.integers(-2, 3, size=(4, 3)).astype(float)
    a = np.where(rng.integers(0, 2, 7) == 1, 1.0, -1.0)
    buf = np.empty((7, 4))
    H = hidden_layer(W, X, 1.0, out=buf)
    assert H is buf
    expect = [[max(float(W[r] @ X[i]) - 1.0, 0.0) for i in range(4)] for r in range(7)]
    assert H.tolist() == expect
    u = output_layer(H, a)
    assert np.allclose(u, [sum(a[r] * expect[r][i] for r in range(7)) / math.sqrt(7) for i in range(4)],
                       rtol=1e-14, atol=0)
