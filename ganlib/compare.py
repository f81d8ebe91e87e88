"""The loss zoo: every objective × seeds × mixtures, each with its own recipe, scored as PacGAN
scores.

* ``RECIPES``: each objective's optimiser settings as its paper or its authors' code gives them,
  with the source of every number; ``VARIANTS`` / ``variant``: the same four variants of every
  recipe, which ``benchmarks/quality.py --search`` tries; ``CHOICE``: the variant and generator
  (raw or averaged) the search chose; ``settings_of``: what the zoo trains an objective with.
* ``loss_zoo`` trains every objective × mixture × seed (``ganlib.train.train`` with
  ``members``: each member equals a ``train`` run with its settings and seed) and summarises
  the final evaluation — ``modes``, ``hq``, ``rkl`` of ``ganlib.metrics.mode_stats`` — as mean
  and standard deviation over the seeds, with the curves of both generators over training.
* ``score``: the one number the search ranks by.

``benchmarks/quality.py`` runs it at publication size and writes
``benchmarks/results/quality.json``; the loss-zoo chapter renders that file with
``table_markdown``, ``plot.zoo`` and ``plot.convergence``, and can recompute it with the same
call.
"""

from __future__ import annotations

import math

import numpy as np

from . import fingerprint
from .metrics import players_at
from .runs import DEFAULTS
from .train import train
from .losses import names as _objective_names

DATASETS = ("ring8", "grid25")

# The budget every objective trains under: the book's reference networks (G 2 → 128 → 128 → 2,
# D 2 → 128 → 128 → 1), batch 256, and ``steps`` generator steps; scored on 2,500 samples.
BUDGET = {k: DEFAULTS[k] for k in ("steps", "batch_size", "latent_dim", "hidden", "depth", "n_eval")}
BUDGET["steps"] = 10_000
G_EMA = 0.999          # the decay of the averaged generator every zoo run keeps beside G

# Each objective's own recipe: the optimiser its paper or its authors' code uses, with the
# source of every number.  Batch size and networks are the budget's, the same for everyone.
RECIPES: dict[str, dict] = {
    "minimax": dict(
        settings=dict(optimizer="adam", lr_d=1e-4, lr_g=1e-3, betas=(0.5, 0.999)),
        source="the unrolled-GAN demo's 2-D GAN (Metz et al. 2017; poolio/unrolled_gan, whose G "
               "minimises the negated saddle loss: the minimax objective), which GDPP's code "
               "(Elfeki et al. 2019) repeats: Adam, D 1e-4, G 1e-3, β₁ = 0.5. Goodfellow et al. "
               "(2014) report no 2-D experiment."),
    "nonsaturating": dict(
        settings=dict(optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.8, 0.999)),
        source="PacGAN's 2-D GAN set-up (Lin et al. 2018, Table 1; fjxmlzn/PacGAN, its mixture "
               "configs): Adam, learning rate 1e-4, β₁ = 0.8."),
    "lsgan": dict(
        settings=dict(optimizer="adam", lr_d=1e-4, lr_g=1e-3, betas=(0.5, 0.999), a=0.0, b=1.0,
                      c=1.0),
        source="LSGAN's own Gaussian-mixture code (Mao et al. 2017; "
               "stability_comparison/mixture_gaussian/ls.py): Adam, D 1e-4, G 1e-3, β₁ = 0.5, "
               "labels a = 0, b = 1, c = 1."),
    "bgan": dict(
        settings=dict(optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.5, 0.999)),
        source="the BGAN authors' code (Hjelm et al. 2018; rdevon/BGAN): Adam, learning rate "
               "1e-4, β₁ = 0.5, one D step per G step (it has no 2-D experiment)."),
    "softmax": dict(
        settings=dict(optimizer="adam", lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.999)),
        source="DCGAN's Adam (Radford et al. 2016: learning rate 2e-4, β₁ = 0.5): Softmax GAN "
               "(Lin 2017) builds on DCGAN and states no optimiser of its own; the seed notes' "
               "code uses these numbers."),
    "wgan": dict(
        settings=dict(optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5, n_critic=5, clip=0.01),
        source="WGAN (Arjovsky et al. 2017, Algorithm 1; martinarjovsky/WassersteinGAN): "
               "RMSProp, learning rate 5e-5, clipping at 0.01, 5 critic steps (the code's extra "
               "100-step critic phases, for the first 25 and every 500th generator step, are "
               "left out)."),
    "wgan-gp": dict(
        settings=dict(optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.5, 0.9), n_critic=5,
                      gp_weight=10.0),
        source="WGAN-GP's toy code (Gulrajani et al. 2017; igul222/improved_wgan_training, "
               "gan_toy.py): Adam, learning rate 1e-4, β = (0.5, 0.9), 5 critic steps; λ = 10 "
               "as in the paper (gan_toy.py itself sets λ = 0.1)."),
    "hinge": dict(
        settings=dict(optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.5, 0.999)),
        source="SN-GAN's setting B (Miyato et al. 2018, Table 1: learning rate 1e-4, "
               "β = (0.5, 0.999), one D step), which the paper found best for the hinge-loss "
               "SN-GANs."),
    "fgan": dict(
        settings=dict(optimizer="adam", lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.999),
                      divergence="js", generator="alternative"),
        source="DCGAN's Adam (Radford et al. 2016: learning rate 2e-4, β₁ = 0.5): the f-GAN "
               "paper's optimiser numbers (Nowozin et al. 2016) could not be checked here; its "
               "Jensen–Shannon member with the alternative generator update."),
}

# The search around each recipe: the same four variants for every objective (and each trained
# with G_EMA, so the raw and the averaged generator are both scored: eight candidates).
VARIANTS = ("recipe", "lr ×3", "other β₂", "lr ×3, other β₂")


def variant(objective: str, name: str) -> dict:
    """The settings of ``objective``'s search variant ``name`` (one of ``VARIANTS``):
    ``"lr ×3"`` triples both learning rates; ``"other β₂"`` swaps Adam's β₂ between 0.999 and
    0.9 (WGAN-GP's), and for RMSProp (WGAN) trains with Adam, β = (0.5, 0.9), instead."""
    if objective not in RECIPES:
        raise ValueError(f"variant: unknown objective {objective!r}; valid: {', '.join(RECIPES)}")
    if name not in VARIANTS:
        raise ValueError(f"variant: unknown variant {name!r}; valid: {', '.join(VARIANTS)}")
    s = dict(RECIPES[objective]["settings"])
    if "lr ×3" in name:
        s.update(lr_d=3 * s["lr_d"], lr_g=3 * s["lr_g"])
    if "other β₂" in name:
        if s["optimizer"] == "rmsprop":
            s.update(optimizer="adam", betas=(0.5, 0.9))
        else:
            b1, b2 = s["betas"]
            s["betas"] = (b1, 0.9 if b2 == 0.999 else 0.999)
    return s


# What ``benchmarks/quality.py --search`` chose for each objective (written here by hand from
# results/quality_search.json, which a test compares): the variant and which generator.
CHOICE: dict[str, dict] = {
    "minimax": dict(variant="lr ×3", ema=False),
    "nonsaturating": dict(variant="lr ×3", ema=False),
    "lsgan": dict(variant="lr ×3, other β₂", ema=True),
    "bgan": dict(variant="lr ×3, other β₂", ema=False),
    "softmax": dict(variant="lr ×3", ema=False),
    "wgan": dict(variant="lr ×3", ema=True),
    "wgan-gp": dict(variant="recipe", ema=False),
    "hinge": dict(variant="lr ×3", ema=False),
    "fgan": dict(variant="lr ×3", ema=True),
}


def settings_of(objective: str) -> dict:
    """The settings the zoo trains ``objective`` with: its chosen variant, with ``g_ema``."""
    return {**variant(objective, CHOICE[objective]["variant"]), "g_ema": G_EMA}


def tuned(objective: str, lr: float | None = None, **objective_params) -> dict:
    """``train``'s member dict for ``objective`` as the loss zoo trains it (``settings_of``:
    its recipe's chosen variant, with the averaged generator kept), with both learning rates
    set to ``lr`` when given, and any ``objective_params`` (e.g. LSGAN's a, b, c) on top.
    ``train(members=[tuned("wgan-gp")], data="ring8")``."""
    if objective not in RECIPES:
        raise ValueError(f"tuned: unknown objective {objective!r}; valid: {', '.join(RECIPES)}")
    member = dict(objective=objective, **settings_of(objective))
    if lr is not None:
        member.update(lr_d=lr, lr_g=lr)
    return {**member, **objective_params}


def score(stats: dict, K: int) -> float:
    """The search's score of one evaluation (``metrics.mode_stats``): modes/K + HQ − rKL/log K,
    at most 2; a generator without HQ samples scores its rKL as log K."""
    rkl = stats["rkl"] if stats["rkl"] is not None and math.isfinite(stats["rkl"]) else math.log(K)
    return stats["modes"] / K + stats["hq"] - rkl / math.log(K)


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

# Published results on the same two mixtures, each with its budget.  PacGAN's Table 1 is read
# from the image of the table in the authors' repository (fjxmlzn/PacGAN,
# synthetic_data_experiments/results/Table1.png; means ± standard errors over 10 trials), its
# budget from that repository's configs; VEEGAN's Table 1 from the image in akashgit/VEEGAN
# (tab.png; means over 5 runs, no errors given), its scoring from the project page there.
# rKL = None: not reported.
PUBLISHED = [
    dict(source="PacGAN Table 1", method="GAN", ring8=(6.3, 0.982, 0.45), grid25=(17.3, 0.948, 0.70)),
    dict(source="PacGAN Table 1", method="ALI", ring8=(6.6, 0.976, 0.36), grid25=(24.1, 0.957, 0.14)),
    dict(source="PacGAN Table 1", method="PacGAN2", ring8=(7.9, 0.956, 0.07), grid25=(23.8, 0.913, 0.13)),
    dict(source="PacGAN Table 1", method="PacGAN3", ring8=(7.8, 0.977, 0.10), grid25=(24.6, 0.942, 0.06)),
    dict(source="PacGAN Table 1", method="PacGAN4", ring8=(7.8, 0.959, 0.07), grid25=(24.8, 0.936, 0.04)),
    dict(source="VEEGAN Table 1", method="GAN", ring8=(1, 0.993, None), grid25=(3.3, 0.005, None)),
    dict(source="VEEGAN Table 1", method="ALI", ring8=(2.8, 0.0013, None), grid25=(15.8, 0.016, None)),
    dict(source="VEEGAN Table 1", method="Unrolled GAN", ring8=(7.6, 0.356, None), grid25=(23.6, 0.16, None)),
    dict(source="VEEGAN Table 1", method="VEEGAN", ring8=(8, 0.529, None), grid25=(24.6, 0.40, None)),
]
BUDGETS = {
    "PacGAN Table 1": "400 epochs of 100,000 samples at batch 100 (≈ 400,000 steps); G 4 × 400 "
                      "with batch norm, D 3 × 200 maxout (5 pieces); Adam 1e-4, β₁ 0.8; 2,500 "
                      "samples; 10 trials",
    "VEEGAN Table 1": "steps, batch and networks in the paper's appendix (not checked here); "
                      "2,500 samples; 5 runs",
    "GDPP Table 1": "25,000 steps at batch 512; G and D 2 × 128 tanh, z of 256 dimensions; "
                    "Adam, D 1e-4, G 1e-3, β₁ 0.5; 2,500 samples (its code: "
                    "M-Elfeki/GDPP, gdppgan_Synthetic.py)",
}


def _summary(runs: list, seeds: list[int], ema: bool) -> dict:
    """One cell: the final evaluation's mean ± std over the seeds (of ``G_ema`` when ``ema``,
    else of G), the per-seed numbers, and both generators' curves of the seed means."""
    key = "ema_mode_stats" if ema else "mode_stats"
    stats = [r.history[key][-1] for r in runs]
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
        "seconds": runs[0].seconds,
        "ema": ema,
        "curves": {name: _curve(runs, k) for name, k in (("raw", "mode_stats"),
                                                       ("ema", "ema_mode_stats"))
                   if k in runs[0].history},
        # what the raw G and its D look like at the end (metrics.players_at), per seed
        "players": [players_at(r.G, r.D, r.data) for r in runs],
    }


def _curve(runs: list, key: str) -> dict:
    """The seed means of modes, HQ and rKL (over the seeds with HQ samples; None if none) at
    every evaluation: ``{"step": [...], "modes": [...], "hq": [...], "rkl": [...]}``."""
    curve: dict = {"step": [int(t) for t in runs[0].history["eval_step"]], "modes": [], "hq": [],
                   "rkl": []}
    for i in range(len(curve["step"])):
        stats = [r.history[key][i] for r in runs]
        rkl = [s["rkl"] for s in stats if math.isfinite(s["rkl"])]
        curve["modes"].append(float(np.mean([s["modes"] for s in stats])))
        curve["hq"].append(float(np.mean([s["hq"] for s in stats])))
        curve["rkl"].append(float(np.mean(rkl)) if rkl else None)
    return curve


def _members(objectives, datasets, seeds, settings) -> tuple[list, list]:
    keys = [(o, d, seed) for o in objectives for d in datasets for seed in seeds]
    return keys, [dict(objective=o, data=d, seed=seed, **settings[o]) for o, d, seed in keys]


def zoo_fingerprint(objectives: list[str] | None = None, settings: dict | None = None,
                    device=None, **budget) -> dict:
    """``ganlib.fingerprint.prefix`` of every objective's seed-0 ring8 zoo run, all in one
    float64 stack: ``{objective: [Σ L_D, Σ L_G, ‖θ_G‖, ‖θ_D‖]}``.  ``loss_zoo`` stores it with
    its result; ``tests/test_compare.py`` recomputes it."""
    objectives = list(objectives or _objective_names())
    settings = {o: settings_of(o) for o in objectives} | (settings or {})
    _, members = _members(objectives, ("ring8",), (0,), settings)
    numbers = fingerprint.prefix(members, device=device, **{**BUDGET, **budget})
    return dict(zip(objectives, numbers))


def loss_zoo(objectives: list[str] | None = None, datasets: tuple[str, ...] = DATASETS, *,
             seeds: list[int] = (0, 1, 2, 3, 4), settings: dict | None = None,
             ema: dict | None = None, device=None, progress: bool = True,
             keep_runs: bool = False, **budget) -> dict:
    """Train every objective on every mixture with every seed; return the comparison.

    ``objectives`` defaults to ``losses.names()``; ``settings`` maps an objective to its
    ``train`` settings (default: ``settings_of(objective)``, its recipe's chosen variant, with
    ``g_ema``), ``ema`` to whether its table reports the averaged generator (default:
    ``CHOICE``); ``budget`` overrides ``BUDGET`` (``steps``, ``batch_size``, …, and
    ``eval_every``).  All cells train in one ``train`` call.  Returns ``{"settings": …,
    "results": {objective: {mixture: summary}}, "fingerprint": …}``; a summary holds
    ``modes_mean``, ``modes_std``, ``hq_mean``, ``hq_std``, ``rkl_mean``, ``rkl_std`` (the
    standard deviation over the seeds, ddof = 0) of the final evaluation, ``no_hq_seeds``,
    ``seeds``, ``per_seed``, ``seconds`` (of the stack the cell trained in), ``ema`` (which
    generator the numbers are of) and ``curves`` (``{"raw": …, "ema": …}``: the seed means at
    every evaluation).  With ``keep_runs`` also ``"runs": {objective: {mixture: [Run, …]}}``.
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
    settings = {o: settings_of(o) for o in objectives} | (settings or {})
    ema = {o: CHOICE[o]["ema"] for o in objectives} | (ema or {})
    budget = {**BUDGET, **budget}
    keys, members = _members(objectives, datasets, seeds, settings)
    trained = train(members=members, device=device, progress=progress, **budget)
    by_cell: dict = {}
    for (objective, data, _), run in zip(keys, trained):
        by_cell.setdefault(objective, {}).setdefault(data, []).append(run)
    results = {o: {d: _summary(runs, list(seeds), ema[o] and "ema_mode_stats" in runs[0].history)
                   for d, runs in by_data.items()} for o, by_data in by_cell.items()}
    out = {"settings": {"budget": {k: list(v) if isinstance(v, tuple) else v for k, v in budget.items()},
                        "objectives": {o: _jsonable(settings[o]) for o in objectives},
                        "seeds": list(seeds), "datasets": list(datasets)},
           "results": results,
           "fingerprint": zoo_fingerprint(objectives, settings, device, **{
               k: v for k, v in budget.items() if k not in ("steps", "n_eval", "eval_every")})}
    if keep_runs:
        out["runs"] = by_cell
    return out


def _jsonable(settings: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}


def _cell(summary: dict, key: str, fmt: str, scale: float = 1.0) -> str:
    mean, std = summary[f"{key}_mean"], summary[f"{key}_std"]
    if mean is None:
        return "—"
    return f"{scale * mean:{fmt}} ± {scale * std:{fmt}}"


def table_markdown(result: dict, data: str, pacgan: bool = True) -> str:
    """A Markdown table of one mixture: objective | generator | modes | HQ | rKL (mean ± std over
    seeds), best first (most modes, then highest HQ), with PacGAN's rows at the end."""
    K = {"ring8": 8, "grid25": 25}[data]
    rows = [(o, r[data]) for o, r in result["results"].items() if data in r]
    rows.sort(key=lambda item: (-item[1]["modes_mean"], -item[1]["hq_mean"]))
    lines = [f"| objective | generator | modes (of {K}) | HQ (%) | rKL |", "|---|---|---|---|---|"]
    for objective, s in rows:
        rkl = _cell(s, "rkl", ".2f") + (f" ({s['no_hq_seeds']} without HQ)" if s["no_hq_seeds"] else "")
        lines.append(f"| {objective} | {'averaged' if s.get('ema') else 'raw'} | {_cell(s, 'modes', '.1f')} | "
                     f"{_cell(s, 'hq', '.1f', 100)} | {rkl} |")
    if pacgan:
        for name, table in PACGAN_TABLE1.items():
            t = table[data]
            lines.append(f"| *PacGAN's {name}* | — | {t['modes']} | {100 * t['hq']:.1f} | {t['rkl']:.2f} |")
    return "\n".join(lines)


def best(result: dict, data: str) -> str:
    """The objective with the most modes on ``data`` (ties: the highest HQ, then the lowest rKL)."""
    def key(o):
        s = result["results"][o][data]
        return (-s["modes_mean"], -s["hq_mean"], s["rkl_mean"] if s["rkl_mean"] is not None else math.inf)
    return min((o for o in result["results"] if data in result["results"][o]), key=key)
