"""Every figure of the SGD chapter draws from the quick sweep files (hand-checked contents)."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from firesets.bench import sgd as bench_sgd  # noqa: E402
from firesets.analysis.sgd_halfspace import load_all  # noqa: E402
from firesets.plots import sgd_halfspace as ps  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    out = tmp_path_factory.mktemp("sgdp")
    bench_sgd.main(["--quick", "--out-dir", str(out), "--no-progress"])
    return load_all(out, prefix="sgd_quick_")


def test_query_work_plots_every_dimension(data):
    fig = ps.plot_query_work(data["query"])
    ds = sorted({c["d"] for c in data["query"]["configs"]})
    a1 = fig.axes[0]
    assert len(a1.lines) == len(ds) + 1  # one line per d and the m reference
    c = [c for c in data["query"]["configs"] if c["d"] == ds[0]]
    y0 = c[0]["per_query"]["nodes_visited"] + c[0]["per_query"]["tests_failed"]
    assert np.isclose(a1.lines[0].get_ydata()[0], y0)
    plt.close(fig)


def test_step_times_and_crossover(data):
    fig = ps.plot_step_times(data["step"], B=1)
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) >= 3
    plt.close(fig)
    fig = ps.plot_crossover(data["step"])
    n_cells = len(data["step"]["configs"])
    assert len(fig.axes[0].patches) == n_cells
    plt.close(fig)


def test_fired_update_convergence(data):
    fig = ps.plot_fired(data["fired"])
    assert len(fig.axes) == 2
    line = fig.axes[0].lines[0]
    r = data["fired"]["stream"][0]
    assert np.allclose(line.get_ydata(), np.array(r["k_max_per_step"]) / r["m"] ** 0.8)
    plt.close(fig)
    fig = ps.plot_update(data["update"])
    assert len(fig.axes[0].lines) == len(data["update"]["settings"]["variants"]) + 1
    plt.close(fig)
    fig = ps.plot_convergence(data["convergence"])
    assert len(fig.axes[0].lines) == len(data["convergence"]["by_M"])
    plt.close(fig)
