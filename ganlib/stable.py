"""Numerically stable primitives shared by ``ganlib.losses`` and ``ganlib.divergences``.

(A module of its own so that ``divergences`` need not import ``losses``, which builds the
f-GAN objectives from ``divergences``.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def softplus(v: Tensor) -> Tensor:
    """softplus(v) = log(1 + e^v), accurate to float64 precision everywhere.

    torch's default switches to the identity above v = 20, an absolute error of
    e^-20 ≈ 2e-9 — invisible in float32, a real error in float64.  Above 40 the
    error is e^-40 ≈ 4e-18, below float64's resolution of 40, and e^40 is still
    finite in float32.
    """
    return F.softplus(v, beta=1.0, threshold=40.0)
