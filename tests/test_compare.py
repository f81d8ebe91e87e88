"""The loss-zoo comparison: a reduced run of the same function, and the committed results."""

import json
import math
from pathlib import Path

import pytest

from ganlib import compare, losses

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KEYS = {"modes_mean", "modes_std", "hq_mean", "hq_std", "rkl_mean", "rkl_std", "no_hq_seeds",
        "seeds", "per_seed", "seconds"}


def check_cell(cell: dict, K: int, seeds: list) -> None:
    assert KEYS <= set(cell) and cell["seeds"] == seeds and len(cell["per_seed"]) == len(seeds)
    assert 0 <= cell["modes_mean"] <= K and cell["modes_std"] >= 0
    assert 0 <= cell["hq_mean"] <= 1 and cell["hq_std"] >= 0
    if cell["rkl_mean"] is not None:
        assert -1e-12 <= cell["rkl_mean"] <= math.log(K) + 1e-9
    assert cell["no_hq_seeds"] == sum(s["rkl"] is None for s in cell["per_seed"])
    assert all(s["modes"] <= K for s in cell["per_seed"])


def test_a_reduced_comparison_has_every_cell_and_metrics_in_range():
    seeds = [0, 1]
    out = compare.loss_zoo(seeds=seeds, steps=200, eval_every=100, device="cpu", progress=False)
    assert list(out["results"]) == losses.names()
    for objective, by_data in out["results"].items():
        assert list(by_data) == ["ring8", "grid25"]
        for data, cell in by_data.items():
            check_cell(cell, {"ring8": 8, "grid25": 25}[data], seeds)
    json.dumps(out, allow_nan=False)                        # strict JSON: no inf, no NaN
    for data in ("ring8", "grid25"):
        table = compare.table_markdown(out, data)
        assert len(table.splitlines()) == 2 + len(losses.names()) + 2
        assert compare.best(out, data) in losses.names()


def test_loss_zoo_names_the_valid_choices():
    with pytest.raises(ValueError, match="valid: \\['minimax'"):
        compare.loss_zoo(["lsgann"], seeds=[0], steps=10)
    with pytest.raises(ValueError, match="unknown mixture"):
        compare.loss_zoo(["lsgan"], ("ring9",), seeds=[0], steps=10)
    with pytest.raises(ValueError, match="unknown budget setting"):
        compare.loss_zoo(["lsgan"], seeds=[0], step=10)


def test_the_committed_comparison_covers_every_objective_with_five_seeds():
    result = json.loads((RESULTS / "quality.json").read_text())
    assert set(result["results"]) == set(losses.names())
    assert result["settings"]["budget"]["steps"] == compare.BUDGET["steps"]
    for objective, by_data in result["results"].items():
        assert set(by_data) == {"ring8", "grid25"}
        assert result["settings"]["objectives"][objective] == compare.SETTINGS[objective], \
            f"{objective}: quality.json was made with other settings than compare.SETTINGS: rerun the benchmark"
        for data, cell in by_data.items():
            assert len(cell["seeds"]) >= 5
            check_cell(cell, {"ring8": 8, "grid25": 25}[data], cell["seeds"])


def test_the_committed_comparison_was_made_by_the_code_here():
    """quality.json holds a 50-step prefix of each objective's seed-0 ring8 run; the same call
    today must give the same numbers (float32 on another CPU may round differently: 1e-4)."""
    result = json.loads((RESULTS / "quality.json").read_text())
    budget = {k: tuple(v) if isinstance(v, list) else v for k, v in result["settings"]["budget"].items()
              if k not in ("steps", "n_eval", "eval_every")}
    again = compare.fingerprint(list(result["fingerprint"]), result["settings"]["objectives"],
                                device="cpu", **budget)
    assert set(again) == set(losses.names())
    for objective, numbers in result["fingerprint"].items():
        assert numbers == pytest.approx(again[objective], rel=1e-4, abs=1e-5), \
            f"{objective}: benchmarks/results/quality.json is stale: rerun benchmarks/quality.py"


def test_the_settings_hold_the_searchs_choices():
    search = json.loads((RESULTS / "quality_search.json").read_text())
    assert set(search["best"]) == set(losses.names())
    for objective, lr in search["best"].items():
        assert compare.SETTINGS[objective]["lr"] == lr
        assert lr in compare.LR_GRID and set(map(float, search["scores"][objective])) == set(compare.LR_GRID)
    assert not set(search["seeds"]) & set(json.loads((RESULTS / "quality.json").read_text())["settings"]["seeds"])


def test_tuned_gives_train_the_zoo_settings_or_the_given_rate():
    assert compare.tuned("wgan-gp") == dict(objective="wgan-gp", lr_d=3e-4, lr_g=3e-4, n_critic=5)
    assert compare.tuned("lsgan", 2e-4, a=0.0, b=1.0, c=1.0) == \
        dict(objective="lsgan", lr_d=2e-4, lr_g=2e-4, a=0.0, b=1.0, c=1.0)
    assert compare.SETTINGS["wgan-gp"] == dict(lr=3e-4, n_critic=5)     # not popped in place
    with pytest.raises(ValueError, match="valid: minimax, nonsaturating"):
        compare.tuned("wgan_gp")
