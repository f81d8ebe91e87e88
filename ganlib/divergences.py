"""Divergences between discrete distributions, with zeros handled exactly.

Conventions (the book's, stated once on the notation page and used everywhere):

* ``p`` and ``q`` are 1-D tensors of probabilities over the same support that
  each sum to 1; ``p`` is the data distribution, ``q`` the generator's.
* natural logarithms;
* ``kl``:         KL(p ‖ q) = Σ p log(p/q), with 0·log(0/q) = 0 and
                  p·log(p/0) = +inf for p > 0;
* ``reverse_kl``: KL(q ‖ p), the same with the arguments swapped;
* ``js``:         JS(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m),  m = (p + q)/2, so that
                  0 ≤ JS ≤ log 2 (the "½-normalised" Jensen–Shannon divergence).

Each is differentiable where it is finite, so the book can take gradients
through it (claim V6).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

Tensor = torch.Tensor


def _as_distribution(x, name: str) -> Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x, dtype=np.float64))
    if not t.is_floating_point():
        t = t.double()
    if t.dim() != 1 or t.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D distribution, got shape {list(t.shape)}")
    if not torch.isfinite(t).all() or (t < 0).any():
        raise ValueError(f"{name} must hold finite non-negative probabilities")
    total = float(t.detach().sum())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1, sums to {total:.8g}")
    return t


def kl(p: Tensor, q: Tensor) -> Tensor:
    """KL(p ‖ q) = Σ_x p(x) log(p(x)/q(x)); +inf if q = 0 somewhere p > 0."""
    pos = p > 0
    safe_p = torch.where(pos, p, torch.ones_like(p))
    safe_q = torch.where(pos, q, torch.ones_like(q))
    terms = torch.where(pos, p * (torch.log(safe_p) - torch.log(safe_q)), torch.zeros_like(p))
    return terms.sum()


def reverse_kl(p: Tensor, q: Tensor) -> Tensor:
    """KL(q ‖ p): the generator's distribution first."""
    return kl(q, p)


def js(p: Tensor, q: Tensor) -> Tensor:
    """JS(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2; always in [0, log 2]."""
    m = 0.5 * (p + q)
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


DIVERGENCES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "kl": kl,
    "reverse_kl": reverse_kl,
    "js": js,
}


def names() -> list[str]:
    """Every divergence's registry name."""
    return list(DIVERGENCES)


def divergence(name: str, p, q) -> Tensor:
    """The divergence ``name`` between discrete distributions ``p`` and ``q``.

    ``p`` and ``q`` are 1-D (tensors, arrays or lists) of one length that each
    sum to 1.  Returns a 0-d tensor (+inf where the divergence is infinite).
    """
    if name not in DIVERGENCES:
        raise ValueError(f"unknown divergence {name!r}; valid names: {', '.join(names())}")
    p = _as_distribution(p, "p")
    q = _as_distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q need one support: shapes {list(p.shape)} and {list(q.shape)}")
    return DIVERGENCES[name](p, q.to(p.dtype))
