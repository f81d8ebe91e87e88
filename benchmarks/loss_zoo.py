"""The loss zoo, two rows per objective, on the reported seeds: what the search chose, trained long.

    python benchmarks/loss_zoo.py                          # every chosen row → results/loss_zoo.json
    python benchmarks/loss_zoo.py --objectives lsgan bgan  # some rows; the others stay as they are
    python benchmarks/loss_zoo.py --steps 40000            # extend every row to 40,000 steps
    python benchmarks/loss_zoo.py --steps 40000 --result results/loss_zoo_40k.json   # … beside
    python benchmarks/loss_zoo.py --quick                  # 200 steps of one row: a smoke run (writes nothing)

A **cell** is one objective × row (``recipes.ROWS``: its recipe, or the same with R1), trained
with the candidate the search chose (``recipes.chosen``, from ``results/zoo_search.json``) on
both mixtures with the reported seeds 0–4: ten members, one ``train`` call, one stack.  Networks,
batch and evaluation are the zoo's budget (``zoo.BUDGET``); every cell trains the same ``--steps``
and is evaluated every ``EVAL_EVERY`` steps, so each curve's ``zoo.drift`` over the last quarter
of the run says whether it is flat.

**Resumable within a cell and extendable.**  A cell saves its stack to ``results/checkpoints/``
every ``CHECKPOINT_EVERY`` steps, so a stopped sitting loses at most that much; the next one
resumes from the file (``train(resume=…)``, bit for bit).  A finished cell is written to the
JSON at once and skipped by a later call with the same steps; a call with more steps resumes
it from its checkpoint and trains on (the first steps are the same runs).  ``seconds`` is the
cell's training time over all sittings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ganlib import fingerprint, recipes, zoo
from ganlib.train import train
from zoo_search import code_version

RESULT = Path(__file__).resolve().parent / "results" / "loss_zoo.json"
CHECKPOINTS = RESULT.parent / "checkpoints"
SEEDS = [0, 1, 2, 3, 4]          # the reported seeds; the search used others (zoo_search.SEARCH_SEEDS)
STEPS = 20_000
EVAL_EVERY = 500
CHECKPOINT_EVERY = 1_000
GENERATORS = {"G": "mode_stats", "G_ema": "ema_mode_stats"}


def settings(eval_every: int = EVAL_EVERY) -> dict:
    """The ``train`` settings every cell shares, but ``steps``: the zoo's budget."""
    budget = {k: v for k, v in zoo.BUDGET.items() if k != "steps"}
    return dict(eval_every=eval_every, checkpoint_every=max(eval_every, CHECKPOINT_EVERY), **budget)


def cell_members(objective: str, row: str) -> tuple[list[tuple], list[dict], bool]:
    """A cell's members (the chosen candidate × mixtures × seeds), their keys, and whether the
    table reports G_ema."""
    member, ema = recipes.chosen(objective, row)
    keys = [(data, seed) for data in zoo.DATASETS for seed in SEEDS]
    return keys, [{**member, "data": data, "seed": seed} for data, seed in keys], ema


def run_cell(objective: str, row: str, steps: int, device=None, made_with: dict | None = None,
             checkpoints: Path = CHECKPOINTS, eval_every: int = EVAL_EVERY) -> dict:
    """Train (or resume) one cell to ``steps`` and summarise it per mixture: the final
    evaluation's mean ± std over the seeds (``zoo._summary``, of the chosen generator), both
    generators' score curves (per seed) and the drift of their seed mean."""
    keys, members, ema = cell_members(objective, row)
    checkpoints.mkdir(parents=True, exist_ok=True)
    ckpt = checkpoints / f"{objective}--{row}.pt"
    runs = train(members=members, steps=steps, device=device, progress=False,
                 checkpoint=ckpt, resume=ckpt if ckpt.exists() else None, **settings(eval_every))
    mixtures = {}
    for data in zoo.DATASETS:
        rs = [r for (d, _), r in zip(keys, runs) if d == data]
        summary = zoo._summary(rs, SEEDS, ema)
        step = summary["curves"]["raw"]["step"]
        scores = {g: zoo.score_curves(rs, key, zoo.K_OF[data]) for g, key in GENERATORS.items()}
        summary["score_curves"] = scores              # per seed, at every evaluation
        summary["seed_curves"] = {g: zoo.seed_curves(rs, key) for g, key in GENERATORS.items()}
        summary["drift"] = {g: zoo.drift(step, np.mean(s, axis=0)) for g, s in scores.items()}
        summary["flat"] = abs(summary["drift"]["G_ema" if ema else "G"]) < zoo.FLAT
        mixtures[data] = summary
    budget = {k: v for k, v in settings().items() if k not in ("eval_every", "checkpoint_every")}
    return {"objective": objective, "row": row, "choice": recipes.ZOO_CHOICE[f"{objective} / {row}"],
            "member": zoo._jsonable(recipes.chosen(objective, row)[0]),
            "steps": steps, "seconds": runs[0].seconds, **mixtures,
            "fingerprint": {"member": zoo._jsonable(members[0]),      # ring8, seed 0
                            "numbers": fingerprint.prefix(members[:1], device="cpu", **budget)[0]},
            "made_with": made_with or code_version()}


def record(name: str, cell: dict, head: dict, result: Path = RESULT) -> dict:
    """Write one finished cell into ``result``, re-read under a lock: another sitting may have
    written other cells since this one started (two ``loss_zoo.py`` processes, one thread
    each, train two cells at once), and only this cell is replaced.  Returns the file's content."""
    import fcntl
    with open(result.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = json.loads(result.read_text()) if result.exists() else {**head, "cells": {}}
        out["cells"][name] = cell
        out["seconds"] = sum(c["seconds"] for c in out["cells"].values())
        tmp = result.with_suffix(".tmp")
        tmp.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
        tmp.replace(result)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objectives", nargs="*", help="a subset of recipes.RECIPES")
    parser.add_argument("--rows", nargs="*", default=list(recipes.ROWS))
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--quick", action="store_true", help="200 steps of one row; write nothing")
    parser.add_argument("--device", default=None)
    parser.add_argument("--result", type=Path, default=RESULT,
                        help="the JSON to write (default results/loss_zoo.json): a longer zoo can "
                             "grow beside the committed one until every cell is done")
    args = parser.parse_args(argv)
    made_with = code_version()                   # before training: later edits do not count
    chosen = [tuple(k.split(" / ")) for k in recipes.ZOO_CHOICE]
    order = args.objectives or list(dict.fromkeys(o for o, _ in chosen))
    cells = [(o, r) for o in order for r in args.rows if (o, r) in chosen]   # in the order asked
    if args.quick:
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            cell = run_cell(*cells[0], 200, args.device, made_with, Path(tmp), eval_every=10)
        print(json.dumps({d: {k: cell[d][k] for k in ("modes_mean", "hq_mean", "drift", "flat")}
                          for d in zoo.DATASETS}))
        return 0
    head = {"seeds": SEEDS, "settings": zoo._jsonable(settings())}
    result = args.result.resolve()
    out = json.loads(result.read_text()) if result.exists() else {**head, "cells": {}}
    if {k: out.get(k) for k in head} != head:
        raise SystemExit(f"{result} was made with other settings: move it away to start again")
    for objective, row in cells:
        name = f"{objective} / {row}"
        old = out["cells"].get(name)
        if old and old["steps"] == args.steps and old["choice"] == recipes.ZOO_CHOICE[name]:
            print(f"{name}: done before, skipped", flush=True)
            continue
        cell = run_cell(objective, row, args.steps, args.device, made_with)
        record(name, cell, head, result)
        print(f"{name}: {cell['seconds']:.0f} s; " + "; ".join(
            f"{d} {cell[d]['modes_mean']:.1f} modes, {100 * cell[d]['hq_mean']:.1f} % HQ, "
            f"drift {cell[d]['drift']['G_ema' if cell[d]['ema'] else 'G']:+.3f}"
            for d in zoo.DATASETS), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
