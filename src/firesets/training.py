"""Full-batch gradient descent on 2NN(m, b) (Section 2) and the per-iteration ledger of fire and flip sets (Appendix B.2)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from scipy.linalg import blas as _blas

from ._validate import check_finite_real, check_matrix, check_vector
from .ledger import Ledger
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
    """Register a stepper class under ``name`` (``firesets.steppers`` registers "scan", "dtree", "wtree")."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty string, got {name!r}")
    if not callable(cls):
        raise TypeError(f"cls: expected a class, got {type(cls).__name__}")
    _REGISTRY[name] = cls


def available_steppers() -> list[str]:
    """Sorted names of the registered steppers (imports ``firesets.steppers`` if it exists)."""
    _load_fast()
    return sorted(_REGISTRY)


def _load_fast() -> None:
    try:  # Chapter 4's steppers register themselves on import
        from . import steppers  # noqa: F401
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
        A registered stepper: "dense" here; "scan", "dtree", "wtree" from ``firesets.steppers``.
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
