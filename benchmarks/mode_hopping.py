"""V7 at publication size: do non-saturating GANs on the ring hop between modes?

    python benchmarks/mode_hopping.py              # 8 seeds of both losses, 10,000 steps (~3 min, 2 cores)
    python benchmarks/mode_hopping.py --seeds 16   # more seeds

Both generator losses of the vanilla GAN (``minimax``: saturating; ``nonsaturating``) train on
ring8 with chapter 1's settings (``SETTINGS``: the book's reference toy GAN, Adam 1e-4,
β = (0.5, 0.999), batch 256, an evaluation of 2,500 samples every 250 steps), seeds 0 … n−1,
all in one ``ganlib.train.train`` call (one stack).  It writes
``benchmarks/results/mode_hopping.json``: the settings, each run's mode history
(``Run.mode_record``: the HQ samples per mode at every evaluation, and the final scores), and a
fingerprint (``ganlib.fingerprint.prefix``: the same call cut to 50 steps in float64, each member's
losses summed over them and the norms of both players' parameters).  Chapter 1 renders the file (and can retrain it);
``tests/test_mode_hopping.py`` recomputes the fingerprint, so the committed file fails its test
as soon as the code here no longer trains the same runs.
"""

from __future__ import annotations

from pathlib import Path

from sweep import arguments, sweep

RESULT = Path(__file__).resolve().parent / "results" / "mode_hopping.json"
LOSSES = ("minimax", "nonsaturating")
SETTINGS = dict(data="ring8", steps=10_000, batch_size=256, lr_d=1e-4, lr_g=1e-4, eval_every=250,
                n_eval=2500)


def members(seeds: list[int]) -> list[dict]:
    """Both losses × the seeds, in the order of the result's ``runs``."""
    return [dict(objective=o, seed=s) for o in LOSSES for s in seeds]


def main() -> None:
    seeds, out = arguments(__doc__, 8, RESULT)
    sweep(members(seeds), SETTINGS, out, losses=list(LOSSES), seeds=seeds)


if __name__ == "__main__":
    main()
