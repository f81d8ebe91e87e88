"""The small networks every chapter trains: plain MLPs.

The reference toy GAN of the book is

    G: latent 2 → 128 → 128 → 2      D: 2 → 128 → 128 → 1      (ReLU)

The discriminator's last layer is linear: it returns raw outputs (logits or
critic values) and each objective in ``ganlib.losses`` decides what to do with
them.  No batch-norm anywhere, so a discriminator's output for one sample never
depends on the rest of its batch (WGAN-GP's per-sample penalty needs that).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

Tensor = torch.Tensor


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


class StackedMLP(nn.Module):
    """E MLPs of one architecture as one module: ``x [E, B, n_in] -> [E, B, n_out]``.

    Layer l holds ``weight [E, n_in, n_out]`` and ``bias [E, 1, n_out]``, built from E
    ``mlp`` modules; the forward pass of every member at once is one ``baddbmm(bias, x,
    weight)`` per layer, then ReLU (none after the last layer) and the output activation.
    Member e's output depends only on member e's weights and inputs.
    """

    def __init__(self, members: list[nn.Sequential]):
        super().__init__()
        linears = [[m for m in member if isinstance(m, nn.Linear)] for member in members]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([lin[i].weight.detach().T for lin in linears]).contiguous())
            for i in range(len(linears[0])))
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([lin[i].bias.detach()[None] for lin in linears]).contiguous())
            for i in range(len(linears[0])))
        last = members[0][-1]
        self.out_activation = None if isinstance(last, nn.Linear) else last

    def forward(self, x: Tensor, members: Tensor | None = None, *,
                noise=None, stop: int | None = None) -> Tensor:
        """All members, or only the stack's ``members`` (an index tensor; x is then
        ``[len(members), B, n_in]``).  ``noise(i, x)``, when given, replaces the input of
        layer i (the Gaussian-noise layers of ``ganlib.semi_supervised``); ``stop = i`` returns
        the input of layer i (after its noise) instead of the output: ``stop = n_layers - 1``
        gives the last hidden layer, the features that feature matching matches."""
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            if noise is not None:
                x = noise(i, x)
            if i == stop:
                return x
            if members is not None:
                w, b = w[members], b[members]
            x = torch.baddbmm(b, x, w)
            if i < n - 1:
                x = x.relu_()   # in place: baddbmm's backward does not need its output
        return x if self.out_activation is None else self.out_activation(x)

    def member(self, e: int, template: nn.Sequential) -> nn.Sequential:
        """Member e's weights copied into a fresh module shaped like ``template``."""
        module = copy.deepcopy(template)
        linears = [m for m in module if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for lin, w, b in zip(linears, self.weights, self.biases):
                lin.weight.copy_(w[e].T)
                lin.bias.copy_(b[e, 0])
        return module
