"""Minibatch SGD with half-space reporting, the neurons sharded over a Dask cluster (arXiv 2307.06565 + Section 5).

Chapter: ``book/beyond_one_machine.md``. The SGD step of :func:`firesets.sgd.sgd` (the gradient of
``1/2 sum_{i in batch t} (f(W, x_i, a) - y_i)^2`` in ``W``) is, like the GD step of :mod:`firesets.distributed`, a
sum over neurons: each shard (a Dask actor) holds its rows of ``W`` and ``a`` and a
:class:`~firesets.halfspace.HalfSpaceTree` over them, and finds the neurons of its rows that fire for the batch.
One SGD step is one round trip, pipelined with the next batch:

1. the client sends every shard the residuals of batch ``t - 1`` (``B`` floats) and the indices of batch ``t``
   (``B`` integers);
2. each shard moves its neurons that fired for batch ``t - 1`` (``w_r <- w_r - eta a_r m^{-1/2}
   sum_{i in batch, r fires on x_i} e_i x_i``), updates its half-space tree, queries it with batch ``t`` and
   returns its partial forward sums (``B`` floats);
3. the client adds the ``P`` partial sums: the predictions on batch ``t``, hence its residuals.

Traffic per step is ``O(B P)`` numbers whatever ``m`` is. Every shard holds all of ``X`` (sent once), so a batch
travels as its ``B`` indices.
"""
from __future__ import annotations

import math
from time import perf_counter

import numpy as np

from ._validate import check_finite_real, check_matrix, check_vector
from .distributed import ShardedGD, _check_client, _check_steps, _check_timeout, _payload_bytes, shard_bounds
from .halfspace import HalfSpaceTree
from .network import TwoLayerReLU

__all__ = ["ShardedSGD", "sgd_sharded"]


class _SGDShard:
    """One shard: rows ``[lo, hi)`` of ``W`` and ``a`` and a half-space tree over those rows (a Dask actor)."""

    def __init__(self, X, y, b, m, lo, hi, W=None, a=None, hsr_kwargs=None):
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.b, self.m, self.lo, self.hi = float(b), int(m), int(lo), int(hi)
        self.a = np.asarray(a, dtype=np.float64).copy()
        self.scale = 1.0 / math.sqrt(self.m)
        self.hs = HalfSpaceTree(W, **(hsr_kwargs or {}))
        self._pending = None  # the firing pairs of the last batch queried: (qi, rr, XB)

    def step(self, err, eta, idx, keep_codes: bool = False) -> dict:
        """Apply the update of the last batch from its residuals ``err`` (``None``: none yet), then query ``idx``."""
        t0 = perf_counter()
        union = 0
        if err is not None and self._pending is not None:
            qi, rr, XB = self._pending
            if rr.size:
                U, inv = np.unique(rr, return_inverse=True)
                B = XB.shape[0]
                w = (-eta * self.scale) * self.a[rr] * np.asarray(err, dtype=np.float64)[qi]
                C = np.bincount(inv * B + qi, weights=w, minlength=U.size * B).reshape(U.size, B)
                self.hs.update(U, self.hs.W[U] + C @ XB)
                union = int(U.size)
        t1 = perf_counter()
        out = {"union": union, "update_s": t1 - t0}
        if idx is None:
            self._pending = None
            return out
        XB = self.X[np.asarray(idx)]
        qi, rr = self.hs.query_batch(XB, self.b)  # sorted by (i, r): every pair <w_r, x_i> > b of this shard
        W = self.hs.W
        p = np.einsum("ij,ij->i", W[rr], XB[qi])
        B = XB.shape[0]
        self._pending = (qi, rr, XB)
        out.update(u=np.bincount(qi, weights=self.a[rr] * (p - self.b), minlength=B) * self.scale,
                   k=np.bincount(qi, minlength=B), pairs=int(qi.size), forward_s=perf_counter() - t1)
        if keep_codes:
            out["codes"] = qi.astype(np.int64) * self.m + (rr + self.lo)  # (i, r) order: sorted codes
        return out

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """This shard's rows of ``W`` and ``a`` (copies)."""
        return np.array(self.hs.W), self.a.copy()

    def info(self) -> dict:
        """Rows held and the half-space tree's counters."""
        return {"rows": self.hi - self.lo, "counters": self.hs.counters.as_dict()}


class ShardedSGD(ShardedGD):
    """Minibatch SGD with the neurons split over ``P`` Dask actors, each with its own half-space tree.

    Built like :class:`~firesets.distributed.ShardedGD` (:meth:`from_network`); :meth:`run` takes the ``(T, B)``
    batches. The log (:class:`~firesets.distributed.ShardedLog`) holds per step the batch loss before the step,
    the firing pairs of the batch, ``|U|``, the bytes each way and the phase times; ``k`` holds the ``(T, B)``
    fire counts. A shard that fails makes the run raise :class:`~firesets.distributed.ShardError`.
    """

    _shard_class = _SGDShard

    def run(self, eta, batches, y, keep_codes: bool = False) -> None:
        """``T`` SGD steps, one round trip each (plus one to apply the last update)."""
        self.k = np.zeros(batches.shape, dtype=np.int64)
        err = None
        for t in range(batches.shape[0] + 1):
            idx = batches[t] if t < batches.shape[0] else None
            self._check_alive(ask_scheduler=t == 0)
            t0 = perf_counter()
            res = self._call("step", err, eta, idx, keep_codes, what="an SGD step")
            wall = perf_counter() - t0
            if t > 0:  # the update of batch t - 1 happened in this round trip
                self.log.union.append(int(sum(r["union"] for r in res)))
                self.log.seconds[-1]["shard_update"] = max(r["update_s"] for r in res)
                self.log.seconds[-1]["wall"] += wall
            self.log.bytes_to_shards.append(_payload_bytes((err, eta, idx, keep_codes)) * len(res))
            self.log.bytes_from_shards.append(sum(_payload_bytes(r) for r in res))
            if idx is None:
                break
            u = np.sum([r["u"] for r in res], axis=0)
            err = u - y[idx]
            self.log.loss.append(0.5 * float(err @ err))
            self.log.fire_pairs.append(int(sum(r["pairs"] for r in res)))
            self.k[t] = np.sum([r["k"] for r in res], axis=0)
            if keep_codes:
                self.log.fire_codes.append(np.sort(np.concatenate([r["codes"] for r in res])))
            self.log.seconds.append({"wall": wall, "shard_forward": max(r["forward_s"] for r in res)})
            self.t = t + 1


def sgd_sharded(net: TwoLayerReLU, X, y, eta, batches, *, client, shards=None, keep_codes=False, hsr_kwargs=None,
                timeout=None):
    """Minibatch SGD as :func:`firesets.sgd.sgd` with the neurons sharded over a Dask cluster; ``(net2, log)``.

    Parameters
    ----------
    net : TwoLayerReLU
        The start (not mutated).
    X, y : arrays (n, d), (n,)
        The data the batches index (every shard holds ``X``; a batch travels as its indices).
    eta : float
        Learning rate, ``> 0``.
    batches : int array (T, B)
        Data indices of each step (:func:`firesets.sgd.draw_batches`).
    client : distributed.Client
        A client of any Dask cluster.
    shards : int, optional
        ``P`` (default: one per worker).
    keep_codes : bool
        Record the fire codes ``i * m + r`` (``i`` the position in the batch) of every step in ``log.fire_codes``.
    hsr_kwargs : dict, optional
        Keyword arguments of each shard's :class:`~firesets.halfspace.HalfSpaceTree`.
    timeout : float, optional
        Seconds to wait for a shard before failing.

    Returns
    -------
    TwoLayerReLU, ShardedLog
        The network after the ``T`` steps (gathered) and the log; ``log.k`` is the ``(T, B)`` fire counts.
    """
    if not isinstance(net, TwoLayerReLU):
        raise TypeError(f"net: expected a TwoLayerReLU, got {type(net).__name__}")
    X = check_matrix(X, "X", cols=net.d)
    y = check_vector(y, "y", length=X.shape[0])
    eta = check_finite_real(eta, "eta", low=0.0, low_open=True)
    bt = np.asarray(batches)
    if bt.ndim != 2 or bt.shape[1] < 1:
        raise ValueError(f"batches: expected a 2-D (T, B) array with B >= 1, got shape {bt.shape}")
    if bt.dtype == bool or not np.issubdtype(bt.dtype, np.integer):
        raise TypeError(f"batches: expected integer indices, got dtype {bt.dtype}")
    _check_steps(bt.shape[0])
    if bt.size and (bt.min() < 0 or bt.max() >= X.shape[0]):
        raise ValueError(f"batches: expected indices in [0, {X.shape[0]})")
    workers = _check_client(client)
    shards = len(workers) if shards is None else shards
    shard_bounds(net.m, shards)  # validates shards
    timeout = _check_timeout(timeout)

    def make_args(s, lo, hi):
        W_s, a_s = client.scatter([np.ascontiguousarray(net.W[lo:hi]), net.a[lo:hi].copy()],
                                  workers=[workers[s % len(workers)]], hash=False)
        return {"W": W_s, "a": a_s, "hsr_kwargs": dict(hsr_kwargs or {})}

    with ShardedSGD(client, X, y, net.b, net.m, net.d, shards, make_args, timeout) as run:
        run.run(eta, bt.astype(np.int64), y, keep_codes=bool(keep_codes))
        log = run.log
        log.k = run.k
        return run.network(), log
