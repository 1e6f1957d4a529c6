"""Tests of firesets.analysis.lower_bound: the proof's terms against scalar closed forms written with math, and the
measured DDFN costs against the counts a brute-force structure and a max-tree must make."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesets.lowerbound import BruteForceDDFN
from firesets.analysis.lower_bound import measure_ddfn_costs, proof_cost_terms, proof_exponents


def _terms_by_hand(m, n, c, eps):
    """The proof of Theorem F.4 term by term, scalars only (math, no numpy)."""
    k = m // n
    U = m ** (1 - c) * n ** (c - eps)
    T = m ** (1 - c) * n ** (1 + c - eps)
    return {"k": k, "update_term": k * m * U, "query_term": k * T, "budget": m ** (2 - eps)}


@settings(max_examples=60, deadline=None)
@given(
    m=st.integers(1, 10**6),
    data=st.data(),
    c=st.floats(0.01, 0.99),
    frac=st.floats(0.01, 0.99),
)
def test_proof_cost_terms_against_scalar_formulas(m, data, c, frac):
    n = data.draw(st.integers(1, m))
    eps = frac * c
    T = proof_cost_terms(m, n, c, eps)
    H = _terms_by_hand(m, n, c, eps)
    assert float(T["k"]) == H["k"]
    for key in ("update_term", "query_term", "budget"):
        assert float(T[key]) == pytest.approx(H[key], rel=1e-9)
    assert float(T["update_ratio"]) == pytest.approx(H["update_term"] / H["budget"], rel=1e-9)
    # the query term always fits the budget when m >= n: k T / m^{2-eps} = k (n/m)^{1+c-eps} <= 1
    assert float(T["query_ratio"]) <= 1 + 1e-9
    # k = 1 (n <= m < 2n): the update term fits, k m U / m^{2-eps} = (n/m)^{c-eps} <= 1
    if H["k"] == 1:
        assert float(T["update_ratio"]) <= 1 + 1e-9
    # n | m: the paper's simplified term is exact and its ratio to the budget is (m/n)^{1-c+eps} > 1 for m > n
    if m % n == 0:
        assert float(T["update_term"]) == pytest.approx(float(T["update_term_paper"]), rel=1e-9)
        assert float(T["query_term"]) == pytest.approx(float(T["query_term_paper"]), rel=1e-9)
        assert float(T["update_ratio"]) == pytest.approx((m / n) ** (1 - c + eps), rel=1e-9)
        if m > n:
            assert float(T["update_ratio"]) > 1


def test_update_term_with_k_two_can_fit_when_c_minus_eps_is_large():
    # the floor in k = floor(m/n) helps: k = 2 and m/n close to 3 give 2 (n/m)^{c-eps} < 1 once c - eps > ln 2 / ln 3;
    # so "fits iff k = 1" is a fact of the chapter's grid (c - eps <= 0.6), not a general one
    m, n, c, eps = 29, 10, 0.9, 0.05
    ratio = float(proof_cost_terms(m, n, c, eps)["update_ratio"])
    assert ratio == pytest.approx(2 * (10 / 29) ** 0.85, rel=1e-12) and ratio < 1
    assert float(proof_cost_terms(m, n, 0.2, 0.1)["update_ratio"]) > 1  # and it does not with c - eps = 0.1


def test_proof_exponents_against_logs():
    n = 2.0**12
    for a in (1.0, 1.25, 1.5, 2.0, 3.0):
        for c, eps in [(0.2, 0.1), (0.5, 0.3), (0.8, 0.05)]:
            T = proof_cost_terms(n**a, n, c, eps)
            E = proof_exponents(a, c, eps)
            for key in ("update_term", "query_term", "budget", "update_time", "query_time"):
                assert math.log(float(T[key])) / math.log(n) == pytest.approx(float(E[key]), abs=1e-9)
            assert float(E["dtree_query"]) == pytest.approx(math.log(n ** (0.8 * a) * n) / math.log(n))
    # the update term is polynomially below m^2 exactly when a < a_star = 1 + eps / (1 - c)
    for c, eps in [(0.2, 0.1), (0.5, 0.3)]:
        a_star = 1 + eps / (1 - c)
        below = proof_exponents(a_star - 1e-3, c, eps)
        above = proof_exponents(a_star + 1e-3, c, eps)
        assert below["update_term"] < below["quadratic"] and above["update_term"] > above["quadratic"]
        assert float(below["a_star"]) == pytest.approx(a_star)
        # at a_star the theorem's update bound meets the DTree's n^1: the DTree is below it exactly for a > a_star
        assert float(proof_exponents(a_star, c, eps)["update_time"]) == pytest.approx(1.0)


def test_measure_ddfn_costs_bruteforce_counts():
    r = measure_ddfn_costs(200, 3, 4, 1, n_updates=10, structure=BruteForceDDFN)
    assert r["update_cost"] == 4 * 3 + 3  # n inner products of length d, n stored products written
    assert r["query_cost"] == 3 * 200
    assert 0 <= r["q_size"] <= r["cap"] == pytest.approx(200**0.8 * 3)
    r2 = measure_ddfn_costs(200, 3, 4, 1, n_updates=10)
    assert r2["q_size"] == r["q_size"]  # same instance, same threshold, same answer from the tree
    # the tree's UPDATE: n inner products and n leaf-to-root paths of log2(256) + 1 = 9 nodes
    assert r2["update_cost"] == 3 * 4 + 3 * 9


def test_measure_ddfn_costs_threshold_is_largest_non_escaping():
    # replay the instance draw and check |Q| by brute force: at most the cap, and the next lower b would escape
    m, n, d, e = 300, 5, 3, 8
    r = measure_ddfn_costs(m, n, d, 7, n_updates=12, entry_max=e)
    g = np.random.default_rng(7)
    X = g.integers(-e, e + 1, size=(n, d))
    Y = g.integers(-e, e + 1, size=(m, d))
    J = g.choice(m, size=12, replace=False)
    Y[J] = g.integers(-e, e + 1, size=(12, d))
    P = X @ Y.T
    q = r["q_size"]
    assert 0 <= q <= r["cap"]
    b = min(v for v in np.unique(P) if (P >= v).sum() == q)  # the threshold that gives exactly this |Q|
    assert (P >= b - 1).sum() > r["cap"]


def test_bad_input():
    cases = [
        (lambda: proof_cost_terms(8, 2, 1.0, 0.1), ValueError, "c: expected values in"),
        (lambda: proof_cost_terms(8, 2, 0.2, 0.3), ValueError, "eps: expected values in"),
        (lambda: proof_cost_terms(float("nan"), 2, 0.2, 0.1), ValueError, "m: expected finite"),
        (lambda: proof_cost_terms(8, 2, float("nan"), 0.1), ValueError, "c: expected finite"),
        (lambda: proof_cost_terms(8, 2, 0.2, float("nan")), ValueError, "eps: expected finite"),
        (lambda: proof_cost_terms(0.5, 2, 0.2, 0.1), ValueError, "m: expected values >= 1"),
        (lambda: proof_cost_terms(8, 0, 0.2, 0.1), ValueError, "n: expected values >= 1"),
        (lambda: proof_cost_terms("8", 2, 0.2, 0.1), TypeError, "m: expected a real"),
        (lambda: proof_exponents(0.5, 0.2, 0.1), ValueError, "a: expected values >= 1"),
        (lambda: proof_exponents(np.nan, 0.2, 0.1), ValueError, "a: expected finite"),
        (lambda: proof_exponents(2.0, 0.2, 0.2), ValueError, "eps: expected values in"),
        (lambda: measure_ddfn_costs(0, 2, 2), ValueError, "m: expected"),
        (lambda: measure_ddfn_costs(8, 2, 2, entry_max=0), ValueError, "entry_max: expected"),
        (lambda: measure_ddfn_costs(8, 2.5, 2), TypeError, "n: expected"),
    ]
    for f, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            f()


# ------------------------------------------------------------------ the readings of Theorem 1.4 / F.4
from firesets.analysis.lower_bound import (  # noqa: E402
    below_theorem,
    inequality_verdict,
    own_model_verdict,
    per_regime_verdict,
    proof_excluded_costs,
    reduction_exponents,
    reduction_verdict,
    structure_exponents,
    uniform_verdict,
)

A_GRID = np.arange(1024, 8 * 1024 + 1) / 1024  # a in [1, 8], step 1/1024


def test_proof_excluded_costs_make_one_round_exactly_the_budget():
    # with k = m/n, a structure at exactly these costs pays k m U = k T = m^{2-eps} per round (by hand)
    for m, n, c, eps in [(4096, 64, 0.2, 0.05), (10**6, 10, 0.5, 0.3), (50, 50, 0.9, 0.1)]:
        P = proof_excluded_costs(m, n, c, eps)
        k = m / n
        assert k * m * float(P["update"]) == pytest.approx(m ** (2 - eps), rel=1e-12)
        assert k * float(P["query"]) == pytest.approx(m ** (2 - eps), rel=1e-12)
        assert float(P["update_time"]) == pytest.approx(m ** (1 - c) * n ** (c - eps), rel=1e-12)
        assert float(P["query_time"]) == pytest.approx(m ** (1 - c) * n ** (1 + c - eps), rel=1e-12)
    # the proof's query bound n m^{1-eps} lies above the theorem's m^{4/5} n^{6/5-eps} iff m > n
    P = proof_excluded_costs(np.array([8.0, 64.0, 512.0]), 64.0, 0.2, 0.05)
    np.testing.assert_array_equal(P["query"] > P["query_time"] * (1 + 1e-12), [False, False, True])


def _log_cost_below(a, c, eps, which, log2n=400.0, d=4.0):
    """Independent oracle: the DTree's real cost formulas, logs and d included, against the theorem's bounds,
    compared in log2 at n = 2^log2n and m = n^a (Theorem 3.1 with the early exit)."""
    L = log2n
    lm = a * L
    if which == "update":  # n (d + log2 m) against m^{1-c} n^{c-eps}
        return L + math.log2(d + lm) < (1 - c) * lm + (c - eps) * L
    # n + m^{4/5} n log2 m against m^{1-c} n^{1+c-eps}
    big = 0.8 * lm + L + math.log2(lm)  # log2 of m^{4/5} n log2 m; the n term adds log2(1 + 2^(L - big))
    return big + math.log2(1 + 2.0 ** (L - big)) < (1 - c) * lm + (1 + c - eps) * L


def test_below_theorem_against_cost_formulas_with_logs():
    for c, eps in [(0.2, 0.05), (0.2, 0.15), (0.5, 0.1), (0.8, 0.4)]:
        a_star = 1 + eps / (1 - c)  # closed form: n^1 < n^{a(1-c)+c-eps} iff a > a_star
        a_q = math.inf if c <= 0.2 else (c - eps) / (c - 0.2)  # 1 + 4a/5 < a(1-c)+1+c-eps iff a < a_q
        # exponent gaps of at least 0.05 (a factor 2^20 at n = 2^400) dwarf the log factors (< 2^12)
        for a in (1.0, a_star - 0.2 / (1 - c), a_star + 0.2 / (1 - c), a_star + 0.5, 3.0, 6.0):
            if a < 1 or abs(a - a_star) * (1 - c) < 0.05:
                continue
            B = below_theorem(a, c, eps, "dtree")
            assert bool(B["update"]) == (a > a_star) == _log_cost_below(a, c, eps, "update")
            if c <= 0.2 or abs(a - a_q) * (c - 0.2) > 0.05:
                assert bool(B["query"]) == (a < a_q) == _log_cost_below(a, c, eps, "query")
        # exactly at a_star the exponents are equal: not strictly below
        assert not bool(below_theorem(a_star, c, eps)["update"])


def test_structure_exponents_halfspace_and_errors():
    S = structure_exponents(np.array([1.0, 5.0, 6.0]), "halfspace")
    np.testing.assert_array_equal(S["update"], [0, 0, 0])
    np.testing.assert_allclose(S["query"], [1.8, 5.0, 6.0])  # m log n + m^{4/5} n -> max(a, 1 + 4a/5)
    assert np.all(np.isinf(S["preprocessing"]))
    D = structure_exponents(np.array([1.0, 2.0]), "dtree")
    np.testing.assert_allclose(D["preprocessing"], [2.0, 3.0])  # n m d with m = n^a
    with pytest.raises(ValueError, match="structure: expected one of"):
        structure_exponents(2.0, "wtree")
    with pytest.raises(ValueError, match="a: expected values >= 1"):
        structure_exponents(0.5)


def test_reduction_exponents_against_logs():
    n = 2.0**30
    for a, c, eps, p in [(1.0, 0.2, 0.05, 1.5), (1.5, 0.5, 0.1, 2.0), (2.0, 0.2, 0.1, 3.0)]:
        m = n**a
        T = proof_cost_terms(m, n, c, eps)
        R = reduction_exponents(a, c, eps, p)
        rounds = math.log(max(float(T["update_term"]), float(T["query_term"]))) / math.log(n)
        building = math.log((m / n) * n**p) / math.log(n)
        assert float(R["rounds"]) == pytest.approx(rounds, abs=1e-6)
        assert float(R["building"]) == pytest.approx(building, abs=1e-9)
        assert bool(R["subquadratic"]) == (max(rounds, building) < 2 * a - 1e-9)
    assert not bool(reduction_exponents(1.0, 0.2, 0.05, np.inf)["subquadratic"])
    with pytest.raises(ValueError, match="preprocessing: expected exponents >= 0"):
        reduction_exponents(1.0, 0.2, 0.05, np.nan)
    with pytest.raises(TypeError, match="preprocessing: expected a real"):
        reduction_exponents(1.0, 0.2, 0.05, "2")


def _short(v):
    assert all(len(line) <= 100 for line in v.lines), [line for line in v.lines if len(line) > 100]
    assert v.sentence and "\n" not in v.sentence and "$" not in v.sentence


def test_reduction_verdict_statuses():
    assert reduction_verdict(10, 10, 4, 4, 3).status == "HOLDS AFTER CORRECTION"
    assert reduction_verdict(10, 10, 4, 4, 0).status == "HOLDS"
    assert reduction_verdict(9, 10, 4, 4, 0).status == "FAILS"
    v = reduction_verdict(10, 10, 3, 4, 1)
    assert v.status == "FAILS" and "3/4 OV" in v.sentence
    _short(v)


def test_inequality_verdict_on_grids():
    vals = 2.0 ** np.arange(0, 13)
    M, N = np.meshgrid(vals, vals, indexing="ij")
    keep = N <= M
    v = inequality_verdict(M[keep], N[keep], 0.2, 0.1)
    assert v.status.startswith("FAILS")
    assert f"{(M[keep] == N[keep]).sum()}/{keep.sum()} points, exactly the" in " ".join(v.lines)
    assert "(m/n)^0.90" in v.sentence  # the fitted growth is 1 - c + eps, from the terms
    _short(v)
    diag = inequality_verdict(vals, vals, 0.2, 0.1)  # only m = n: the inequality holds everywhere
    assert diag.status == "HOLDS on the grid"


def test_per_regime_verdict_brackets_the_closed_form():
    v = per_regime_verdict(0.2, 0.05, A_GRID)
    assert v.status.startswith("FALSE")
    assert "n^1.0625 < m (every grid value of a up to 8)" in v.sentence  # a* = 1 + 0.05/0.8, on the grid
    w = per_regime_verdict(0.5, 0.1, A_GRID)  # bounded region: 1.2 < a < 4/3
    lo = math.floor(1.2 * 1024) / 1024
    hi = math.ceil(4 / 3 * 1024) / 1024
    assert f"n^{lo:.5g} < m < n^{hi:.5g}" in w.sentence
    x = per_regime_verdict(0.2, 0.05, np.linspace(1, 1.06, 7))  # the grid stops before a*
    assert x.status == "NOT REFUTED"
    rows = [
        {"n": 4, "m": 64, "update_cost": 100.0, "query_cost": 1e9},
        {"n": 4, "m": 4096, "update_cost": 100.0, "query_cost": 1e9},
    ]
    y = per_regime_verdict(0.2, 0.05, A_GRID, rows)
    # 64^0.8 4^0.15 = 32.0 < 100 (not below), 4096^0.8 4^0.15 = 926 > 100 (below): from m = 4096 on
    assert "from m = 4096 (n = 4) on" in y.sentence
    assert "asymptotic only" in y.sentence
    for u in (v, w, x, y):
        _short(u)


def test_uniform_and_own_model_verdicts():
    u = uniform_verdict(0.2, 0.05, A_GRID)
    assert u.status == "HOLDS conditionally, with a preprocessing bound; FALSE without one"
    assert f"{A_GRID.size}/{A_GRID.size} grid values" in u.sentence
    assert "n^1 <= m < n^5.75" in u.sentence  # half-space: a < 6 - 5 eps
    _short(u)
    o = own_model_verdict(0.2, 0.05, A_GRID, [1.0, 1.25])
    assert o.status.startswith("SAYS NOTHING") and "1.00 to 1.25" in o.sentence
    _short(o)


# ------------------------------------------------------------------ the experiment drivers
from firesets.analysis.lower_bound import (  # noqa: E402
    correctness_sweep,
    format_table,
    inequality_rows,
    ledger_rows,
    update_below_from,
)


def test_correctness_sweep_counts():
    r = correctness_sweep(3, per_kind=12, ov_seeds=3)
    assert r["total"] == 36 and r["ov_total"] == 6
    assert r["agree"] == 36 and r["ov_agree"] == 6  # the corrected reduction equals brute force
    for row in r["rows"]:
        # the literal floor can only be wrong when n does not divide |A| (then rows past k n are unseen)
        assert 0 <= row["wrong_floor"] <= row["nodiv"] <= row["instances"]
    assert r["wrong_floor"] == sum(row["wrong_floor"] for row in r["rows"])
    b = correctness_sweep(3, per_kind=12, ov_seeds=3, structure=BruteForceDDFN)  # same draws, other structure
    assert [row["wrong_floor"] for row in b["rows"]] == [row["wrong_floor"] for row in r["rows"]]


def test_ledger_rows_match_the_proofs_accounting():
    rows = ledger_rows([(24, 4), (30, 7)], 5)
    for row in rows:
        assert row["correct"]
        assert row["update_calls"] == row["update_expected"] and row["query_calls"] == row["query_expected"]
        k = -(-row["m"] // row["n"])  # floor blocks plus one overlapping block when n does not divide m
        assert row["k"] == k
        assert row["init_ips"] == k * row["n"] * row["m"]  # INIT of a tree: n m inner products
        assert row["op_ips"] == row["update_calls"] * row["n"]  # each UPDATE: n inner products
        assert row["init_per_m2"] == pytest.approx(k * row["n"] / row["m"])


def test_inequality_rows_against_loops():
    M = np.array([1.0, 2, 3, 4, 8, 8, 9, 100])
    N = np.array([1.0, 1, 2, 4, 3, 8, 2, 60])
    (row,) = inequality_rows(M, N, [0.3], [0.5])
    c, eps = 0.3, 0.15
    up = qu = k1 = upk1 = 0
    for m, n in zip(M, N):
        k = math.floor(m / n)
        fits = k * m * m ** (1 - c) * n ** (c - eps) <= m ** (2 - eps) * (1 + 1e-12)
        up += fits
        qu += k * m ** (1 - c) * n ** (1 + c - eps) <= m ** (2 - eps) * (1 + 1e-12)
        k1 += k == 1
        upk1 += fits and k == 1
    assert (row["update_fits"], row["query_fits"], row["k1"], row["update_fits_k1"]) == (up, qu, k1, upk1)
    assert row["eps"] == pytest.approx(eps) and row["points"] == M.size


def test_update_below_from_and_table():
    c, eps = 0.2, 0.05
    rows = [{"n": 4, "m": m, "update_cost": 50.0, "query_cost": float(m)} for m in (16, 64, 256, 1024)]
    rows.append({"n": 4, "m": 4, "update_cost": 1.0, "query_cost": 4.0})  # below, then above: not "from"
    out = update_below_from(rows, c, eps)
    # by hand: 64^0.8 * 4^0.15 = 34.6 < 50 (not below), 256^0.8 * 4^0.15 = 104.7 > 50 (below from here on)
    assert out[4]["below_from"] == 256
    assert out[4]["query_slope"] == pytest.approx(1.0)
    one = update_below_from([{"n": 2, "m": 4096, "update_cost": 1.0, "query_cost": 1.0}], c, eps)
    assert one[2]["below_from"] == 4096 and math.isnan(one[2]["update_slope"])
    lines = format_table(rows[:2], [("m", "m", "d"), ("update_cost", "UPDATE", ".1f")])
    assert lines == [" m  UPDATE", "16    50.0", "64    50.0"]
