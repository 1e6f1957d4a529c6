"""Tests of firesets.analysis.fire_sets_in_training against independent oracles: numerical integration of the
Gaussian tail for the envelope, the Mills expansion for the radius, brute-force ledgers of explicit runs, and
hand-made summaries for the verdict logic."""
import json
import math

import numpy as np
import pytest
from scipy import integrate

from firesets import TwoLayerReLU, paper_threshold
from firesets.analysis import fire_sets_in_training as F
from firesets.data import synthetic
from firesets.training import train


def _Q(z):
    """Gaussian upper tail by quadrature of the density (independent of scipy.special.ndtr)."""
    val, _ = integrate.quad(lambda u: math.exp(-u * u / 2) / math.sqrt(2 * math.pi), z, np.inf)
    return val


@pytest.mark.parametrize("b,R", [(1.5, 0.0), (1.5, 0.3), (2.0, 1.0), (2.5, 0.05), (3.0, 3.5)])
def test_envelope_fraction_and_ratio_against_quadrature(b, R):
    assert F.envelope_fraction(b, R) == pytest.approx(_Q(b - R), rel=1e-9)
    assert F.envelope_ratio(b, R) == pytest.approx(_Q(b - R) * math.exp(b * b / 2), rel=1e-8)


@pytest.mark.parametrize("b,c", [(1.2, 1.0), (2.0, 1.0), (2.5, 0.5), (4.0, 3.0), (30.0, 1.0)])
def test_envelope_radius_solves_its_equation(b, c):
    R = F.envelope_radius(b, c)
    assert R > 0
    # Q(b - R) = c e^{-b^2/2}, compared in log space (quadrature of the tail is exact enough at b <= 4)
    lhs = math.log(F.envelope_fraction(b, R)) if b < 10 else math.log(F.envelope_ratio(b, R)) - b * b / 2
    assert lhs == pytest.approx(math.log(c) - b * b / 2, abs=1e-8)
    if b <= 4:
        assert _Q(b - R) == pytest.approx(c * math.exp(-b * b / 2), rel=1e-6)


def test_envelope_radius_zero_when_already_above():
    # for b small, Q(b) > c e^{-b^2/2} already (e.g. b = 0.1, c = 0.1): no movement needed
    assert F.envelope_radius(0.1, 0.1) == 0.0


@pytest.mark.parametrize("b", [20.0, 50.0, 200.0])
def test_envelope_radius_expansion_is_its_asymptote(b):
    """R_1(b) = (ln b + ln sqrt(2 pi)) / b + O(ln^2 b / b^3)."""
    R = F.envelope_radius(b, 1.0)
    assert abs(R - F.envelope_radius_expansion(b, 1.0)) <= 3 * math.log(b) ** 2 / b**3


def test_envelope_iff_condition_on_bR_minus_lnb():
    """The ratio Q(b - R) e^{b^2/2} stays bounded along R = (ln b + K)/b and blows up along R = 2 ln b / b."""
    bs = np.array([5.0, 10.0, 20.0, 40.0])
    ok = F.envelope_ratio(bs, (np.log(bs) + 1.0) / bs)
    bad = F.envelope_ratio(bs, 2 * np.log(bs) / bs)
    assert ok.max() / ok.min() < 1.5
    assert np.all(np.diff(bad) > 0) and bad[-1] / bad[0] > 5


def test_envelope_bad_input():
    with pytest.raises(ValueError, match="R"):
        F.envelope_fraction(1.0, -0.1)
    with pytest.raises(ValueError, match="c"):
        F.envelope_radius(1.0, 0.0)
    with pytest.raises(TypeError, match="b"):
        F.envelope_ratio("x", 0.1)
    with pytest.raises(ValueError, match="b"):
        F.envelope_radius_expansion(0.5)


def test_loglog_slope_recovers_power_law_and_se():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    s, se = F.loglog_slope(x, 3 * x**-0.25)
    assert s == pytest.approx(-0.25, abs=1e-12) and se == pytest.approx(0.0, abs=1e-12)
    s2, se2 = F.loglog_slope(x[:2], x[:2] ** 2)
    assert s2 == pytest.approx(2.0) and math.isnan(se2)
    with pytest.raises(ValueError, match="x, y"):
        F.loglog_slope(x, -x)


@pytest.fixture(scope="module")
def small_runs():
    X, y = synthetic(6, 5, rng=0)
    data = {"syn": (X, y)}
    ntk, ledgers = F.train_runs(data, [64, 256], [1, 2], {"syn": 8})
    return X, y, ntk, ledgers


def test_train_runs_match_direct_training(small_runs):
    X, y, ntk, ledgers = small_runs
    from firesets.ntk import learning_rate, ntk_gram

    for (name, m, s), L in ledgers.items():
        b = paper_threshold(m)
        assert ntk[name, m]["b"] == b
        _, L2 = train(TwoLayerReLU.init(m, 5, rng=s), X, y, learning_rate(ntk_gram(X, b)), 8)
        np.testing.assert_array_equal(L.k, L2.k)
        np.testing.assert_allclose(L.loss, L2.loss)


def test_run_summary_against_brute_force(small_runs):
    X, y, ntk, ledgers = small_runs
    m, s = 256, 1
    L = ledgers["syn", m, s]
    info = ntk["syn", m]
    r = F.run_summary(L, info["b"], info["lam"], info["eta"])
    # replay the run and recount everything from the weights
    net = TwoLayerReLU.init(m, 5, rng=s)
    W0 = net.W.copy()
    W = W0.copy()
    from firesets.training import DenseStepper

    st = DenseStepper(net, X, y)
    ks, moves, unions = [], [], []
    for t in range(L.T + 1):
        W = np.array(st.W)
        P = X @ W.T
        ks.append((P > info["b"]).sum(axis=1))
        unions.append(int(np.any(P > info["b"], axis=0).sum()))
        moves.append(np.linalg.norm(W - W0, axis=1).max())
        if t < L.T:
            st.step(info["eta"], record=False)
    ks = np.array(ks)
    scale = m * math.exp(-info["b"] ** 2 / 2)
    assert r["ratio"] == pytest.approx(ks.max() / scale)
    assert r["ratio_q"] == pytest.approx(ks.max() / (m * 0.5 * math.erfc(info["b"] / math.sqrt(2))))
    assert r["growth"] == pytest.approx(np.max(ks / np.maximum(ks[0], 1)))
    assert r["R"] == pytest.approx(max(moves), rel=1e-9)
    assert r["c_R"] == pytest.approx(max(moves) / math.exp(-info["b"] ** 2 / 2), rel=1e-9)
    assert r["union0"] == unions[0] and r["union_max"] == max(unions)
    assert r["union_grows"] == (max(unions) > unions[0])
    env = max(((X @ W0.T) > info["b"] - max(moves)).sum(axis=1))
    assert r["envelope"] == pytest.approx(env / scale)
    err0 = math.sqrt(2 * L.loss[0])
    assert r["D"] == pytest.approx(4 / info["lam"] / math.sqrt(m) * math.sqrt(6) * err0)


def test_union_never_grows_under_gd(small_runs):
    """The argument of Theorem E.1's union step: a neuron firing for no input gets no gradient."""
    _, _, _, ledgers = small_runs
    for L in ledgers.values():
        assert F.union_monotone(L.union)
    assert not F.union_monotone([3, 4, 2])


def test_outcome_classes():
    class L:
        def __init__(self, loss):
            self.loss = np.array(loss)

    assert F.outcome(L([1.0, 1e-7])) == "converged"
    assert F.outcome(L([1.0, 2.0])) == "diverged"
    assert F.outcome(L([1.0, 0.5])) == "stalled"


def _rec(m, seed, ratio, ratio_q, growth, R, D, union_grows=False):
    b = math.sqrt(0.4 * math.log(m))
    return dict(m=m, seed=seed, b=b, ratio=ratio, ratio_q=ratio_q, growth=growth, R=R, D=D,
                c_R=R / math.exp(-b * b / 2), bR_minus_lnb=b * R - math.log(b), envelope=1.0,
                union0=10, union_max=11 if union_grows else 10, union_grows=union_grows,
                hypothesis_a1=True, loss_ratio=1e-9)


def test_verdict_sweep_and_route_on_constructed_records():
    ms = [2**8, 2**10, 2**12, 2**14]
    recs = [_rec(m, s, 0.3 * m**-0.05, 1.2 * m**-0.01, 1.0, 3.0 * m**-0.3, 60 * m**-0.2)
            for m in ms for s in range(3)]
    facts, lines = F.verdict_sweep(recs)
    assert facts["slopes"]["ratio"][0] == pytest.approx(-0.05, abs=1e-9)
    assert facts["slopes"]["ratio_q"][0] == pytest.approx(-0.01, abs=1e-9)
    assert facts["seeds"] == 3 and all(len(line) <= 100 for line in lines)
    rf, rlines = F.verdict_proof_route(recs)
    R1 = np.array([F.envelope_radius(math.sqrt(0.4 * math.log(m))) for m in ms])
    R = 3.0 * np.array(ms, float) ** -0.3
    assert rf["slope_R"][0] == pytest.approx(np.polyfit(np.log(ms), np.log(R / R1), 1)[0], rel=1e-9)
    inside = R <= R1
    first = next(m for j, m in enumerate(ms) if inside[j:].all())
    assert rf["first_inside"] == first
    assert all(len(line) <= 100 for line in rlines)


def test_verdict_lemma_b6_calibration():
    ratio = {("a", 64, 1): 0.5, ("a", 64, 2): 0.4, ("a", 256, 1): 0.45, ("b", 256, 1): 0.49}
    growth = {k: 1.0 for k in ratio}
    holds, C, lines = F.verdict_lemma_b6(ratio, growth, [64, 256], 64)
    assert holds and C == 0.5 and "HOLDS" in lines[0]
    ratio[("b", 256, 2)] = 0.51
    holds, _, lines = F.verdict_lemma_b6(ratio, {k: 1.0 for k in ratio}, [64, 256], 64)
    assert not holds and "FAILS" in lines[0]


def test_verdict_claim_a1_union_convergence_and_glue():
    summ = {("a", 64, 1): _rec(64, 1, 0.3, 1.2, 1.0, 1.0, 20.0),
            ("a", 256, 1): _rec(256, 1, 0.3, 1.1, 1.0, 0.5, 10.0, union_grows=True)}
    ok, lines = F.verdict_claim_a1(summ)
    assert ok and "D / movement >= 20.0" in lines[1]
    summ[("a", 256, 1)]["D"] = 0.4  # hypothesis met but movement above D
    ok, lines = F.verdict_claim_a1(summ)
    assert not ok and "FAILS" in lines[0]
    u_ok, ulines = F.verdict_union(summ)
    assert not u_ok and "FAILS in 1 of 2" in ulines[0]
    c_ok, clines = F.verdict_convergence(summ, ["a"], {"a": 10})
    assert c_ok and "True" in clines[0]
    recs = [_rec(m, s, 0.3, 1.1, 1.0, 3.0 * m**-0.3, 60 * m**-0.2) for m in (2**8, 2**12) for s in range(2)]
    sf, _ = F.verdict_sweep(recs)
    rf, _ = F.verdict_proof_route(recs)
    g = F.glue_texts(True, 0.3, [2**10, 2**12], sf, rf, True, 20.0, True, 4)
    assert set(g) == {"v-lemma-b-6", "v-lemma-b-6-proof", "v-claim-a-1", "v-theorem-e-1-union"}
    assert g["v-lemma-b-6"].startswith("Holds") and g["v-theorem-e-1-union"].startswith("Holds")


def test_sweep_main_writes_json(tmp_path):
    out = tmp_path / "s.json"
    assert F.main(["--out", str(out), "--seeds", "1", "--max-log2m", "8", "--steps", "3"]) == 0
    doc = json.loads(out.read_text())
    assert doc["setting"]["seeds"] == 1 and len(doc["runs"]) == 1
    assert doc["runs"][0]["m"] == 256 and len(doc["runs"][0]["kmax_t"]) == 4
    assert "cpu_count" in doc["machine"] and "--seeds 1" in doc["command"]
    assert F.load_sweep(out)["runs"][0]["seed"] == 0
    with pytest.raises(FileNotFoundError, match="path"):
        F.load_sweep(tmp_path / "missing.json")


def test_committed_sweep_is_complete():
    doc = F.load_sweep()
    ms = sorted({r["m"] for r in doc["runs"]})
    assert ms[0] <= 2**8 and ms[-1] >= 2**18
    assert all(len(F.sweep_table(doc["runs"], "ratio")[m]) >= 3 for m in ms)


def test_hypotheses_runs_floor_and_scaling():
    X, y = synthetic(6, 5, rng=2)
    facts, lines = F.hypotheses_runs(X, y, ms=(64, 256), T=5)
    assert facts["loss_dup"] >= facts["floor"] - 1e-12 and facts["floor"] == pytest.approx(1.0)
    assert abs(facts["lam_dup"]) < 1e-12
    for m, (unit, scaled) in facts["ratio"].items():
        assert scaled > unit
    assert all(len(line) <= 100 for line in lines)
