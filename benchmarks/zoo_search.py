"""The loss zoo's search, two rows per objective: its recipe, and the same with R1.

    python benchmarks/zoo_search.py                         # every objective × row → results/zoo_search.json
    python benchmarks/zoo_search.py --objectives lsgan bgan # some cells; the others stay as they are
    python benchmarks/zoo_search.py --quick                 # 200 steps, one objective: a smoke run (writes nothing)

Every row — an objective's recipe (``ganlib.recipes.RECIPES``) or the same objective with R1
(``recipes.row``: for WGAN in place of its clipping, for WGAN-GP in place of its gradient
penalty) — tries the same number of candidates, ``recipes.candidates``: both learning rates × 1
or × 3, and the recipe's β or the other common β₂ (recipe rows) or γ = 1 or 10 (R1 rows).  Each
candidate trains on both mixtures with both search seeds (``SEARCH_SEEDS``, disjoint from the
zoo's reported seeds 0–4), keeping an averaged generator (``recipes.G_EMA``) beside G, so a row
scores 4 candidates × 2 generators = 8, each by ``zoo.score`` of its final evaluation averaged
over mixtures and seeds.  Networks, batch and evaluation are the zoo's budget (``zoo.BUDGET``);
every cell trains ``STEPS`` steps with ``EVALS`` evaluations, so the curves say whether it is
still moving.

**Resumable.**  A cell is one objective × row (16 members, one ``train`` call per optimiser);
it saves its stacks to ``results/checkpoints/`` every ``CHECKPOINT_EVERY`` steps and a stopped
sitting resumes from there; the file is rewritten after each cell, and a cell already in the
file with the same settings is skipped.
Each cell records its best candidate, the best by each search seed alone (``best_by_seed``: how
often they differ is the search's noise), its curves, its CPU seconds, the code it was made with,
and a float64 fingerprint of its first member (``fingerprint.prefix``) that ties it to the code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from ganlib import fingerprint, recipes, zoo
from ganlib.train import train
from sweep import git_commit

RESULT = Path(__file__).resolve().parent / "results" / "zoo_search.json"
SEARCH_SEEDS = [100, 101]        # never a reported seed (0–4)
STEPS = 10_000
EVALS = 20                       # evaluations per run: the curves' resolution
K = {"ring8": 8, "grid25": 25}
GENERATORS = {"G": "mode_stats", "G_ema": "ema_mode_stats"}
CHECKPOINTS = RESULT.parent / "checkpoints"
CHECKPOINT_EVERY = 1_000


def settings(steps: int) -> dict:
    """The ``train`` settings every cell shares: the zoo's budget, this search's steps."""
    budget = {k: v for k, v in zoo.BUDGET.items() if k != "steps"}
    return dict(steps=steps, eval_every=max(1, steps // EVALS), g_ema=recipes.G_EMA, **budget)


def cell_members(objective: str, row: str) -> tuple[list[tuple], list[dict]]:
    """A cell's members: candidates × mixtures × search seeds, and their keys."""
    keys, members = [], []
    for name, member in recipes.candidates(objective, row).items():
        for data in zoo.DATASETS:
            for seed in SEARCH_SEEDS:
                keys.append((name, data, seed))
                members.append({**member, "data": data, "seed": seed})
    return keys, members


def _stats(s: dict) -> dict:
    return {"modes": s["modes"], "hq": s["hq"], "rkl": s["rkl"] if np.isfinite(s["rkl"]) else None}


def search_cell(objective: str, row: str, steps: int, device=None,
                made_with: dict | None = None, checkpoints: Path = CHECKPOINTS) -> dict:
    """Train one cell and score its candidates; ``made_with`` names the code (taken when the
    process started: the code it imported)."""
    keys, members = cell_members(objective, row)
    common = settings(steps)
    # One train call per optimiser (WGAN's recipe row tries RMSProp and Adam: two stacks), each
    # checkpointed, so a stopped sitting resumes the cell where it was (bit for bit).
    checkpoints.mkdir(parents=True, exist_ok=True)
    runs, seconds = [None] * len(members), 0.0
    for opt in dict.fromkeys(m.get("optimizer", "adam") for m in members):
        idx = [i for i, m in enumerate(members) if m.get("optimizer", "adam") == opt]
        ckpt = checkpoints / f"search--{objective}--{row}--{opt}.pt"
        part = train(members=[members[i] for i in idx], device=device, progress=False,
                     checkpoint=ckpt, resume=ckpt if ckpt.exists() else None,
                     checkpoint_every=max(common["eval_every"], CHECKPOINT_EVERY), **common)
        for i, r in zip(idx, part):
            runs[i] = r
        seconds += part[0].seconds                  # over every sitting
    scored: dict = {}
    for name in recipes.candidates(objective, row):
        for generator, key in GENERATORS.items():
            per = {}
            for data in zoo.DATASETS:
                rs = [r for (n, d, _), r in zip(keys, runs) if n == name and d == data]
                per[data] = {"per_seed": [_stats(r.history[key][-1]) for r in rs],
                             "scores": [zoo.score(r.history[key][-1], K[data]) for r in rs],
                             "curve": zoo._curve(rs, key)}
            by_seed = [float(np.mean([per[d]["scores"][i] for d in zoo.DATASETS]))
                       for i in range(len(SEARCH_SEEDS))]
            scored[f"{name} | {generator}"] = {"candidate": name, "generator": generator,
                                               "score": float(np.mean(by_seed)),
                                               "score_by_seed": by_seed, **per}
    best = max(scored, key=lambda c: scored[c]["score"])
    best_by_seed = [max(scored, key=lambda c: scored[c]["score_by_seed"][i])
                    for i in range(len(SEARCH_SEEDS))]
    first = {**members[0], "data": "ring8"}
    return {"objective": objective, "row": row,
            "candidates": {n: zoo._jsonable(m) for n, m in recipes.candidates(objective, row).items()},
            "scored": scored, "best": best, "best_by_seed": best_by_seed,
            "seconds": seconds, "stack_sizes": sorted({r.config["stack_size"] for r in runs}),
            "fingerprint": {"member": zoo._jsonable(first), "numbers": fingerprint.prefix(
                [first], device="cpu", **{k: v for k, v in common.items() if k != "eval_every"})[0]},
            "made_with": made_with or code_version()}


def code_version() -> dict:
    """The commit (``+changes`` if ganlib or benchmarks are edited) and the machine's torch."""
    return {"git": git_commit(), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objectives", nargs="*", help="a subset of recipes.RECIPES")
    parser.add_argument("--rows", nargs="*", default=list(recipes.ROWS))
    parser.add_argument("--quick", action="store_true", help="200 steps of one cell; write nothing")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    objectives = args.objectives or list(recipes.RECIPES)
    made_with = code_version()                   # before training: later edits do not count
    if args.quick:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            cell = search_cell(objectives[0], args.rows[0], 200, args.device, made_with, Path(tmp))
        print(json.dumps({k: cell[k] for k in ("best", "best_by_seed", "seconds")}))
        return 0
    head = {"seeds": SEARCH_SEEDS, "settings": zoo._jsonable(settings(STEPS)),
            "rows": list(recipes.ROWS), "gammas": list(recipes.GAMMAS),
            "lr_factors": list(recipes.LR_FACTORS)}
    out = json.loads(RESULT.read_text()) if RESULT.exists() else {**head, "cells": {}}
    if {k: out.get(k) for k in head} != head:
        raise SystemExit(f"{RESULT} was made with other search settings: move it away to start again")
    for objective in objectives:
        for row in args.rows:
            name = f"{objective} / {row}"
            wanted = {n: zoo._jsonable(m) for n, m in recipes.candidates(objective, row).items()}
            if name in out["cells"] and out["cells"][name]["candidates"] == wanted:
                print(f"{name}: done before, skipped", flush=True)
                continue
            cell = search_cell(objective, row, STEPS, args.device, made_with)
            out["cells"][name] = cell
            out["seconds"] = sum(c["seconds"] for c in out["cells"].values())
            tmp = RESULT.with_suffix(".tmp")
            tmp.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
            tmp.replace(RESULT)
            print(f"{name}: {cell['seconds']:.0f} s, best {cell['best']} "
                  f"({cell['scored'][cell['best']]['score']:.3f}), by seed {cell['best_by_seed']}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
