"""The lower bound of the Bypass paper run end to end: OV -> Z-Max-IP -> DDFN (Definition 1.3, Theorem F.4).

The arithmetic of the proof of Theorem F.4 (its cost terms and exponents) and the measured per-operation costs of a
DDFN structure live in :mod:`firesets.analysis.lower_bound`.
Chapter: ``book/lower_bound.md``.

Slightly over 400 lines: the two reductions (OV -> Z-Max-IP -> DDFN), their instances and the brute-force
oracles they are checked against stay together, as the chapter reads them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from firesets._validate import as_rng, check_finite_real, check_positive_int

__all__ = [
    "ov_random",
    "ov_none",
    "ov_planted",
    "ov_bruteforce",
    "ov_to_max_ip",
    "ov_via_ddfn",
    "max_ip_bruteforce",
    "max_ip_via_ddfn",
    "value_bound",
    "instance_blocks",
    "BruteForceDDFN",
    "DDFN",
    "ReductionLedger",
]

#: integer inputs whose inner products (plus the shift t) stay below this are exact in float64
EXACT_LIMIT = 2**50


# ---------------------------------------------------------------------------------------------- validation
def check_int_matrix(A, name: str, *, cols=None) -> np.ndarray:
    """Return ``A`` as a 2-D int64 array, or raise: the problems here live in Z^d (Definition 1.3, Theorem F.3).

    Integer and boolean arrays are accepted; float arrays only when every entry is an integer value.
    """
    arr = np.asarray(A)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array of integers, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{name}: expected {cols} columns (the dimension d), got shape {arr.shape}")
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        out = arr.astype(np.int64)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: expected integer entries (Z^d), got NaN or inf")
        if not np.all(arr == np.round(arr)):
            bad = np.argwhere(arr != np.round(arr))[0]
            raise ValueError(
                f"{name}: expected integer entries (Z^d), entry {tuple(int(v) for v in bad)} is {arr[tuple(bad)]!r}"
            )
        if np.max(np.abs(arr)) > EXACT_LIMIT:
            raise ValueError(f"{name}: entries larger than 2**50 in absolute value are not supported")
        out = arr.astype(np.int64)
    else:
        raise TypeError(f"{name}: expected an integer array (Z^d), got dtype {arr.dtype}")
    return np.ascontiguousarray(out)


def _check_pair(A, B):
    A = check_int_matrix(A, "A")
    B = check_int_matrix(B, "B", cols=A.shape[1])
    bound = value_bound(A, B)
    if bound > EXACT_LIMIT:
        raise ValueError(
            f"A, B: inner products may reach {bound}, above 2**50: too large for exact float64 arithmetic"
        )
    return A, B


def _check_binary(A, name):
    A = check_int_matrix(A, name)
    if not np.all((A == 0) | (A == 1)):
        raise ValueError(f"{name}: expected entries in {{0, 1}} (an Orthogonal Vectors instance)")
    return A


# ---------------------------------------------------------------------------------------------- OV instances
def ov_random(n: int, d: int, rng=None, p: float = 0.5):
    """Draw an Orthogonal Vectors instance: two sets of ``n`` vectors in {0,1}^d, entries Bernoulli(``p``).

    Parameters
    ----------
    n, d : int
        Set size and dimension (Section 1.3 of :cite:`alman2023bypass`: OV asks for x in X, y in Y with <x, y> = 0).
    rng : int or numpy.random.Generator
    p : float in [0, 1]

    Returns
    -------
    A, B : int64 arrays (n, d)
    """
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    p = check_finite_real(p, "p", low=0.0, high=1.0)
    g = as_rng(rng)
    return (g.random((n, d)) < p).astype(np.int64), (g.random((n, d)) < p).astype(np.int64)


def ov_none(n: int, d: int, rng=None, p: float = 0.5):
    """Draw an OV instance with no orthogonal pair.

    A random instance (:func:`ov_random`) is repaired: for every orthogonal pair ``(i, j)`` one random
    coordinate ``k`` is set to 1 in both ``A[i]`` and ``B[j]``. Turning zeros into ones never lowers an inner
    product of 0/1 vectors, so no new orthogonal pair can appear and the repaired pairs have ``<a, b> >= 1``.
    """
    g = as_rng(rng)
    A, B = ov_random(n, d, g, p)
    I, J = np.nonzero(A @ B.T == 0)
    K = g.integers(0, A.shape[1], size=I.size)
    A[I, K] = 1
    B[J, K] = 1
    return A, B


def ov_planted(n: int, d: int, rng=None, p: float = 0.5):
    """Draw an OV instance with (at least) one planted orthogonal pair.

    Starts from :func:`ov_none` and replaces ``B[j]`` by ``B[j] AND NOT A[i]`` for a random pair ``(i, j)``.

    Returns
    -------
    A, B : int64 arrays (n, d)
    pair : tuple (i, j) with ``<A[i], B[j]> = 0``
    """
    g = as_rng(rng)
    A, B = ov_none(n, d, g, p)
    i, j = (int(v) for v in g.integers(0, A.shape[0], size=2))
    B[j] = B[j] * (1 - A[i])
    return A, B, (i, j)


def ov_bruteforce(A, B) -> bool:
    """Decide Orthogonal Vectors by computing all ``|A| |B|`` inner products: is there a pair with ``<a, b> = 0``?"""
    A = _check_binary(A, "A")
    B = _check_binary(B, "B")
    if B.shape[1] != A.shape[1]:
        raise ValueError(f"B: expected {A.shape[1]} columns (the dimension d), got shape {B.shape}")
    return bool(np.any(A @ B.T == 0))


def ov_to_max_ip(A, B):
    """Reduce OV to Z-Max-IP in the same dimension: return ``(A, -B)``.

    For 0/1 vectors ``<a, b> >= 0``, so an orthogonal pair exists iff ``min <a, b> = 0`` iff
    ``Max-IP(A, -B) = max <a, -b> >= 0``. This is the elementary reduction; the dimension-reducing
    reduction of Chen (Theorem F.3, to dimension ``c^{log* n}`` with O(log n)-bit entries) is not implemented.
    """
    A = _check_binary(A, "A")
    B = _check_binary(B, "B")
    if B.shape[1] != A.shape[1]:
        raise ValueError(f"B: expected {A.shape[1]} columns (the dimension d), got shape {B.shape}")
    return A.copy(), -B


# ---------------------------------------------------------------------------------------------- Max-IP
def value_bound(A, B) -> int:
    """``sum_k max|A[:, k]| * max|B[:, k]|``: every inner product ``<a, b>`` lies in ``[-bound, bound]``."""
    A = np.asarray(A, dtype=np.int64)
    B = np.asarray(B, dtype=np.int64)
    return int(np.abs(A).max(axis=0) @ np.abs(B).max(axis=0))


def max_ip_bruteforce(A, B) -> int:
    """Z-Max-IP by brute force: ``max_{a in A, b in B} <a, b>`` over all ``|A| |B|`` pairs (exact int64)."""
    A, B = _check_pair(A, B)
    return int((A @ B.T).max())


# ---------------------------------------------------------------------------------------------- DDFN
def _counters(structure) -> dict:
    c = structure.counters
    get = c.get if isinstance(c, dict) else (lambda k, default=0: getattr(c, k, default))
    return {k: int(get(k, 0)) for k in ("inner_products", "nodes_written", "nodes_visited")}


class BruteForceDDFN:
    """A stand-in with the API of :class:`firesets.trees.CorrelationDTree`, by stored inner products.

    Keeps the ``(n, m)`` matrix of ``<w_r, x_i>``; an update recomputes one column (``n`` inner products,
    ``n`` entries written); a query scans entries (every scanned entry counts as a visited node). Used as
    the oracle in the tests and as the default structure when the correlation tree is unavailable.
    """

    def __init__(self, W, X):
        self.W = np.array(W, dtype=np.float64)
        self.X = np.array(X, dtype=np.float64)
        if self.W.ndim != 2 or self.X.ndim != 2 or self.W.shape[1] != self.X.shape[1]:
            raise ValueError(f"W, X: expected (m, d) and (n, d) arrays, got {self.W.shape} and {self.X.shape}")
        self.P = self.X @ self.W.T
        n, m = self.P.shape
        self.counters = {"inner_products": n * m, "nodes_written": n * m, "nodes_visited": 0}

    def update(self, r, z):
        self.update_many(np.array([r]), np.asarray(z, dtype=np.float64)[None, :])

    def update_many(self, R, Z):
        R = np.asarray(R, dtype=np.int64)
        Z = np.asarray(Z, dtype=np.float64)
        self.W[R] = Z
        self.P[:, R] = self.X @ Z.T
        self.counters["inner_products"] += self.P.shape[0] * R.size
        self.counters["nodes_written"] += self.P.shape[0] * R.size

    def query(self, i, tau):
        self.counters["nodes_visited"] += self.P.shape[1]
        return np.flatnonzero(self.P[i] > tau)

    def query_all(self, tau):
        self.counters["nodes_visited"] += self.P.size
        I, R = np.nonzero(self.P > tau)
        return I.astype(np.int64), R.astype(np.int64)


def _default_structure():
    try:
        from firesets.trees import CorrelationDTree
    except ImportError:  # pragma: no cover - only while the correlation module is being written
        return BruteForceDDFN
    return CorrelationDTree


class DDFN:
    """Dynamic Detection of Firing Neurons (Definition 1.3 of :cite:`alman2023bypass`) on a correlation tree.

    Holds points ``X`` (n, d) and ``Y`` (m, d) in Z^d and a threshold ``b``; ``update(j, z)`` sets ``y_j = z``;
    ``query()`` returns ``Q = {(i, j) : <x_i, y_j> >= b}`` or reports ``|Q| > m^{4/5} n``.

    Parameters
    ----------
    X, Y : integer arrays (n, d), (m, d)
    b : float
    structure : class, optional
        Anything with the ``CorrelationDTree(W, X)`` API; default :class:`firesets.trees.CorrelationDTree`.
    cap : float, optional
        The escape size, default ``m ** 0.8 * n`` as in Definition 1.3.

    Notes
    -----
    Definition 1.3 fires on ``>= b``, our structures on ``> tau`` (strict, as everywhere in firesets). Inner products of
    integer vectors are integers, so ``<x, y> >= b`` iff ``<x, y> > ceil(b) - 1/2``: the query asks the
    structure for ``tau = ceil(b) - 1/2``. The structure has no early exit, so the escape is decided after
    the full report (the work it did is in its counters); the reduction only needs "empty or not".
    """

    def __init__(self, X, Y, b: float = 0.0, *, structure=None, cap=None):
        X = check_int_matrix(X, "X")
        Y = check_int_matrix(Y, "Y", cols=X.shape[1])
        b = check_finite_real(b, "b")
        self.n, self.d = X.shape
        self.m = Y.shape[0]
        self.b = b
        self.tau = math.ceil(b) - 0.5
        self.cap = float(self.m**0.8 * self.n if cap is None else check_finite_real(cap, "cap", low=0.0))
        cls = _default_structure() if structure is None else structure
        self.tree = cls(Y.astype(np.float64), X.astype(np.float64))
        self.update_calls = 0
        self.query_calls = 0
        self.escapes = 0

    def update(self, j, z):
        """UPDATE(j, z): set ``y_j`` to ``z`` (one call of Definition 1.3)."""
        j = check_positive_int(j, "j", minimum=0)
        if j >= self.m:
            raise ValueError(f"j: expected an index in [0, {self.m}), got {j}")
        z = check_int_matrix(np.asarray(z)[None, :], "z", cols=self.d)[0]
        self.tree.update(j, z.astype(np.float64))
        self.update_calls += 1

    def update_many(self, J, Z):
        """``len(J)`` UPDATE calls at once (unique indices ``J``, rows ``Z``), passed to the structure as one batch."""
        J = np.asarray(J)
        if J.size and (J.dtype == bool or not np.issubdtype(J.dtype, np.integer)):
            raise TypeError(f"J: expected integer indices, got dtype {J.dtype}")
        J = J.astype(np.int64)
        Z = check_int_matrix(Z, "Z", cols=self.d)
        if J.ndim != 1 or J.size != Z.shape[0]:
            raise ValueError(f"J: expected a 1-D index array with one entry per row of Z, got shape {J.shape}")
        if J.size and (J.min() < 0 or J.max() >= self.m or np.unique(J).size != J.size):
            raise ValueError(f"J: expected distinct indices in [0, {self.m})")
        self.tree.update_many(J, Z.astype(np.float64))
        self.update_calls += int(J.size)

    def query(self):
        """QUERY(): ``(Q, escaped)``; ``Q`` is an (q, 2) int array of pairs ``(i, j)``, or ``None`` when ``|Q| > cap``."""
        I, R = self.tree.query_all(self.tau)
        self.query_calls += 1
        if I.size > self.cap:
            self.escapes += 1
            return None, True
        return np.stack([I, R], axis=1), False


# ---------------------------------------------------------------------------------------------- the reduction
@dataclass
class ReductionLedger:
    """What the reduction of Theorem F.4 did: calls, rounds and the work inside the DDFN structures.

    ``update_calls``/``query_calls`` count Definition 1.3's operations; ``init_*`` is the structures'
    preprocessing (counters right after construction), the other work fields the operations after it.
    """

    n_a: int  # |A|: the set split into blocks of n points
    m: int  # |B|: the neurons of every instance
    n: int  # points per DDFN instance
    d: int  # dimension of A, B (the instances have d + 1)
    k_paper: int  # floor(|A| / n), the proof's number of instances
    k: int  # instances built
    lo: int  # initial binary-search interval [lo, hi]
    hi: int
    ts: list = field(default_factory=list)  # t of each round
    answers: list = field(default_factory=list)  # "some pair has <a, b> >= t" of each round
    q_sizes: list = field(default_factory=list)  # sum of |Q| over the instances (-1 when one escaped)
    update_calls: int = 0
    query_calls: int = 0
    escapes: int = 0
    init_inner_products: int = 0
    init_nodes_written: int = 0
    inner_products: int = 0
    nodes_written: int = 0
    nodes_visited: int = 0

    @property
    def rounds(self) -> int:
        return len(self.ts)


def instance_blocks(n_a: int, n: int, literal_floor: bool = False) -> list:
    """First rows of the blocks of ``n`` points of ``A``: ``0, n, ..., (k-1) n`` with ``k = floor(n_a / n)``, plus
    ``n_a - n`` (a last block overlapping its predecessor) when ``n`` does not divide ``n_a`` and not ``literal_floor``."""
    k_floor = n_a // n
    starts = [i * n for i in range(k_floor)]
    if not literal_floor and k_floor * n < n_a:
        starts.append(n_a - n)  # last block overlaps the previous one: every point is covered, none invented
    return starts


def max_ip_via_ddfn(A, B, n: int, *, structure=None, literal_floor: bool = False, cap=None):
    """Solve Z-Max-IP of ``A`` and ``B`` through DDFN instances of ``n`` points (proof of Theorem F.4).

    Construction: ``x~ = (a, -1)`` for ``a`` in ``A``, ``y~ = (b, w)`` for ``b`` in ``B``; ``A`` is cut into blocks of
    ``n`` points, one DDFN instance (Definition 1.3, threshold 0) per block holding all of ``B``. A binary search
    on the integer ``t`` (interval ``[-V, V]``, ``V`` = :func:`value_bound`) sets ``(y~_j)_{d+1} = t`` by ``m``
    UPDATE calls in every instance and then calls QUERY() in every instance: since
    ``<x~, y~> = <a, b> - t``, some QUERY is non-empty (or escapes) iff some pair has ``<a, b> >= t``.

    Parameters
    ----------
    A, B : integer arrays (n_a, d), (m, d)
        The proof has ``|A| = |B| = m``; here they may differ.
    n : int
        Points per instance, ``1 <= n <= |A|`` (the proof's ``m >= n``).
    structure : class, optional
        DDFN structure with the ``CorrelationDTree`` API (default: :class:`firesets.trees.CorrelationDTree`).
    literal_floor : bool
        Build exactly ``k = floor(|A| / n)`` instances as the proof says (points past ``k n`` are then never
        examined, and the answer can be wrong). Default False: one extra instance over the last ``n`` points.
    cap : float, optional
        QUERY's escape size (default ``m^{4/5} n``, Definition 1.3).

    Returns
    -------
    value : int
        ``max <a, b>`` (over the covered points of ``A`` when ``literal_floor``).
    ledger : ReductionLedger

    Notes
    -----
    Differences from the proof: the blocks are ``{x~_{(i-1)n+1}, ..., x~_{in}}`` (the proof writes
    ``{x~_1, ..., x~_n}`` for every ``i``); ``w`` (never chosen in the proof) starts at 0; QUERY's ``>= 0``
    is asked as ``> -1/2``; every round queries all instances (no early exit), as the proof counts.
    """
    A, B = _check_pair(A, B)
    n_a, d = A.shape
    m = B.shape[0]
    n = check_positive_int(n, "n")
    if n > n_a:
        raise ValueError(
            f"n: expected at most |A| = {n_a} points per instance (the construction needs m >= n), got {n}"
        )
    V = value_bound(A, B)
    starts = instance_blocks(n_a, n, bool(literal_floor))
    led = ReductionLedger(n_a=n_a, m=m, n=n, d=d, k_paper=n_a // n, k=len(starts), lo=-V, hi=V)
    Yt = np.concatenate([B, np.zeros((m, 1), dtype=np.int64)], axis=1)
    inst = []
    for s in starts:
        Xt = np.concatenate([A[s : s + n], -np.ones((n, 1), dtype=np.int64)], axis=1)
        inst.append(DDFN(Xt, Yt, 0.0, structure=structure, cap=cap))
    init = [_counters(D.tree) for D in inst]
    led.init_inner_products = sum(c["inner_products"] for c in init)
    led.init_nodes_written = sum(c["nodes_written"] for c in init)
    J = np.arange(m)
    lo, hi = -V, V
    while lo < hi:
        t = lo + (hi - lo + 1) // 2
        Yt[:, d] = t
        found, q_total = False, 0
        for D in inst:
            D.update_many(J, Yt)
            Q, escaped = D.query()
            found = found or escaped or Q.shape[0] > 0
            q_total = -1 if (escaped or q_total < 0) else q_total + Q.shape[0]
        led.ts.append(int(t))
        led.answers.append(bool(found))
        led.q_sizes.append(int(q_total))
        lo, hi = (t, hi) if found else (lo, t - 1)
    for D, c0 in zip(inst, init):
        c = _counters(D.tree)
        led.update_calls += D.update_calls
        led.query_calls += D.query_calls
        led.escapes += D.escapes
        for key in ("inner_products", "nodes_written", "nodes_visited"):
            setattr(led, key, getattr(led, key) + c[key] - c0[key])
    return int(lo), led


def ov_via_ddfn(A, B, n: int, **kwargs):
    """Decide OV through the chain OV -> Z-Max-IP (:func:`ov_to_max_ip`) -> DDFN (:func:`max_ip_via_ddfn`).

    Returns ``(has_orthogonal_pair, ledger)``.
    """
    A2, B2 = ov_to_max_ip(A, B)
    value, led = max_ip_via_ddfn(A2, B2, n, **kwargs)
    return value >= 0, led
