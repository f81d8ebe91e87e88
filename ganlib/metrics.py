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
from torch import nn

from .data import Mixture

Tensor = torch.Tensor


def nearest_mode(samples: Tensor, mixture: Mixture) -> tuple[Tensor, Tensor]:
    """Each sample's distance to its nearest mixture mean and that mean's index, ``([N], [N])``
    (float64 on the CPU, int64)."""
    if samples.dim() != 2 or samples.shape[1] != mixture.means.shape[1] or samples.shape[0] == 0:
        raise ValueError(
            f"mode_stats: samples have shape {list(samples.shape)}; expected [N, "
            f"{mixture.means.shape[1]}] with N >= 1"
        )
    if not torch.isfinite(samples).all():
        raise ValueError("mode_stats: samples contain NaN or inf")
    x = torch.as_tensor(samples).detach().to("cpu", torch.float64)
    return torch.cdist(x, mixture.means.to(torch.float64)).min(dim=1)   # over the K means


def mode_counts(samples: Tensor, mixture: Mixture, threshold: float = 3.0) -> Tensor:
    """Per-mode count of HQ samples, ``[K]`` (int64): the histogram behind ``mode_stats``."""
    if threshold <= 0:
        raise ValueError(f"mode_stats: threshold must be > 0, got {threshold}")
    nearest_dist, nearest = nearest_mode(samples, mixture)
    hq = nearest_dist < threshold * mixture.std
    return torch.bincount(nearest[hq], minlength=mixture.n_modes)


def mode_stats(samples: Tensor, mixture: Mixture, threshold: float = 3.0) -> dict:
    """``{"modes": int, "hq": float, "rkl": float}`` for ``samples`` ``[N, 2]``; see the module doc."""
    return stats_from_counts(mode_counts(samples, mixture, threshold), samples.shape[0])


def stats_from_counts(counts, n_samples: int) -> dict:
    """``mode_stats`` from the per-mode HQ counts ``[K]`` of ``n_samples`` samples (a committed
    ``mode_counts`` history is enough to redraw every curve): modes with an HQ sample, the HQ
    fraction, and rKL = Σ q̂ log(K q̂) over the HQ samples' mode shares (+inf without any)."""
    counts = torch.as_tensor(counts)
    n_hq = int(counts.sum())
    K = counts.shape[0]
    if n_hq == 0:
        rkl = math.inf
    else:
        q_hat = counts[counts > 0].double() / n_hq
        rkl = float((q_hat * torch.log(K * q_hat)).sum())
    return {
        "modes": int((counts > 0).sum()),
        "hq": n_hq / n_samples,
        "rkl": rkl,
    }


def learned_ring(stats: dict, n_modes: int = 8) -> bool:
    """Chapter 2's criterion for a run that *learned the ring* (F5): its ``mode_stats`` cover at
    least ``n_modes − 1`` modes with ``rkl`` below 1 (all HQ samples on 7 equal modes: log 8/7 = 0.13)."""
    return stats["modes"] >= n_modes - 1 and stats["rkl"] < 1.0


def mode_hops(history: list, min_hq: int = 25, majority: float = 0.5) -> list[tuple]:
    """The hops of a generator's bulk from one mode to another: V7 stated so that it can fail.

    ``history`` is a list of per-mode HQ counts (``Run.history["mode_counts"]``).  Only
    evaluations with at least ``min_hq`` HQ samples count (1 % of PacGAN's 2,500: fewer is a
    generator off the modes, not on one); the others are skipped.  Between two consecutive such
    evaluations t < u, let a and b be the modes with the most HQ samples at t and at u (the
    lowest index on ties).  There is a *hop* from a to b ≠ a when

    * a holds at least ``majority`` of the HQ samples at t and **none** at u (a is dropped), and
    * b holds at least ``majority`` of the HQ samples at u and held **none** at t (b is new).

    A generator that spreads over more and more modes never hops (no mode it held is emptied),
    nor does one that stays on its modes: V7 is false for a run with no hop.  Returns
    ``[(t, u, a, b), ...]``, with t and u indices into ``history``.
    """
    counts = np.stack(history)
    n_hq = counts.sum(axis=1)
    kept = [t for t in range(len(counts)) if n_hq[t] >= min_hq]
    hops = []
    for t, u in zip(kept, kept[1:]):
        a, b = int(counts[t].argmax()), int(counts[u].argmax())
        if (a != b and counts[t, a] >= majority * n_hq[t] and counts[u, b] >= majority * n_hq[u]
                and counts[u, a] == 0 and counts[t, b] == 0):
            hops.append((t, u, a, b))
    return hops


def collapse_summary(history: list, min_hq: int = 25, majority: float = 0.5) -> dict:
    """Mode dropping and hopping in a list of per-mode HQ counts (``Run.history["mode_counts"]``).

    Evaluations before the generator first puts an HQ sample on any mode are skipped (an
    untrained generator has not *dropped* anything).  From then on, with *covered* = modes
    with at least one HQ sample (PacGAN's count):

    * ``evals``: the evaluations counted;
    * ``drops``: evaluations covering at least 2 modes fewer than the most covered before them;
    * ``min_modes`` / ``final_modes``: the fewest modes covered, and the last count;
    * ``hops``: ``len(mode_hops(...))``, and ``hop_modes``: the distinct modes the hops left or
      reached.
    """
    counts = np.stack(history)
    covered = (counts > 0).sum(axis=1)
    reached = np.flatnonzero(covered > 0)
    if len(reached) == 0:
        return {"evals": 0, "drops": 0, "min_modes": 0, "hops": 0, "hop_modes": 0,
                "final_modes": 0}
    counts, covered = counts[reached[0]:], covered[reached[0]:]
    best_before = np.maximum.accumulate(np.concatenate([[0], covered[:-1]]))
    hops = mode_hops(list(counts), min_hq, majority)
    return {"evals": len(covered), "drops": int((covered <= best_before - 2).sum()),
            "min_modes": int(covered.min()), "hops": len(hops),
            "hop_modes": len({k for _, _, a, b in hops for k in (a, b)}),
            "final_modes": int(covered[-1])}


def code_agreement(codes: Tensor, labels: Tensor, n_codes: int, n_labels: int) -> dict:
    """How well a categorical code predicts a label (InfoGAN's code against the mode or class).

    ``codes`` and ``labels`` are ``[N]`` integer tensors.  Returns the contingency table
    ``counts [n_codes, n_labels]``, ``accuracy``: the fraction of samples whose label is the one
    assigned to their code by the best one-to-one matching of codes to labels (Hungarian
    algorithm; an unrelated code scores a little above 1/n_labels, the matching being fitted to
    the sample), and ``purity``: the fraction whose label is
    their code's most frequent label (matching not required to be one-to-one).
    """
    from scipy.optimize import linear_sum_assignment

    if codes.shape != labels.shape or codes.dim() != 1 or len(codes) == 0:
        raise ValueError(f"code_agreement: codes {list(codes.shape)} and labels "
                         f"{list(labels.shape)} must be one [N] shape")
    counts = torch.zeros(n_codes, n_labels, dtype=torch.long)
    counts.index_put_((codes.long().cpu(), labels.long().cpu()), torch.ones(len(codes), dtype=torch.long),
                      accumulate=True)
    rows, cols = linear_sum_assignment(counts.numpy(), maximize=True)
    return {"counts": counts.numpy(),
            "accuracy": float(counts[rows, cols].sum()) / len(codes),
            "purity": float(counts.max(dim=1).values.sum()) / len(codes)}


def code_chance(codes: Tensor, labels: Tensor, n_codes: int, n_labels: int, n_permutations: int = 200,
                seed: int = 0) -> np.ndarray:
    """``code_agreement``'s accuracy for ``n_permutations`` random permutations of ``codes``: the
    accuracy of a code unrelated to the labels but with the same marginals — the chance level,
    above 1/n_labels because the matching is fitted to the sample."""
    g = torch.Generator().manual_seed(seed)
    codes = torch.as_tensor(codes)
    return np.array([code_agreement(codes[torch.randperm(len(codes), generator=g)], labels, n_codes,
                                    n_labels)["accuracy"] for _ in range(n_permutations)])


def empirical_w1(x: Tensor, y: Tensor) -> float:
    r"""The exact Wasserstein-1 distance between two equal-size samples ``[n, d]``:

        W₁(p̂, q̂) = min over permutations π of (1/n) Σ_i ‖x_i - y_π(i)‖₂

    (for uniform weights on n points each, an optimal transport plan is a permutation —
    Birkhoff–von Neumann), solved exactly with the Hungarian algorithm, O(n³): keep n ≲ 2,000.
    """
    from scipy.optimize import linear_sum_assignment

    if x.dim() != 2 or x.shape != y.shape or len(x) == 0:
        raise ValueError(f"empirical_w1: need two [n, d] samples of one shape; got "
                         f"{list(x.shape)} and {list(y.shape)}")
    cost = torch.cdist(x.detach().cpu().double(), y.detach().cpu().double()).numpy()
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def players_at(G, D, mixture: Mixture, n: int = 2500, seed: int = 0) -> dict:
    """What each player sees at the end of a run, to tell *why* a generator is stuck: on ``n``
    latent vectors (drawn with ``seed``),

    * ``jacobian``: the mean Frobenius norm of ∂G/∂z — how far G's samples move when z moves
      (≈ 0: G maps every z to nearly one point);
    * ``alive``: per hidden layer of G, the fraction of its ReLU units active for at least one z
      (a dead unit passes no gradient, whatever D says);
    * ``d_fake`` and ``d_grad``: the mean of D on G's samples and of ‖∇ₓD‖ there (the direction
      every generator loss of ``ganlib.losses`` follows, scaled by the loss);
    * ``d_modes``: ``[K]``, D at each mode's mean;
    * ``spread``: the median distance of G's samples to their nearest mode mean, in units of the
      mixture's std (an HQ sample is within 3).

    ``G`` and ``D`` are the plain MLPs of ``ganlib.models`` (``Run.G``, ``Run.D``)."""
    latent = next(G.parameters()).shape[1]
    dtype = next(G.parameters()).dtype
    z = torch.randn(n, latent, generator=torch.Generator().manual_seed(seed)).to(dtype)
    rows = torch.func.vmap(torch.func.jacrev(lambda v: G(v[None])[0]))(z)     # [n, d, latent]
    alive, h = [], z
    for layer in G:
        h = layer(h)
        if isinstance(layer, nn.ReLU):
            alive.append(float((h.detach() > 0).any(dim=0).double().mean()))
    x = G(z).detach().requires_grad_(True)
    d = D(x)[:, 0]
    (grad,) = torch.autograd.grad(d.sum(), x)
    with torch.no_grad():
        d_modes = D(mixture.means.to(dtype))[:, 0]
    return {"jacobian": float(rows.detach().flatten(1).norm(dim=1).mean()), "alive": alive,
            "d_fake": float(d.detach().mean()), "d_grad": float(grad.norm(dim=1).mean()),
            "d_modes": d_modes.tolist(),
            "spread": float(nearest_mode(x, mixture)[0].median() / mixture.std)}


def discriminator_outputs(run, n: int = 2500, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The trained ``run.D``'s raw outputs (logits) on ``n`` real samples and on ``n`` samples of
    the raw ``run.G``, drawn with ``seed``: ``(v_real, v_generated)``, each ``[n]``.  Where the
    generator covers the data, the optimal D gives both the same value (chapters 3 and 4)."""
    device = next(run.G.parameters()).device
    g = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        real = run.data.sample(n, generator=g, device=device)
        fake = run.G(torch.randn(n, run.config["latent_dim"], generator=g, device=device))
        return run.D(real)[:, 0], run.D(fake)[:, 0]


def critic_check(run, n: int = 1000, seed: int = 1) -> dict:
    r"""Is a trained critic's value a Wasserstein distance?  On ``n`` real samples and ``n`` of
    the raw ``run.G`` (drawn with ``seed``):

    * ``estimate``: the critic's difference of means E_p[D] − E_q[D], what WGAN's critic loss
      maximises;
    * ``w1``: the exact W₁ between the two samples (``empirical_w1``) — any K-Lipschitz critic's
      estimate is at most K·W₁ (Kantorovich–Rubinstein duality);
    * ``max_grad``: the largest ‖∇ₓD‖ on the real, generated and interpolated points (random
      mixes of a real and a generated one, where WGAN-GP's penalty acts) — the critic's
      Lipschitz constant, seen from below.
    """
    device = next(run.G.parameters()).device
    g = torch.Generator(device=device).manual_seed(seed)
    real = run.data.sample(n, generator=g, device=device)
    with torch.no_grad():
        fake = run.G(torch.randn(n, run.config["latent_dim"], generator=g, device=device))
        estimate = float(run.D(real).mean() - run.D(fake).mean())
    eps = torch.rand(n, 1, generator=g, device=device)
    points = torch.cat([real, fake, eps * real + (1 - eps) * fake]).requires_grad_(True)
    (grad,) = torch.autograd.grad(run.D(points).sum(), points)
    return {"estimate": estimate, "w1": empirical_w1(real, fake),
            "max_grad": float(grad.norm(dim=1).max())}
