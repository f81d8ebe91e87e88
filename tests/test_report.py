"""ganlib.report: the training chapters' boxes and tables, on known numbers."""

import numpy as np
import pytest

from ganlib import report, zoo
from ganlib.train import train


def cell(ema: bool) -> dict:
    """A two-row zoo cell with two seeds and evaluations at steps 0, 500 and 1,000."""
    per_mixture = {"ema": ema, "curves": {"raw": {"step": [0, 500, 1000]}},
                   "modes_mean": 7.5, "modes_std": 0.5}
    chosen = {"modes": [[0, 3, 8], [0, 4, 7]], "hq": [[0.0, 0.5, 0.9], [0.0, 0.7, 0.95]],
              "rkl": [[None, 1.0, 0.1], [None, 0.5, None]]}
    other = {k: [[-1] * 3] * 2 for k in chosen}                  # must not be read
    curves = {"G_ema": chosen, "G": other} if ema else {"G": chosen, "G_ema": other}
    return {"steps": 1000, **{d: {**per_mixture, "seed_curves": curves} for d in zoo.DATASETS}}


def test_at_step_is_the_seeds_mean_and_std_of_the_chosen_generator():
    for ema in (False, True):
        at = zoo.at_step(cell(ema), "ring8", 500)
        assert at["modes"] == pytest.approx((3.5, 0.5))
        assert at["hq"] == pytest.approx((0.6, 0.1))
        assert at["rkl"] == pytest.approx((0.75, 0.25))
    # rKL over the seeds with HQ samples only; none at all gives None
    assert zoo.at_step(cell(False), "grid25", 1000)["rkl"] == pytest.approx((0.1, 0.0))
    assert zoo.at_step(cell(False), "grid25", 0)["rkl"] is None
    assert report.spread(zoo.at_step(cell(False), "ring8", 500)) == \
        "3.5 ± 0.5 · 60.0 ± 10.0 · 0.75 ± 0.25"


def test_boxes_are_myst_admonitions_the_browser_test_finds():
    md = report.box(["one **result**", "another"]).data
    assert md.startswith("```{admonition} What you will see\n:class: tip what-you-will-see\n")
    assert "\n* one **result**\n* another\n```" in md
    assert ":class: note takeaway" in report.takeaway(["x"]).data
    drop = report.reproduce(["`make book`"]).data
    assert drop.startswith("```{dropdown} Reproduce this page\n:class-container: reproduce\n")


def test_committed_names_what_there_is():
    with pytest.raises(ValueError, match="no result 'loss_zo'; committed: .*zoo_search"):
        report.committed("loss_zo")
    with pytest.raises(ValueError, match="no cell 'lsgan / R2'; it has: a / recipe"):
        report.zoo_cell({"cells": {"a / recipe": {}}}, "lsgan / R2")


def test_runs_table_sets_a_run_beside_the_zoos_seeds():
    members = [dict(objective="nonsaturating", seed=0, g_ema=0.9, r1=1.0, data=d)
               for d in zoo.DATASETS]
    out = train(members=members, steps=4, eval_every=2, batch_size=16, n_eval=200,
                device="cpu", progress=False)
    runs = {d: {"NS": r} for d, r in zip(zoo.DATASETS, out)}
    fake = {"cells": {"nonsaturating / R1": cell(True)}}
    table = report.runs_table(runs, {"NS": "G_ema"}, {"NS": "nonsaturating / R1"}, fake)
    lines = table.splitlines()
    assert lines[0] == ("| data | run (generator) | this page: seed 0, step 4 | zoo: 2 seeds, "
                        "step 0 | zoo: 2 seeds, step 1,000 |")
    s = out[0].final_ema_stats
    assert lines[2].startswith(f"| ring8 | NS (G_ema) | {report.triple(s, 8)} | 0.0 ± 0.0 · 0.0 ± 0.0 · — | "
                               "7.5 ± 0.5 · 92.5 ± 2.5 · 0.10 ± 0.00 |")
    # without a zoo row: dashes
    assert report.runs_table(runs, {"NS": "G"}, {"NS": None}, fake).splitlines()[3].endswith("· — | — |")
    # a page that trains as long as the zoo: one zoo column, not the same one twice
    long = {"cells": {"nonsaturating / R1": {**cell(True), "steps": 4}}}
    for d in zoo.DATASETS:
        long["cells"]["nonsaturating / R1"][d]["curves"]["raw"]["step"] = [0, 4]
    one = report.runs_table(runs, {"NS": "G_ema"}, {"NS": "nonsaturating / R1"}, long).splitlines()
    assert one[0].endswith("| this page: seed 0, step 4 | zoo: 2 seeds, step 4 |")
    assert all(line.count("|") == 5 for line in one)
    settings = report.settings_table(runs["ring8"], {"NS": "G_ema"})
    assert "| NS | adam | 0.0001 | 0.0001 | 0.5, 0.999 | 1 | 1 | G_ema |" in settings
    with pytest.raises(ValueError, match="valid: G, G_ema"):
        report.stats_of(out[0], "D")


def test_the_sentences_say_what_the_runs_did():
    members = [dict(objective="nonsaturating", seed=0, r1=r1, data=d)
               for d in zoo.DATASETS for r1 in (0.0, 1.0)]
    out = train(members=members, steps=4, eval_every=2, batch_size=16, n_eval=200,
                device="cpu", progress=False)
    runs = {d: {"NS": out[2 * i], "NS, R1": out[2 * i + 1]} for i, d in enumerate(zoo.DATASETS)}
    generator = {"NS": "G", "NS, R1": "G"}
    m = [r.final_stats["modes"] for r in out]
    assert report.modes(runs, generator, "NS") == f"{m[0]}/8 ring8 and {m[2]}/25 grid25 modes"
    assert report.total_modes(runs, generator, "NS, R1") == m[1] + m[3]
    gain = m[1] + m[3] - m[0] - m[2]
    n = f"{abs(gain)} mode" + ("s" if abs(gain) != 1 else "")
    assert report.r1_effect(runs, generator, "NS", "NS, R1") == (
        f"R1 adds {n} at this seed" if gain > 0 else
        "R1 changes no mode count at this seed" if gain == 0 else f"R1 costs {n} at this seed")
    z = cell(False)
    z.update(seconds=12.0, made_with={"git": "abc1234"})
    z["grid25"] = {**z["grid25"], "modes_mean": 24.0, "modes_std": 1.25}
    assert report.zoo_modes(z) == "7.5 ± 0.5 ring8 and 24.0 ± 1.2 grid25 modes after 1,000 steps"
    assert report.zoo_modes(z, steps=False) == "7.5 ± 0.5 ring8 and 24.0 ± 1.2 grid25 modes"
    drop = report.reproduce_training("x.ipynb", runs, [z]).data
    assert "trains 4 runs of 4 steps (seed 0, batch 16)" in drop
    assert "`papermill notebooks/x.ipynb out.ipynb" in drop and "(commit abc1234," in drop
    assert "12 s of training for this row)" in drop


def test_reproduce_training_takes_more_items():
    members = [dict(objective="nonsaturating", seed=0, data=d) for d in zoo.DATASETS]
    out = train(members=members, steps=2, eval_every=2, batch_size=16, n_eval=100,
                device="cpu", progress=False)
    runs = {d: {"NS": r} for d, r in zip(zoo.DATASETS, out)}
    drop = report.reproduce_training("y.ipynb", runs, [], extra=["the seeds: `z.json`"]).data
    assert drop.endswith("* the seeds: `z.json`\n```") and "zoo's columns" not in drop
    assert "(parameters: `device`, `steps`, `batch_size`, `lr`, `seed`, `eval_every`)" in drop


def test_reproduce_training_counts_every_stack_of_the_call():
    """Members that cannot share a stack (here: 1 and 2 critic steps) train as several stacks
    of one call; the dropdown counts every run and adds the stacks' times."""
    members = [dict(objective="nonsaturating", seed=0, data=d, n_critic=k)
               for k in (1, 2) for d in zoo.DATASETS]
    out = train(members=members, steps=2, eval_every=2, batch_size=16, n_eval=100,
                device="cpu", progress=False)
    runs = {d: {"one": out[i], "two": out[2 + i]} for i, d in enumerate(zoo.DATASETS)}
    drop = report.reproduce_training("w.ipynb", runs, []).data
    total = out[0].seconds + out[2].seconds
    assert out[0].seconds != out[2].seconds and out[0].seconds == out[1].seconds
    assert (f"trains 4 runs of 2 steps (seed 0, batch 16) in one `train` call, as 2 stacks "
            f"of 2, 2: {total:.0f} s on cpu.") in drop


def zoo_row(objective: str, row: str, modes: tuple[float, float], n_critic: int = 1) -> dict:
    member = {"objective": objective, "n_critic": n_critic, **({"r1": 10.0} if row == "R1" else {})}
    return {"objective": objective, "row": row, "member": member,
            **{d: {"modes_mean": m, "modes_std": 0.5, "hq_mean": 0.9} for d, m in zip(zoo.DATASETS, modes)}}


def test_the_guide_tables_put_each_objectives_two_rows_on_one_line():
    result = {"cells": {"wgan / recipe": zoo_row("wgan", "recipe", (6.0, 20.0), 5),
                        "wgan / R1": zoo_row("wgan", "R1", (8.0, 24.5), 1)}}
    table = report.zoo_by_objective(result, ["wgan"]).splitlines()
    assert table[2] == ("| {doc}`WGAN <../notebooks/06_wgan_training>` | 6.0 ± 0.5 (90 %) · "
                        "20.0 ± 0.5 (90 %) | 8.0 ± 0.5 (90 %) · 24.5 ± 0.5 (90 %) | 10 | 5 |")
    assert not report.meets(result["cells"]["wgan / recipe"], zoo.R1_TARGET)
    assert report.meets(result["cells"]["wgan / R1"], zoo.R1_TARGET)
    with pytest.raises(ValueError, match="unknown objective 'gan'; valid: minimax"):
        report.objective_link("gan")


def test_the_choice_table_ranks_both_rows_and_says_why_an_r1_row_falls_short():
    def cell(objective, row, modes, hq):
        member = {"objective": objective, "optimizer": "adam", "lr_d": 3e-4, "lr_g": 3e-4,
                  "betas": [0.5, 0.999], **({"r1": 1.0} if row == "R1" else {})}
        per_mixture = {d: {"modes_mean": m, "modes_std": 0.0, "hq_mean": hq,
                           "per_seed": [{"modes": m, "hq": hq, "rkl": 0.1}]}
                       for d, m in zip(zoo.DATASETS, modes)}
        return {"objective": objective, "row": row, "member": member, **per_mixture}
    result = {"cells": {"bgan / recipe": cell("bgan", "recipe", (5, 12), 0.6),
                        "bgan / R1": cell("bgan", "R1", (6, 20), 0.2),
                        "lsgan / recipe": cell("lsgan", "recipe", (5, 21), 0.8),
                        "lsgan / R1": cell("lsgan", "R1", (8, 25), 0.9)}}
    lines = report.choice_table(result, ["lsgan", "bgan"], unpulled=["bgan"]).splitlines()
    assert len(lines) == 4
    # one seed: std 0; score = mean over the mixtures of modes/K + HQ − rKL/log K
    lsgan_r1 = np.mean([8 / 8 + 0.9 - 0.1 / np.log(8), 25 / 25 + 0.9 - 0.1 / np.log(25)])
    lsgan_recipe = np.mean([5 / 8 + 0.8 - 0.1 / np.log(8), 21 / 25 + 0.8 - 0.1 / np.log(25)])
    assert lines[2] == ("| {doc}`LSGAN <../notebooks/03_lsgan_training>` | "
                        f"{lsgan_recipe:.2f} ± 0.00 (#2 of 4) | {lsgan_r1:.2f} ± 0.00 (#1 of 4) "
                        "| 1 | every mode, on average, on both mixtures |")
    assert lines[3].endswith("(#4 of 4) | 1 | short: 6.0 ring8, 20.0 grid25 (R1 leaves its "
                             "generator unpulled) |")
    assert report.choice_table(result, ["bgan"]).endswith("short: 6.0 ring8, 20.0 grid25 |")


def test_the_dynamics_table_says_circles_attracts_or_not_pulled():
    lin = lambda eig, omega=0.0: {"eigenvalues": eig, "omega": omega}
    rows = report.dynamics_table({
        "wgan": dict(gamma=1.0, plain=lin([1j, -1j], 1.0), r1=lin([-0.5 + 0.866j, -0.5 - 0.866j])),
        "bgan": dict(gamma=1.0, plain=lin([0j, 0j]), r1=lin([-1 + 0j, 0j]))}).splitlines()
    assert rows[2].endswith("| circles, ω = 1.00 | γ = 1: attracts (eigenvalues -0.50 ± 0.87i) |")
    assert rows[3].endswith("| a line of equilibria (eigenvalues 0, 0) | γ = 1: θ is not pulled "
                            "(eigenvalues -1.00, 0.00) |")


def test_the_recipes_table_cites_every_objectives_source():
    from ganlib import recipes
    rows = report.recipes_table().splitlines()[2:]
    assert len(rows) == len(recipes.RECIPES)
    for row, (o, recipe) in zip(rows, recipes.RECIPES.items()):
        assert row.endswith(f"| {recipe['source']} |"), o
    assert report.optimiser(dict(optimizer="adam", lr_d=1e-4, lr_g=1e-3, betas=(0.5, 0.999))) == \
        "Adam, D 1e-4, G 1e-3, β = (0.5, 0.999)"
    assert report.optimiser(dict(optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5)) == "RMSProp, 5e-5"
