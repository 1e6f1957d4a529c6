"""Tests of firesets.distributed_sgd on a loopback LocalCluster (2 worker processes), against brute-force SGD."""
import os

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from firesets import TwoLayerReLU  # noqa: E402
from firesets import distributed as fd  # noqa: E402
from firesets.distributed import ShardError  # noqa: E402
from firesets.distributed_sgd import sgd_sharded  # noqa: E402
from firesets.sgd import draw_batches  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = fd.local_cluster(2)
    cl = distributed.Client(cluster)
    yield cl
    cl.close()
    cluster.close()


def _problem(m, n, d, b, seed, integer=False):
    rng = np.random.default_rng(seed)
    net = TwoLayerReLU.init(m, d, b=b, rng=rng)
    if integer:  # exact inner products: ties at the threshold are real ties
        net = TwoLayerReLU(rng.integers(-2, 3, (m, d)).astype(float), net.a, float(b))
        X = rng.integers(-2, 3, (n, d)).astype(float)
    else:
        X = rng.standard_normal((n, d))
        X /= np.linalg.norm(X, axis=1, keepdims=True)
    return net, X, rng.standard_normal(n)


def _brute_force_sgd(net, X, y, eta, batches):
    """SGD by Definition 2.1's gradient on each batch (TwoLayerReLU.gradient), counts from all inner products."""
    W = net.W.copy()
    ks, losses, codes = [], [], []
    for idx in batches:
        cur = TwoLayerReLU(W, net.a, net.b)
        XB, yB = X[idx], y[idx]
        ks.append((XB @ W.T > net.b).sum(axis=1))
        codes.append(np.flatnonzero((XB @ W.T > net.b).ravel()))  # i * m + r, i the position in the batch
        losses.append(cur.loss(XB, yB))
        W = W - eta * cur.gradient(XB, yB)
    return W, np.array(ks), losses, codes


@pytest.mark.parametrize("m,n,d,B,T,shards,integer", [
    (50, 20, 3, 4, 6, 2, False), (1, 5, 2, 3, 4, 1, False), (37, 9, 4, 9, 5, 3, False), (40, 12, 3, 5, 6, 2, True),
])
def test_sharded_sgd_is_sgd(client, m, n, d, B, T, shards, integer):
    net, X, y = _problem(m, n, d, 0.5 if integer else 0.2, m + n, integer)
    batches = draw_batches(n, B, T, rng=1)
    W0 = net.W.copy()
    net2, log = sgd_sharded(net, X, y, 0.25, batches, client=client, shards=shards, keep_codes=True)
    W, ks, losses, codes = _brute_force_sgd(net, X, y, 0.25, batches)
    assert np.array_equal(net.W, W0)  # net not mutated
    np.testing.assert_allclose(net2.W, W, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(log.k, ks)
    np.testing.assert_allclose(log.loss, losses, rtol=1e-10, atol=1e-12)
    assert len(log.union) == len(log.fire_pairs) == T and log.fire_pairs == [int(k.sum()) for k in ks]
    assert len(log.fire_codes) == T
    for got, want in zip(log.fire_codes, codes):
        np.testing.assert_array_equal(got, want)


def test_traffic_does_not_grow_with_m(client):
    sent = {}
    for m in (64, 4096):
        net, X, y = _problem(m, 10, 3, 0.5, 3)
        _, log = sgd_sharded(net, X, y, 0.1, draw_batches(10, 4, 3, rng=0), client=client, shards=2)
        sent[m] = (max(log.bytes_to_shards), max(log.bytes_from_shards))
    assert sent[4096][0] == sent[64][0]
    assert sent[4096][1] <= sent[64][1] + 64  # answers hold B floats and B counts per shard, whatever m


def test_bad_input(client):
    net, X, y = _problem(10, 6, 2, 0.3, 0)
    good = draw_batches(6, 2, 2, rng=0)
    with pytest.raises(ValueError, match="batches"):
        sgd_sharded(net, X, y, 0.1, good + 6, client=client)
    with pytest.raises(TypeError, match="batches"):
        sgd_sharded(net, X, y, 0.1, good.astype(float), client=client)
    with pytest.raises(ValueError, match="eta"):
        sgd_sharded(net, X, y, -1.0, good, client=client)
    with pytest.raises(ValueError, match="shards"):
        sgd_sharded(net, X, y, 0.1, good, client=client, shards=11)
    with pytest.raises(TypeError, match="net"):
        sgd_sharded("net", X, y, 0.1, good, client=client)


def test_a_dead_worker_fails_the_run_with_a_clear_error():
    cluster = fd.local_cluster(2)
    cl = distributed.Client(cluster)
    try:
        net, X, y = _problem(60, 8, 3, 0.1, 5)
        victim = sorted(cl.scheduler_info()["workers"])[1]
        batches = draw_batches(8, 2, 50, rng=0)

        def kill_then_run():
            try:
                cl.run(os._exit, 1, workers=[victim], on_error="ignore")
            except Exception:  # the worker dies before it can answer
                pass

        import firesets.distributed_sgd as ds

        original = ds.ShardedSGD.run

        def run_and_kill(self, eta, bt, y_, keep_codes=False):  # kill shard 1's worker after it is built
            kill_then_run()
            return original(self, eta, bt, y_, keep_codes)

        ds.ShardedSGD.run = run_and_kill
        try:
            with pytest.raises(ShardError, match=r"shard 1 .*worker"):
                sgd_sharded(net, X, y, 0.1, batches, client=cl, shards=2)
        finally:
            ds.ShardedSGD.run = original
    finally:
        cl.close()
        cluster.close()
