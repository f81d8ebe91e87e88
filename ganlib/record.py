"""What a training call returns: the ``Run`` record of each member, and how a loop fills in a
step of its per-step history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

Tensor = torch.Tensor


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


def record_step(per_step: dict[str, Tensor], step: int, values: dict[str, Tensor]) -> None:
    """Store each member's ``[E]`` values of one step in ``per_step[k][step - 1]``."""
    for k, v in values.items():
        per_step[k][step - 1] = v.detach()
