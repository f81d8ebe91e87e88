"""One training function for every chapter: ``train(objective, data, ...)``.

Each step is ``n_critic`` discriminator updates followed by one generator
update (Goodfellow et al. 2014, Algorithm 1), with Adam for both players.  The
objective decides the losses (``ganlib.losses``); the loop adds what the
objective asks for: weight clipping after each critic step (WGAN) or the
gradient penalty in the critic loss (WGAN-GP).

Everything is seeded: the networks' initial weights come from ``seed`` (the
global RNG is restored afterwards) and every real batch and latent draw comes
from a private ``torch.Generator``, so the same seed gives the same run.

A loss or a gradient that turns NaN or ±inf stops training with
``FloatingPointError`` naming the step and the loss: no garbage reaches a history
or a figure.

A run can be saved and resumed: ``checkpoint=path`` writes the networks, both
Adam states, the random generator's state and the history every
``checkpoint_every`` steps; ``resume=path`` continues from such a file and gives
the run an uninterrupted call would have given, bit for bit.  Checkpoints hold
only tensors, numbers and strings and are read with
``torch.load(..., weights_only=True)``, which refuses pickled code.
"""

from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

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
    * ``d_grad_norm``, ``g_grad_norm``: the Euclidean norm of each player's
      gradient (over all its parameters) at every step, shape ``[steps]``;
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
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: str | os.PathLike | None = None,
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
        checkpoint: a file to save the run to, every ``checkpoint_every`` steps
            (default: eval_every) and at the end.
        resume: a checkpoint written by ``train`` with the same settings (only
            ``steps`` may differ: it is the total to reach); training continues
            from the checkpoint's step.
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
    checkpoint_every = checkpoint_every or eval_every
    _check_positive_int("checkpoint_every", checkpoint_every)

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
    d_norm = torch.empty(steps, device=dev)
    g_norm = torch.empty(steps, device=dev)
    history: dict = {"eval_step": [], "mode_stats": [], "mode_counts": [],
                     "snapshot_step": [], "samples": []}
    config = dict(objective=obj.name, objective_params=dict(obj.params),
                  data=mix.name if isinstance(mix, Mixture) else f"tensor{list(mix.shape)}",
                  steps=steps, batch_size=batch_size, lr_d=lr_d, lr_g=lr_g, betas=tuple(betas),
                  n_critic=n_critic, latent_dim=latent_dim, hidden=hidden, depth=depth,
                  tanh_output=tanh_output, seed=seed, device=str(dev), n_eval=n_eval,
                  eval_every=eval_every, snapshot_every=snapshot_every)

    start_step, seconds_before = 0, 0.0
    if resume is not None:
        saved = load_checkpoint(resume)
        _check_resumable(saved, config, resume)
        start_step, seconds_before = saved["step"], saved["seconds"]
        G.load_state_dict(saved["G"])
        D.load_state_dict(saved["D"])
        opt_g.load_state_dict(saved["opt_g"])
        opt_d.load_state_dict(saved["opt_d"])
        rng.set_state(saved["rng"])
        z_eval = saved["z_eval"].to(dev)
        h = saved["history"]
        for name, hist in (("d_loss", d_hist), ("g_loss", g_hist), ("d_grad_norm", d_norm),
                           ("g_grad_norm", g_norm)):
            hist[:start_step] = h[name].to(dev)
        history = {"eval_step": list(h["eval_step"]), "mode_stats": list(h["mode_stats"]),
                   "mode_counts": [c.numpy() for c in h["mode_counts"]],
                   "snapshot_step": list(h["snapshot_step"]),
                   "samples": [x.numpy() for x in h["samples"]]}

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
        raise_if_not_finite(obj.name, steps, [h[:upto] for h in (d_hist, d_norm, g_hist, g_norm)])

    def save(step: int) -> None:
        save_checkpoint(checkpoint, {
            "format": CHECKPOINT_FORMAT, "step": step, "config": config,
            "seconds": seconds_before + time.perf_counter() - start,
            "G": G.state_dict(), "D": D.state_dict(),
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
            "rng": rng.get_state(), "z_eval": z_eval.cpu(),
            "history": {"d_loss": d_hist[:step].cpu(), "g_loss": g_hist[:step].cpu(),
                        "d_grad_norm": d_norm[:step].cpu(), "g_grad_norm": g_norm[:step].cpu(),
                        "eval_step": list(history["eval_step"]),
                        "mode_stats": list(history["mode_stats"]),
                        "mode_counts": [torch.from_numpy(c) for c in history["mode_counts"]],
                        "snapshot_step": list(history["snapshot_step"]),
                        "samples": [torch.from_numpy(x) for x in history["samples"]]}})

    from tqdm.auto import tqdm

    bar = tqdm(total=steps, initial=start_step, disable=not progress, desc=f"{obj.name} on "
               f"{mix.name if isinstance(mix, Mixture) else 'data'}", leave=False)
    check_every = 250
    g_params, d_params = list(G.parameters()), list(D.parameters())
    start = time.perf_counter()
    if start_step == 0:
        evaluate(0)
    for step in range(start_step + 1, steps + 1):
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
            d_grad_norm = torch.nn.utils.get_total_norm([p.grad for p in d_params])
            opt_d.step()
            if obj.clip:
                with torch.no_grad():
                    for p in d_params:
                        p.clamp_(-obj.clip, obj.clip)
        z = torch.randn(batch_size, latent_dim, generator=rng, device=dev)
        # The generator's loss sees D(real) from the critic step just taken
        # (only Softmax GAN's partition function uses it), as in Lin's code.
        g_loss = obj.g_loss(real_out.detach(), D(G(z)))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=g_params)
        g_norm[step - 1] = torch.nn.utils.get_total_norm([p.grad for p in g_params])
        opt_g.step()
        d_hist[step - 1] = d_loss.detach()
        g_hist[step - 1] = g_loss.detach()
        d_norm[step - 1] = d_grad_norm
        evaluating = step % eval_every == 0 or step % snapshot_every == 0 or step == steps
        saving = checkpoint is not None and (step % checkpoint_every == 0 or step == steps)
        if evaluating or saving or step % check_every == 0:
            check_finite(step)
            bar.update(step - bar.n)
            bar.set_postfix(d=f"{float(d_hist[step - 1]):.3f}", g=f"{float(g_hist[step - 1]):.3f}")
        if evaluating:
            evaluate(step)
        if saving:
            save(step)
    bar.close()
    seconds = seconds_before + time.perf_counter() - start

    history["d_loss"] = d_hist.cpu().numpy()
    history["g_loss"] = g_hist.cpu().numpy()
    history["d_grad_norm"] = d_norm.cpu().numpy()
    history["g_grad_norm"] = g_norm.cpu().numpy()
    return Run(G=G, D=D, objective=obj, data=mix, config=config, history=history, seconds=seconds)


def raise_if_not_finite(name: str, steps: int, histories: list[Tensor],
                        seeds: list[int] | None = None) -> None:
    """Raise ``FloatingPointError`` at the first step where a loss or a gradient is not finite.

    ``histories`` are D's loss, D's gradient norm, G's loss and G's gradient norm, each
    ``[upto]`` (one run) or ``[upto, E]`` (an ensemble, with the members' ``seeds``).
    """
    stacked = torch.stack(histories)
    if stacked.dim() == 2:
        stacked = stacked[..., None]
    bad = ~torch.isfinite(stacked)                         # [4, upto, E]
    if not bad.any():
        return
    i = int(bad.any(dim=2).any(dim=0).nonzero()[0])        # the first bad step
    which = int(bad[:, i].any(dim=1).nonzero()[0])         # D loss, D grad, G loss, G grad
    e = int(bad[which, i].nonzero()[0])
    loss_name = "d_loss" if which < 2 else "g_loss"
    loss = float(stacked[which - which % 2, i, e])
    what = f"{loss_name} became {loss}" if which % 2 == 0 else \
        f"the gradient of {loss_name} became {float(stacked[which, i, e])} (the loss was {loss:.6g})"
    member = "" if seeds is None else f"member {e} (seed {seeds[e]}): "
    raise FloatingPointError(f"{name}: {member}{what} at step {i + 1} of {steps}; training stopped "
                             "(try a lower learning rate, or check the data)")


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------

CHECKPOINT_FORMAT = "ganlib-checkpoint-1"


def save_checkpoint(path: str | os.PathLike, state: dict) -> None:
    """Write ``state`` to ``path`` atomically (a crash mid-write leaves the old file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by ``train``, with ``torch.load(weights_only=True)``.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that
    is not a ganlib checkpoint, or that holds anything but tensors, numbers, strings,
    lists and dicts (``weights_only`` refuses to unpickle code).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as err:
        raise ValueError(f"{str(path)!r} is not a ganlib checkpoint that can be loaded safely "
                         f"(torch.load with weights_only=True refused it: {err})") from err
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{str(path)!r} is not a ganlib checkpoint (format "
                         f"{CHECKPOINT_FORMAT!r} expected)")
    return state


def _check_resumable(saved: dict, config: dict, path) -> None:
    """A checkpoint resumes only the run it came from: every setting but ``steps`` must agree."""
    old = saved["config"]
    differ = sorted(k for k in set(old) | set(config)
                    if k != "steps" and old.get(k) != config.get(k))
    if differ:
        detail = "; ".join(f"{k}: checkpoint {old.get(k)!r}, now {config.get(k)!r}" for k in differ)
        raise ValueError(f"cannot resume from {str(path)!r}: its settings differ ({detail}). "
                         "Pass the settings the checkpoint was made with (an explicit eval_every "
                         "when steps changes).")
    if saved["step"] > config["steps"]:
        raise ValueError(f"cannot resume from {str(path)!r}: it is at step {saved['step']}, "
                         f"past steps={config['steps']}")
