"""The optimisers of stacked networks, and the one optimiser step (``update``) every loop of
the library takes.

A stack's members may each have their own learning rate and betas: ``MemberAdam`` and
``MemberRMSprop`` apply torch's update per member slice; ``make`` uses torch's own optimiser
(one fused kernel) when the members agree.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor


class MemberAdam:
    """Adam with each member's own learning rate and betas, over stacked ``[E, ...]`` tensors.

    The update of Kingma & Ba (2015, Algorithm 1) as ``torch.optim.Adam`` computes it, with
    ``lr``, ``β₁``, ``β₂`` of shape ``[E]`` broadcast over each member's slice:

        m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
        θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).

    ``make`` uses it for stacks whose members differ in ``lr_d``, ``lr_g`` or ``betas``;
    a stack whose members agree gets ``torch.optim.Adam(fused=True)``, one kernel per step.
    """

    def __init__(self, params, lr: Tensor, betas: Tensor, eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.b1, self.b2, self.eps = lr, betas[:, 0], betas[:, 1], eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        step_size = self.lr / (1 - self.b1 ** self.t)
        bc2_sqrt = (1 - self.b2 ** self.t).sqrt()
        for p, m, v in zip(self.params, self.m, self.v):
            shape = (-1,) + (1,) * (p.dim() - 1)          # [E] → [E, 1, 1]: per member
            g = p.grad
            m.lerp_(g, (1 - self.b1).view(shape))
            v.mul_(self.b2.view(shape)).addcmul_(g, g * (1 - self.b2).view(shape))
            denom = (v.sqrt() / bc2_sqrt.view(shape)).add_(self.eps)
            p.addcdiv_(m * -step_size.view(shape), denom)

    def state_dict(self) -> dict:
        return {"t": self.t, "m": [m.clone() for m in self.m], "v": [v.clone() for v in self.v]}

    def load_state_dict(self, state: dict) -> None:
        self.t = int(state["t"])
        for mine, saved in ((self.m, state["m"]), (self.v, state["v"])):
            for a, b in zip(mine, saved):
                a.copy_(b)


class MemberRMSprop:
    """RMSProp with each member's own learning rate, over stacked ``[E, ...]`` tensors: the
    update ``torch.optim.RMSprop`` makes with its defaults (α = 0.99, ε = 1e-8, no momentum),
    which is the optimiser of the WGAN authors' code (Arjovsky et al. 2017, Algorithm 1):

        v ← α v + (1 − α) g²,   θ ← θ − lr · g / (√v + ε).
    """

    def __init__(self, params, lr: Tensor, alpha: float = 0.99, eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for p, v in zip(self.params, self.v):
            g = p.grad
            v.mul_(self.alpha).addcmul_(g, g, value=1 - self.alpha)
            p.addcdiv_(g * -self.lr.view((-1,) + (1,) * (p.dim() - 1)), v.sqrt().add_(self.eps))

    def state_dict(self) -> dict:
        return {"v": [v.clone() for v in self.v]}

    def load_state_dict(self, state: dict) -> None:
        for a, b in zip(self.v, state["v"]):
            a.copy_(b)


def make(kind: str, params, lrs: list[float], betas: list[tuple[float, float]],
         dev: torch.device):
    """One optimiser of ``kind`` (``"adam"`` or ``"rmsprop"``) for a player's stacked
    parameters, member e with learning rate ``lrs[e]`` and Adam's ``betas[e]``: torch's own
    (fused Adam, RMSprop) when every member has the same, else ``MemberAdam`` or
    ``MemberRMSprop``."""
    dtype = torch.get_default_dtype()
    if kind == "rmsprop":
        if len(set(lrs)) == 1:
            return torch.optim.RMSprop(params, lr=lrs[0])
        return MemberRMSprop(params, torch.tensor(lrs, device=dev, dtype=dtype))
    if len(set(lrs)) == 1 and len(set(betas)) == 1:
        # fused=True: one kernel per optimiser step for all stacked tensors
        return torch.optim.Adam(params, lr=lrs[0], betas=betas[0], fused=True)
    return MemberAdam(params, torch.tensor(lrs, device=dev, dtype=dtype),
                      torch.tensor(betas, device=dev, dtype=dtype))


def update(optimizer, loss: Tensor, inputs: list[Tensor] | None = None) -> None:
    """One optimiser step on ``loss`` (the members' summed losses: member e's weights get the
    gradient of its own loss): gradients of ``inputs`` only, when given — the generator's step
    must not leave gradients in D, and the critic's need none for the gradient penalties' input
    leaves.  The gradients stay in ``.grad`` after the step (no optimiser here changes them), so
    ``member_grad_norms`` can read them afterwards."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward(inputs=inputs)
    optimizer.step()


def member_grad_norms(params: list[Tensor]) -> Tensor:
    """Each member's gradient norm over all its stacked parameters ``[E, ...]``: ``[E]``."""
    return torch.stack([p.grad.flatten(1).norm(dim=1) for p in params]).norm(dim=0)
