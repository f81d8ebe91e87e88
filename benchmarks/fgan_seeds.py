"""F5 over seeds: which f-divergences learn the ring, seed after seed?

    python benchmarks/fgan_seeds.py              # 6 divergences × 8 seeds, 5,000 steps (~11 min, 2 cores)
    python benchmarks/fgan_seeds.py --seeds 16   # more seeds

Chapter 2's training page trains six members of the f-GAN family (Nowozin et al. 2016) once each,
seed 0; whether a divergence *learns the ring* (its last evaluation covers at least 7 of the 8
modes with rKL below 1, ``ganlib.metrics.learned_ring``) is one trajectory's outcome, and on another CPU — whose float32
rounding makes every run another seed — it may differ.  This benchmark trains the same six
divergences with chapter 2's settings (``SETTINGS``) on seeds 0 … n−1, all in one
``ganlib.train.train`` call, and writes ``benchmarks/results/fgan_seeds.json``: each run's mode
history (``Run.mode_record``) and a float64 fingerprint (``ganlib.fingerprint.prefix``).  Chapter 2
renders the counts and judges F5 on them; ``tests/test_fgan_seeds.py`` recomputes the fingerprint and the
counts.
"""

from __future__ import annotations

from pathlib import Path

from ganlib.metrics import learned_ring
from sweep import arguments, sweep

RESULT = Path(__file__).resolve().parent / "results" / "fgan_seeds.json"
DIVERGENCES = ("kl", "reverse_kl", "pearson", "hellinger2", "js", "tv")
SETTINGS = dict(data="ring8", steps=5_000, batch_size=256, lr_d=1e-4, lr_g=1e-4, eval_every=250,
                n_eval=2500)


def members(seeds: list[int]) -> list[dict]:
    """The divergences × the seeds, in the order of the result's ``runs``."""
    return [dict(objective="fgan", divergence=d, seed=s) for d in DIVERGENCES for s in seeds]


def main() -> None:
    seeds, out = arguments(__doc__, 8, RESULT)
    result = sweep(members(seeds), SETTINGS, out, divergences=list(DIVERGENCES), seeds=seeds)
    for d in DIVERGENCES:
        print(f"{d:11s} learned the ring in {sum(learned_ring(r['final_stats']) for r in result['runs'] if r['divergence'] == d)}"
              f" of {len(seeds)} seeds")


if __name__ == "__main__":
    main()
