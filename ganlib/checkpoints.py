"""Checkpoint files: a stack of runs saved atomically, loaded safely (``weights_only=True``), and
resumed only by the call that made it.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

FORMAT = "ganlib-checkpoint-3"      # 3: the stores renamed per_step and evals


def save(path: str | os.PathLike, state: dict) -> None:
    """Write ``state`` to ``path`` atomically (a crash mid-write leaves the old file)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load(path: str | os.PathLike) -> dict:
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
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a ganlib checkpoint (format "
                         f"{FORMAT!r} expected)")
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
