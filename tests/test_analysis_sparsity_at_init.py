"""Tests of firesets.analysis.sparsity_at_init against independent oracles: finite differences for the local
exponent, the hazard series for its expansion, brute-force counts of explicit networks, exact binomial tails for
the constants, and hand-made inputs for the verdict logic."""
import math

import numpy as np
import pytest
from scipy.stats import binom, norm

from firesets import TwoLayerReLU, paper_threshold
from firesets.analysis import sparsity_at_init as A


def _log_mean(L):
    """ln(m Q(b)) with m = e^L, b = sqrt(0.4 L), by the closed form of the Gaussian tail."""
    b = math.sqrt(0.4 * L)
    return L + math.log(0.5 * math.erfc(b / math.sqrt(2)))


@pytest.mark.parametrize("L", [3.0, 5.5, 8.0, 12.0, 16.6, 25.0, 40.0])
def test_local_exponent_against_finite_differences(L):
    h = 1e-4
    fd = (_log_mean(L + h) - _log_mean(L - h)) / (2 * h)
    assert A.local_exponent(math.exp(L)) == pytest.approx(fd, abs=1e-7)


def test_local_exponent_below_four_fifths_and_increasing():
    m = np.exp(np.linspace(1.0, 600.0, 400))
    a = A.local_exponent(m)
    assert np.all(a < 0.8)
    assert np.all(np.diff(a) > 0)


@pytest.mark.parametrize("L", [150.0, 300.0, 700.0])
def test_expansion_error_is_third_order(L):
    """The next term of the series is -31.25 / L^3 (from h(b) = b + 1/b - 2/b^3 + 10/b^5 - ...)."""
    m = math.exp(L)
    exact = A.local_exponent(m)
    assert abs(A.local_exponent_expansion(m, 2) - exact) <= 40.0 / L**3
    assert abs(A.local_exponent_expansion(m, 1) - exact) == pytest.approx(2.5 / L**2, rel=0.2)
    assert A.local_exponent_expansion(m, 0) == 0.8
    assert A.local_exponent_expansion(m, 1) == pytest.approx(0.8 - 1 / (2 * L), rel=1e-14)


def test_exponent_bad_input():
    with pytest.raises(ValueError, match="m"):
        A.local_exponent(1.0)
    with pytest.raises(TypeError, match="m"):
        A.local_exponent("1024")
    with pytest.raises(ValueError, match="order"):
        A.local_exponent_expansion(1024, 3)


def test_network_check_against_explicit_network():
    m, d, n, seed = 2**10, 8, 16, 3
    f, lines = A.network_check(m=m, d=d, n=n, seed=seed)
    net = TwoLayerReLU.init(m, d, rng=seed)
    X = np.random.default_rng(seed + 1).standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    k = [sum(1 for r in range(m) if float(net.W[r] @ X[i]) > net.b) for i in range(n)]
    assert f["mean"] == pytest.approx(np.mean(k)) and f["kmax"] == max(k)
    p = 0.5 * math.erfc(net.b / math.sqrt(2))
    assert f["exact"] == pytest.approx(m * p, rel=1e-12)
    assert f["bound"] == pytest.approx(m * math.exp(-net.b**2 / 2), rel=1e-12)
    assert all(len(line) <= 100 for line in lines)


def test_width_experiment_and_constants_against_binomial():
    ms = 2 ** np.arange(8, 13)
    ex = A.width_experiment(ms, seeds=500, data_max=2**10)
    assert ex["K"].shape == (5, 500)
    for j, m in enumerate(ms):
        b = math.sqrt(0.4 * math.log(m))
        assert ex["bs"][j] == pytest.approx(b, rel=1e-12)
        assert ex["B"][j] == pytest.approx(m**0.8, rel=1e-9)
        assert ex["Ek"][j] == pytest.approx(m * norm.sf(b), rel=1e-9)
    cst = A.constants(ex, delta=1e-3)
    for j, m in enumerate(ms):
        b, B = ex["bs"][j], ex["B"][j]
        p = norm.sf(b)
        for n, c in ((1, cst["c_one"][j]), (int(m), cst["c_nm"][j])):
            # c B is the smallest integer count whose tail is <= delta / n
            assert binom.sf(round(c * B), m, p) <= 1e-3 / n
            assert binom.sf(round(c * B) - 1, m, p) > 1e-3 / n
    np.testing.assert_allclose(cst["mills"], 1 / (ex["bs"] * math.sqrt(2 * math.pi)))


def test_readings_against_brute_force():
    m, d, n, seed = 64, 2, 32, 4
    r = A.readings(m, d, n=n, seed=seed, restarts=4, steps=10)
    net = TwoLayerReLU.init(m, d, rng=seed)
    X = np.random.default_rng(seed + 1).standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    k = (X @ net.W.T > net.b).sum(axis=1)
    assert r["fixed"] == k[0] and r["worst_data"] == k.max()
    theta = np.linspace(0, 2 * np.pi, 200_001)  # dense grid on the circle: a lower bound on the maximum
    grid = (np.stack([np.cos(theta), np.sin(theta)], 1) @ net.W.T > net.b).sum(axis=1).max()
    assert r["exact2d"] >= grid and r["found"] <= r["exact2d"]


def test_sphere_scaling_all_neurons_law_and_slope():
    out = A.sphere_scaling(range(5, 9))
    laws = list(A.dimension_laws())
    v = out["d = 1.25 (1+b^2) m"]
    np.testing.assert_array_equal(v["k"], v["ms"])  # every neuron fires on the constructed x
    np.testing.assert_allclose(v["ratio"], np.exp(np.array([paper_threshold(int(m)) ** 2 / 2 for m in v["ms"]])))
    assert v["slope"] == pytest.approx(0.2, abs=1e-9)  # e^{b^2/2} = m^{1/5}
    for law in laws:
        w = out[law]
        slope = np.polyfit(np.log(w["ms"]), np.log(w["ratio"]), 1)[0]
        assert w["slope"] == pytest.approx(slope, rel=1e-9)
        assert np.all(w["k"] <= w["ms"])


def _fake_inputs(sphere_slope):
    ms = 2 ** np.arange(8, 11)
    ex = A.width_experiment(ms, seeds=200, data_max=2**8)
    cst = A.constants(ex)
    expo = A.exponents(ex, cst)
    om = A.omega_experiment(ex)
    ds = [2, 8, 32, 128, 512, 1024]
    res = {2**10: [dict(found=f, B=100.0) for f in (10, 20, 50, 90, 120, 150)]}
    ms_s = np.array([32.0, 64.0, 128.0])
    sphere = {law: dict(ms=ms_s, ds=ms_s, k=ms_s, ratio=ms_s**sphere_slope, slope=sphere_slope, se=0.01)
              for law in A.dimension_laws()}
    return ex, cst, expo, om, res, ds, sphere


def test_verdicts_logic_and_glue():
    lines, glue = A.verdicts(*_fake_inputs(0.2))
    assert set(glue) == {"v-lemma-2-5", "v-lemma-2-5-probability", "v-lemma-2-5-sphere", "v-remark-2-6"}
    text = "\n".join(lines)
    assert "Lemma 2.5, fixed x (m = 2^8..2^10): HOLDS" in text
    assert "k > B from d = 512" in text  # 120 > 100 first at d = 512
    assert "every x on the sphere, d growing with m: FAILS" in text
    assert glue["v-lemma-2-5-sphere"].startswith("Fails")
    assert glue["v-remark-2-6"].startswith("Holds")
    assert all(len(line) <= 100 for line in lines)
    lines0, glue0 = A.verdicts(*_fake_inputs(0.0))
    assert "d growing with m: not refuted" in "\n".join(lines0)
    assert glue0["v-lemma-2-5-sphere"].startswith("Not refuted")
