"""T1 on the ring: how much should the discriminator be trained per generator step?

    python benchmarks/critic_budget.py              # 2 losses × 4 budgets × 4 seeds, 5,000 steps (~22 min, 2 cores)
    python benchmarks/critic_budget.py --seeds 8    # more seeds

The source notes (claim T1) say a discriminator trained too well leaves the generator no gradient
and one trained too poorly a wrong one, so only one "neither too good nor too bad" works.  The
training-dynamics page measures both halves on a problem whose optimal discriminator is known
(``ganlib.dynamics``); this benchmark asks what the discriminator's budget does to the outcome on
the ring.  Both vanilla losses (``minimax``: saturating, the note's "original GAN";
``nonsaturating``) train with chapter 1's settings for 5,000 steps (``SETTINGS``, chapter 2's
length) and four discriminator budgets per generator step (``BUDGETS``: critic steps × learning
rate, from 10× less than chapter 1 to 10× more), seeds 0 … n−1, in one ``ganlib.train.train``
call (members with 5 critic steps go to their own stack).  It writes ``benchmarks/results/critic_budget.json`` (``sweep.sweep``: mode histories
and a float64 fingerprint), which the page renders.
"""

from __future__ import annotations

from pathlib import Path

from ganlib.metrics import learned_ring
from sweep import arguments, sweep

RESULT = Path(__file__).resolve().parent / "results" / "critic_budget.json"
LOSSES = ("minimax", "nonsaturating")
# (critic steps, the critic's learning rate) per generator step; chapter 1 uses (1, 1e-4)
BUDGETS = ((1, 1e-5), (1, 1e-4), (5, 1e-4), (1, 1e-3))
SETTINGS = dict(data="ring8", steps=5_000, batch_size=256, lr_g=1e-4, eval_every=250, n_eval=2500)


def members(seeds: list[int]) -> list[dict]:
    """The losses × the budgets × the seeds, in the order of the result's ``runs``."""
    return [dict(objective=o, n_critic=k, lr_d=lr, seed=s) for o in LOSSES for k, lr in BUDGETS for s in seeds]


def main() -> None:
    seeds, out = arguments(__doc__, 4, RESULT)
    result = sweep(members(seeds), SETTINGS, out, losses=list(LOSSES),
                   budgets=[list(b) for b in BUDGETS], seeds=seeds)
    for o in LOSSES:
        for k, lr in BUDGETS:
            stats = [r["final_stats"] for r in result["runs"]
                     if r["objective"] == o and r["n_critic"] == k and r["lr_d"] == lr]
            print(f"{o:14s} {k} × {lr:g}: modes {[s['modes'] for s in stats]}, "
                  f"learned the ring in {sum(map(learned_ring, stats))} of {len(stats)}")


if __name__ == "__main__":
    main()
