"""The arithmetic of the proof of Theorem F.4 (Bypass paper) and the measured costs of a DDFN structure against it.

:func:`proof_cost_terms` and :func:`proof_exponents` evaluate, term by term, the inequality the proof of Theorem F.4
relies on; :func:`measure_ddfn_costs` counts what one UPDATE and one QUERY of Definition 1.3 cost on a real
structure. The reduction itself (OV -> Z-Max-IP -> DDFN) is in :mod:`firesets.lowerbound`.
Chapter: ``book/lower_bound.ipynb``.
"""
from __future__ import annotations

import math

import numpy as np

from firesets._validate import as_rng, check_positive_int
from firesets.lowerbound import DDFN, _counters

__all__ = ["proof_cost_terms", "proof_exponents", "measure_ddfn_costs"]


def _real_array(v, name: str) -> np.ndarray:
    """``v`` as a float64 array of finite reals, or raise naming ``name``."""
    arr = np.asarray(v)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number) or np.iscomplexobj(arr):
        raise TypeError(f"{name}: expected a real number or array of them, got {v!r}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values (no NaN or inf)")
    return arr


def _check_c_eps(c, eps):
    c = _real_array(c, "c")
    eps = _real_array(eps, "eps")
    if np.any((c <= 0) | (c >= 1)):
        raise ValueError("c: expected values in (0, 1) (Theorem F.4)")
    if np.any((eps <= 0) | (eps >= c)):
        raise ValueError("eps: expected values in (0, c) (proof of Theorem F.4)")
    return c, eps


def proof_cost_terms(m, n, c, eps):
    """Each cost term of the proof of Theorem F.4 and the budget it must stay under (arrays broadcast).

    Assumed structure: update time ``U = m^{1-c} n^{c-eps}``, query time ``T = m^{1-c} n^{1+c-eps}``;
    ``k = floor(m / n)`` instances. Per binary-search round the proof pays ``k m U`` (updates) and ``k T``
    (queries), and claims both are ``O(m^{2-eps})``.

    Returns
    -------
    dict of float arrays: ``k``, ``update_time``, ``query_time``, ``update_term`` (k m U),
    ``query_term`` (k T), ``update_term_paper`` (m^{3-c} n^{c-eps-1}), ``query_term_paper``
    (m^{2-c} n^{c-eps}), ``budget`` (m^{2-eps}), and the ratios ``update_ratio``, ``query_ratio`` to the budget.
    """
    m = _real_array(m, "m")
    n = _real_array(n, "n")
    c, eps = _check_c_eps(c, eps)
    if np.any(m < 1):
        raise ValueError("m: expected values >= 1")
    if np.any(n < 1):
        raise ValueError("n: expected values >= 1")
    k = np.floor(m / n)
    U = m ** (1 - c) * n ** (c - eps)
    T = m ** (1 - c) * n ** (1 + c - eps)
    budget = m ** (2 - eps)
    out = {
        "k": k,
        "update_time": U,
        "query_time": T,
        "update_term": k * m * U,
        "query_term": k * T,
        "update_term_paper": m ** (3 - c) * n ** (c - eps - 1),
        "query_term_paper": m ** (2 - c) * n ** (c - eps),
        "budget": budget,
    }
    out["update_ratio"] = out["update_term"] / budget
    out["query_ratio"] = out["query_term"] / budget
    return out


def proof_exponents(a, c, eps):
    """Exponents (base ``n``) of the proof's terms when ``m = n^a``, ignoring constants, logs and ``n^{o(1)}``.

    Returns a dict of arrays: ``update_term`` ``= a(3-c) + c - eps - 1``, ``query_term`` ``= a(2-c) + c - eps``,
    ``budget`` ``= a(2-eps)``, ``quadratic`` ``= 2a`` (the Max-IP lower bound ``m^{2-o(1)}``), the theorem's
    per-operation bounds ``update_time`` ``= a(1-c) + c - eps`` and ``query_time`` ``= a(1-c) + 1 + c - eps``,
    the correlation DTree's ``dtree_update = 1`` (``O(n d log m)``) and ``dtree_query = 1 + 4a/5``
    (``O(min(|Q|, m^{4/5} n) log m)`` at ``|Q| = m^{4/5} n``, the largest non-escaping query), and
    ``a_star = 1 + eps / (1 - c)``: the update term is polynomially below ``m^2`` iff ``a < a_star``.
    """
    a = _real_array(a, "a")
    if np.any(a < 1):
        raise ValueError("a: expected values >= 1 (m = n^a with m >= n, as the proof assumes)")
    c, eps = _check_c_eps(c, eps)
    a, c, eps = np.broadcast_arrays(a, c, eps)
    return {
        "update_term": a * (3 - c) + c - eps - 1,
        "query_term": a * (2 - c) + c - eps,
        "budget": a * (2 - eps),
        "quadratic": 2 * a,
        "update_time": a * (1 - c) + c - eps,
        "query_time": a * (1 - c) + 1 + c - eps,
        "dtree_update": np.ones_like(a),
        "dtree_query": 1 + 0.8 * a,
        "a_star": 1 + eps / (1 - c),
    }


def measure_ddfn_costs(m: int, n: int, d: int, rng=None, *, n_updates: int = 64, entry_max: int = 8, structure=None):
    """Count the work of one UPDATE and of one worst non-escaping QUERY of a DDFN structure.

    Random integer instance (entries uniform in ``[-entry_max, entry_max]``), threshold ``b`` chosen so that
    ``|Q|`` is as large as possible without exceeding the escape size ``m^{4/5} n``.

    Returns
    -------
    dict: ``update_cost`` (``d`` multiply-adds per inner product plus nodes written, mean per UPDATE),
    ``query_cost`` (nodes visited by the QUERY), ``q_size`` (``-1`` if it escaped), ``cap``, ``init_cost``
    (the same count for the preprocessing).
    """
    m = check_positive_int(m, "m")
    n = check_positive_int(n, "n")
    d = check_positive_int(d, "d")
    n_updates = check_positive_int(n_updates, "n_updates")
    entry_max = check_positive_int(entry_max, "entry_max")
    g = as_rng(rng)
    X = g.integers(-entry_max, entry_max + 1, size=(n, d))
    Y = g.integers(-entry_max, entry_max + 1, size=(m, d))
    cap = m**0.8 * n
    J = g.choice(m, size=min(n_updates, m), replace=False)
    Z = g.integers(-entry_max, entry_max + 1, size=(J.size, d))
    Y_final = Y.copy()
    Y_final[J] = Z
    # smallest integer b with |{(i, j) : <x_i, y_j> >= b}| <= cap, for the points the QUERY will see
    vals = np.sort((X @ Y_final.T).ravel())[::-1]
    top = int(math.floor(cap))
    b = int(vals[top]) + 1 if top < vals.size else int(vals[-1])
    D = DDFN(X, Y, b, structure=structure)
    c0 = _counters(D.tree)
    for j, z in zip(J, Z):  # single UPDATE calls, as Definition 1.3 issues them
        D.update(int(j), z)
    c1 = _counters(D.tree)
    Q, escaped = D.query()
    c2 = _counters(D.tree)
    return {
        "m": m,
        "n": n,
        "d": d,
        "init_cost": d * c0["inner_products"] + c0["nodes_written"],
        "update_cost": (d * (c1["inner_products"] - c0["inner_products"]) + c1["nodes_written"] - c0["nodes_written"])
        / J.size,
        "query_cost": c2["nodes_visited"] - c1["nodes_visited"],
        "q_size": -1 if escaped else int(Q.shape[0]),
        "cap": cap,
    }
