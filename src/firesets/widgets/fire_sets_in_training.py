"""The "Try it" panels of the chapter "Fire sets during training": m, b, eta (and, live, iterations and data).

:func:`draw` and :func:`frames` build the kernel-free panel of precomputed training runs shown in the book
(:func:`firesets.widgets.frames.frame_panel`); :func:`run_panel` / :func:`training_panel` are the live panel kept
for ``make lab``.
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["run_panel", "training_panel", "draw", "frames", "LOG2M", "B_FACTORS", "ETA_FACTORS"]

#: the frame grid: widths, thresholds as multiples of sqrt(0.4 ln m), step sizes as multiples of 1/lambda_max
LOG2M = (8, 10, 12, 14)
B_FACTORS = (0.75, 1.0, 1.25)
ETA_FACTORS = (1.0, 2.5)


def draw(m: int, b_factor: float = 1.0, eta_factor: float = 1.0, T: int = 60, n: int = 16, d: int = 32,
         seed: int = 0):
    """One frame: train 2NN(m, b) on ``n`` random unit inputs for ``T`` steps at ``eta = eta_factor/lambda_max``
    with ``b = b_factor sqrt(0.4 ln m)``; left the loss against the rate ``(1 - eta lambda/2)^t`` of Claim A.1's
    hypothesis, right ``max_i k_{i,t}``, ``mean_i k_{i,t}`` and the proof's envelope over ``m e^{-b^2/2}``."""
    from firesets import TwoLayerReLU, paper_threshold
    from firesets.data import synthetic
    from firesets.ntk import learning_rate, ntk_eigs, ntk_gram, predicted_loss
    from firesets.training import train

    b = b_factor * paper_threshold(m)
    X, y = synthetic(n, d, rng=seed)
    H = ntk_gram(X, b)
    lam, _ = ntk_eigs(H)
    eta = learning_rate(H, eta_factor)
    _, L = train(TwoLayerReLU.init(m, d, b=b, rng=seed + 1), X, y, eta, T)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(7, 3.6))
    t = np.arange(L.T + 1)
    a0.plot(t, np.where(L.loss > 0, L.loss, np.nan), lw=2, label="measured")
    if eta * lam <= 2:
        a0.plot(t, predicted_loss(L.loss[0], eta, lam, L.T), ls="--", color="k",
                label=r"$(1-\eta\lambda/2)^t L(0)$")
    a0.set_yscale("log")
    a0.set_xlabel("iteration $t$")
    a0.set_title(rf"loss, $\eta = {eta_factor:g}/\lambda_{{\max}}$", fontsize=10)
    a0.legend(fontsize=7)
    s = m * math.exp(-b * b / 2)
    a1.plot(t, L.k.max(axis=1) / s, lw=2, label=r"$\max_i k_{i,t}$")
    a1.plot(t, L.k.mean(axis=1) / s, ls="--", label=r"mean$_i\, k_{i,t}$")
    a1.plot(t, L.envelope.max(axis=1) / s, ls=":", label="envelope")
    a1.set_ylim(0, None)
    a1.set_xlabel("iteration $t$")
    a1.set_title(rf"$k_{{i,t}} / (m e^{{-b^2/2}})$, $m = 2^{{{int(round(math.log2(m)))}}}$, $b = {b:.2f}$",
                 fontsize=10)
    a1.legend(fontsize=7)
    fig.tight_layout()
    return fig


def frames(log2m=LOG2M, b_factors=B_FACTORS, eta_factors=ETA_FACTORS, T: int = 60):
    """The book's panel: :func:`draw` precomputed over the grid (``len(log2m) * len(b_factors) *
    len(eta_factors)`` training runs)."""
    from .frames import frame_panel, log2_label

    grid = {"m": [2 ** int(j) for j in log2m], "b_factor": list(b_factors), "eta_factor": list(eta_factors)}
    start = {"m": 2**12 if 2**12 in grid["m"] else grid["m"][0],
             "b_factor": 1.0 if 1.0 in grid["b_factor"] else grid["b_factor"][0],
             "eta_factor": 1.0 if 1.0 in grid["eta_factor"] else grid["eta_factor"][0]}
    return frame_panel(
        lambda m, b_factor, eta_factor: draw(m, b_factor, eta_factor, T=T),
        grid,
        labels={"m": log2_label, "b_factor": lambda v: "paper" if v == 1.0 else f"{v:g} x paper",
                "eta_factor": lambda v: f"{v:g} / lambda_max"},
        descriptions={"m": "width $m$", "b_factor": r"threshold $b$ / $\sqrt{0.4 \ln m}$",
                      "eta_factor": r"step $\eta \cdot \lambda_{\max}$"},
        value=start,
    )


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
    axes[0].set_title(rf"loss; $\eta = {safety:g}/\lambda_{{\max}} = {eta:.3g}$, $\lambda = {lam:.2e}$", fontsize=9)
    axes[0].legend(fontsize=8)
    s = m * math.exp(-b * b / 2)
    axes[1].plot(L.k.max(axis=1) / s, lw=2, label=r"$\max_i k_{i,t}$")
    axes[1].plot(L.k.mean(axis=1) / s, ls="--", label=r"mean$_i\, k_{i,t}$")
    axes[1].plot(L.envelope.max(axis=1) / s, ls=":", label="envelope")
    axes[1].set_title(rf"fire counts / $(m e^{{-b^2/2}})$, $m = {m}$, $b = {b:.2f}$", fontsize=9)
    axes[1].legend(fontsize=8)
    axes[2].plot(L.union / m, lw=2, label=r"$|\cup_i S_{i,\mathrm{fire}}| / m$")
    axes[2].plot(L.movement, ls="--", label=r"movement $\|W(t)-W(0)\|_{\infty,2}$")
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
