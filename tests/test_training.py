"""Tests of firesets.training: train() and its ledger against brute force from the weight trajectory (Definitions
2.4, B.4, B.5, Claim A.1), every method of STEPPERS giving the same run, and bad input."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets import TwoLayerReLU
from firesets.steppers import DenseStepper, DTreeStepper, ScanStepper, WTreeStepper
from firesets.training import STEPPERS, train


def _unit(rng, n, d):
    X = rng.standard_normal((n, d))
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _problem(m=40, n=5, d=4, b=0.3, seed=0):
    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    X = _unit(rng, n, d)
    y = rng.choice([-1.0, 1.0], size=n)
    return net, X, y


def test_dense_step_against_finite_differences_over_several_steps():
    # a third oracle of the gradient (tests/test_steps.py has the loop formula): central differences of the loss
    net, X, y = _problem(m=25, n=4, d=3, b=0.1, seed=2)
    s = DenseStepper(net, X, y)
    for _ in range(3):
        s.step(0.05, record=False)
    W = s.W.copy()
    cur = net.with_weights(W)
    assert np.min(np.abs(X @ W.T - net.b)) > 1e-4
    h = 1e-6
    num = np.zeros_like(W)
    for r in range(W.shape[0]):
        for j in range(W.shape[1]):
            Wp, Wm = W.copy(), W.copy()
            Wp[r, j] += h
            Wm[r, j] -= h
            num[r, j] = (cur.with_weights(Wp).loss(X, y) - cur.with_weights(Wm).loss(X, y)) / (2 * h)
    s.step(0.1)
    np.testing.assert_allclose(s.W, W - 0.1 * num, rtol=1e-6, atol=1e-8)


def _brute_ledger(Ws, X, b):
    # every quantity of the ledger from the stored weights W(0..T), by definition
    n, m = X.shape[0], Ws[0].shape[0]
    fire = [X @ W.T > b for W in Ws]  # (n, m) booleans
    k = np.array([f.sum(axis=1) for f in fire])
    union = np.array([f.any(axis=0).sum() for f in fire])
    flips = np.array([np.zeros(n, int)] + [(fire[t] != fire[t - 1]).sum(axis=1) for t in range(1, len(Ws))])
    never = np.array(
        [[sum(all(fire[s][i, r] == fire[0][i, r] for s in range(t + 1)) for r in range(m)) for i in range(n)]
         for t in range(len(Ws))]
    )
    move = np.array([max(np.linalg.norm(W[r] - Ws[0][r]) for r in range(m)) for W in Ws])
    P0 = X @ Ws[0].T
    env = np.array([(P0 > b - R).sum(axis=1) for R in move])
    return fire, k, union, flips, never, move, env


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(1, 30), n=st.integers(1, 6), T=st.integers(0, 6),
       eta=st.floats(0.05, 3.0), method=st.sampled_from(sorted(STEPPERS)))
def test_ledger_against_brute_force(seed, m, n, T, eta, method):
    rng = np.random.default_rng(seed)
    d = 3
    net = TwoLayerReLU.init(m, d, b=0.2, rng=rng)
    X = _unit(rng, n, d)
    y = rng.standard_normal(n)
    # the stored weights W(0..T), from the network's own gradient (a second formula)
    Ws = [net.W.copy()]
    for _ in range(T):
        Ws.append(Ws[-1] - eta * net.with_weights(Ws[-1]).gradient(X, y))
    net2, L = train(net, X, y, eta, T, method=method, keep_codes=True)
    np.testing.assert_allclose(net2.W, Ws[-1], rtol=1e-10, atol=1e-12)
    fire, k, union, flips, never, move, env = _brute_ledger(Ws, X, net.b)
    assert L.T == T
    assert np.array_equal(L.k, k) and np.array_equal(L.union, union)
    assert np.array_equal(L.flips, flips) and np.array_equal(L.never_flipped, never)
    np.testing.assert_allclose(L.movement, move, rtol=1e-12, atol=1e-14)
    assert np.array_equal(L.envelope, env)
    assert np.all(L.k <= L.envelope)
    np.testing.assert_allclose(L.loss, [net.with_weights(W).loss(X, y) for W in Ws], rtol=1e-10, atol=1e-14)
    for i in range(n):
        # Definition B.5: never flipped in 1..T
        S_i = [r for r in range(m) if all(fire[t][i, r] == fire[0][i, r] for t in range(T + 1))]
        assert L.never_flipped_set(i).tolist() == S_i
        for t in range(1, T + 1):  # Definition B.4
            assert L.flip_set(i, t).tolist() == np.flatnonzero(fire[t][i] != fire[t - 1][i]).tolist()
    for t in range(T + 1):
        assert L.fire_codes[t].tolist() == np.flatnonzero(fire[t]).tolist()
    # a second implementation of Definitions B.4 / B.5: firesets.firing
    from firesets import firing

    Ps = [X @ W.T for W in Ws]
    for t in range(1, T + 1):
        for i, S in enumerate(firing.flip_sets(Ps[t - 1], Ps[t], net.b)):
            assert L.flip_set(i, t).tolist() == S.tolist()
    for i, S in enumerate(firing.noflip_sets(np.stack(Ps), net.b)):
        assert L.never_flipped_set(i).tolist() == S.tolist()


def test_loss_decreases_in_the_ntk_regime():
    # wide network, small step (eta below 1/lambda_max of the NTK): the loss falls monotonically towards 0
    from firesets.ntk import learning_rate, ntk_gram

    rng = np.random.default_rng(5)
    n, d, m, b = 6, 8, 4000, 0.5
    X = _unit(rng, n, d)
    y = rng.choice([-1.0, 1.0], size=n)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    eta = learning_rate(ntk_gram(X, b))
    _, L = train(net, X, y, eta, 30)
    assert np.all(np.diff(L.loss) < 0)
    assert L.loss[-1] < 1e-3 * L.loss[0]


def test_train_steps_zero_and_no_record():
    net, X, y = _problem()
    net2, L = train(net, X, y, 0.1, 0)
    assert np.array_equal(net2.W, net.W) and L.T == 0 and L.movement.tolist() == [0.0]
    net3, L3 = train(net, X, y, 0.1, 3, record=False)
    net4, _ = train(net, X, y, 0.1, 3)
    assert L3 is None and np.array_equal(net3.W, net4.W)


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        (dict(eta=0.0), ValueError, "eta"),
        (dict(eta=-1.0), ValueError, "eta"),
        (dict(eta=float("nan")), ValueError, "eta"),
        (dict(eta=float("inf")), ValueError, "eta"),
        (dict(steps=-1), ValueError, "steps"),
        (dict(steps=1.5), TypeError, "steps"),
        (dict(y=np.ones(4)), ValueError, "y"),
        (dict(X=np.ones((5, 3))), ValueError, "X"),
        (dict(method="nope"), ValueError, "method"),
        (dict(method=3), TypeError, "method"),
        (dict(steps=True), TypeError, "steps"),
        (dict(net="net"), TypeError, "net"),
    ],
)
def test_bad_input(kwargs, exc, name):
    net, X, y = _problem()
    args = dict(net=net, X=X, y=y, eta=0.1, steps=2)
    args.update(kwargs)
    with pytest.raises(exc, match=name):
        train(args.pop("net"), args.pop("X"), args.pop("y"), args.pop("eta"), args.pop("steps"), **args)


def test_envelope_at_claim_a1_bound_and_summary_against_definitions():
    net, X, y = _problem(m=60, n=5, d=4, b=0.3, seed=7)
    eta, T = 0.8, 5
    Ws = [net.W.copy()]
    for _ in range(T):
        Ws.append(Ws[-1] - eta * net.with_weights(Ws[-1]).gradient(X, y))
    _, L = train(net, X, y, eta, T)
    P0 = X @ net.W.T
    for R in [0.0, 0.05, 0.3, 2.0]:  # unit rows: max_i ||x_i|| = 1
        assert L.envelope_at(R).tolist() == [int(np.sum(P0[i] > net.b - R)) for i in range(len(X))]
    err0 = np.array([net.forward(x[None])[0] for x in X]) - y
    lam = 0.37
    assert L.claim_a1_bound(lam) == pytest.approx(4 / lam / math.sqrt(60) * math.sqrt(5) * np.linalg.norm(err0), rel=1e-12)
    fire = [X @ W.T > net.b for W in Ws]
    s = L.summary()
    assert s["T"] == T and s["k0_max"] == fire[0].sum(axis=1).max()
    assert s["k_max"] == max(f.sum(axis=1).max() for f in fire)
    assert s["flips_total"] == sum(int((fire[t] != fire[t - 1]).sum()) for t in range(1, T + 1))
    assert s["movement_max"] == pytest.approx(max(np.linalg.norm(W - Ws[0], axis=1).max() for W in Ws), rel=1e-12)
    with pytest.raises(ValueError, match="R"):
        L.envelope_at(-0.1)


def test_loss_follows_the_linear_rate_of_claim_a1_when_wide():
    # DZPS19 / SY19: for m large enough and eta <= 1/lambda_max, ||err(t)||^2 <= (1 - eta lambda / 2)^t ||err(0)||^2;
    # lambda from the closed-form kernel, checked here by an independent Monte Carlo estimate of the Gram matrix
    rng = np.random.default_rng(11)
    n, d, m, b = 5, 6, 20_000, 0.4
    X = _unit(rng, n, d)
    y = rng.choice([-1.0, 1.0], size=n)
    w = rng.standard_normal((200_000, d))
    Fm = (X @ w.T > b).astype(float)
    H = (X @ X.T) * (Fm @ Fm.T) / w.shape[0]  # Monte Carlo NTK, not firesets.ntk
    ev = np.linalg.eigvalsh(H)
    lam, eta = ev[0], 1.0 / ev[-1]
    _, L = train(TwoLayerReLU.init(m, d, b=b, rng=rng), X, y, eta, 25)
    assert np.all(L.loss <= L.loss[0] * (1 - eta * lam / 2) ** np.arange(26) * (1 + 1e-9))
    assert L.movement.max() <= L.claim_a1_bound(lam)  # Claim A.1's conclusion


def test_steppers_table_and_every_method_agrees():
    assert STEPPERS == {"dense": DenseStepper, "scan": ScanStepper, "dtree": DTreeStepper, "wtree": WTreeStepper}
    rng = np.random.default_rng(9)
    net = TwoLayerReLU.init(800, 6, rng=rng)
    X = _unit(rng, 5, 6)
    y = rng.standard_normal(5)
    ref, led = train(net, X, y, 2.0, 7, method="dense", keep_codes=True)
    for method in ("scan", "dtree", "wtree"):
        out, led2 = train(net, X, y, 2.0, 7, method=method, keep_codes=True)
        np.testing.assert_allclose(out.W, ref.W, rtol=0, atol=1e-10 * np.abs(ref.W).max())
        np.testing.assert_allclose(led2.loss, led.loss, rtol=1e-10)
        for key in ("k", "union", "flips", "never_flipped"):
            assert np.array_equal(getattr(led2, key), getattr(led, key)), (method, key)
        np.testing.assert_allclose(led2.movement, led.movement, rtol=1e-10)
        assert all(np.array_equal(p, q) for p, q in zip(led2.fire_codes, led.fire_codes))
        assert out.W.flags.writeable and not np.shares_memory(out.W, net.W)


def test_train_does_not_mutate_net_and_result_is_independent():
    net, X, y = _problem(seed=4)
    W0, a0 = net.W.copy(), net.a.copy()
    for method in STEPPERS:
        out, _ = train(net, X, y, 0.5, 3, method=method)
        out.W[0, 0] += 1.0
        out.a[0] *= -1
        assert np.array_equal(net.W, W0) and np.array_equal(net.a, a0)
