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


def final_samples(rows: dict[str, dict], size: float = 1.6, generator: str | dict = "G"):
    """Small multiples of the last samples: one row per ``rows`` key (e.g. "without R1",
    "with R1"), one column per run of its ``{label: Run}``, of the raw ``"G"`` or the
    averaged ``"G_ema"`` (one for every row, or ``{row: generator}``)."""
    ncols = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(len(rows), ncols, figsize=(size * ncols, size * len(rows) + 0.3),
                             squeeze=False)
    for ax_row, (row_label, runs) in zip(axes, rows.items()):
        which = generator[row_label] if isinstance(generator, dict) else generator
        key = "ema_samples" if which == "G_ema" else "samples"
        for ax, (label, run) in zip(ax_row, runs.items()):
            samples(ax, run.history[key][-1], run.data, label, c=color(run.objective))
        for ax in ax_row[len(runs):]:
            ax.axis("off")
        ax_row[0].set_ylabel(row_label, fontsize=9)
    fig.tight_layout()
    return fig


def _styles(runs: dict) -> list[tuple[str, str]]:
    """(colour, line style) per run: the objective's colour; a second run of one objective
    in the same figure gets a dashed line, a third a dotted one — unless every run is of one
    objective, when each gets its own colour."""
    if len({color(run.objective) for run in runs.values()}) == 1 < len(runs):
        # one objective in several settings (a chapter's runs): one colour per run
        return [(plt.cm.tab10(i), "-") for i in range(len(runs))]
    seen: dict[str, int] = {}
    out = []
    for run in runs.values():
        c = color(run.objective)
        out.append((c, ("-", "--", ":", "-.")[seen.get(c, 0) % 4]))
        seen[c] = seen.get(c, 0) + 1
    return out


def modes_over_training(ax, runs: dict, generator: dict[str, str] | None = None) -> None:
    """Modes covered (at least one HQ sample) against the training step, one line per run, of
    the raw G, or of ``generator[label]`` (``"G"`` or ``"G_ema"``) where given."""
    for (label, run), (c, ls) in zip(runs.items(), _styles(runs)):
        key = "ema_mode_stats" if (generator or {}).get(label) == "G_ema" else "mode_stats"
        modes = [s["modes"] for s in run.history[key]]
        ax.plot(run.history["eval_step"], modes, label=label, color=c, ls=ls, marker=".", lw=1.2)
    K = next(iter(runs.values())).data.n_modes
    ax.axhline(K, color=DATA_COLOR, lw=0.8, ls="--")
    ax.set_ylim(-0.3, K + 0.8)
    ax.set_xlabel("training step")
    ax.set_ylabel(f"modes covered (of {K})")
    ax.legend(fontsize=8, loc="lower right")


def per_mixture(runs: dict, draw, title: str = "{data}", figsize=(10, 3.3)):
    """One panel per mixture, side by side: ``draw(ax, runs[data])`` for each key of ``runs``
    (``{data: {label: run}}``), titled ``title.format(data=data)``.  The panels share one
    legend, below them and off the data (the panels' own legends are removed).  Returns the
    figure."""
    fig, axes = plt.subplots(1, len(runs), figsize=figsize, squeeze=False)
    for ax, (data, by_label) in zip(axes[0], runs.items()):
        draw(ax, by_label)
        ax.set_title(title.format(data=data), fontsize=10)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    for ax in axes[0]:
        if ax.get_legend() is not None:
            ax.get_legend().remove()
    fig.tight_layout()
    if handles:
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=min(len(labels), 4), fontsize=8, frameon=False)
    return fig


def mode_occupancy(ax, history: dict, title: str | None = None, hops: list | None = None):
    """Heat map: the share of the HQ samples that sit in each mode (rows) over time.

    ``history`` holds ``eval_step`` and ``mode_counts`` (a ``Run.history`` or a
    ``Run.mode_record()``).  These are the histograms q̂ behind ``rkl``.  A generator that
    covers every mode evenly shows K equal rows at 1/K; one that collapses and hops shows a
    bright cell that moves from row to row.  Columns with no HQ sample stay dark.
    ``hops`` (from ``metrics.mode_hops``) are marked with a red ring on the mode reached.
    """
    counts = np.stack(history["mode_counts"]).T.astype(float)  # [K, n_evals]
    total = counts.sum(axis=0, keepdims=True)
    share = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    steps = history["eval_step"]
    half = (steps[-1] - steps[0]) / max(len(steps) - 1, 1) / 2   # column k is centred on steps[k]
    im = ax.imshow(share, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1,
                   extent=(steps[0] - half, steps[-1] + half, -0.5, share.shape[0] - 0.5),
                   interpolation="nearest")
    if hops:
        limits = ax.get_xlim(), ax.get_ylim()
        ax.scatter([steps[u] for _, u, _, _ in hops], [b for _, _, _, b in hops], s=30,
                   facecolors="none", edgecolors="tab:red", linewidths=1.2)
        ax.set_xlim(limits[0]), ax.set_ylim(limits[1])
    ax.set_xlabel("training step")
    ax.set_ylabel("mode k")
    if title:
        ax.set_title(title, fontsize=9)
    return im


def loss_curves(ax, runs: dict, which: str = "g_loss", smooth: int = 50) -> None:
    """A loss against the step for each run, smoothed by a running mean over ``smooth`` steps."""
    for (label, run), (c, ls) in zip(runs.items(), _styles(runs)):
        y = np.asarray(run.history[which], dtype=float)
        k = max(1, min(smooth, len(y)))
        ys = np.convolve(y, np.ones(k) / k, mode="valid")
        ax.plot(np.arange(k, len(y) + 1), ys, label=label, color=c, ls=ls, lw=1)
    ax.set_xlabel("training step")
    ax.set_ylabel({"d_loss": "discriminator loss", "g_loss": "generator loss"}.get(
        which, which.replace("_", " ")))
    ax.legend(fontsize=8)


def final_table(runs: dict, label: str = "objective") -> str:
    """A Markdown table of the last evaluation of each run, ``{mixture: {label: Run}}``:
    data | label | modes | HQ | rKL."""
    lines = [f"| data | {label} | modes | HQ | rKL |", "|---|---|---|---|---|"]
    for data, by_label in runs.items():
        for name, run in by_label.items():
            s = run.final_stats
            lines.append(f"| {data} | {name} | {s['modes']} / {run.data.n_modes} | "
                         f"{100 * s['hq']:.1f} % | {s['rkl']:.2f} |")
    return "\n".join(lines)


def digit_grid(ax, x, nrow: int = 10, title: str | None = None) -> None:
    """Digits ``[N, 64]`` in [-1, 1] as an ``nrow`` × ``N/nrow`` grid of 8×8 images (ink dark)."""
    x = np.asarray(x)[: nrow * (len(x) // nrow)].reshape(nrow, -1, 8, 8)
    rows = [np.concatenate(list(np.pad(r, ((0, 0), (1, 1), (1, 1)), constant_values=-1)), axis=1)
            for r in x]
    ax.imshow(np.concatenate(rows, axis=0), cmap="gray_r", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


ROW_STYLES = {"recipe": dict(color="#7f7f7f", label="its recipe"),
              "R1": dict(color="#1f77b4", label="with R1")}


def zoo_curves(result: dict, data: str, ncols: int = 3):
    """The two-row zoo's curves for one mixture as small multiples: one panel per objective,
    its recipe (grey) and its R1 row (blue); the line is the seed mean of the score
    (``zoo.score``: modes/K + HQ − rKL/log K, at most 2) of the generator the table reports,
    the band the seeds' range (min to max).  A panel's title names the curves still rising (↗) or
    falling (↘) over the last quarter (``zoo.drift``)."""
    from .zoo import _moving, book_name, in_book_order
    objectives = list(dict.fromkeys(c["objective"] for c in in_book_order(result["cells"].values())))
    nrows = -(-len(objectives) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.3 * nrows), sharex=True,
                             sharey=True, squeeze=False)
    low = 0.0
    for ax, objective in zip(axes.flat, objectives):
        moving = []
        for row, style in ROW_STYLES.items():
            cell = result["cells"].get(f"{objective} / {row}")
            if cell is None:
                continue
            s = cell[data]
            curves = np.array(s["score_curves"]["G_ema" if s["ema"] else "G"])
            step = s["curves"]["raw"]["step"]
            low = min(low, float(curves.min()))
            ax.fill_between(step, curves.min(axis=0), curves.max(axis=0), color=style["color"],
                            alpha=0.2, lw=0)
            ax.plot(step, curves.mean(axis=0), lw=1.4, **style)
            if not s["flat"]:
                moving.append(row + _moving(s))
        ax.set_title(book_name(objective) + (f"  ({', '.join(moving)})" if moving else ""),
                     fontsize=9)
        ax.grid(lw=0.3)
    axes.flat[0].set_ylim(min(-0.05, low - 0.05), 2.05)      # shared: the score lies in [-1, 2]
    for ax in axes.flat[len(objectives):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("generator step")
    for ax in axes[:, 0]:
        ax.set_ylabel("score (max 2)")
    axes.flat[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{data}: seed mean and range of the score over training", fontsize=10)
    fig.tight_layout()
    return fig
