"""Builds book/09_which_objective.ipynb ("Which objective, when").  WIP: lands when
benchmarks/results/loss_zoo.json has all 18 cells.  Run: .venv/bin/python .wip/build_guide.py
[out]; then execute it (nbclient) so nbval has committed outputs."""

from _cells import ROOT, code, md, write

THEORY = (ROOT / ".wip" / "theory_section.md").read_text()
TABLE = THEORY

cells = [
    md(r"""
# Which objective, when

Each objective of this book has been derived (what its generator minimises once the
discriminator is optimal, and what gradient it receives), analysed near its equilibrium (the
{doc}`Dirac-GAN <08_dirac_gan>`) and trained in the {doc}`loss zoo <../notebooks/08_loss_zoo>`
(five seeds, two mixtures, its recipe and the same objective with R1). This page sets the three
side by side, a table each with one row per objective, and ends with the choice they support —
for what the zoo measures: two-dimensional mixtures of Gaussians, the book's small networks
(two hidden layers of 128 units) and a fixed budget of generator steps.

```{glue:md} what-you-will-see
:format: myst
```
"""),
    code("""
import numpy as np
import sympy as sp
import torch
from IPython.display import Markdown, display
from myst_nb import glue

from ganlib import dirac, divergences, losses, recipes, report, symbolic, zoo

torch.set_default_dtype(torch.float64)
result = report.committed("loss_zoo")
objectives = list(recipes.RECIPES)
""", "hide-input"),
    md(TABLE),

    md(r"""
## Near the equilibrium

The {doc}`Dirac-GAN <08_dirac_gan>` is the smallest GAN: the data are one point, the generator
is one point $\theta$, and the critic is linear with slope $\psi$ (and a bias). Linearising each
objective's gradient play at its equilibrium ($\theta = \psi = 0$) gives two eigenvalues for
$(\theta, \psi)$: a pair $\pm i\omega$ means the play circles the equilibrium at angular speed
$\omega$; eigenvalues with negative real parts mean it converges; an eigenvalue 0 leaves $\theta$
unpulled. The table linearises the losses alone, without WGAN's clipping or WGAN-GP's penalty
(the Dirac-GAN chapter shows that WGAN-GP's penalty, centred at slope 1, leaves no equilibrium
with the generator on the data), and then adds R1 with the γ the zoo's search chose for the
objective's R1 row. For WGAN and WGAN-GP the R1 row drops the clipping or the penalty, so both
rows are WGAN's losses with R1.
"""),
    code("""
dynamics = {}
for o in objectives:
    recipe, r1 = (result["cells"][f"{o} / {row}"]["member"] for row in ("recipe", "R1"))
    dynamics[o] = dict(plain=dirac.of_member(recipe, gamma=0.0),
                       r1=dirac.of_member(r1), gamma=r1["r1"])
display(Markdown(report.dynamics_table(dynamics)))

def eigenvalues(o):
    return dynamics[o]["r1"]["eigenvalues"]

unpulled = [o for o in objectives if any(abs(e) < 1e-12 for e in eigenvalues(o))]
attracting = [o for o in objectives if max(e.real for e in eigenvalues(o)) < -1e-12]
assert sorted(unpulled + attracting) == sorted(objectives)   # one or the other
display(Markdown(
    f"With R1 the equilibrium attracts for {len(attracting)} of {len(objectives)} "
    "objectives; " + (", ".join(report.CHAPTERS[o][0] for o in unpulled) + " keep an "
                      "eigenvalue 0: their generator's loss has no slope at the "
                      "equilibrium output, so the generator is pulled towards the data only "
                      "through the critic's slope, which R1 damps." if unpulled else
                      "no objective keeps an eigenvalue 0.")))
""", "remove-input"),
    md(r"""
## What the zoo measured

Each objective's two rows of the {doc}`loss zoo <../notebooks/08_loss_zoo>` in one line: its
recipe and the same objective with R1, each with the optimiser the zoo's search chose for it.
The **score** (at most 2) adds, on each mixture, the share of modes covered and of high-quality
samples and subtracts the reverse KL of the mode histogram over $\log K$; it is averaged over
the ring of 8 Gaussians and the grid of 25, then over the five seeds (mean ± std), and ranks
all the zoo's rows. The last column says whether the R1 row covers every mode on average: the
zoo's bar is 7.5 ring8 and 24 grid25 modes, a little under PacGAN4's 7.8 and 24.8.
"""),
    code("""
ranking = zoo.ranking(result)
display(Markdown(report.choice_table(result, objectives, unpulled)))
""", "remove-input"),
    md(r"""
## Which to choose
"""),
    code("""
def name(o):
    return report.CHAPTERS[o][0]

def row_name(e):
    row = "with R1" if e["row"] == "R1" else "its recipe"
    return f"{name(e['objective'])} ({row})"

def names(objs):
    return ", ".join(name(o) for o in objs)

best = ranking[0]
best_plain = next(e for e in ranking          # WGAN-GP's recipe has its own penalty
                  if e["row"] == "recipe" and e["objective"] != "wgan-gp")
changes = {o: zoo.paired_difference(result, o) for o in objectives}
r1_better = [o for o, c in changes.items() if c["clear"] and c["mean"] > 0]
r1_worse = [o for o, c in changes.items() if c["clear"] and c["mean"] < 0]
r1_within = [o for o, c in changes.items() if not c["clear"]]
short = list(zoo.short_of_target(result))
choose = [
    f"**For the best result on these mixtures**: {row_name(best)} — "
    f"{report.zoo_modes(best['cell'])}, the zoo's highest score "
    f"({best['score']:.2f} of 2).",
    f"**Without a gradient penalty**: {row_name(best_plain)} — "
    f"{report.zoo_modes(best_plain['cell'])}"
    + (" (a plain critic: no spectral normalisation)."
       if best_plain["objective"] == "hinge" else "."),
    f"**Add R1**: it raises the score of {names(r1_better) or 'no objective'} beyond the "
    "seeds' noise (twice the standard error of the seed-paired difference)"
    + (f", lowers it for {names(r1_worse)}" if r1_worse else "")
    + (f" and leaves {names(r1_within)} within noise" if r1_within else "")
    + "; its price is the critic's input gradient on the real batch, differentiated "
    "once more in every critic step's backward pass. For WGAN and WGAN-GP R1 is not added "
    "but takes the place of the clipping or the penalty.",
]
if best["objective"] in ("fgan", "nonsaturating"):
    other = "nonsaturating" if best["objective"] == "fgan" else "fgan"
    twin = next(e for e in ranking if e["name"] == f"{other} / {best['row']}")
    choose.append(
        f"**Read the winner with its twin**: the JS f-GAN is the non-saturating GAN with "
        "both losses halved ({ref}`one algorithm under Adam <fgan-js-is-ns>`), so "
        f"{row_name(best)} and {row_name(twin)} (rank {ranking.index(twin) + 1}, score "
        f"{twin['score']:.2f}) differ only in the settings the search chose: the gap "
        "between them is the optimiser's and γ's, not the objective's.")
if unpulled:
    in_zoo = [o for o in unpulled if o in short]
    choose.append(
        f"**Not with R1 alone**: {names(unpulled)} — with R1 their Dirac-GAN keeps an "
        "eigenvalue 0 (the generator is pulled only through the critic's slope, which "
        "R1 damps)"
        + (f"; in the zoo {names(in_zoo)} stay short of the bar." if in_zoo else "."))
display(Markdown("\\n".join(f"* {c}" for c in choose)))
""", "remove-input"),
    code("""
glue("what-you-will-see", report.box(choose[:2] + [
    f"R1 raises the score of {names(r1_better) or 'no objective'} beyond the seeds' noise; "
    + (f"with R1 the Dirac-GAN leaves the generator of {names(unpulled)} unpulled."
       if unpulled else "with R1 the Dirac-GAN attracts for every objective."),
    "Derived: the JS f-GAN is the non-saturating GAN halved (one algorithm under "
    "Adam), BGAN's generator minimises $\\\\tfrac12\\\\mathbb{E}_q[\\\\log^2(p/q)]$ at "
    "the optimal discriminator, and the hinge generator follows the gradient of "
    "$2\\\\,\\\\mathrm{TV}$.",
]), display=False)
""", "remove-input"),
    code("""
display(report.reproduce([
    "The zoo's numbers: `benchmarks/results/loss_zoo.json` (`python "
    f"benchmarks/loss_zoo.py`, seeds {result['seeds']}); the search that chose each "
    "row's optimiser: `benchmarks/results/zoo_search.json` (`python "
    "benchmarks/zoo_search.py`).",
    "The dynamics: `ganlib.dirac.of_member` on each zoo row, exact in SymPy.",
]))
""", "remove-input"),
]

write(cells, "09_which_objective.ipynb")
