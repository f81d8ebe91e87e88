"""The committed seed sweeps' one writer: train members on a mixture in one call, commit their mode
histories with a float64 fingerprint.

``mode_hopping.py`` (V7), ``fgan_seeds.py`` (F5) and ``critic_budget.py`` (T1) each name their
members and settings and call ``sweep``: it trains them with ``ganlib.train.train(members=…)`` on
the CPU and writes ``{"settings", <the caller's fields>, "members", "runs", "fingerprint",
"seconds", "stack_size", "made_with"}`` — each run is its member's extra fields (``divergence``,
``n_critic``, ``lr_d`` …) and ``Run.mode_record()``; the fingerprint is
``ganlib.fingerprint.prefix`` of the same call, which ``benchmarks/fingerprints.py`` and the
tests recompute.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import time
from pathlib import Path

import torch

from ganlib import fingerprint
from ganlib.train import train

HERE = Path(__file__).resolve().parent


def git_commit() -> str:
    """The commit the code is run at, ``+changes`` when ganlib or benchmarks have uncommitted edits
    (asked before training starts, so later edits do not count)."""
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE,
                              check=True).stdout.strip()
    try:
        dirty = git("status", "--porcelain", "--", "../ganlib", ".")
        return git("rev-parse", "--short", "HEAD") + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def sweep(members: list[dict], settings: dict, out: Path, checkpoint: Path | None = None,
          **fields) -> dict:
    """Train ``members`` with ``settings`` in one ``train`` call; write and return the result.

    With ``checkpoint`` (members that share one stack), the stack is saved there every
    ``settings["eval_every"]`` steps and a stopped sweep resumes from it when run again (bit for
    bit, ``train``'s resume); the file is deleted once the result is written."""
    made_with = {"git": git_commit(), "torch": torch.__version__, "machine": platform.machine(),
                 "cpu_capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads()}
    start = time.perf_counter()
    saving = {} if checkpoint is None else \
        dict(checkpoint=checkpoint, resume=checkpoint if checkpoint.exists() else None)
    runs = train(members=members, device="cpu", **saving, **settings)
    if checkpoint is not None:
        made_with["resumed"] = saving["resume"] is not None
    seconds = time.perf_counter() - start
    result = {"settings": settings, **fields, "members": members,
              "runs": [{**{k: v for k, v in m.items() if k not in ("objective", "seed")}, **r.mode_record()}
                       for m, r in zip(members, runs)],
              "fingerprint": {"steps": fingerprint.STEPS, "dtype": "float64",
                              "numbers": fingerprint.prefix(members, device="cpu", **settings)},
              "seconds": seconds, "stack_size": runs[0].config["stack_size"],
              "made_with": made_with}
    out.write_text(json.dumps(result, indent=1) + "\n")
    if checkpoint is not None:
        checkpoint.unlink()
    print(f"{len(runs)} runs in {seconds:.0f} s → {out}")
    return result


def arguments(doc: str, default_seeds: int, out: Path) -> tuple[list[int], Path]:
    """A sweep script's command line: ``--seeds n`` (seeds 0 … n−1) and ``--out``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=default_seeds,
                        help=f"seeds 0 … n-1 of each member (default {default_seeds})")
    parser.add_argument("--out", type=Path, default=out)
    args = parser.parse_args()
    return list(range(args.seeds)), args.out
