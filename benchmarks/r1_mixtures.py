"""R1 on the mixtures: the non-saturating GAN with and without a zero-centred gradient penalty.

    python benchmarks/r1_mixtures.py              # 2 mixtures × 2 penalties × 5 seeds, 40,000 steps (~50 min, 2 cores)
    python benchmarks/r1_mixtures.py --seeds 8    # more seeds

The Dirac-GAN chapter derives that gradient play circles around the equilibrium unless the
critic's loss has a damping term, and that R1, (γ/2)·E_p‖∇ₓD(x)‖² (Mescheder et al. 2018,
eq. 9), is one.  This benchmark asks whether that local result carries over to the book's
mixtures: the non-saturating GAN (``nonsaturating``) on ``ring8`` and ``grid25``, with
``r1 = 0`` and ``r1 = GAMMA``, seeds 0 … n−1, one ``ganlib.train.train`` call (one stack).
Settings (``SETTINGS``): the book's 2×128 MLPs, batch 256, Adam 3e-4 with β = (0.5, 0.999)
for both players, one critic step, an averaged generator (``g_ema = 0.999``) evaluated beside
G, 40,000 steps, evaluations of 2,500 samples every 1,000 steps.  The stack is checkpointed
every 1,000 steps (``results/r1_mixtures.pt``): run the script again after a stop and it resumes.  γ = 1 and these settings come
from one probe run (issue 27), not a search; nothing was tuned on the seeds reported here.  It
writes ``benchmarks/results/r1_mixtures.json`` (``sweep.sweep``: mode histories of G and
G_ema, and a float64 fingerprint), which the training-dynamics page renders.
"""

from __future__ import annotations

from pathlib import Path

from sweep import arguments, sweep

RESULT = Path(__file__).resolve().parent / "results" / "r1_mixtures.json"
DATASETS = ("ring8", "grid25")
GAMMAS = (0.0, 1.0)              # r1 = γ: off, and the probe's value
SETTINGS = dict(objective="nonsaturating", steps=40_000, batch_size=256, lr_d=3e-4, lr_g=3e-4,
                betas=(0.5, 0.999), g_ema=0.999, eval_every=1_000, n_eval=2500)


def members(seeds: list[int]) -> list[dict]:
    """The mixtures × the penalties × the seeds, in the order of the result's ``runs``."""
    return [dict(data=d, r1=g, seed=s) for d in DATASETS for g in GAMMAS for s in seeds]


def main() -> None:
    seeds, out = arguments(__doc__, 5, RESULT)
    result = sweep(members(seeds), SETTINGS, out, checkpoint=out.with_suffix(".pt"),
                   datasets=list(DATASETS), gammas=list(GAMMAS), seeds=seeds)
    for d in DATASETS:
        for g in GAMMAS:
            runs = [r for r in result["runs"] if r["data"] == d and r["r1"] == g]
            for key in ("final_stats", "final_ema_stats"):
                stats = [r[key] for r in runs]
                print(f"{d:7s} r1={g:g} {key:16s} modes {[s['modes'] for s in stats]} "
                      f"hq {[round(s['hq'], 3) for s in stats]} rkl {[round(s['rkl'], 2) for s in stats]}")


if __name__ == "__main__":
    main()
