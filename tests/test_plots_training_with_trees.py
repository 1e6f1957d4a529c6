"""Figures of the chapter, checked by what they draw: the data of the lines, bars and points against the inputs,
the axis scales and titles, and one new figure when no ``ax`` is given."""
import matplotlib

matplotlib.use("Agg")

import copy  # noqa: E402
import math  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from firesets import bench  # noqa: E402
from firesets.analysis import training_with_trees as ba  # noqa: E402
from firesets.plots import training_with_trees as pf  # noqa: E402


from _plot_helpers import _close_figures, _find_line, _hlines, _new_figures, _vlines, _ydata  # noqa: E402,F401


# --------------------------------------------------------------------------------------------- fasttrain
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench_tiny.json"
    assert bench.main(["--tiny", "--out", str(out), "--no-progress"]) == 0
    return ba.load(out)


def _grid(tiny):
    spec = bench.GRIDS["tiny"]
    return sorted(spec["m"]), sorted(spec["n"]), sorted(spec["d"])


def test_plot_time_vs_m_tiny(tiny):
    ms, ns, (d,) = _grid(tiny)
    (fig, slopes), new = _new_figures(pf.plot_time_vs_m, tiny, d=d)
    assert new == {fig.number}
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(ns)
    for ax, n in zip(axes, ns):
        assert ax.get_title() == f"$n = {n}$, $d = {d}$"
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        for name in ba.CONTENDERS:
            ts = [c["median_seconds"][name] * 1e3 for c in sorted(tiny["configs"], key=lambda c: c["m"])
                  if c["n"] == n and c["d"] == d]
            line = _find_line(ax, ts)
            assert line is not None and line.get_label() == pf.LABELS[name]  # no slope: below FIT_MIN_M
            np.testing.assert_array_equal(line.get_xdata(), ms)
        assert _vlines(ax) == [ba.FIT_MIN_M]
    assert slopes == {(n, name): None for n in ns for name in ba.CONTENDERS}


def test_plot_time_vs_m_exact_power_laws():
    # three n (one panel hidden), exact power laws above FIT_MIN_M: the slopes in the legend are the exponents
    alpha = {"dense": 1.0, "scan": 0.9, "dtree": 0.6, "wtree": 0.7}
    confs = []
    for n in (1, 2, 4):
        for k in range(15, 20):
            m = 2**k
            confs.append({"m": m, "n": n, "d": 8, "status": "ok",
                          "median_seconds": {c: 1e-9 * n * m**a for c, a in alpha.items()}})
    confs.append({"m": 2**20, "n": 1, "d": 8, "status": "skipped"})
    fig, slopes = pf.plot_time_vs_m({"configs": confs}, d=8)
    assert len(fig.axes) == 4 and sum(ax.get_visible() for ax in fig.axes) == 3
    for (n, name), s in slopes.items():
        assert s == pytest.approx(alpha[name], abs=1e-9)
    ax = fig.axes[0]
    assert {line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")} == {
        f"{pf.LABELS[c]}, slope {a:.2f}" for c, a in alpha.items()}
    assert len(ax.get_lines()[0].get_xdata()) == 5  # the skipped m = 2^20 is not drawn


def test_plot_crossover(tiny):
    ms, ns, (d,) = _grid(tiny)
    data = copy.deepcopy(tiny)
    skipped = next(c for c in data["configs"] if c["m"] == ms[-1] and c["n"] == ns[-1])
    skipped["status"] = "skipped"
    fig, new = _new_figures(pf.plot_crossover, data, "wtree")
    assert new == {fig.number}
    ax = fig.axes[0]
    img = np.ma.filled(ax.get_images()[0].get_array().astype(float), np.nan)
    for c in data["configs"]:
        v = img[ns.index(c["n"]), ms.index(c["m"])]
        if c["status"] == "ok":
            assert v == pytest.approx(math.log2(c["ratio_vs_dense"]["wtree"]))
        else:
            assert np.isnan(v)
    assert sorted(t.get_text() for t in ax.texts).count("x") == 1
    assert ax.get_title() == f"dense (BLAS) time / WTree (Alg. 9) time, $d = {d}$"
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(n) for n in ns]
    assert len(fig.axes) == 2  # the panel and its colour bar


def test_plot_phases(tiny):
    ms, ns, (d,) = _grid(tiny)
    m = ms[-1]
    fig, new = _new_figures(pf.plot_phases, tiny, m, d=d)
    assert new == {fig.number}
    assert len(fig.axes) == len(ns)
    conts = ("scan", "dtree", "wtree")
    for ax, n in zip(fig.axes, ns):
        c = next(c for c in tiny["configs"] if c["m"] == m and c["n"] == n)
        bars = ax.patches
        assert len(bars) == 1 + len(conts) * len(pf.PHASES)
        assert bars[0].get_width() == pytest.approx(c["median_seconds"]["dense"] * 1e3)
        for j, name in enumerate(conts):
            stack = bars[1 + 3 * j: 4 + 3 * j]
            assert [b.get_width() for b in stack] == pytest.approx([c["phases"][name][p] * 1e3 for p in pf.PHASES])
            assert stack[-1].get_x() + stack[-1].get_width() == pytest.approx(sum(c["phases"][name].values()) * 1e3)
        assert ax.get_title(loc="left") == f"$n = {n}$" and ax.get_xscale() == "linear"
        assert [t.get_text() for t in ax.get_yticklabels()] == [pf.label_of(k) for k in ("dense",) + conts]
    assert fig._suptitle.get_text() == f"phase breakdown at $m = 2^{{{int(math.log2(m))}}}$, $d = {d}$"


def test_plot_theorem41(tiny):
    ms, ns, (d,) = _grid(tiny)
    (fig, consts), new = _new_figures(pf.plot_theorem41, tiny, d=d)
    assert new == {fig.number}
    assert set(consts) == {(m, n) for m in ms for n in ns}
    ax0, ax1 = fig.axes
    for c in tiny["configs"]:
        k = c["counts"]["dtree"]
        total = k["nodes_visited"] + d * k["inner_products"] + k["nodes_written"] + d * k["fire_pairs"]
        assert consts[(c["m"], c["n"])] == pytest.approx(total / (c["m"] ** 0.8 * c["n"] ** 2 * d))
    for n in ns:
        rows = sorted((c["m"], c) for c in tiny["configs"] if c["n"] == n)
        tot = [ba.theorem41_work(c)["total"] for _, c in rows]
        bound = [mm**0.8 * n**2 * d for mm, _ in rows]
        assert _find_line(ax0, tot).get_label() == f"measured, $n = {n}$"
        assert _find_line(ax0, bound) is not None
        assert _find_line(ax1, np.array(tot) / np.array(bound)).get_label() == f"$n = {n}$"
    assert ax0.get_xscale() == ax0.get_yscale() == "log" and ax1.get_xscale() == "log"
    assert ax1.get_yscale() == "linear"


def test_plot_live(tiny):
    conf = tiny["configs"][0]
    ax, new = _new_figures(pf.plot_live, conf)
    assert len(new) == 1
    assert [b.get_height() for b in ax.patches] == pytest.approx([conf["median_seconds"][k] * 1e3
                                                                  for k in ba.CONTENDERS])
    assert [t.get_text() for t in ax.get_xticklabels()] == [pf.LABELS[k] for k in ba.CONTENDERS]
    assert [t.get_text() for t in ax.texts] == [f"x{conf['ratio_vs_dense'][k]:.1f}" for k in ba.CONTENDERS]
    # a live_time-like result with an unknown contender and a different order: CONTENDERS first, then the rest
    res = {"median_seconds": {"extra": 0.004, "dtree": 0.001, "dense": 0.002},
           "ratio_vs_dense": {"extra": 0.5, "dtree": 2.0, "dense": 1.0}}
    _, ax2 = plt.subplots()
    out, new = _new_figures(pf.plot_live, res, ax=ax2)
    assert out is ax2 and not new
    assert [b.get_height() for b in ax2.patches] == pytest.approx([2.0, 1.0, 4.0])
    assert [t.get_text() for t in ax2.get_xticklabels()] == ["dense (BLAS)", "DTree (Alg. 8)", "extra"]


@pytest.mark.filterwarnings("ignore:No artists with labels:UserWarning")
def test_fasttrain_plots_without_timed_configurations(tiny):
    # the tiny grid has no d = 64 (the default) and no m = 2^20: empty figures, no exception
    (fig, slopes), new = _new_figures(pf.plot_time_vs_m, tiny)
    assert new == {fig.number} and slopes == {} and not any(ax.get_visible() for ax in fig.axes)
    fig, consts = pf.plot_theorem41(tiny)
    assert consts == {} and all(not ax.get_lines() for ax in fig.axes)
    fig = pf.plot_phases(tiny, 2**20, d=4)
    assert len(fig.axes) == 1 and not fig.axes[0].patches
    fig = pf.plot_crossover(tiny, "dtree", ds=[64])
    img = fig.axes[0].get_images()[0].get_array()
    assert np.all(np.ma.getmaskarray(img) | np.isnan(np.ma.filled(img, np.nan)))
    assert {t.get_text() for t in fig.axes[0].texts} == {"x"}


def test_plot_crossover_against_a_baseline(tiny):
    ms, ns, (d,) = _grid(tiny)
    fig = pf.plot_crossover(tiny, "dtree", baseline="scan")
    img = np.ma.filled(fig.axes[0].get_images()[0].get_array().astype(float), np.nan)
    for c in tiny["configs"]:
        t = c["median_seconds"]
        assert img[ns.index(c["n"]), ms.index(c["m"])] == pytest.approx(math.log2(t["scan"] / t["dtree"]))
    assert fig.axes[0].get_title() == f"matrix + scan time / DTree (Alg. 8) time, $d = {d}$"


def _search_data(n=2, d=8, A=3.0, alpha=0.75, c_v=10.0, c_e=1.0):
    confs = []
    for k in range(16, 22):
        m = 2**k
        visits = A * m**alpha
        q_t, q_s = 1e-9 * c_v * visits, 1e-9 * c_e * m * n
        confs.append({"m": m, "n": n, "d": d, "status": "ok",
                      "median_seconds": {"dense": 1.0, "scan": q_s + 2e-3, "dtree": q_t + 2e-3},
                      "ratio_vs_dense": {"dense": 1.0, "scan": 1.0, "dtree": 1.0},
                      "counts": {"scan": {"entries_scanned": m * n}, "dtree": {"nodes_visited": visits}},
                      "phases": {"scan": {"query": q_s, "forward_backward": 1e-3, "update": 1e-3},
                                 "dtree": {"query": q_t, "forward_backward": 1e-3, "update": 1e-3}}})
    return {"configs": confs}


def test_plot_search_vs_scan_lines_and_model():
    data = _search_data()
    fig, x = pf.plot_search_vs_scan(data, 2, 8)
    top, bottom = fig.axes
    assert _find_line(top, [10.0] * 6) is not None and _find_line(top, [1.0] * 6) is not None
    ms = np.array([2.0**k for k in range(16, 22)])
    assert _find_line(bottom, 1e-6 * 10.0 * 3.0 * ms**0.75) is not None
    assert _find_line(bottom, 1e-6 * 1.0 * 2 * ms) is not None
    m_q = (3.0 * 10.0 / 2.0) ** (1 / 0.25)
    assert x["m_query"] == pytest.approx(m_q)
    assert _vlines(bottom) == [pytest.approx(m_q)]


def test_draw_counts_frame_bars_match_step_counts():
    fig = pf.draw_counts_frame(2**10, 1.0, n=3, d=5)
    assert tuple(fig.get_size_inches()) == (7, 3.6)
    ax = fig.axes[0]
    sc = ba.step_counts(2**10, 1.0, n=3, d=5)
    dense = 2.0 * 2**10 * 3 * 5
    widths = [b.get_width() for b in ax.patches]
    expect = [sc[k][p] / dense for k in ("dense", "scan", "dtree") for p in ("query", "update", "gradient")]
    assert widths == pytest.approx(expect)
    assert f"{sc['fire_pairs']} firing pairs" in ax.get_title()
    plt.close(fig)


def test_label_of_unknown_contender():
    assert pf.label_of("dtree") == "DTree (Alg. 8)" and pf.label_of("scan_numba") == "scan_numba"
