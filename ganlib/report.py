"""The training chapters' results as a reader sees them: the box a chapter opens with, its runs
beside the loss zoo's seeds, its takeaway, and the collapsed "Reproduce this page" dropdown.

Every number these put on a page is the page's own measurement or a committed result's.  A
chapter computes its box at the end and *glues* it (``myst_nb.glue("what-you-will-see",
report.box([...]), display=False)``); its first Markdown cell pastes it with the
``{glue:md}`` directive, so the page opens with its results.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from IPython.display import Markdown

from .recipes import NAMES
from .zoo import DATASETS, at_step

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
GENERATORS = ("G", "G_ema")


def committed(name: str) -> dict:
    """The committed result ``benchmarks/results/<name>.json``."""
    path = RESULTS / f"{name}.json"
    if not path.exists():
        have = sorted(p.stem for p in RESULTS.glob("*.json"))
        raise ValueError(f"committed: no result {name!r}; committed: {', '.join(have)}")
    return json.loads(path.read_text())


def _admonition(title: str, css: str, items: list[str]) -> Markdown:
    body = "\n".join(f"* {item}" for item in items)
    return Markdown(f"```{{admonition}} {title}\n:class: {css}\n\n{body}\n```")


def box(items: list[str]) -> Markdown:
    """The "What you will see" box: the page's results, one bullet each (MyST Markdown)."""
    return _admonition("What you will see", "tip what-you-will-see", items)


def takeaway(items: list[str]) -> Markdown:
    """The box a chapter ends with: what worked, what failed, and why."""
    return _admonition("Takeaway", "note takeaway", items)


def settings_table(by_label: dict, generator: dict[str, str]) -> str:
    """What each run trained with (``{label: Run}``), one row per run: optimiser, both
    learning rates, Adam's β, critic steps, R1's γ (— without R1), the generator scored and the
    run's stack."""
    lines = ["| run | optimiser | lr D | lr G | β | critic steps | R1 γ | scored | seconds |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, run in by_label.items():
        c = run.config
        betas = ", ".join(f"{b:g}" for b in c["betas"]) if c["optimizer"] == "adam" else "—"
        gamma = f"{c['r1']:g}" if c.get("r1") else "—"
        lines.append(f"| {name} | {c['optimizer']} | {c['lr_d']:g} | {c['lr_g']:g} | {betas} | "
                     f"{c['n_critic']} | {gamma} | {generator[name]} | {run.seconds:.0f} "
                     f"(stack of {c['stack_size']}) |")
    return "\n".join(lines)


def stats_of(run, generator: str) -> dict:
    """The last evaluation of ``run``'s raw ``"G"`` or averaged ``"G_ema"`` generator."""
    if generator not in GENERATORS:
        raise ValueError(f"stats_of: unknown generator {generator!r}; valid: {', '.join(GENERATORS)}")
    return run.final_ema_stats if generator == "G_ema" else run.final_stats


def triple(stats: dict, K: int) -> str:
    """One run's modes · HQ · rKL, as the tables print it: ``7 / 8 · 95.1 % · 0.12``."""
    rkl = "—" if stats["rkl"] is None or not math.isfinite(stats["rkl"]) else f"{stats['rkl']:.2f}"
    return f"{stats['modes']} / {K} · {100 * stats['hq']:.1f} % · {rkl}"


def spread(at: dict) -> str:
    """The seeds' mean ± std of modes · HQ (%) · rKL (``zoo.at_step``'s dict)."""
    (m, ms), (h, hs) = at["modes"], at["hq"]
    rkl = "—" if at["rkl"] is None else f"{at['rkl'][0]:.2f} ± {at['rkl'][1]:.2f}"
    return f"{m:.1f} ± {ms:.1f} · {100 * h:.1f} ± {100 * hs:.1f} · {rkl}"


def zoo_cell(result: dict, name: str) -> dict:
    """One cell ("objective / row") of the committed two-row zoo (``loss_zoo.json``)."""
    if name not in result["cells"]:
        raise ValueError(f"zoo_cell: the zoo has no cell {name!r}; it has: "
                         f"{', '.join(result['cells'])}")
    return result["cells"][name]


def runs_table(runs: dict, generator: dict[str, str], zoo_cells: dict[str, str | None],
               zoo: dict | None = None, label: str = "run") -> str:
    """A chapter's runs (``{mixture: {label: Run}}``) at their last evaluation, beside the loss
    zoo's seeds of the same row (``zoo_cells[label]``, e.g. ``"lsgan / R1"``; None: no zoo
    row) at the zoo's last evaluation not after the chapter's step, and at the zoo's end (one
    column when the two are the same step).  ``generator[label]`` is the generator scored,
    ``"G"`` or ``"G_ema"`` (the zoo's cells score the one its search chose).  Cells:
    modes · HQ % · rKL ("—": no HQ sample, so no mode histogram)."""
    zoo = zoo if zoo is not None else committed("loss_zoo")
    first = next(iter(next(iter(runs.values())).values()))
    step = int(first.history["eval_step"][-1])
    cells = [zoo_cell(zoo, c) for c in zoo_cells.values() if c]
    zoo_steps = cells[0]["ring8"]["curves"]["raw"]["step"] if cells else [0]
    at = max(s for s in zoo_steps if s <= step)
    end = max(c["steps"] for c in cells) if cells else 0
    n = len(cells[0]["ring8"]["seed_curves"]["G"]["modes"]) if cells else 0
    both = at != end
    lines = [f"| data | {label} (generator) | this page: seed {first.config['seed']}, step {step:,}"
             + (f" | zoo: {n} seeds, step {at:,}" if both else "")
             + f" | zoo: {n} seeds, step {end:,} |", "|---|---|---|---|" + "---|" * both]
    for data, by_label in runs.items():
        for name, run in by_label.items():
            K = run.data.n_modes
            here = triple(stats_of(run, generator[name]), K)
            if zoo_cells.get(name):
                cell = zoo_cell(zoo, zoo_cells[name])
                then, final = (spread(at_step(cell, data, s)) for s in (at, cell["steps"]))
            else:
                then = final = "—"
            lines.append(f"| {data} | {name} ({generator[name]}) | {here} | "
                         + (f"{then} | " if both else "") + f"{final} |")
    return "\n".join(lines)


def reproduce(items: list[str]) -> Markdown:
    """The collapsed "Reproduce this page" dropdown: commands, committed files, seeds, time."""
    body = "\n".join(f"* {item}" for item in items)
    return Markdown(f"```{{dropdown}} Reproduce this page\n:class-container: reproduce\n\n{body}\n```")


def modes(runs: dict, generator: dict[str, str], label: str) -> str:
    """One labelled run's modes on every mixture, as a sentence says it: "7/8 ring8 and 25/25
    grid25 modes" (``runs`` is ``{mixture: {label: Run}}``)."""
    parts = [f"{stats_of(by_label[label], generator[label])['modes']}/"
             f"{by_label[label].data.n_modes} {data}" for data, by_label in runs.items()]
    return " and ".join(parts) + " modes"


def total_modes(runs: dict, generator: dict[str, str], label: str) -> int:
    """One labelled run's modes, summed over the mixtures."""
    return sum(stats_of(by_label[label], generator[label])["modes"] for by_label in runs.values())


def zoo_modes(cell: dict, steps: bool = True) -> str:
    """A zoo cell's modes on both mixtures at its end, over its seeds: "7.8 ± 0.4 ring8 and
    24.6 ± 0.5 grid25 modes after 20,000 steps" (without the steps when ``steps`` is false)."""
    parts = [f"{cell[d]['modes_mean']:.1f} ± {cell[d]['modes_std']:.1f} {d}" for d in DATASETS]
    return " and ".join(parts) + " modes" + (f" after {cell['steps']:,} steps" if steps else "")


def r1_effect(runs: dict, generator: dict[str, str], without: str, with_r1: str) -> str:
    """What R1 did on this page, in the modes summed over the mixtures: "R1 adds 3 modes at
    this seed", "R1 costs 1 mode at this seed" or "R1 changes no mode count at this seed"."""
    gain = total_modes(runs, generator, with_r1) - total_modes(runs, generator, without)
    n = f"{abs(gain)} mode{'s' * (abs(gain) != 1)}"
    return (f"R1 adds {n} at this seed" if gain > 0 else
            "R1 changes no mode count at this seed" if gain == 0 else
            f"R1 costs {n} at this seed")


PARAMETERS = ("device", "steps", "batch_size", "lr", "seed", "eval_every")


def reproduce_training(notebook: str, runs: dict, zoo_cells: list[dict],
                       extra: list[str] = (), parameters: tuple[str, ...] = PARAMETERS) -> Markdown:
    """The "Reproduce this page" dropdown of a training chapter that trains ``runs`` in one
    ``train`` call and sets them beside ``zoo_cells`` of ``loss_zoo.json``; ``extra``: more
    items (the other committed files it renders); ``parameters``: its papermill parameters."""
    every = [run for by_label in runs.values() for run in by_label.values()]
    c = every[0].config
    stacks = {run.seconds: run.config["stack_size"] for run in every}   # a stack's runs share its time
    how = ("one stacked `train` call" if len(stacks) == 1 else
           f"one `train` call, as {len(stacks)} stacks of "
           + ", ".join(str(n) for n in stacks.values()))
    items = [f"This page trains {len(every)} runs of {c['steps']:,} steps (seed {c['seed']}, "
             f"batch {c['batch_size']}) in {how}: {sum(stacks):.0f} s on {c['device']}.",
             f"Run it with other settings: `papermill notebooks/{notebook} out.ipynb -p steps "
             "20000 -p seed 1` (parameters: " + ", ".join(f"`{p}`" for p in parameters) + ")."]
    if zoo_cells:
        commits = sorted({cell["made_with"]["git"] for cell in zoo_cells})
        items.append("The zoo's columns: `benchmarks/results/loss_zoo.json`, made by `python "
                     f"benchmarks/loss_zoo.py` (commit {', '.join(commits)}, seeds 0–4, "
                     f"{sum(cell['seconds'] for cell in zoo_cells):,.0f} s of training for "
                     + ("this row" if len(zoo_cells) == 1 else f"these {len(zoo_cells)} rows")
                     + "); the rows' optimisers: "
                     "`benchmarks/results/zoo_search.json` (`python benchmarks/zoo_search.py`, "
                     "search seeds " + " and ".join(map(str, committed("zoo_search")["seeds"]))
                     + ").")
    return reproduce(items + list(extra))


# ---- the "Which objective, when" page ----------------------------------------------------------

# Each zoo objective as the book names it (``recipes.NAMES``), and the training chapter that
# trains it.
_DOCS = {"minimax": "01_vanilla_gan_training", "nonsaturating": "01_vanilla_gan_training",
         "fgan": "02_fgan_training", "lsgan": "03_lsgan_training", "bgan": "04_bgan_training",
         "softmax": "05_softmax_gan_training", "wgan": "06_wgan_training",
         "wgan-gp": "06_wgan_training", "hinge": "06_wgan_training"}
CHAPTERS = {o: (name, _DOCS[o]) for o, name in NAMES.items()}


def objective_link(objective: str, root: str = "../notebooks/") -> str:
    """The objective's name linked to its training chapter (a MyST ``{doc}`` role)."""
    if objective not in CHAPTERS:
        raise ValueError(f"objective_link: unknown objective {objective!r}; valid: "
                         f"{', '.join(CHAPTERS)}")
    name, doc = CHAPTERS[objective]
    return f"{{doc}}`{name} <{root}{doc}>`"


def _row_cell(cell: dict) -> str:
    """A zoo cell's two mixtures in one table cell: modes ± std and HQ, ring8 then grid25."""
    return " · ".join(f"{cell[d]['modes_mean']:.1f} ± {cell[d]['modes_std']:.1f} "
                      f"({100 * cell[d]['hq_mean']:.0f} %)" for d in DATASETS)


def zoo_by_objective(result: dict, objectives: list[str]) -> str:
    """The two-row zoo with one line per objective: each row's modes (mean ± std over the
    seeds) and HQ on ring8 · grid25, the R1 row's γ, and the critic steps per generator step."""
    lines = ["| objective | its recipe: ring8 · grid25 | with R1: ring8 · grid25 | R1's γ "
             "| critic steps |", "|---|---|---|---|---|"]
    for o in objectives:
        recipe, r1 = (zoo_cell(result, f"{o} / {row}") for row in ("recipe", "R1"))
        lines.append(f"| {objective_link(o)} | {_row_cell(recipe)} | {_row_cell(r1)} | "
                     f"{r1['member']['r1']:g} | {recipe['member'].get('n_critic', 1)} |")
    return "\n".join(lines)


def choice_table(result: dict, objectives: list[str], unpulled: list[str] = ()) -> str:
    """Each objective's two zoo rows in one line: each row's score (mean ± std over the seeds,
    ``zoo.ranking``) with its rank among all the zoo's rows, R1's γ, and whether the R1 row
    covers the bar (``zoo.R1_TARGET``) — or why not, when its Dirac-GAN leaves the generator
    unpulled (``unpulled``: objectives whose linearised game with R1 keeps an eigenvalue 0)."""
    from .zoo import R1_TARGET, ranking
    entries = {e["name"]: (i, e) for i, e in enumerate(ranking(result), 1)}
    n = len(entries)

    def scored(name: str) -> str:
        rank, e = entries[name]
        return f"{e['score']:.2f} ± {e['score_std']:.2f} (#{rank} of {n})"
    lines = ["| objective | its recipe: score (rank) | with R1: score (rank) | R1's γ "
             "| R1 row against the bar |", "|---|---|---|---|---|"]
    for o in objectives:
        r1 = zoo_cell(result, f"{o} / R1")
        if meets(r1, R1_TARGET):
            verdict = "every mode, on average, on both mixtures"
        else:
            verdict = "short: " + ", ".join(f"{r1[d]['modes_mean']:.1f} {d}" for d in DATASETS
                                            if r1[d]["modes_mean"] < R1_TARGET[d])
            if o in unpulled:
                verdict += " (R1 leaves its generator unpulled)"
        lines.append(f"| {objective_link(o)} | {scored(f'{o} / recipe')} | "
                     f"{scored(f'{o} / R1')} | {r1['member']['r1']:g} | {verdict} |")
    return "\n".join(lines)


def meets(cell: dict, target: dict) -> bool:
    """Whether a zoo cell covers at least ``target[mixture]`` modes on average on every mixture."""
    return all(cell[d]["modes_mean"] >= target[d] for d in DATASETS)


def dynamics_table(dynamics: dict[str, dict]) -> str:
    """The Dirac-GAN near its equilibrium, one line per objective: ``dynamics[objective]`` holds
    ``plain`` and ``r1`` (``dirac.linearised`` without and with the zoo's γ) and ``gamma``."""
    def describe(lin: dict) -> str:
        eig = lin["eigenvalues"]
        worst = max(e.real for e in eig)
        shown = ", ".join(f"{e.real:.2f}" + (f" ± {abs(e.imag):.2f}i" if e.imag else "")
                          for e in sorted(eig, key=lambda e: (e.real, e.imag)) if e.imag >= 0)
        if all(abs(e) < 1e-12 for e in eig):
            return "a line of equilibria (eigenvalues 0, 0)"
        if worst < -1e-12:
            return f"attracts (eigenvalues {shown})"
        if all(abs(e.imag) > 1e-12 for e in eig):
            return f"circles, ω = {lin['omega']:.2f}"
        return f"θ is not pulled (eigenvalues {shown})"
    lines = ["| objective | plain gradient play | with R1 at the zoo's γ |", "|---|---|---|"]
    for o, d in dynamics.items():
        lines.append(f"| {objective_link(o)} | {describe(d['plain'])} | γ = {d['gamma']:g}: "
                     f"{describe(d['r1'])} |")
    return "\n".join(lines)


def _rate(x: float) -> str:
    return f"{x:.0e}".replace("e-0", "e-")                      # 0.0001 → 1e-4


def optimiser(settings: dict) -> str:
    """An optimiser's settings as a table cell: "Adam, D 1e-4, G 1e-3, β = (0.5, 0.999)"."""
    rates = (_rate(settings["lr_d"]) if settings["lr_d"] == settings["lr_g"]
             else f"D {_rate(settings['lr_d'])}, G {_rate(settings['lr_g'])}")
    if settings["optimizer"] == "rmsprop":
        return f"RMSProp, {rates}"
    return f"Adam, {rates}, β = ({settings['betas'][0]:g}, {settings['betas'][1]:g})"


def recipes_table() -> str:
    """Each objective's recipe (``recipes.RECIPES``): its optimiser, critic steps and the source
    of its numbers."""
    from .recipes import RECIPES
    lines = ["| objective | its optimiser (before the search) | critic steps | source |",
             "|---|---|---|---|"]
    for o, recipe in RECIPES.items():
        s = recipe["settings"]
        lines.append(f"| {objective_link(o)} | {optimiser(s)} | {s.get('n_critic', 1)} | "
                     f"{recipe['source']} |")
    return "\n".join(lines)
