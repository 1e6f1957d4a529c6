"""The per-iteration ledger of fire and flip sets during training (Appendix B.2 of the Bypass paper; Claim A.1).

Chapter: ``book/fire_sets_in_training.md``.
"""
from __future__ import annotations

import math

import numpy as np

from ._validate import check_finite_real, check_matrix, check_positive_int

__all__ = ["Ledger"]


class Ledger:
    """Per-iteration record of a training run: loss, fire counts, flips, never-flipped sets, weight movement.

    Built only from :class:`StepRecord` s (plus the rows of ``W`` a step changed), so it works for every stepper.
    Row ``t`` of each array describes ``W(t)``, ``t = 0, ..., T``.

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
        ``flip_codes[t]`` holds ``i * m + r`` for ``r in S_{i,flip}(t)`` (empty at ``t = 0``).
    fire_codes : list of ndarray or None
        The fire codes of every iteration when ``keep_codes=True``.

    Notes
    -----
    Flips are changes of the firing state ``1[<w_r, x_i> > b]``. Definition B.4 writes
    ``sgn(<w_r(t), x_i> - b) != sgn(<w_r(t-1), x_i> - b)``, which with ``sgn(0) = 0`` would count a move onto the
    threshold as a flip; with strict firing a pre-activation equal to ``b`` does not fire, so we use the two-state
    version (the two agree unless a pre-activation equals ``b`` exactly).

    Cost per iteration: a sorted symmetric difference of two code arrays (the flips), three ``bincount`` s and a
    gather of the changed rows of ``W``; the never-flipped sets live in one boolean mask of ``n m`` entries (first
    flips are counted once). The chapter measures this bookkeeping against the dense step it records.
    """

    def __init__(self, W0: np.ndarray, X: np.ndarray, b: float, keep_codes: bool = False):
        W0 = check_matrix(W0, "W0")
        X = check_matrix(X, "X", cols=W0.shape[1])
        self.m, self.d = W0.shape
        self.n = X.shape[0]
        self.b = check_finite_real(b, "b")
        self.keep_codes = bool(keep_codes)
        self._W0 = W0.copy()
        self._row_move = np.zeros(self.m)
        self._xnorm = float(np.max(np.linalg.norm(X, axis=1)))
        # sorted initial pre-activations per input, for the envelope count
        self._P0sorted = np.sort(X @ W0.T, axis=1)  # (n, m)
        self._loss: list[float] = []
        self._k: list[np.ndarray] = []
        self._union: list[int] = []
        self._flips: list[np.ndarray] = []
        self._never: list[np.ndarray] = []
        self._move: list[float] = [0.0]
        self.flip_codes: list[np.ndarray] = []
        self.fire_codes: list[np.ndarray] | None = [] if self.keep_codes else None
        self._prev: np.ndarray | None = None
        self._ever = np.zeros(self.n * self.m, dtype=bool)  # code i * m + r has flipped at least once
        self._ever_count = np.zeros(self.n, dtype=np.int64)  # per input i, the number of such r

    def append(self, loss: float, fire_codes: np.ndarray) -> None:
        """Record the loss and the sorted fire codes ``i * m + r`` of the next iteration ``W(t)``.

        Call :meth:`moved` between two appends (after each step) so that ``movement[t]`` is known.
        """
        codes = np.asarray(fire_codes, dtype=np.int64)
        m, n = self.m, self.n
        t = len(self._loss)
        if len(self._move) != t + 1:
            raise ValueError("fire_codes: call moved(W, changed) after each step before recording the next state")
        if self._prev is not None:
            flip = np.setxor1d(self._prev, codes, assume_unique=True)
            new = flip[~self._ever[flip]]  # first flips of their pair (i, r)
            self._ever[new] = True
            self._ever_count += np.bincount(new // m, minlength=n)
        else:
            flip = np.empty(0, dtype=np.int64)
        self._loss.append(float(loss))
        self._k.append(np.bincount(codes // m, minlength=n))
        self._union.append(int(np.count_nonzero(np.bincount(codes % m, minlength=m))))
        self._flips.append(np.bincount(flip // m, minlength=n))
        self._never.append(m - self._ever_count)
        self.flip_codes.append(flip)
        if self.keep_codes:
            self.fire_codes.append(codes)
        self._prev = codes

    def moved(self, W: np.ndarray, changed=None) -> None:
        """Record the movement of the weights ``W(t+1)`` after a step; ``changed`` are the rows the step changed.

        ``changed=None`` means every row may have changed. Only the changed rows are read.
        """
        if len(self._move) != len(self._loss):
            raise ValueError("W: record the state of W(t) with append() before the movement of W(t+1)")
        rows = np.arange(self.m) if changed is None else np.asarray(changed, dtype=np.int64)
        if rows.size:
            diff = W[rows]
            diff -= self._W0[rows]
            self._row_move[rows] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        self._move.append(float(self._row_move.max()))

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

    @property
    def envelope(self) -> np.ndarray:
        """``#{r : <w_r(0), x_i> > b - R(t)}``, shape ``(T+1, n)``, ``R(t) = movement[t] * max_i ||x_i||``."""
        thr = self.b - self.movement * self._xnorm  # (T+1,)
        cnt = np.stack([np.searchsorted(row, thr, side="right") for row in self._P0sorted], axis=1)
        return self.m - cnt

    def envelope_at(self, R) -> np.ndarray:
        """``#{r : <w_r(0), x_i> > b - R}`` for a movement radius ``R >= 0`` (shape ``(n,)``), for any ``R``."""
        R = check_finite_real(R, "R", low=0.0)
        thr = self.b - R * self._xnorm
        return self.m - np.array([np.searchsorted(row, thr, side="right") for row in self._P0sorted])

    def never_flipped_set(self, i: int) -> np.ndarray:
        """``S_i`` of Definition B.5 over the recorded iterations: sorted neurons that never flipped for ``x_i``."""
        i = check_positive_int(i, "i", minimum=0)
        if i >= self.n:
            raise ValueError(f"i: expected an index < n = {self.n}, got {i}")
        return np.flatnonzero(~self._ever[i * self.m : (i + 1) * self.m])

    def flip_set(self, i: int, t: int) -> np.ndarray:
        """``S_{i,flip}(t)`` of Definition B.4: sorted neurons whose firing state for ``x_i`` changed at step ``t``."""
        i = check_positive_int(i, "i", minimum=0)
        t = check_positive_int(t, "t", minimum=1)
        if i >= self.n:
            raise ValueError(f"i: expected an index < n = {self.n}, got {i}")
        if t > self.T:
            raise ValueError(f"t: expected 1 <= t <= T = {self.T}, got {t}")
        c = self.flip_codes[t]
        return c[(c // self.m) == i] % self.m

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
