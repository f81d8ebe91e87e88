"""The 2-D Gaussian mixtures every toy experiment trains on (the digits: ``ganlib.digits``).

The mixtures follow PacGAN's definitions (Lin et al. 2018, §5; their code's
configs), so results compare with its Table 1:

* ``ring8``:  8 Gaussians with means (cos 2πk/8, sin 2πk/8), std 0.01.
* ``grid25``: 25 Gaussians with means {-4, -2, 0, 2, 4}², std 0.05.

Every component has equal weight and an isotropic covariance std²·I.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

Tensor = torch.Tensor


@dataclass(frozen=True)
class Mixture:
    """An equal-weight mixture of isotropic 2-D Gaussians.

    Attributes:
        name: registry name.
        means: ``[K, 2]`` float32 tensor of component means.
        std: the standard deviation of every component.
    """

    name: str
    means: Tensor
    std: float

    @property
    def n_modes(self) -> int:
        return self.means.shape[0]

    def sample(self, n: int, generator: torch.Generator | None = None,
               device: str | torch.device = "cpu") -> Tensor:
        """Draw ``n`` samples ``[n, 2]``: a uniform component, then its Gaussian.

        ``generator`` (a ``torch.Generator`` on ``device``) makes the draw
        reproducible without touching the global RNG.
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"sample: n must be a positive int, got {n!r}")
        means = self.means.to(device)
        k = torch.randint(self.n_modes, (n,), generator=generator, device=device)
        noise = torch.randn(n, 2, generator=generator, device=device)
        return means[k] + self.std * noise


def _ring8() -> Mixture:
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    means = torch.stack([angles.cos(), angles.sin()], dim=1).float()
    return Mixture("ring8", means, 0.01)


def _grid25() -> Mixture:
    ticks = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    means = torch.cartesian_prod(ticks, ticks)
    return Mixture("grid25", means, 0.05)


MIXTURES = {"ring8": _ring8, "grid25": _grid25}


def mixture(name: str) -> Mixture:
    """The mixture called ``name``; ``ValueError`` lists the valid names."""
    if name not in MIXTURES:
        raise ValueError(f"unknown mixture {name!r}; valid names: {', '.join(MIXTURES)}")
    return MIXTURES[name]()
