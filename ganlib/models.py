"""The small networks every chapter trains: plain MLPs.

The reference toy GAN of the book is

    G: latent 2 → 128 → 128 → 2      D: 2 → 128 → 128 → 1      (ReLU)

The discriminator's last layer is linear: it returns raw outputs (logits or
critic values) and each objective in ``ganlib.losses`` decides what to do with
them.  No batch-norm anywhere, so a discriminator's output for one sample never
depends on the rest of its batch (WGAN-GP's per-sample penalty needs that).
"""

from __future__ import annotations

from torch import nn


def mlp(sizes: list[int], out_activation: nn.Module | None = None) -> nn.Sequential:
    """Linear layers of the given widths with ReLU between them.

    ``mlp([2, 128, 128, 1])`` is 2→128→ReLU→128→ReLU→1.
    """
    if len(sizes) < 2 or any((not isinstance(s, int)) or s < 1 for s in sizes):
        raise ValueError(f"mlp: sizes must be >= 2 positive ints, got {sizes!r}")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    if out_activation is not None:
        layers.append(out_activation)
    return nn.Sequential(*layers)


def generator(latent_dim: int = 2, data_dim: int = 2, hidden: int = 128, depth: int = 2,
              out_activation: nn.Module | None = None) -> nn.Sequential:
    """G: latent_dim → hidden (× depth) → data_dim.  Pass ``nn.Tanh()`` for images in [-1, 1]."""
    return mlp([latent_dim] + [hidden] * depth + [data_dim], out_activation)


def discriminator(data_dim: int = 2, hidden: int = 128, depth: int = 2) -> nn.Sequential:
    """D: data_dim → hidden (× depth) → 1, linear output (a raw score)."""
    return mlp([data_dim] + [hidden] * depth + [1])
