"""Recompute the fingerprints of the committed results here, on this machine or device.

    python benchmarks/fingerprints.py                  # CPU: every file, every member (~40 s on 2 cores)
    python benchmarks/fingerprints.py --device cuda    # the same on a GPU
    python benchmarks/fingerprints.py --json --objectives hinge   # machine-readable, some zoo objectives

``benchmarks/results/quality.json`` (the loss zoo), ``mode_hopping.json`` (V7), ``fgan_seeds.json``
(F5), ``critic_budget.json`` (T1), ``r1_mixtures.json`` (R1 on the mixtures), ``zoo_search.json`` (the
two-row zoo's search, one member per cell) and ``loss_zoo.json`` (the two-row zoo) each store a fingerprint: the first ``ganlib.fingerprint.STEPS``
steps of the call that made them, retrained in float64 (``ganlib.fingerprint.prefix``).  This script
retrains them with the code here and prints, per file, the largest relative difference from the
committed numbers and every number outside ``ganlib.fingerprint.RTOL``; it exits 1 if any is.  The
tests (``tests/test_zoo.py``, ``test_mode_hopping.py``, ``test_fgan_seeds.py``,
``test_dynamics.py``, ``test_fingerprint.py``) run the same functions on the CPU.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import torch

from ganlib import fingerprint, zoo

RESULTS = Path(__file__).resolve().parent / "results"


def zoo_call(result: dict) -> tuple[dict, dict]:
    """The objectives' settings and the budget a quality.json records, as ``zoo.zoo_fingerprint``
    takes them (JSON lists back to tuples)."""
    budget = {k: tuple(v) if isinstance(v, list) else v for k, v in result["settings"]["budget"].items()
              if k not in ("steps", "n_eval", "eval_every")}
    settings = {o: {k: tuple(v) if isinstance(v, list) else v for k, v in s.items()}
                for o, s in result["settings"]["objectives"].items()}
    return settings, budget


def check_zoo(device="cpu", objectives: list[str] | None = None) -> dict:
    """quality.json's fingerprint against the code here: ``{"labels", "committed", "again"}``."""
    result = json.loads((RESULTS / "quality.json").read_text())
    settings, budget = zoo_call(result)
    objectives = list(objectives or result["fingerprint"])
    again = zoo.zoo_fingerprint(objectives, settings, device=device, **budget)
    return {"labels": objectives, "committed": [result["fingerprint"][o] for o in objectives],
            "again": [again[o] for o in objectives]}


def _check_sweep(file: str, device, label) -> dict:
    result = json.loads((RESULTS / file).read_text())
    return {"labels": [label(m) for m in result["members"]], "committed": result["fingerprint"]["numbers"],
            "again": fingerprint.prefix(result["members"], device=device, **result["settings"])}


def check_mode_hopping(device="cpu") -> dict:
    """mode_hopping.json's fingerprint against the code here: ``{"labels", "committed", "again"}``."""
    return _check_sweep("mode_hopping.json", device, lambda m: f"{m['objective']} seed {m['seed']}")


def check_critic_budget(device="cpu") -> dict:
    """critic_budget.json's fingerprint against the code here: ``{"labels", "committed", "again"}``."""
    return _check_sweep("critic_budget.json", device,
                        lambda m: f"{m['objective']} {m['n_critic']} x {m['lr_d']:g} seed {m['seed']}")


def check_r1_mixtures(device="cpu") -> dict:
    """r1_mixtures.json's fingerprint against the code here: ``{"labels", "committed", "again"}``."""
    return _check_sweep("r1_mixtures.json", device, lambda m: f"{m['data']} r1={m['r1']:g} seed {m['seed']}")


def check_fgan_seeds(device="cpu") -> dict:
    """fgan_seeds.json's fingerprint against the code here: ``{"labels", "committed", "again"}``."""
    return _check_sweep("fgan_seeds.json", device, lambda m: f"{m['divergence']} seed {m['seed']}")


def check_zoo_search(device="cpu", file: str = "zoo_search.json") -> dict:
    """zoo_search.json's fingerprints (one member per finished cell: its first candidate on ring8
    with the first search seed) against the code here: ``{"labels", "committed", "again"}``.
    ``file="loss_zoo.json"``: the same for the two-row zoo (each cell's ring8 run of seed 0)."""
    result = json.loads((RESULTS / file).read_text())
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in result["settings"].items()
                if k not in ("eval_every", "checkpoint_every")}
    cells = list(result["cells"].values())
    members = [{k: tuple(v) if isinstance(v, list) else v for k, v in c["fingerprint"]["member"].items()}
               for c in cells]
    return {"labels": [f"{c['objective']} / {c['row']}" for c in cells],
            "committed": [c["fingerprint"]["numbers"] for c in cells],
            "again": fingerprint.prefix(members, device=device, **settings) if members else []}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--objectives", nargs="*", help="zoo objectives only (default: both files, every member)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--json", action="store_true", help="print one JSON line: the numbers and the machine")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    checks = {"quality.json": check_zoo(args.device, args.objectives)}
    if not args.objectives:
        checks["mode_hopping.json"] = check_mode_hopping(args.device)
        checks["fgan_seeds.json"] = check_fgan_seeds(args.device)
        checks["critic_budget.json"] = check_critic_budget(args.device)
        checks["r1_mixtures.json"] = check_r1_mixtures(args.device)
        checks["zoo_search.json"] = check_zoo_search(args.device)
        if (RESULTS / "loss_zoo.json").exists():
            checks["loss_zoo.json"] = check_zoo_search(args.device, "loss_zoo.json")
    bad = {name: fingerprint.mismatches(c["committed"], c["again"], labels=c["labels"]) for name, c in checks.items()}
    if args.json:
        import ganlib
        print(json.dumps({"checks": checks, "mismatches": bad, "ganlib": ganlib.__file__,
                          "device": args.device, "capability": torch.backends.cpu.get_cpu_capability(),
                          "threads": torch.get_num_threads(), "machine": platform.machine()}))
    else:
        print(f"device {args.device}, CPU kernels {torch.backends.cpu.get_cpu_capability()}, "
              f"{torch.get_num_threads()} threads; tolerance {fingerprint.RTOL:g} relative")
        for name, c in checks.items():
            print(f"{name}: {len(c['labels'])} members, largest relative difference "
                  f"{fingerprint.worst(c['committed'], c['again']):.1e}"
                  + "".join(f"\n  {line}" for line in bad[name]))
    return 1 if any(bad.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
