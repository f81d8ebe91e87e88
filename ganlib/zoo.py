"""The loss zoo: every objective, with its recipe and with R1, × seeds × mixtures, scored as
PacGAN scores (``benchmarks/loss_zoo.py`` → ``results/loss_zoo.json``; its search,
``benchmarks/zoo_search.py`` → ``results/zoo_search.json``).

* ``score``: the one number the search ranks by; ``score_curves`` and ``drift``: its curves
  over training and how much their seed mean still moves at the end (flat below ``FLAT``);
  ``seed_curves`` and ``at_step``: each seed's modes, HQ and rKL over training, and a cell's
  spread over the seeds at one step.
* ``_summary``: one cell's final evaluation as mean ± std over the seeds, with its curves.
* ``ranking``, ``ranking_markdown``, ``versus_published``, ``short_of_target`` and
  ``search_markdown``: what the loss-zoo chapter shows of the two committed files.
* ``on_every_mixture``: the chapters' side-by-side runs, every labelled member on every mixture.
"""

from __future__ import annotations

import math

import numpy as np

from .metrics import players_at
from .recipes import NAMES, PACGAN_STEPS, PUBLISHED, RECIPES
from .settings import N_EVAL, Settings
from .train import train

DATASETS = ("ring8", "grid25")

# The budget every objective trains under: the book's reference networks (G 2 → 128 → 128 → 2,
# D 2 → 128 → 128 → 1), batch 256, and ``steps`` generator steps; scored on 2,500 samples.
BUDGET = dict(steps=10_000, batch_size=Settings.batch_size, latent_dim=Settings.latent_dim,
              hidden=Settings.hidden, depth=Settings.depth, n_eval=N_EVAL)


def score(stats: dict, K: int) -> float:
    """The search's score of one evaluation (``metrics.mode_stats``): modes/K + HQ − rKL/log K,
    at most 2; a generator without HQ samples scores its rKL as log K."""
    rkl = stats["rkl"] if stats["rkl"] is not None and math.isfinite(stats["rkl"]) else math.log(K)
    return stats["modes"] / K + stats["hq"] - rkl / math.log(K)


# A curve is flat when its seed-mean score moves less than this over the last quarter of the
# run (``drift``): 1.5 % of its range of 2 — 3 points of HQ, a quarter of a ring mode.
FLAT = 0.03


def score_curves(runs: list, key: str, K: int) -> list[list[float]]:
    """``score`` at every evaluation of each run (``key``: ``"mode_stats"`` for G,
    ``"ema_mode_stats"`` for G_ema): one list per run."""
    return [[score(stats, K) for stats in r.history[key]] for r in runs]


def seed_curves(runs: list, key: str) -> dict[str, list[list]]:
    """Modes, HQ and rKL at every evaluation of each run (``key`` as in ``score_curves``),
    rounded to 4 decimals for the JSON; an rKL without HQ samples (+inf) is None."""
    def r4(x):
        return round(float(x), 4) if math.isfinite(x) else None
    return {stat: [[r4(s[stat]) for s in r.history[key]] for r in runs]
            for stat in ("modes", "hq", "rkl")}


def at_step(cell: dict, data: str, step: int) -> dict:
    """One mixture of a two-row zoo cell at one evaluation ``step``, over its seeds, for the
    generator the search chose: ``{"modes": (mean, std), "hq": …, "rkl": …}`` (rKL over the
    seeds with HQ samples; None if none), from the cell's ``seed_curves``."""
    summary = cell[data]
    steps = summary["curves"]["raw"]["step"]
    if step not in steps:
        raise ValueError(f"at_step: no evaluation at step {step}; the cell has steps "
                         f"{steps[0]}, {steps[1]}, …, {steps[-1]}")
    i = steps.index(step)
    curves = summary["seed_curves"]["G_ema" if summary["ema"] else "G"]
    out = {}
    for stat, per_seed in curves.items():
        values = [v[i] for v in per_seed if v[i] is not None]
        out[stat] = (float(np.mean(values)), float(np.std(values))) if values else None
    return out


def drift(steps: list[int], scores: list[float]) -> float:
    """How much a curve still moves: the least-squares slope of ``scores`` over the last quarter
    of the run (the evaluations at steps ≥ ¾ of the last), times a quarter of the run.  A curve
    is flat when ``abs(drift) < FLAT``."""
    steps, scores = np.asarray(steps, float), np.asarray(scores, float)
    last = steps >= 0.75 * steps[-1]
    if last.sum() < 3:
        raise ValueError(f"drift: {int(last.sum())} evaluations in the last quarter of the run; "
                         "at least 3 are needed for a slope")
    slope = np.polyfit(steps[last], scores[last], 1)[0]
    return float(slope * steps[-1] / 4)

def on_every_mixture(members: dict[str, dict], datasets: tuple[str, ...] = DATASETS,
                 **settings) -> dict[str, dict[str, object]]:
    """Train every labelled member on every mixture in one ``train`` call (stacked wherever
    the members' settings allow); returns ``{mixture: {label: Run}}``, as the chapters'
    figures take it.  ``members`` maps a label to a member dict (``objective``, its
    parameters, ``seed``, ``lr_d``, …; ``recipes.chosen(objective, row)[0]`` gives one), ``settings`` are ``train``'s
    arguments shared by all, e.g. ``on_every_mixture({"LSGAN": dict(objective="lsgan")}, steps=2000)``."""
    keys = [(data, label) for data in datasets for label in members]
    runs = train(members=[{**members[label], "data": data} for data, label in keys], **settings)
    out: dict[str, dict] = {data: {} for data in datasets}
    for (data, label), run in zip(keys, runs):
        out[data][label] = run
    return out


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


def _jsonable(settings: dict) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()}


# ---- the two-row zoo (benchmarks/loss_zoo.py → results/loss_zoo.json) ----------------------

K_OF = {"ring8": 8, "grid25": 25}


def seed_scores(summary: dict, data: str) -> list[float]:
    """``score`` of each seed's final evaluation in one mixture's summary (``per_seed``)."""
    return [score({**s, "rkl": math.inf if s["rkl"] is None else s["rkl"]}, K_OF[data])
            for s in summary["per_seed"]]


def ranking(result: dict) -> list[dict]:
    """The two-row zoo's cells, best first: by the score of their final evaluation, averaged
    over the seeds and both mixtures.  Each entry: ``name`` ("objective / row"),
    ``objective``, ``row``, ``score``, ``score_std`` (over the seeds, of the two mixtures'
    mean) and the cell itself."""
    out = []
    for name, cell in result["cells"].items():
        per_seed = seed_mean_scores(cell)
        out.append(dict(name=name, objective=cell["objective"], row=cell["row"],
                        score=float(per_seed.mean()), score_std=float(per_seed.std()),
                        cell=cell))
    return sorted(out, key=lambda e: -e["score"])


def seed_mean_scores(cell: dict) -> np.ndarray:
    """Each seed's score (``seed_scores``) averaged over the two mixtures: ``[seeds]``."""
    return np.mean([seed_scores(cell[d], d) for d in DATASETS], axis=0)


def paired_difference(result: dict, objective: str) -> dict:
    """What R1 changes in ``objective``'s score, seed by seed (both rows train the same seeds):
    the mean and the standard error of the five differences R1 − recipe, and ``clear`` when the
    mean is at least twice its standard error away from 0 (a difference within seed noise is
    not called a change).  ``{"mean", "se", "clear"}``."""
    recipe, r1 = (result["cells"][f"{objective} / {row}"] for row in ("recipe", "R1"))
    if recipe[DATASETS[0]]["seeds"] != r1[DATASETS[0]]["seeds"]:
        raise ValueError(f"paired_difference: {objective}'s rows trained other seeds")
    diff = seed_mean_scores(r1) - seed_mean_scores(recipe)
    se = float(diff.std(ddof=1) / np.sqrt(len(diff)))
    mean = float(diff.mean())
    return {"mean": mean, "se": se, "clear": abs(mean) >= 2 * se}


def _moving(summary: dict) -> str:
    """↗ or ↘ when a mixture's curve still rose or fell over the last quarter (``drift``)."""
    d = summary["drift"]["G_ema" if summary["ema"] else "G"]
    return "" if summary["flat"] else (" ↗" if d > 0 else " ↘")


def scores_at(result: dict, step: int) -> dict[str, float]:
    """Each cell's score at ``step`` (an evaluation step): the seed mean of the reported
    generator's ``score_curves``, averaged over the mixtures — to compare a ranking with the
    one training would have given earlier.  ``{cell name: score}``."""
    out = {}
    for name, cell in result["cells"].items():
        per_mixture = []
        for d in DATASETS:
            s = cell[d]
            steps = s["curves"]["raw"]["step"]
            if step not in steps:
                raise ValueError(f"scores_at: {name} has no evaluation at step {step}")
            curves = np.array(s["score_curves"]["G_ema" if s["ema"] else "G"])
            per_mixture.append(curves[:, steps.index(step)].mean())
        out[name] = float(np.mean(per_mixture))
    return out


def _spread(s: dict, key: str, fmt: str, scale: float = 1.0) -> str:
    if s[f"{key}_mean"] is None:
        return "—"
    return f"{scale * s[f'{key}_mean']:{fmt}} ± {scale * s[f'{key}_std']:{fmt}}"


def book_name(objective: str) -> str:
    """An objective as the book names it (``recipes.NAMES``); an unknown one as it is."""
    return NAMES.get(objective, objective)


def in_book_order(cells) -> list[dict]:
    """Zoo or search cells in the book's order: objectives as ``recipes.RECIPES`` lists them
    (the chapters' order), each objective's recipe row before its R1 row."""
    order = {o: i for i, o in enumerate(RECIPES)}
    return sorted(cells, key=lambda c: (order.get(c["objective"], len(order)),
                                        c["row"] != "recipe"))


def published_score(row: dict) -> float:
    """``score`` of a published row's means (``recipes.PUBLISHED``), averaged over the
    mixtures: the score of the means, not the mean of per-run scores as for the zoo's rows."""
    return float(np.mean([score(dict(zip(("modes", "hq", "rkl"), row[d])), K_OF[d])
                          for d in DATASETS]))


def ranking_markdown(result: dict, pacgan: bool = True) -> str:
    """The two-row zoo as one Markdown table, best first (``ranking``): per mixture the modes,
    HQ (%) and rKL as mean ± std over the seeds, of the generator the search chose; a curve
    still rising or falling at the end (|``drift``| ≥ ``FLAT``) is marked ↗ or ↘ beside its
    modes.  PacGAN's Table 1 rows (means over 10 trials, its own networks and ``PACGAN_STEPS``)
    follow, scored by ``published_score`` (the score of their means, in italics)."""
    head = " | ".join(f"{d} {m}" for d in DATASETS for m in ("modes", "HQ %", "rKL"))
    lines = [f"| # | objective | setting (generator) | {head} | score |",
             "|---|---|---|" + "---|" * 7]
    for rank, e in enumerate(ranking(result), 1):
        c = e["cell"]
        gen = "G_ema" if c[DATASETS[0]]["ema"] else "G"
        cells = " | ".join(
            f"{_spread(c[d], 'modes', '.1f')}{_moving(c[d])} | "
            f"{_spread(c[d], 'hq', '.1f', 100)} | {_spread(c[d], 'rkl', '.3f')}" for d in DATASETS)
        lines.append(f"| {rank} | {book_name(e['objective'])} | {e['row']} ({gen}) | {cells} | "
                     f"{e['score']:.2f} ± {e['score_std']:.2f} |")
    if pacgan:
        for r in PUBLISHED:
            if r["source"] != "PacGAN Table 1":
                continue
            cells = " | ".join(f"{r[d][0]:g} | {100 * r[d][1]:.1f} | {r[d][2]:.3f}" for d in DATASETS)
            lines.append(f"| — | *{r['method']}* | *PacGAN, ≈{PACGAN_STEPS // 1000:,}k steps* | "
                         f"{cells} | *{published_score(r):.2f}* |")
    return "\n".join(lines)


def search_markdown(search: dict) -> tuple[str, int, int]:
    """The two-row zoo's search (results/zoo_search.json) as a Markdown table — per cell the
    chosen candidate (best mean score over both search seeds and both mixtures), its score, and
    the candidate each search seed alone would have chosen — and the search's noise: how many
    cells' two search seeds agree with each other, of how many.  Returns (table, agree, cells)."""
    lines = ["| objective | setting | chosen (candidate · generator) | search score | "
             + " | ".join(f"seed {s} alone" for s in search["seeds"]) + " |",
             "|---|---|---|---|" + "---|" * len(search["seeds"])]
    agree = 0
    for cell in in_book_order(search["cells"].values()):
        best = cell["scored"][cell["best"]]
        alone = [c.replace(" | ", " · ") for c in cell["best_by_seed"]]
        agree += len(set(cell["best_by_seed"])) == 1
        lines.append(f"| {book_name(cell['objective'])} | {cell['row']} | "
                     f"{cell['best'].replace(' | ', ' · ')} | "
                     f"{best['score']:.2f} | " + " | ".join(alone) + " |")
    return "\n".join(lines), agree, len(search["cells"])


def versus_published(result: dict, method: str = "PacGAN4") -> tuple[str, int, int]:
    """The best row of the two-row zoo (``ranking``) against one row of PacGAN's Table 1,
    column by column: modes (more is better), HQ (more), rKL (less), on both mixtures.  A column
    counts as beaten when the zoo's mean is at least as good as the published mean.  Returns
    (Markdown table, columns beaten, columns)."""
    published = next((r for r in PUBLISHED if r["source"] == "PacGAN Table 1"
                      and r["method"] == method), None)
    if published is None:
        valid = [r["method"] for r in PUBLISHED if r["source"] == "PacGAN Table 1"]
        raise ValueError(f"versus_published: unknown method {method!r}; valid: {', '.join(valid)}")
    best = ranking(result)[0]
    lines = [f"| mixture | measure | {book_name(best['objective'])} ({best['row']}) | {method} "
             "| at least as good |",
             "|---|---|---|---|---|"]
    beaten = columns = 0
    for data in DATASETS:
        s = best["cell"][data]
        for i, (key, label, better) in enumerate((("modes", "modes", max), ("hq", "HQ (%)", max),
                                                  ("rkl", "rKL", min))):
            ours, theirs = s[f"{key}_mean"], published[data][i]
            scale = 100 if key == "hq" else 1
            won = ours is not None and better(ours, theirs) == ours
            beaten, columns = beaten + won, columns + 1
            digits = 3 if key == "rkl" else 2
            shown = ("—" if ours is None else
                     f"{scale * ours:.{digits}f} ± {scale * s[f'{key}_std']:.{digits}f}")
            lines.append(f"| {data} | {label} | {shown} | {scale * theirs:g} | "
                         f"{'yes' if won else 'no'} |")
    return "\n".join(lines), beaten, columns


# The issue's bar for every R1 row: the mean number of modes covered on each mixture.
R1_TARGET = {"ring8": 7.5, "grid25": 24.0}


def short_of_target(result: dict, row: str = "R1", target: dict = R1_TARGET) -> dict[str, str]:
    """The objectives whose ``row`` covers fewer modes on average than ``target`` on some
    mixture, in the book's order, each with what it misses and every seed's final modes there
    (a large spread is often one seed collapsed, not all of them short):
    ``{"lsgan": "ring8 6.4 < 7.5 (seeds 8, 8, 3, 8, 5)"}``; empty when every row meets it."""
    out = {}
    for cell in in_book_order(result["cells"].values()):
        if cell["row"] != row:
            continue
        misses = [f"{d} {cell[d]['modes_mean']:.1f} < {target[d]:g} (seeds "
                  + ", ".join(f"{s['modes']:g}" for s in cell[d]["per_seed"]) + ")"
                  for d in DATASETS if cell[d]["modes_mean"] < target[d]]
        if misses:
            out[cell["objective"]] = "; ".join(misses)
    return out
