"""Argument validation shared by the public functions of firesets (raise early, name the argument)."""
from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_rng",
    "check_positive_int",
    "check_finite_real",
    "check_matrix",
    "check_vector",
    "check_unit_rows",
    "readonly",
    "check_eta",
    "check_training_data",
    "check_steps",
    "check_pairs",
    "check_choice",
    "check_rows",
]


def as_rng(rng) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from an int seed, a Generator, or ``None`` (seed 0).

    ``None`` maps to seed 0 rather than to fresh entropy: every draw in firesets is reproducible.
    """
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (numbers.Integral, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng: expected a non-negative integer seed, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng: expected an int seed or numpy.random.Generator, got {type(rng).__name__}")


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """Return ``value`` as int, or raise if it is not an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return value


def check_finite_real(value, name: str, *, low=None, high=None, low_open=False, high_open=False) -> float:
    """Return ``value`` as float, or raise if it is not a finite real number within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a finite real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name}: expected a value {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name}: expected a value {'<' if high_open else '<='} {high}, got {value}")
    return value


def check_matrix(A, name: str, *, rows=None, cols=None, dtype=np.float64) -> np.ndarray:
    """Return ``A`` as a C-contiguous 2-D finite array of ``dtype``; raise on wrong shape or non-finite entries."""
    try:
        arr = np.asarray(A)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise TypeError(f"{name}: expected a 2-D array, got {type(A).__name__}") from exc
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    if rows is not None and arr.shape[0] != rows:
        raise ValueError(f"{name}: expected {rows} rows, got shape {arr.shape}")
    if cols is not None and arr.shape[1] != cols:
        raise ValueError(f"{name}: expected {cols} columns, got shape {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite entries (no NaN or inf)")
    return arr


def check_vector(v, name: str, *, length=None, dtype=np.float64) -> np.ndarray:
    """Return ``v`` as a 1-D finite array of ``dtype``; raise on wrong length or non-finite entries."""
    arr = np.asarray(v)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    if length is not None and arr.shape[0] != length:
        raise ValueError(f"{name}: expected length {length}, got {arr.shape[0]}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite entries (no NaN or inf)")
    return arr


def check_unit_rows(X: np.ndarray, name: str, atol: float = 1e-8) -> np.ndarray:
    """Raise unless every row of the 2-D array ``X`` has Euclidean norm 1 within ``atol``."""
    norms = np.linalg.norm(X, axis=1)
    bad = np.flatnonzero(np.abs(norms - 1.0) > atol)
    if bad.size:
        raise ValueError(
            f"{name}: expected unit-norm rows, row {int(bad[0])} has norm {float(norms[bad[0]]):.6g}"
        )
    return X


def readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (the structures hand out their state without letting callers write it)."""
    v = a.view()
    v.flags.writeable = False
    return v


def check_eta(eta) -> float:
    """Return the learning rate ``eta`` as a float, or raise unless it is finite and ``> 0``."""
    return check_finite_real(eta, "eta", low=0.0, low_open=True)


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` if it is one of the string keys ``choices``; ``TypeError``/``ValueError`` naming ``name``."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a string, got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name}: expected one of {sorted(choices)}, got {value!r}")
    return value


def check_training_data(net, X, y, net_type=None) -> tuple[np.ndarray, np.ndarray]:
    """Check a network (anything with ``W`` (m, d), ``a`` (m,), ``b``) and its data ``X`` (n, d), ``y`` (n,).

    Returns ``X`` and ``y`` as C-contiguous float64 arrays. The network itself is checked by its own
    constructor (:class:`firesets.TwoLayerReLU`); here only its type-level shape is (no import of ``network``,
    which imports this module). ``net_type``: also require ``isinstance(net, net_type)``.
    """
    if net_type is not None and not isinstance(net, net_type):
        raise TypeError(f"net: expected a {net_type.__name__}, got {type(net).__name__}")
    W = getattr(net, "W", None)
    if not isinstance(W, np.ndarray) or W.ndim != 2 or not hasattr(net, "a") or not hasattr(net, "b"):
        raise TypeError(f"net: expected a TwoLayerReLU, got {type(net).__name__}")
    X = check_matrix(X, "X", cols=W.shape[1])
    y = check_vector(y, "y", length=X.shape[0])
    return X, y


def check_steps(steps) -> int:
    """Return the number of steps as an int, or raise unless it is an integer ``>= 0``."""
    if isinstance(steps, bool) or not isinstance(steps, (numbers.Integral, np.integer)):
        raise TypeError(f"steps: expected an integer >= 0, got {steps!r}")
    if steps < 0:
        raise ValueError(f"steps: expected an integer >= 0, got {steps}")
    return int(steps)


def check_pairs(i, r, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Firing pairs ``(i, r)``: two 1-D int arrays of one length, ``i < n``, ``r < m``, distinct and sorted by
    ``(r, i)``. Returns them as int64 arrays (``O(k)``)."""
    i = np.asarray(i)
    r = np.asarray(r)
    if i.ndim != 1 or i.shape != r.shape:
        raise ValueError(f"i: expected two 1-D arrays of one length, got shapes {i.shape} and {r.shape}")
    for arr, name in ((i, "i"), (r, "r")):
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"{name}: expected integer indices, got dtype {arr.dtype}")
    i, r = i.astype(np.int64, copy=False), r.astype(np.int64, copy=False)
    if i.size and (i.min() < 0 or i.max() >= n):
        raise ValueError(f"i: expected data indices in [0, {n})")
    if r.size and (r.min() < 0 or r.max() >= m):
        raise ValueError(f"r: expected neuron indices in [0, {m})")
    codes = r * n + i
    if codes.size > 1 and not bool(np.all(codes[1:] > codes[:-1])):
        raise ValueError("r: expected distinct pairs sorted by (r, i)")
    return i, r


def check_rows(rows, name: str, m: int) -> np.ndarray:
    """Row indices in ``[0, m)`` as a sorted unique int64 array (already sorted and unique input: ``O(len)``)."""
    rows = np.asarray(rows)
    if rows.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of row indices, got shape {rows.shape}")
    if rows.size and not np.issubdtype(rows.dtype, np.integer):
        raise TypeError(f"{name}: expected integer row indices, got dtype {rows.dtype}")
    rows = rows.astype(np.int64, copy=False)
    if rows.size > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        rows = np.unique(rows)
    if rows.size and (rows[0] < 0 or rows[-1] >= m):
        raise ValueError(f"{name}: expected row indices in [0, {m})")
    return rows
