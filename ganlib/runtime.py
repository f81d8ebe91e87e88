"""Where and how a training loop runs: the device, each member's seed and random generator,
the progress bar and the NaN stop.

Shared by the library's loops (``train``, ``infogan``, ``semi_supervised``, ``dynamics``);
nothing here trains anything.
"""

from __future__ import annotations

import torch

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


def progress_bar(total: int, desc: str, enabled: bool):
    """The one tqdm bar a training call shows (``enabled=False``: none)."""
    from tqdm.auto import tqdm
    return tqdm(total=total, disable=not enabled, desc=desc, leave=False)


def raise_if_not_finite(steps: int, per_step: dict[str, Tensor], labels: list[str]) -> None:
    """Raise ``FloatingPointError`` at the first step where a recorded quantity is not finite.

    ``per_step`` maps each quantity's name, as the message should say it ("d_loss", "the
    gradient of d_loss", "info_loss", …), to its values so far, ``[upto, E]`` for a stack of E
    members (or ``[upto]`` for one); ``labels[e]`` names member e.  The message names the first
    bad step, the first quantity in ``per_step``'s order that is bad there, and the member; for
    a gradient whose loss is also recorded it adds the loss.
    """
    names = list(per_step)
    stacked = torch.stack(list(per_step.values()))
    if stacked.dim() == 2:
        stacked = stacked[..., None]                       # [Q, upto, E]
    bad = ~torch.isfinite(stacked)
    if not bad.any():
        return
    i = int(bad.any(dim=2).any(dim=0).nonzero()[0])        # the first bad step
    which = int(bad[:, i].any(dim=1).nonzero()[0])         # the first bad quantity there
    e = int(bad[which, i].nonzero()[0])
    name = names[which]
    what = f"{name} became {float(stacked[which, i, e])}"
    loss = name.removeprefix("the gradient of ")
    if loss != name and loss in per_step:
        what += f" (the loss was {float(stacked[names.index(loss), i, e]):.6g})"
    raise FloatingPointError(f"{labels[e]}: {what} at step {i + 1} of {steps}; training stopped "
                             "(try a lower learning rate, or check the data)")
