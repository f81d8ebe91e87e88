"""One training function for every chapter: ``train(objective, data, ...)``.

Each step is ``n_critic`` discriminator updates followed by one generator
update (Goodfellow et al. 2014, Algorithm 1), with Adam for both players.  The
objective decides the losses (``ganlib.losses``); the loop adds what the
objective asks for: weight clipping after each critic step (WGAN) or the
gradient penalty in the critic loss (WGAN-GP).

Everything is seeded: the networks' initial weights come from ``seed`` (the
global RNG is restored afterwards) and every real batch and latent draw comes
from a private ``torch.Generator``, so the same seed gives the same run.

A loss that turns NaN or ±inf stops training with ``FloatingPointError`` naming
the step and the loss: no garbage reaches a history or a figure.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import losses as _losses
from . import metrics as _metrics
from . import models as _models
from .data import Mixture, mixture as _mixture

Tensor = torch.Tensor


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``None`` → CUDA when available, else CPU.  A bad name raises ``ValueError``."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"unknown device {device!r}; valid: 'cpu', 'cuda', 'cuda:N', or None "
                         "(CUDA when available)") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but CUDA is not available here; "
                         "use 'cpu' or None")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r} is not supported; valid: 'cpu', 'cuda', 'cuda:N', None")
    return dev


@dataclass
class Run:
    """What ``train`` returns: the trained networks and the history of the run.

    ``history`` holds numpy arrays and lists:

    * ``d_loss``, ``g_loss``: the loss at every step (the last critic step's
      loss for D), shape ``[steps]``;
    * ``eval_step``: the steps at which the generator was evaluated (0 = the
      initial generator), with ``mode_stats`` (dicts) and ``mode_counts``
      (``[K]`` arrays of HQ samples per mode) for a mixture;
    * ``snapshot_step`` and ``samples``: generated samples ``[n_eval, d]`` from
      one fixed batch of latent vectors, so snapshots are comparable over time.
    """

    G: nn.Module
    D: nn.Module
    objective: _losses.Objective
    data: Mixture | Tensor
    config: dict
    history: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def final_stats(self) -> dict:
        """``mode_stats`` of the last evaluation."""
        return self.history["mode_stats"][-1]


def _check_positive_int(name: str, value) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"train: {name} must be a positive integer, got {value!r}")


def check_settings(lr_d: float, lr_g: float, **sizes: int) -> None:
    """Raise ``ValueError`` unless every size is a positive int and both learning rates
    are positive finite numbers (shared by ``train`` and ``ensemble.train_ensemble``)."""
    for name, value in sizes.items():
        _check_positive_int(name, value)
    for name, value in (("lr_d", lr_d), ("lr_g", lr_g)):
        if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
            raise ValueError(f"train: {name} must be a positive finite number, got {value!r}")


def train(
    objective: str | _losses.Objective = "nonsaturating",
    data: str | Mixture | Tensor = "ring8",
    *,
    steps: int = 5000,
    batch_size: int = 256,
    lr_d: float = 1e-4,
    lr_g: float = 1e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    n_critic: int = 1,
    latent_dim: int = 2,
    hidden: int = 128,
    depth: int = 2,
    tanh_output: bool = False,
    seed: int = 0,
    device: str | torch.device | None = None,
    eval_every: int | None = None,
    snapshot_every: int | None = None,
    n_eval: int = 2500,
    progress: bool = True,
    **objective_params,
) -> Run:
    """Train a GAN and return a ``Run``.

    Args:
        objective: a name from ``ganlib.losses.names()`` (extra keyword
            arguments go to ``losses.get``), or an ``Objective``.
        data: a mixture name (``"ring8"``, ``"grid25"``), a ``Mixture``, or a
            ``[N, d]`` tensor of training data (batches are drawn with
            replacement).
        steps: generator updates; each follows ``n_critic`` critic updates.
        batch_size, lr_d, lr_g, betas: Adam settings, per player.
        latent_dim, hidden, depth: sizes of the MLPs (``ganlib.models``).
        tanh_output: end G with tanh (for data in [-1, 1], such as digits).
        seed: seeds the initial weights and every random draw of the run.
        device: ``None`` picks CUDA when available, else the CPU.
        eval_every: steps between evaluations (default: steps // 20).
        snapshot_every: steps between stored sample snapshots (default: eval_every).
        n_eval: generated samples per evaluation (PacGAN: 2,500).
        progress: show a tqdm progress bar.
    """
    obj = objective if isinstance(objective, _losses.Objective) else \
        _losses.get(objective, **objective_params)
    if isinstance(objective, _losses.Objective) and objective_params:
        raise ValueError("train: pass parameters to losses.get, not train, when giving an Objective")
    check_settings(steps=steps, batch_size=batch_size, n_critic=n_critic, latent_dim=latent_dim,
                   hidden=hidden, depth=depth, n_eval=n_eval, lr_d=lr_d, lr_g=lr_g)
    eval_every = eval_every or max(1, steps // 20)
    snapshot_every = snapshot_every or eval_every
    _check_positive_int("eval_every", eval_every)
    _check_positive_int("snapshot_every", snapshot_every)

    dev = pick_device(device)
    mix = _mixture(data) if isinstance(data, str) else data
    if isinstance(mix, Mixture):
        data_dim = mix.means.shape[1]
    else:
        if not isinstance(mix, torch.Tensor) or mix.dim() != 2 or mix.shape[0] == 0:
            raise ValueError("train: data must be a mixture name, a Mixture, or an [N, d] tensor")
        if not torch.isfinite(mix).all():
            raise ValueError("train: the training data contain NaN or inf")
        data_dim = mix.shape[1]
        dataset = mix.to(dev, torch.float32)

    # Initial weights from `seed`, without disturbing the caller's global RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = _models.generator(latent_dim, data_dim, hidden, depth,
                              nn.Tanh() if tanh_output else None).to(dev)
        D = _models.discriminator(data_dim, hidden, depth).to(dev)
    rng = torch.Generator(device=dev).manual_seed(seed)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas)

    def real_batch() -> Tensor:
        if isinstance(mix, Mixture):
            return mix.sample(batch_size, generator=rng, device=dev)
        idx = torch.randint(dataset.shape[0], (batch_size,), generator=rng, device=dev)
        return dataset[idx]

    z_eval = torch.randn(n_eval, latent_dim, generator=rng, device=dev)
    d_hist = torch.empty(steps, device=dev)
    g_hist = torch.empty(steps, device=dev)
    history: dict = {"eval_step": [], "mode_stats": [], "mode_counts": [],
                     "snapshot_step": [], "samples": []}

    def evaluate(step: int) -> None:
        with torch.no_grad():
            x = G(z_eval).float().cpu()
        if not torch.isfinite(x).all():
            raise FloatingPointError(f"step {step}: the generator's samples contain NaN or inf")
        if step % eval_every == 0 or step == steps:
            history["eval_step"].append(step)
            if isinstance(mix, Mixture):
                history["mode_stats"].append(_metrics.mode_stats(x, mix))
                history["mode_counts"].append(_metrics.mode_counts(x, mix).numpy())
        if step % snapshot_every == 0 or step == steps:
            history["snapshot_step"].append(step)
            history["samples"].append(x.numpy())

    def check_finite(upto: int) -> None:
        """Raise if any loss recorded before step ``upto`` (exclusive) is not finite."""
        for name, hist in (("d_loss", d_hist), ("g_loss", g_hist)):
            window = hist[:upto]
            bad = (~torch.isfinite(window)).nonzero()
            if len(bad):
                i = int(bad[0])
                raise FloatingPointError(
                    f"{obj.name}: {name} became {float(window[i])} at step {i + 1} of {steps}; "
                    "training stopped (try a lower learning rate, or check the data)")

    from tqdm.auto import tqdm

    bar = tqdm(total=steps, disable=not progress, desc=f"{obj.name} on "
               f"{mix.name if isinstance(mix, Mixture) else 'data'}", leave=False)
    check_every = 250
    g_params = list(G.parameters())
    start = time.perf_counter()
    evaluate(0)
    for step in range(1, steps + 1):
        for _ in range(n_critic):
            x = real_batch()
            z = torch.randn(batch_size, latent_dim, generator=rng, device=dev)
            with torch.no_grad():
                fake = G(z)
            real_out = D(x)
            d_loss = obj.d_loss(real_out, D(fake))
            if obj.gp_weight:
                d_loss = d_loss + obj.gp_weight * _losses.gradient_penalty(D, x, fake, generator=rng)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            if obj.clip:
                with torch.no_grad():
                    for p in D.parameters():
                        p.clamp_(-obj.clip, obj.clip)
        z = torch.randn(batch_size, latent_dim, generator=rng, device=dev)
        # The generator's loss sees D(real) from the critic step just taken
        # (only Softmax GAN's partition function uses it), as in Lin's code.
        g_loss = obj.g_loss(real_out.detach(), D(G(z)))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=g_params)
        opt_g.step()
        d_hist[step - 1] = d_loss.detach()
        g_hist[step - 1] = g_loss.detach()
        evaluating = step % eval_every == 0 or step % snapshot_every == 0 or step == steps
        if evaluating or step % check_every == 0:
            check_finite(step)
            bar.update(step - bar.n)
            bar.set_postfix(d=f"{float(d_hist[step - 1]):.3f}", g=f"{float(g_hist[step - 1]):.3f}")
        if evaluating:
            evaluate(step)
    bar.close()
    seconds = time.perf_counter() - start

    history["d_loss"] = d_hist.cpu().numpy()
    history["g_loss"] = g_hist.cpu().numpy()
    config = dict(objective=obj.name, objective_params=dict(obj.params),
                  data=mix.name if isinstance(mix, Mixture) else f"tensor{list(mix.shape)}",
                  steps=steps, batch_size=batch_size, lr_d=lr_d, lr_g=lr_g, betas=tuple(betas),
                  n_critic=n_critic, latent_dim=latent_dim, hidden=hidden, depth=depth,
                  tanh_output=tanh_output, seed=seed, device=str(dev), n_eval=n_eval)
    return Run(G=G, D=D, objective=obj, data=mix, config=config, history=history, seconds=seconds)
