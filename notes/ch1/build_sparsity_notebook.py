"""Author book/sparsity_at_init.ipynb (Chapter 1). Run: .venv/bin/python notes/ch1/build_sparsity_notebook.py,
then `make nb NB=book/sparsity_at_init.ipynb` (or nbconvert --execute --inplace) to execute it."""
import nbformat as nbf

cells = []


def md(src):
    cells.append(nbf.v4.new_markdown_cell(src.strip("\n")))


def code(src, tags=(), figure=None):
    meta = {}
    if tags:
        meta["tags"] = list(tags)
    if figure:
        meta["mystnb"] = {"figure": {"name": figure[0], "caption": figure[1]}}
    cells.append(nbf.v4.new_code_cell(src.strip("\n"), metadata=meta))


md(r"""
(ch-sparsity)=
# Sparsity after initialization

The training algorithms of {cite}`alman2023bypass` are fast only if few neurons fire. This chapter measures
the statement that makes this true at initialization, Lemma 2.5 (quoted from Lemma 3.8 of {cite}`syz21`), and
the choice of threshold in Remark 2.6.

:::{admonition} Lemma 2.5 (Sparsity after initialization; informal version of Lemma B.3) {cite}`alman2023bypass`
:class: note
Let $b > 0$ be a tunable parameter. If we setup the neural network as in Definition 2.1, then after the randomized
initialization, with probability at least $1 - \exp(-\Omega(m \cdot \exp(-b^2/2)))$, it holds that for any input
data $x$, the number of activated neurons is at most $O(m \cdot \exp(-b^2/2))$, where $m$ is the total number of
neurons.
:::

:::{admonition} Remark 2.6 {cite}`alman2023bypass`
:class: note
This suggests that if we take $b = \sqrt{0.4 \log m}$, we achieve a sublinear number, $O(m^{4/5})$, of activated
neurons.
:::

**Symbols.** The network is $f(W, x, a) = m^{-1/2} \sum_r a_r \sigma_b(\langle w_r, x\rangle)$ with
$\sigma_b(z) = \max(z - b, 0)$ and $w_r \sim \mathcal N(0, I_d)$ (Definition 2.1). The fire set of an input $x$ is
$\mathcal S_{\rm fire}(x) = \{r \in [m] : \langle w_r, x\rangle > b\}$ (Definition 2.3); for data $x_1, \dots, x_n$,
$k_i = |\mathcal S_{i,\rm fire}|$ (Definition 2.4). We write $B = m e^{-b^2/2}$ for the bound and
$Q(b) = \Pr[\mathcal N(0,1) > b]$. The data are unit vectors, as in {cite}`syz21`.
""")

code("%matplotlib inline")

code(r"""
import math
import numpy as np
from threadpoolctl import threadpool_limits
import matplotlib.pyplot as plt
from scipy.stats import binom

from firesets import TwoLayerReLU, paper_threshold
from firesets import sparsity as sp
from firesets import worst_direction as wd
from firesets.plots import use_theme
from firesets.plots import sparsity as figs

threadpool_limits(1)  # small matrices: one BLAS thread is fastest and reproducible on a shared machine
use_theme()
ms = 2 ** np.arange(8, 25)  # m = 2^8 ... 2^24
bs = np.array([paper_threshold(int(m)) for m in ms])  # Remark 2.6: b = sqrt(0.4 ln m)
B = np.array([sp.lemma25_bound(int(m), b) for m, b in zip(ms, bs)])  # m exp(-b^2/2) = m^{4/5}
SEEDS = 20_000  # initializations per width
""", tags=["hide-input"])

md(r"""
## The setting: the fire count is exactly binomial

Fix one unit input $x$. The pre-activations $\langle w_r, x\rangle$ are i.i.d. $\mathcal N(0, \|x\|^2) = \mathcal N(0,1)$
over the neurons, so the indicators $\mathbf 1[\langle w_r, x\rangle > b]$ are i.i.d. Bernoulli($p$) with
$p = Q(b) = \tfrac12\operatorname{erfc}(b/\sqrt2)$, and

$$ k = |\mathcal S_{\rm fire}(x)| \sim \mathrm{Binomial}(m, p), \qquad \mathbb E[k] = m\,Q(b). $$ (eq-sparsity-binomial)

For $b \ge 0$, $Q(b) \le \tfrac12 e^{-b^2/2}$, and $Q(b) \sim e^{-b^2/2} / (b\sqrt{2\pi})$ as $b \to \infty$ (the Mills
ratio): the expectation is below the lemma's $B = m e^{-b^2/2}$ by a factor that grows like $b\sqrt{2\pi}$. So
`sp.sample_fire_counts` draws $k$ with one `rng.binomial` call, whatever $m$. For $n$ inputs,
`sp.sample_fire_counts_data` draws the $(m, n)$ Gaussian pre-activations with covariance $XX^\top$ through a
QR factor of $X^\top$, in blocks of neurons, without ever building the $m \times d$ matrix $W$.

First, a sanity check with a real network: the fire counts of 64 random unit inputs under one
`TwoLayerReLU.init` at $m = 2^{14}$, $d = 32$, against the binomial law.
""")

code(r"""
m, d, n = 2**14, 32, 64
net = TwoLayerReLU.init(m, d, rng=0)  # b = paper_threshold(m)
X = np.random.default_rng(1).standard_normal((n, d))
X /= np.linalg.norm(X, axis=1, keepdims=True)
k_net = sp.fire_counts(net.preactivations(X), net.b)  # Definition 2.4, t = 0
p = sp.fire_probability(net.b)
print(f"m = 2^14, b = {net.b:.4f}: mean of k_i over {n} inputs = {k_net.mean():.1f}, "
      f"exact E[k] = m Q(b) = {m * p:.1f}, sd = {math.sqrt(m * p * (1 - p)):.1f}")
print(f"z-score of the mean: {(k_net.mean() - m * p) / math.sqrt(m * p * (1 - p) / n):+.2f}; "
      f"max_i k_i = {k_net.max()}, bound B = m exp(-b^2/2) = {sp.lemma25_bound(m, net.b):.1f}")
""")

md(r"""
## Experiment 1: fire counts from $m = 2^8$ to $2^{24}$

For each width, {math}`20\,000` initializations at the paper's $b = \sqrt{0.4 \ln m}$ (exact binomial draws), and,
for $m \le 2^{18}$, the counts $k_i$ of 16 random unit inputs ($d = 32$) under 4 Gaussian $W$ (the data sampler).
""")

code(r"""
rng = np.random.default_rng(2024)
K = np.stack([sp.sample_fire_counts(int(m), b, size=SEEDS, rng=rng) for m, b in zip(ms, bs)])  # (widths, seeds)
qs = {0.001: None, 0.5: None, 0.999: None}
quant = {q: np.quantile(K, q, axis=1) for q in qs}
Ek = np.array([sp.expected_fire_count(int(m), b) for m, b in zip(ms, bs)])

Xd = np.random.default_rng(3).standard_normal((16, 32))
Xd /= np.linalg.norm(Xd, axis=1, keepdims=True)
data_ms = ms[ms <= 2**18][::2]
data_k = [sp.sample_fire_counts_data(Xd, int(m), paper_threshold(int(m)), seeds=4, rng=5) for m in data_ms]

print(f"{'m':>10} {'E[k]':>10} {'median k':>9} {'99.9% k':>9} {'max k':>9} {'B=m^0.8':>10}")
for j in range(0, len(ms), 4):
    print(f"{'2^%d' % np.log2(ms[j]):>10} {Ek[j]:10.1f} {quant[0.5][j]:9.0f} {quant[0.999][j]:9.0f} "
          f"{K[j].max():9d} {B[j]:10.1f}")
z = [(kk.mean() - sp.expected_fire_count(int(m), paper_threshold(int(m))))
     / math.sqrt(sp.expected_fire_count(int(m), paper_threshold(int(m))) / kk.size) for m, kk in zip(data_ms, data_k)]
print("data sampler (16 inputs x 4 W per width): largest |z| of the mean against m Q(b):", f"{max(map(abs, z)):.2f}")
""")

code(r"""
ax = figs.counts_vs_m(ms, quant, Ek, B,
                      data_ms=np.repeat(data_ms, 64), data_k=np.concatenate([kk.ravel() for kk in data_k]))
ax.set_title("Fire counts at b = sqrt(0.4 ln m)")
plt.show()
""", figure=("fig-sparsity-counts",
             "Fire count k against width m at the paper's threshold: 0.1-99.9% quantiles over 20,000 initializations "
             "(band), the exact mean m Q(b) (dashed), the Lemma 2.5 / Remark 2.6 bound m^{4/5} (red), and the counts "
             "of random data under Gaussian W from the QR sampler (crosses)."))

md(r"""
## Experiment 2: the constant the $O(\cdot)$ hides

Lemma 2.5 says $k \le c\,B$ for some constant $c$. Three measured candidates, as ratios to $B$: the exact mean
$Q(b) e^{b^2/2}$, the sampled maximum over {math}`20\,000` seeds, and the exact constant $c_\delta$ such that
$\Pr[\max_{i \le n} k_i > c_\delta B] \le \delta$ by the union bound (computed from the binomial quantile), for
$\delta = 10^{-3}$ and $n = 1$ or $n = m$ inputs.
""")

code(r"""
ratio_mean = Ek / B
ratio_max = K.max(axis=1) / B
c_one = np.array([sp.constant_for_confidence(int(m), b, 1e-3) for m, b in zip(ms, bs)])
c_nm = np.array([sp.constant_for_confidence(int(m), b, 1e-3, n=int(m)) for m, b in zip(ms, bs)])
mills = 1 / (bs * math.sqrt(2 * math.pi))
ax = figs.constant_vs_m(ms, {
    "exact E[k] / B": ratio_mean,
    "sampled max k / B (20,000 seeds)": ratio_max,
    "c for Pr[k > cB] ≤ 1e-3 (exact)": c_one,
    "c for Pr[max of n=m inputs > cB] ≤ 1e-3": c_nm,
    "1 / (b sqrt(2π)) (Mills asymptote)": mills,
})
ax.set_title("The constant hidden in O(m exp(-b²/2)), b = sqrt(0.4 ln m)")
print(f"E[k]/B: {ratio_mean[0]:.3f} at m = 2^8 -> {ratio_mean[-1]:.3f} at m = 2^24")
print(f"c(1e-3, n=1): {c_one[0]:.3f} -> {c_one[-1]:.3f};  c(1e-3, n=m): {c_nm[0]:.3f} -> {c_nm[-1]:.3f}")
print(f"largest measured constant over the range: {max(c_one.max(), c_nm.max(), ratio_max.max()):.3f}")
""", figure=("fig-sparsity-constant",
             "Fire counts divided by the Lemma 2.5 quantity m exp(-b²/2): every measured constant stays well "
             "below 1 and decreases with m, like the Mills-ratio factor 1/(b sqrt(2 pi)) that the bound leaves out."))

md(r"""
## Experiment 3: the exponent of Remark 2.6

With $b = \sqrt{0.4 \ln m}$, $B = m^{4/5}$ exactly. The fire count itself grows more slowly: by the Mills ratio,
$\mathbb E[k] \approx m^{4/5} / (\sqrt{2\pi}\, b)$ and $b \propto \sqrt{\ln m}$, so the local exponent
$\mathrm d \ln \mathbb E[k] / \mathrm d \ln m \approx 4/5 - 1/(2 \ln m)$ approaches $4/5$ only logarithmically.
""")

code(r"""
alpha = {
    "exact E[k]": sp.fitted_exponent(ms, Ek),
    "sampled median k": sp.fitted_exponent(ms, quant[0.5]),
    "sampled 99.9% quantile": sp.fitted_exponent(ms, quant[0.999]),
    "exact c(1e-3, n=m) B": sp.fitted_exponent(ms, c_nm * B),
    "bound m exp(-b^2/2)": sp.fitted_exponent(ms, B),
}
for name, a in alpha.items():
    print(f"fitted exponent of {name:<24} over m = 2^8..2^24: {a:.4f}")
lnm = np.log(ms.astype(float))
local = np.gradient(np.log(Ek), lnm)
print(f"local exponent d ln E[k] / d ln m: {local[0]:.4f} at 2^8, {local[-1]:.4f} at 2^24 "
      f"(prediction 4/5 - 1/(2 ln m): {0.8 - 1 / (2 * lnm[0]):.4f}, {0.8 - 1 / (2 * lnm[-1]):.4f})")
from scipy.stats import norm
b45 = norm.isf(ms.astype(float) ** -0.2)  # Q(b) = m^(-1/5)
print(f"the threshold with E[k] = m^(4/5) exactly, b = Q^-1(m^(-1/5)): {b45[0]:.3f} vs paper {bs[0]:.3f} at 2^8, "
      f"{b45[-1]:.3f} vs {bs[-1]:.3f} at 2^24")
""")

code(r"""
figs.exponent_vs_m(ms, local, alpha["sampled median k"])
plt.show()
""", figure=("fig-sparsity-exponent",
             "The growth exponent of the fire count at b = sqrt(0.4 ln m): below Remark 2.6's 4/5 at every "
             "practical width, approaching it like 4/5 - 1/(2 ln m)."))

md(r"""
## Experiment 4: the probability statement

**A concentration bound we derive** (from the Bernstein inequality, Lemma A.3 of {cite}`alman2023bypass`,
{cite}`bernstein1924`). Write $k - mp = \sum_r Z_r$ with $Z_r = \mathbf 1[\langle w_r,x\rangle > b] - p$: i.i.d.,
mean 0, $|Z_r| \le 1$, $\mathbb E Z_r^2 \le p$. For $b \ge 0$, $mp \le B/2$, so for $c > 1/2$,
$t = cB - mp \ge (c - \tfrac12)B$ and

$$ \Pr[k > cB] \le \exp\Big(-\frac{t^2/2}{mp + t/3}\Big) \le \exp(-\gamma(c)\, B), \qquad
\gamma(c) = \frac{3(c - 1/2)^2}{2(c+1)}, \quad \gamma(1) = \tfrac{3}{16}. $$ (eq-sparsity-bernstein)

With $n$ inputs, $\Pr[\max_i k_i > cB] \le n\,e^{-\gamma(c)B}$. This is Lemma 2.5 with explicit constants
(`sp.bernstein_tail_bound`). Below: the exact tail `sp.exceed_probability` (`scipy.stats.binom.sf`), the sampled
frequency over {math}`20\,000` seeds, and the bound, against $c$.
""")

code(r"""
cs = np.round(np.arange(0.05, 1.01, 0.025), 3)
tail_ms = [2**8, 2**12, 2**16, 2**20]
exact_t, samp_t, bern_t = [], [], []
for m in tail_ms:
    b = paper_threshold(m)
    j = int(np.log2(m)) - 8
    exact_t.append([sp.exceed_probability(m, b, c) for c in cs])
    samp_t.append([(K[j] > c * B[j]).mean() for c in cs])
    bern_t.append([sp.bernstein_tail_bound(m, b, c) if c > 0.5 else np.nan for c in cs])
ax = figs.tail_vs_c(cs, exact_t, samp_t, bern_t, tail_ms, SEEDS)
ax.set_title("How often k exceeds c · m exp(-b²/2), b = sqrt(0.4 ln m)")
worst_dev = max(abs(s - e) / math.sqrt(max(e * (1 - e), 1 / SEEDS) / SEEDS)
                for E_, S_ in zip(exact_t, samp_t) for e, s in zip(E_, S_))
print(f"sampled vs exact tail: largest deviation {worst_dev:.2f} binomial standard errors")
print(f"bound >= exact tail at every (m, c > 1/2): "
      f"{all(bb >= e for E_, Bb in zip(exact_t, bern_t) for e, bb in zip(E_, Bb) if bb == bb)}")
""", figure=("fig-sparsity-tail",
             "Pr[k > c m exp(-b²/2)] against c for four widths: exact binomial tail (lines), sampled frequency "
             "(circles) and the derived Bernstein bound exp(-gamma(c) B) (dotted, c > 1/2). The tail collapses "
             "long before c = 1."))

md(r"""
The lemma's probability is $1 - \exp(-\Omega(B))$. The constant inside $\Omega$ can be measured: at $c = 1$,
$-\ln \Pr[k > B] / B$ (computed exactly in log space, `sp.exceed_log_probability`), against our $\gamma(1) = 3/16$.
And the union over $n$ inputs: how many inputs can the $e^{-\Omega(B)}$ failure probability pay for?
""")

code(r"""
omega = np.array([-sp.exceed_log_probability(int(m), b, 1.0) / Bm for m, b, Bm in zip(ms, bs, B)])
print(f"measured Omega constant -ln Pr[k > B] / B: {omega[0]:.3f} at 2^8, {omega[8]:.3f} at 2^16, "
      f"{omega[-1]:.3f} at 2^24 (derived bound: gamma(1) = {sp.bernstein_exponent(1.0):.4f})")
log10_n = omega * B / math.log(10) - 3  # the n with n Pr[k > B] = 1e-3
print(f"union bound: up to n = 10^{log10_n[0]:.1f} inputs at 2^8 ({'>' if log10_n[0] > math.log10(2**8) else '<'} m) "
      f"keep Pr[max_i k_i > B] <= 1e-3; 10^{log10_n[8]:.0f} at 2^16")
# union over n inputs at a constant c chosen so that the union bound n q equals 1/2
m, n = 2**12, 64
b = paper_threshold(m)
c = sp.constant_for_confidence(m, b, 0.5, n=n)
q = sp.exceed_probability(m, b, c)
Ku = sp.sample_fire_counts(m, b, size=(SEEDS, n), rng=7)  # orthonormal inputs: independent k_i
Xc = np.random.default_rng(8).standard_normal((n, 16)); Xc /= np.linalg.norm(Xc, axis=1, keepdims=True)
Kc = sp.sample_fire_counts_data(Xc, m, b, seeds=400, rng=9)  # 64 random unit inputs in d = 16: correlated k_i
print(f"m = 2^12, n = {n} inputs, c = {c:.4f}: union bound n q = {n * q:.4f}")
print(f"  orthonormal inputs: exact {sp.union_exceed_probability_independent(m, b, c, n):.4f}, "
      f"sampled {(Ku.max(axis=1) > c * sp.lemma25_bound(m, b)).mean():.4f} ({SEEDS} seeds)")
print(f"  random inputs in d = 16: sampled {(Kc.max(axis=1) > c * sp.lemma25_bound(m, b)).mean():.4f} (400 seeds)")
""")

md(r"""
## Experiment 5: what can "for any input data $x$" mean?

Three readings, measured at the paper's $b$ with the fire count divided by $B$:

1. **a fixed $x$** chosen before $W$ is drawn: the binomial law above (probability over $W$);
2. **the worst of $n$ data points**, fixed before $W$: a union bound over $n$ (Experiment 4);
3. **the worst direction on the sphere**, $\max_{\|x\| = 1} |\{r : \langle w_r, x\rangle > b\}|$ for the drawn $W$.

For the third we search (`wd.worst_direction_search` in `firesets.worst_direction`: batched projected gradient ascent on a smoothed count with
annealed temperature, from the data, from neuron directions and from random starts, then a fire-set-mean polish;
every candidate is scored by its exact count, so the result is a certified *lower* bound on the maximum: the
column "found (>=)" below, and every statement about reading 3, says "at least"). In
$d = 2$ the maximum is computed exactly by an angular sweep (`wd.worst_direction_exact_2d`) and the search is
checked against it.
""")

code(r"""
def readings(m, d, n=256, seed=0):
    net = TwoLayerReLU.init(m, d, rng=seed)
    X = np.random.default_rng(seed + 1).standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    k = sp.fire_counts(net.preactivations(X), net.b)
    _, k_sup = wd.worst_direction_search(net.W, net.b, restarts=16, steps=100, X0=X[:8], rng=seed + 2)
    k_2d = wd.worst_direction_exact_2d(net.W, net.b)[1] if d == 2 else None
    return k[0], k.max(), k_sup, k_2d, sp.lemma25_bound(m, net.b)

ds = [2, 8, 32, 128, 512, 1024]
res = {m: [readings(m, d) for d in (ds if m == 2**10 else ds[:3])] for m in (2**10, 2**14)}
print(f"{'m':>6} {'d':>5} {'fixed x':>8} {'worst of 256':>13} {'found (>=)':>12} {'exact (d=2)':>12} {'B':>8}")
for m, rows in res.items():
    for d, (k0, kn, ks, k2, Bm) in zip(ds, rows):
        print(f"{'2^%d' % np.log2(m):>6} {d:5d} {k0:8d} {kn:13d} {ks:12d} {'' if k2 is None else k2:>12} {Bm:8.1f}")
""")

code(r"""
rows = {}
for m, rr in res.items():
    tag = f"m = 2^{int(np.log2(m))}"
    rows[f"fixed x, {tag}"] = ([r[0] / r[4] for r in rr], "o--")
    rows[f"worst of 256 data, {tag}"] = ([r[1] / r[4] for r in rr], "s--")
    rows[f"worst direction found (lower bound), {tag}"] = ([r[2] / r[4] for r in rr], "^-")
figs.worst_direction_vs_d(ds, rows, title="Three readings of 'for any input data x', b = sqrt(0.4 ln m)")
plt.show()
""", figure=("fig-sparsity-worst",
             "Fire count over m exp(-b²/2) for a fixed input, the worst of 256 data points, and the worst direction "
             "our search finds on the unit sphere (a lower bound on the maximum over the sphere), against the input "
             "dimension d. The first has the same Binomial(m, Q(b)) law in every dimension; the second depends on d "
             "only through the correlation of the data; the third grows with d and exceeds m exp(-b²/2) = m^{4/5} "
             "once d is comparable to it."))

md(r"""
What the lemma does and does not promise: the proof in {cite}`syz21` is a Bernstein bound for one fixed $x$,
so it promises readings 1 and 2 (2 through a union bound, fine for $n \le e^{c B}$ inputs). It does not promise
reading 3. Over the whole sphere the fire count is a supremum over half-spaces, and the standard uniform
(VC-dimension $d + 1$) argument only gives $k \lesssim mQ(b) + O(\sqrt{mQ(b)\, d \log m} + d \log m)$: the
$O(m e^{-b^2/2})$ bound is guaranteed for every direction simultaneously only when $d \log m \lesssim m e^{-b^2/2}$
(a sufficient condition, not a proof that it fails beyond). The search gives the other side: lower bounds on the
worst direction, which exceed $m e^{-b^2/2}$ in the table above once $d$ is comparable to it. At the extreme, for
$d \ge m$ the rows of $W$ are linearly independent and the minimum-norm $x$ with $Wx = (b + \delta)\mathbf 1$ has
$\|x\|^2 = (b+\delta)^2\, \mathbf 1^\top (WW^\top)^{-1} \mathbf 1 \approx (b+\delta)^2 m / (d - m)$, so all $m$
neurons fire on a unit $x$ once $d \gtrsim m(1 + b^2)$.
""")

md(r"""
## Verdict
""")

code(r"""
def verdict(name, status, detail):
    print(f"{name:<40} {status:<22} {detail}")

holds = lambda ok: "HOLDS" if ok else "FAILS"
verdict("Lemma 2.5, fixed x (m = 2^8..2^24)", holds(c_one.max() <= 1),
        f"k <= c B with c = {c_one.max():.3f} at confidence 1 - 1e-3 (largest over m); E[k]/B = {ratio_mean[-1]:.3f} at 2^24")
verdict("Lemma 2.5, worst of n = m data", holds(c_nm.max() <= 1),
        f"c = {c_nm.max():.3f} (union bound over n = m inputs, confidence 1 - 1e-3)")
verdict("Lemma 2.5, probability 1-exp(-Om(B))", holds(omega.min() >= sp.bernstein_exponent(1.0)),
        f"measured -ln Pr[k > B]/B = {omega.min():.3f}..{omega.max():.3f}; derived gamma(1) = {3/16:.4f}")
over = [d for d, r in zip(ds, res[2**10]) if r[2] > r[4]]
verdict("Lemma 2.5, worst direction on sphere", f"k > B from d = {over[0]}" if over else "not refuted",
        "max_x k/B >= " + ", ".join(f"{r[2] / r[4]:.2f} (d={d})" for d, r in zip(ds, res[2**10]))
        + " at m = 2^10 (search: lower bounds; the first d with k > B may be smaller)")
verdict("O(m e^{-b^2/2}) tight?", "LOOSE: E[k]/B -> 0" if np.all(np.diff(ratio_mean) < 0) else "no trend",
        f"E[k]/B = {ratio_mean[0]:.3f} (2^8) -> {ratio_mean[-1]:.3f} (2^24); E[k] b sqrt(2 pi)/B = "
        f"{(Ek * bs * math.sqrt(2 * math.pi) / B)[-1]:.3f} at 2^24")
verdict("Remark 2.6, exponent 4/5", "HOLDS as a bound" if alpha["exact E[k]"] < 0.8 else "exceeded",
        f"fitted exponent of E[k] = {alpha['exact E[k]']:.3f}, median {alpha['sampled median k']:.3f} (2^8..2^24); "
        f"local {local[-1]:.3f} at 2^24")
""")

md(r"""
## Try it

At the paper's defaults first (a static figure), then the live panel: move $\log_2 m$ from 8 to 24, untick the
box to choose $b$ freely. Each redraw samples 4000 exact binomial fire counts.
""")

code(r"""
m = 2**16
b = paper_threshold(m)
figs.fire_count_histogram(sp.sample_fire_counts(m, b, size=4000, rng=0), m, b,
                          title=f"m = 2^16, b = sqrt(0.4 ln m) = {b:.3f}")
plt.show()
""", figure=("fig-sparsity-hist",
             "Histogram of the fire count over 4000 initializations at m = 2^16 and the paper's b, with the exact "
             "binomial pmf, its mean m Q(b) and the Lemma 2.5 quantity m exp(-b²/2)."))

code(r"""
from firesets.widgets.sparsity import SparsityPanel
panel = SparsityPanel(seeds=4000, log2m=16)
panel.widget
""", tags=["nbval-ignore-output"])

code(r"""
import io, os, time
t0 = time.perf_counter()
k = sp.sample_fire_counts(2**16, paper_threshold(2**16), size=4000, rng=1)
t1 = time.perf_counter()
fig = panel.figure(2**16, paper_threshold(2**16)); fig.savefig(io.BytesIO(), format="png"); plt.close(fig)
t2 = time.perf_counter()
print(f"slider redraw at m = 2^16: sampling {t1 - t0:.4f} s; sampling + drawing + PNG render {t2 - t1:.3f} s "
      f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
t0 = time.perf_counter()
_ = sp.sample_fire_counts(2**24, paper_threshold(2**24), size=SEEDS, rng=0)
print(f"{SEEDS} exact fire counts at m = 2^24: {time.perf_counter() - t0:.4f} s")
""", tags=["nbval-ignore-output"])

md(r"""
## Notes and errata

- **Strict firing.** Definition 2.3 fires on $\sigma_b(\langle x, w_r\rangle) > 0$, i.e. $\langle x, w_r\rangle > b$,
  but the gradient in Section 2 uses $\mathbf 1[w_r^\top x \ge b]$. They differ only when a pre-activation equals
  $b$ exactly (probability zero at initialization); `firesets` uses $> b$ everywhere.
- **Definition B.2 lost its condition.** As printed, $S_{i,\rm fire}(t) := r \in [m] : \langle x_i, w_r(t)\rangle$
  has no "$> b$" (and no braces); we read it as Definition 2.4.
- **Lemma B.6's activation** is written $\sigma_b(x) = \max\{x, b\}$; Definition 2.1's is $\max\{x - b, 0\}$, which
  we use (the fire sets only depend on the event $\langle w_r, x\rangle > b$ either way).
- **Definition B.4's prose** ("never flipped") is copied from Definition B.5; its formula is the set of neurons
  that flip at step $t$, which `sp.flip_sets` returns. Both B.4 and B.5 compare $\operatorname{sgn}(\cdot - b)$; we
  compare fire states $> b$ (they differ only at exact ties).
- **"For any input data x"** is ambiguous (Experiment 5): the proof covers a fixed $x$, and $n$ data points by a
  union bound; not the whole sphere, where our search finds directions with more than $m e^{-b^2/2}$ firing
  neurons once $d$ is comparable to $m e^{-b^2/2}$ (lower bounds on the worst case; Experiment 5). Lemma B.3
  says "for input data $x$", the fixed-$x$ reading. Unit-norm data are assumed ({cite}`syz21`); Definition 2.1 does
  not say so.
- **The $O(\cdot)$ and $\Omega(\cdot)$ constants** are not given; we derive $\Pr[k > cB] \le e^{-\gamma(c)B}$,
  $\gamma(c) = 3(c-\frac12)^2/(2(c+1))$, for $b \ge 0$ and $c > 1/2$, and measure both constants.
- **Remark 2.6** gives the bound's exponent, $4/5$; the count's own exponent over practical widths is smaller,
  because $m e^{-b^2/2}$ drops the Mills factor $1/(b\sqrt{2\pi})$.
- **Sampling.** We never build $W$ for the large-$m$ experiments: a single input's count is drawn as
  $\mathrm{Binomial}(m, Q(b))$, and $n$ inputs' counts from $\mathcal N(0, XX^\top)$ pre-activations; both are
  checked against explicit `TwoLayerReLU` draws in `tests/test_sparsity.py`.

## Summary

- At initialization the fire count of a fixed unit input is exactly $\mathrm{Binomial}(m, Q(b))$; Lemma 2.5 holds
  for fixed inputs and for the worst of $n$ data points, with constants well below 1 (printed above).
- With $b = \sqrt{0.4 \ln m}$ the count grows like $m^{4/5}/(b\sqrt{2\pi})$: Remark 2.6's $4/5$ is an upper bound
  whose exponent the count approaches only as $4/5 - 1/(2\ln m)$.
- "For any input data $x$" means a fixed $x$ (or a union over data); uniformly over the sphere it does not hold: our
  search (a lower bound on the worst case) finds unit directions with more than $m e^{-b^2/2}$ firing neurons once
  the dimension is comparable to $m e^{-b^2/2}$.
""")

nb = nbf.v4.new_notebook()
nb.cells = cells
nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
nb.metadata["language_info"] = {"name": "python"}
nbf.write(nb, "book/sparsity_at_init.ipynb")
print("wrote book/sparsity_at_init.ipynb with", len(cells), "cells")
