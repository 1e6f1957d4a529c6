"""Tests of firesets.distributed on a loopback LocalCluster (2 worker processes), against brute-force GD."""
import os
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

distributed = pytest.importorskip("distributed")

from firesets import TwoLayerReLU  # noqa: E402
from firesets import distributed as fd  # noqa: E402
from firesets.distributed import ShardedGD, ShardError, chunked_init, shard_bounds, train_sharded  # noqa: E402
from firesets.trees import CorrelationDTree  # noqa: E402


def _cluster(n_workers=2):
    cluster = fd.local_cluster(n_workers)
    return cluster, distributed.Client(cluster)


@pytest.fixture(scope="module")
def client():
    cluster, cl = _cluster()
    yield cl
    cl.close()
    cluster.close()


def _problem(m, n, d, b, seed):
    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = rng.standard_normal(n)
    return net, X, y


def _brute_force_run(net, X, y, eta, steps):
    """GD by Definition 2.1's gradient (TwoLayerReLU.gradient), fire codes from all inner products."""
    W = net.W.copy()
    codes, losses = [], []
    for t in range(steps + 1):
        cur = TwoLayerReLU(W, net.a, net.b)
        codes.append(np.flatnonzero((X @ W.T > net.b).ravel()))  # i * m + r, strict firing
        losses.append(cur.loss(X, y))
        if t < steps:
            W = W - eta * cur.gradient(X, y)
    return W, codes, losses


def _check_equal(net, X, y, eta, steps, client, shards):
    net2, log = train_sharded(net, X, y, eta, steps, client=client, shards=shards, keep_codes=True)
    W, codes, losses = _brute_force_run(net, X, y, eta, steps)
    np.testing.assert_allclose(net2.W, W, rtol=1e-10, atol=1e-12)
    assert len(log.fire_codes) == steps + 1
    for t in range(steps + 1):
        np.testing.assert_array_equal(log.fire_codes[t], codes[t])
        assert log.fire_pairs[t] == codes[t].size
    np.testing.assert_allclose(log.loss, losses, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(net2.a, net.a)
    assert net2.b == net.b
    return log


@pytest.mark.parametrize(
    "m, n, d, b, shards",
    [(1, 1, 3, 0.0, 1), (37, 1, 3, 0.4, 2), (300, 5, 4, 0.5, 3), (64, 4, 2, 0.0, 5), (10, 3, 3, -5.0, 10)],
)
def test_train_sharded_equals_brute_force_gd(client, m, n, d, b, shards):
    net, X, y = _problem(m, n, d, b, seed=m + n)
    log = _check_equal(net, X, y, 0.7, 6, client, shards)
    assert log.shards == shards and log.workers == min(shards, 2)
    assert len(log.union) == len(log.seconds) == len(log.bytes_to_shards) == 6


def test_ties_at_the_threshold_do_not_fire(client):
    # <w_r, x> = b exactly for half the neurons (strict firing), duplicate rows and duplicate points
    m, d = 12, 3
    W = np.zeros((m, d))
    W[:, 1] = np.arange(m)  # orthogonal to x = e_1 below: <w_r, x> = 0 = b
    W[::2, 0] = 1.0  # these fire: <w_r, x> = 1 > 0
    W[1] = W[0]
    a = np.where(np.arange(m) % 3 == 0, 1.0, -1.0)
    net = TwoLayerReLU(W, a, 0.0)
    X = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    y = np.array([1.0, -1.0, 0.5])
    _check_equal(net, X, y, 0.3, 4, client, 2)


@settings(max_examples=12, deadline=None)
@given(m=st.integers(1, 70), n=st.integers(1, 6), d=st.integers(1, 4), shards=st.integers(1, 4),
       b=st.floats(-1.0, 1.5), seed=st.integers(0, 10_000))
def test_random_configurations(client, m, n, d, shards, b, seed):
    net, X, y = _problem(m, n, d, b, seed)
    _check_equal(net, X, y, 0.5, 3, client, min(shards, m))


def test_net_not_mutated_and_zero_steps(client):
    net, X, y = _problem(50, 3, 3, 0.2, 4)
    W0, a0 = net.W.copy(), net.a.copy()
    net2, log = train_sharded(net, X, y, 0.5, 0, client=client, shards=2)
    np.testing.assert_array_equal(net2.W, W0)
    assert log.loss[0] == pytest.approx(net.loss(X, y), rel=1e-12) and log.union == []
    train_sharded(net, X, y, 0.5, 3, client=client, shards=2)
    np.testing.assert_array_equal(net.W, W0)
    np.testing.assert_array_equal(net.a, a0)


def test_traffic_per_step_does_not_grow_with_m(client):
    n, d, P = 4, 3, 2
    out = {}
    for m in (40, 4000):
        net, X, y = _problem(m, n, d, 0.3, 7)
        _, log = train_sharded(net, X, y, 0.5, 3, client=client, shards=P)
        out[m] = log
    # client -> shards: the residuals (n floats) and eta to each shard, exactly
    one = len(pickle.dumps((np.zeros(n), 0.5, False), protocol=5))
    assert out[40].bytes_to_shards == out[4000].bytes_to_shards == [P * one] * 3
    # shards -> client: n floats and a few counters per shard; an int's pickle grows by at most 8 bytes
    for a_, b_ in zip(out[40].bytes_from_shards, out[4000].bytes_from_shards):
        assert abs(a_ - b_) <= 8 * 4 * P
        assert a_ < P * (8 * n + 400)


def test_from_seed_draws_the_chunked_network(client, monkeypatch):
    m, n, d = 45, 3, 2
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    with ShardedGD.from_seed(m, X, y, client=client, shards=3, b=0.1, seed=5) as run:
        got = run.network()
        info = run.info()
    W, a = chunked_init(m, d, 0, m, seed=5)
    np.testing.assert_array_equal(got.W, W)
    np.testing.assert_array_equal(got.a, a)
    assert [r["rows"] for r in info] == [15, 15, 15]
    assert all(r["nbytes"] > 0 and r["counters"]["inner_products"] == n * 15 for r in info)


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 40), lo=st.integers(0, 40), hi=st.integers(0, 40), seed=st.integers(0, 50))
def test_chunked_init_does_not_depend_on_the_split(m, lo, hi, seed):
    fd_chunk = fd.INIT_CHUNK
    try:
        fd.INIT_CHUNK = 7  # several chunks, boundaries inside and across them
        lo, hi = sorted((min(lo, m), min(hi, m)))
        W, a = chunked_init(m, 3, 0, m, seed)
        Wp, ap = chunked_init(m, 3, lo, hi, seed)
        # oracle: chunk j drawn by its own generator [seed, j], W first then a
        for j in range(-(-m // 7)):
            g = np.random.default_rng([seed, j])
            k = min(m, 7 * j + 7) - 7 * j
            np.testing.assert_array_equal(W[7 * j: 7 * j + k], g.standard_normal((k, 3)))
            np.testing.assert_array_equal(a[7 * j: 7 * j + k], np.where(g.integers(0, 2, size=k) == 1, 1.0, -1.0))
    finally:
        fd.INIT_CHUNK = fd_chunk
    np.testing.assert_array_equal(Wp, W[lo:hi])
    np.testing.assert_array_equal(ap, a[lo:hi])


@given(m=st.integers(1, 500), shards=st.integers(1, 500))
def test_shard_bounds(m, shards):
    if shards > m:
        with pytest.raises(ValueError, match="shards"):
            shard_bounds(m, shards)
        return
    bd = shard_bounds(m, shards)
    sizes = np.diff(bd)
    assert bd[0] == 0 and bd[-1] == m and bd.size == shards + 1
    assert sizes.min() >= 1 and sizes.max() - sizes.min() <= 1


def test_bad_input_names_the_argument(client):
    net, X, y = _problem(20, 3, 3, 0.2, 1)
    cases = [
        (dict(shards=0), ValueError, "shards"),
        (dict(shards=21), ValueError, "shards"),
        (dict(shards=1.5), TypeError, "shards"),
        (dict(client=None), TypeError, "client"),
        (dict(eta=0.0), ValueError, "eta"),
        (dict(eta=float("nan")), ValueError, "eta"),
        (dict(steps=-1), ValueError, "steps"),
        (dict(steps=2.0), TypeError, "steps"),
        (dict(X=X[:, :2]), ValueError, "X"),
        (dict(y=y[:2]), ValueError, "y"),
        (dict(net=net.W), TypeError, "net"),
        (dict(timeout=-1.0), ValueError, "timeout"),
    ]
    for kw, exc, name in cases:
        args = dict(net=net, X=X, y=y, eta=0.5, steps=2, client=client, shards=2) | kw
        with pytest.raises(exc, match=name):
            train_sharded(args.pop("net"), args.pop("X"), args.pop("y"), args.pop("eta"), args.pop("steps"), **args)
    np.testing.assert_array_equal(net.W, _problem(20, 3, 3, 0.2, 1)[0].W)
    with pytest.raises(ValueError, match="m"):
        ShardedGD.from_seed(0, X, y, client=client)
    with pytest.raises(ValueError, match="seed"):
        ShardedGD.from_seed(10, X, y, client=client, seed=-1)


def test_a_shard_that_times_out_fails_the_run(client):
    net, X, y = _problem(30, 2, 2, 0.1, 2)
    with pytest.raises(ShardError, match="shard 0"):
        with ShardedGD.from_network(net, X, y, client=client, shards=2, timeout=1e-9) as run:
            run.start()


def test_a_dead_worker_fails_the_next_step_with_a_clear_error():
    cluster, cl = _cluster()
    try:
        net, X, y = _problem(60, 3, 3, 0.1, 5)
        run = ShardedGD.from_network(net, X, y, client=cl, shards=2)
        run.step(0.5)
        run.step(0.5)
        victim = run.placement[1]
        try:
            cl.run(os._exit, 1, workers=[victim], on_error="ignore")
        except Exception:  # the worker dies before it can answer
            pass
        with pytest.raises(ShardError, match=r"shard 1 .*worker") as err:
            run.step(0.5)
        assert victim in str(err.value) and "step 2" in str(err.value)
        with pytest.raises(ShardError, match="already failed"):
            run.step(0.5)
        with pytest.raises(ShardError):
            run.network()
        assert run.t == 2 and len(run.log.union) == 2  # the two completed steps, nothing half-recorded
    finally:
        cl.close()
        cluster.close()


def test_dtree_query_all_orders_and_values():
    # the contract the shards rely on: query_all(tau, order=..., values=...) against all inner products
    rng = np.random.default_rng(0)
    W, X = rng.standard_normal((23, 3)), rng.standard_normal((5, 3))
    t = CorrelationDTree(W, X)
    P = X @ W.T
    ii, rr = np.nonzero(P > 0.3)  # (i, r) order
    got = t.query_all(0.3)
    np.testing.assert_array_equal(got[0], ii)
    np.testing.assert_array_equal(got[1], rr)
    gi, gr, gp = t.query_all(0.3, order="neuron", values=True)
    o = np.lexsort((ii, rr))
    np.testing.assert_array_equal(gi, ii[o])
    np.testing.assert_array_equal(gr, rr[o])
    np.testing.assert_allclose(gp, P[ii[o], rr[o]], rtol=1e-12)
    with pytest.raises(ValueError, match="order"):
        t.query_all(0.3, order="r")
