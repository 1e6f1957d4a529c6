"""The "Try it" panel of the chapter "Fire sets during training": m, b, eta, iterations, data set."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["run_panel", "training_panel"]


def run_panel(log2m: int = 12, b: float | None = None, safety: float = 1.0, T: int = 60, data: str = "synthetic",
              n: int = 16, seed: int = 0):
    """Train once and draw loss (with the predicted rate), fire counts and the union; returns the figure."""
    from firesets import TwoLayerReLU, paper_threshold
    from firesets.data import digits, synthetic
    from firesets.ntk import learning_rate, ntk_eigs, ntk_gram, predicted_loss
    from firesets.training import train

    m = 2 ** int(log2m)
    b = paper_threshold(m) if b is None else float(b)
    X, y = synthetic(n, 32, rng=seed) if data == "synthetic" else digits(n, center=(data == "digits (centered)"), rng=seed)
    H = ntk_gram(X, b)
    lam, lmax = ntk_eigs(H)
    eta = learning_rate(H, safety)
    net = TwoLayerReLU.init(m, X.shape[1], b=b, rng=seed + 1)
    _, L = train(net, X, y, eta, int(T))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    loss = L.loss
    axes[0].plot(np.where(loss > 0, loss, np.nan), lw=2, label="measured")
    if eta * lam <= 2:
        axes[0].plot(predicted_loss(loss[0], eta, lam, L.T), ls="--", color="k", label=r"$(1-\eta\lambda/2)^t L(0)$")
    axes[0].set_yscale("log")
    axes[0].set_title(f"loss; eta = {safety:g}/lambda_max = {eta:.3g}, lambda = {lam:.2e}", fontsize=9)
    axes[0].legend(fontsize=8)
    s = m * math.exp(-b * b / 2)
    axes[1].plot(L.k.max(axis=1) / s, lw=2, label="max_i k_{i,t}")
    axes[1].plot(L.k.mean(axis=1) / s, ls="--", label="mean_i k_{i,t}")
    axes[1].plot(L.envelope.max(axis=1) / s, ls=":", label="envelope")
    axes[1].set_title(f"fire counts / (m e^(-b^2/2)), m = {m}, b = {b:.2f}", fontsize=9)
    axes[1].legend(fontsize=8)
    axes[2].plot(L.union / m, lw=2, label="|union| / m")
    axes[2].plot(L.movement, ls="--", label="movement ||W(t)-W(0)||_{inf,2}")
    axes[2].set_yscale("log")
    axes[2].set_title(f"union of fire sets and movement; D = {L.claim_a1_bound(lam):.3g}" if lam > 0 else "union",
                      fontsize=9)
    axes[2].legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("iteration t")
    return fig


def training_panel():
    """An ipywidgets panel over :func:`run_panel` (sliders update on release); returns the panel to display."""
    import ipywidgets as w

    from firesets import paper_threshold

    log2m = w.IntSlider(value=12, min=6, max=16, description="log2 m", continuous_update=False)
    b = w.FloatSlider(value=round(paper_threshold(2 ** 12), 2), min=0.0, max=3.0, step=0.05, description="b",
                      continuous_update=False)
    paper_b = w.Checkbox(value=True, description="b = sqrt(0.4 ln m)")
    safety = w.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1, description="eta x lam_max",
                           continuous_update=False)
    T = w.IntSlider(value=60, min=1, max=300, description="iterations", continuous_update=False)
    data = w.Dropdown(options=["synthetic", "digits", "digits (centered)"], value="synthetic", description="data")
    out = w.Output()

    busy = [False]

    def redraw(*_):
        if busy[0]:
            return
        busy[0] = True
        try:
            b.disabled = paper_b.value
            if paper_b.value:  # show the paper's threshold on the (disabled) slider
                b.value = round(paper_threshold(2 ** log2m.value), 2)
            with out:
                out.clear_output(wait=True)
                run_panel(log2m.value, None if paper_b.value else b.value, safety.value, T.value, data.value)
                plt.show()
        finally:
            busy[0] = False

    for c in (log2m, b, paper_b, safety, T, data):
        c.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([log2m, b, paper_b]), w.HBox([safety, T, data]), out])
