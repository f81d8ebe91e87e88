"""The loss zoo: every objective × 5 seeds × ring8 and grid25, each with its own recipe.

    python benchmarks/quality.py             # the zoo → benchmarks/results/quality.json
    python benchmarks/quality.py --search    # the search around each recipe → results/quality_search.json
    python benchmarks/quality.py --isolate   # the ring-collapse interventions → results/quality_isolate.json
    python benchmarks/quality.py --quick     # 300 steps, 2 seeds: a smoke run (writes nothing)
    python benchmarks/quality.py --objectives lsgan hinge   # recompute some, merged into the file

**The zoo** trains every objective with ``ganlib.recipes.settings_of`` (its recipe,
``recipes.RECIPES``, in the variant the search chose, ``recipes.CHOICE``) for
``zoo.BUDGET["steps"]`` steps, on seeds 0–4, and records the raw and the averaged
generator's evaluations every ``steps // EVALS`` steps: the curves of the convergence figure.

**The search** trains, for every objective, the same four variants of its recipe
(``recipes.VARIANTS``) on both mixtures with the search seeds (``SEARCH_SEEDS``, never a seed
the zoo reports), each keeping an averaged generator, so eight candidates per objective
(variant × raw/averaged G) are scored by ``zoo.score`` of their final evaluation, averaged
over mixtures and seeds.  The best candidate is then written into ``recipes.CHOICE`` by hand
(the search only reports; ``tests/test_zoo.py`` checks the two agree).

**The interventions** (``--isolate``) retrain LSGAN and BGAN on ring8, seeds 0 and 1, with
their zoo settings and one change each (``INTERVENTIONS``): 5 critic steps per generator step
(does the discriminator lag?), for LSGAN the other label setting a = −1, b = 1, c = 0, and
for WGAN-GP the penalty weight λ = 0.1 that its authors' toy script uses instead of the paper's 10.
The unchanged runs are the zoo's own (members do not depend on their stack).

Each objective is trained in one ``train`` call and the file is rewritten after each one, so a
stopped run keeps what it finished (``--objectives`` continues it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ganlib import recipes, zoo
from ganlib.metrics import players_at
from ganlib.train import train

RESULTS = Path(__file__).resolve().parent / "results"
SEARCH_SEEDS = [100]
SEARCH_STEPS = 10_000
EVALS = 20                       # evaluations per run (the curves' resolution)
K = {"ring8": 8, "grid25": 25}
INTERVENTIONS = [("lsgan", "5 critic steps", dict(n_critic=5)),
                 ("lsgan", "labels a = -1, b = 1, c = 0", dict(a=-1.0, b=1.0, c=0.0)),
                 ("bgan", "5 critic steps", dict(n_critic=5)),
                 ("wgan-gp", "λ = 0.1 (gan_toy.py's)", dict(gp_weight=0.1))]
ISOLATE_SEEDS = [0, 1]


def isolate(steps: int, device) -> dict:
    """The interventions, in one ``train`` call."""
    keys = [(o, name, change, seed) for o, name, change in INTERVENTIONS for seed in ISOLATE_SEEDS]
    members = [dict(objective=o, data="ring8", seed=seed, **{**recipes.settings_of(o), **change})
               for o, _, change, seed in keys]
    t0 = time.perf_counter()
    runs = train(members=members, steps=steps, eval_every=max(1, steps // EVALS), progress=False,
                 device=device, batch_size=zoo.BUDGET["batch_size"], n_eval=zoo.BUDGET["n_eval"])
    out = {"steps": steps, "seeds": ISOLATE_SEEDS, "seconds": time.perf_counter() - t0, "runs": []}
    for (o, name, change, seed), r in zip(keys, runs):
        ema = recipes.CHOICE[o]["ema"]
        key = "ema_mode_stats" if ema else "mode_stats"
        final = r.history[key][-1]
        out["runs"].append({"objective": o, "change": name, "settings": zoo._jsonable(change),
                            "seed": seed, "ema": ema, "modes": final["modes"], "hq": final["hq"],
                            "curve": zoo._curve([r], key),
                            "players": players_at(r.G, r.D, r.data)})
    return out


def search_objective(objective: str, steps: int, device) -> dict:
    """Every variant × mixture × search seed of one objective, in one ``train`` call."""
    keys = [(v, d, seed) for v in recipes.VARIANTS for d in zoo.DATASETS for seed in SEARCH_SEEDS]
    members = [dict(objective=objective, data=d, seed=seed, g_ema=recipes.G_EMA,
                    **recipes.variant(objective, v)) for v, d, seed in keys]
    t0 = time.perf_counter()
    runs = train(members=members, steps=steps, eval_every=max(1, steps // EVALS), progress=False,
                 device=device, batch_size=zoo.BUDGET["batch_size"], n_eval=zoo.BUDGET["n_eval"])
    out = {"seconds": time.perf_counter() - t0, "candidates": {}}
    for v in recipes.VARIANTS:
        for ema in (False, True):
            key = "ema_mode_stats" if ema else "mode_stats"
            cells = {}
            for d in zoo.DATASETS:
                rs = [r for (v2, d2, _), r in zip(keys, runs) if v2 == v and d2 == d]
                final = [r.history[key][-1] for r in rs]
                cells[d] = {"modes": float(np.mean([s["modes"] for s in final])),
                            "hq": float(np.mean([s["hq"] for s in final])),
                            "score": float(np.mean([zoo.score(s, K[d]) for s in final])),
                            "curve": zoo._curve(rs, key)}
            out["candidates"][f"{v}{', EMA' if ema else ''}"] = {
                "variant": v, "ema": ema, "settings": zoo._jsonable(recipes.variant(objective, v)),
                "score": float(np.mean([c["score"] for c in cells.values()])), **cells}
    best = max(out["candidates"].values(), key=lambda c: c["score"])
    out["best"] = {"variant": best["variant"], "ema": best["ema"]}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--search", action="store_true", help="run the search around each recipe")
    parser.add_argument("--isolate", action="store_true", help="the ring-collapse interventions")
    parser.add_argument("--quick", action="store_true", help="300 steps, 2 seeds; write nothing")
    parser.add_argument("--objectives", nargs="*", help="a subset of losses.names()")
    parser.add_argument("--steps", type=int, help="override the steps (zoo: BUDGET, search: SEARCH_STEPS)")
    parser.add_argument("--device", default=None, help="cpu, cuda (default: CUDA when available)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    objectives = args.objectives or list(recipes.RECIPES)
    name = "quality_isolate.json" if args.isolate else "quality_search.json" if args.search else "quality.json"
    path = None if args.quick else RESULTS / name
    old = json.loads(path.read_text()) if path is not None and args.objectives and path.exists() \
        and not args.isolate else None
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    meta = {"torch": torch.__version__, "device": device, "threads": torch.get_num_threads()}
    start = time.perf_counter()
    if args.isolate:
        out = {**isolate(args.steps or zoo.BUDGET["steps"], args.device), **meta}
        if path is not None:
            path.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
        print("\n".join(f"{r['objective']} {r['change']} seed {r['seed']}: {r['modes']} modes, "
                        f"{100 * r['hq']:.1f} % HQ" for r in out["runs"]))
    elif args.search:
        steps = args.steps or SEARCH_STEPS
        out = old or {"variants": list(recipes.VARIANTS), "seeds": SEARCH_SEEDS, "steps": steps,
                      "g_ema": recipes.G_EMA, "budget": zoo._jsonable(zoo.BUDGET),
                      "objectives": {}, "seconds": 0.0}
        if out["steps"] != steps or out["seeds"] != SEARCH_SEEDS:
            raise SystemExit(f"{path} was made with other steps or seeds: rerun all objectives")
        for objective in objectives:
            out["objectives"][objective] = search_objective(objective, steps, args.device)
            r = out["objectives"][objective]
            print(f"{objective:14s} {r['seconds']:6.0f} s  best: {r['best']}  " + "  ".join(
                f"{name}: {c['score']:.2f}" for name, c in r["candidates"].items()), flush=True)
            out["seconds"] = out.get("seconds", 0.0) + r["seconds"]
            out.update(meta)
            if path is not None:
                path.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
    else:
        seeds = [0, 1] if args.quick else [0, 1, 2, 3, 4]
        steps = 300 if args.quick else (args.steps or zoo.BUDGET["steps"])
        out = old
        for objective in objectives:
            t0 = time.perf_counter()
            part = zoo.loss_zoo([objective], seeds=seeds, steps=steps, device=args.device,
                                    progress=False, eval_every=max(1, steps // EVALS))
            part["seconds"] = time.perf_counter() - t0
            if out is None:
                out = part
            else:
                if {k: out["settings"][k] for k in ("budget", "seeds", "datasets")} != \
                        {k: part["settings"][k] for k in ("budget", "seeds", "datasets")}:
                    raise SystemExit("the file was made with another budget, seeds or mixtures: "
                                     "rerun all objectives")
                for key in ("results", "fingerprint"):
                    out[key].update(part[key])
                out["settings"]["objectives"].update(part["settings"]["objectives"])
                out["seconds"] = out.get("seconds", 0.0) + part["seconds"]
            out.update(meta)
            print(f"{objective}: {part['seconds']:.0f} s  " + "  ".join(
                f"{d}: {s['modes_mean']:.1f} modes, {100 * s['hq_mean']:.1f} % HQ"
                for d, s in part["results"][objective].items()), flush=True)
            if path is not None:
                path.write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
        for data in zoo.DATASETS:
            print(f"\n{data}\n" + zoo.table_markdown(out, data))
    print(f"done in {time.perf_counter() - start:.0f} s" + (f": {path}" if path else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
