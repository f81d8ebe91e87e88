"""Builds notebooks/08_loss_zoo.ipynb (the two-row loss zoo page).  WIP: lands when
benchmarks/results/loss_zoo.json has all 18 cells.  Run: .venv/bin/python .wip/build_zoo.py"""

from _cells import ROOT, code, md, write

cells = [
    md(r"""
# The loss zoo: every objective, with and without R1

The chapters so far trained each objective on one seed: enough to see *how* it trains, not to
rank it. This chapter trains every objective of the book twice — with **its recipe** (the
optimiser its paper or its authors' code uses) and with **the same objective plus R1**, the
zero-centred gradient penalty on the real data of the
{doc}`training-dynamics chapter <10_training_dynamics>` — on five seeds and both mixtures, and
scores each as PacGAN does {cite:p}`lin2018pacgan`, on 2,500 samples: a mode is **covered**
when at least one sample lies within three standard deviations of its mean, a sample is
**high quality (HQ)** when it lies that close to some mode, and **rKL** is the KL divergence
$\sum_k \hat q_k \log(K \hat q_k)$ of the HQ samples' mode histogram $\hat q$ from the uniform one.

Every cell of the zoo has the same budget: the book's networks (G and D with two hidden layers
of 128 units), batch 256, the same number of generator steps, and an exponential moving average
of the generator's weights (`g_ema = 0.999`) kept beside the raw generator. WGAN and WGAN-GP take
five critic steps per generator step, as their recipes do, so their rows cost more. Each row's
optimiser was chosen by a search of the same size for every row, on seeds that are not reported
here.

```{glue:md} what-you-will-see
:format: myst
```
"""),
    code("""
device = None      # None: CUDA when available, else CPU; or "cpu", "cuda", "cuda:1"
steps = None       # steps of the winners' retraining (None: the zoo's)
batch_size = 256
lr = None          # unused here (every training notebook takes the same parameters)
seed = 0           # the seed of the retrained winners (the zoo's seeds: 0-4)
eval_every = None  # None: steps // 20
extra_seeds = 0    # unused here
""", "parameters", "hide-input"),
    code("""
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue
from scipy import stats

from ganlib import dirac, plot, recipes, report, zoo
from ganlib.runtime import pick_device

%config InlineBackend.figure_format = "retina"
dev = pick_device(device)          # a bad name stops here, naming the valid ones
result = report.committed("loss_zoo")
search = report.committed("zoo_search")
ranking = zoo.ranking(result)
""", "hide-input"),
    md(r"""
## The ranking

One line per objective and setting (its recipe, or the same with R1), best first, with PacGAN's Table 1 {cite:p}`lin2018pacgan` at the
bottom. Each entry is the mean ± standard deviation over the five seeds, at the zoo's last
evaluation, of the generator the search chose for the row (G, the raw generator, or G_ema, its
moving average): modes covered · HQ samples (%) · reverse KL. The **score** ranks them: modes/K
\+ HQ − rKL/log K on each mixture (at most 2; a generator with no HQ sample scores its rKL as
log K), averaged over the mixtures and then over the seeds. An arrow ↗ or ↘ beside a mixture's
modes marks a curve still rising or falling over the last quarter of training (its score moved
by at least 0.03); PacGAN's rows are scored from their published means.
"""),
    code("""
display(Markdown(zoo.ranking_markdown(result)))
""", "remove-input", "full-width"),
    md(r"""
## The winner against PacGAN

PacGAN's Table 1 is the standard these mixtures are measured against. Its best row, PacGAN4,
trains larger networks (G of four layers of 400 units with batch norm, a maxout critic) for about
400,000 steps at batch 100. The zoo's winner is the best of its rows on the same five seeds it
is reported on, so its numbers carry a small selection bias (the search that chose its settings
never saw these seeds; the next rows' scores show how close the race is). Column by column (a
column counts when the zoo's mean is at least as good as PacGAN4's):
"""),
    code("""
versus, beaten, columns = zoo.versus_published(result, "PacGAN4")
display(Markdown(versus))
winner = ranking[0]
fewer = recipes.PACGAN_STEPS / winner["cell"]["steps"]
fewer_samples = (recipes.PACGAN_STEPS * recipes.PACGAN_BATCH
                 / (winner["cell"]["steps"] * result["settings"]["batch_size"]))
""", "remove-input"),
    md(r"""
## With and without R1

The same objective, its recipe and its R1 row side by side: modes (mean ± std over the seeds)
and HQ samples on ring8 · grid25.
"""),
    code("""
objectives = [o for o in recipes.RECIPES if f"{o} / recipe" in result["cells"]]
display(Markdown(report.zoo_by_objective(result, objectives)))
short = zoo.short_of_target(result)
""", "remove-input"),
    md(r"""
Why an R1 row falls short can be read off the {doc}`Dirac-GAN <../book/08_dirac_gan>`, the
one-parameter game the training-dynamics chapters linearise: with the row's own γ, R1 makes the
equilibrium attracting when every eigenvalue of the linearised game has a negative real part;
an eigenvalue 0 leaves the generator's parameter unpulled.
"""),
    code("""
target = " and ".join(f"{v:g} {d}" for d, v in zoo.R1_TARGET.items())
bar = f"The bar this zoo sets an R1 row: at least {target} modes on average"
unpulled = []
lines = []
for o, miss in short.items():
    member = result["cells"][f"{o} / R1"]["member"]
    eig = dirac.of_member(member)["eigenvalues"]
    zero = any(abs(e) < 1e-12 for e in eig)
    unpulled += [o] * zero
    shown = ", ".join(f"{e.real:.2f}" + (f" ± {abs(e.imag):.2f}i" if e.imag else "")
                      for e in eig if e.imag >= 0)
    why = ("an eigenvalue 0: R1 leaves the generator unpulled" if zero else
           "the equilibrium attracts, so the linear game does not explain the shortfall")
    lines.append(f"* {zoo.book_name(o)}: {miss} — Dirac-GAN with γ = {member['r1']:g}: "
                 f"eigenvalues {shown}; {why}.")
if short:
    text = (f"{bar}. "
            f"{len(short)} of {len(objectives)} R1 rows fall short:\\n\\n" + "\\n".join(lines))
else:
    text = f"{bar}; every R1 row meets it."
display(Markdown(text))
""", "remove-input"),
    md(r"""
## The curves

Each panel is one objective: the seed mean of the score over training (line) and the seeds' range
(band, lowest to highest seed), of its recipe (grey) and its R1 row (blue). A flat line at the
end means that the score stopped changing, not that the generator reached the data; ↗ or ↘ in a
panel's title names the rows still rising or falling over the last quarter of training.
"""),
    code("""
for data in zoo.DATASETS:
    plot.zoo_curves(result, data)
    plt.show()
""", "remove-input"),
    md(r"""
## The winners' samples

The best R1 row and the best recipe row, retrained here on one of the zoo's seeds on
both mixtures (this machine's floating point may differ in the last bits from the zoo's, so the
samples are those of a run like the zoo's, not the same run).
"""),
    code("""
best = {row: next(e for e in ranking if e["row"] == row) for row in recipes.ROWS}
members, generator, cell_of = {}, {}, {}
for row, e in best.items():
    member, ema = recipes.chosen(e["objective"], row)
    setting = "with R1" if row == "R1" else "its recipe"
    label = f"{zoo.book_name(e['objective'])}, {setting}"
    members[label], generator[label] = member, "G_ema" if ema else "G"
    cell_of[label] = e["name"]
n_steps = steps if steps is not None else winner["cell"]["steps"]
runs = zoo.on_every_mixture(members, steps=n_steps, batch_size=batch_size, seed=seed,
                            eval_every=eval_every or max(1, n_steps // 20), device=dev)
""", "hide-input"),
    code("""
rows = {f"{label} ({generator[label]})": {data: runs[data][label] for data in runs}
        for label in members}
fig = plot.final_samples(rows, size=2.2, generator=dict(zip(rows, generator.values())))
fig.suptitle(f"the winners' samples after {n_steps:,} steps, seed {seed}", y=1.02, fontsize=10)
plt.show()
display(Markdown(report.runs_table(runs, generator, cell_of, result, label="row")))
""", "remove-input"),
    md(r"""
## The search
"""),
    code("""
factors = " or ".join(f"× {f:g}" for f in recipes.LR_FACTORS)
gammas = " or ".join(f"{g:g}" for g in recipes.GAMMAS)
seeds = " and ".join(str(s) for s in search["seeds"])
n_candidates = len(recipes.candidates("minimax", "recipe"))
display(Markdown(
    f"Every row of the zoo was chosen from {n_candidates} candidates, the same number for every "
    f"objective × row: the recipe's learning rates {factors}, and for the recipe row the other "
    "common $\\\\beta_2$ (0.999 ↔ 0.9; for WGAN's RMSProp, Adam with $\\\\beta = (0.5, 0.9)$ "
    f"instead), for the R1 row $\\\\gamma$ = {gammas}. Each candidate trained "
    f"{search['settings']['steps']:,} steps on both mixtures with the search seeds {seeds}, "
    "never a reported seed, and was scored with the raw and the averaged generator: "
    f"{2 * n_candidates} scores per row. The row keeps the candidate with the best mean score; "
    "the last columns show what each search seed alone would have chosen."))
""", "remove-input"),
    code("""
table, agree, n_cells = zoo.search_markdown(search)
display(Markdown(table))
larger = sum("lr ×3" in c["best"] for c in search["cells"].values())
edge = (f" The larger learning rate won in {larger} of {n_cells} rows: for those the best rate "
        "may lie beyond the search's grid." if larger > n_cells / 2 else "")
noisy = ("so one search seed alone would often choose otherwise, which is why the search "
         "averages two" if agree < n_cells else "so for these rows one seed would have done")
display(Markdown(f"The two search seeds choose the same candidate in {agree} of "
                 f"{n_cells} rows: {noisy}." + edge))
""", "remove-input"),
    md(r"""
## Each objective's recipe

The recipe row starts from the optimiser each objective's paper or its authors' code uses, with
the source of each number (`ganlib.recipes.RECIPES`).
"""),
    code("""
display(Markdown(report.recipes_table()))
""", "remove-input"),
    code("""
def name(e):
    row = "with R1" if e["row"] == "R1" else "its recipe"
    return f"{report.CHAPTERS[e['objective']][0]} ({row})"

def cell_modes(e):
    return report.zoo_modes(e["cell"], steps=False)

moving = [e["name"] for e in ranking for d in zoo.DATASETS if not e["cell"][d]["flat"]]
flat = sum(e["cell"][d]["flat"] for e in ranking for d in zoo.DATASETS)
cpu_hours = (result["seconds"] + search["seconds"]) / 3600
changes = {o: zoo.paired_difference(result, o) for o in objectives}
raised = [o for o, c in changes.items() if c["clear"] and c["mean"] > 0]
lowered = [o for o, c in changes.items() if c["clear"] and c["mean"] < 0]
within = [o for o, c in changes.items() if not c["clear"]]

def names(objs):
    return ", ".join(report.CHAPTERS[o][0] for o in objs) or "none"

def scored(e):
    return f"{name(e)}, {e['score']:.2f} ± {e['score_std']:.2f}"

pacgan4 = next(r for r in recipes.PUBLISHED if r["method"] == "PacGAN4")
glue("what-you-will-see", report.box([
    f"The best of the {len(ranking)} rows is {name(winner)}: {cell_modes(winner)} over five "
    f"seeds, score {winner['score']:.2f} ± {winner['score_std']:.2f} (of 2; PacGAN4's means "
    f"score {zoo.published_score(pacgan4):.2f}), followed by {scored(ranking[1])} and "
    f"{scored(ranking[2])}. It is at least as good as PacGAN4 on {beaten} of {columns} "
    f"columns of PacGAN's Table 1, with {fewer:.0f}× fewer steps ({fewer_samples:.1f}× fewer "
    f"samples: PacGAN's batch is {recipes.PACGAN_BATCH}, the zoo's "
    f"{result['settings']['batch_size']}) and smaller networks.",
    f"R1 raises the score of {names(raised)} beyond the seeds' noise (twice the standard "
    "error of the seed-paired difference), "
    + (f"lowers it for {names(lowered)}, " if lowered else "")
    + f"and leaves {names(within)} within noise; "
    + (f"{len(short)} R1 rows stay short of the bar ({names(short)})."
       if short else "every R1 row meets the bar."),
    f"{flat} of {2 * len(ranking)} curves are flat at the end of "
    f"{winner['cell']['steps']:,} steps.",
]), display=False)
""", "remove-input"),
    code("""
worst = ranking[-1]
unexplained = [o for o in short if o not in unpulled]

def change(o):
    c = changes[o]
    return f"{report.CHAPTERS[o][0]} {c['mean']:+.2f} ± {c['se']:.2f}"

items = [f"Ranked by the score, {name(winner)} comes first and {name(worst)} last "
         f"({cell_modes(worst)}).",
         "What R1 changes in each objective's score (mean ± standard error over the seeds, "
         "seed by seed): " + "; ".join(change(o) for o in objectives) + ". The "
         "{doc}`training-dynamics chapter <10_training_dynamics>` shows why a penalty on the "
         "critic's slope at the data helps gradient play converge."]
if unpulled:
    items.append(f"The R1 rows of {names(unpulled)} fall short, consistent with their "
                 "Dirac-GAN: their generator is pulled towards the data only through the "
                 "critic's slope, which R1 damps.")
def full_seeds(o):            # how many seeds cover every mode where the row falls short
    cell = result["cells"][f"{o} / R1"]
    return "; ".join(
        f"{sum(s['modes'] == zoo.K_OF[d] for s in cell[d]['per_seed'])} of "
        f"{len(cell[d]['per_seed'])} seeds cover every {d} mode"
        for d in zoo.DATASETS if cell[d]["modes_mean"] < zoo.R1_TARGET[d])

if unexplained:
    items.append(f"The R1 rows of {names(unexplained)} fall short for reasons the linear game "
                 "does not show (their Dirac-GAN with R1 attracts), and not on every seed: "
                 + "; ".join(f"{report.CHAPTERS[o][0]}, {full_seeds(o)}" for o in unexplained)
                 + ".")
def gen_of(cell):
    return "G_ema" if cell["ring8"]["ema"] else "G"

f_rec, n_rec = (result["cells"][f"{o} / recipe"] for o in ("fgan", "nonsaturating"))
f_r1, n_r1 = (result["cells"][f"{o} / R1"] for o in ("fgan", "nonsaturating"))
items.append(
    "The JS f-GAN is the non-saturating GAN with both losses halved "
    "({ref}`derived in the f-GAN chapter <fgan-js-is-ns>`), which Adam's steps do not see: "
    "their recipe rows differ only in what the search chose — "
    f"{report.optimiser(f_rec['member'])}, scoring {gen_of(f_rec)}, against "
    f"{report.optimiser(n_rec['member'])}, scoring {gen_of(n_rec)} — and reach "
    f"{report.zoo_modes(f_rec, steps=False)} "
    f"against {report.zoo_modes(n_rec, steps=False)}. R1 is added at full weight to the "
    f"halved loss, so the f-GAN's γ = {f_r1['member']['r1']:g} is the non-saturating GAN's "
    f"γ = {2 * f_r1['member']['r1']:g}, a value the non-saturating search did not try (γ = "
    + " or ".join(f"{g:g}" for g in recipes.GAMMAS) + f"; it chose "
    f"{n_r1['member']['r1']:g}).")
still = [e["name"] for e in ranking
         if not all(e["cell"][d]["flat"] for d in zoo.DATASETS)]
if still:
    earlier_step = 3 * winner["cell"]["steps"] // 4
    earlier = zoo.scores_at(result, earlier_step)
    order = [e["name"] for e in ranking]
    before = sorted(order, key=lambda n: -earlier[n])
    same = sum(a == b for a, b in zip(order, before))
    tau = stats.kendalltau([order.index(n) for n in order],
                           [before.index(n) for n in order]).statistic
    items.append(f"{len(still)} of {len(ranking)} rows still move on some mixture at "
                 f"{winner['cell']['steps']:,} steps; "
                 + ("the ranking changes little" if tau >= 0.8 else "the ranking still changes")
                 + ": at "
                 f"{earlier_step:,} steps {same} of {len(order)} rows held the same place "
                 f"(Kendall τ = {tau:.2f} with the final ranking) and the first was "
                 f"{name(next(e for e in ranking if e['name'] == before[0]))}.")
display(report.takeaway(items))
""", "remove-input"),
    code("""
cell_seconds = sum(c["seconds"] for c in result["cells"].values())
commits = sorted({c["made_with"]["git"] for c in result["cells"].values()})
display(report.reproduce([
    f"The zoo: `python benchmarks/loss_zoo.py` → `benchmarks/results/loss_zoo.json` "
    f"({len(result['cells'])} rows × 2 mixtures × seeds {result['seeds']}, "
    f"{cell_seconds / 3600:.1f} h of training on 2 CPU cores; commits {', '.join(commits)}). "
    "A stopped run resumes from its checkpoints; `--steps 40000` extends every row.",
    f"The search: `python benchmarks/zoo_search.py` → `benchmarks/results/zoo_search.json` "
    f"(search seeds {search['seeds']}, {search['seconds'] / 3600:.1f} h).",
    f"The winners' samples: {len(members) * 2} runs of {n_steps:,} steps (seed {seed}) in one "
    f"`train` call here, {next(iter(runs['ring8'].values())).seconds:.0f} s on {dev}.",
    "Both committed files carry a float64 fingerprint of their first 50 steps, which the "
    "tests recompute (`pytest tests/test_fingerprint.py`), so a change of the training code "
    "that alters them fails.",
]))
""", "remove-input"),
]

write(cells, "08_loss_zoo.ipynb")
