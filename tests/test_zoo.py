"""The loss zoo: the recipes and their search, the two-row zoo's cells (resumed, extended) and
the committed results."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from ganlib import losses, recipes, zoo
from ganlib.train import train


ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KEYS = {"modes_mean", "modes_std", "hq_mean", "hq_std", "rkl_mean", "rkl_std", "no_hq_seeds",
        "seeds", "per_seed", "seconds", "ema", "curves"}


def check_cell(cell: dict, K: int, seeds: list) -> None:
    assert KEYS <= set(cell) and cell["seeds"] == seeds and len(cell["per_seed"]) == len(seeds)
    assert 0 <= cell["modes_mean"] <= K and cell["modes_std"] >= 0
    assert 0 <= cell["hq_mean"] <= 1 and cell["hq_std"] >= 0
    if cell["rkl_mean"] is not None:
        assert -1e-12 <= cell["rkl_mean"] <= math.log(K) + 1e-9
    assert cell["no_hq_seeds"] == sum(s["rkl"] is None for s in cell["per_seed"])
    assert all(s["modes"] <= K for s in cell["per_seed"])
    for curve in cell["curves"].values():
        n = len(curve["step"])
        assert n >= 2 and curve["step"][0] == 0 and all(len(curve[k]) == n for k in ("modes", "hq", "rkl"))
        assert all(0 <= m <= K for m in curve["modes"]) and all(0 <= h <= 1 for h in curve["hq"])
    assert len(cell["players"]) == len(seeds) and all(len(p["d_modes"]) == K for p in cell["players"])
    final = cell["curves"]["ema" if cell["ema"] else "raw"]
    assert final["modes"][-1] == pytest.approx(cell["modes_mean"]) and \
        final["hq"][-1] == pytest.approx(cell["hq_mean"])


def test_every_recipe_trains_with_the_numbers_its_source_gives():
    """Each recipe's cited numbers, read back from what train actually used (Run.config and the
    objective the run was built with), not only from the dict."""
    cited = {  # objective: (optimizer, lr_d, lr_g, betas or None, n_critic, objective params)
        "minimax": ("adam", 1e-4, 1e-3, (0.5, 0.999), 1, {}),
        "nonsaturating": ("adam", 1e-4, 1e-4, (0.8, 0.999), 1, {}),
        "lsgan": ("adam", 1e-4, 1e-3, (0.5, 0.999), 1, {"a": 0.0, "b": 1.0, "c": 1.0}),
        "bgan": ("adam", 1e-4, 1e-4, (0.5, 0.999), 1, {}),
        "softmax": ("adam", 2e-4, 2e-4, (0.5, 0.999), 1, {}),
        "wgan": ("rmsprop", 5e-5, 5e-5, None, 5, {"clip": 0.01}),
        "wgan-gp": ("adam", 1e-4, 1e-4, (0.5, 0.9), 5, {"gp_weight": 10.0}),
        "hinge": ("adam", 1e-4, 1e-4, (0.5, 0.999), 1, {}),
        "fgan": ("adam", 2e-4, 2e-4, (0.5, 0.999), 1, {"divergence": "js", "generator": "alternative"}),
    }
    assert set(cited) == set(recipes.RECIPES) == set(losses.names())
    runs = train(members=[dict(objective=o, **recipes.variant(o, "recipe")) for o in cited],
                 steps=1, n_eval=16, hidden=8, batch_size=8, progress=False, device="cpu")
    for (objective, (opt, lr_d, lr_g, betas, n_critic, params)), run in zip(cited.items(), runs):
        c = run.config
        assert (c["optimizer"], c["lr_d"], c["lr_g"], c["n_critic"]) == (opt, lr_d, lr_g, n_critic), objective
        if betas is not None:
            assert c["betas"] == betas, objective
        assert {k: run.objective.params[k] for k in params} == params, objective
        for lr in (lr_d, lr_g):                     # the source names the number: 1e-4, 5e-5, …
            assert f"{lr:.0e}".replace("e-0", "e-") in recipes.RECIPES[objective]["source"], (objective, lr)
    assert runs[5].objective.clip == 0.01 and runs[6].objective.gp_weight == 10.0


def test_pacgans_budget_is_400_epochs_of_100000_samples_at_batch_100():
    assert recipes.PACGAN_STEPS * recipes.PACGAN_BATCH == 400 * 100_000
    assert recipes.BUDGETS["PacGAN Table 1"].startswith(
        f"400 epochs of 100,000 samples at batch {recipes.PACGAN_BATCH} "
        f"(≈ {recipes.PACGAN_STEPS:,} steps)")


def test_the_variants_are_the_same_four_for_every_objective():
    for objective in recipes.RECIPES:
        r = recipes.variant(objective, "recipe")
        x3 = recipes.variant(objective, "lr ×3")
        assert (x3["lr_d"], x3["lr_g"]) == pytest.approx((3 * r["lr_d"], 3 * r["lr_g"]))
        other = recipes.variant(objective, "other β₂")
        if r["optimizer"] == "rmsprop":
            assert other["optimizer"] == "adam" and other["betas"] == (0.5, 0.9)
        else:
            assert other["betas"][0] == r["betas"][0] and {other["betas"][1], r["betas"][1]} == {0.9, 0.999}
        both = recipes.variant(objective, "lr ×3, other β₂")
        assert both == {**other, "lr_d": x3["lr_d"], "lr_g": x3["lr_g"]}
    with pytest.raises(ValueError, match="valid: recipe, lr ×3"):
        recipes.variant("lsgan", "lr x3")


def test_every_row_tries_the_same_number_of_candidates_and_r1_rows_use_the_penalty():
    """The search's rows as ``train`` runs them (read back from ``Run.config`` and the objective
    each run was built with): four candidates per row; a recipe row is its recipe's variants
    and has no R1; an R1 row is the recipe with γ ∈ GAMMAS and both rates × 1 or × 3, and for
    WGAN and WGAN-GP has R1 *in place of* the clipping or the gradient penalty."""
    rows = [(o, row, name, member) for o in recipes.RECIPES for row in recipes.ROWS
            for name, member in recipes.candidates(o, row).items()]
    assert len(rows) == 4 * len(recipes.ROWS) * len(recipes.RECIPES)
    runs = train(members=[m for *_, m in rows], steps=1, n_eval=16, hidden=8, batch_size=8,
                 progress=False, device="cpu")
    for (objective, row, name, member), run in zip(rows, runs):
        recipe = recipes.RECIPES[objective]["settings"]
        c, obj = run.config, run.objective
        factor = 3 if "lr ×3" in name else 1
        assert (c["lr_d"], c["lr_g"]) == pytest.approx((factor * recipe["lr_d"], factor * recipe["lr_g"]))
        assert c["n_critic"] == recipe.get("n_critic", 1), (objective, row, name)
        if row == "recipe":
            assert c["r1"] == 0.0 and member == dict(objective=objective, **recipes.variant(objective, name))
            assert (obj.clip, obj.gp_weight) == (recipe.get("clip"), recipe.get("gp_weight"))
        else:
            assert c["r1"] in recipes.GAMMAS and name.endswith(f"γ = {c['r1']:g}")
            assert c["optimizer"] == recipe["optimizer"] and c.get("betas") == recipe.get("betas", c["betas"])
            if objective in ("wgan", "wgan-gp"):
                assert obj.name == "wgan" and obj.clip is None and obj.gp_weight is None
            else:
                assert obj.name == objective and (obj.clip, obj.gp_weight) == (None, None)
    with pytest.raises(ValueError, match="valid: recipe, R1"):
        recipes.row("lsgan", "r1")


def test_the_committed_search_cells_are_the_rows_here_and_their_choice_is_their_best():
    """results/zoo_search.json (written cell by cell by benchmarks/zoo_search.py; its float64
    fingerprints are checked with the other files' in test_fingerprint.py): every cell holds
    the candidates ``recipes.candidates`` gives now, scores each with G and G_ema, names the
    best of the eight, and the best by each search seed alone; the search seeds are not the
    zoo's reported ones."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("zoo_search", ROOT / "benchmarks" / "zoo_search.py")
    zoo_search = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(zoo_search)
    search = json.loads((RESULTS / "zoo_search.json").read_text())
    assert search["seeds"] == zoo_search.SEARCH_SEEDS and not set(search["seeds"]) & set(range(5))
    assert search["settings"] == zoo._jsonable(zoo_search.settings(zoo_search.STEPS))
    assert search["cells"], "no finished cell"
    for name, cell in search["cells"].items():
        assert name == f"{cell['objective']} / {cell['row']}" and cell["row"] in recipes.ROWS
        assert cell["candidates"] == {n: zoo._jsonable(m) for n, m in
                                      recipes.candidates(cell["objective"], cell["row"]).items()}
        assert len(cell["scored"]) == 2 * len(cell["candidates"])
        for key, c in cell["scored"].items():
            assert key == f"{c['candidate']} | {c['generator']}"
            for data, K in (("ring8", 8), ("grid25", 25)):
                assert len(c[data]["per_seed"]) == len(search["seeds"])
                assert c[data]["scores"] == pytest.approx([
                    zoo.score({**s, "rkl": math.inf if s["rkl"] is None else s["rkl"]}, K)
                    for s in c[data]["per_seed"]])
                assert c[data]["curve"]["step"][-1] == search["settings"]["steps"]
            assert c["score_by_seed"] == pytest.approx(
                [(c["ring8"]["scores"][i] + c["grid25"]["scores"][i]) / 2 for i in range(2)])
        assert cell["best"] == max(cell["scored"], key=lambda k: cell["scored"][k]["score"])
        assert cell["best_by_seed"] == [max(cell["scored"], key=lambda k: cell["scored"][k]["score_by_seed"][i])
                                        for i in range(len(search["seeds"]))]


def test_zoo_choice_is_each_committed_search_cells_best():
    """recipes.ZOO_CHOICE is written by hand from results/zoo_search.json: one entry per
    finished cell, its best candidate and generator; ``chosen`` gives that candidate with the
    averaged generator kept, and names the chosen rows for a row not searched yet."""
    search = json.loads((RESULTS / "zoo_search.json").read_text())
    assert recipes.ZOO_CHOICE == {name: cell["best"] for name, cell in search["cells"].items()}
    for name, choice in recipes.ZOO_CHOICE.items():
        objective, row = name.split(" / ")
        member, ema = recipes.chosen(objective, row)
        candidate, generator = choice.split(" | ")
        assert member == {**recipes.candidates(objective, row)[candidate], "g_ema": recipes.G_EMA}
        assert ema == (generator == "G_ema")
    with pytest.raises(ValueError, match="chosen rows: minimax / recipe"):
        recipes.chosen("minimax", "r1")


def test_drift_is_the_last_quarters_slope_times_a_quarter_of_the_run():
    steps = list(range(0, 20_001, 500))
    rising = [1e-5 * t for t in steps]                   # 0.05 per quarter of 20,000 steps
    assert zoo.drift(steps, rising) == pytest.approx(0.05)
    # an early rise that has stopped is flat: only the last quarter counts
    plateau = [min(1.5, 1e-4 * t) for t in steps]
    assert zoo.drift(steps, plateau) == pytest.approx(0.0, abs=1e-12)
    noisy = [1.2 + 0.01 * (-1) ** i for i in range(len(steps))]
    assert abs(zoo.drift(steps, noisy)) < zoo.FLAT
    with pytest.raises(ValueError, match="at least 3"):
        zoo.drift([0, 100], [0.0, 1.0])


def test_a_loss_zoo_cell_resumes_and_extends_to_the_runs_of_one_call(tmp_path, monkeypatch):
    """benchmarks/loss_zoo.py trains a cell from its checkpoint to more steps: a cell trained to
    40 steps and then extended to 60 holds the same final numbers as one trained to 60 at
    once, its seconds summed over both calls, and a curve's drift from its score curve."""
    import loss_zoo                                    # benchmarks/
    monkeypatch.setattr(zoo, "BUDGET", {**zoo.BUDGET, "batch_size": 32, "n_eval": 250})
    objective, row = next(iter(recipes.ZOO_CHOICE)).split(" / ")
    kw = dict(device="cpu", made_with={"git": "test"}, eval_every=5)
    first = loss_zoo.run_cell(objective, row, 40, checkpoints=tmp_path / "a", **kw)
    extended = loss_zoo.run_cell(objective, row, 60, checkpoints=tmp_path / "a", **kw)
    direct = loss_zoo.run_cell(objective, row, 60, checkpoints=tmp_path / "b", **kw)
    for data, K in (("ring8", 8), ("grid25", 25)):
        assert extended[data]["per_seed"] == direct[data]["per_seed"]
        assert extended[data]["score_curves"] == direct[data]["score_curves"]
        assert extended[data]["curves"]["raw"]["step"] == list(range(0, 61, 5))
        check_cell(extended[data], K, loss_zoo.SEEDS)
        for g, scores in extended[data]["score_curves"].items():
            assert len(scores) == len(loss_zoo.SEEDS) and all(len(s) == 13 for s in scores)
            mean = [sum(s[i] for s in scores) / len(scores) for i in range(13)]
            assert extended[data]["drift"][g] == pytest.approx(
                zoo.drift(list(range(0, 61, 5)), mean), abs=1e-12)
        ema = extended[data]["ema"]
        # the per-seed curves end at each seed's final numbers; at_step averages them
        chosen = extended[data]["seed_curves"]["G_ema" if ema else "G"]
        assert [m[-1] for m in chosen["modes"]] == [s["modes"] for s in extended[data]["per_seed"]]
        assert [h[-1] for h in chosen["hq"]] == pytest.approx(
            [s["hq"] for s in extended[data]["per_seed"]], abs=5e-5)
        end = zoo.at_step(extended, data, 60)
        assert end["modes"][0] == pytest.approx(extended[data]["modes_mean"])
        assert end["modes"][1] == pytest.approx(extended[data]["modes_std"])
        assert end["hq"][0] == pytest.approx(extended[data]["hq_mean"], abs=5e-5)
        with pytest.raises(ValueError, match="no evaluation at step 7; the cell has steps 0, 5"):
            zoo.at_step(extended, data, 7)
        assert extended[data]["flat"] == (abs(extended[data]["drift"]["G_ema" if ema else "G"])
                                          < zoo.FLAT)
    assert extended["seconds"] > first["seconds"]
    # the page's table and figure take the cells as loss_zoo.json holds them
    result = {"cells": {f"{objective} / {row}": extended}}
    (entry,) = zoo.ranking(result)
    per_seed = [(a + b) / 2 for a, b in zip(zoo.seed_scores(extended["ring8"], "ring8"),
                                            zoo.seed_scores(extended["grid25"], "grid25"))]
    assert entry["score"] == pytest.approx(sum(per_seed) / len(per_seed))
    assert all(s == pytest.approx(c[-1]) for s, c in zip(
        zoo.seed_scores(extended["ring8"], "ring8"),
        extended["ring8"]["score_curves"]["G_ema" if extended["ring8"]["ema"] else "G"]))
    table, beaten, columns = zoo.versus_published(result)
    assert columns == 6 and 0 <= beaten <= 6 and table.count("\n") == 7
    ring_modes = extended["ring8"]["modes_mean"]
    assert (f"| ring8 | modes | {ring_modes:.2f} ± " in table and
            table.splitlines()[2].endswith("| yes |" if ring_modes >= 7.8 else "| no |"))
    with pytest.raises(ValueError, match="valid: GAN, ALI, PacGAN2, PacGAN3, PacGAN4"):
        zoo.versus_published(result, "PacGAN5")
    short = zoo.short_of_target(result, row=row)
    assert len(short) == (extended["ring8"]["modes_mean"] < 7.5 or
                          extended["grid25"]["modes_mean"] < 24)
    assert zoo.short_of_target(result, row=row, target={"ring8": 0, "grid25": 0}) == {}
    every = zoo.short_of_target(result, row=row, target={"ring8": 9, "grid25": 26})
    modes = ", ".join(f"{s['modes']:g}" for s in extended["ring8"]["per_seed"])
    assert every[objective].startswith(f"ring8 {ring_modes:.1f} < 9 (seeds {modes}); grid25 ")
    table = zoo.ranking_markdown(result).splitlines()
    name = recipes.NAMES[objective]
    assert len(table) == 2 + 1 + 5 and table[2].startswith(f"| 1 | {name} | {row} (")
    assert "PacGAN4" in table[-1] and "| 24.8 | 93.6 | 0.040 |" in table[-1]
    assert table[0].count("|") == 11 and all(line.count("|") == 11 for line in table)
    import matplotlib
    matplotlib.use("Agg")
    from ganlib import plot
    fig = plot.zoo_curves(result, "grid25")
    (title,) = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    moving = [r + zoo._moving(extended[d]) for d in ["grid25"] for r in [row]
              if not extended[d]["flat"]]
    assert title == name + (f"  ({moving[0]})" if moving else "")
    assert extended["fingerprint"] == direct["fingerprint"] == first["fingerprint"]


def test_r1s_change_is_paired_by_seed_and_called_clear_only_beyond_twice_its_error():
    def cell(modes_by_seed, drift=0.0):
        per_seed = [{"modes": m, "hq": 0.9, "rkl": 0.1} for m in modes_by_seed]
        return {d: {"seeds": [0, 1, 2, 3], "per_seed": per_seed, "ema": False, "flat": drift == 0,
                    "drift": {"G": drift}} for d in zoo.DATASETS}
    result = {"cells": {"x / recipe": cell([4, 5, 6, 7]), "x / R1": cell([5, 6, 7, 8]),
                        "y / recipe": cell([4, 5, 6, 7]), "y / R1": cell([7, 4, 7, 4])}}
    clear = zoo.paired_difference(result, "x")           # one more mode on every seed
    assert clear["se"] == pytest.approx(0) and clear["clear"]
    assert clear["mean"] == pytest.approx(np.mean([1 / 8, 1 / 25]))
    noisy = zoo.paired_difference(result, "y")           # +3, -1, +1, -3 modes: noise
    assert noisy["mean"] == pytest.approx(0) and not noisy["clear"]
    result["cells"]["y / R1"]["ring8"]["seeds"] = [5, 6, 7, 8]
    with pytest.raises(ValueError, match="other seeds"):
        zoo.paired_difference(result, "y")
    assert zoo._moving(cell([1], 0.2)["ring8"]) == " ↗" and zoo._moving(cell([1], -0.2)["ring8"]) == " ↘"
    assert zoo._moving(cell([1])["ring8"]) == ""


def test_the_book_names_every_objective_in_its_chapters_order():
    assert list(recipes.NAMES) == list(recipes.RECIPES)            # one order everywhere
    assert zoo.book_name("fgan") == "f-GAN (JS)" and zoo.book_name("x") == "x"
    cells = [{"objective": o, "row": r} for o in ("hinge", "x", "minimax") for r in ("R1", "recipe")]
    assert [(c["objective"], c["row"]) for c in zoo.in_book_order(cells)] == [
        ("minimax", "recipe"), ("minimax", "R1"), ("hinge", "recipe"), ("hinge", "R1"),
        ("x", "recipe"), ("x", "R1")]


def test_scores_at_an_earlier_step_rank_the_committed_cells_as_their_curves_say():
    result = json.loads((RESULTS / "loss_zoo.json").read_text())
    last = next(iter(result["cells"].values()))["steps"]
    final = {e["name"]: e["score"] for e in zoo.ranking(result)}
    at_end = zoo.scores_at(result, last)          # the curves' last point is the final score
    assert at_end == pytest.approx(final)
    assert set(zoo.scores_at(result, last // 2)) == set(final)
    with pytest.raises(ValueError, match="no evaluation at step 7"):
        zoo.scores_at(result, 7)


def test_a_published_row_is_scored_from_its_means():
    pacgan4 = next(r for r in recipes.PUBLISHED if r["method"] == "PacGAN4")
    ring = 7.8 / 8 + 0.959 - 0.07 / math.log(8)
    grid = 24.8 / 25 + 0.936 - 0.04 / math.log(25)
    assert zoo.published_score(pacgan4) == pytest.approx((ring + grid) / 2)


def test_the_search_table_names_each_cells_choice_and_counts_the_seeds_agreeing():
    search = json.loads((RESULTS / "zoo_search.json").read_text())
    table, agree, cells = zoo.search_markdown(search)
    lines = table.splitlines()
    assert cells == len(search["cells"]) == len(lines) - 2
    assert agree == sum(c["best_by_seed"][0] == c["best_by_seed"][1] for c in search["cells"].values())
    first = zoo.in_book_order(search["cells"].values())[0]     # minimax's recipe row
    assert (first["objective"], first["row"]) == ("minimax", "recipe")
    assert lines[2].startswith(f"| {recipes.NAMES['minimax']} | recipe | "
                               f"{first['best'].replace(' | ', ' · ')} | "
                               f"{first['scored'][first['best']]['score']:.2f} |")


def test_a_finished_cell_is_merged_into_what_another_sitting_wrote(tmp_path):
    """Two loss_zoo.py processes train two cells at once: each writes its cell into the file
    as it is then, so neither drops the other's."""
    import loss_zoo                                    # benchmarks/
    head = {"seeds": [0], "settings": {"batch_size": 8}}
    result = tmp_path / "zoo.json"
    first = loss_zoo.record("a / recipe", {"seconds": 2.0}, head, result)
    assert first == {**head, "cells": {"a / recipe": {"seconds": 2.0}}, "seconds": 2.0}
    loss_zoo.record("b / R1", {"seconds": 3.0}, head, result)      # started before a was written
    both = json.loads(result.read_text())
    assert both["cells"] == {"a / recipe": {"seconds": 2.0}, "b / R1": {"seconds": 3.0}}
    assert both["seconds"] == 5.0
    loss_zoo.record("a / recipe", {"seconds": 4.0}, head, result)  # a cell trained again
    assert json.loads(result.read_text())["cells"]["a / recipe"] == {"seconds": 4.0}


def test_the_committed_two_row_zoo_trains_the_chosen_rows_on_the_reported_seeds():
    """results/loss_zoo.json (written cell by cell by benchmarks/loss_zoo.py; its float64
    fingerprints are checked by tests/test_fingerprint.py): every cell trains the row the search
    chose (recipes.chosen) — an R1 row with the penalty, a recipe row without — on seeds 0–4 and both mixtures, and its summary agrees with its curves."""
    import loss_zoo                                    # benchmarks/
    result = json.loads((RESULTS / "loss_zoo.json").read_text())
    assert result["seeds"] == loss_zoo.SEEDS == [0, 1, 2, 3, 4]
    assert result["seconds"] == pytest.approx(sum(c["seconds"] for c in result["cells"].values()))
    for name, cell in result["cells"].items():
        objective, row = name.split(" / ")
        member, ema = recipes.chosen(objective, row)
        assert cell["choice"] == recipes.ZOO_CHOICE[name] and cell["member"] == zoo._jsonable(member)
        assert (member.get("r1", 0) > 0) == (row == "R1")        # R1 rows use the penalty
        for data in zoo.DATASETS:
            s = cell[data]
            check_cell(s, zoo.K_OF[data], loss_zoo.SEEDS)
            assert s["ema"] == ema and s["curves"]["raw"]["step"][-1] == cell["steps"]
            chosen = s["seed_curves"]["G_ema" if ema else "G"]
            assert [m[-1] for m in chosen["modes"]] == [p["modes"] for p in s["per_seed"]]
            assert s["flat"] == (abs(s["drift"]["G_ema" if ema else "G"]) < zoo.FLAT)
            mean = np.mean(s["score_curves"]["G_ema" if ema else "G"], axis=0)
            assert s["drift"]["G_ema" if ema else "G"] == pytest.approx(
                zoo.drift(s["curves"]["raw"]["step"], mean), abs=1e-12)
