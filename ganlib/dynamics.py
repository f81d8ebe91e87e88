"""Training dynamics on a problem whose optimal discriminator is known: the Gaussian shift (T1).

Data ``p = N(0, I)`` in 2-D, generator ``G_θ(z) = z + θ`` with ``z ~ N(0, I)``, so
``q_θ = N(θ, I)``.  The vanilla GAN's optimal discriminator ``D*(x) = p(x) / (p(x) + q_θ(x))``
(Goodfellow et al. 2014, Prop. 1) has a logit linear in ``x``:

    v*(x) = log p(x) − log q_θ(x) = −θ·x + ‖θ‖²/2,

and on a generated sample ``x = θ + z``, with ``r = ‖θ‖`` and ``u = θ·z / r ~ N(0, 1)``,
``v*(θ + z) = −r²/2 − r u``.  Holding D at D* and differentiating the generator's loss through
its samples (``∇ₓ v* = −θ``) gives the gradient a perfectly trained discriminator hands the
generator (``optimal_generator_gradient``):

    non-saturating, L_G = E_q[softplus(−v)]:   g* = θ · E_u[σ( r²/2 + r u)] = θ · E_q[1 − D*(x)]
    saturating,     L_G = −E_q[softplus(v)]:   g* = θ · E_u[σ(−r²/2 − r u)] = θ · E_q[D*(x)]

Both point along θ, so a gradient step moves θ toward the data.  As the two distributions
separate (r grows) the non-saturating gradient's size tends to r, while the saturating one's,
``r · E_q[D*]``, vanishes — the "discriminator trained too well" of claim T1 (Arjovsky & Bottou
2017, §2.2, prove the same for the saturating loss in general).

``shift_game`` plays the game: each generator step, ``n_critic`` Adam steps of a real
discriminator (the book's MLP, ``models.discriminator``) on fresh batches, then one plain
gradient step on θ; at every step it records the gradient the generator got and the one D*
gives in expectation at the same θ, so how well the discriminator was trained is measured by
what matters to the generator: the norm of its gradient and its angle to the optimal one.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import losses as _losses
from . import models as _models
from .optim import update
from .runtime import seeded
from .settings import Settings

Tensor = torch.Tensor
LOSSES = ("minimax", "nonsaturating")      # the vanilla GAN's two generator losses


def optimal_logit(x: Tensor, theta: Tensor) -> Tensor:
    """``v*(x) = log N(x; 0, I) − log N(x; θ, I) = −θ·x + ‖θ‖²/2`` for samples ``x`` ``[N, d]``."""
    return -(x @ theta) + 0.5 * (theta @ theta)


def optimal_generator_gradient(theta, objective: str) -> np.ndarray:
    """``g*``: the generator's expected gradient with the discriminator at D* (module doc), by
    Gauss–Hermite quadrature of the 1-D expectation over ``u ~ N(0, 1)`` (200 nodes, float64)."""
    if objective not in LOSSES:
        raise ValueError(f"unknown objective {objective!r}; the Gaussian shift knows {list(LOSSES)}")
    theta = np.asarray(theta, dtype=np.float64)
    r = float(np.linalg.norm(theta))
    u, w = np.polynomial.hermite_e.hermegauss(200)          # ∫ f(u) e^{-u²/2} du ≈ Σ w f(u)
    sign = 1.0 if objective == "nonsaturating" else -1.0
    share = float((w * _sigmoid(sign * (0.5 * r * r + r * u))).sum() / math.sqrt(2 * math.pi))
    return theta * share


def _sigmoid(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))                   # σ(t) without overflow


def shift_game(objective: str, theta0=(4.0, 0.0), *, n_critic: int = 1, lr_d: float = 1e-3,
               lr_g: float = 0.1, steps: int = 200, batch_size: int = 256, hidden: int = 64,
               depth: int = 2, seed: int = 0) -> dict:
    """Train θ (plain gradient steps, ``lr_g``) against a discriminator trained ``n_critic`` Adam
    steps (``lr_d``, β = (0.5, 0.999)) per generator step; in float64 on the CPU, so that the
    outcome of a seed does not depend on the CPU's float32 rounding.

    Returns numpy arrays over the ``steps`` generator steps: ``theta`` (θ before the step,
    ``[steps, 2]``), ``grad`` (the gradient the generator got, on its batch), ``grad_opt`` (the
    gradient D* gives in expectation at that θ, ``optimal_generator_gradient``), ``norm_ratio``
    = ‖grad‖/‖grad_opt‖, ``cosine`` = cos(grad, grad_opt), and ``theta_final``."""
    if objective not in LOSSES:
        raise ValueError(f"shift_game: unknown objective {objective!r}; the Gaussian shift knows "
                         f"{list(LOSSES)}")
    if n_critic < 1 or steps < 1:
        raise ValueError(f"shift_game: n_critic and steps must be >= 1, got {n_critic} and {steps}")
    obj = _losses.get(objective)
    g, f64 = torch.Generator().manual_seed(seed), torch.float64
    D = seeded(seed, lambda: _models.discriminator(2, hidden, depth)).to(f64)
    opt = torch.optim.Adam(D.parameters(), lr=lr_d, betas=Settings.betas)
    theta = torch.tensor(theta0, dtype=f64)
    rec = {k: [] for k in ("theta", "grad", "grad_opt")}
    for _ in range(steps):
        for _ in range(n_critic):
            real = torch.randn(batch_size, 2, generator=g, dtype=f64)
            fake = torch.randn(batch_size, 2, generator=g, dtype=f64) + theta
            update(opt, obj.d_loss(D(real), D(fake)))
        z = torch.randn(batch_size, 2, generator=g, dtype=f64)
        th = theta.clone().requires_grad_(True)
        real = torch.randn(batch_size, 2, generator=g, dtype=f64)
        (grad,) = torch.autograd.grad(obj.g_loss(D(real), D(z + th)), th)
        grad_opt = torch.from_numpy(optimal_generator_gradient(theta.numpy(), objective))
        for k, v in (("theta", theta), ("grad", grad), ("grad_opt", grad_opt)):
            rec[k].append(v.detach().clone())
        theta = theta - lr_g * grad
    out = {k: torch.stack(v).numpy() for k, v in rec.items()}
    n, n_opt = np.linalg.norm(out["grad"], axis=1), np.linalg.norm(out["grad_opt"], axis=1)
    out["norm_ratio"] = n / n_opt
    out["cosine"] = (out["grad"] * out["grad_opt"]).sum(axis=1) / (n * n_opt)
    out["theta_final"] = theta.detach().numpy()
    return out
