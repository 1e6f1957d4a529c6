"""Fire sets and flip sets (Definitions 2.3 / B.1, 2.4 / B.2, B.4, B.5 of the Bypass paper).

Chapters: ``book/sparsity_at_init.md``, ``book/fire_sets_in_training.md``.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_finite_real, check_matrix, check_vector

__all__ = [
    # fire sets and flip sets (Definitions 2.3, 2.4, B.4, B.5)
    "fire_mask",
    "fire_set",
    "fire_sets",
    "neuron_fire_sets",
    "fire_counts",
    "neuron_fire_counts",
    "fire_pairs",
    "flip_mask",
    "flip_sets",
    "noflip_mask",
    "noflip_sets",
]

# ---------------------------------------------------------------------------------------------------------------
# Fire sets (Definitions 2.3 / B.1 and 2.4 / B.2) and flip sets (Definitions B.4, B.5)
#
# Every function takes a pre-activation matrix ``P`` of shape (n, m), ``P[i, r] = <w_r, x_i>``: the orientation of
# ``TwoLayerReLU.preactivations(X)``. Firing is strict, ``P[i, r] > b``, as everywhere in firesets.
# ---------------------------------------------------------------------------------------------------------------


def _check_P(P, name: str = "P") -> np.ndarray:
    return check_matrix(P, name)


def _rows_of(M: np.ndarray) -> list[np.ndarray]:
    """The True columns of each row of the boolean matrix ``M``: a list of sorted int64 arrays, one per row."""
    rows, cols = np.nonzero(M)  # row-major: sorted by (row, column)
    splits = np.cumsum(np.bincount(rows, minlength=M.shape[0]))[:-1]
    return [c.astype(np.int64) for c in np.split(cols, splits)]


def fire_mask(P, b: float) -> np.ndarray:
    """The boolean matrix ``P > b``: entry ``(i, r)`` is True iff neuron ``r`` fires on ``x_i``.

    Parameters
    ----------
    P : array_like, shape (n, m)
        Pre-activations ``P[i, r] = <w_r, x_i>`` (e.g. ``TwoLayerReLU.preactivations(X)``).
    b : float
        The threshold of ``sigma_b``.

    Returns
    -------
    ndarray of bool, shape (n, m)

    Notes
    -----
    Definition 2.3 of :cite:`alman2023bypass` fires neuron ``r`` when ``sigma_b(<x, w_r>) > 0``, i.e.
    ``<x, w_r> > b`` (strict).
    """
    P = _check_P(P)
    b = check_finite_real(b, "b")
    return P > b


def fire_set(p, b: float) -> np.ndarray:
    """The fire set ``S_fire(x) = {r in [m] : <x, w_r> > b}`` of Definition 2.3 (Definition B.1).

    Parameters
    ----------
    p : array_like, shape (m,)
        Pre-activations ``p[r] = <w_r, x>`` of one input ``x``.
    b : float
        The threshold.

    Returns
    -------
    ndarray of int64
        The sorted (0-based) indices ``r`` with ``p[r] > b``.
    """
    p = check_vector(p, "p")
    b = check_finite_real(b, "b")
    return np.flatnonzero(p > b).astype(np.int64)


def fire_sets(P, b: float) -> list[np.ndarray]:
    """The fire sets per data point ``S_{i,fire} = {r : <x_i, w_r> > b}`` of Definition 2.4 (one iteration ``t``).

    Parameters
    ----------
    P : array_like, shape (n, m)
        Pre-activations ``P[i, r] = <w_r(t), x_i>``.
    b : float
        The threshold.

    Returns
    -------
    list of n sorted int64 arrays
        Entry ``i`` is ``S_{i,fire}(t)``; its length is ``k_{i,t}``.
    """
    M = fire_mask(P, b)
    return _rows_of(M)


def neuron_fire_sets(P, b: float) -> list[np.ndarray]:
    """The fire sets per neuron ``S~_{r,fire} = {i : <x_i, w_r> > b}`` of Definition 2.4.

    Parameters
    ----------
    P : array_like, shape (n, m)
        Pre-activations ``P[i, r] = <w_r(t), x_i>``.
    b : float
        The threshold.

    Returns
    -------
    list of m sorted int64 arrays
        Entry ``r`` is ``S~_{r,fire}(t)``; its length is ``k~_{r,t}``.
    """
    return fire_sets(np.asarray(P).T, b)


def fire_counts(P, b: float) -> np.ndarray:
    """The fire counts ``k_i = |S_{i,fire}|`` of Definition 2.4, shape ``(n,)``, dtype int64."""
    return fire_mask(P, b).sum(axis=1, dtype=np.int64)


def neuron_fire_counts(P, b: float) -> np.ndarray:
    """The per-neuron fire counts ``k~_r = |S~_{r,fire}|`` of Definition 2.4, shape ``(m,)``, dtype int64."""
    return fire_mask(P, b).sum(axis=0, dtype=np.int64)


def fire_pairs(P, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Every firing pair: int64 arrays ``(i, r)`` sorted by ``(i, r)`` with ``P[i, r] > b``.

    The same format as ``CorrelationDTree.query_all``: the union of the fire sets of Definition 2.4.
    """
    i, r = np.nonzero(fire_mask(P, b))
    return i.astype(np.int64), r.astype(np.int64)


def flip_mask(P_prev, P_now, b: float) -> np.ndarray:
    """Which neurons flipped between two iterations: ``(P_prev > b) != (P_now > b)``, shape ``(n, m)``.

    Parameters
    ----------
    P_prev, P_now : array_like, shape (n, m)
        Pre-activations ``<w_r(t-1), x_i>`` and ``<w_r(t), x_i>``.
    b : float
        The threshold.

    Notes
    -----
    Definition B.4 of :cite:`alman2023bypass` (Definition C.8 of :cite:`syz21`) writes the flip condition as
    ``sgn(<w_r(t), x_i> - b) != sgn(<w_r(t-1), x_i> - b)``. With ``sgn(0) = 0`` that would count a move from
    below ``b`` to exactly ``b`` as a flip although the neuron stays silent under the strict convention. We compare
    fire states (``> b``) instead; the two agree unless some pre-activation equals ``b`` exactly (probability zero
    under Gaussian initialization). Definition B.4's prose ("never flipped") is a copy of Definition B.5's; the
    formula is the set of neurons that flip at step ``t``, which is what we return.
    """
    P_prev = _check_P(P_prev, "P_prev")
    P_now = check_matrix(P_now, "P_now", rows=P_prev.shape[0], cols=P_prev.shape[1])
    b = check_finite_real(b, "b")
    return (P_prev > b) != (P_now > b)


def flip_sets(P_prev, P_now, b: float) -> list[np.ndarray]:
    """The flip sets ``S_{i,flip}(t)`` of Definition B.4: per data point, the sorted neurons whose fire state changed."""
    M = flip_mask(P_prev, P_now, b)
    return _rows_of(M)


def noflip_mask(P_seq, b: float) -> np.ndarray:
    """Which neurons never flip over a trajectory: the never-flip sets ``S_i`` of Definition B.5 as an (n, m) mask.

    Parameters
    ----------
    P_seq : iterable of array_like, each shape (n, m)
        Pre-activations at iterations ``t = 0, 1, ..., T`` (first element ``t = 0``). A generator works: the
        trajectory is consumed one matrix at a time and never stored.
    b : float
        The threshold.

    Returns
    -------
    ndarray of bool, shape (n, m)
        Entry ``(i, r)`` is True iff ``(P_t[i, r] > b) == (P_0[i, r] > b)`` for every ``t``.

    Notes
    -----
    Definition B.5 of :cite:`alman2023bypass` (Definition C.9 of :cite:`syz21`) uses ``sgn(. - b)``; we compare
    strict fire states, as in :func:`flip_mask`.
    """
    b = check_finite_real(b, "b")
    if isinstance(P_seq, np.ndarray) and P_seq.ndim == 3:
        P_seq = list(P_seq)
    it = iter(P_seq)
    try:
        P0 = _check_P(next(it), "P_seq[0]")
    except StopIteration:
        raise ValueError("P_seq: expected at least one pre-activation matrix (iteration 0)") from None
    state0 = P0 > b
    keep = np.ones_like(state0)
    for t, P in enumerate(it, start=1):
        P = check_matrix(P, f"P_seq[{t}]", rows=P0.shape[0], cols=P0.shape[1])
        keep &= (P > b) == state0
    return keep


def noflip_sets(P_seq, b: float) -> list[np.ndarray]:
    """The never-flip sets ``S_i`` of Definition B.5, one sorted int64 array of neurons per data point."""
    M = noflip_mask(P_seq, b)
    return _rows_of(M)
