"""The loss-zoo comparison: every objective × 5 seeds × ring8 and grid25, under one budget.

    python benchmarks/quality.py             # publication size → benchmarks/results/quality.json
    python benchmarks/quality.py --search    # the learning-rate search → results/quality_search.json
    python benchmarks/quality.py --quick     # 300 steps, 2 seeds: a smoke run (writes nothing)
    python benchmarks/quality.py --objectives lsgan hinge   # recompute some, merged into the file

The budget and the per-objective settings are ``ganlib.compare.BUDGET`` and ``SETTINGS``; the
loss-zoo chapter (notebooks/08_loss_zoo.ipynb) renders the JSON written here.

The search gives every objective the same grid (``compare.LR_GRID``, one learning rate for both
players), on both mixtures, with seed 100 — never a seed the comparison reports —
at half the budget's steps, and scores a setting by the mean over the two mixtures of
modes/K + HQ − rKL/log K (a run without HQ samples scores rKL as log K).  The chosen rate per
objective is then written into ``compare.SETTINGS`` by hand (the search only reports).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

from ganlib import compare

RESULTS = Path(__file__).resolve().parent / "results"
SEARCH_SEEDS = [100]


def score(summary: dict, K: int) -> float:
    rkl = summary["rkl_mean"] if summary["rkl_mean"] is not None and summary["no_hq_seeds"] == 0 \
        else math.log(K)
    return summary["modes_mean"] / K + summary["hq_mean"] - rkl / math.log(K)


def search(args) -> dict:
    steps = args.steps or compare.BUDGET["steps"] // 2
    out: dict = {"grid": list(compare.LR_GRID), "seeds": SEARCH_SEEDS, "steps": steps, "scores": {}}
    for objective in args.objectives or compare.SETTINGS:
        for lr in compare.LR_GRID:
            settings = {objective: {**compare.SETTINGS[objective], "lr": lr}}
            r = compare.loss_zoo([objective], seeds=SEARCH_SEEDS, settings=settings, steps=steps,
                                 device=args.device, progress=False)["results"][objective]
            s = sum(score(r[d], {"ring8": 8, "grid25": 25}[d]) for d in r) / len(r)
            out["scores"].setdefault(objective, {})[f"{lr:g}"] = {
                "score": s, **{d: {k: r[d][k] for k in ("modes_mean", "hq_mean", "rkl_mean")} for d in r}}
            print(f"{objective:14s} lr={lr:<7g} score {s:.3f}  " + "  ".join(
                f"{d}: {r[d]['modes_mean']:.1f} modes {100 * r[d]['hq_mean']:.1f}% HQ" for d in r),
                flush=True)
        best_lr = max(out["scores"][objective], key=lambda k: out["scores"][objective][k]["score"])
        out.setdefault("best", {})[objective] = float(best_lr)
        print(f"{objective}: best lr {best_lr}", flush=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search", action="store_true", help="run the learning-rate search")
    parser.add_argument("--quick", action="store_true", help="300 steps, 2 seeds; write nothing")
    parser.add_argument("--objectives", nargs="*", help="a subset of losses.names()")
    parser.add_argument("--steps", type=int, help="override the budget's steps")
    parser.add_argument("--device", default=None, help="cpu, cuda (default: CUDA when available)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    if args.search:
        out = search(args)
        path = RESULTS / "quality_search.json"
    else:
        seeds = [0, 1] if args.quick else [0, 1, 2, 3, 4]
        steps = 300 if args.quick else (args.steps or compare.BUDGET["steps"])
        out = compare.loss_zoo(args.objectives, seeds=seeds, steps=steps, device=args.device,
                               progress=False)
        for data in compare.DATASETS:
            print(f"\n{data}\n" + compare.table_markdown(out, data))
        path = None if args.quick else RESULTS / "quality.json"
    out["seconds"] = time.perf_counter() - start
    out["torch"] = torch.__version__
    out["device"] = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    out["threads"] = torch.get_num_threads()
    if path is not None and args.objectives and path.exists():
        # Recomputing a subset: merge into the file, which must share the budget and seeds.
        old = json.loads(path.read_text())
        key = "scores" if args.search else "results"
        if not args.search and {k: old["settings"][k] for k in ("budget", "seeds", "datasets")} != \
                {k: out["settings"][k] for k in ("budget", "seeds", "datasets")}:
            raise SystemExit(f"{path} was made with another budget, seeds or mixtures: rerun all objectives")
        old[key].update(out[key])
        if args.search:
            old["best"].update(out["best"])
        else:
            old["settings"]["objectives"].update(out["settings"]["objectives"])
            old["fingerprint"].update(out["fingerprint"])
        old["seconds"] = old.get("seconds", 0) + out["seconds"]
        out = {**out, **{k: old[k] for k in old if k not in ("torch", "device", "threads")}}
    if path is not None:
        RESULTS.mkdir(exist_ok=True)
        path.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
        print(f"wrote {path} in {out['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
