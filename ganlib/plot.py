"""The book's figures: one message per figure, the same colour for the same
objective in every chapter, and the mixture means drawn under the samples.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .data import Mixture

# One colour per objective, used by every chapter (matplotlib's tab10 order).
COLORS = {
    "minimax": "#d62728",
    "nonsaturating": "#1f77b4",
    "lsgan": "#2ca02c",
    "bgan": "#9467bd",
    "softmax": "#8c564b",
    "wgan": "#e377c2",
    "wgan-gp": "#ff7f0e",
    "hinge": "#17becf",
}
# f-GAN runs are coloured by their divergence (the "fgan/<name>" keys).
COLORS.update({
    "fgan/kl": "#393b79", "fgan/reverse_kl": "#637939", "fgan/pearson": "#8c6d31",
    "fgan/neyman": "#843c39", "fgan/hellinger2": "#7b4173", "fgan/js": "#3182bd",
    "fgan/gan": "#1f77b4", "fgan/tv": "#e6550d", "fgan/alpha": "#31a354",
})
DATA_COLOR = "#7f7f7f"


def color(objective) -> str:
    """The book's colour for an objective: a registry name, or an ``Objective``
    (f-GAN objectives by their divergence); grey for a name it does not know."""
    if not isinstance(objective, str):
        name = objective.name
        if name == "fgan":
            name = f"fgan/{objective.params['divergence']}"
        objective = name
    return COLORS.get(objective, DATA_COLOR)


def _limits(mixture: Mixture) -> tuple[float, float]:
    lo, hi = float(mixture.means.min()), float(mixture.means.max())
    pad = 0.35 * (hi - lo) / 2 + 10 * mixture.std
    return lo - pad, hi + pad


def samples(ax, x, mixture: Mixture, title: str | None = None, c: str = "#1f77b4",
            s: float = 2.0) -> None:
    """Generated samples ``x`` ``[N, 2]`` over the mixture's means (open circles, drawn first)."""
    x = np.asarray(x)
    lo, hi = _limits(mixture)
    means = mixture.means.numpy()
    ax.scatter(means[:, 0], means[:, 1], s=60, facecolors="none", edgecolors=DATA_COLOR,
               linewidths=1.0, zorder=1)
    inside = np.all((x >= lo) & (x <= hi), axis=1)
    ax.scatter(x[inside, 0], x[inside, 1], s=s, c=c, alpha=0.35, linewidths=0, zorder=2)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    outside = int((~inside).sum())
    if outside:
        ax.text(0.02, 0.02, f"{outside} outside", transform=ax.transAxes, fontsize=7,
                color="0.4")


def snapshots(runs: dict, ncols: int = 6, size: float = 1.6):
    """Small multiples: one row per run (``{label: Run}``), samples at ``ncols`` times.

    The columns are evenly spaced over the stored snapshots, first and last included.
    """
    fig, axes = plt.subplots(len(runs), ncols, figsize=(size * ncols, size * len(runs) + 0.3),
                             squeeze=False)
    for row, (label, run) in zip(axes, runs.items()):
        steps = run.history["snapshot_step"]
        picks = np.unique(np.linspace(0, len(steps) - 1, ncols).round().astype(int))
        for ax, i in zip(row, picks):
            samples(ax, run.history["samples"][i], run.data, f"step {steps[i]:,}",
                    c=color(run.objective))
        for ax in row[len(picks):]:
            ax.axis("off")
        row[0].set_ylabel(label, fontsize=9)
    fig.tight_layout()
    return fig


def modes_over_training(ax, runs: dict) -> None:
    """Modes covered (at least one HQ sample) against the training step, one line per run."""
    for label, run in runs.items():
        modes = [s["modes"] for s in run.history["mode_stats"]]
        ax.plot(run.history["eval_step"], modes, label=label, color=color(run.objective),
                marker=".", lw=1.2)
    K = next(iter(runs.values())).data.n_modes
    ax.axhline(K, color=DATA_COLOR, lw=0.8, ls="--")
    ax.set_ylim(-0.3, K + 0.8)
    ax.set_xlabel("training step")
    ax.set_ylabel(f"modes covered (of {K})")
    ax.legend(fontsize=8, loc="lower right")


def mode_occupancy(ax, run, title: str | None = None):
    """Heat map: the share of the HQ samples that sit in each mode (rows) over time.

    These are the histograms q̂ behind ``rkl``.  A generator that covers every
    mode evenly shows K equal rows at 1/K; one that collapses and hops shows a
    bright cell that moves from row to row.  Columns with no HQ sample stay dark.
    """
    counts = np.stack(run.history["mode_counts"]).T.astype(float)  # [K, n_evals]
    total = counts.sum(axis=0, keepdims=True)
    share = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    steps = run.history["eval_step"]
    im = ax.imshow(share, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1,
                   extent=(steps[0], steps[-1], -0.5, share.shape[0] - 0.5),
                   interpolation="nearest")
    ax.set_xlabel("training step")
    ax.set_ylabel("mode k")
    if title:
        ax.set_title(title, fontsize=9)
    return im


def loss_curves(ax, runs: dict, which: str = "g_loss", smooth: int = 50) -> None:
    """A loss against the step for each run, smoothed by a running mean over ``smooth`` steps."""
    for label, run in runs.items():
        y = np.asarray(run.history[which], dtype=float)
        k = max(1, min(smooth, len(y)))
        ys = np.convolve(y, np.ones(k) / k, mode="valid")
        ax.plot(np.arange(k, len(y) + 1), ys, label=label, color=color(run.objective), lw=1)
    ax.set_xlabel("training step")
    ax.set_ylabel(which.replace("_", " "))
    ax.legend(fontsize=8)
