"""Experiment drivers and verdicts of the chapter "Sparsity after initialization" (Lemma 2.5, Remark 2.6).

Bypass paper (Alman, Liang, Song, Zhang, Zhuo), Lemma 2.5 (Lemma 3.8 of [SYZ21]): with probability
``1 - exp(-Omega(m e^{-b^2/2}))`` "for any input data x" at most ``O(m e^{-b^2/2})`` neurons fire; Remark 2.6: with
``b = sqrt(0.4 ln m)`` this is ``O(m^{4/5})``. The exact law, samplers and constants are in
:mod:`firesets.sparsity`; the worst direction on the sphere in :mod:`firesets.worst_direction`.

* :func:`local_exponent`, :func:`local_exponent_expansion` -- Remark 2.6's exponent, exactly and expanded.
* :func:`width_experiment`, :func:`tail_experiment`, :func:`union_experiment`, :func:`readings`,
  :func:`sphere_scaling` -- the chapter's experiments.
* :func:`verdicts` -- the verdict lines and the glue sentences.

Chapter: ``book/sparsity_at_init.md``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm

from firesets import sparsity as sp
from firesets._validate import as_rng

__all__ = [
    "local_exponent",
    "local_exponent_expansion",
    "network_check",
    "width_experiment",
    "constants",
    "exponents",
    "tail_experiment",
    "omega_experiment",
    "union_experiment",
    "readings",
    "dimension_laws",
    "sphere_scaling",
    "verdicts",
]


def _m_array(m):
    a = np.asarray(m)
    if a.dtype == bool or not np.issubdtype(a.dtype, np.number):
        raise TypeError(f"m: expected a real number or array of them, got {m!r}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)) or np.any(a <= 1):
        raise ValueError("m: expected finite widths > 1")
    return a


def local_exponent(m):
    """Exact local exponent ``d ln(m Q(b)) / d ln m`` of the mean fire count at ``b = sqrt(0.4 ln m)``.

    With ``L = ln m``, ``ln E[k] = L + ln Q(b)``, ``d ln Q / db = -phi(b) / Q(b) = -h(b)`` (the hazard, inverse
    Mills ratio) and ``db / dL = 0.2 / b``, so the exponent is ``1 - 0.2 h(b) / b`` (``m`` real, ``> 1``).
    """
    m = _m_array(m)
    b = np.sqrt(0.4 * np.log(m))
    h = np.exp(norm.logpdf(b) - norm.logsf(b))
    out = 1.0 - 0.2 * h / b
    return out if out.ndim else float(out)


def local_exponent_expansion(m, order: int = 2):
    """The expansion of :func:`local_exponent` in ``1 / ln m``: ``4/5 - 1/(2 ln m) + 5/(2 ln^2 m) + O(ln^-3 m)``.

    From the hazard expansion ``h(b) = b + 1/b - 2/b^3 + O(b^-5)`` and ``b^2 = 0.4 ln m``:
    ``1 - 0.2 h(b)/b = 4/5 - 0.2/b^2 + 0.4/b^4 + O(b^-6)`` with ``0.2/b^2 = 1/(2 ln m)``, ``0.4/b^4 = 5/(2 ln^2 m)``.
    ``order`` = 0, 1 or 2 keeps that many correction terms.
    """
    m = _m_array(m)
    if order not in (0, 1, 2):
        raise ValueError(f"order: expected 0, 1 or 2, got {order!r}")
    L = np.log(m)
    out = np.full_like(L, 0.8)
    if order >= 1:
        out -= 1.0 / (2.0 * L)
    if order >= 2:
        out += 5.0 / (2.0 * L * L)
    return out if out.ndim else float(out)


def network_check(m: int = 2**14, d: int = 32, n: int = 64, seed: int = 0):
    """Fire counts of ``n`` random unit inputs under one ``TwoLayerReLU.init`` against ``Binomial(m, Q(b))``.

    Returns ``(facts, lines)``; ``facts`` has the mean, the exact mean and sd, the z-score of the mean, the max
    and the bound.
    """
    from firesets import TwoLayerReLU, firing

    net = TwoLayerReLU.init(m, d, rng=seed)
    X = np.random.default_rng(seed + 1).standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    k = firing.fire_counts(net.preactivations(X), net.b)
    p = sp.fire_probability(net.b)
    f = dict(b=net.b, mean=float(k.mean()), exact=m * p, sd=math.sqrt(m * p * (1 - p)),
             z=float((k.mean() - m * p) / math.sqrt(m * p * (1 - p) / n)), kmax=int(k.max()),
             bound=sp.lemma25_bound(m, net.b))
    lines = [
        f"m = 2^{int(math.log2(m))}, b = {f['b']:.4f}: mean of k_i over {n} inputs = {f['mean']:.1f}",
        f"  exact E[k] = m Q(b) = {f['exact']:.1f}, sd = {f['sd']:.1f}",
        f"  z-score of the mean: {f['z']:+.2f}; max_i k_i = {f['kmax']}",
        f"  bound B = m exp(-b^2/2) = {f['bound']:.1f}",
    ]
    return f, lines


def width_experiment(ms, seeds: int = 20_000, rng=2024, data_rng=3, sampler_rng=5, data_max=2**18):
    """Experiment 1: exact binomial fire counts at ``b = sqrt(0.4 ln m)`` for every width, and data-sampler counts.

    Returns a dict: ``ms``, ``bs``, ``B`` (``m e^{-b^2/2}``), ``K`` (widths x seeds), ``quant`` (0.001, 0.5,
    0.999 quantiles), ``Ek``, ``data_ms``, ``data_k`` (16 unit inputs in ``d = 32`` under 4 Gaussian ``W``
    for every other width up to ``data_max``), ``z_data`` (largest ``|z|`` of the data counts' mean).
    """
    from firesets import paper_threshold

    ms = np.asarray(ms, dtype=np.int64)
    bs = np.array([paper_threshold(int(m)) for m in ms])
    B = np.array([sp.lemma25_bound(int(m), b) for m, b in zip(ms, bs)])
    gen = as_rng(rng)
    K = np.stack([sp.sample_fire_counts(int(m), b, size=seeds, rng=gen) for m, b in zip(ms, bs)])
    quant = {q: np.quantile(K, q, axis=1) for q in (0.001, 0.5, 0.999)}
    Ek = np.array([sp.expected_fire_count(int(m), b) for m, b in zip(ms, bs)])
    Xd = np.random.default_rng(data_rng).standard_normal((16, 32))
    Xd /= np.linalg.norm(Xd, axis=1, keepdims=True)
    data_ms = ms[ms <= data_max][::2]
    data_k = [sp.sample_fire_counts_data(Xd, int(m), paper_threshold(int(m)), seeds=4, rng=sampler_rng)
              for m in data_ms]
    z = []
    for m, kk in zip(data_ms, data_k):
        e = sp.expected_fire_count(int(m), paper_threshold(int(m)))
        z.append(abs(kk.mean() - e) / math.sqrt(e / kk.size))
    return dict(ms=ms, bs=bs, B=B, K=K, quant=quant, Ek=Ek, data_ms=data_ms, data_k=data_k,
                z_data=float(max(z)), seeds=seeds)


def constants(ex: dict, delta: float = 1e-3):
    """Experiment 2: measured constants ``k / B``: exact mean, sampled max, exact ``c_delta`` for ``n = 1`` and
    ``n = m`` (union bound), and the Mills asymptote ``1/(b sqrt(2 pi))``."""
    ms, bs, B = ex["ms"], ex["bs"], ex["B"]
    return dict(
        ratio_mean=ex["Ek"] / B,
        ratio_max=ex["K"].max(axis=1) / B,
        c_one=np.array([sp.constant_for_confidence(int(m), b, delta) for m, b in zip(ms, bs)]),
        c_nm=np.array([sp.constant_for_confidence(int(m), b, delta, n=int(m)) for m, b in zip(ms, bs)]),
        mills=1 / (bs * math.sqrt(2 * math.pi)),
    )


def exponents(ex: dict, cst: dict):
    """Experiment 3: fitted exponents over the widths, the exact local exponent and its expansion."""
    ms = ex["ms"].astype(float)
    alpha = {
        "exact E[k]": sp.fitted_exponent(ms, ex["Ek"]),
        "sampled median k": sp.fitted_exponent(ms, ex["quant"][0.5]),
        "sampled 99.9% quantile": sp.fitted_exponent(ms, ex["quant"][0.999]),
        "exact c(1e-3, n=m) B": sp.fitted_exponent(ms, cst["c_nm"] * ex["B"]),
        "bound m exp(-b^2/2)": sp.fitted_exponent(ms, ex["B"]),
    }
    return dict(alpha=alpha, local=local_exponent(ms), exp1=local_exponent_expansion(ms, 1),
                exp2=local_exponent_expansion(ms, 2), b45=norm.isf(ms ** -0.2))


def tail_experiment(ex: dict, cs, tail_ms):
    """Experiment 4: exact tail, sampled frequency and Bernstein bound of ``Pr[k > c B]`` for a few widths."""
    from firesets import paper_threshold

    exact_t, samp_t, bern_t = [], [], []
    ms = list(ex["ms"])
    for m in tail_ms:
        b = paper_threshold(m)
        j = ms.index(m)
        exact_t.append([sp.exceed_probability(m, b, c) for c in cs])
        samp_t.append([(ex["K"][j] > c * ex["B"][j]).mean() for c in cs])
        bern_t.append([sp.bernstein_tail_bound(m, b, c) if c > 0.5 else np.nan for c in cs])
    S = ex["seeds"]
    worst = max(abs(s - e) / math.sqrt(max(e * (1 - e), 1 / S) / S)
                for E_, S_ in zip(exact_t, samp_t) for e, s in zip(E_, S_))
    covers = all(bb >= e for E_, Bb in zip(exact_t, bern_t) for e, bb in zip(E_, Bb) if bb == bb)
    return dict(exact=exact_t, sampled=samp_t, bernstein=bern_t, worst_dev=float(worst), covers=covers)


def omega_experiment(ex: dict):
    """The constant in ``1 - exp(-Omega(B))``: ``-ln Pr[k > B] / B`` exactly, and the union-bound reach
    ``log10 n`` with ``n Pr[k > B] = 1e-3``."""
    omega = np.array([-sp.exceed_log_probability(int(m), b, 1.0) / Bm
                      for m, b, Bm in zip(ex["ms"], ex["bs"], ex["B"])])
    return dict(omega=omega, log10_n=omega * ex["B"] / math.log(10) - 3)


def union_experiment(m: int = 2**12, n: int = 64, seeds: int = 20_000, seeds_data: int = 400):
    """Union over ``n`` inputs at the constant ``c`` whose union bound ``n q`` is 1/2: orthonormal inputs (exact and
    sampled) against 64 random unit inputs in ``d = 16`` (correlated counts, sampled)."""
    from firesets import paper_threshold

    b = paper_threshold(m)
    c = sp.constant_for_confidence(m, b, 0.5, n=n)
    q = sp.exceed_probability(m, b, c)
    Ku = sp.sample_fire_counts(m, b, size=(seeds, n), rng=7)
    Xc = np.random.default_rng(8).standard_normal((n, 16))
    Xc /= np.linalg.norm(Xc, axis=1, keepdims=True)
    Kc = sp.sample_fire_counts_data(Xc, m, b, seeds=seeds_data, rng=9)
    B = sp.lemma25_bound(m, b)
    return dict(m=m, n=n, c=c, nq=n * q, exact=sp.union_exceed_probability_independent(m, b, c, n),
                sampled=float((Ku.max(axis=1) > c * B).mean()), correlated=float((Kc.max(axis=1) > c * B).mean()),
                seeds=seeds, seeds_data=seeds_data)


def readings(m: int, d: int, n: int = 256, seed: int = 0, restarts: int = 16, steps: int = 100):
    """Experiment 5, one ``(m, d)``: fire count of a fixed input, the worst of ``n`` data points, the best direction
    found by the search and by the subset construction (certified lower bounds), the exact 2-d maximum, and ``B``.
    """
    from firesets import TwoLayerReLU, firing
    from firesets import worst_direction as wd

    net = TwoLayerReLU.init(m, d, rng=seed)
    X = np.random.default_rng(seed + 1).standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    k = firing.fire_counts(net.preactivations(X), net.b)
    _, k_sup = wd.worst_direction_search(net.W, net.b, restarts=restarts, steps=steps, X0=X[:8], rng=seed + 2)
    k_sub = wd.subset_direction(net.W, net.b, rng=seed + 3)[1] if d > 1 else 0
    k_2d = wd.worst_direction_exact_2d(net.W, net.b)[1] if d == 2 else None
    return dict(fixed=int(k[0]), worst_data=int(k.max()), found=int(max(k_sup, k_sub)), exact2d=k_2d,
                B=sp.lemma25_bound(m, net.b))


def dimension_laws():
    """The dimension sequences of :func:`sphere_scaling`: ``name -> d(m, b)``.

    ``b^2 m^{4/5}``: ``d = ceil((1 + b^2) m^{4/5})``; ``b^2 m^{9/10}``: ``d = ceil((1 + b^2) m^{9/10})``;
    ``b^2 m``: ``d = ceil(1.25 (1 + b^2) m)`` (for Gaussian rows typically enough for every neuron to fire on
    one unit ``x``; the count is certified, not assumed).
    """
    return {
        "d = (1+b^2) m^{4/5}": lambda m, b: int(math.ceil((1 + b * b) * m ** 0.8)),
        "d = (1+b^2) m^{9/10}": lambda m, b: int(math.ceil((1 + b * b) * m ** 0.9)),
        "d = 1.25 (1+b^2) m": lambda m, b: int(math.ceil(1.25 * (1 + b * b) * m)),
    }


def sphere_scaling(log2ms=range(5, 11), seed: int = 0):
    """The "every x on the sphere" reading of Lemma 2.5 with ``d`` growing with ``m``: certified ratios.

    For each law of :func:`dimension_laws` and width ``m`` (``b = sqrt(0.4 ln m)``), one Gaussian ``W`` and the
    subset construction :func:`firesets.worst_direction.subset_direction`: a unit ``x`` with at least ``k``
    firing neurons. Returns ``{law: dict(ms, ds, k, ratio, slope, se)}`` with ``ratio = k / (m e^{-b^2/2})`` and
    the fitted log-log slope of the ratio against ``m`` (a growing ratio refutes an ``O(m e^{-b^2/2})`` bound
    that must hold for every unit ``x`` whatever ``d``).
    """
    from firesets import paper_threshold
    from firesets import worst_direction as wd
    from firesets.analysis.fire_sets_in_training import loglog_slope

    out = {}
    for law, dfun in dimension_laws().items():
        ms, ds, ks, ratio = [], [], [], []
        for j in log2ms:
            m = 2 ** int(j)
            b = paper_threshold(m)
            d = dfun(m, b)
            W = np.random.default_rng([seed, int(j), d]).standard_normal((m, d))
            k = wd.subset_direction(W, b, rng=seed + int(j))[1]
            ms.append(m), ds.append(d), ks.append(k), ratio.append(k / sp.lemma25_bound(m, b))
        slope, se = loglog_slope(np.array(ms, float), np.array(ratio))
        out[law] = dict(ms=np.array(ms), ds=np.array(ds), k=np.array(ks), ratio=np.array(ratio),
                        slope=slope, se=se)
    return out


def verdicts(ex, cst, expo, omega, res, ds, sphere):
    """The chapter's verdict lines (one clause per line) and the glue sentences.

    Returns ``(lines, glue)``; ``glue`` maps ``v-lemma-2-5``, ``v-lemma-2-5-sphere``, ``v-lemma-2-5-probability``,
    ``v-remark-2-6`` to one sentence each.
    """
    ms = ex["ms"]
    lo, hi = f"2^{int(math.log2(ms[0]))}", f"2^{int(math.log2(ms[-1]))}"
    c_one, c_nm, rmean = cst["c_one"], cst["c_nm"], cst["ratio_mean"]
    om = omega["omega"]
    g16 = sp.bernstein_exponent(1.0)
    lines, glue = [], {}

    ok = c_one.max() <= 1
    lines += [f"Lemma 2.5, fixed x (m = {lo}..{hi}): {'HOLDS' if ok else 'FAILS'}",
              f"  k <= c B with c = {c_one.max():.3f} at confidence 1 - 1e-3 (largest over m)",
              f"  E[k]/B = {rmean[-1]:.3f} at {hi}"]
    ok_n = c_nm.max() <= 1
    lines += [f"Lemma 2.5, worst of n = m data: {'HOLDS' if ok_n else 'FAILS'}",
              f"  c = {c_nm.max():.3f} (union bound over n = m inputs, confidence 1 - 1e-3)"]
    glue["v-lemma-2-5"] = (
        f"Holds in the fixed-x reading (and for the worst of n = m data points by a union bound): "
        f"at b = sqrt(0.4 ln m), m = {lo}..{hi}, the exact binomial law gives k <= c m e^(-b^2/2) "
        f"with probability 1 - 1e-3 for c = {c_one.max():.3f} (one input) and c = {c_nm.max():.3f} (n = m inputs), "
        f"and E[k]/(m e^(-b^2/2)) falls from {rmean[0]:.3f} to {rmean[-1]:.3f}.")

    ok_p = om.min() >= g16
    lines += [f"Lemma 2.5, probability 1-exp(-Om(B)): {'HOLDS' if ok_p else 'FAILS'}",
              f"  measured -ln Pr[k > B]/B = {om.min():.3f}..{om.max():.3f}",
              f"  derived gamma(1) = {g16:.4f}"]
    glue["v-lemma-2-5-probability"] = (
        f"{'Holds' if ok_p else 'Fails'}: Pr[k > m e^(-b^2/2)] = exp(-omega m e^(-b^2/2)) with measured "
        f"omega = {om.min():.3f}..{om.max():.3f} over m = {lo}..{hi}, above the derived Bernstein constant "
        f"gamma(1) = 3/16.")

    r10 = res[2**10]
    over = [d for d, r in zip(ds, r10) if r["found"] > r["B"]]
    lines += ["Lemma 2.5, worst direction on sphere, fixed m: "
              + (f"k > B from d = {over[0]}" if over else "not refuted"),
              "  at m = 2^10: max_x k/B >= "
              + ", ".join(f"{r['found'] / r['B']:.2f} (d={d})" for d, r in list(zip(ds, r10))[:3]),
              "    " + ", ".join(f"{r['found'] / r['B']:.2f} (d={d})" for d, r in list(zip(ds, r10))[3:]),
              "  (search and construction: lower bounds; the first d with k > B may be smaller)"]
    law_all = "d = 1.25 (1+b^2) m"
    law45 = "d = (1+b^2) m^{4/5}"
    law09 = "d = (1+b^2) m^{9/10}"
    grows = sphere[law_all]["slope"] - 2 * sphere[law_all]["se"] > 0 if np.isfinite(sphere[law_all]["se"]) \
        else sphere[law_all]["slope"] > 0
    s_lo = f"2^{int(math.log2(sphere[law_all]['ms'][0]))}"
    s_hi = f"2^{int(math.log2(sphere[law_all]['ms'][-1]))}"
    lines += [f"Lemma 2.5, every x on the sphere, d growing with m: {'FAILS' if grows else 'not refuted'}",
              f"  certified max_x k/B over m = {s_lo}..{s_hi}, fitted slope in m (+- s.e.):"]
    for law, v in sphere.items():
        lines.append(f"    {law}: {v['ratio'][0]:.2f} -> {v['ratio'][-1]:.2f}, slope {v['slope']:+.3f} +- {v['se']:.3f}")
    glue["v-lemma-2-5-sphere"] = (
        ("Fails in the every-x-on-the-sphere reading once d may grow with m: " if grows else
         "Not refuted in the every-x-on-the-sphere reading: ")
        + f"a certified unit x fires at least k neurons with k/(m e^(-b^2/2)) growing like m^"
        f"{sphere[law_all]['slope']:.2f} when d = 1.25(1+b^2)m and m^{sphere[law09]['slope']:.2f} when "
        f"d = (1+b^2)m^(9/10), but flat (m^{sphere[law45]['slope']:+.2f}) when d = (1+b^2)m^(4/5); "
        "the paper's proof covers only the fixed-x reading.")

    loose = bool(np.all(np.diff(rmean) < 0))
    ek_mills = (ex["Ek"] * ex["bs"] * math.sqrt(2 * math.pi) / ex["B"])[-1]
    lines += [f"O(m e^{{-b^2/2}}) tight?: {'LOOSE: E[k]/B -> 0' if loose else 'no trend'}",
              f"  E[k]/B = {rmean[0]:.3f} ({lo}) -> {rmean[-1]:.3f} ({hi})",
              f"  E[k] b sqrt(2 pi)/B = {ek_mills:.3f} at {hi}"]

    a = expo["alpha"]
    loc = expo["local"]
    below = bool(np.all(loc < 0.8))
    lines += [f"Remark 2.6, exponent 4/5: {'HOLDS as a bound' if a['exact E[k]'] < 0.8 else 'exceeded'}",
              f"  fitted exponent of E[k] = {a['exact E[k]']:.3f}, median {a['sampled median k']:.3f} ({lo}..{hi})",
              f"  exact local exponent {loc[0]:.4f} ({lo}) -> {loc[-1]:.4f} ({hi})",
              f"  expansion 4/5 - 1/(2 ln m) + 5/(2 ln^2 m): {expo['exp2'][0]:.4f} -> {expo['exp2'][-1]:.4f}"]
    ok26 = a["exact E[k]"] < 0.8 and below
    glue["v-remark-2-6"] = (
        ("Holds, as a derivable fact rather than a finding: " if ok26 else "Fails: ")
        + "at b = sqrt(0.4 ln m), m e^(-b^2/2) = m^(4/5) exactly, and the exact local exponent of "
        f"E[k] = m Q(b) is 4/5 - 1/(2 ln m) + 5/(2 ln^2 m) + O(1/ln^3 m), {loc[0]:.3f} at {lo} and "
        f"{loc[-1]:.3f} at {hi} (fitted over the range: {a['exact E[k]']:.3f}).")
    return lines, glue
