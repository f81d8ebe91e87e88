"""Builds notebooks/06_wgan_training.ipynb (WGAN, WGAN-GP and hinge, each with its R1 row).
WIP: lands when recipes.ZOO_CHOICE has the wgan and wgan-gp rows and loss_zoo.json their cells.
Run: .venv/bin/python .wip/build_wgan.py [out]"""

from _cells import ROOT, code, md, write

cells = [
    md(r"""
# Training WGAN: clipping, the gradient penalty, the hinge — and R1

The {doc}`WGAN chapter <../book/06_wgan>` showed why a critic is better than a classifier when
the supports do not overlap (claims {ref}`W1 <claim-w1>` and {ref}`W2 <claim-w2>`): the Wasserstein-1 distance
$W_1(p, q) = \sup_{\lVert f\rVert_L \le 1} \mathbb{E}_p[f] - \mathbb{E}_q[f]$ stays continuous, and a
critic near its optimum keeps giving the generator a gradient of norm about 1. Here the three
critic objectives of the book train on the two mixtures, each with its recipe and with R1:

* **WGAN** {cite:p}`arjovsky2017wgan`: $L_D = \mathbb{E}_q[D] - \mathbb{E}_p[D]$, every weight
  clipped to $[-0.01, 0.01]$, 5 critic steps per generator step, RMSProp;
* **WGAN-GP** {cite:p}`gulrajani2017wgangp`: the same loss plus
  $10\,\mathbb{E}[(\lVert\nabla D\rVert - 1)^2]$ on random interpolates, 5 critic steps, Adam;
* **hinge** {cite:p}`lim2017geometric,miyato2018spectral`:
  $L_D = \mathbb{E}_p[\max(0, 1-D)] + \mathbb{E}_q[\max(0, 1+D)]$, one critic step, the same plain
  critic as the others (no spectral normalisation) and the generator loss $-\mathbb{E}_q[D]$.

The **R1 row** of each trades its constraint for the zero-centred penalty on the real data of
the {doc}`training-dynamics chapter <10_training_dynamics>`, $\frac\gamma2\mathbb{E}_p\lVert\nabla D\rVert^2$:
for WGAN and WGAN-GP it replaces the clipping or the interpolate penalty, for the hinge it is
added. Every run takes the optimiser the {doc}`loss zoo's <08_loss_zoo>` search chose for its
row, and every run has the same seed. The zoo trains each row on five seeds and both mixtures,
and scores either the raw generator G or G_ema, the moving average of its weights that every
zoo run keeps beside it, whichever its search chose; its score (at most 2) adds the share of
modes covered and of high-quality samples and subtracts the mode histogram's reverse KL.

```{glue:md} what-you-will-see
:format: myst
```
"""),
    code("""
device = None      # None: CUDA when available, else CPU; or "cpu", "cuda", "cuda:1"
steps = 4_000      # generator updates per run
batch_size = 256
lr = None          # None: the zoo's chosen learning rates; a number: both players'
seed = 0
eval_every = 250   # steps between evaluations (2,500 samples each)
extra_seeds = 0    # unused here (every training notebook takes the same parameters)
""", "parameters", "hide-input"),
    code("""
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display
from myst_nb import glue

from ganlib import dirac, metrics, plot, recipes, report, zoo
from ganlib.runtime import pick_device

%config InlineBackend.figure_format = "retina"
dev = pick_device(device)          # a bad name stops here, naming the valid ones
settings = dict(steps=steps, batch_size=batch_size, device=dev,
                eval_every=eval_every, seed=seed)
""", "hide-input"),
    md(r"""
## Six runs per mixture
"""),
    code("""
cells = {"WGAN": "wgan / recipe", "WGAN-GP": "wgan-gp / recipe",
         "hinge": "hinge / recipe", "WGAN, R1": "wgan / R1",
         "WGAN-GP, R1": "wgan-gp / R1", "hinge, R1": "hinge / R1"}
chosen = {k: recipes.chosen(*cell.split(" / ")) for k, cell in cells.items()}
members = {k: member for k, (member, ema) in chosen.items()}
if lr is not None:
    members = {k: {**m, "lr_d": lr, "lr_g": lr} for k, m in members.items()}
runs = zoo.on_every_mixture(members, **settings)
"""),
    code("""
generator = {k: "G_ema" if ema else "G" for k, (member, ema) in chosen.items()}
display(Markdown(report.settings_table(runs["ring8"], generator)))
a, b = members["WGAN, R1"], members["WGAN-GP, R1"]
if a["objective"] == b["objective"]:
    display(Markdown(
        "The two R1 rows train the same loss, WGAN's with R1: they differ only in what "
        f"the search chose — {report.optimiser(a)} with γ = {a['r1']:g} against "
        f"{report.optimiser(b)} with γ = {b['r1']:g}."))
""", "remove-input"),
    md(r"""
## What they reach

Each run's last evaluation (modes covered · high-quality samples · reverse KL over the modes,
{doc}`as the vanilla training chapter scores them <01_vanilla_gan_training>`), beside the zoo's
five seeds of the same row at the same step and at the end of the zoo's longer runs.
"""),
    code("""
zoo_result = report.committed("loss_zoo")
display(Markdown(report.runs_table(runs, generator, cells, zoo_result, label="critic")))
""", "remove-input"),
    md(r"""
## The samples at the end
"""),
    code("""
recipe_labels = ("WGAN", "WGAN-GP", "hinge")
for data in runs:
    rows = {"its recipe": {k: runs[data][k] for k in recipe_labels},
            "with R1": {k: runs[data][f"{k}, R1"] for k in recipe_labels}}
    fig = plot.final_samples(rows)
    fig.suptitle(f"{data}: the raw G's samples after {steps:,} steps", y=1.02, fontsize=10)
    plt.show()
ema_rows = [k for k, g in generator.items() if g == "G_ema"]
if ema_rows:
    display(Markdown("The figures show the raw generator G; the tables score the averaged "
                     f"generator G_ema for {'; '.join(ema_rows)}, as the zoo's search chose."))
""", "remove-input"),
    md(r"""
## Modes covered over training
"""),
    code("""
plot.per_mixture(runs, lambda ax, r: plot.modes_over_training(ax, r, generator))
plt.show()
""", "remove-input"),
    md(r"""
(wgan-estimate)=
## Is the critic's loss a Wasserstein distance?

For equal-size samples $x_1..x_n$ and $y_1..y_n$ the exact $W_1$ between their empirical
distributions is an assignment problem, $\min_\pi \frac1n\sum_i \lVert x_i - y_{\pi(i)}\rVert$
(`metrics.empirical_w1`, solved exactly with the Hungarian algorithm). Any 1-Lipschitz critic's
$\mathbb{E}_p[D] - \mathbb{E}_q[D]$ on the same samples is at most that; a critic whose Lipschitz
constant is $K$ gives at most $K\,W_1$. The table gives each critic's largest input-gradient norm
on real, generated and interpolated points, its Lipschitz constant seen from below
(`metrics.critic_check`, 1,000 real and 1,000 generated samples).
"""),
    code("""
checks = {(data, label): metrics.critic_check(run) for data, by_label in runs.items()
          for label, run in by_label.items()}
lines = ["| data | critic | E_p[D] − E_q[D] | exact W₁ (samples) | ratio | max ‖∇D‖ |",
         "|---|---|---|---|---|---|"]
for (data, label), c in checks.items():
    lines.append(f"| {data} | {label} | {c['estimate']:.3g} | {c['w1']:.4f} | "
                 f"{c['estimate'] / c['w1']:.3g} | {c['max_grad']:.3g} |")
display(Markdown("\\n".join(lines)))
""", "remove-input"),
    code("""
gen = torch.Generator().manual_seed(2)
floor = {d: metrics.empirical_w1(*(next(iter(runs[d].values())).data.sample(1000, generator=gen)
                                   for _ in range(2))) for d in runs}
display(Markdown(
    "Two samples of 1,000 from the data itself are already "
    + " and ".join(f"{floor[d]:.3f} apart ({d})" for d in runs)
    + " in $W_1$: an exact $W_1$ near that floor means the generator's samples are as close "
    "to the data as another sample of it."))

def ratio(label):          # the estimate over the exact W1, on both mixtures
    return " and ".join(f"{checks[d, label]['estimate'] / checks[d, label]['w1']:.2g} ({d})"
                        for d in runs)

def slope(label):          # the largest input gradient found, on both mixtures
    return " and ".join(f"{checks[d, label]['max_grad']:.3g} ({d})" for d in runs)

display(Markdown(
    f"**Read off the table:** WGAN-GP's critic has slopes up to {slope('WGAN-GP')} and an "
    f"estimate {ratio('WGAN-GP')} times the exact $W_1$; the clipped critic's "
    f"slope is {slope('WGAN')} and its estimate {ratio('WGAN')} times $W_1$: read on its "
    "own it is not a distance in the data's units. The hinge "
    f"critic (slopes {slope('hinge')}) and every R1 critic have no Lipschitz constraint; "
    "R1 holds only the slope at the data near 0, so their difference of means is no "
    "distance either."))
""", "remove-input"),
    md(r"""
The gradient penalty asks for slope 1 on the interpolates, but softly, so the largest gradient
can exceed 1, and the estimate is then bounded by that slope times $W_1$ rather than by $W_1$.
Gulrajani et al. replaced clipping for other reasons than the estimate: capacity underuse and
exploding or vanishing gradients {cite:p}`gulrajani2017wgangp`.

## Critic losses

Running mean over 100 steps; WGAN-GP's includes its penalty, the R1 rows' do not include R1.
"""),
    code("""
def critic_loss(ax, by_label):
    plot.loss_curves(ax, by_label, which="d_loss", smooth=100)

plot.per_mixture(runs, critic_loss, title="{data}: critic loss", figsize=(10, 3.2))
plt.show()
""", "remove-input"),
    code("""
def both(label):
    return report.modes(runs, generator, label)

zoo_end = {k: zoo_result["cells"][c] for k, c in cells.items()}
wgan_r1 = dirac.of_member(members["WGAN, R1"])
assert max(e.real for e in wgan_r1["eigenvalues"]) < 0           # R1 makes it attract
score = {e["name"]: e for e in zoo.ranking(zoo_result)}
changes = {o: zoo.paired_difference(zoo_result, o) for o in ("wgan", "wgan-gp", "hinge")}

best_label, second_label = sorted(cells, key=lambda k: -score[cells[k]]["score"])[:2]
short_here = [o for o in zoo.short_of_target(zoo_result) if o in ("wgan", "wgan-gp", "hinge")]

def zoo_score(label):
    e = score[cells[label]]
    return f"{e['score']:.2f} ± {e['score_std']:.2f}"

def verdict(o):
    c = changes[o]
    if not c["clear"]:
        return f"within the seeds' noise ({c['mean']:+.2f} ± {c['se']:.2f})"
    return f"{'raises' if c['mean'] > 0 else 'lowers'} it by {abs(c['mean']):.2f} ± {c['se']:.2f}"

glue("what-you-will-see", report.box([
    f"Over the zoo's five seeds (score of 2): WGAN {zoo_score('WGAN')} with clipping, "
    f"{zoo_score('WGAN, R1')} with R1 in its place — {verdict('wgan')}; WGAN-GP "
    f"{zoo_score('WGAN-GP')} with its penalty, {zoo_score('WGAN-GP, R1')} with R1 — "
    f"{verdict('wgan-gp')}; the hinge {zoo_score('hinge')}, with R1 "
    f"{zoo_score('hinge, R1')} — {verdict('hinge')}.",
    f"This page's seed after {steps:,} steps: WGAN covers {both('WGAN')}, WGAN-GP "
    f"{both('WGAN-GP')}, the hinge {both('hinge')}; with R1 {both('WGAN, R1')}, "
    f"{both('WGAN-GP, R1')} and {both('hinge, R1')}.",
    f"The critics as distance estimates: WGAN-GP's difference of means is {ratio('WGAN-GP')} "
    f"times the exact $W_1$ of the samples, the clipped critic's {ratio('WGAN')}.",
]), display=False)
eigen = ", ".join(f"{e.real:.2f}" + (f" ± {abs(e.imag):.2f}i" if e.imag else "")
                  for e in wgan_r1["eigenvalues"] if e.imag >= 0)
display(report.takeaway([
    f"WGAN: {report.r1_effect(runs, generator, 'WGAN', 'WGAN, R1')} ({both('WGAN, R1')} with "
    f"R1, {both('WGAN')} with clipping). WGAN-GP: "
    f"{report.r1_effect(runs, generator, 'WGAN-GP', 'WGAN-GP, R1')} ({both('WGAN-GP, R1')} "
    f"with R1, {both('WGAN-GP')} with its own penalty).",
    "On the {doc}`Dirac-GAN <../book/08_dirac_gan>` WGAN's plain gradient play circles its "
    f"equilibrium; with R1 (γ = {members['WGAN, R1']['r1']:g}) the linearised game's eigenvalues "
    f"are {eigen}: it converges. WGAN-GP's penalty, centred at slope 1, leaves no equilibrium "
    "with the generator on the data at all ({ref}`the Dirac-GAN's WGAN-GP row <dirac-wgan-gp>`; "
    "{cite:t}`mescheder2018converge`).",
    f"Over the zoo's five seeds the best of these six rows is {best_label} (score "
    f"{zoo_score(best_label)}, {report.zoo_modes(zoo_end[best_label], steps=False)}), "
    f"then {second_label} ({zoo_score(second_label)})"
    + (f"; the R1 rows of {', '.join(zoo.book_name(o) for o in short_here)} stay short of "
       "the zoo's bar ({doc}`why, as far as the zoo can tell <08_loss_zoo>`)." if short_here
       else "; every R1 row here covers the zoo's bar."),
]))
""", "remove-input"),
    code("""
display(report.reproduce_training("06_wgan_training.ipynb", runs, list(zoo_end.values())))
""", "remove-input"),
]

write(cells, "06_wgan_training.ipynb")
