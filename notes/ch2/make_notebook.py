"""Author book/fire_sets_in_training.ipynb (Chapter 2). Run: .venv/bin/python notes/ch2/make_notebook.py, then make nb."""
import nbformat as nbf

nb = nbf.v4.new_notebook()
cells = []


def md(s):
    cells.append(nbf.v4.new_markdown_cell(s.strip("\n")))


def code(s, tags=(), fig=None):
    c = nbf.v4.new_code_cell(s.strip("\n"))
    if tags:
        c.metadata["tags"] = list(tags)
    if fig:
        c.metadata["mystnb"] = {"figure": {"name": fig[0], "caption": fig[1]}}
    cells.append(c)


md(r"""
(ch-fire-sets-in-training)=
# Fire sets during training

Chapter 1 counted the neurons that fire at initialization. A sparse training step must find them again after
every update, so the count that matters is the one *during* training. This chapter trains 2NN(m, b) by full-batch
gradient descent and records, at every iteration, who fires, who flips, and how far the weights moved
{cite}`alman2023bypass`.
""")
code("%matplotlib inline")
md(r"""
## The claims

:::{admonition} Lemma B.6 of {cite}`alman2023bypass` (Lemma C.10 of {cite}`syz21`)
:class: note
Let $b \ge 0$ be a parameter, and let $\sigma_b(x) = \max\{x, b\}$ be the activation function. For each
$i \in [n], t \in [T]$, $k_{i,t}$ is the number of activated neurons at the $t$-th iteration. For $0 < t \le T$, with
probability at least $1 - n \cdot \exp(-\Omega(m) \cdot \min\{R, \exp(-b^2/2)\})$, $k_{i,t}$ is at most
$O(m \exp(-b^2/2))$ for all $i \in [n]$.
:::

```{admonition} Definitions B.4 and B.5 (flip set, noflip set)
:class: note
$S_{i,\mathrm{flip}}(t) := \{ r \in [m] : \mathrm{sgn}(\langle w_r(t), x_i \rangle - b) \neq \mathrm{sgn}(\langle w_r(t-1), x_i \rangle - b) \}$,
and $S_i := \{ r \in [m] : \forall t \in [T]\ \mathrm{sgn}(\langle w_r(t), x_i \rangle - b) = \mathrm{sgn}(\langle w_r(0), x_i \rangle - b) \}$.
```

:::{admonition} Claim A.1 (Corollary 4.1 of {cite}`dzps19`, Lemma 3.8 of {cite}`sy19`) and Definition A.2
:class: note
Let $\mathrm{err}(t) = y - u(t)$ with $u(t) = f(W(t), a, X)$. If $\forall i \in [t]$,
$\|\mathrm{err}(i)\|_2^2 \le (1 - \eta\lambda/2)^i \|\mathrm{err}(0)\|_2^2$, then
$\|W(t+1) - W_r(0)\|_{\infty,2} \le 4\lambda^{-1} m^{-1/2} \sqrt{n}\, \|\mathrm{err}(0)\|_2 := D$.
:::

Symbols: $k_{i,t} = |S_{i,\mathrm{fire}}(t)|$ with $S_{i,\mathrm{fire}}(t) = \{r : \langle w_r(t), x_i\rangle > b\}$
(Definition 2.4); $\lambda$ is the smallest eigenvalue of the neural tangent kernel Gram matrix {cite}`jacot2018,dzps19`
of the shifted ReLU,

```{math}
:label: eq-ntk
H_{ij} = \langle x_i, x_j\rangle \Pr_{w \sim N(0, I_d)}\big[\langle w, x_i\rangle > b,\ \langle w, x_j\rangle > b\big],
```

a bivariate normal orthant probability for unit-norm inputs, computed in closed form by Owen's $T$ function
(`firesets.ntk.orthant_prob`). $R$ is the movement radius, $\|w_r(t) - w_r(0)\|_2 \le R$ for all $r$ and $t$;
the lemma does not define it (see the errata). The proof counts the neurons that *could* fire after moving by $R$:
for unit $x_i$, $\langle w_r(t), x_i\rangle > b$ needs $\langle w_r(0), x_i\rangle > b - R$, so

```{math}
:label: eq-envelope
k_{i,t} \le \#\{r : \langle w_r(0), x_i \rangle > b - R(t)\}, \qquad R(t) = \|W(t) - W(0)\|_{\infty,2},
```

whose mean is $m \Pr[z > b - R] \le m(\Pr[z > b] + 2R/\sqrt{2\pi})$ (Lemma A.5): of order $m e^{-b^2/2}$ exactly when
$R = O(e^{-b^2/2})$. The ledger records the right side of {eq}`eq-envelope` as the *envelope*.
""")
md(r"""
## The setting

Gradient descent on all of $W$ with $a$ fixed, $b = \sqrt{0.4 \ln m}$ (Remark 2.6), three widths and three
initialization seeds per width, $n = 16$ inputs with labels
$\pm 1$: random points on the sphere in $d = 32$ dimensions (labels independent of the inputs), and images of
scikit-learn's 8x8 digits normalized to unit norm (label $+1$ for even digits, $-1$ for odd ones). The step size is
$\eta = 1/\lambda_{\max}(H)$: linearized GD, $\mathrm{err}(t+1) = (I - \eta H)\,\mathrm{err}(t)$, then contracts every
eigen-direction, and $\|\mathrm{err}(t)\|^2 \le (1 - \eta\lambda)^{2t}\|\mathrm{err}(0)\|^2$, inside the hypothesis of
Claim A.1.
""")
code(r"""
import math
import numpy as np
from threadpoolctl import threadpool_limits
from firesets import TwoLayerReLU, paper_threshold
from firesets.training import train
from firesets.data import synthetic, digits, mean_abs_correlation
from firesets.ntk import ntk_gram, ntk_gram_mc, ntk_eigs, learning_rate, predicted_loss, orthant_prob

threadpool_limits(1)  # one BLAS thread: identical floating-point results on every run
n, d = 16, 32
ms = [2**10, 2**12, 2**14]
seeds = [1, 2, 3]  # initialization seeds per width: Lemma B.6 is a statement with high probability over W(0)
data = {"synthetic": synthetic(n, d, label_scale=1.0, rng=0), "digits": digits(n, label_scale=1.0, rng=0)}
for name, (X, y) in data.items():
    print(f"{name:9s}: X {X.shape}, labels {sorted(set(y.tolist()))}, mean |<x_i, x_j>| = {mean_abs_correlation(X):.3f}")
""")
md(r"""
### The kernel and the learning rate

The closed form {eq}`eq-ntk` is checked against a Monte Carlo estimate with $N = 2 \cdot 10^5$ draws of $w$; the
largest deviation is reported in units of the Monte Carlo standard error (computed from the exact probability, plus
one count $|\langle x_i, x_j\rangle|/N$ so that pairs that almost never fire together are not divided by zero).
""")
code(r"""
ntk = {}
for name, (X, y) in data.items():
    for m in ms:
        b = paper_threshold(m)
        H = ntk_gram(X, b)
        lam, lmax = ntk_eigs(H)
        ntk[name, m] = dict(b=b, lam=lam, lmax=lmax, eta=learning_rate(H))
        Hmc, se = ntk_gram_mc(X, b, samples=200_000, rng=1)
        N, G = 200_000, np.abs(X @ X.T)  # standard error from the exact probability, plus one count
        p = orthant_prob(np.clip(X @ X.T, -1, 1), b)
        z = np.max(np.abs(H - Hmc) / (G * np.sqrt(p * (1 - p) / N) + G / N))
        print(f"{name:9s} m = {m:6d}  b = {b:.3f}  lambda = {lam:.3e}  lambda_max = {lmax:.3e}  "
              f"lambda_max/lambda = {lmax / lam:5.1f}  eta = 1/lambda_max = {ntk[name, m]['eta']:.2f}  |H - H_mc| <= {z:.1f} se")
""")
md(r"""
The kernel shrinks with $b$: every entry carries a factor $\Pr[z > b] \approx e^{-b^2/2}$, so $\lambda$ falls as $m$
grows, and $\eta$ rises to compensate. The digits are strongly correlated (non-negative pixels): one direction
(the mean image) carries most of $\lambda_{\max}$, so the condition number $\lambda_{\max}/\lambda$ printed above is
far larger than for random inputs, and with it the number of iterations that $\eta = 1/\lambda_{\max}$ needs.

## Experiment 1: fire counts during training

Each run records, per iteration, $k_{i,t}$ for every $i$, the flips, the movement and the envelope
{eq}`eq-envelope` (`firesets.training.Ledger`).

**Pass criterion.** Lemma B.6 is asymptotic, $k_{i,t} = O(m e^{-b^2/2})$, so a finite experiment can only ask whether
one constant serves every width. We calibrate $C$ as the largest $k_{i,t}/(m e^{-b^2/2})$ over all inputs,
iterations, seeds and both data sets at the *smallest* width $m = 2^{10}$, and say the bound *holds* if
$k_{i,t} \le C\, m e^{-b^2/2}$ for every input, iteration and seed at the larger widths. At initialization
$\mathbb E[k_{i,0}]/(m e^{-b^2/2}) = e^{b^2/2}\Pr[z > b]$ already falls slowly with $b$ (Mills' ratio), so we also
print what training adds: the growth factor $\max_t k_{i,t}/k_{i,0}$.
""")
code(r"""
T = {"synthetic": 60, "digits": 150}
ledgers = {}  # (data set, m, seed) -> Ledger
for name, (X, y) in data.items():
    for m in ms:
        for seed in seeds:
            net = TwoLayerReLU.init(m, X.shape[1], rng=seed)
            ledgers[name, m, seed] = train(net, X, y, ntk[name, m]["eta"], T[name])[1]
runs = {name: {m: (ledgers[name, m, seeds[0]], ntk[name, m]["b"]) for m in ms} for name in data}  # first seed, for figures
e = lambda m: m * math.exp(-paper_threshold(m) ** 2 / 2)  # the scale m e^(-b^2/2) of Lemma B.6
ratio = {key: L.k.max() / e(key[1]) for key, L in ledgers.items()}  # max_(i,t) k_it / (m e^(-b^2/2)) per run
growth = {key: np.max(L.k / np.maximum(L.k[0], 1)) for key, L in ledgers.items()}
C = max(ratio[name, ms[0], s] for name in data for s in seeds)  # calibrated at the smallest width
for name in data:
    for m in ms:
        r = [ratio[name, m, s] for s in seeds]
        g = [growth[name, m, s] for s in seeds]
        env = max(ledgers[name, m, s].envelope.max() / e(m) for s in seeds)
        print(f"{name:9s} m = {m:6d}: max_(i,t) k_it/(m e^-b^2/2) over seeds {min(r):.3f} .. {max(r):.3f}   "
              f"max_(i,t) k_it/k_i0 {min(g):.2f} .. {max(g):.2f}   proof's envelope/(m e^-b^2/2) up to {env:.2f}")
print(f"C calibrated at m = {ms[0]} (both data sets, {len(seeds)} seeds) = {C:.3f}")
""")
code(r"""
import matplotlib.pyplot as plt
from firesets.plots import use_theme
from firesets.plots import training as P

use_theme()
fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), sharey=True)
for ax, name in zip(axes, data):
    P.plot_fire_counts(runs[name], ax=ax, C=C, C_label=f"Lemma B.6 bound, C from m = {ms[0]}")
    ax.set_title(f"{name}: max (solid), mean (dashed), proof's envelope (dotted)")
""", tags=["hide-input"], fig=("fig-fire-counts", r"Fire counts during training (first seed), divided by $m e^{-b^2/2}$ with $b = \sqrt{0.4 \ln m}$. Solid: $\max_i k_{i,t}$; dashed: the mean over $i$; black: Lemma B.6's bound $C\, m e^{-b^2/2}$ with $C$ calibrated at the smallest width over all seeds; dotted: the counting envelope $\max_i \#\{r : \langle w_r(0), x_i\rangle > b - R(t)\}$ of the proof, with $R(t)$ the measured movement."))
md(r"""
The cost of this bookkeeping, measured (machine-dependent, so not compared by the tests): one dense step with and
without its record and the ledger update, at $m = 2^{14}$ on the synthetic data.
""")
code(r"""
import time
X, y = data["synthetic"]
net, m = TwoLayerReLU.init(2**14, d, rng=1), 2**14
sec = {}
for rec in [False, True, False, True]:  # interleaved, best of two
    t0 = time.perf_counter()
    train(net, X, y, ntk["synthetic", m]["eta"], 60, record=rec)
    sec[rec] = min(sec.get(rec, math.inf), (time.perf_counter() - t0) / 60)
share = (sec[True] - sec[False]) / sec[True]
print(f"dense step {1e3 * sec[False]:.2f} ms, with record and ledger {1e3 * sec[True]:.2f} ms: recording is "
      f"{100 * share:.0f}% of a recorded step; recording dominates the step: {share > 0.5}")
""", tags=["nbval-ignore-output"])
md(r"""
## Experiment 2: flips and never-flipped neurons

A flip (Definition B.4) is a change of the firing state $\mathbf 1[\langle w_r, x_i\rangle > b]$ between two
iterations; $S_i$ (Definition B.5) is the set of neurons that never flip for $x_i$.
""")
code(r"""
for name in data:
    for m, (L, b) in runs[name].items():
        f = L.flips.sum(axis=1)
        print(f"{name:9s} m = {m:6d}: flips in total = {int(f.sum()):6d}, at t = 1: {int(f[1]):5d}, "
              f"in the last 10 iterations: {int(f[-10:].sum()):4d};  min_i |S_i| / m = {L.never_flipped[-1].min() / m:.4f}")
""")
code(r"""
fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharey=True)
for ax, name in zip(axes, data):
    P.plot_flips(runs[name], ax=ax, title=f"{name}: flips per iteration")
""", tags=["hide-input"], fig=("fig-flips", r"Total flips $\sum_i |S_{i,\mathrm{flip}}(t)|$ per iteration (Definition B.4). Iterations with no flip are not drawn."))
md(r"""
### How the envelope depends on the movement radius $R$

Lemma B.6's proof needs $R$ small: the envelope {eq}`eq-envelope` is at most
$m e^{-b^2/2}\big(e^{b^2/2}\Pr[z > b] + c\sqrt{2/\pi}\big)$ when $R = c\, e^{-b^2/2}$, so it is $O(m e^{-b^2/2})$
exactly when $c$ stays bounded as $m$ grows, and its constant grows with $c$. The figure evaluates the envelope of
the synthetic run at $m = 2^{14}$ for every $R$, and marks the movement the run actually made.
""")
code(r"""
m = ms[-1]
L, b = runs["synthetic"][m]
D = L.claim_a1_bound(ntk["synthetic", m]["lam"])
ax = P.plot_envelope_vs_R(L, b, R_measured=L.movement.max(), D=D)
""", tags=["hide-input"], fig=("fig-envelope-R", r"The counting step of Lemma B.6: $\max_i \#\{r : \langle w_r(0), x_i\rangle > b - R\}$ against $R$ (synthetic data, $m = 2^{14}$), its mean $m \Pr[z > b - R]$ and the anti-concentration bound. The vertical lines mark $e^{-b^2/2}$ and the measured movement $\max_t \|W(t) - W(0)\|_{\infty,2}$."))
md(r"""
## Experiment 3: convergence, and where it breaks

The predicted rate is the hypothesis of Claim A.1, $L(t) \le (1 - \eta\lambda/2)^t L(0)$ (the loss is
$\|\mathrm{err}\|^2/2$). Two ways to break it: a step size beyond the stability limit $2/\lambda_{\max}$, and a width
so small that the fire sets are nearly empty. Linearized GD diverges for $\eta > 2/\lambda_{\max}$; the network
need not, because a large step switches neurons off and shrinks its own kernel. At a tiny width some inputs may
have no firing neuron at all: their output is $0$ and they contribute no gradient, so while they stay dead the loss
cannot fall below half the sum of their squared labels (the floor printed below). A run *converged* if
$L(60) \le 10^{-6} L(0)$, *diverged* if $L(60) > L(0)$, and *stalled* otherwise.
""")
code(r"""
X, y = data["synthetic"]
curves, fails = {}, {}
for c, m in zip(plt.cm.viridis(np.linspace(0.1, 0.85, len(ms))), ms):
    L, _ = runs["synthetic"][m]
    curves[f"m = {m}"] = (L.loss, dict(color=c, lw=2))
    curves[f"m = {m}: (1 - eta lambda/2)^t L(0)"] = (
        predicted_loss(L.loss[0], ntk["synthetic", m]["eta"], ntk["synthetic", m]["lam"], L.T), dict(color=c, ls=":"))
m = 2**12
b = paper_threshold(m)
for safety in [1.0, 2.5, 6.0, 10.0]:
    _, L = train(TwoLayerReLU.init(m, d, rng=1), X, y, safety * ntk["synthetic", m]["eta"], 60)
    fails[f"m = {m}, eta = {safety} / lambda_max"] = L
for m_small in [2**4, 2**6]:
    bs = paper_threshold(m_small)
    H = ntk_gram(X, bs)
    _, L = train(TwoLayerReLU.init(m_small, d, rng=1), X, y, learning_rate(H), 60)
    fails[f"m = {m_small}, eta = 1 / lambda_max"] = L
def outcome(L, tol=1e-6):
    # converged: L(T) <= tol L(0); diverged: L(T) > L(0); stalled otherwise
    return "converged" if L.loss[-1] <= tol * L.loss[0] else "diverged" if L.loss[-1] > L.loss[0] else "stalled"
for lab, L in fails.items():
    dead = L.k[-1] == 0  # inputs with no firing neuron: u_i = 0, so L >= sum_dead y_i^2 / 2
    print(f"{lab:32s}: {outcome(L):9s} L(0) = {L.loss[0]:.3g}, L(60) {'= %.3g' % L.loss[-1] if L.loss[-1] > 1e-12 else '< 1e-12'}, "
          f"sum_i k_it at t = 0: {int(L.k[0].sum())}, at t = 60: {int(L.k[-1].sum())}; inputs with no firing neuron "
          f"at t = 60: {int(dead.sum())}" + (f", so L(60) >= {0.5 * float(y[dead] @ y[dead]):.3g}" if dead.any() else ""))
""")
code(r"""
fig, axes = plt.subplots(1, 2, figsize=(13, 4.4))
P.plot_loss(curves, ax=axes[0])
axes[0].set_title("synthetic data, eta = 1/lambda_max: measured (solid) and predicted (dotted)")
styles = ["-", "--", "-.", ":", (0, (1, 3)), (0, (5, 2, 1, 2))]
P.plot_loss({lab: (L.loss, dict(lw=2, ls=s)) for (lab, L), s in zip(fails.items(), styles)}, ax=axes[1])
axes[1].set_title("too large a step, too small a width")
axes[1].set_ylim(1e-12, 1e12)
plt.show()
""", tags=["hide-input"], fig=("fig-loss", r"Left: the training loss for three widths at $\eta = 1/\lambda_{\max}$ (solid, first seed) against the rate $(1 - \eta\lambda/2)^t$ of Claim A.1's hypothesis (dotted). Right: $m = 2^{12}$ with $\eta$ at 1, 2.5, 6 and 10 times $1/\lambda_{\max}$, and the widths $m = 16$ and $64$ at $\eta = 1/\lambda_{\max}$."))
md(r"""
### Movement against Claim A.1's bound $D$
""")
code(r"""
Dm = {}
for name in data:
    for m, (L, b) in runs[name].items():
        lam, eta = ntk[name, m]["lam"], ntk[name, m]["eta"]
        D = L.claim_a1_bound(lam)
        if name == "synthetic":
            Dm[m] = D
        err2 = 2 * L.loss  # ||err(t)||^2
        hyp = bool(np.all(err2 <= (1 - eta * lam / 2) ** np.arange(L.T + 1) * err2[0] * (1 + 1e-12)))
        R = L.movement.max()
        print(f"{name:9s} m = {m:6d}: hypothesis of Claim A.1 holds: {hyp};  max_t ||W(t)-W(0)||_inf,2 = {R:.3f}, "
              f"D = {D:.1f}, movement / D = {R / D:.3f}, movement / e^(-b^2/2) = {R / math.exp(-b * b / 2):.1f}")
""")
code(r"""
ax = P.plot_movement(runs["synthetic"], Dm)
""", tags=["hide-input"], fig=("fig-movement", r"Synthetic data: the movement $\|W(t) - W(0)\|_{\infty,2}$ (solid), Claim A.1's bound $D$ (dashed) and $e^{-b^2/2}$ (dotted), the radius below which Lemma B.6's counting step keeps the envelope at $O(m e^{-b^2/2})$."))
md(r"""
## Experiment 4: the union of fire sets, synthetic against real data

A step that updates only firing neurons touches $|\cup_i S_{i,\mathrm{fire}}(t)|$ rows of $W$; this number, not
$\sum_i k_{i,t}$, decides the update cost of Chapter 4's trees. Correlated inputs share their firing neurons.
The comparison adds the digits with the mean image subtracted before normalizing (less correlated).
""")
code(r"""
m = 2**14
b = paper_threshold(m)
unions = {"synthetic": runs["synthetic"][m][0], "digits": runs["digits"][m][0]}
Xc, yc = digits(n, center=True, rng=0)
_, unions["digits (centered)"] = train(TwoLayerReLU.init(m, 64, rng=1), Xc, yc, learning_rate(ntk_gram(Xc, b)), 60)
for lab, L in unions.items():
    X_ = {"synthetic": data["synthetic"][0], "digits": data["digits"][0], "digits (centered)": Xc}[lab]
    print(f"{lab:18s}: mean |<x_i,x_j>| = {mean_abs_correlation(X_):.3f};  |union|/m at t = 0: {L.union[0] / m:.4f}, "
          f"at T: {L.union[-1] / m:.4f};  sum_i k_it / |union| at t = 0: {L.k[0].sum() / L.union[0]:.2f}, "
          f"at T: {L.k[-1].sum() / L.union[-1]:.2f};  1 - (1 - Pr[z > b])^n = {1 - (1 - 0.5 * math.erfc(b / math.sqrt(2))) ** n:.4f}")
""")
code(r"""
ax = P.plot_union(unions)
""", tags=["hide-input"], fig=("fig-union", r"The union of fire sets over the $n = 16$ inputs (thick) and $\sum_i k_{i,t}$ (thin), as fractions of $m = 2^{14}$, for random inputs, raw digits and centered digits."))
md(r"""
## Verdict

The criteria: Lemma B.6 as stated in Experiment 1 (one constant $C$, calibrated at the smallest width, for every
larger width, seed, input and iteration); its proof's hypothesis $R = O(e^{-b^2/2})$ through the constant
$c = \max_t R(t)/e^{-b^2/2}$ per width, which must not grow with $m$ (a finite run cannot show more), and whether
$c \le 1$; Claim A.1 as an implication (where its hypothesis holds, the movement is at most $D$); convergence at the
predicted rate at every iteration.
""")
code(r"""
big = [(name, m, s) for name in data for m in ms[1:] for s in seeds]
holds = all(ledgers[key].k.max() <= C * e(key[1]) for key in big)
Cm = {m: max(ratio[name, m, s] for name in data for s in seeds) for m in ms}
print(f"Lemma B.6, k_it = O(m e^(-b^2/2)): {'HOLDS' if holds else 'FAILS'}: with C = {C:.3f} calibrated at m = {ms[0]}, "
      f"k_it <= C m e^(-b^2/2) in all {len(big)} runs at m = {ms[1]} .. {ms[-1]} ({len(seeds)} seeds, both data sets). "
      f"Largest constant per width: " + ", ".join(f"m = {m}: {Cm[m]:.3f}" for m in ms)
      + f"; training raises k_it above k_i0 by at most {max(growth.values()):.2f}x.")
c = {key: L.movement.max() / math.exp(-paper_threshold(key[1]) ** 2 / 2) for key, L in ledgers.items()}
cm = {(name, m): np.mean([c[name, m, s] for s in seeds]) for name in data for m in ms}
no_growth = all(cm[name, ms[-1]] <= cm[name, ms[0]] for name in data)
slope = {name: np.polyfit(np.log(ms), np.log([cm[name, m] for m in ms]), 1)[0] for name in data}
env = max(L.envelope.max() / e(key[1]) for key, L in ledgers.items())
print(f"  Its proof's hypothesis R = c e^(-b^2/2): c (mean over seeds) does not grow with m: {no_growth} "
      f"(c ~ m^{slope['synthetic']:.2f} on synthetic data, m^{slope['digits']:.2f} on digits); c <= 1: "
      f"{all(v <= 1 for v in c.values())}, c ranges over {min(c.values()):.1f} .. {max(c.values()):.1f}. With that c the "
      f"counting envelope reaches {env:.2f} x m e^(-b^2/2), {env / max(ratio.values()):.0f}x the largest measured "
      f"k_it/(m e^(-b^2/2)) = {max(ratio.values()):.3f}: "
      + ("the proof's route gives the right order with a loose constant." if no_growth else
         "c grows with m, so the proof's route does not give the order here."))
hyp, DR = {}, {}
for (name, m, s), L in ledgers.items():
    lam, eta = ntk[name, m]["lam"], ntk[name, m]["eta"]
    hyp[name, m, s] = bool(np.all(L.loss <= predicted_loss(L.loss[0], eta, lam, L.T) * (1 + 1e-12)))
    DR[name, m, s] = L.claim_a1_bound(lam) / L.movement.max()
a1 = all(DR[key] >= 1 for key in hyp if hyp[key])
print(f"Claim A.1, hypothesis => movement <= D: {'HOLDS' if a1 else 'FAILS'}; hypothesis met in {sum(hyp.values())} of "
      f"{len(hyp)} runs; D / movement >= {min(DR.values()):.1f}.")
for name in data:
    red = max(ledgers[name, m, s].loss[-1] / ledgers[name, m, s].loss[0] for m in ms for s in seeds)
    rate = all(hyp[name, m, s] for m in ms for s in seeds)
    print(f"Convergence, {name}: L(t) <= (1 - eta lambda/2)^t L(0) at every t in all {len(ms) * len(seeds)} runs: "
          f"{rate}; L(T)/L(0) <= {red:.1e} after T = {T[name]} steps.")
print("Failure cases: " + "; ".join(f"{lab}: {outcome(L)}" for lab, L in fails.items()) + ".")
""")
md(r"""
## Try it

The static figure shows the panel's defaults ($m = 2^{12}$, $b = \sqrt{0.4 \ln m}$, $\eta = 1/\lambda_{\max}$,
60 iterations, synthetic data); the panel below re-runs it (live only in a running notebook).
""")
code(r"""
from firesets.widgets.training import run_panel, training_panel
fig = run_panel()
""", fig=("fig-panel-default", r"The panel at its defaults: loss against the predicted rate, fire counts over $m e^{-b^2/2}$, and the union of fire sets with the movement."))
code("training_panel()", tags=["nbval-ignore-output"])
md(r"""
Each slider release re-runs `run_panel`; its time at the defaults (machine-dependent, not compared by the tests):
""")
code(r"""
t0 = time.perf_counter()
plt.close(run_panel())
sec = time.perf_counter() - t0
print(f"run_panel() at the defaults: {sec:.2f} s; under 2 s: {sec < 2}")
""", tags=["nbval-ignore-output"])
md(r"""
## Notes and errata

- **Definition B.4** introduces the flip set with the words "the set of neurons that are never flipped during the entire
  training process", copied from Definition B.5; the formula defines the neurons that flip at iteration $t$, and that
  is what we compute.
- **Flips and `sgn`.** Definitions B.4 and B.5 compare $\mathrm{sgn}(\langle w_r, x_i\rangle - b)$, which with
  $\mathrm{sgn}(0) = 0$ has three states. Firing is strict everywhere in this book ($\sigma_b(b) = 0$), so a flip is a
  change of $\mathbf 1[\langle w_r, x_i\rangle > b]$; the two agree unless a pre-activation equals $b$ exactly.
- **Lemma B.6** writes the activation as $\sigma_b(x) = \max\{x, b\}$; Definition 2.1 has $\max\{x - b, 0\}$, which we use.
  The statement uses a radius $R$ it never defines; in {cite}`syz21` it is the bound on $\|w_r(t) - w_r(0)\|_2$, and
  the $O(m e^{-b^2/2})$ conclusion of the counting argument needs $R = O(e^{-b^2/2})$. The lemma's probability
  $1 - n\exp(-\Omega(m)\min\{R, e^{-b^2/2}\})$ is over the initialization only; three seeds per width cannot measure
  it, only show that no seed breaks the bound. The lemma hides its constant and states no range of $m$; the pass
  criterion of Experiment 1 (a constant calibrated at the smallest width, checked at the larger ones) is ours.
- **Section B.2** opens with a per-level count $k_{i,k,t}$, $k = 0, \dots, \log m$, that no statement uses; Lemma B.6
  is about $k_{i,t}$ of Definition B.2, as here.
- **Lemma A.5** reads $\Pr[|Z| \le t] \le 2t/\sqrt{2\pi\sigma}$; the density bound gives $2t/(\sqrt{2\pi}\,\sigma)$.
  The two agree for $\sigma = 1$, the only case used here (the dotted line of the envelope figure).
- **Claim A.1** writes $\|W(t+1) - W_r(0)\|_{\infty,2}$; we read it as $\max_r \|w_r(t+1) - w_r(0)\|_2$. $\lambda$ is not
  defined in the paper; we use the smallest eigenvalue of the shifted-ReLU NTK Gram matrix {eq}`eq-ntk`, as in
  {cite}`syz21`, and choose $\eta = 1/\lambda_{\max}(H)$ (the paper fixes no step size).
- **Gradient.** Section 2 writes the indicator $\mathbf 1[w_r^\top x \ge b]$; we use $> b$ (the two differ only on a
  kink of $\sigma_b$, a measure-zero event).
- **The dense step** (`DenseStepper`) computes $P = W X^\top$ into a reused buffer, folds $-\eta\, a_r m^{-1/2} (u_i - y_i)$
  into the $m \times n$ firing mask, and accumulates $W \mathrel{+}= C X$ by one in-place `dgemm`; it is the baseline
  Chapter 4's trees are timed against.

## Summary

- During gradient descent at $b = \sqrt{0.4 \ln m}$ the fire counts $k_{i,t}$ stay within a small constant of
  $m e^{-b^2/2}$, as Lemma B.6 states; the verdict above prints the constant.
- The proof's route gives the right order but a loose constant: the weights move several times $e^{-b^2/2}$ (far
  less than Claim A.1's $D$), a ratio that does not grow with $m$ here, so the counting envelope is $O(m e^{-b^2/2})$
  with a constant the verdict prints, many times the measured one.
- Correlated real inputs share their firing neurons: the union of fire sets, which a sparse step must update, is much
  smaller for the digits than for random inputs, while their smaller $\lambda$ makes training slower.
""")

nb.cells = cells
nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
nbf.write(nb, "book/fire_sets_in_training.ipynb")
print("wrote book/fire_sets_in_training.ipynb with", len(cells), "cells")
