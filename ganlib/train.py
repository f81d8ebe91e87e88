"""The one GAN training loop: ``train(objective, data, ...)``, for one run or many at once.

Each step is ``n_critic`` discriminator updates followed by one generator update
(Goodfellow et al. 2014, Algorithm 1), with Adam (default) or RMSProp for both players.  The objective decides
the losses (``ganlib.losses``); the loop adds what an objective asks for: weight clipping
after each critic step (WGAN), the gradient penalty in the critic loss (WGAN-GP), and, for any
objective, the zero-centred penalties R1 and R2 (``r1=γ``, ``r2=γ``; Mescheder et al. 2018)
that make gradient play converge (the training-dynamics chapters).

**Every run is a stack.**  A member-step of the book's toy GAN is ~100 MFLOP spread over
small matrices, too small to keep two CPU cores busy, so one run alone is bound by Python
and kernel-launch overhead.  ``train`` therefore stacks the weights of E members as
``W[e]`` (``models.StackedMLP``): every layer of every member is one ``baddbmm``, and E runs
cost little more than one.  A single run is a stack of one.

**Members are independent by construction**, so member e's trajectory does not depend on
who else is in its stack:

* its initial weights are built under ``torch.manual_seed(seed_e)`` (the caller's global
  RNG is restored afterwards) and then stacked;
* it draws its real batches, latent vectors and gradient-penalty ε from its own
  ``torch.Generator`` seeded with ``seed_e`` — ``CHUNK`` steps at a time, so a stack of E
  makes a few RNG calls per member per ``CHUNK`` steps instead of per step;
* each member's loss is computed on its own batch with its own objective (``vmap`` over the
  members that share an objective) and the E losses are *summed*, so the gradient of member
  e's weights is the gradient of its own loss; Adam is elementwise, so one Adam over the
  stacked tensors is E Adams.  Nothing mixes members: no norm over all parameters, no shared
  statistics.

**Stacks.**  Members may differ in objective, objective parameters, seed, data, clipping,
penalty, ``g_ema`` and Adam's ``lr_d``, ``lr_g`` and ``betas`` (``MemberAdam``): those share a
stack.  Members that differ in what a stacked computation needs to be the same — the networks
(``latent_dim``, ``hidden``, ``depth``, ``tanh_output``, the data dimension), the schedule
(``n_critic``, ``batch_size``) or the optimiser's kind (``optimizer``) — go to separate stacks:
members are grouped by these settings (``STACK_KEYS``), one group per distinct combination, and
a group of more than ``max_stack`` members is cut into the fewest stacks of at most
``max_stack`` (beyond a few dozen members a stack's tensors outgrow the cache and each
member-step gets slower: see the How-fast chapter).  Stacks train one after another under one
progress bar.

A loss or a gradient that turns NaN or ±inf stops training with ``FloatingPointError``
naming the member, the step and the loss: no garbage reaches a history or a figure.

A stack can be saved and resumed: ``checkpoint=path`` writes the networks, both Adam
states, the random generators and the histories every ``checkpoint_every`` steps;
``resume=path`` continues from such a file and gives the runs an uninterrupted call would
have given, bit for bit.  Checkpoints hold only tensors, numbers and strings and are read
with ``torch.load(..., weights_only=True)``, which refuses pickled code.
"""

from __future__ import annotations

import copy
import itertools
import math
import os
import time

import torch
from torch import nn

from . import losses as _losses
from . import metrics as _metrics
from . import models as _models
from .data import Mixture, mixture as _mixture
from .runs import (CHECKPOINT_FORMAT, DEFAULTS, Run, check_positive_int, check_resumable,
                   check_seeds, check_settings, load_checkpoint, member_rngs, pick_device,
                   progress_bar, raise_if_not_finite, save_checkpoint, seeded)

__all__ = ["train", "critic_step", "Run", "pick_device", "load_checkpoint", "DEFAULTS", "CHUNK"]

Tensor = torch.Tensor

CHUNK = 32          # steps of random draws made at once by each member's generator
MEMBER_KEYS = tuple(k for k in DEFAULTS if k not in ("steps", "n_eval")) + ("objective", "data",
                                                                            "seed")
# Members equal in these share a stack (the networks and the schedule).
STACK_KEYS = ("latent_dim", "hidden", "depth", "tanh_output", "n_critic", "batch_size", "optimizer")
OPTIMIZERS = ("adam", "rmsprop")
MAX_STACK = 32      # members per stack, at most (see train's max_stack)


class MemberAdam:
    """Adam with each member's own learning rate and betas, over stacked ``[E, ...]`` tensors.

    The update of Kingma & Ba (2015, Algorithm 1) as ``torch.optim.Adam`` computes it, with
    ``lr``, ``β₁``, ``β₂`` of shape ``[E]`` broadcast over each member's slice:

        m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
        θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε).

    ``train`` uses it for stacks whose members differ in ``lr_d``, ``lr_g`` or ``betas``;
    a stack whose members agree uses ``torch.optim.Adam(fused=True)``, one kernel per step.
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


def _optimizer(params, specs: list[dict], lr_key: str, dev: torch.device):
    """One optimiser for a player's stacked parameters (the members of a stack share
    ``optimizer``): torch's own (fused Adam, RMSprop) when every member has the same learning
    rate and betas, else ``MemberAdam`` or ``MemberRMSprop``."""
    lrs, betas = [s[lr_key] for s in specs], [s["betas"] for s in specs]
    dtype = torch.get_default_dtype()
    if specs[0]["optimizer"] == "rmsprop":
        if len(set(lrs)) == 1:
            return torch.optim.RMSprop(params, lr=lrs[0])
        return MemberRMSprop(params, torch.tensor(lrs, device=dev, dtype=dtype))
    if len(set(lrs)) == 1 and len(set(betas)) == 1:
        # fused=True: one kernel per optimiser step for all stacked tensors
        return torch.optim.Adam(params, lr=lrs[0], betas=betas[0], fused=True)
    return MemberAdam(params, torch.tensor(lrs, device=dev, dtype=dtype),
                      torch.tensor(betas, device=dev, dtype=dtype))


def _keep_freed_memory() -> None:
    """Ask glibc's malloc to keep freed blocks of up to 32 MB instead of unmapping them.

    A stacked step allocates and frees activations of a few MB each; by default glibc returns
    such blocks to the system and the next step takes page faults on fresh pages (measured
    here: an elementwise ReLU backward on [16, 512, 128] 60× slower inside training than
    alone).  Keeping them is ~10 % faster at E = 16 on two cores.  No effect off glibc."""
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
    libc.mallopt(M_TRIM_THRESHOLD, 256 << 20)
    libc.mallopt(M_TOP_PAD, 64 << 20)


_malloc_tuned = False


def train(
    objective: str | _losses.Objective = "nonsaturating",
    data: str | Mixture | Tensor = "ring8",
    *,
    seed: int = 0,
    seeds: list[int] | None = None,
    members: list[dict] | None = None,
    steps: int = DEFAULTS["steps"],
    n_eval: int = DEFAULTS["n_eval"],
    device: str | torch.device | None = None,
    eval_every: int | None = None,
    snapshot_every: int | None = None,
    progress: bool = True,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: str | os.PathLike | None = None,
    max_stack: int = MAX_STACK,
    **settings,
) -> Run | list[Run]:
    """Train GANs; one ``Run`` for one run, a list of ``Run`` for ``seeds`` or ``members``.

    * ``train("minimax", "ring8", seed=0)`` → one ``Run``;
    * ``train("minimax", "ring8", seeds=[0, 1, 2])`` → three ``Run``, one stack;
    * ``train(members=[dict(objective="minimax", seed=0), dict(objective="wgan-gp",
      n_critic=5, betas=(0.5, 0.9)), ...], data="ring8")`` → one ``Run`` per member, in order.
      A member is a dict of any of ``objective``, ``data``, ``seed``, the settings below and
      the objective's parameters; what it leaves out comes from the call's arguments.

    Args:
        objective: a name from ``ganlib.losses.names()`` (its parameters go in ``settings``,
            e.g. ``divergence="kl"``), or an ``Objective``.
        data: a mixture name (``"ring8"``, ``"grid25"``), a ``Mixture``, or an ``[N, d]``
            tensor of training data (batches are drawn with replacement).
        seed: seeds the initial weights and every random draw of the run.
        steps: generator updates; each follows ``n_critic`` critic updates.
        n_eval: generated samples per evaluation (PacGAN: 2,500).
        device: ``None`` picks CUDA when available, else the CPU.
        eval_every: steps between evaluations (default: steps // 20).
        snapshot_every: steps between stored sample snapshots (default: eval_every).
        progress: show one tqdm progress bar for the whole call.
        checkpoint: a file to save the stack to every ``checkpoint_every`` steps (default:
            eval_every) and at the end.
        resume: a checkpoint written by ``train`` with the same settings (only ``steps`` may
            differ: it is the total to reach); training continues from its step.
        max_stack: the most members one stack holds; a larger group of members that could
            share a stack is cut into the fewest stacks of at most this many.  The runs do not
            depend on it (members are independent), only the speed does.
        settings: ``batch_size``, ``optimizer`` (``"adam"`` or ``"rmsprop"``), ``lr_d``,
            ``lr_g``, ``betas`` (Adam's, per player; RMSProp uses torch's α = 0.99),
            ``n_critic``, ``latent_dim``, ``hidden``, ``depth`` (the MLPs of
            ``ganlib.models``), ``tanh_output`` (end G with tanh, for data in [-1, 1]),
            ``g_ema`` (keep ``G_ema``, an exponential moving average of G's weights with this
            decay, e.g. 0.999, and evaluate it beside G; 0 = off), and the objective's
            parameters, ``r1`` and ``r2`` (γ of the zero-centred gradient penalties
            (γ/2)·E‖∇ₓD(x)‖² on real (R1) or generated (R2) batches, Mescheder et al. 2018,
            added to the critic's loss; 0 = off).  Defaults: ``ganlib.runs.DEFAULTS``.
    """
    single = members is None and seeds is None
    if members is not None and seeds is not None:
        raise ValueError("train: give seeds or members, not both (a member names its own seed)")
    if seeds is not None:
        members = [dict(seed=s) for s in check_seeds(seed, seeds)]
    elif members is None:
        members = [{}]
    if not isinstance(members, (list, tuple)) or not members or \
            not all(isinstance(m, dict) for m in members):
        raise ValueError("train: members must be a non-empty list of dicts")
    check_positive_int("steps", steps)
    check_positive_int("n_eval", n_eval)
    eval_every = eval_every or max(1, steps // 20)
    snapshot_every = snapshot_every or eval_every
    checkpoint_every = checkpoint_every or eval_every
    for name, value in (("eval_every", eval_every), ("snapshot_every", snapshot_every),
                        ("checkpoint_every", checkpoint_every)):
        check_positive_int(name, value)
    dev = pick_device(device)
    if dev.type == "cpu":
        _keep_freed_memory()
    specs = [_member_spec({**dict(objective=objective, data=data, seed=seed), **settings, **m}, dev)
             for m in members]
    for i, spec in enumerate(specs):
        spec["label"] = spec["objective"].name if len(specs) == 1 else \
            f"{spec['objective'].name}: member {i} (seed {spec['seed']})"

    check_positive_int("max_stack", max_stack)
    groups: dict[tuple, list[int]] = {}
    for i, spec in enumerate(specs):
        groups.setdefault(tuple(spec[k] for k in STACK_KEYS) + (spec["data_dim"],), []).append(i)
    stacks: dict[tuple, list[int]] = {}
    for key, idx in groups.items():
        idx = _side_by_side(idx, specs)
        n = -(-len(idx) // max_stack)                 # the fewest stacks of ≤ max_stack members
        for j in range(n):
            stacks[key + (j,)] = idx[j * len(idx) // n:(j + 1) * len(idx) // n]
    if (checkpoint is not None or resume is not None) and len(stacks) > 1:
        raise ValueError(f"train: checkpoint and resume need members that share one stack; these "
                         f"form {len(stacks)} (they differ in some of {', '.join(STACK_KEYS)}, or "
                         f"they are more than max_stack = {max_stack})")

    objectives = sorted({s["objective"].name for s in specs})
    desc = (f"{len(specs)} × " if len(specs) > 1 else "") + "/".join(objectives)
    bar = progress_bar(steps * len(stacks), desc, progress)
    runs: list[Run | None] = [None] * len(specs)
    for k, idx in enumerate(stacks.values()):
        stack_runs = _train_stack([specs[i] for i in idx], steps=steps, n_eval=n_eval, dev=dev,
                                  eval_every=eval_every, snapshot_every=snapshot_every,
                                  checkpoint=checkpoint, checkpoint_every=checkpoint_every,
                                  resume=resume, bar=bar, bar_offset=k * steps)
        for i, run in zip(idx, stack_runs):
            runs[i] = run
    bar.close()
    return runs[0] if single else runs


def critic_step(D: nn.Module, opt: torch.optim.Optimizer, objective: _losses.Objective,
                real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """One discriminator (critic) update of a single network, as ``train`` makes it for each
    member: the objective's D loss on ``D(real)``, ``D(fake)``, plus ``gp_weight ·
    gradient_penalty`` for WGAN-GP; one optimiser step; then, for WGAN, every weight clipped
    to [−clip, clip].  Returns the loss (detached).  For chapters that train a critic alone."""
    loss = objective.d_loss(D(real), D(fake.detach()))
    if objective.gp_weight:
        loss = loss + objective.gp_weight * _losses.gradient_penalty(D, real, fake,
                                                                     generator=generator)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if objective.clip:
        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-objective.clip, objective.clip)
    return loss.detach()


def _member_spec(m: dict, dev: torch.device) -> dict:
    """One member's complete settings, checked: the defaults, then what the call and the
    member say; what is not a setting is a parameter of the objective."""
    objective = m.pop("objective")
    params = {k: m.pop(k) for k in list(m) if k not in MEMBER_KEYS}
    if isinstance(objective, _losses.Objective):
        if params:
            raise ValueError(f"train: pass parameters to losses.get, not train, when giving an "
                             f"Objective (got {', '.join(params)}; train's settings: "
                             f"{', '.join(MEMBER_KEYS)})")
        obj = objective
    else:
        obj = _losses.get(objective, **params)
    spec = {**DEFAULTS, **m, "objective": obj}
    del spec["steps"], spec["n_eval"]
    check_settings(batch_size=spec["batch_size"], n_critic=spec["n_critic"],
                   latent_dim=spec["latent_dim"], hidden=spec["hidden"], depth=spec["depth"],
                   lr_d=spec["lr_d"], lr_g=spec["lr_g"])
    if spec["optimizer"] not in OPTIMIZERS:
        raise ValueError(f"train: unknown optimizer {spec['optimizer']!r}; valid: {', '.join(OPTIMIZERS)}")
    spec["betas"] = tuple(float(b) for b in spec["betas"])
    if len(spec["betas"]) != 2 or not all(0 <= b < 1 for b in spec["betas"]):
        raise ValueError(f"train: betas must be two numbers in [0, 1), got {m.get('betas')!r}")
    if not (isinstance(spec["g_ema"], (int, float)) and 0 <= spec["g_ema"] < 1):
        raise ValueError(f"train: g_ema must be a number in [0, 1) (0 = off), got {spec['g_ema']!r}")
    for name in ("r1", "r2"):                    # γ of a zero-centred gradient penalty
        if not (isinstance(spec[name], (int, float)) and not isinstance(spec[name], bool)
                and math.isfinite(spec[name]) and spec[name] >= 0):
            raise ValueError(f"train: {name} (the weight γ of the {name.upper()} penalty) must be "
                             f"a finite number ≥ 0 (0 = off), got {spec[name]!r}")
        spec[name] = float(spec[name])
    if not isinstance(spec["seed"], int) or isinstance(spec["seed"], bool):
        raise ValueError(f"train: seed must be an int, got {spec['seed']!r}")
    data = _mixture(spec["data"]) if isinstance(spec["data"], str) else spec["data"]
    if isinstance(data, Mixture):
        spec["data_dim"], spec["data_name"] = data.means.shape[1], data.name
    else:
        if not isinstance(data, torch.Tensor) or data.dim() != 2 or data.shape[0] == 0:
            raise ValueError("train: data must be a mixture name, a Mixture, or an [N, d] tensor")
        if not torch.isfinite(data).all():
            raise ValueError("train: the training data contain NaN or inf")
        spec["data_dim"], spec["data_name"] = data.shape[1], f"tensor{list(data.shape)}"
        spec["dataset"] = data.to(dev, torch.get_default_dtype())
    spec["data"] = data
    return spec


def _draw_chunk(spec: dict, rng: torch.Generator, dev: torch.device) -> dict:
    """``CHUNK`` steps of one member's random draws, from its own generator, in a fixed order:
    real batches ``[C, n_critic, B, d]``, the critic's latents ``[C, n_critic, B, latent]``,
    the generator's latents ``[C, B, latent]``, and (WGAN-GP) ε ``[C, n_critic, B, 1]``."""
    C, k, B = CHUNK, spec["n_critic"], spec["batch_size"]
    if "dataset" in spec:
        i = torch.randint(spec["dataset"].shape[0], (C * k * B,), generator=rng, device=dev)
        x = spec["dataset"][i]
    else:
        x = spec["data"].sample(C * k * B, generator=rng, device=dev)
    draws = dict(x=x.view(C, k, B, -1),
                 z_d=torch.randn(C, k, B, spec["latent_dim"], generator=rng, device=dev),
                 z_g=torch.randn(C, B, spec["latent_dim"], generator=rng, device=dev))
    if spec["objective"].gp_weight:
        draws["eps"] = torch.rand(C, k, B, 1, generator=rng, device=dev)
    return draws


def _objective_key(spec: dict):
    """Members whose objectives are equal (name and parameters) compute their losses together."""
    o = spec["objective"]
    return (o.name, repr(sorted(o.params.items()))) if o.name in _losses.names() else id(o)


def _side_by_side(idx: list[int], specs: list[dict]) -> list[int]:
    """``idx`` reordered so that members with one objective sit side by side (in order of first
    appearance, stable within): each objective's members are then one slice of the stack."""
    first: dict = {}
    for i in idx:
        first.setdefault(_objective_key(specs[i]), len(first))
    return sorted(idx, key=lambda i: first[_objective_key(specs[i])])


def _member_losses(groups: list[tuple[slice, callable]], real_out: Tensor,
                   fake_out: Tensor) -> Tensor:
    """``[E]`` losses: each run of consecutive members with one objective (a slice of the stack)
    through its objective's loss, vmapped."""
    if len(groups) == 1:                                     # one objective for the stack
        return groups[0][1](real_out, fake_out)
    return torch.cat([fn(real_out[sl], fake_out[sl]) for sl, fn in groups])


def _critic_penalty(specs: list[dict], dev: torch.device):
    """The penalties the critic's loss adds, per member: ``penalty(D, x, fake, eps) → [E]``
    (0 for a member without any), or ``None`` when no member has one.

    * WGAN-GP (Gulrajani et al. 2017, eq. 3): ``λ · E_x̂[(‖∇D(x̂)‖ − 1)²]`` on interpolates;
    * R1 (Mescheder et al. 2018, eq. 9):  ``(γ/2) · E_p[‖∇D(x)‖²]`` on the real batch;
    * R2 (Mescheder et al. 2018, eq. 10): ``(γ/2) · E_q[‖∇D(x)‖²]`` on the generated batch.

    Each is computed for the members that have it only (``D(v, idx)`` runs their slice of the
    stack): a member's penalty depends on its own critic and batch, nothing else."""
    E = len(specs)
    terms = []                                   # (which, member indices, their weights)
    for which, weight in (("gp", lambda s: s["objective"].gp_weight or 0.0),
                          ("r1", lambda s: s["r1"] / 2), ("r2", lambda s: s["r2"] / 2)):
        idx = [e for e, s in enumerate(specs) if weight(s)]
        if idx:
            terms.append((which, None if len(idx) == E else torch.tensor(idx, device=dev),
                          torch.tensor(idx, device=dev),
                          torch.tensor([weight(specs[e]) for e in idx], device=dev)))
    if not terms:
        return None

    def penalty(D, x: Tensor, fake: Tensor, eps: Tensor | None) -> Tensor:
        total = torch.zeros(E, device=x.device, dtype=x.dtype)
        for which, sub, idx, w in terms:
            D_sub = lambda v, sub=sub: D(v, sub)                       # noqa: E731
            x_sub, fake_sub = (x, fake) if sub is None else (x[sub], fake[sub])
            if which == "gp":
                value = _losses.stacked_gradient_penalty(D_sub, x_sub, fake_sub, eps)
            else:
                value = _losses.zero_centred_penalty(D_sub, x_sub if which == "r1" else fake_sub)
            total = total.index_add(0, idx, w * value)
        return total
    return penalty


def _member_norms(params: list[Tensor]) -> Tensor:
    """Each member's gradient norm over all its parameters: ``[E]``."""
    return torch.stack([p.grad.flatten(1).norm(dim=1) for p in params]).norm(dim=0)


def _train_stack(specs: list[dict], *, steps, n_eval, dev, eval_every, snapshot_every,
                 checkpoint, checkpoint_every, resume, bar, bar_offset) -> list[Run]:
    s0, E = specs[0], len(specs)
    n_critic, B, latent = s0["n_critic"], s0["batch_size"], s0["latent_dim"]

    # Members built as a single run builds them, then stacked.
    def build(spec: dict):
        return (_models.generator(latent, spec["data_dim"], spec["hidden"], spec["depth"],
                                  nn.Tanh() if spec["tanh_output"] else None),
                _models.discriminator(spec["data_dim"], spec["hidden"], spec["depth"]))

    Gs, Ds = map(list, zip(*[seeded(spec["seed"], lambda: build(spec)) for spec in specs]))
    G, D = _models.StackedMLP(Gs).to(dev), _models.StackedMLP(Ds).to(dev)
    ema = torch.tensor([s["g_ema"] for s in specs], device=dev).view(E, 1, 1)
    G_ema = copy.deepcopy(G).requires_grad_(False) if bool((ema > 0).any()) else None
    rngs = member_rngs([s["seed"] for s in specs], dev)
    opt_d = _optimizer(D.parameters(), specs, "lr_d", dev)
    opt_g = _optimizer(G.parameters(), specs, "lr_g", dev)

    # Members grouped by objective: each run of consecutive members with one objective (train
    # puts them side by side) computes its losses through one vmap, on a slice of the stack.
    groups_d, groups_g = [], []
    for _, run in itertools.groupby(range(E), key=lambda e: _objective_key(specs[e])):
        idx = list(run)
        obj, sl = specs[idx[0]]["objective"], slice(idx[0], idx[-1] + 1)
        groups_d.append((sl, torch.func.vmap(obj.d_loss)))
        groups_g.append((sl, torch.func.vmap(obj.g_loss)))
    clip = [s["objective"].clip for s in specs]
    clip_bound = None if not any(clip) else \
        torch.tensor([c or float("inf") for c in clip], device=dev).view(E, 1, 1)
    gp = [e for e, s in enumerate(specs) if s["objective"].gp_weight]
    penalty = _critic_penalty(specs, dev)

    z_eval = torch.stack([torch.randn(n_eval, latent, generator=r, device=dev) for r in rngs])
    hist = {k: torch.empty(steps, E, device=dev) for k in ("d_loss", "d_grad_norm", "g_loss",
                                                           "g_grad_norm")}
    keys = ["eval_step", "mode_stats", "mode_counts", "snapshot_step", "samples"]
    if G_ema is not None:
        keys += ["ema_mode_stats", "ema_mode_counts", "ema_samples"]
    histories = [{k: [] for k in keys} for _ in specs]
    configs = [dict(objective=s["objective"].name, objective_params=dict(s["objective"].params),
                    data=s["data_name"], steps=steps, batch_size=B, optimizer=s["optimizer"],
                    lr_d=s["lr_d"], lr_g=s["lr_g"],
                    betas=s["betas"], n_critic=n_critic, latent_dim=latent, hidden=s["hidden"],
                    depth=s["depth"], tanh_output=s["tanh_output"], g_ema=s["g_ema"],
                    r1=s["r1"], r2=s["r2"],
                    seed=s["seed"], device=str(dev), n_eval=n_eval, eval_every=eval_every,
                    snapshot_every=snapshot_every, stack_size=E) for s in specs]
    chunk_states = [r.get_state() for r in rngs]     # each generator at the current chunk's start

    def draw() -> dict:
        chunk_states[:] = [r.get_state() for r in rngs]
        per_member = [_draw_chunk(s, r, dev) for s, r in zip(specs, rngs)]
        out = {k: torch.stack([d[k] for d in per_member], dim=-3)
               for k in ("x", "z_d", "z_g")}                            # [C, (k,) E, B, ·]
        if gp:
            out["eps"] = torch.stack([per_member[e]["eps"] for e in gp], dim=-3)
        return out

    start_step, seconds_before = 0, 0.0
    if resume is not None:
        saved = load_checkpoint(resume)
        check_resumable(saved, configs, steps, resume)
        start_step, seconds_before = saved["step"], saved["seconds"]
        for module, name in ((G, "G"), (D, "D"), (opt_g, "opt_g"), (opt_d, "opt_d")):
            module.load_state_dict(saved[name])
        if G_ema is not None:
            G_ema.load_state_dict(saved["G_ema"])
        z_eval = saved["z_eval"].to(dev)
        for k in hist:
            hist[k][:start_step] = saved["history"][k].to(dev)
        for h, old in zip(histories, saved["histories"]):
            for k in keys:
                h[k] = [v.numpy() if isinstance(v, torch.Tensor) else v for v in old[k]]
        for r, state in zip(rngs, saved["rng_chunk"] if start_step % CHUNK else saved["rng"]):
            r.set_state(state)
    buffers = draw() if start_step % CHUNK else None

    eval_seconds = [0.0]

    def evaluate(step: int) -> None:
        t0 = time.perf_counter()
        _evaluate(step)
        eval_seconds[0] += time.perf_counter() - t0

    def _evaluate(step: int) -> None:
        with torch.no_grad():
            x = G(z_eval).float().cpu()
            x_ema = None if G_ema is None else G_ema(z_eval).float().cpu()
        for e, (h, spec) in enumerate(zip(histories, specs)):
            if not torch.isfinite(x[e]).all():
                raise FloatingPointError(f"{spec['label']}: the generator's samples contain NaN "
                                         f"or inf at step {step}")
            with_ema = [("", x)] + ([("ema_", x_ema)] if x_ema is not None else [])
            for prefix, xs in with_ema:
                if step % eval_every == 0 or step == steps:
                    if prefix == "":
                        h["eval_step"].append(step)
                    if isinstance(spec["data"], Mixture):
                        h[prefix + "mode_stats"].append(_metrics.mode_stats(xs[e], spec["data"]))
                        h[prefix + "mode_counts"].append(
                            _metrics.mode_counts(xs[e], spec["data"]).numpy())
                if step % snapshot_every == 0 or step == steps:
                    if prefix == "":
                        h["snapshot_step"].append(step)
                    h[prefix + "samples"].append(xs[e].numpy())

    def check_finite(upto: int) -> None:
        raise_if_not_finite(steps, [hist[k][:upto] for k in ("d_loss", "d_grad_norm", "g_loss",
                                                             "g_grad_norm")],
                            [s["label"] for s in specs])

    def save(step: int) -> None:
        save_checkpoint(checkpoint, {
            "format": CHECKPOINT_FORMAT, "step": step, "configs": configs,
            "seconds": seconds_before + time.perf_counter() - start,
            "G": G.state_dict(), "D": D.state_dict(),
            "G_ema": G_ema.state_dict() if G_ema is not None else {},
            "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
            "rng": [r.get_state() for r in rngs], "rng_chunk": list(chunk_states),
            "z_eval": z_eval.cpu(),
            "history": {k: v[:step].cpu() for k, v in hist.items()},
            "histories": [{k: [torch.from_numpy(v) if not isinstance(v, (int, dict)) else v
                               for v in h[k]] for k in keys} for h in histories]})

    g_params, d_params = list(G.parameters()), list(D.parameters())
    start = time.perf_counter()
    if start_step == 0:
        evaluate(0)
    for step in range(start_step + 1, steps + 1):
        c = (step - 1) % CHUNK
        if c == 0:
            buffers = draw()
        for k in range(n_critic):
            x = buffers["x"][c, k]                                   # [E, B, d]
            with torch.no_grad():
                fake = G(buffers["z_d"][c, k])
            real_out, fake_out = D(x)[..., 0], D(fake)[..., 0]
            d_losses = _member_losses(groups_d, real_out, fake_out)
            if penalty is not None:               # WGAN-GP's, R1's, R2's: [E], 0 where off
                d_losses = d_losses + penalty(D, x, fake, buffers["eps"][c, k] if gp else None)
            opt_d.zero_grad(set_to_none=True)
            d_losses.sum().backward()
            d_losses = d_losses.detach()
            d_grad_norm = _member_norms(d_params)
            opt_d.step()
            if clip_bound is not None:                               # WGAN: clip to [-c, c]
                with torch.no_grad():
                    for p in d_params:
                        p.clamp_(-clip_bound, clip_bound)
        # The generator's loss sees D(real) from the critic step just taken
        # (only Softmax GAN's partition function uses it), as in Lin's code.
        g_losses = _member_losses(groups_g, real_out.detach(),
                                  D(G(buffers["z_g"][c]))[..., 0])
        opt_g.zero_grad(set_to_none=True)
        g_losses.sum().backward(inputs=g_params)
        hist["g_grad_norm"][step - 1] = _member_norms(g_params)
        opt_g.step()
        if G_ema is not None:                     # G_ema ← β·G_ema + (1 - β)·G, per member
            with torch.no_grad():
                for p_ema, p in zip(G_ema.parameters(), g_params):
                    p_ema.lerp_(p, 1 - ema)
        hist["d_loss"][step - 1] = d_losses.detach()
        hist["g_loss"][step - 1] = g_losses.detach()
        hist["d_grad_norm"][step - 1] = d_grad_norm
        evaluating = step % eval_every == 0 or step % snapshot_every == 0 or step == steps
        saving = checkpoint is not None and (step % checkpoint_every == 0 or step == steps)
        if evaluating or saving or step % 250 == 0:
            check_finite(step)
            bar.update(bar_offset + step - bar.n)
        if evaluating:
            evaluate(step)
        if saving:
            save(step)
    seconds = seconds_before + time.perf_counter() - start

    runs = []
    for e, (spec, h) in enumerate(zip(specs, histories)):
        for k, v in hist.items():
            h[k] = v[:, e].cpu().numpy()
        if G_ema is not None and spec["g_ema"] == 0:
            for k in ("ema_mode_stats", "ema_mode_counts", "ema_samples"):
                del h[k]
        runs.append(Run(G=G.member(e, Gs[e]), D=D.member(e, Ds[e]), objective=spec["objective"],
                        data=spec["data"], config=configs[e], history=h, seconds=seconds,
                        G_ema=G_ema.member(e, Gs[e]) if spec["g_ema"] else None,
                        eval_seconds=eval_seconds[0]))
    return runs
