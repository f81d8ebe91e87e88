"""Fingerprints: does a committed result still come from the code here?

A benchmark trains for minutes and commits its result as JSON (``benchmarks/results/``); the book
renders the file.  Beside the result the file stores a *fingerprint*: the same ``train`` call cut
to its first ``STEPS`` steps, in float64.  A test recomputes it, so the file fails its test as
soon as the code that trained it no longer trains the same runs — and, unlike the float32 runs
themselves, passes on any CPU:

* float32 on another CPU (AVX2, AVX-512, torch's non-vectorised kernels) or another thread count
  rounds differently, and a GAN amplifies the last bit to percents within fifty steps, so a
  float32 prefix tells a new machine from new code only by luck;
* in float64 the same amplification leaves the numbers equal to far below ``RTOL``: measured
  between AVX2 and ``ATEN_CPU_CAPABILITY=default`` kernels, 1 or 2 threads, every committed
  member: at most 4.3e-13 relative (threads alone: 0);
* a change of a loss constant by 1e-4 (``hinge``'s margin 1.0 → 1.0001, WGAN-GP's target norm)
  moves a fingerprint by ~1e-5 relative or more (``tests/test_fingerprint.py`` measures both
  directions), four orders of magnitude above ``RTOL``.

The numbers are continuous, never a count: the discriminator's and the generator's losses
summed over the prefix, and the norms of both players' parameters at its end.
"""

from __future__ import annotations

import math
from contextlib import contextmanager

import torch

from .train import train

STEPS = 50          # the prefix: the first 50 generator steps of the committed call
RTOL = 1e-8         # ≥ 10⁴ × the spread measured across kernels and thread counts (4.3e-13)
NAMES = ("sum d_loss", "sum g_loss", "|theta_G|", "|theta_D|")


@contextmanager
def float64():
    """Make float64 torch's default dtype inside the block (``train`` builds in the default)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _norm(module: torch.nn.Module) -> float:
    return float(torch.cat([p.detach().reshape(-1) for p in module.parameters()]).norm())


def prefix(members: list[dict], device=None, **settings) -> list[list[float]]:
    """``[Σ_t L_D(t), Σ_t L_G(t), ‖θ_G‖₂, ‖θ_D‖₂]`` of each member after the first ``STEPS``
    steps of ``train(members=members, **settings)`` in float64: a prefix of the run the same call
    trains to any length (a step's draws do not depend on the total, nor on ``eval_every``;
    ``n_eval`` is kept, since each member draws its evaluation latents first)."""
    short = {**settings, "steps": STEPS, "eval_every": None}
    with float64():
        runs = train(members=members, device=device, progress=False, **short)
    return [[math.fsum(r.history["d_loss"]), math.fsum(r.history["g_loss"]), _norm(r.G), _norm(r.D)]
            for r in runs]


def mismatches(committed: list[list[float]], again: list[list[float]], labels: list | None = None,
               rtol: float = RTOL) -> list[str]:
    """Every number of ``again`` that differs from the committed one by more than ``rtol``
    relative (to the larger magnitude, at least 1: a loss summed to ~0 is compared absolutely),
    as ``"<label>, <name>: committed …, now …"`` (labels default to the member's index); empty
    when the fingerprint matches."""
    if len(committed) != len(again):
        return [f"{len(committed)} members committed, {len(again)} now"]
    out = []
    for label, old, new in zip(labels or range(len(committed)), committed, again):
        if len(old) != len(NAMES):
            out.append(f"{label}: {len(old)} numbers committed, expected {len(NAMES)} ({', '.join(NAMES)})")
            continue
        for name, a, b in zip(NAMES, old, new):
            if abs(a - b) > rtol * max(abs(a), abs(b), 1.0):
                out.append(f"{label}, {name}: committed {a!r}, now {b!r}")
    return out


def worst(committed: list[list[float]], again: list[list[float]]) -> float:
    """The largest relative difference between two fingerprints (as ``mismatches`` measures it)."""
    return max((abs(a - b) / max(abs(a), abs(b), 1.0)
                for old, new in zip(committed, again) for a, b in zip(old, new)), default=0.0)
