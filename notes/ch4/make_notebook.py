"""Author book/training_with_trees.ipynb (run: .venv/bin/python notes/ch4/make_notebook.py, then
make nb NB=book/training_with_trees.ipynb). The timing figures read book/data/bench_full.json (make bench)."""
import nbformat as nbf

cells = []


def md(src):
    cells.append(nbf.v4.new_markdown_cell(src.strip("\n")))


def code(src, tags=(), figure=None):
    c = nbf.v4.new_code_cell(src.strip("\n"))
    if tags:
        c.metadata["tags"] = list(tags)
    if figure:
        c.metadata["mystnb"] = {"figure": {"name": figure[0], "caption": figure[1]}}
    cells.append(c)


md(r"""
# Training with the trees: Algorithms 8 and 9 on a real CPU

Section 4 of {cite}`alman2023bypass` plugs the correlation trees of {doc}`correlation_trees` into full-batch
gradient descent: query the fire sets, run the forward and backward pass on the firing pairs only, and update only
the neurons that fired. This chapter builds those two training loops (`firesets.fasttrain`), checks that they *are*
gradient descent, adds the contender the paper's idea implies but does not name (keep the correlation matrix
$W X^\top$ itself and scan it), and measures what each costs per iteration against the best dense numpy step
(`firesets.bench`, run by `make bench`).
""")

md(r"""
## The claim

```{admonition} Theorem 4.1 (informal version of Theorem E.1), Bypass paper
Given $n$ data points in $\mathbb{R}^d$, gradient descent using the DTree data structure (Algorithm 8) for the neural
network $2NN(m, b = \sqrt{0.4 \log m})$ (Definition 2.1) takes $O(m^{4/5} n^2 d)$ time per iteration in expectation.
```

```{admonition} Theorem 4.2 (informal version of Theorem E.2), Bypass paper
Given $n$ data points in $\mathbb{R}^d$, gradient descent algorithm using the WTree data structure (Algorithm 9)
for the neural network $2NN(m, b = \sqrt{0.4 \log m})$ takes $O(m^{4/5} n \cdot \log n)$-time per iteration to
initialize $\tilde S_{r,\mathrm{fire}}, S_{i,\mathrm{fire}}$ for $r \in [m], i \in [n]$, and the total running time
per iteration is $O(m^{4/5} n^2 d)$ in expectation.
```

```{admonition} Section 5 (Conclusion), Bypass paper
We further remark that the Update procedure of DTree/Wtree structure (Algorithm 1 and 14) can be parallelized,
where we can update all the correlation trees using distributed computing simultaneously. It will improve the
running time from $O(nd)$ to $O(d)$, resulting in a total running time $O(m^{4/5} nd)$ per iteration.
```

The proof of Theorem E.1 adds three terms,

$$
\mathcal T = \underbrace{\textstyle\sum_{i} \mathcal T_{\mathrm{QUERY}}(m, k_{i,t})}_{\text{node visits}}
 + \underbrace{\mathcal T_{\mathrm{UPDATE}} \cdot \big|\textstyle\bigcup_i S_{i,\mathrm{fire}}(t)\big|}_{n(d + \log m) \text{ per changed neuron}}
 + \underbrace{d \textstyle\sum_i k_{i,t}}_{\text{gradient on firing pairs}},
$$ (eq-e1-terms)

with $k_{i,t} = |S_{i,\mathrm{fire}}(t)| = O(m^{4/5})$ (Lemma B.6) and $|\bigcup_i S_{i,\mathrm{fire}}| \le n \max_i k_{i,t}$.
The middle term gives the $n^2$: each changed neuron is rewritten in all $n$ trees. A dense step costs
$\Theta(nmd)$, so the trees win when $m^{4/5} n^2 d \ll nmd$, that is $n \ll m^{1/5}$.

Symbols: $m$ width, $n$ data points, $d$ dimension, $b$ threshold, $\eta$ learning rate, $U = \bigcup_i
S_{i,\mathrm{fire}}(t)$ the union of the fire sets (the only neurons with a nonzero gradient row), $k_{i,t}$ the fire
counts.
""")

md(r"""
## The setting

One sparse GD step (`firesets.fasttrain.sparse_gd_rows`), whatever finds the firing pairs $(i, r)$:

1. **query**: the pairs with $\langle w_r, x_i\rangle > b$ and their inner products $p_{ir}$, read from the tree
   leaves (DTree: `query_all`; WTree: maintained between steps; scan: one comparison of the stored $W X^\top$);
2. **forward/backward**: $u_i = m^{-1/2}\sum_{r} a_r (p_{ir} - b)$ by one `bincount`; the residual $u - y$; the
   coefficient matrix $C \in \mathbb{R}^{|U| \times n}$, $C_{ri} = -\eta\, a_r m^{-1/2} (u_i - y_i)$ on firing pairs;
   $W_U \leftarrow W_U + C X$ (one `dgemm`, $|U| n d$ multiply-adds);
3. **update**: the structure learns the new rows (DTree: $|U|$ leaves in each of the $n$ trees and their paths;
   WTree: $|U|$ trees rebuilt, then re-queried; scan: $|U|$ rows of $W X^\top$ recomputed).

The dense contender is `firesets.training.DenseStepper`: $P = W X^\top$, the mask and $\sigma_b$ in place, the
scalings folded into the $m \times n$ matrix, and $W \mathrel{+}= C X$ by one in-place `dgemm`.
""")

code(r"""
%matplotlib inline
import math
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

from firesets import TwoLayerReLU
from firesets import bench_analysis as ba
from firesets.training import train
from firesets.plots import use_theme
from firesets.plots.fasttrain import plot_time_vs_m, plot_crossover, plot_phases, plot_theorem41, plot_live

use_theme()
DATA = Path("data/bench_full.json")
if not DATA.exists():  # the small grid (make bench-quick) when the full sweep has not been run
    DATA = Path("data/bench_quick.json")
data = ba.load(DATA)
s = data["settings"]
print(f"results: book/{DATA} ({data['grid']} grid, written by `{data['command']}`)")
print(f"m = 2^{int(math.log2(min(s['m'])))} .. 2^{int(math.log2(max(s['m'])))}, n in {s['n']}, d in {s['d']}, "
      f"eta = {s['eta']}, b = {s['b']}")
print(f"BLAS threads: {s['blas_threads']}; memory budget {s['mem_budget_gib']} GiB; exponent fits over m >= 2^"
      f"{int(math.log2(s.get('fit_min_m', ba.FIT_MIN_M)))}; "
      f"{sum(c['status'] == 'ok' for c in data['configs'])} of {len(data['configs'])} configurations timed")
""", tags=["hide-input"])

code(r"""
mach = data["machine"]
print(f"machine: {mach['cpu_model']}, {mach['cpu_count']} cores, {mach['memory_bytes'] / 2**30:.0f} GiB; "
      f"Python {mach['python']}, numpy {mach['numpy']}, BLAS {[b['internal_api'] for b in mach['blas']]}")
print(f"sweep took {data['elapsed_seconds'] / 60:.1f} min; load average (1 min) at start {data['load_average_start'][0]}, "
      f"at end {data['load_average_end'][0]}")
skipped = [c for c in data["configs"] if c["status"] != "ok"]
for c in skipped:
    print(f"skipped m = 2^{int(math.log2(c['m']))}, n = {c['n']}, d = {c['d']}: {c['reason']}")
""", tags=["hide-input"])

md(r"""
## Experiment 1: the tree-driven steps are gradient descent

Every stepper starts from the same network and takes $T$ steps; we compare the weights with the dense run's, and
the fire sets, fire counts and flips of every iteration (the ledger of {doc}`fire_sets_in_training`). A large
learning rate makes many neurons cross the threshold, so the structures have to follow real changes.
""")

code(r"""
def agree(net, X, y, eta, T):
    ref, L0 = train(net, X, y, eta, T, method="dense", keep_codes=True)
    scale = np.abs(ref.W).max()
    all_ok = True
    for method in ("scan", "dtree", "wtree"):
        out, L = train(net, X, y, eta, T, method=method, keep_codes=True)
        checks = (np.abs(out.W - ref.W).max() / scale < 1e-10,
                  len(L.fire_codes) == len(L0.fire_codes)
                  and all(np.array_equal(a, b) for a, b in zip(L.fire_codes, L0.fire_codes)),
                  np.allclose(L.loss, L0.loss, rtol=1e-10, atol=0))
        all_ok &= all(checks)
        print(f"  {method:5s}: max|W - W_dense| / max|W_dense| < 1e-10: {checks[0]}; "
              f"fire sets equal at all {T + 1} iterations: {checks[1]}; losses equal (rel 1e-10): {checks[2]}")
    print(f"  dense run: loss {L0.loss[0]:.3f} -> {L0.loss[-1]:.3f}, total flips {int(L0.flips.sum())}, "
          f"union |U| at t = 0: {L0.union[0]}, max over t: {L0.union.max()}")
    return L0, all_ok

rng = np.random.default_rng(0)
m, n, d = 2**14, 8, 16
X = rng.standard_normal((n, d)); X /= np.linalg.norm(X, axis=1, keepdims=True)
y = np.where(rng.integers(0, 2, n) == 1, 1.0, -1.0)
print(f"synthetic: m = {m}, n = {n}, d = {d}, b = sqrt(0.4 ln m), eta = 20, T = 30")
L_syn, ok_syn = agree(TwoLayerReLU.init(m, d, rng=1), X, y, 20.0, 30)

digits, labels = load_digits(return_X_y=True)
Xd = digits[:64] / np.linalg.norm(digits[:64], axis=1, keepdims=True)
yd = (labels[:64] - 4.5) / 4.5
print(f"digits (first 64 images, unit norm): m = 4096, n = 64, d = 64, eta = 5, T = 20")
L_dig, ok_dig = agree(TwoLayerReLU.init(4096, 64, rng=2), Xd, yd, 5.0, 20)
exact_gd = ok_syn and ok_dig
print("all three sparse steppers are dense gradient descent on both runs (weights, every fire set, every loss): "
      + ("yes" if exact_gd else "NO, see the lines above"))
""")

md(r"""
The last line above is the check: weights to relative $10^{-10}$, the fire sets of every iteration and every loss.
The unit tests (`tests/test_fasttrain.py`) repeat it on random sizes, ties at the threshold and empty fire sets. The
proof of Theorem E.1 bounds the union of the fire sets at iteration $t$ by the union at $t = 0$
("$|\cup_i S_{i,\mathrm{fire}}(t)| \le |\cup_i S_{i,\mathrm{fire}}(0)|$") without an argument. One exists, and it
is stronger: a neuron that fires for no $x_i$ has a zero gradient row, so it does not move and still fires for no
$x_i$ at the next step. Hence $U(t+1) \subseteq U(t)$ for full-batch GD on a fixed data set; the runs check it:
""")

code(r"""
for name, L, m_ in (("synthetic", L_syn, m), ("digits", L_dig, 4096)):
    U = [np.unique(c % m_) for c in L.fire_codes]
    nested = all(np.isin(U[t + 1], U[t]).all() for t in range(L.T))
    print(f"{name}: U(t+1) subset of U(t) at every step: {nested}; |U(0)| = {U[0].size}, |U(T)| = {U[-1].size}; "
          f"iterations with |U(t)| > |U(0)|: {int(np.sum(L.union > L.union[0]))} of {L.T}")
""")

md(r"""
## Experiment 2: per-iteration time against $m$

The benchmark (`make bench`, i.e. `python -m firesets.bench`) times interleaved GD steps of the four contenders on
the same network and data ($x_i$ uniform on the sphere, $y_i = \pm 1$, $b = \sqrt{0.4 \ln m}$), BLAS pinned to one
thread, and keeps the median over the repeats. Slopes are least-squares fits of $\log t$ on $\log m$ over
$m \ge 2^{16}$ (the dotted line), where fixed per-call costs no longer flatten the curves. The window is a constant
of the code (`firesets.bench_analysis.FIT_MIN_M`, recorded in the results file), the same for every contender, $n$
and $d$; the verdict prints, next to it, the fit over every timed $m$, so the reader sees how much the window
matters. The largest $m$ timed at $d = 64$ is set by the memory budget (the skipped configurations are listed above).
""")

code(r"""
fig, slopes = plot_time_vs_m(data, d=64)
""", figure=("fig-time-vs-m", r"Per-iteration time of one GD step against the width $m$ at $d = 64$, one panel per $n$ (log-log, medians of interleaved repeats; slopes fitted over $m \ge 2^{16}$)."))

code(r"""
for d_ in s["d"]:
    for n_ in s["n"]:
        row = []
        for name in ba.CONTENDERS:
            ms, ts = ba.series(data, name, n_, d_)
            sel = ms >= ba.FIT_MIN_M
            row.append(f"{name} {ba.fit_exponent(ms[sel], ts[sel]):.2f}" if sel.sum() >= 2 else f"{name} -")
        print(f"d = {d_:2d}, n = {n_:2d}: fitted exponent of m: " + ", ".join(row))
""")

md(r"""
## Experiment 3: where the trees beat the dense step

Each cell is the median over repeats of $t_{\mathrm{dense}} / t_{\mathrm{DTree}}$ (above 1: the DTree wins). The
second figure gives the same map for the scan over the maintained correlation matrix, which has the trees'
preprocessing but not their search.
""")

code(r"""
fig = plot_crossover(data, "dtree")
""", figure=("fig-crossover-dtree", r"Speed-up of the DTree step over the dense step over $(m, n)$, for $d = 16$ and $d = 64$ (x: skipped, memory)."))

code(r"""
fig = plot_crossover(data, "scan")
""", figure=("fig-crossover-scan", r"The same map for the correlation matrix with a linear scan."))

code(r"""
ok = [c for c in data["configs"] if c["status"] == "ok"]
best = {}
for c in ok:
    r = {k: c["ratio_vs_dense"][k] for k in ("scan", "dtree", "wtree")}
    best[(c["m"], c["n"], c["d"])] = max(r, key=r.get)
wins = {k: sum(v == k for v in best.values()) for k in ("scan", "dtree", "wtree")}
print(f"fastest sparse contender over {len(best)} configurations: {wins}")
print("DTree slower than dense at (work saved = dense 2mnd / DTree count; cost ratio = time per counted operation,"
      " DTree over dense; speed-up = work saved / cost ratio):")
for c in sorted(ok, key=lambda c: (c["d"], c["n"], c["m"])):
    if c["ratio_vs_dense"]["dtree"] < 1:
        cnt, wd = c["counts"]["dtree"], ba.work_decomposition(c)
        print(f"  m = 2^{int(math.log2(c['m'])):2d}, n = {c['n']:2d}, d = {c['d']}: x{c['ratio_vs_dense']['dtree']:.2f}; "
              f"|U| / m = {cnt['union'] / c['m']:.3f}, sum_i k_i / m = {cnt['fire_pairs'] / c['m']:.3f}; "
              f"work saved x{wd['work_ratio']:.1f}, cost ratio x{wd['cost_ratio']:.1f}")
""")

md(r"""
The scan is the fair baseline for the *search*: it keeps the same maintained inner products as the trees and
differs only in how it finds the firing pairs (a comparison of all $mn$ entries against $O(k \log m)$ node visits)
and in what an update costs (a row of $n$ new inner products against the same plus $n$ root paths to repair). So the
DTree's update phase does strictly more work than the scan's, and only its query can win. Per phase, from the
counts and the phase medians at $n = 4$, $d = 64$:
""")

code(r"""
rows = sorted((c for c in ok if c["n"] == 4 and c["d"] == 64), key=lambda c: c["m"])
for c in rows:
    ps, pt, cs, ct = c["phases"]["scan"], c["phases"]["dtree"], c["counts"]["scan"], c["counts"]["dtree"]
    print(f"m = 2^{int(math.log2(c['m'])):2d}: query: scan reads {cs['entries_scanned'] / ct['nodes_visited']:4.1f}x "
          f"the DTree's node visits at {1e9 * ps['query'] / cs['entries_scanned']:4.1f} ns each against "
          f"{1e9 * pt['query'] / ct['nodes_visited']:5.1f} ns, query time scan / DTree {ps['query'] / pt['query']:.2f}; "
          f"update time DTree / scan {pt['update'] / ps['update']:.1f}")
big = [c for c in rows if c["m"] >= ba.FIT_MIN_M]
if len(big) >= 2:
    e_q = ba.fit_exponent([c["m"] for c in big], [c["phases"]["scan"]["query"] / c["phases"]["dtree"]["query"]
                                                   for c in big])
    print(f"query time scan / DTree grows like m^{e_q:.2f} (fit over m >= 2^{int(math.log2(ba.FIT_MIN_M))}); "
          f"it passes 1 in {sum(c['phases']['scan']['query'] > c['phases']['dtree']['query'] for c in rows)} "
          f"of {len(rows)} sizes")
""")

md(r"""
The scan's query reads all $mn$ entries and the DTree's does not, so the query ratio above has to pass 1 at some
width; the fitted growth says how slowly it approaches, and the count says why: the scan reads more entries, but
each read is a streamed comparison, while each node visit of the DTree is an indexed gather, level by level. The DTree's update
repairs paths the scan does not have. Both keep the $m \times n$ inner products, the DTree in twice as many slots,
so the trees do not save memory either: the scan needs half of the DTree's.
""")

md(r"""
## Experiment 4: where the time goes

The sparse steps split into the three phases of the setting. The *floor* is the work no sparse step avoids: the two
matrix products on the changed neurons, $C X$ ($|U| \times n$ by $n \times d$) and $X W_U^\top$ (the $|U| n$ new
inner products), timed on contiguous operands in the same rounds. The ratio step time / floor is the overhead of
finding and bookkeeping the sparsity.
""")

code(r"""
m_ph = max(c["m"] for c in ok if c["d"] == 64 and all(cc["status"] == "ok" for cc in data["configs"]
                                                     if cc["m"] == c["m"] and cc["d"] == 64 and cc["n"] <= 16))
fig = plot_phases(data, m_ph, d=64)
""", figure=("fig-phases", r"Phase breakdown of the sparse steps at the largest $m$ timed for $n \le 16$, $d = 64$, next to the dense step (medians)."))

code(r"""
for c in sorted((c for c in ok if c["m"] == m_ph and c["d"] == 64), key=lambda c: c["n"]):
    o = c["overhead_vs_floor"]
    ph = c["phases"]["dtree"]
    tot = sum(ph.values())
    print(f"m = 2^{int(math.log2(m_ph))}, n = {c['n']:2d}: step / floor: dense {o['dense']:.1f}, scan {o['scan']:.1f}, "
          f"DTree {o['dtree']:.1f}, WTree {o['wtree']:.1f};  DTree phases: query {ph['query'] / tot:.0%}, "
          f"forward/backward {ph['forward_backward'] / tot:.0%}, update {ph['update'] / tot:.0%}")
""")

md(r"""
## Experiment 5: Theorem 4.1's count against the measured counts

From the counters of each DTree step we rebuild the three terms of {eq}`eq-e1-terms`: node visits of the queries,
$d$ times the inner products plus the nodes written by the updates, and $d \sum_i k_{i,t}$. Their sum over
$m^{4/5} n^2 d$ is the constant the $O(\cdot)$ hides.
""")

code(r"""
fig, consts = plot_theorem41(data, d=64)
""", figure=("fig-theorem41", r"Left: the operation count of a DTree step (solid) and $m^{4/5} n^2 d$ (dashed), $d = 64$. Right: their ratio, the constant of Theorem 4.1."))

code(r"""
for n_ in s["n"]:
    vals = [v for (m_, nn), v in consts.items() if nn == n_]
    if vals:
        print(f"n = {n_:2d}: measured / (m^(4/5) n^2 d) between {min(vals):.3f} and {max(vals):.3f} over m")
c = next(c for c in ok if c["m"] == m_ph and c["d"] == 64 and c["n"] == 4)
w = ba.theorem41_work(c)
print(f"m = 2^{int(math.log2(m_ph))}, n = 4: query {w['query'] / w['total']:.1%}, update {w['update'] / w['total']:.1%}, "
      f"gradient {w['gradient'] / w['total']:.1%} of the count")
""")

md(r"""
The counts follow the theorem; the time need not, because the cost of one counted operation is not constant. The
time per operation of the DTree step at $n = 4$, $d = 64$, against the fitted exponents of the count and of the time:
""")

code(r"""
rows = sorted((c["m"], c) for c in ok if c["n"] == 4 and c["d"] == 64)
print("m:                  " + "  ".join(f"2^{int(math.log2(m_)):<4d}" for m_, _ in rows))
print("DTree ns / op:      " + "  ".join(f"{ba.work_decomposition(c)['ns_per_op']:6.2f}" for _, c in rows))
print("dense ns / mult-add:" + "  ".join(f"{ba.work_decomposition(c)['dense_ns_per_op']:6.2f}" for _, c in rows))
summ = ba.summarize(data)
def fmt(x):
    return "-" if x is None else f"{x:.2f}"

print(f"exponent of m (m >= 2^{int(math.log2(ba.FIT_MIN_M))}): operation count {fmt(summ['count_exponent_dtree'])}, "
      f"DTree time {fmt(summ['exponents']['dtree'])}, so the cost per operation grows like "
      f"m^{fmt(summ['per_op_exponent_dtree'])}; dense time {fmt(summ['exponents']['dense'])}")
print(f"working set at the largest m: W alone {8 * rows[-1][0] * 64 / 2**20:.0f} MiB; caches of the machine: "
      + ", ".join(f"L{c['level']} {c['type']} {c['size']}" for c in data["machine"].get("caches", [])))
""")

md(r"""
Because least-squares slopes add, the time exponent is exactly the count exponent plus the exponent of the cost per
counted operation (the last line). The tree's operations are gathers and scatters into arrays of $2m$ slots per
tree; as $m$ grows these leave the caches printed above, while the dense step streams $W$ through BLAS at a cost per
multiply-add that does not grow. This is why the time exponent can exceed $4/5$ while the count follows the theorem.

## Section 5's parallel update, from the counts

The remark splits UPDATE over the $n$ trees. Two measured quantities decide what that buys: the share of the step
spent in the update phase (the part a split over $n$ workers divides by at most $n$), and the overlap of the fire
sets, $|U| / \sum_i k_{i,t}$: when it is near 1 the sets are disjoint, $|U| \approx n\, m^{4/5}$ and the serial update
work $|U| n d$ is the $m^{4/5} n^2 d$ term, which $n$ workers bring to $m^{4/5} n d$ per worker.
""")

code(r"""
for c in sorted((c for c in ok if c["m"] == m_ph and c["d"] == 64), key=lambda c: c["n"]):
    p = ba.parallel_update_estimate(c)
    print(f"n = {c['n']:2d}: update share {p['update_share']:.0%}, |U| / sum_i k_i = {p['union_over_pairs']:.2f}; "
          f"ideal n-way update: DTree step x{p['serial_seconds'] / p['parallel_seconds']:.2f} faster, "
          f"x{p['speedup_vs_dense_parallel']:.1f} against the (serial) dense step; counts: update term "
          f"{p['count_update_share']:.0%} of the count, (T1 + T2/n + T3) / (m^(4/5) n d) = {p['constant_parallel']:.2f}")
par = [ba.parallel_update_estimate(c)["constant_parallel"] for c in ok if c["d"] == 64]
print(f"over all timed m and n at d = 64, the count after the n-way split over m^(4/5) n d lies in "
      f"[{min(par):.2f}, {max(par):.2f}]; before the split, over m^(4/5) n^2 d: see Experiment 5")
""")

md(r"""
The update phase already runs "in parallel over the $n$ trees" in the sense that matters on one core: one BLAS call
computes the $|U| n$ new inner products and each level of the path repair is one vectorized operation across all
trees. What $n$ workers could still divide is the memory traffic of the repairs; the query and the
forward/backward phases stay, so the gain is bounded by the update share printed above.
""")

md("## Verdict")

code(r"""
summ = ba.summarize(data)
lose = summ["dtree_loses"]
print("\n".join(ba.verdict_lines(summ)))
""")

md(r"""
The targets are the issue's (they restate the prototype figures of the design), not the paper's: Theorem 4.1 promises
$O(m^{4/5} n^2 d)$ operations, which the counts test directly; the wall-clock targets ask whether those operations are
cheap enough on one core to show. The verdict words (met / MISSED) are computed from the results file.
""")

md(r"""
## Try it

The panel re-times the four contenders at a size that answers in under two seconds (BLAS on one thread, the median of
five interleaved steps, $d = 16$). Moving $b$ away from $\sqrt{0.4 \ln m}$ changes the fire-set sizes, and the
sparse steps' costs follow them; the dense step does not care. The panel starts at $m = 2^{14}$, $n = 4$, $b$ of
Remark 2.6; the static figure is the benchmark's record of that configuration. The live numbers depend on the
machine and its load.
""")

code(r"""
c_live = next((c for c in ok if c["m"] == 2**14 and c["n"] == 4 and c["d"] == 16), None)
if c_live is not None:
    ax = plot_live(c_live)
    ax.set_title(f"benchmark record: m = 2^14, n = 4, d = 16 (medians; x = speed-up over dense)", fontsize=10)
""", figure=("fig-live-static", r"The live panel's starting configuration as recorded by the benchmark: milliseconds per GD step and speed-up over the dense step."))

code(r"""
from firesets.widgets.fasttrain import live_panel
live_panel()
""", tags=["nbval-ignore-output"])

md(r"""
## Notes and errata

- **Algorithm 8, lines 22-24 and Algorithm 9, lines 31-33: the update ascends.** With $M = X \operatorname{diag}(y - u(t))$
  and $P_{i,r} = m^{-1/2} a_r \sigma_b'(\cdot)$, $\Delta W = M P$ is *minus* the gradient of
  $L = \frac12 \sum_i (u_i - y_i)^2$, so $W(t+1) = W(t) - \eta \Delta W$ is gradient ascent. We implement descent,
  $W_U \leftarrow W_U - \eta \nabla_{W_U} L$, i.e. the coefficient $-\eta a_r m^{-1/2} (u_i - y_i)$.
- **Algorithm 8, line 9** loops $t = 0 \to T$ ($T + 1$ steps) where Algorithm 3 loops $t = 1 \to T$; a stepper call is
  one step.
- **Algorithm 8, line 13 / Algorithm 9, line 22** charge $O(d k_{i,t})$ for the forward pass, recomputing
  $w_r^\top x_i$; the leaves already hold these inner products, so we read them ($O(k_{i,t})$).
- **Algorithm 8, line 26** updates $Q = \{r : \Delta W_{*,r} \ne 0\}$; we push the whole union $U$ to the tree (the
  two differ only when a residual is exactly zero) and report $Q$ as `changed`, as the dense step does.
- **Algorithm 9** re-queries every tree of $U$ after its update (lines 37-46). A neuron outside $U$ fired for no
  $x_i$ and did not move, so the maintained pairs are exactly the re-query results of $U$; we keep them in $(r, i)$
  order, which makes grouping by neuron free. Its line 6 cites "Algorithm 10, Part 2 of Theorem 3.1" for the WTree
  (Algorithm 13 and Theorem 3.2), its line 5 calls the WTree "a static data-structure" though line 41 updates it,
  and Algorithm 4 (line 3) initializes the WTree from the data alone although its leaves are the
  $\langle w_r, x_i\rangle$ (Algorithm 9, line 7, passes both).
  Our re-query runs FIND on the $|U|$ small trees at once (`CorrelationWTree.query_many`) and counts its node visits.
- **Theorem 4.2** calls the $O(m^{4/5} n \log n)$ initialization of the fire sets a cost "per iteration"; it is paid
  once (Algorithm 9, lines 9-17).
- **Proof of Theorem E.1**: the step $|\cup_i S_{i,\mathrm{fire}}(t)| \le |\cup_i S_{i,\mathrm{fire}}(0)|$ is stated
  without argument. It holds, by the one-line argument of Experiment 1 (a neuron that fires for nobody does not
  move), which also shows the union can only shrink; this is what lets Algorithm 9 re-query only the trees of $U$.
  The term $\mathcal T_{\mathrm{UPDATE}} |U| = O(m^{4/5} n^2 (d + \log m))$ is written $O(m^{4/5} n^2 d)$, which
  needs $d \gtrsim \log m$.
- **The scan contender** stores the correlation matrix as $W X^\top$ ($m \times n$), the transpose of the
  $X W^\top$ of the issue, so that refreshing a neuron writes one contiguous row and the scan reports pairs grouped by
  neuron.
""")

md(r"""
The sign erratum in code: one step of Algorithm 8's literal update, $W - \eta (M P)^\top$ with
$M = X \operatorname{diag}(y - u)$ and $P_{i,r} = m^{-1/2} a_r 1[\langle w_r, x_i\rangle > b]$, against ours, from
the same network (all matrices dense, written out as in the pseudo-code).
""")

code(r"""
net0 = TwoLayerReLU.init(4096, 16, rng=3)
m0 = net0.m
u = net0.forward(X)
M = X.T * (y - u)                                               # d x n, line 22
Pm = (X @ net0.W.T > net0.b) * (net0.a / math.sqrt(m0))         # n x m, lines 16-21
literal = net0.with_weights(net0.W - 0.5 * (M @ Pm).T)          # line 24
ours, _ = train(net0, X, y, 0.5, 1, method="dtree", record=False)
print(f"L(W(0)) = {net0.loss(X, y):.6f}; after one literal Algorithm 8 step: {literal.loss(X, y):.6f}; "
      f"after our step: {ours.loss(X, y):.6f}")
""")

md("## Summary")

code(r"""
print(f"- Gradient descent: the DTree, WTree and scan steps "
      + ("reproduce dense GD (weights within 1e-10, identical fire sets and losses)" if exact_gd else
         "do NOT all reproduce dense GD (Experiment 1)")
      + " once the sign of Algorithms 8 and 9 is fixed; the DTree's operation count grows like m^"
      + fmt(summ["count_exponent_dtree"]) + " (Theorem 4.1: m^0.8).")
sp = [f"x{v['ratio']:.1f} at {k.split(',')[1]} (target {v['target']:g}: {'met' if v['met'] else 'missed'})"
      for k, v in summ["speedup_dtree"].items() if v is not None]
wr = [l["work_ratio"] for l in lose]
cr = [l["cost_ratio"] for l in lose]
print(f"- Wall clock at m = 2^20, d = 64: DTree over dense " + ("; ".join(sp) if sp else "not timed")
      + f"; time exponent {fmt(summ['exponents']['dtree'])} against the target 0.85. The DTree loses in {len(lose)} of "
      f"{len(ok)} configurations (at n = 64 in {sum(l['n'] == 64 for l in lose)} of {sum(c['n'] == 64 for c in ok)})"
      + ("" if not lose else
         f"; in those it counts from x{min(wr):.1f} to x{max(wr):.1f} fewer operations than dense"
         if min(wr) >= 1 else f"; in {sum(w < 1 for w in wr)} of those it counts more operations than dense")
      + ("" if not lose or min(wr) < 1 else
         f", but one counted operation (a gather, scatter or path write) costs x{min(cr):.0f} to x{max(cr):.0f} a "
         f"streamed BLAS multiply-add") + ".")
scan_wins = len(ok) - summ["dtree_faster_than_scan"]
print(f"- A linear scan of the maintained correlation matrix beats the DTree step in {scan_wins} of {len(ok)} "
      f"configurations; the fastest sparse step is the scan in {wins['scan']}, the DTree in {wins['dtree']}, the WTree "
      f"in {wins['wtree']}: " + ("the preprocessing of the inner products, not the tree search, is what pays on this CPU."
                                 if scan_wins > len(ok) / 2 else "the tree search pays on top of the preprocessing."))
""")

nb = nbf.v4.new_notebook()
nb.cells = cells
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nb.metadata["language_info"] = {"name": "python"}
nbf.write(nb, "book/training_with_trees.ipynb")
print("wrote book/training_with_trees.ipynb")
