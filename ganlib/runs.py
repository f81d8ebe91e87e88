"""The plumbing every training loop shares: the ``Run`` record, default settings, their checks,
the device, per-member seeding and random generators, the optimiser step, the NaN stop and
checkpoint files.

``ganlib.train`` (the GAN engine), ``ganlib.semi_supervised`` (K+1) and ``ganlib.infogan`` import
from here; nothing here trains anything.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

Tensor = torch.Tensor

# The book's reference toy GAN and its optimiser: every default of every loop, written once.
DEFAULTS = dict(steps=5000, batch_size=256, optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.5, 0.999),
                n_critic=1, latent_dim=2, hidden=128, depth=2, tanh_output=False, g_ema=0.0, r1=0.0, r2=0.0,
                n_eval=2500)


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


def seeded(seed: int, build):
    """``build()`` under ``torch.manual_seed(seed)``, the caller's global RNG restored after:
    how every loop builds a member's initial networks, so a member starts from the same
    weights alone or in a stack."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def member_rngs(seeds: list[int], dev: torch.device) -> list[torch.Generator]:
    """One ``torch.Generator`` per member, seeded with its seed: all of a member's random
    draws come from its own generator, so they do not depend on who else is in its stack."""
    return [torch.Generator(device=dev).manual_seed(s) for s in seeds]


def per_member(rngs: list[torch.Generator], draw) -> Tensor:
    """``[E, ...]``: ``draw(rng)`` for each member's generator, stacked (member e's slice is
    what it would draw alone)."""
    return torch.stack([draw(r) for r in rngs])


def check_seeds(seed: int, seeds) -> list[int]:
    """The seeds of a call that takes ``seed=`` (one run) or ``seeds=[...]`` (a stack)."""
    if seeds is None:
        seeds = [seed]
    if not isinstance(seeds, (list, tuple)) or not seeds or \
            not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of ints, got {seeds!r}")
    return list(seeds)


def update(optimizer, loss: Tensor, inputs: list[Tensor] | None = None) -> None:
    """One optimiser step on ``loss`` (the members' summed losses): gradients of ``inputs``
    only, when given (the generator's step must not leave gradients in D)."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward(inputs=inputs)
    optimizer.step()


def record(history: dict[str, Tensor], step: int, values: dict[str, Tensor]) -> None:
    """Store each member's ``[E]`` values of one step in ``history[k][step - 1]``."""
    for k, v in values.items():
        history[k][step - 1] = v.detach()


def progress_bar(total: int, desc: str, enabled: bool):
    """The one tqdm bar a training call shows (``enabled=False``: none)."""
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, desc=desc, leave=False)


@dataclass
class Run:
    """What ``train`` returns for each member: its trained networks and its history.

    ``history`` holds numpy arrays and lists:

    * ``d_loss``, ``g_loss``: the loss at every step (the last critic step's
      loss for D), shape ``[steps]``;
    * ``d_grad_norm``, ``g_grad_norm``: the Euclidean norm of each player's
      gradient (over all its parameters) at every step, shape ``[steps]``;
    * ``eval_step``: the steps at which the generator was evaluated (0 = the
      initial generator), with ``mode_stats`` (dicts) and ``mode_counts``
      (``[K]`` arrays of HQ samples per mode) for a mixture;
    * ``snapshot_step`` and ``samples``: generated samples ``[n_eval, d]`` from
      one fixed batch of latent vectors, so snapshots are comparable over time;
    * with ``g_ema`` on, ``ema_mode_stats``, ``ema_mode_counts`` and ``ema_samples``: the same
      for the averaged generator ``G_ema``, at the same steps.
    """

    G: nn.Module
    D: nn.Module
    objective: object
    data: object
    config: dict
    history: dict = field(default_factory=dict)
    seconds: float = 0.0
    G_ema: nn.Module | None = None
    eval_seconds: float = 0.0       # of ``seconds``, the time spent evaluating (the whole stack)

    @property
    def final_stats(self) -> dict:
        """``mode_stats`` of the last evaluation (of the raw generator)."""
        return self.history["mode_stats"][-1]

    def mode_record(self) -> dict:
        """The run's mode history as plain JSON data: ``objective``, ``seed``, ``eval_step``,
        ``mode_counts`` (lists) and ``final_stats`` — what ``plot.mode_occupancy`` and
        ``metrics.mode_hops`` read, and what ``benchmarks/mode_hopping.py`` commits — and, with
        ``g_ema`` on, ``ema_mode_counts`` and ``final_ema_stats`` of the averaged generator."""
        record = {"objective": self.config["objective"], "seed": self.config["seed"],
                  "eval_step": [int(t) for t in self.history["eval_step"]],
                  "mode_counts": [[int(c) for c in counts] for counts in self.history["mode_counts"]],
                  "final_stats": dict(self.final_stats)}
        if "ema_mode_counts" in self.history:          # g_ema on: the averaged generator's too
            record["ema_mode_counts"] = [[int(c) for c in counts]
                                         for counts in self.history["ema_mode_counts"]]
            record["final_ema_stats"] = dict(self.final_ema_stats)
        return record

    @property
    def final_ema_stats(self) -> dict:
        """``mode_stats`` of the averaged generator's last evaluation (``g_ema`` on)."""
        if "ema_mode_stats" not in self.history:
            raise ValueError("this run kept no averaged generator: train it with g_ema > 0")
        return self.history["ema_mode_stats"][-1]


def check_positive_int(name: str, value) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"train: {name} must be a positive integer, got {value!r}")


def check_settings(lr_d: float, lr_g: float, **sizes: int) -> None:
    """Raise ``ValueError`` unless every size is a positive int and both learning rates
    are positive finite numbers."""
    for name, value in sizes.items():
        check_positive_int(name, value)
    for name, value in (("lr_d", lr_d), ("lr_g", lr_g)):
        if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
            raise ValueError(f"train: {name} must be a positive finite number, got {value!r}")


def raise_if_not_finite(steps: int, histories: list[Tensor], labels: list[str]) -> None:
    """Raise ``FloatingPointError`` at the first step where a loss or a gradient is not finite.

    ``histories`` are D's loss, D's gradient norm, G's loss and G's gradient norm, each
    ``[upto, E]`` for a stack of E members (or ``[upto]`` for one); ``labels[e]`` names
    member e in the message.
    """
    stacked = torch.stack(histories)
    if stacked.dim() == 2:
        stacked = stacked[..., None]                       # [4, upto, E]
    bad = ~torch.isfinite(stacked)
    if not bad.any():
        return
    i = int(bad.any(dim=2).any(dim=0).nonzero()[0])        # the first bad step
    which = int(bad[:, i].any(dim=1).nonzero()[0])         # D loss, D grad, G loss, G grad
    e = int(bad[which, i].nonzero()[0])
    loss_name = "d_loss" if which < 2 else "g_loss"
    loss = float(stacked[which - which % 2, i, e])
    what = f"{loss_name} became {loss}" if which % 2 == 0 else \
        f"the gradient of {loss_name} became {float(stacked[which, i, e])} (the loss was {loss:.6g})"
    raise FloatingPointError(f"{labels[e]}: {what} at step {i + 1} of {steps}; training stopped "
                             "(try a lower learning rate, or check the data)")


# --------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------

CHECKPOINT_FORMAT = "ganlib-checkpoint-2"


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


def check_resumable(saved: dict, configs: list[dict], steps: int, path) -> None:
    """A checkpoint resumes only the stack it came from: every member's settings but ``steps``
    must agree."""
    old = saved["configs"]
    if len(old) != len(configs):
        raise ValueError(f"cannot resume from {str(path)!r}: it holds {len(old)} members, "
                         f"this call trains {len(configs)}")
    for e, (a, b) in enumerate(zip(old, configs)):
        differ = sorted(k for k in set(a) | set(b) if k != "steps" and a.get(k) != b.get(k))
        if differ:
            detail = "; ".join(f"{k}: checkpoint {a.get(k)!r}, now {b.get(k)!r}" for k in differ)
            who = "" if len(configs) == 1 else f"member {e}: "
            raise ValueError(f"cannot resume from {str(path)!r}: its settings differ ({who}{detail})."
                             " Pass the settings the checkpoint was made with (an explicit "
                             "eval_every when steps changes).")
    if saved["step"] > steps:
        raise ValueError(f"cannot resume from {str(path)!r}: it is at step {saved['step']}, "
                         f"past steps={steps}")
