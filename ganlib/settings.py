"""A training run's settings, written once: ``Settings``, with the checks every loop shares.

``Settings()`` is the book's reference toy GAN and its optimiser: G 2 → 128 → 128 → 2 and
D 2 → 128 → 128 → 1 (``ganlib.models``), batch 256, Adam 1e-4 with β = (0.5, 0.999) for both
players, one critic step per generator step.  ``ganlib.train`` trains each member with its own
``Settings``; ``ganlib.infogan`` takes its defaults from it, and every loop its Adam betas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

STEPS = 5_000       # generator updates of a call that does not say
N_EVAL = 2_500      # generated samples per evaluation (PacGAN's 2,500)
OPTIMIZERS = ("adam", "rmsprop")


@dataclass(frozen=True)
class Settings:
    """One member's settings; a bad value raises ``ValueError`` naming the setting.

    Args:
        batch_size: real and generated samples per update.
        optimizer: ``"adam"`` (Kingma & Ba 2015) or ``"rmsprop"`` (torch's, α = 0.99: WGAN's).
        lr_d, lr_g: the critic's and the generator's learning rates.
        betas: Adam's (β₁, β₂), both players (RMSProp ignores them).
        n_critic: critic updates per generator update (WGAN: 5).
        latent_dim, hidden, depth: the MLPs of ``ganlib.models`` (z's size, width, hidden layers).
        tanh_output: end G with tanh, for data in [−1, 1].
        g_ema: keep ``G_ema``, an exponential moving average of G's weights with this decay
            (e.g. 0.999), and evaluate it beside G; 0 = off.
        r1, r2: γ of the zero-centred penalties (γ/2)·E‖∇ₓD(x)‖² on the real (R1) or the
            generated (R2) batch, added to the critic's loss (Mescheder et al. 2018); 0 = off.
    """

    batch_size: int = 256
    optimizer: str = "adam"
    lr_d: float = 1e-4
    lr_g: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.999)
    n_critic: int = 1
    latent_dim: int = 2
    hidden: int = 128
    depth: int = 2
    tanh_output: bool = False
    g_ema: float = 0.0
    r1: float = 0.0
    r2: float = 0.0

    def __post_init__(self):
        for name in ("batch_size", "n_critic", "latent_dim", "hidden", "depth"):
            check_positive_int(name, getattr(self, name), caller=None)
        for name in ("lr_d", "lr_g"):
            check_positive_number(name, getattr(self, name), caller=None)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; valid: {', '.join(OPTIMIZERS)}")
        try:
            betas = tuple(float(b) for b in self.betas)
        except (TypeError, ValueError):
            betas = ()
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        object.__setattr__(self, "betas", betas)
        if not (_is_number(self.g_ema) and 0 <= self.g_ema < 1):
            raise ValueError(f"g_ema must be a number in [0, 1) (0 = off), got {self.g_ema!r}")
        for name in ("r1", "r2"):
            value = getattr(self, name)
            if not (_is_number(value) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} (the weight γ of the {name.upper()} penalty) must be a "
                                 f"finite number ≥ 0 (0 = off), got {value!r}")
            object.__setattr__(self, name, float(value))

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)


def _prefix(caller: str | None) -> str:
    return f"{caller}: " if caller else ""


def check_positive_int(name: str, value, caller: str | None) -> None:
    """Raise ``ValueError`` ("``caller``: ``name`` must be a positive integer") unless it is one."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{_prefix(caller)}{name} must be a positive integer, got {value!r}")


def check_positive_number(name: str, value, caller: str | None) -> None:
    """Raise ``ValueError`` unless ``value`` is a positive finite number (a learning rate)."""
    if not (_is_number(value) and np.isfinite(value) and value > 0):
        raise ValueError(f"{_prefix(caller)}{name} must be a positive finite number, got {value!r}")


def check_seeds(seed: int, seeds, caller: str) -> list[int]:
    """The seeds of a call that takes ``seed=`` (one run) or ``seeds=[...]`` (a stack)."""
    if seeds is None:
        seeds = [seed]
    if not isinstance(seeds, (list, tuple)) or not seeds or \
            not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ValueError(f"{caller}: seeds must be a non-empty list of ints, got {seeds!r}")
    return list(seeds)
