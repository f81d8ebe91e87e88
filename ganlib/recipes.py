"""What the literature says: each objective's recipe (its optimiser, from its paper or its
authors' code, with the source of every number), the search variants around it and the choice
the search made, and the published results on the same mixtures with their budgets.

* ``RECIPES``: each objective's settings and their source; ``VARIANTS`` / ``variant``: the same
  four variants of every recipe (the recipe row's search candidates).
* ``ROWS``, ``row``, ``candidates``: the two-row zoo's rows (each recipe, and the same with R1)
  and the four candidates ``benchmarks/zoo_search.py`` tries in every row; ``ZOO_CHOICE`` /
  ``chosen``: the candidate and generator it chose, which ``benchmarks/loss_zoo.py`` trains.
* ``PUBLISHED``, ``PACGAN_STEPS``, ``BUDGETS``: the published tables the zoo is set beside.

``ganlib.zoo`` trains and scores them.
"""

from __future__ import annotations

G_EMA = 0.999          # the decay of the averaged generator every zoo run keeps beside G

# Each objective's own recipe: the optimiser its paper or its authors' code uses, with the
# source of every number.  Batch size and networks are the zoo's budget (``zoo.BUDGET``), the
# same for everyone.
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
    "fgan": dict(
        settings=dict(optimizer="adam", lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.999),
                      divergence="js", generator="alternative"),
        source="DCGAN's Adam (Radford et al. 2016: learning rate 2e-4, β₁ = 0.5): the f-GAN "
               "paper's optimiser numbers (Nowozin et al. 2016) could not be checked here; its "
               "Jensen–Shannon member with the alternative generator update."),
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
}

# Each objective as the book names it, in the book's order (its chapters' order, ``RECIPES``'s
# order): every table and figure of the zoo lists the objectives so and by these names.
NAMES = {"minimax": "minimax (saturating)", "nonsaturating": "non-saturating",
         "fgan": "f-GAN (JS)", "lsgan": "LSGAN", "bgan": "BGAN", "softmax": "Softmax GAN",
         "wgan": "WGAN", "wgan-gp": "WGAN-GP", "hinge": "hinge"}

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


# The zoo's two rows per objective: its recipe, and the same with R1 (Mescheder et al. 2018,
# eq. 9: (γ/2)·E_p‖∇ₓD(x)‖² on the real batch) — for WGAN in place of the clipping, for WGAN-GP
# in place of its gradient penalty: the Wasserstein losses with no constraint of their own.
ROWS = ("recipe", "R1")
LR_FACTORS = (1, 3)      # the search multiplies both learning rates by these
GAMMAS = (1.0, 10.0)     # and tries these γ in an R1 row: issue 27's probe's, GAN_stability's


def row(objective: str, name: str) -> dict:
    """``train``'s member dict of ``objective``'s row ``name`` (one of ``ROWS``), before the
    search: the recipe (``RECIPES``), or the recipe with R1 (γ is the search's)."""
    if objective not in RECIPES:
        raise ValueError(f"row: unknown objective {objective!r}; valid: {', '.join(RECIPES)}")
    if name not in ROWS:
        raise ValueError(f"row: unknown row {name!r}; valid: {', '.join(ROWS)}")
    member = dict(objective=objective, **RECIPES[objective]["settings"])
    if name == "R1" and objective in ("wgan", "wgan-gp"):
        member.pop("gp_weight", None)
        member.update(objective="wgan", clip=None)
    return member


def candidates(objective: str, row_name: str) -> dict[str, dict]:
    """The search's candidates of one row, four for every row: both learning rates × 1 or × 3
    (``LR_FACTORS``), and, in a recipe row, the recipe's β or the other common β₂ (``variant``),
    in an R1 row γ = 1 or 10 (``GAMMAS``).  ``{name: member dict}``."""
    base = row(objective, row_name)
    if row_name == "recipe":
        return {v: dict(objective=objective, **variant(objective, v)) for v in VARIANTS}
    out = {}
    for gamma in GAMMAS:
        for factor in LR_FACTORS:
            name = ("lr ×3, " if factor == 3 else "") + f"γ = {gamma:g}"
            out[name] = {**base, "lr_d": factor * base["lr_d"], "lr_g": factor * base["lr_g"],
                         "r1": gamma}
    return out


# What ``benchmarks/zoo_search.py`` chose for each row (written here by hand from
# results/zoo_search.json, which tests/test_zoo.py compares): "candidate | generator", the
# candidate (``candidates``) with the best mean score over both search seeds and both mixtures,
# and whether the raw G or the averaged G_ema scored it.  ``benchmarks/loss_zoo.py`` trains these.
ZOO_CHOICE: dict[str, str] = {
    "minimax / recipe": "lr ×3 | G",
    "minimax / R1": "lr ×3, γ = 10 | G_ema",
    "nonsaturating / recipe": "lr ×3 | G",
    "nonsaturating / R1": "lr ×3, γ = 1 | G_ema",
    "lsgan / recipe": "lr ×3, other β₂ | G",
    "lsgan / R1": "γ = 10 | G_ema",
    "bgan / recipe": "lr ×3, other β₂ | G",
    "bgan / R1": "lr ×3, γ = 1 | G",
    "softmax / recipe": "lr ×3 | G_ema",
    "softmax / R1": "lr ×3, γ = 1 | G",
    "hinge / recipe": "lr ×3 | G",
    "hinge / R1": "lr ×3, γ = 1 | G_ema",
    "fgan / recipe": "lr ×3 | G_ema",
    "fgan / R1": "lr ×3, γ = 1 | G_ema",
    "wgan-gp / recipe": "other β₂ | G",
    "wgan-gp / R1": "lr ×3, γ = 10 | G_ema",
    "wgan / recipe": "lr ×3 | G_ema",
    "wgan / R1": "lr ×3, γ = 1 | G_ema",
}


def chosen(objective: str, row_name: str) -> tuple[dict, bool]:
    """The zoo's member dict of one row (the search's chosen candidate, ``ZOO_CHOICE``, with
    ``g_ema``) and whether its table reports the averaged generator G_ema."""
    key = f"{objective} / {row_name}"
    if key not in ZOO_CHOICE:
        raise ValueError(f"chosen: the search has not chosen for {key!r}; chosen rows: "
                         f"{', '.join(ZOO_CHOICE)}")
    candidate, generator = ZOO_CHOICE[key].split(" | ")
    return {**candidates(objective, row_name)[candidate], "g_ema": G_EMA}, generator == "G_ema"

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
PACGAN_STEPS = 400_000   # PacGAN's Table 1: 400 epochs of 100,000 samples at batch 100
PACGAN_BATCH = 100
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
