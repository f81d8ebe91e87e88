"""The loss zoo: every objective × seeds × mixtures under one budget, scored as PacGAN scores.

``loss_zoo`` trains, for each objective and mixture, one ensemble of ``len(seeds)`` GANs
(``ganlib.train.train`` with ``seeds``: each member equals a ``train`` run with its seed) and
summarises the final evaluation of each member — ``modes``, ``hq``, ``rkl`` of
``ganlib.metrics.mode_stats`` — as mean and standard deviation over the seeds.

``benchmarks/quality.py`` runs it at publication size and writes
``benchmarks/results/quality.json``; the loss-zoo chapter renders that file with
``table_markdown`` and ``plot.zoo``, and can recompute it with the same call.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .runs import DEFAULTS
from .train import train
from .losses import names as _objective_names

DATASETS = ("ring8", "grid25")

# The shared budget: the book's reference networks and optimiser, the same for every objective.
BUDGET = {k: DEFAULTS[k] for k in ("steps", "batch_size", "betas", "latent_dim", "hidden", "depth",
                                   "n_eval")}

# Per-objective settings: the learning rate picked by ``benchmarks/quality.py --search`` (the
# same grid for every objective, see LR_GRID) and what an objective's paper prescribes
# (WGAN: 5 critic steps per generator step, clipping at 0.01; WGAN-GP: 5 critic steps, λ = 10).
LR_GRID = (1e-4, 3e-4, 1e-3)
SETTINGS: dict[str, dict] = {
    "minimax": dict(lr=3e-4),
    "nonsaturating": dict(lr=1e-3),
    "lsgan": dict(lr=1e-3),
    "bgan": dict(lr=3e-4),
    "softmax": dict(lr=1e-3),
    "wgan": dict(lr=1e-4, n_critic=5),
    "wgan-gp": dict(lr=3e-4, n_critic=5),
    "hinge": dict(lr=1e-3),
    "fgan": dict(lr=1e-3),
}

def _member(objective: str, settings: dict) -> dict:
    """``train``'s member dict for ``objective`` under ``settings`` (``lr`` for both players)."""
    s = dict(settings[objective])
    lr = s.pop("lr")
    return dict(objective=objective, lr_d=lr, lr_g=lr, **s)


def tuned(objective: str, lr: float | None = None, **objective_params) -> dict:
    """``train``'s keyword arguments for ``objective`` under the zoo's settings: its searched
    learning rate for both players (or ``lr`` when given), its critic steps, and any
    ``objective_params`` (e.g. LSGAN's a, b, c).  ``train(data=..., **tuned("wgan-gp"))``."""
    if objective not in SETTINGS:
        raise ValueError(f"tuned: unknown objective {objective!r}; valid: {', '.join(SETTINGS)}")
    member = _member(objective, SETTINGS)
    if lr is not None:
        member.update(lr_d=lr, lr_g=lr)
    return {**member, **objective_params}


def side_by_side(members: dict[str, dict], datasets: tuple[str, ...] = DATASETS,
                 **settings) -> dict[str, dict[str, object]]:
    """Train every labelled member on every mixture in one ``train`` call (stacked wherever
    the members' settings allow); returns ``{mixture: {label: Run}}``, as the chapters'
    figures take it.  ``members`` maps a label to a member dict (``objective``, its
    parameters, ``seed``, ``lr_d``, …; ``tuned(name)`` gives one), ``settings`` are ``train``'s
    arguments shared by all, e.g. ``side_by_side({"LSGAN": tuned("lsgan")}, steps=2000)``."""
    keys = [(data, label) for data in datasets for label in members]
    runs = train(members=[{**members[label], "data": data} for data, label in keys], **settings)
    out: dict[str, dict] = {data: {} for data in datasets}
    for (data, label), run in zip(keys, runs):
        out[data][label] = run
    return out


# PacGAN's Table 1 (Lin et al. 2018): means over 10 runs.
PACGAN_TABLE1 = {
    "GAN": {"ring8": dict(modes=6.3, hq=0.982, rkl=0.45), "grid25": dict(modes=17.3, hq=0.948, rkl=0.70)},
    "PacGAN4": {"ring8": dict(modes=7.8, hq=0.959, rkl=0.07), "grid25": dict(modes=24.8, hq=0.936, rkl=0.04)},
}


def _summary(stats: list[dict], seeds: list[int], seconds: float) -> dict:
    modes = np.array([s["modes"] for s in stats], dtype=float)
    hq = np.array([s["hq"] for s in stats])
    rkl = np.array([s["rkl"] for s in stats])
    finite = np.isfinite(rkl)
    return {
        "modes_mean": float(modes.mean()), "modes_std": float(modes.std()),
        "hq_mean": float(hq.mean()), "hq_std": float(hq.std()),
        # rKL is +inf for a run without a single HQ sample; JSON has no inf, so such a cell
        # reports the mean over the other seeds and counts them in "no_hq_seeds".
        "rkl_mean": float(rkl[finite].mean()) if finite.any() else None,
        "rkl_std": float(rkl[finite].std()) if finite.any() else None,
        "no_hq_seeds": int((~finite).sum()),
        "seeds": list(seeds),
        "per_seed": [{"modes": s["modes"], "hq": s["hq"],
                      "rkl": s["rkl"] if math.isfinite(s["rkl"]) else None} for s in stats],
        "seconds": seconds,
    }


FINGERPRINT_STEPS = 50


def fingerprint(objectives: list[str] | None = None, settings: dict | None = None,
                device=None, **budget) -> dict:
    """The first ``FINGERPRINT_STEPS`` steps of every objective's seed-0 ring8 zoo run (a
    prefix of the run ``loss_zoo`` trains: the draws of a step do not depend on the total):
    ``{objective: [last d_loss, last g_loss, sum of G's weights]}``.  ``loss_zoo`` stores it
    with its result; ``tests/test_compare.py`` recomputes it, so a committed comparison fails
    its test as soon as the code that trains it no longer gives the same runs."""
    objectives = list(objectives or _objective_names())
    settings = {**SETTINGS, **(settings or {})}
    budget = {**BUDGET, **budget, "steps": FINGERPRINT_STEPS, "n_eval": 16, "eval_every": None}
    runs = train(members=[{**_member(o, settings), "data": "ring8", "seed": 0} for o in objectives],
                 device=device, progress=False, **budget)
    return {o: [float(r.history["d_loss"][-1]), float(r.history["g_loss"][-1]),
                float(sum(p.detach().double().sum() for p in r.G.parameters()))]
            for o, r in zip(objectives, runs)}


def loss_zoo(objectives: list[str] | None = None, datasets: tuple[str, ...] = DATASETS, *,
             seeds: list[int] = (0, 1, 2, 3, 4), settings: dict | None = None,
             device=None, progress: bool = True, keep_runs: bool = False, **budget) -> dict:
    """Train every objective on every mixture with every seed; return the comparison.

    ``objectives`` defaults to ``losses.names()``; ``settings`` maps an objective to its
    ``lr`` (both players), ``n_critic`` and objective parameters (default: ``SETTINGS``);
    ``budget`` overrides ``BUDGET`` (``steps``, ``batch_size``, …).  Every cell trains in one
    ``train`` call (stacked as far as the objectives' settings allow).  Returns
    ``{"settings": …, "results": {objective: {mixture: summary}}}`` where a summary holds
    ``modes_mean``, ``modes_std``, ``hq_mean``, ``hq_std``, ``rkl_mean``, ``rkl_std`` (the
    standard deviation over the seeds, ddof = 0), ``no_hq_seeds``, ``seeds``, ``per_seed`` and
    ``seconds`` (of the stack the cell trained in), and ``fingerprint`` (see ``fingerprint``);
    with ``keep_runs`` also
    ``"runs": {objective: {mixture: [Run, …]}}``.
    """
    objectives = list(objectives or _objective_names())
    unknown = [o for o in objectives if o not in _objective_names()]
    if unknown:
        raise ValueError(f"loss_zoo: unknown objective(s) {unknown}; valid: {_objective_names()}")
    unknown = [d for d in datasets if d not in DATASETS]
    if unknown:
        raise ValueError(f"loss_zoo: unknown mixture(s) {unknown}; valid: {list(DATASETS)}")
    bad = sorted(set(budget) - set(BUDGET) - {"eval_every"})
    if bad:
        raise ValueError(f"loss_zoo: unknown budget setting(s) {bad}; valid: {sorted(BUDGET)}, eval_every")
    settings = {**SETTINGS, **(settings or {})}
    budget = {**BUDGET, **budget}
    # One train call for the whole zoo: members with equal optimiser settings share a stack.
    keys = [(objective, data, seed) for objective in objectives for data in datasets for seed in seeds]
    trained = train(members=[{**_member(objective, settings), "data": data, "seed": seed}
                             for objective, data, seed in keys],
                    device=device, progress=progress, **budget)
    by_cell: dict = {}
    for (objective, data, _), run in zip(keys, trained):
        by_cell.setdefault(objective, {}).setdefault(data, []).append(run)
    results = {o: {d: _summary([r.final_stats for r in members], list(seeds), members[0].seconds)
                   for d, members in by_data.items()} for o, by_data in by_cell.items()}
    runs = by_cell
    out = {"settings": {"budget": {k: list(v) if isinstance(v, tuple) else v for k, v in budget.items()},
                        "objectives": {o: settings[o] for o in objectives},
                        "seeds": list(seeds), "datasets": list(datasets)},
           "results": results,
           "fingerprint": fingerprint(objectives, settings, device, **{
               k: v for k, v in budget.items() if k not in ("steps", "n_eval", "eval_every")})}
    if keep_runs:
        out["runs"] = runs
    return out


def _cell(summary: dict, key: str, fmt: str, scale: float = 1.0) -> str:
    mean, std = summary[f"{key}_mean"], summary[f"{key}_std"]
    if mean is None:
        return "—"
    return f"{scale * mean:{fmt}} ± {scale * std:{fmt}}"


def table_markdown(result: dict, data: str, pacgan: bool = True) -> str:
    """A Markdown table of one mixture: objective | modes | HQ | rKL (mean ± std over seeds),
    best first (most modes, then highest HQ), with PacGAN's rows at the end."""
    K = {"ring8": 8, "grid25": 25}[data]
    rows = [(o, r[data]) for o, r in result["results"].items() if data in r]
    rows.sort(key=lambda item: (-item[1]["modes_mean"], -item[1]["hq_mean"]))
    lines = [f"| objective | modes (of {K}) | HQ (%) | rKL |", "|---|---|---|---|"]
    for objective, s in rows:
        rkl = _cell(s, "rkl", ".2f") + (f" ({s['no_hq_seeds']} without HQ)" if s["no_hq_seeds"] else "")
        lines.append(f"| {objective} | {_cell(s, 'modes', '.1f')} | {_cell(s, 'hq', '.1f', 100)} | {rkl} |")
    if pacgan:
        for name, table in PACGAN_TABLE1.items():
            t = table[data]
            lines.append(f"| *PacGAN's {name}* | {t['modes']} | {100 * t['hq']:.1f} | {t['rkl']:.2f} |")
    return "\n".join(lines)


def best(result: dict, data: str) -> str:
    """The objective with the most modes on ``data`` (ties: the highest HQ, then the lowest rKL)."""
    def key(o):
        s = result["results"][o][data]
        return (-s["modes_mean"], -s["hq_mean"], s["rkl_mean"] if s["rkl_mean"] is not None else math.inf)
    return min((o for o in result["results"] if data in result["results"][o]), key=key)
