"""Gradient descent with the Correlation DTree sharded over neurons on a Dask cluster (Section 5 of the Bypass paper).

Chapter: ``book/beyond_one_machine.md``.

The forward pass of 2NN(m, b) (Definition 2.1) is a sum over neurons, ``u_i = m^{-1/2} sum_r a_r sigma_b(<w_r, x_i>)``,
and the gradient row of neuron ``r`` needs only ``w_r``, ``a_r``, the data and the residuals ``u - y``. So the neurons
split into ``P`` shards, each a Dask actor holding its rows of ``W`` (and of ``a``) and a :class:`CorrelationDTree`
over those rows and all ``n`` points. One GD step is one round trip:

1. the client sends every shard the residuals ``e = u(t) - y`` (``n`` floats) and ``eta``;
2. each shard updates the rows of its fired neurons, ``w_r <- w_r - eta a_r m^{-1/2} sum_{i : r fires on x_i} e_i x_i``,
   repairs its trees (UPDATE of Algorithm 1), queries its firing pairs at the new weights (QUERY of Algorithm 2) and
   returns its partial forward sums (``n`` floats);
3. the client adds the ``P`` partial sums: ``u(t+1)``.

Traffic per step is ``2 n P`` floats plus a few counters, whatever ``m``; the client's work per step is ``O(n P)``.
The Bypass paper's Section 5 remarks that UPDATE "can be parallelized" over the correlation trees (the ``n`` trees of
the DTree, one per data point); the split here is the other one, over neurons, which keeps all ``n`` trees of a
neuron on one machine and needs no communication inside UPDATE or QUERY.

The module is longer than 400 lines because a third of it is the failure handling (a dead worker, a
timeout, a refusing actor) that makes a lost shard an error instead of a silent loss.
"""
from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field
from time import perf_counter, process_time

import numpy as np

from ._validate import check_finite_real, check_matrix, check_positive_int, check_vector
from .network import TwoLayerReLU, paper_threshold
from .trees import CorrelationDTree

__all__ = ["ShardedGD", "ShardedLog", "ShardError", "train_sharded", "shard_bounds", "chunked_init", "INIT_CHUNK",
           "local_cluster"]

#: rows per independently seeded block of :func:`chunked_init` (the draw does not depend on the number of shards)
INIT_CHUNK = 1 << 14


class ShardError(RuntimeError):
    """A shard failed (its worker died, or the shard raised): the run stops, no step is silently lost."""


def shard_bounds(m: int, shards: int) -> np.ndarray:
    """Row boundaries of ``shards`` contiguous, near-equal blocks of ``m`` neurons: shard ``s`` holds ``[lo, hi)``.

    Returns an int64 array of length ``shards + 1`` from ``0`` to ``m`` (block sizes differ by at most one).
    """
    m = check_positive_int(m, "m")
    shards = check_positive_int(shards, "shards")
    if shards > m:
        raise ValueError(f"shards: expected at most m = {m} shards (one neuron each at least), got {shards}")
    return np.array([s * m // shards for s in range(shards + 1)], dtype=np.int64)


def chunked_init(m: int, d: int, lo: int, hi: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``[lo, hi)`` of the initialization of Section 2 (``w_r ~ N(0, I_d)``, ``a_r`` uniform in ``{-1, +1}``).

    Block ``j`` of :data:`INIT_CHUNK` rows is drawn from ``numpy.random.default_rng([seed, j])`` (first its
    ``W`` rows, then its ``a``), so a shard draws its own rows without the client ever holding ``W``, and the
    network is the same whatever the number of shards. (A different stream from :meth:`TwoLayerReLU.init`.)
    """
    m = check_positive_int(m, "m")
    d = check_positive_int(d, "d")
    if not (0 <= lo <= hi <= m):
        raise ValueError(f"lo, hi: expected 0 <= lo <= hi <= m = {m}, got lo = {lo}, hi = {hi}")
    W = np.empty((hi - lo, d))
    a = np.empty(hi - lo)
    for j in range(lo // INIT_CHUNK, -(-hi // INIT_CHUNK)):
        c0, c1 = j * INIT_CHUNK, min(m, (j + 1) * INIT_CHUNK)
        gen = np.random.default_rng([int(seed), j])
        Wc = gen.standard_normal((c1 - c0, d))
        ac = np.where(gen.integers(0, 2, size=c1 - c0) == 1, 1.0, -1.0)
        s0, s1 = max(lo, c0), min(hi, c1)
        W[s0 - lo: s1 - lo] = Wc[s0 - c0: s1 - c0]
        a[s0 - lo: s1 - lo] = ac[s0 - c0: s1 - c0]
    return W, a


class _Shard:
    """One shard (a Dask actor): rows ``[lo, hi)`` of ``W`` and ``a``, and a DTree over them and all ``n`` points.

    Either ``W``/``a`` are given, or ``seed`` (the rows are drawn by :func:`chunked_init`). ``m`` is the width of the
    whole network (the ``m^{-1/2}`` scale). Methods return plain dicts of numpy arrays and numbers.
    """

    def __init__(self, X, y, b, m, lo, hi, W=None, a=None, seed=None):
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.b, self.m, self.lo, self.hi = float(b), int(m), int(lo), int(hi)
        self.n = self.X.shape[0]
        own = W is None  # rows drawn here: the tree may keep them without a copy
        if own:
            W, a = chunked_init(self.m, self.X.shape[1], self.lo, self.hi, seed)
        self.a = np.asarray(a, dtype=np.float64).copy()
        self.scale = 1.0 / math.sqrt(self.m)
        self.tree = CorrelationDTree(W, self.X, copy=not own)
        self._pairs = None

    def _forward(self, keep_codes: bool) -> dict:
        """QUERY every tree at ``b``: the firing pairs of this shard, and its partial sums of ``u``."""
        t0 = perf_counter()
        ii, rr, p = self.tree.query_all(self.b, order="neuron", values=True)  # sorted by (r, i)
        self._pairs = (ii, rr, p)
        u = np.bincount(ii, weights=self.a[rr] * (p - self.b), minlength=self.n) * self.scale
        out = {"u": u, "pairs": int(ii.size), "forward_s": perf_counter() - t0}
        if keep_codes:
            codes = ii.astype(np.int64) * self.m + (rr + self.lo)
            codes.sort()
            out["codes"] = codes
        return out

    def start(self, keep_codes: bool = False) -> dict:
        """The forward pass at the initial weights."""
        return self._forward(keep_codes)

    def step(self, err, eta: float, keep_codes: bool = False) -> dict:
        """Apply one GD step from the residuals ``err = u - y`` (all shards together), then the next forward pass.

        Only the fired rows move (Algorithm 8 lines 16-24, descending): with ``C[pos(r), i] = -eta a_r m^{-1/2} e_i``
        on firing pairs, ``W[U] <- W[U] + C X`` and UPDATE repairs the ``|U|`` leaves in all ``n`` trees.
        """
        t0 = perf_counter()
        err = np.asarray(err, dtype=np.float64)
        ii, rr, _ = self._pairs
        union = changed = 0
        if rr.size:
            start = np.empty(rr.size, dtype=bool)  # rr is sorted: the distinct neurons are the run starts
            start[0] = True
            np.not_equal(rr[1:], rr[:-1], out=start[1:])
            U = rr[start]
            pos = np.cumsum(start) - 1
            C = np.zeros((U.size, self.n))
            e_pair = err[ii]
            C[pos, ii] = (-eta * self.scale) * self.a[rr] * e_pair
            W_new = np.array(self.tree.W[U]) + C @ self.X
            self.tree.update_many(U, W_new)
            union = int(U.size)
            changed = int(np.count_nonzero(np.bincount(pos, weights=(e_pair != 0), minlength=U.size)))
        t1 = perf_counter()
        out = self._forward(keep_codes)
        out.update(union=union, changed=changed, update_s=t1 - t0)
        return out

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """This shard's rows of ``W`` and ``a`` (copies)."""
        return np.array(self.tree.W), self.a.copy()

    def info(self) -> dict:
        """Rows held, bytes held (trees, ``W``, ``X``, ``a``) and the trees' operation counters."""
        return {"rows": self.hi - self.lo, "nbytes": int(self.tree.nbytes + self.a.nbytes),
                "counters": self.tree.counters.as_dict()}


def local_cluster(n_workers: int = 2, **kwargs):
    """A ``distributed.LocalCluster`` on the loopback interface: ``n_workers`` processes of one thread each.

    Scheduler, workers and the HTTP endpoint bind to ``127.0.0.1`` (random free ports); ``kwargs`` override
    (e.g. ``memory_limit``). Close it (``cluster.close()``) when done.
    """
    from distributed import LocalCluster

    n_workers = check_positive_int(n_workers, "n_workers")
    opts = dict(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0")
    opts.update(kwargs)
    return LocalCluster(**opts)


def _payload_bytes(obj) -> int:
    """Pickled size of a message (protocol 5): the payload, without Dask's framing."""
    return len(pickle.dumps(obj, protocol=5))


@dataclass
class ShardedLog:
    """What a sharded run records, one entry per step ``t = 0..T-1`` (describing ``W(t)``), plus the final state.

    Attributes
    ----------
    loss, fire_pairs : lists
        ``L(W(t))`` and ``sum_i k_{i,t}`` (firing pairs over all shards) for ``t = 0..T`` (``T + 1`` entries).
    union, changed : lists
        ``|U_t|`` (neurons that fired for some ``x_i``) and the rows the step changed, ``t = 0..T-1``.
    bytes_to_shards, bytes_from_shards : lists
        Pickled payload bytes client -> all shards and all shards -> client of each step's round trip.
    seconds : list of dict
        Per step: ``wall`` (the round trip seen by the client), ``shard_update`` and ``shard_forward`` (the slowest
        shard's update and query + partial sums), ``reduce`` (the client's sum of the partial vectors),
        ``client_cpu`` (CPU seconds of the client process over the step, all its threads: sending, receiving,
        adding; on a cluster with one machine per shard this is the part that grows with ``P``).
    fire_codes : list of int64 arrays
        With ``keep_codes=True``: sorted ``i * m + r`` of every firing pair of ``W(t)``, ``t = 0..T``.
    shards, workers : int
        ``P`` and the number of distinct workers that held shards.
    """

    loss: list = field(default_factory=list)
    fire_pairs: list = field(default_factory=list)
    union: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    bytes_to_shards: list = field(default_factory=list)
    bytes_from_shards: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    fire_codes: list = field(default_factory=list)
    shards: int = 0
    workers: int = 0

    def table(self):
        """The per-step records as a pandas DataFrame (one row per step ``t = 0..T-1``)."""
        import pandas as pd

        rows = []
        for t in range(len(self.union)):
            row = {"t": t, "loss": self.loss[t], "fire_pairs": self.fire_pairs[t], "union": self.union[t],
                   "changed": self.changed[t], "bytes_to_shards": self.bytes_to_shards[t],
                   "bytes_from_shards": self.bytes_from_shards[t]}
            row.update({f"{k}_s": v for k, v in self.seconds[t].items()})
            rows.append(row)
        return pd.DataFrame(rows)


def _check_client(client):
    from distributed import Client

    if not isinstance(client, Client):
        raise TypeError(f"client: expected a distributed.Client, got {type(client).__name__}")
    workers = sorted(client.scheduler_info()["workers"])
    if not workers:
        raise ValueError("client: the cluster has no workers")
    return workers


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps: expected an integer >= 0, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps}")
    return int(steps)


class ShardedGD:
    """Full-batch GD on 2NN(m, b) with the neurons split over ``P`` Dask actors, each with its own DTree.

    Build it with :meth:`from_network` (the client holds ``W`` and sends each shard its rows) or :meth:`from_seed`
    (each shard draws its own rows: the client never holds an ``m x d`` array). Then :meth:`step` runs one GD step
    (one round trip), :meth:`network` gathers the weights. Shards go round-robin to the cluster's workers.

    A shard whose worker dies, or that raises, makes :meth:`step` raise :class:`ShardError` naming the shard and
    its worker; the object is then unusable (every later call raises too): no step is silently lost.
    """

    #: the actor class of a shard (:class:`firesets.distributed_sgd.ShardedSGD` uses its own)
    _shard_class = _Shard

    def __init__(self, client, X, y, b, m, d, shards, make_args, timeout):
        self.client = client
        self.X, self.y, self.b, self.m, self.d = X, y, float(b), int(m), int(d)
        self.n = X.shape[0]
        self.bounds = shard_bounds(m, shards)
        self.timeout = timeout
        self._failed = None
        workers = _check_client(client)
        self.placement = [workers[s % len(workers)] for s in range(shards)]
        [X_f, y_f] = client.scatter([X, y], broadcast=True, hash=False)
        futures = []
        for s in range(shards):
            lo, hi = int(self.bounds[s]), int(self.bounds[s + 1])
            kwargs = make_args(s, lo, hi)
            futures.append(client.submit(self._shard_class, X_f, y_f, self.b, self.m, lo, hi, **kwargs, actor=True,
                                         workers=[self.placement[s]], allow_other_workers=False, pure=False))
        self._futures = futures
        self.actors = self._gather(futures, "creating the shards")
        self.t = 0
        self.log = ShardedLog(shards=shards, workers=len(set(self.placement)))
        self._keep_codes = False
        self._u = None

    # -------------------------------------------------------------------------------- construction
    @classmethod
    def from_network(cls, net: TwoLayerReLU, X, y, *, client, shards=None, timeout=None) -> "ShardedGD":
        """Shard ``net`` (copied; never mutated) over ``shards`` actors (default: one per worker)."""
        if not isinstance(net, TwoLayerReLU):
            raise TypeError(f"net: expected a TwoLayerReLU, got {type(net).__name__}")
        X = check_matrix(X, "X", cols=net.d)
        y = check_vector(y, "y", length=X.shape[0])
        workers = _check_client(client)
        shards = len(workers) if shards is None else shards
        bounds = shard_bounds(net.m, shards)
        timeout = _check_timeout(timeout)
        client_ = client

        def make_args(s, lo, hi):
            W_s, a_s = client_.scatter([np.ascontiguousarray(net.W[lo:hi]), net.a[lo:hi].copy()],
                                       workers=[workers[s % len(workers)]], hash=False)
            return {"W": W_s, "a": a_s}

        del bounds
        return cls(client, X, y, net.b, net.m, net.d, shards, make_args, timeout)

    @classmethod
    def from_seed(cls, m, X, y, *, client, shards=None, b=None, seed=0, timeout=None) -> "ShardedGD":
        """Each shard draws its own rows by :func:`chunked_init` ``(m, d, lo, hi, seed)``.

        ``b=None`` gives ``sqrt(0.4 ln m)`` (Remark 2.6); the client never holds an ``m x d`` array.
        """
        m = check_positive_int(m, "m")
        X = check_matrix(X, "X")
        y = check_vector(y, "y", length=X.shape[0])
        b = paper_threshold(m) if b is None else check_finite_real(b, "b")
        seed = check_positive_int(seed, "seed", minimum=0)
        workers = _check_client(client)
        shards = len(workers) if shards is None else shards
        shard_bounds(m, shards)
        timeout = _check_timeout(timeout)
        return cls(client, X, y, b, m, X.shape[1], shards, lambda s, lo, hi: {"seed": seed}, timeout)

    # -------------------------------------------------------------------------------- calls
    def _fail(self, s, what, exc):
        lo, hi = int(self.bounds[s]), int(self.bounds[s + 1])
        self._failed = (f"shard {s} (neurons {lo}..{hi - 1}) on worker {self.placement[s]} failed during "
                        f"{what} at step {getattr(self, 't', 0)}: {type(exc).__name__}: {exc}")
        self._release()
        return ShardError(self._failed)

    def _gather(self, futures, what):
        """Results of one call per shard, in shard order; any failure -> :class:`ShardError`."""
        out = []
        for s, fut in enumerate(futures):
            try:
                out.append(fut.result(timeout=self.timeout))
            except Exception as exc:
                raise self._fail(s, what, exc) from exc
        return out

    def _call(self, method, *args, what):
        """Call ``method(*args)`` on every shard at once and gather the answers (any failure -> ShardError)."""
        futures = []
        for s, actor in enumerate(self.actors):
            try:  # an actor whose worker is known to be gone refuses the call itself
                futures.append(getattr(actor, method)(*args))
            except Exception as exc:
                raise self._fail(s, what, exc) from exc
        return self._gather(futures, what)

    def _check_alive(self, ask_scheduler: bool = False):
        """Refuse after a failure; with ``ask_scheduler``, also check every shard's worker is still in the cluster.

        (Asking the scheduler costs a round trip, so a step relies on the calls themselves: a call to an actor
        whose worker has gone fails at once.)
        """
        if self._failed is not None:
            raise ShardError(f"this sharded run already failed ({self._failed})")
        if not ask_scheduler:
            return
        alive = set(self.client.scheduler_info()["workers"])
        for s, w in enumerate(self.placement):
            if w not in alive:
                self._failed = f"shard {s} lost: its worker {w} left the cluster before step {self.t}"
                self._release()
                raise ShardError(self._failed)

    def _release(self):
        self.actors = []
        self._futures = []

    def start(self, keep_codes: bool = False) -> None:
        """The forward pass at the initial weights (called by the first :meth:`step` if not before)."""
        self._check_alive(ask_scheduler=True)
        self._keep_codes = bool(keep_codes)
        res = self._call("start", self._keep_codes, what="the first forward pass")
        self._record_state(res)

    def _record_state(self, res):
        t0 = perf_counter()
        u = np.sum([r["u"] for r in res], axis=0)
        reduce_s = perf_counter() - t0
        self._u = u
        err = u - self.y
        self.log.loss.append(0.5 * float(err @ err))
        self.log.fire_pairs.append(int(sum(r["pairs"] for r in res)))
        if self._keep_codes:
            codes = np.concatenate([r["codes"] for r in res])
            codes.sort()
            self.log.fire_codes.append(codes)
        return reduce_s

    def step(self, eta) -> None:
        """One GD step ``W(t+1) = W(t) - eta dL/dW(W(t))``: one round trip to every shard."""
        eta = check_finite_real(eta, "eta", low=0.0, low_open=True)
        if self._u is None:
            self.start()
        self._check_alive()
        err = self._u - self.y
        t0, c0 = perf_counter(), process_time()
        res = self._call("step", err, eta, self._keep_codes, what="a GD step")
        wall = perf_counter() - t0
        msg = (err, eta, self._keep_codes)
        self.log.bytes_to_shards.append(_payload_bytes(msg) * len(res))
        self.log.bytes_from_shards.append(sum(_payload_bytes(r) for r in res))
        self.log.union.append(int(sum(r["union"] for r in res)))
        self.log.changed.append(int(sum(r["changed"] for r in res)))
        reduce_s = self._record_state(res)
        client_cpu = process_time() - c0
        self.log.seconds.append({"wall": wall, "shard_update": max(r["update_s"] for r in res),
                                 "shard_forward": max(r["forward_s"] for r in res), "reduce": reduce_s,
                                 "client_cpu": client_cpu})
        self.t += 1

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Gather ``W`` (m, d) and ``a`` (m,) from the shards (only for widths the client can hold)."""
        self._check_alive()
        parts = self._call("weights", what="gathering the weights")
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def network(self) -> TwoLayerReLU:
        """The current network, gathered."""
        W, a = self.weights()
        return TwoLayerReLU(W, a, self.b)

    def info(self) -> list[dict]:
        """Per shard: rows, bytes held, tree counters, worker address."""
        self._check_alive()
        res = self._call("info", what="info")
        for r, w in zip(res, self.placement):
            r["worker"] = w
        return res

    def close(self) -> None:
        """Release the actors (their memory is freed on the workers)."""
        self._release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _check_timeout(timeout):
    if timeout is None:
        return None
    return check_finite_real(timeout, "timeout", low=0.0, low_open=True)


def train_sharded(net: TwoLayerReLU, X, y, eta, steps, *, client, shards=None, keep_codes=False, timeout=None):
    """Run ``steps`` full-batch GD steps on 2NN(m, b) with the DTree sharded over neurons; returns ``(net2, log)``.

    Parameters
    ----------
    net : TwoLayerReLU
        Initial network (not mutated).
    X : ndarray (n, d), y : ndarray (n,)
        Data and labels.
    eta : float
        Learning rate, finite and ``> 0``.
    steps : int
        Number of steps ``T >= 0``.
    client : distributed.Client
        A client of any Dask cluster (``LocalCluster`` or ``Client("tcp://host:8786")``).
    shards : int, optional
        ``P``, between 1 and ``m`` (default: one per worker); shards go round-robin to the workers.
    keep_codes : bool
        Record the fire codes ``i * m + r`` of every ``W(t)`` in ``log.fire_codes`` (costs ``O(k)`` traffic).
    timeout : float, optional
        Seconds to wait for a shard's answer before failing.

    Returns
    -------
    TwoLayerReLU, ShardedLog
        ``W(T)`` (gathered to the client) and the log (see :class:`ShardedLog`).

    Raises
    ------
    ShardError
        A shard's worker died or a shard raised.

    Notes
    -----
    The step is the one of :class:`firesets.training.DenseStepper` (Definition 2.1, strict firing, descent), computed
    from the firing pairs only, as in Algorithm 8; it equals the one-machine step up to rounding (the order of the
    additions in ``u`` differs).
    """
    if not isinstance(net, TwoLayerReLU):
        raise TypeError(f"net: expected a TwoLayerReLU, got {type(net).__name__}")
    X = check_matrix(X, "X", cols=net.d)
    y = check_vector(y, "y", length=X.shape[0])
    eta = check_finite_real(eta, "eta", low=0.0, low_open=True)
    steps = _check_steps(steps)
    with ShardedGD.from_network(net, X, y, client=client, shards=shards, timeout=timeout) as run:
        run.start(keep_codes=keep_codes)
        for _ in range(steps):
            run.step(eta)
        return run.network(), run.log
