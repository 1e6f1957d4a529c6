"""Full-batch gradient descent on 2NN(m, b) (Section 2) and the per-iteration ledger of fire and flip sets (Appendix B.2)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from scipy.linalg import blas as _blas

from ._validate import check_finite_real, check_matrix, check_positive_int, check_vector
from .network import TwoLayerReLU

__all__ = [
    "StepRecord",
    "Stepper",
    "DenseStepper",
    "Ledger",
    "register_stepper",
    "available_steppers",
    "make_stepper",
    "train",
    "fire_state",
    "check_eta",
]


# ---------------------------------------------------------------------------------------------- protocol
@dataclass
class StepRecord:
    """What one GD step reports about ``W(t)``, the weights *before* the step.

    Attributes
    ----------
    loss : float
        ``L(W(t))`` of Definition 2.1.
    fire_codes : ndarray of int64, sorted
        ``i * m + r`` for every firing pair ``<w_r(t), x_i> > b`` (Definition 2.4, strict firing).
    changed : ndarray of int64, sorted
        The neurons ``r`` whose weights the step changed (may include rows whose update underflowed to zero).
    counters : dict
        Operation counts of the step (``{}`` for the dense step).
    phase_seconds : dict
        Optional phase timings (``{}`` when not timed).
    """

    loss: float
    fire_codes: np.ndarray
    changed: np.ndarray
    counters: dict = field(default_factory=dict)
    phase_seconds: dict = field(default_factory=dict)


@runtime_checkable
class Stepper(Protocol):
    """One full-batch GD step at a time (see ``notes/stepper_protocol.md``)."""

    name: str

    @property
    def W(self) -> np.ndarray:  # pragma: no cover - protocol
        ...

    def step(self, eta: float, record: bool = True) -> StepRecord | None:  # pragma: no cover - protocol
        ...


_REGISTRY: dict[str, type] = {}


def register_stepper(name: str, cls) -> None:
    """Register a stepper class under ``name`` (``firesets.fasttrain`` registers "scan", "dtree", "wtree")."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty string, got {name!r}")
    if not callable(cls):
        raise TypeError(f"cls: expected a class, got {type(cls).__name__}")
    _REGISTRY[name] = cls


def available_steppers() -> list[str]:
    """Sorted names of the registered steppers (imports ``firesets.fasttrain`` if it exists)."""
    _load_fast()
    return sorted(_REGISTRY)


def _load_fast() -> None:
    try:  # Chapter 4's steppers register themselves on import
        from . import fasttrain  # noqa: F401
    except ImportError:  # pragma: no cover - before Chapter 4 exists
        pass


def check_eta(eta) -> float:
    """Return ``eta`` as a float, or raise ``ValueError`` unless it is finite and ``> 0``."""
    return check_finite_real(eta, "eta", low=0.0, low_open=True)


def _check_data(net: TwoLayerReLU, X, y) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(net, TwoLayerReLU):
        raise TypeError(f"net: expected a TwoLayerReLU, got {type(net).__name__}")
    X = check_matrix(X, "X", cols=net.d)
    y = check_vector(y, "y", length=X.shape[0])
    return X, y


def fire_state(W: np.ndarray, a: np.ndarray, b: float, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Loss ``L(W)`` and sorted fire codes ``i * m + r`` (``<w_r, x_i> > b``), by one dense pass.

    Used by :func:`train` for the state after the last step (steppers report the state before each step).
    """
    m = W.shape[0]
    P = W @ X.T
    F = P > b
    P -= b
    np.maximum(P, 0.0, out=P)
    err = (a / math.sqrt(m)) @ P - y
    return 0.5 * float(err @ err), np.flatnonzero(F.T).astype(np.int64)


# ---------------------------------------------------------------------------------------------- dense step
class DenseStepper:
    """The best dense full-batch GD step on 2NN(m, b): ``W(t+1) = W(t) - eta dL/dW(W(t))`` (Section 2).

    Parameters
    ----------
    net : TwoLayerReLU
        The network; its ``W`` is copied, ``net`` is never mutated. Only ``W`` trains, ``a`` stays fixed.
    X : ndarray, shape (n, d)
        Inputs (unit norm in the paper; not required here).
    y : ndarray, shape (n,)
        Labels.

    Notes
    -----
    One step costs two BLAS products and a handful of ``m x n`` passes, in the ``W @ X.T`` orientation:

    1. ``P = W X^T`` into a buffer reused across steps (``m n d`` flops);
    2. ``F = P > b`` (strict firing), ``P <- sigma_b(P)`` in place, ``u = (a / sqrt m)^T P``;
    3. the coefficient matrix ``C = -eta (a / sqrt m) (u - y)^T * F`` is written into ``P`` (scalings folded into
       the ``m x n`` matrix, never into an ``m x d`` one);
    4. ``W <- W + C X`` by one ``dgemm`` with ``beta = 1`` that accumulates into ``W`` in place (no ``m x d``
       temporary).

    The gradient is the paper's ``dL/dw_r = a_r m^{-1/2} sum_i (f(W, x_i, a) - y_i) x_i 1[<w_r, x_i> > b]`` with the
    strict indicator (the paper writes ``>=``; the two differ only where ``sigma_b`` has a kink).

    References
    ----------
    .. [1] Alman et al., NeurIPS 2023, Definition 2.1 and the update rule of Section 2.
    """

    name = "dense"

    def __init__(self, net: TwoLayerReLU, X, y):
        X, y = _check_data(net, X, y)
        self._Wt = np.array(net.W.T, order="F")  # (d, m) Fortran = (m, d) C-contiguous rows w_r
        self.X = X
        self.y = y
        self.a = net.a.copy()
        self.b = float(net.b)
        m, n = net.m, X.shape[0]
        self.m, self.n, self.d = m, n, net.d
        self._s = self.a / math.sqrt(m)
        self._P = np.empty((m, n))
        self._F = np.empty((m, n), dtype=bool)
        self._XT = X.T  # view; X is C-contiguous so X.T is Fortran-contiguous (d, n)

    @property
    def W(self) -> np.ndarray:
        """The current weights, shape ``(m, d)`` (a view; callers copy)."""
        return self._Wt.T

    def step(self, eta: float, record: bool = True) -> StepRecord | None:
        """One GD step; returns the :class:`StepRecord` of ``W(t)`` (``None`` when ``record=False``)."""
        eta = check_eta(eta)
        W = self._Wt.T
        P, F = self._P, self._F
        np.matmul(W, self._XT, out=P)
        np.greater(P, self.b, out=F)
        P -= self.b
        np.maximum(P, 0.0, out=P)
        err = self._s @ P - self.y  # u - y, shape (n,)
        # C[r, i] = -eta * s_r * err_i * F[r, i], written over P
        np.multiply(F, -eta * err, out=P)
        P *= self._s[:, None]
        # W^T (d, m) += X^T (d, n) @ C^T (n, m), in place (Fortran layout: no copy of W)
        out = _blas.dgemm(1.0, self._XT, P.T, beta=1.0, c=self._Wt, overwrite_c=1)
        if out is not self._Wt:  # pragma: no cover - BLAS copied (should not happen with Fortran c)
            self._Wt[...] = out
        if not record:
            return None
        codes = np.flatnonzero(F.T).astype(np.int64)
        active = err != 0
        if active.all():
            changed = np.flatnonzero(F.any(axis=1))
        else:  # rows firing only on points with zero error get a zero update
            changed = np.flatnonzero(F[:, active].any(axis=1)) if active.any() else np.empty(0, np.int64)
        return StepRecord(0.5 * float(err @ err), codes, changed.astype(np.int64), {}, {})


register_stepper("dense", DenseStepper)


def make_stepper(method: str, net: TwoLayerReLU, X, y):
    """Construct the registered stepper ``method`` on ``(net, X, y)``."""
    if not isinstance(method, str):
        raise TypeError(f"method: expected a string, got {type(method).__name__}")
    if method not in _REGISTRY:
        _load_fast()
    if method not in _REGISTRY:
        raise ValueError(f"method: expected one of {sorted(_REGISTRY)}, got {method!r}")
    return _REGISTRY[method](net, X, y)


# ---------------------------------------------------------------------------------------------- ledger
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


# ---------------------------------------------------------------------------------------------- the loop
def train(net: TwoLayerReLU, X, y, eta, steps, method: str = "dense", record: bool = True, keep_codes: bool = False):
    """Run ``steps`` full-batch GD steps on 2NN(m, b) and return ``(trained_net, ledger)``.

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
    method : str
        A registered stepper: "dense" here; "scan", "dtree", "wtree" from ``firesets.fasttrain``.
    record : bool
        Build the :class:`Ledger` (``False``: the ledger is ``None``, steps skip their records).
    keep_codes : bool
        Keep every iteration's fire codes in the ledger.

    Returns
    -------
    TwoLayerReLU, Ledger or None
        The network with ``W(T)``, and the ledger of ``W(0), ..., W(T)`` (the last entry by one dense pass).
    """
    X, y = _check_data(net, X, y)
    eta = check_eta(eta)
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps: expected an integer >= 0, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps}")
    stepper = make_stepper(method, net, X, y)
    ledger = Ledger(net.W, X, net.b, keep_codes=keep_codes) if record else None
    for _ in range(int(steps)):
        rec = stepper.step(eta, record=record)
        if record:
            ledger.append(rec.loss, rec.fire_codes)  # the state W(t) before the step
            ledger.moved(stepper.W, rec.changed)  # the movement of W(t+1)
    W = np.array(stepper.W, order="C")
    if record:
        ledger.append(*fire_state(W, net.a, net.b, X, y))
    return net.with_weights(W), ledger
