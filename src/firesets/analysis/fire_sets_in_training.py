"""Experiment drivers and verdicts of the chapter "Fire sets during training" (Lemma B.6, Claim A.1).

Bypass paper (Alman, Liang, Song, Zhang, Zhuo): Lemma B.6 (Lemma C.10 of [SYZ21]) bounds the fire counts
``k_{i,t}`` during gradient descent by ``O(m exp(-b^2/2))``; its proof counts the neurons that *could* fire after
moving by a radius ``R``, ``#{r : <w_r(0), x_i> > b - R}`` (the *envelope*), whose mean is ``m Q(b - R)``.

* :func:`envelope_fraction`, :func:`envelope_ratio`, :func:`envelope_radius` -- the exact envelope ``m Q(b - R)``
  and the radius at which it reaches ``c m e^{-b^2/2}`` (the referee's condition ``R <= (ln b + O(1)) / b``).
* :func:`train_runs`, :func:`run_summary` -- the chapter's training runs and their per-run scalars.
* :func:`lemma_b6_sweep` -- widths ``2^8 .. 2^20`` and several seeds; ``python -m
  firesets.analysis.fire_sets_in_training --out book/data/lemma_b6_sweep.json`` writes it with machine info.
* :func:`verdict_lemma_b6`, :func:`verdict_claim_a1`, :func:`verdict_convergence`, :func:`verdict_union` -- the
  verdict lines and the one-sentence glue texts.

Chapter: ``book/fire_sets_in_training.md``.

The module is longer than 400 lines because the chapter's three evidence chains (the training runs,
the width sweep, the proof's envelope) meet in its verdicts; each function is short and tested on its own.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr
from scipy.stats import norm

from firesets._validate import check_finite_real, check_positive_int

__all__ = [
    "envelope_fraction",
    "envelope_ratio",
    "envelope_radius",
    "envelope_radius_expansion",
    "scale",
    "train_runs",
    "run_summary",
    "outcome",
    "loglog_slope",
    "lemma_b6_sweep",
    "sweep_table",
    "load_sweep",
    "verdict_lemma_b6",
    "verdict_sweep",
    "verdict_claim_a1",
    "verdict_convergence",
    "verdict_union",
    "union_monotone",
]


def _arr(v, name):
    a = np.asarray(v)
    if a.dtype == bool or not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise TypeError(f"{name}: expected a real number or array of them, got {v!r}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: expected finite values (no NaN or inf)")
    return a


def scale(m, b):
    """``m e^{-b^2/2}``: the quantity in Lemmas 2.5 and B.6 (without the constant of the ``O(.)``)."""
    m = _arr(m, "m")
    b = _arr(b, "b")
    return m * np.exp(-b * b / 2)


def envelope_fraction(b, R):
    """``Q(b - R) = Pr[N(0,1) > b - R]``: the mean envelope of Lemma B.6's proof as a fraction of ``m``.

    For a unit input, a neuron can fire after moving by at most ``R`` only if ``<w_r(0), x_i> > b - R``; the
    number of such neurons is ``Binomial(m, Q(b - R))``.
    """
    b = _arr(b, "b")
    R = _arr(R, "R")
    if np.any(R < 0):
        raise ValueError("R: expected radii >= 0")
    return ndtr(R - b)


def envelope_ratio(b, R):
    """``Q(b - R) e^{b^2/2}``: the mean envelope ``m Q(b - R)`` over ``m e^{-b^2/2}`` (computed in log space)."""
    b = _arr(b, "b")
    R = _arr(R, "R")
    if np.any(R < 0):
        raise ValueError("R: expected radii >= 0")
    return np.exp(norm.logsf(b - R) + b * b / 2)


def envelope_radius(b, c: float = 1.0):
    """The radius ``R_c(b)`` at which the mean envelope reaches ``c m e^{-b^2/2}``: ``Q(b - R) = c e^{-b^2/2}``.

    Exact: ``R_c(b) = b - Q^{-1}(c e^{-b^2/2})`` (``norm.isf``, with ``logsf`` inverted in log space for large
    ``b``). The envelope is ``O(m e^{-b^2/2})`` iff ``R <= R_c(b)`` for some fixed ``c``; see
    :func:`envelope_radius_expansion`. Returns 0 where ``Q(b) >= c e^{-b^2/2}`` already.
    """
    b = _arr(b, "b")
    c = check_finite_real(c, "c", low=0.0, low_open=True)
    target = math.log(c) - b * b / 2  # log of c e^{-b^2/2}
    out = np.empty_like(b)
    flat = out.reshape(-1)
    for j, (bj, tj) in enumerate(zip(b.reshape(-1), target.reshape(-1))):
        if norm.logsf(bj) >= tj:
            flat[j] = 0.0
            continue
        lo, hi = -bj - 50.0, bj  # logsf(z) decreasing in z: find z with logsf(z) = tj on [lo, hi]
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if norm.logsf(mid) > tj:
                lo = mid
            else:
                hi = mid
        flat[j] = bj - 0.5 * (lo + hi)
    return out if out.ndim else float(out)


def envelope_radius_expansion(b, c: float = 1.0):
    """First terms of :func:`envelope_radius` for large ``b``: ``R_c(b) = (ln b + ln(c sqrt(2 pi))) / b + O(ln^2 b / b^3)``.

    Derivation (Mills ratio ``Q(z) = phi(z)/z (1 + O(z^-2))``): ``Q(b - R) = c e^{-b^2/2}`` reads
    ``bR - R^2/2 - ln(b - R) - ln sqrt(2 pi) + O(b^-2) = ln c``; with ``R = O(ln b / b)``,
    ``bR = ln b + ln(c sqrt(2 pi)) + O(ln^2 b / b^2)``.
    """
    b = _arr(b, "b")
    c = check_finite_real(c, "c", low=0.0, low_open=True)
    if np.any(b <= 1):
        raise ValueError("b: the expansion needs b > 1")
    return (np.log(b) + math.log(c * math.sqrt(2 * math.pi))) / b


def train_runs(data: dict, ms, seeds, T: dict, safety: float = 1.0):
    """Train 2NN(m, b = sqrt(0.4 ln m)) by full-batch GD for every data set, width and seed.

    ``data`` maps a name to ``(X, y)`` (unit rows); ``T`` maps the name to the number of steps. The step size is
    ``safety / lambda_max(H)`` with ``H`` the shifted-ReLU NTK Gram matrix (:func:`firesets.ntk.ntk_gram`).

    Returns ``(ntk, ledgers)``: ``ntk[name, m]`` is a dict ``b, lam, lmax, eta``; ``ledgers[name, m, seed]`` the
    :class:`firesets.ledger.Ledger` of the run.
    """
    from firesets import TwoLayerReLU, paper_threshold
    from firesets.ntk import learning_rate, ntk_eigs, ntk_gram
    from firesets.training import train

    ntk, ledgers = {}, {}
    for name, (X, y) in data.items():
        for m in ms:
            m = check_positive_int(int(m), "ms")
            b = paper_threshold(m)
            H = ntk_gram(X, b)
            lam, lmax = ntk_eigs(H)
            ntk[name, m] = dict(b=b, lam=lam, lmax=lmax, eta=learning_rate(H, safety))
            for s in seeds:
                net = TwoLayerReLU.init(m, X.shape[1], rng=int(s))
                ledgers[name, m, int(s)] = train(net, X, y, ntk[name, m]["eta"], int(T[name]))[1]
    return ntk, ledgers


def run_summary(L, b: float, lam: float | None = None, eta: float | None = None) -> dict:
    """Per-run scalars of a ledger ``L`` at threshold ``b`` (``k`` over ``m e^{-b^2/2}`` and over ``m Q(b)``).

    ``ratio`` = ``max_{i,t} k_{i,t} / (m e^{-b^2/2})`` (the constant of Lemma B.6); ``ratio_q`` = the same over
    ``m Q(b)`` = ``E[k_{i,0}]`` (removes the Mills factor); ``growth`` = ``max_{i,t} k_{i,t} / k_{i,0}`` (what
    training adds; inputs with ``k_{i,0} = 0`` are divided by 1); ``R`` = ``max_t ||W(t) - W(0)||_{inf,2}``;
    ``c_R`` = ``R / e^{-b^2/2}``; ``bR_minus_lnb`` = ``b R - ln b``; ``envelope`` = the measured envelope's maximum
    over ``m e^{-b^2/2}``; ``union_grows`` = whether ``|cup_i S_{i,fire}(t)|`` ever exceeds its value at ``t = 0``.
    With ``lam`` (and ``eta``): ``D`` of Claim A.1 and whether the hypothesis of Claim A.1 held at every ``t``.
    """
    m = L.m
    s = m * math.exp(-b * b / 2)
    mq = m * float(ndtr(-b))
    k = L.k
    R = float(L.movement.max())
    out = dict(
        m=int(m), b=float(b), T=int(L.T),
        ratio=float(k.max() / s), ratio_q=float(k.max() / mq),
        ratio0=float(k[0].max() / s), mean_ratio_q=float(k.mean() / mq),
        growth=float(np.max(k / np.maximum(k[0], 1))),
        R=R, c_R=R / math.exp(-b * b / 2), bR_minus_lnb=b * R - math.log(b) if b > 0 else float("nan"),
        envelope=float(L.envelope.max() / s),
        union0=int(L.union[0]), union_max=int(L.union.max()),
        union_grows=bool(L.union.max() > L.union[0]),
        loss_ratio=float(L.loss[-1] / L.loss[0]) if L.loss[0] > 0 else 0.0,
    )
    if lam is not None and lam > 0:
        out["lam"] = float(lam)
        out["D"] = float(L.claim_a1_bound(lam))
        if eta is not None:
            err2 = 2 * L.loss
            rate = (1 - eta * lam / 2) ** np.arange(L.T + 1)
            out["eta"] = float(eta)
            out["hypothesis_a1"] = bool(np.all(err2 <= rate * err2[0] * (1 + 1e-12)))
    return out


def outcome(L, tol: float = 1e-6) -> str:
    """``"converged"`` if ``L(T) <= tol L(0)``, ``"diverged"`` if ``L(T) > L(0)``, else ``"stalled"``."""
    lo = L.loss
    return "converged" if lo[-1] <= tol * lo[0] else "diverged" if lo[-1] > lo[0] else "stalled"


def loglog_slope(x, y) -> tuple[float, float]:
    """Least-squares slope of ``ln y`` on ``ln x`` and its standard error ``(slope, se)`` (``se = nan`` for 2 points)."""
    x = _arr(x, "x")
    y = _arr(y, "y")
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError("x, y: expected two 1-d arrays of the same length >= 2")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x, y: expected positive values")
    lx, ly = np.log(x), np.log(y)
    A = np.vstack([lx, np.ones_like(lx)]).T
    coef, *_ = np.linalg.lstsq(A, ly, rcond=None)
    if x.size <= 2:
        return float(coef[0]), float("nan")
    resid = ly - A @ coef
    s2 = float(resid @ resid) / (x.size - 2)
    se = math.sqrt(s2 / float(np.sum((lx - lx.mean()) ** 2)))
    return float(coef[0]), se


# ------------------------------------------------------------------------------------------------- the sweep
def lemma_b6_sweep(log2ms=range(8, 21, 2), seeds=range(8), n: int = 16, d: int = 32, T: int = 60, data_seed: int = 0):
    """Train at widths ``2^8 .. 2^20`` (synthetic data, ``eta = 1/lambda_max``) with several seeds; return records.

    One record per (width, seed): :func:`run_summary` plus the per-iteration curves ``kmax_t`` (``max_i k_{i,t}``)
    and ``R_t`` (movement). The data set (``n`` points on the sphere of ``R^d``, random labels) is the same for
    every width and seed; the seed is the initialization's.
    """
    from firesets.data import synthetic

    X, y = synthetic(n, d, label_scale=1.0, rng=data_seed)
    recs = []
    for j in log2ms:  # one run at a time: a ledger at m = 2^20 holds W(0) and sorted pre-activations
        for s in seeds:
            ntk, ledgers = train_runs({"synthetic": (X, y)}, [2 ** int(j)], [int(s)], {"synthetic": T})
            ((name, m, _), L), = ledgers.items()
            info = ntk[name, m]
            r = run_summary(L, info["b"], info["lam"], info["eta"])
            r.update(seed=int(s), kmax_t=L.k.max(axis=1).tolist(), R_t=L.movement.tolist(),
                     union_t=L.union.tolist())
            recs.append(r)
            del ledgers, L
    return recs


def sweep_table(recs, key: str) -> dict:
    """``{m: array over seeds}`` of one scalar ``key`` of the sweep records, widths in increasing order."""
    out: dict = {}
    for r in recs:
        out.setdefault(int(r["m"]), []).append(float(r[key]))
    return {m: np.array(v) for m, v in sorted(out.items())}


SWEEP_FILE = "lemma_b6_sweep.json"


def load_sweep(path=None) -> dict:
    """Read the sweep JSON written by :func:`main`: ``path``, else ``data/`` (the chapter's directory), else
    ``book/data/`` under the current directory, else ``book/data/`` of the source tree."""
    import json
    from pathlib import Path

    cands = [Path(path)] if path is not None else [
        Path("data") / SWEEP_FILE, Path("book") / "data" / SWEEP_FILE,
        Path(__file__).resolve().parents[3] / "book" / "data" / SWEEP_FILE]
    for c in cands:
        if c.is_file():
            with open(c) as fh:
                return json.load(fh)
    raise FileNotFoundError(f"path: no sweep file among {[str(c) for c in cands]}; write it with "
                            "python -m firesets.analysis.fire_sets_in_training --out book/data/" + SWEEP_FILE)


def _machine() -> dict:
    import os
    import platform

    import numpy

    info = dict(python=platform.python_version(), numpy=numpy.__version__, machine=platform.machine(),
                system=platform.system(), cpu_count=os.cpu_count())
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def main(argv=None) -> int:
    """``python -m firesets.analysis.fire_sets_in_training --out book/data/lemma_b6_sweep.json``."""
    import argparse
    import json
    import time

    from threadpoolctl import threadpool_limits

    p = argparse.ArgumentParser(description="Lemma B.6 sweep: fire counts during GD at m = 2^8..2^20")
    p.add_argument("--out", required=True, help="JSON file to write")
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--max-log2m", type=int, default=20)
    p.add_argument("--steps", type=int, default=60)
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    with threadpool_limits(1):
        recs = lemma_b6_sweep(range(8, a.max_log2m + 1, 2), range(a.seeds), T=a.steps)
    sec = time.perf_counter() - t0
    doc = dict(
        command=("python -m firesets.analysis.fire_sets_in_training --out " + a.out
                 + f" --seeds {a.seeds} --max-log2m {a.max_log2m} --steps {a.steps}"),
        setting=dict(data="synthetic(16, 32, rng=0)", b="sqrt(0.4 ln m)", eta="1/lambda_max(H)", T=a.steps,
                     seeds=a.seeds, threads=1),
        machine=_machine(), seconds=round(sec, 1), date=time.strftime("%Y-%m-%d %H:%M:%S %Z"), runs=recs,
    )
    with open(a.out, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"wrote {len(recs)} runs to {a.out} in {sec:.1f} s")
    return 0


# ---------------------------------------------------------------------------------------------- verdicts
def verdict_lemma_b6(ratio: dict, growth: dict, ms, C_from: int):
    """Lemma B.6 with one constant: ``C`` = the largest ``max_{i,t} k_{i,t}/(m e^{-b^2/2})`` at width ``C_from``.

    ``ratio`` and ``growth`` map run keys ``(name, m, seed)`` to the run's constant and growth factor. Returns
    ``(holds, C, lines)``.
    """
    ms = [int(m) for m in ms]
    C = max(v for (name, m, s), v in ratio.items() if m == C_from)
    big = [key for key in ratio if key[1] > C_from]
    holds = all(ratio[key] <= C for key in big)
    Cm = {m: max(v for key, v in ratio.items() if key[1] == m) for m in ms}
    lines = [
        f"Lemma B.6, k_it = O(m e^(-b^2/2)): {'HOLDS' if holds else 'FAILS'}",
        f"  with C = {C:.3f} calibrated at m = {C_from}, k_it <= C m e^(-b^2/2) in all {len(big)} runs "
        f"at m = {min(k[1] for k in big)} .. {max(k[1] for k in big)}",
        "  largest constant per width: " + ", ".join(f"m = {m}: {Cm[m]:.3f}" for m in ms),
        f"  training raises k_it above k_i0 by at most {max(growth.values()):.2f}x",
    ]
    return holds, C, lines


def verdict_sweep(recs):
    """The scale-based reading of Lemma B.6 on the sweep: trends of the constant, Mills-free ratio and movement.

    Returns ``(facts, lines)``: fitted slopes (with standard errors, over the per-width seed means) of
    ``max k/(m e^{-b^2/2})``, of ``max k/(m Q(b))``, of the growth ``max k_t/k_0``, and of ``c_R = R/e^{-b^2/2}``;
    the Mills-only prediction ``Q(b) e^{b^2/2}`` at the two ends; ``b R - ln b`` at the two ends.
    """
    ms = np.array(sorted({int(r["m"]) for r in recs}), dtype=float)
    mean = {k: np.array([sweep_table(recs, k)[int(m)].mean() for m in ms])
            for k in ("ratio", "ratio_q", "growth", "c_R", "bR_minus_lnb", "envelope")}
    bs = np.sqrt(0.4 * np.log(ms))
    mills = np.exp(norm.logsf(bs) + bs * bs / 2)
    slopes = {k: loglog_slope(ms, mean[k]) for k in ("ratio", "ratio_q", "growth", "c_R")}
    slopes["mills"] = loglog_slope(ms, mills)
    seeds = len(sweep_table(recs, "ratio")[int(ms[0])])
    facts = dict(ms=ms, mean=mean, slopes=slopes, mills=mills, seeds=seeds)
    lo, hi = f"2^{int(math.log2(ms[0]))}", f"2^{int(math.log2(ms[-1]))}"
    sl = lambda k: f"{slopes[k][0]:+.3f} +- {slopes[k][1]:.3f}"  # noqa: E731
    lines = [
        f"Sweep m = {lo} .. {hi}, {seeds} seeds per width (means over seeds; slopes of log-log fits):",
        f"  max k_it / (m e^(-b^2/2)): {mean['ratio'][0]:.3f} -> {mean['ratio'][-1]:.3f}, slope {sl('ratio')}",
        f"  Mills factor alone Q(b) e^(b^2/2): {mills[0]:.3f} -> {mills[-1]:.3f}, slope {sl('mills')}",
        f"  max k_it / (m Q(b)) (Mills removed): {mean['ratio_q'][0]:.3f} -> {mean['ratio_q'][-1]:.3f}, "
        f"slope {sl('ratio_q')}",
        f"  training's growth max_t k_it / k_i0: {mean['growth'][0]:.3f} -> {mean['growth'][-1]:.3f}, "
        f"slope {sl('growth')}",
        f"  movement c_R = R / e^(-b^2/2): {mean['c_R'][0]:.2f} -> {mean['c_R'][-1]:.2f}, slope {sl('c_R')}",
        f"  b R - ln b: {mean['bR_minus_lnb'][0]:+.2f} -> {mean['bR_minus_lnb'][-1]:+.2f} "
        "(the exact envelope stays O(m e^(-b^2/2)) iff this stays bounded above)",
        f"  measured envelope / (m e^(-b^2/2)): {mean['envelope'][0]:.2f} -> {mean['envelope'][-1]:.2f}",
    ]
    return facts, lines


def verdict_claim_a1(summaries: dict):
    """Claim A.1 as an implication: where its hypothesis held at every ``t``, is the movement at most ``D``?"""
    hyp = {k: s["hypothesis_a1"] for k, s in summaries.items()}
    DR = {k: s["D"] / s["R"] for k, s in summaries.items()}
    ok = all(DR[k] >= 1 for k in hyp if hyp[k])
    lines = [
        f"Claim A.1, hypothesis => movement <= D: {'HOLDS' if ok else 'FAILS'}",
        f"  hypothesis met in {sum(hyp.values())} of {len(hyp)} runs; D / movement >= {min(DR.values()):.1f}",
    ]
    return ok, lines


def verdict_convergence(summaries: dict, names, T: dict):
    """Convergence at the predicted rate ``(1 - eta lambda/2)^t`` at every ``t``, per data set."""
    lines, allok = [], True
    for name in names:
        keys = [k for k in summaries if k[0] == name]
        rate = all(summaries[k]["hypothesis_a1"] for k in keys)
        red = max(summaries[k]["loss_ratio"] for k in keys)
        allok &= rate
        lines.append(f"Convergence, {name}: L(t) <= (1 - eta lambda/2)^t L(0) at every t in all {len(keys)} runs: "
                     f"{rate}")
        lines.append(f"  L(T)/L(0) <= {red:.1e} after T = {T[name]} steps")
    return allok, lines


def union_monotone(union) -> bool:
    """Whether ``|cup_i S_{i,fire}(t)| <= |cup_i S_{i,fire}(0)|`` at every ``t`` (used in Theorem E.1's proof)."""
    u = np.asarray(union)
    return bool(np.all(u <= u[0]))


def verdict_union(summaries: dict):
    """The step ``|cup_i S_{i,fire}(t)| <= |cup_i S_{i,fire}(0)|`` of Theorem E.1's proof, over all runs."""
    grows = [k for k, s in summaries.items() if s["union_grows"]]
    worst = max(summaries.values(), key=lambda s: s["union_max"] / max(s["union0"], 1))
    lines = [
        f"Theorem E.1's step |union_i S_i,fire(t)| <= |union_i S_i,fire(0)|: "
        f"{'FAILS' if grows else 'HOLDS'} in {len(grows) if grows else len(summaries)} of {len(summaries)} runs",
        f"  largest max_t |union(t)| / |union(0)| = {worst['union_max'] / max(worst['union0'], 1):.3f} "
        f"(m = {worst['m']})",
    ]
    return not grows, lines


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


# ------------------------------------------------------------------------------------ chapter experiments
def ntk_table(data: dict, ms, samples: int = 200_000, rng=1):
    """The NTK Gram matrix of every data set and width: closed form against Monte Carlo, ``lambda``, ``eta``.

    Returns ``(ntk, lines)``; ``ntk[name, m]`` is a dict ``b, lam, lmax, eta, z`` with ``z`` the largest deviation
    ``|H - H_mc|`` in Monte Carlo standard errors (from the exact probability, plus one count
    ``|<x_i, x_j>| / N`` so that pairs that almost never fire together are not divided by zero).
    """
    from firesets import paper_threshold
    from firesets.ntk import learning_rate, ntk_eigs, ntk_gram, ntk_gram_mc, orthant_prob

    ntk, lines = {}, []
    for name, (X, _) in data.items():
        for m in ms:
            b = paper_threshold(int(m))
            H = ntk_gram(X, b)
            lam, lmax = ntk_eigs(H)
            Hmc, _ = ntk_gram_mc(X, b, samples=samples, rng=rng)
            G = np.abs(X @ X.T)
            p = orthant_prob(np.clip(X @ X.T, -1, 1), b)
            z = float(np.max(np.abs(H - Hmc) / (G * np.sqrt(p * (1 - p) / samples) + G / samples)))
            ntk[name, int(m)] = dict(b=b, lam=lam, lmax=lmax, eta=learning_rate(H), z=z)
            lines.append(f"{name:9s} m = {int(m):6d}  b = {b:.3f}  lambda = {lam:.3e}  "
                         f"lambda_max = {lmax:.3e}  ratio = {lmax / lam:5.1f}")
            lines.append(f"{'':9s}   eta = 1/lambda_max = {ntk[name, int(m)]['eta']:.2f}  "
                         f"|H - H_mc| <= {z:.1f} se")
    return ntk, lines


def failure_runs(X, y, m: int = 2**12, safeties=(1.0, 2.5, 6.0, 10.0), small_ms=(2**4, 2**6), T: int = 60):
    """Where convergence breaks: step sizes ``safety / lambda_max`` at width ``m``, and tiny widths.

    Returns ``(runs, lines)``; ``runs`` maps a label to the ledger. Inputs with no firing neuron at ``T`` output
    0 and get no gradient, so while they stay dead ``L >= sum_dead y_i^2 / 2`` (printed as the floor).
    """
    from firesets import TwoLayerReLU, paper_threshold
    from firesets.ntk import learning_rate, ntk_gram
    from firesets.training import train

    runs = {}
    H = ntk_gram(X, paper_threshold(m))
    for s in safeties:
        runs[f"m = {m}, eta = {s} / lambda_max"] = train(TwoLayerReLU.init(m, X.shape[1], rng=1), X, y,
                                                       learning_rate(H, s), T)[1]
    for ms_ in small_ms:
        Hs = ntk_gram(X, paper_threshold(ms_))
        runs[f"m = {ms_}, eta = 1 / lambda_max"] = train(TwoLayerReLU.init(ms_, X.shape[1], rng=1), X, y,
                                                       learning_rate(Hs), T)[1]
    lines = []
    for lab, L in runs.items():
        dead = L.k[-1] == 0
        lT = f"= {L.loss[-1]:.3g}" if L.loss[-1] > 1e-12 else "< 1e-12"
        lines.append(f"{lab:32s}: {outcome(L):9s} L(0) = {L.loss[0]:.3g}, L({L.T}) {lT}")
        tail = f", so L({L.T}) >= {0.5 * float(y[dead] @ y[dead]):.3g}" if dead.any() else ""
        lines.append(f"    sum_i k_it: {int(L.k[0].sum())} at t = 0, {int(L.k[-1].sum())} at t = {L.T}; "
                     f"dead inputs: {int(dead.sum())}{tail}")
    return runs, lines


def hypotheses_runs(X, y, ms=(2**10, 2**14), T: int = 30, scale_x: float = 2.0):
    """Runs for the hypotheses Theorem 1.1 leaves unstated (unit-norm data, lambda > 0).

    * data off the sphere: the inputs scaled by ``scale_x``, trained at the step size of the unit data; the
      ratio ``max_{i,t} k_{i,t} / (m e^{-b^2/2})`` for both, per width (at ``t = 0`` its mean is
      ``Q(b / ||x||) e^{b^2/2}``, which grows with ``m`` when ``||x|| > 1``);
    * ``lambda = 0``: the first input repeated with the opposite label; identical inputs have identical outputs,
      so ``L >= (y_1 - y_2)^2 / 4`` at every ``t`` (1 for labels +-1), and the kernel is singular.

    Returns ``(facts, lines)``.
    """
    from firesets import TwoLayerReLU, paper_threshold
    from firesets.ntk import learning_rate, ntk_eigs, ntk_gram
    from firesets.training import train

    facts, lines = {"ratio": {}}, []
    for m in ms:
        b = paper_threshold(int(m))
        eta = learning_rate(ntk_gram(X, b))
        s = int(m) * math.exp(-b * b / 2)
        r = []
        for sx in (1.0, scale_x):
            L = train(TwoLayerReLU.init(int(m), X.shape[1], rng=1), sx * X, y, eta, T)[1]
            r.append(float(L.k.max() / s))
        facts["ratio"][int(m)] = r
    lines.append(f"data off the sphere (||x|| = {scale_x:g}): max_(i,t) k_it / (m e^(-b^2/2))")
    lines += [f"  m = 2^{int(math.log2(m))}: {r[1]:.2f} (unit data: {r[0]:.2f})" for m, r in facts["ratio"].items()]
    X2 = np.vstack([X, X[:1]])
    y2 = np.concatenate([y, -y[:1]])
    m = int(ms[0])
    b = paper_threshold(m)
    H2 = ntk_gram(X2, b)
    lam2, _ = ntk_eigs(H2)
    L2 = train(TwoLayerReLU.init(m, X.shape[1], rng=1), X2, y2, learning_rate(H2), T)[1]
    floor = (y2[0] - y2[-1]) ** 2 / 4
    facts.update(lam_dup=lam2, loss_dup=float(L2.loss.min()), floor=float(floor))
    lines.append(f"lambda = 0 (x_1 repeated with label -y_1), m = 2^{int(math.log2(m))}: "
                 f"lambda = {lam2:.1e}, min_t L(t) = {L2.loss.min():.3f} >= {floor:.3f}")
    return facts, lines


def union_table(runs: dict, Xs: dict, b: float, n: int):
    """The union of fire sets against ``sum_i k_{i,t}`` per data set: lines for the chapter."""
    lines = []
    for lab, L in runs.items():
        from firesets.data import mean_abs_correlation

        m = L.m
        lines.append(f"{lab:18s}: mean |<x_i,x_j>| = {mean_abs_correlation(Xs[lab]):.3f}; |union|/m "
                     f"{L.union[0] / m:.4f} at t = 0, {L.union[-1] / m:.4f} at T")
        lines.append(f"{'':20s}sum_i k_it / |union|: {L.k[0].sum() / L.union[0]:.2f} at t = 0, "
                     f"{L.k[-1].sum() / L.union[-1]:.2f} at T; union never above t = 0: "
                     f"{union_monotone(L.union)}")
    q = float(ndtr(-b))
    lines.append(f"independent inputs would give |union|/m = 1 - (1 - Q(b))^n = {1 - (1 - q) ** n:.4f}")
    return lines


def radii_table(recs):
    """Per width of the sweep: the measured movement ``R``, Claim A.1's ``D``, ``e^{-b^2/2}`` and ``R_1(b)`` (the
    radius at which the mean envelope ``m Q(b - R)`` reaches ``m e^{-b^2/2}``), with the mean envelope
    ``Q(b - R)`` at ``R`` and at ``D`` as fractions of ``m``."""
    ms = sorted({int(r["m"]) for r in recs})
    Rt, Dt = sweep_table(recs, "R"), sweep_table(recs, "D")
    out = []
    for m in ms:
        b = math.sqrt(0.4 * math.log(m))
        R, D = float(Rt[m].mean()), float(Dt[m].mean())
        out.append(dict(m=m, b=b, R=R, D=D, e=math.exp(-b * b / 2), R1=float(envelope_radius(b, 1.0)),
                        lnb_b=math.log(b) / b, env_R=float(envelope_fraction(b, R)),
                        env_D=float(envelope_fraction(b, D)), env_R1=math.exp(-b * b / 2)))
    return out


def verdict_proof_route(recs):
    """The proof's route through the envelope on the sweep: is the movement inside the radius that keeps the
    exact envelope ``O(m e^{-b^2/2})``, and is Claim A.1's ``D`` (the only ``R`` the paper supplies)?

    Returns ``(facts, lines)``.
    """
    rows = radii_table(recs)
    ms = np.array([r["m"] for r in rows], dtype=float)
    R = np.array([r["R"] for r in rows])
    D = np.array([r["D"] for r in rows])
    R1 = np.array([r["R1"] for r in rows])
    e = np.array([r["e"] for r in rows])
    sR, seR = loglog_slope(ms, R / R1)
    sD, seD = loglog_slope(ms, D / R1)
    inside = R <= R1
    first = next((int(ms[j]) for j in range(len(ms)) if np.all(inside[j:])), None)
    # width at which the fitted power law of D / R_1 would reach 1 (an extrapolation, printed as one)
    m_star = float(ms[-1] * (D[-1] / R1[-1]) ** (-1.0 / sD)) if sD < 0 and D[-1] > R1[-1] else float("nan")
    facts = dict(rows=rows, slope_R=(sR, seR), slope_D=(sD, seD), first_inside=first,
                 R_inside=bool(np.all(inside)), D_inside=bool(np.any(D <= R1)),
                 R_over_e=R / e, D_over_e=D / e, m_star=m_star)
    lines = [
        "Lemma B.6's proof route (envelope m Q(b - R)), on the sweep:",
        f"  measured R / R_1(b): {R[0] / R1[0]:.2f} -> {R[-1] / R1[-1]:.2f}, slope {sR:+.3f} +- {seR:.3f}",
        f"  Claim A.1's D / R_1(b): {D[0] / R1[0]:.1f} -> {D[-1] / R1[-1]:.1f}, slope {sD:+.3f} +- {seD:.3f}",
        f"  R / e^(-b^2/2): {R[0] / e[0]:.1f} -> {R[-1] / e[-1]:.1f};  D / e^(-b^2/2): {D[0] / e[0]:.0f} -> "
        f"{D[-1] / e[-1]:.0f}",
        f"  mean envelope / m at R = D: {rows[0]['env_D']:.3f} -> {rows[-1]['env_D']:.3f} "
        f"(at R = measured: {rows[0]['env_R']:.3f} -> {rows[-1]['env_R']:.4f})",
        "  measured R <= R_1(b) from m = " + (f"2^{int(math.log2(first))} on" if first else "(never)"),
        (f"  D = R_1(b) only near m = 2^{math.log2(m_star):.0f} (fitted power law, extrapolated)"
         if np.isfinite(m_star) else "  D <= R_1(b) within the sweep" if facts["D_inside"] else
         "  D / R_1(b) does not fall"),
    ]
    return facts, lines


def glue_texts(holds_b6, C, ms, sweep_facts, route_facts, a1_ok, a1_lines_facts, union_ok, n_union):
    """One-sentence verdicts for the reproduction report: ``v-lemma-b-6``, ``v-lemma-b-6-proof``, ``v-claim-a-1``,
    ``v-theorem-e-1-union``."""
    sl = sweep_facts["slopes"]
    ms_s = sweep_facts["ms"]
    lo, hi = f"2^{int(math.log2(ms_s[0]))}", f"2^{int(math.log2(ms_s[-1]))}"
    g = {}
    g["v-lemma-b-6"] = (
        f"{'Holds' if holds_b6 else 'Fails'} in our runs: with C = {C:.3f} calibrated at m = {ms[0]}, "
        f"k_it <= C m e^(-b^2/2) at every larger width, seed, input and iteration; over m = {lo}..{hi} "
        f"({sweep_facts['seeds']} seeds) max k_it/(m e^(-b^2/2)) falls with slope {sl['ratio'][0]:+.3f} "
        f"(the Mills factor alone: {sl['mills'][0]:+.3f}), max k_it/(m Q(b)) with slope {sl['ratio_q'][0]:+.3f}, "
        f"and what training adds, max_t k_it/k_i0 (seed mean), is {sweep_facts['mean']['growth'][0]:.2f} at {lo} "
        f"and {sweep_facts['mean']['growth'][-1]:.2f} at {hi}.")
    sR = route_facts["slope_R"][0]
    sD = route_facts["slope_D"][0]
    first = route_facts["first_inside"]
    g["v-lemma-b-6-proof"] = (
        "The proof's counting route needs R <= (ln b + O(1))/b, not R = O(e^(-b^2/2)); the measured movement "
        + (f"is inside that radius from m = 2^{int(math.log2(first))} on" if first else "is never inside it")
        + f" (R/R_1(b) slope {sR:+.2f} over m = {lo}..{hi}), but Claim A.1's D, the only radius the paper "
        f"supplies, is not: D/R_1(b) has slope {sD:+.2f}, and at m = {hi} the envelope at R = D covers a "
        f"fraction {route_facts['rows'][-1]['env_D']:.2f} of the m neurons.")
    g["v-claim-a-1"] = (
        f"{'Holds' if a1_ok else 'Fails'} as an implication: in every run where the loss followed "
        f"(1 - eta lambda/2)^t, the movement max_r ||w_r(t) - w_r(0)|| stayed below D (D/movement >= "
        f"{a1_lines_facts:.1f}).")
    g["v-theorem-e-1-union"] = (
        f"{'Holds' if union_ok else 'Fails'}: |union_i S_i,fire(t)| <= |union_i S_i,fire(0)| in all "
        f"{n_union} runs, and it follows in one line (a neuron that fires for no input gets zero gradient, so it "
        "never moves and never starts firing); the paper states it without this argument.")
    return g


def verdict_movement_constant(summaries: dict, names, ms, seeds):
    """The movement in units of ``e^{-b^2/2}``: ``c = max_t R(t) / e^{-b^2/2}`` per run (the Lemma A.5 route needs
    ``c`` bounded), its trend over the widths (seed means, log-log slope per data set) and the envelope it gives.
    Returns ``(facts, lines)``."""
    ms = [int(m) for m in ms]
    c = {k: s["c_R"] for k, s in summaries.items()}
    cm = {(nm, m): float(np.mean([c[nm, m, s] for s in seeds])) for nm in names for m in ms}
    no_growth = all(cm[nm, ms[-1]] <= cm[nm, ms[0]] for nm in names)
    slope = {nm: loglog_slope(np.array(ms, float), np.array([cm[nm, m] for m in ms]))[0] for nm in names}
    env = max(s["envelope"] for s in summaries.values())
    kmax = max(s["ratio"] for s in summaries.values())
    facts = dict(no_growth=no_growth, slope=slope, env=env, le1=all(v <= 1 for v in c.values()),
                 cmin=min(c.values()), cmax=max(c.values()))
    lines = [
        f"  Lemma A.5 route, R = c e^(-b^2/2): c (mean over seeds) does not grow with m: {no_growth}",
        "    " + ", ".join(f"c ~ m^{slope[nm]:.2f} on {nm}" for nm in names),
        f"    c <= 1: {facts['le1']}, c ranges over {facts['cmin']:.1f} .. {facts['cmax']:.1f}",
        f"  the counting envelope reaches {env:.2f} x m e^(-b^2/2),",
        f"    {env / kmax:.0f}x the largest measured k_it/(m e^(-b^2/2)) = {kmax:.3f}",
    ]
    return facts, lines
