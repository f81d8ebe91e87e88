"""Recompute the fingerprints of the committed results here, on this machine or device.

    python benchmarks/fingerprints.py                  # CPU: every file, every member (~40 s on 2 cores)
    python benchmarks/fingerprints.py --device cuda    # the same on a GPU
    python benchmarks/fingerprints.py --json --objectives hinge   # machine-readable, some zoo rows

``benchmarks/results/loss_zoo.json`` (the loss zoo, one member per cell), ``zoo_search.json`` (its
search, one member per cell), ``mode_hopping.json`` (V7), ``fgan_seeds.json`` (F5),
``critic_budget.json`` (T1) and ``r1_mixtures.json`` (R1 on the mixtures) each store a
fingerprint: the first ``ganlib.fingerprint.STEPS``
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

from ganlib import fingerprint

RESULTS = Path(__file__).resolve().parent / "results"


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


def check_zoo(device="cpu", file: str = "loss_zoo.json", objectives: list[str] | None = None) -> dict:
    """The two-row zoo's fingerprints (``loss_zoo.json``: each cell's ring8 run of seed 0; with
    ``file="zoo_search.json"``, its search: each cell's first candidate on ring8 with the first
    search seed) against the code here, of the cells of ``objectives`` (default: every cell):
    ``{"labels", "committed", "again"}``."""
    result = json.loads((RESULTS / file).read_text())
    settings = {k: tuple(v) if isinstance(v, list) else v for k, v in result["settings"].items()
                if k not in ("eval_every", "checkpoint_every")}
    cells = [c for c in result["cells"].values() if not objectives or c["objective"] in objectives]
    members = [{k: tuple(v) if isinstance(v, list) else v for k, v in c["fingerprint"]["member"].items()}
               for c in cells]
    return {"labels": [f"{c['objective']} / {c['row']}" for c in cells],
            "committed": [c["fingerprint"]["numbers"] for c in cells],
            "again": fingerprint.prefix(members, device=device, **settings) if members else []}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--objectives", nargs="*", help="these objectives' loss-zoo cells only (default: every file, every member)")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's)")
    parser.add_argument("--json", action="store_true", help="print one JSON line: the numbers and the machine")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    checks = {"loss_zoo.json": check_zoo(args.device, objectives=args.objectives)}
    if not args.objectives:
        checks["zoo_search.json"] = check_zoo(args.device, "zoo_search.json")
        checks["mode_hopping.json"] = check_mode_hopping(args.device)
        checks["fgan_seeds.json"] = check_fgan_seeds(args.device)
        checks["critic_budget.json"] = check_critic_budget(args.device)
        checks["r1_mixtures.json"] = check_r1_mixtures(args.device)
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
