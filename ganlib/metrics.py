"""How well a generator covers a Gaussian mixture: PacGAN's three numbers.

``mode_stats(samples, mixture)`` follows Lin et al. 2018 (PacGAN, §5.1), who
follow VEEGAN (Srivastava et al. 2017):

* a sample is *high quality* (HQ) if its Euclidean distance to the nearest
  mean is below ``threshold · std`` (3 std by default);
* ``modes``: the number of components that have at least one HQ sample;
* ``hq``: the fraction of all samples that are HQ;
* ``rkl``: the *reverse* KL divergence KL(q̂ ‖ u) = Σ_k q̂_k log(K q̂_k), where
  q̂_k is the fraction of the HQ samples whose nearest mean is k and u is the
  uniform distribution over the K modes (0·log 0 = 0).  It is 0 for perfect
  balance and log K when every HQ sample sits in one mode.  "Reverse" because
  the generator's distribution comes first, as in KL(q ‖ p).  If no sample is
  HQ, q̂ is undefined and ``rkl`` is reported as +inf.

PacGAN evaluates 2,500 samples; ``ganlib.train`` uses the same number.
"""

from __future__ import annotations

import math

import numpy as np

import torch

from .data import Mixture

Tensor = torch.Tensor


def mode_counts(samples: Tensor, mixture: Mixture, threshold: float = 3.0) -> Tensor:
    """Per-mode count of HQ samples, ``[K]`` (int64): the histogram behind ``mode_stats``."""
    if samples.dim() != 2 or samples.shape[1] != mixture.means.shape[1] or samples.shape[0] == 0:
        raise ValueError(
            f"mode_stats: samples have shape {list(samples.shape)}; expected [N, "
            f"{mixture.means.shape[1]}] with N >= 1"
        )
    if not torch.isfinite(samples).all():
        raise ValueError("mode_stats: samples contain NaN or inf")
    if threshold <= 0:
        raise ValueError(f"mode_stats: threshold must be > 0, got {threshold}")
    x = samples.detach().to("cpu", torch.float64)
    dist = torch.cdist(x, mixture.means.to(torch.float64))   # [N, K]
    nearest_dist, nearest = dist.min(dim=1)
    hq = nearest_dist < threshold * mixture.std
    return torch.bincount(nearest[hq], minlength=mixture.n_modes)


def mode_stats(samples: Tensor, mixture: Mixture, threshold: float = 3.0) -> dict:
    """``{"modes": int, "hq": float, "rkl": float}`` for ``samples`` ``[N, 2]``; see the module doc."""
    counts = mode_counts(samples, mixture, threshold)
    n_hq = int(counts.sum())
    K = mixture.n_modes
    if n_hq == 0:
        rkl = math.inf
    else:
        q_hat = counts[counts > 0].double() / n_hq
        rkl = float((q_hat * torch.log(K * q_hat)).sum())
    return {
        "modes": int((counts > 0).sum()),
        "hq": n_hq / samples.shape[0],
        "rkl": rkl,
    }


def collapse_summary(mode_counts: list) -> dict:
    """Mode dropping and hopping in a history of per-mode HQ counts (``Run.history["mode_counts"]``).

    Evaluations before the generator first puts an HQ sample on any mode are skipped (an
    untrained generator has not *dropped* anything).  From then on:

    * ``dropping``: evaluations covering fewer than K modes, and ``evals`` their total;
    * ``min_modes`` / ``final_modes``: the fewest modes covered, and the last count;
    * ``hops``: changes of the most-populated mode between consecutive evaluations while the
      generator is *collapsed* — covering at least 1 and at most K/2 modes — and
      ``dominant_modes``: how many distinct modes were most-populated while collapsed.
    """
    counts = torch.as_tensor(np.stack(mode_counts))
    K = counts.shape[1]
    covered = (counts > 0).sum(dim=1)
    reached = torch.nonzero(covered > 0).flatten()
    if len(reached) == 0:
        return {"evals": 0, "dropping": 0, "min_modes": 0, "hops": 0, "dominant_modes": 0,
                "final_modes": 0}
    counts, covered = counts[reached[0]:], covered[reached[0]:]
    dominant = counts.argmax(dim=1)
    collapsed = (covered >= 1) & (covered <= K // 2)
    hops = (dominant[1:] != dominant[:-1]) & collapsed[1:] & collapsed[:-1]
    return {"evals": len(covered), "dropping": int((covered < K).sum()),
            "min_modes": int(covered.min()), "hops": int(hops.sum()),
            "dominant_modes": len(set(dominant[collapsed].tolist())),
            "final_modes": int(covered[-1])}
