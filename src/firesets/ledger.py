"""The per-iteration ledger of fire and flip sets during training (Appendix B.2 of the Bypass paper; Claim A.1).

Chapter: ``book/fire_sets_in_training.md``.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._validate import check_finite_real, check_matrix, check_pairs, check_positive_int, check_rows

__all__ = ["Ledger"]


@njit(cache=True)
def _sorted_xor(a, b):  # pragma: no cover - compiled
    """The symmetric difference of two sorted unique int arrays, sorted: one merge, ``O(|a| + |b|)``."""
    out = np.empty(a.size + b.size, np.int64)
    p = q = k = 0
    while p < a.size and q < b.size:
        if a[p] < b[q]:
            out[k] = a[p]
            k += 1
            p += 1
        elif a[p] > b[q]:
            out[k] = b[q]
            k += 1
            q += 1
        else:
            p += 1
            q += 1
    while p < a.size:
        out[k] = a[p]
        k += 1
        p += 1
    while q < b.size:
        out[k] = b[q]
        k += 1
        q += 1
    return out[:k]


@njit(cache=True)
def _set_leaves(tree, M, rows, vals):  # pragma: no cover - compiled
    """Max-tree over ``M`` leaves (heap layout, root at 1): set the sorted unique leaves ``rows`` to ``vals`` and
    repair the union of their paths level by level (each shared node once, memory read in order)."""
    k = rows.size
    nodes = np.empty(k, np.int64)
    for j in range(k):
        nodes[j] = M + rows[j]
        tree[nodes[j]] = vals[j]
    while k > 0 and nodes[0] > 1:
        q = 0
        for j in range(k):  # the distinct parents, still sorted (q <= j: in place)
            p = nodes[j] // 2
            if q == 0 or nodes[q - 1] != p:
                nodes[q] = p
                q += 1
        for j in range(q):
            v = nodes[j]
            tree[v] = max(tree[2 * v], tree[2 * v + 1])
        k = q


@njit(cache=True, fastmath=True)
def _row_distances(W, W0, rows):  # pragma: no cover - compiled
    """``||w_r - w_r(0)||_2`` for the rows ``rows``, read once each, without temporaries.

    ``fastmath``: the sum of squares may be reassociated (vectorized), which keeps more rows in flight; the
    result differs from a sequential sum by a few ulps (measured 3.7x faster at 38k rows of d = 64)."""
    out = np.empty(rows.size)
    for j in range(rows.size):
        r = rows[j]
        s = 0.0
        for q in range(W.shape[1]):
            t = W[r, q] - W0[r, q]
            s += t * t
        out[j] = np.sqrt(s)
    return out


class Ledger:
    """Per-iteration record of a training run: loss, fire counts, flips, never-flipped sets, weight movement.

    Built from the firing pairs of each iteration and the rows of ``W`` each step changed, so it works for every
    stepper. Row ``t`` of each array describes ``W(t)``, ``t = 0, ..., T``.

    Parameters
    ----------
    W0 : ndarray (m, d)
        ``W(0)``. With ``copy=False`` the ledger keeps a reference (``train`` does: it never writes
        ``net.W``); the array must then not change while the ledger is used.
    X : ndarray (n, d)
        The data. ``b`` : float, the threshold.
    keep_codes : bool
        Keep the fire codes of every iteration (:attr:`fire_codes`).

    Attributes
    ----------
    loss : ndarray (T+1,)
        ``L(W(t))`` (Definition 2.1).
    k : ndarray (T+1, n) of int
        ``k_{i,t} = |S_{i,fire}(t)|`` (Definition 2.4).
    union : ndarray (T+1,) of int
        ``|union_i S_{i,fire}(t)|``: the neurons a sparse step must touch.
    flips : ndarray (T+1, n) of int
        ``|S_{i,flip}(t)|`` (Definition B.4); row 0 is 0.
    never_flipped : ndarray (T+1, n) of int
        ``|{r : no flip for x_i in iterations 1..t}|``; the last row is ``|S_i|`` of Definition B.5 with ``T = t``.
    movement : ndarray (T+1,)
        ``||W(t) - W(0)||_{inf,2} = max_r ||w_r(t) - w_r(0)||_2`` (Claim A.1).
    envelope : ndarray (T+1, n) of int
        ``#{r : <w_r(0), x_i> > b - R(t)}`` with ``R(t) = movement[t] * max_i ||x_i||``: a deterministic upper bound
        on ``k_{i,t}`` (the counting step of the proof of Lemma B.6 / Lemma C.10 of [SYZ21]).
    flip_codes : list of ndarray
        ``flip_codes[t]`` holds ``i * m + r`` (sorted) for ``r in S_{i,flip}(t)`` (empty at ``t = 0``).
    fire_codes : list of ndarray or None
        The sorted fire codes ``i * m + r`` of every iteration when ``keep_codes=True``.

    Notes
    -----
    Flips are changes of the firing state ``1[<w_r, x_i> > b]``. Definition B.4 writes
    ``sgn(<w_r(t), x_i> - b) != sgn(<w_r(t-1), x_i> - b)``, which with ``sgn(0) = 0`` would count a move onto the
    threshold as a flip; with strict firing a pre-activation equal to ``b`` does not fire, so we use the two-state
    version (the two agree unless a pre-activation equals ``b`` exactly).

    Cost per iteration ``O(k + |U| (d + log m))``, never ``O(m)`` or ``O(n m)``: the pairs are kept as
    neuron-major codes ``r n + i`` (sorted as the steppers report them), the flips are one merge of two sorted
    code arrays, the first flips of each pair are marked in a bit per pair (allocated zeroed, touched only at
    flips), the movement of the changed rows goes into a max-tree over the ``m`` row movements (``log m`` per
    changed row). The envelope needs the sorted ``<w_r(0), x_i>``: computed once, at the first read.
    """

    def __init__(self, W0, X, b, keep_codes: bool = False, copy: bool = True):
        W0 = check_matrix(W0, "W0")
        X = check_matrix(X, "X", cols=W0.shape[1])
        self._setup(W0.copy() if copy else W0, X, check_finite_real(b, "b"), keep_codes)

    @classmethod
    def _trusted(cls, W0, X, b, keep_codes=False) -> "Ledger":
        """A ledger on arguments already validated (``train``): no copy of ``W0``, no pass over it."""
        self = cls.__new__(cls)
        self._setup(W0, X, float(b), keep_codes)
        return self

    def _setup(self, W0, X, b, keep_codes):
        self.m, self.d = W0.shape
        self.n = X.shape[0]
        self.b = b
        self.keep_codes = bool(keep_codes)
        self._W0, self._X = W0, X
        self._xnorm = float(np.max(np.linalg.norm(X, axis=1)))
        self._M = 1 << max(0, (self.m - 1).bit_length())
        self._move_tree = np.zeros(2 * self._M)  # max-tree of ||w_r(t) - w_r(0)||, root at 1
        self._ever = np.zeros(self.n * self.m, dtype=bool)  # code r n + i has flipped at least once
        self._ever_count = np.zeros(self.n, dtype=np.int64)
        self._P0sorted = None
        self._loss: list[float] = []
        self._k: list[np.ndarray] = []
        self._union: list[int] = []
        self._flips: list[np.ndarray] = []
        self._never: list[np.ndarray] = []
        self._move: list[float] = [0.0]
        self._flip_codes: list[np.ndarray] = []
        self._fire_codes: list[np.ndarray] = []
        self._prev = None

    def append(self, loss: float, i, r) -> None:
        """Record ``L(W(t))`` and the firing pairs ``(i, r)`` of the next iteration, sorted by ``(r, i)``.

        Call :meth:`moved` between two appends (after each step) so that ``movement[t]`` is known.
        """
        if len(self._move) != len(self._loss) + 1:
            raise ValueError("i: call moved(W, changed) after each step before recording the next state")
        i, r = check_pairs(i, r, self.n, self.m)
        codes = r * self.n + i
        loss = check_finite_real(loss, "loss")
        n = self.n
        flip = np.empty(0, np.int64) if self._prev is None else _sorted_xor(self._prev, codes)
        new = flip[~self._ever[flip]]  # first flips of their pair (i, r)
        self._ever[new] = True
        self._ever_count += np.bincount(new % n, minlength=n)
        self._loss.append(loss)
        self._k.append(np.bincount(i, minlength=n))
        self._union.append(int(np.count_nonzero(r[1:] != r[:-1])) + 1 if r.size else 0)
        self._flips.append(np.bincount(flip % n, minlength=n))
        self._never.append(self.m - self._ever_count)
        self._flip_codes.append(flip)
        if self.keep_codes:
            self._fire_codes.append(codes)
        self._prev = codes

    def moved(self, W, changed=None) -> None:
        """Record the movement of ``W(t+1)`` after a step; ``changed`` are the rows the step may have changed.

        ``changed=None`` means every row. Only the changed rows are read: ``O(|changed| (d + log m))``.
        """
        if len(self._move) != len(self._loss):
            raise ValueError("W: record the state of W(t) with append() before the movement of W(t+1)")
        rows = np.arange(self.m) if changed is None else check_rows(changed, "changed", self.m)
        if rows.size:
            _set_leaves(self._move_tree, self._M, rows, _row_distances(W, self._W0, rows))
        self._move.append(float(self._move_tree[1]))

    # ------------------------------------------------------------------ array views
    @property
    def T(self) -> int:
        """Number of steps recorded (``len - 1``)."""
        return len(self._loss) - 1

    loss = property(lambda self: np.array(self._loss))
    k = property(lambda self: np.array(self._k))
    union = property(lambda self: np.array(self._union))
    flips = property(lambda self: np.array(self._flips))
    never_flipped = property(lambda self: np.array(self._never))
    movement = property(lambda self: np.array(self._move[: len(self._loss)]))

    def _data_major(self, codes: np.ndarray) -> np.ndarray:
        return np.sort((codes % self.n) * self.m + codes // self.n)

    @property
    def flip_codes(self) -> list:
        """``flip_codes[t]``: the sorted codes ``i * m + r`` of the flips at step ``t`` (Definition B.4)."""
        return [self._data_major(c) for c in self._flip_codes]

    @property
    def fire_codes(self) -> list | None:
        """The sorted fire codes ``i * m + r`` of every iteration (``None`` unless ``keep_codes=True``)."""
        return [self._data_major(c) for c in self._fire_codes] if self.keep_codes else None

    def _sorted_P0(self) -> np.ndarray:
        if self._P0sorted is None:
            self._P0sorted = np.sort(self._X @ self._W0.T, axis=1)  # (n, m)
        return self._P0sorted

    def envelope_at(self, R) -> np.ndarray:
        """``#{r : <w_r(0), x_i> > b - R max_i ||x_i||}`` for a movement radius ``R >= 0``, shape ``(n,)``."""
        R = check_finite_real(R, "R", low=0.0)
        return self._envelope(np.array([R]))[0]

    def _envelope(self, R: np.ndarray) -> np.ndarray:
        thr = self.b - R * self._xnorm
        P0 = self._sorted_P0()
        return self.m - np.stack([np.searchsorted(row, thr, side="right") for row in P0], axis=1)

    @property
    def envelope(self) -> np.ndarray:
        """``#{r : <w_r(0), x_i> > b - R(t)}``, shape ``(T+1, n)``, ``R(t) = movement[t] * max_i ||x_i||``."""
        return self._envelope(self.movement)

    def never_flipped_set(self, i: int) -> np.ndarray:
        """``S_i`` of Definition B.5 over the recorded iterations: sorted neurons that never flipped for ``x_i``."""
        i = check_positive_int(i, "i", minimum=0)
        if i >= self.n:
            raise ValueError(f"i: expected an index < n = {self.n}, got {i}")
        return np.flatnonzero(~self._ever[i :: self.n])

    def flip_set(self, i: int, t: int) -> np.ndarray:
        """``S_{i,flip}(t)`` of Definition B.4: sorted neurons whose firing state for ``x_i`` changed at step ``t``."""
        i = check_positive_int(i, "i", minimum=0)
        t = check_positive_int(t, "t", minimum=1)
        if i >= self.n:
            raise ValueError(f"i: expected an index < n = {self.n}, got {i}")
        if t > self.T:
            raise ValueError(f"t: expected 1 <= t <= T = {self.T}, got {t}")
        c = self._flip_codes[t]
        return c[c % self.n == i] // self.n

    def claim_a1_bound(self, lam: float) -> float:
        """``D = 4 lambda^{-1} m^{-1/2} sqrt(n) ||err(0)||_2`` of Claim A.1 (``||err(0)||^2 = 2 L(W(0))``)."""
        lam = check_finite_real(lam, "lam", low=0.0, low_open=True)
        return 4.0 / lam / math.sqrt(self.m) * math.sqrt(self.n) * math.sqrt(2.0 * self._loss[0])

    def summary(self) -> dict:
        """A few scalars: final loss, max/mean fire counts at t = 0 and over all t, total flips, max movement."""
        k = self.k
        return {
            "T": self.T,
            "loss0": float(self._loss[0]),
            "lossT": float(self._loss[-1]),
            "k0_max": int(k[0].max()),
            "k_max": int(k.max()),
            "k_mean": float(k.mean()),
            "flips_total": int(self.flips.sum()),
            "movement_max": float(max(self._move)),
        }
