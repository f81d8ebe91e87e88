"""The one GAN training loop: ``train(objective, data, ...)``, for one run or many at once.

Each step is ``n_critic`` discriminator updates followed by one generator update
(Goodfellow et al. 2014, Algorithm 1), with Adam (default) or RMSProp for both players.  The
objective decides the losses (``ganlib.losses``); the loop adds what an objective asks for:
weight clipping after each critic step (WGAN), the gradient penalty in the critic loss
(WGAN-GP), and, for any objective, the zero-centred penalties R1 and R2 (``r1=γ``, ``r2=γ``;
Mescheder et al. 2018) that make gradient play converge (the training-dynamics chapters).
``Stack.step`` is one training step; ``_train_stack`` is the loop around it.

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
  stacked tensors is E Adams (``ganlib.optim``).  Nothing mixes members: no norm over all
  parameters, no shared statistics.

**Stacks.**  Members may differ in objective, objective parameters, seed, data, clipping,
penalty, ``g_ema``, ``lr_d``, ``lr_g`` and Adam's ``betas``: those share a stack.  Members
that differ in what a stacked computation needs to be the same — the networks, the schedule or
the optimiser's kind (``STACK_FIELDS``) or the data's dimension — go to separate
stacks, and a group of more than ``max_stack`` members is cut into the fewest stacks of at
most ``max_stack`` (beyond a few dozen members a stack's tensors outgrow the cache and each
member-step gets slower: see the How-fast chapter).  Stacks train one after another under one
progress bar.

A loss or a gradient that turns NaN or ±inf stops training with ``FloatingPointError``
naming the member, the step and the loss: no garbage reaches a history or a figure.

A stack can be saved and resumed: ``checkpoint=path`` writes the networks, both optimiser
states, the random generators and the histories every ``checkpoint_every`` steps;
``resume=path`` continues from such a file and gives the runs an uninterrupted call would
have given, bit for bit (``ganlib.checkpoints``).
"""

from __future__ import annotations

import copy
import itertools
import os
import time
from dataclasses import asdict, dataclass

import torch
from torch import nn

from . import checkpoints
from . import losses as _losses
from . import metrics as _metrics
from . import models as _models
from . import optim
from .data import Mixture, mixture as _mixture
from .record import Run, record_step
from .runtime import member_rngs, pick_device, progress_bar, raise_if_not_finite, seeded
from .settings import N_EVAL, STEPS, Settings, check_positive_int, check_seeds

__all__ = ["train", "critic_step", "CHUNK", "MAX_STACK"]

Tensor = torch.Tensor

CHUNK = 32          # steps of random draws made at once by each member's generator
MAX_STACK = 32      # members per stack, at most (see train's max_stack)
CHECK_EVERY = 250   # steps between NaN checks and progress-bar updates, when nothing else is due
# Members equal in these settings share a stack: the networks, the schedule, the optimiser's kind.
STACK_FIELDS = ("latent_dim", "hidden", "depth", "tanh_output", "n_critic", "batch_size",
                "optimizer")


def train(
    objective: str | _losses.Objective = "nonsaturating",
    data: str | Mixture | Tensor = "ring8",
    *,
    seed: int = 0,
    seeds: list[int] | None = None,
    members: list[dict] | None = None,
    steps: int = STEPS,
    n_eval: int = N_EVAL,
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
        objective: a name from ``ganlib.losses.names()`` (its parameters go beside the
            settings and reach ``losses.get``, e.g. ``divergence="kl"``), or an ``Objective``.
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
        settings: the fields of ``ganlib.settings.Settings`` (``batch_size``, ``optimizer``,
            ``lr_d``, ``lr_g``, ``betas``, ``n_critic``, ``latent_dim``, ``hidden``, ``depth``,
            ``tanh_output``, ``g_ema``, ``r1``, ``r2``), and the objective's parameters.  A name
            that is neither raises ``ValueError`` listing both.
    """
    single = members is None and seeds is None
    if members is not None and seeds is not None:
        raise ValueError("train: give seeds or members, not both (a member names its own seed)")
    if seeds is not None:
        members = [dict(seed=s) for s in check_seeds(seed, seeds, "train")]
    elif members is None:
        members = [{}]
    if not isinstance(members, (list, tuple)) or not members or \
            not all(isinstance(m, dict) for m in members):
        raise ValueError("train: members must be a non-empty list of dicts")
    for name, value in (("steps", steps), ("n_eval", n_eval), ("max_stack", max_stack)):
        check_positive_int(name, value, "train")
    eval_every = eval_every or max(1, steps // 20)
    schedule = Schedule(steps, eval_every, snapshot_every or eval_every,
                        checkpoint_every or eval_every)
    for name in ("eval_every", "snapshot_every", "checkpoint_every"):
        check_positive_int(name, getattr(schedule, name), "train")
    dev = pick_device(device)
    calls = [{**dict(objective=objective, data=data, seed=seed), **settings, **m} for m in members]
    built = [_member(m, dev, index=i if len(calls) > 1 else None) for i, m in enumerate(calls)]
    stacks = _stacks(built, max_stack)
    if (checkpoint is not None or resume is not None) and len(stacks) > 1:
        raise ValueError(f"train: checkpoint and resume need members that share one stack; these "
                         f"form {len(stacks)} (they differ in some of {', '.join(STACK_FIELDS)}, "
                         f"or they are more than max_stack = {max_stack})")

    names = sorted({m.objective.name for m in built})
    bar = progress_bar(steps * len(stacks), (f"{len(built)} × " if len(built) > 1 else "") +
                       "/".join(names), progress)
    runs: list[Run | None] = [None] * len(built)
    for k, idx in enumerate(stacks):
        stack = Stack([built[i] for i in idx], dev, schedule, n_eval)
        for i, run in zip(idx, _train_stack(stack, checkpoint, resume, bar, bar_offset=k * steps)):
            runs[i] = run
    bar.close()
    return runs[0] if single else runs


def _train_stack(stack: Stack, checkpoint, resume, bar, bar_offset: int) -> list[Run]:
    """The training loop of one stack: steps, evaluations, NaN checks and checkpoints."""
    schedule, start = stack.schedule, 0
    if resume is not None:
        saved = checkpoints.load(resume)
        checkpoints.check_resumable(saved, stack.configs, schedule.steps, resume)
        start = stack.load_state_dict(saved)
    if start == 0:
        stack.evaluate(0)
    for t in range(start + 1, schedule.steps + 1):
        stack.step(t)
        evaluating = schedule.scores(t) or schedule.keeps(t)
        saving = checkpoint is not None and schedule.saves(t)
        if evaluating or saving or t % CHECK_EVERY == 0:
            stack.check_finite(t)
            bar.update(bar_offset + t - bar.n)
        if evaluating:
            stack.evaluate(t)
        if saving:
            checkpoints.save(checkpoint, stack.state_dict(t))
    return stack.runs()


def critic_step(D: nn.Module, opt: torch.optim.Optimizer, objective: _losses.Objective,
                real: Tensor, fake: Tensor, generator: torch.Generator | None = None,
                r1: float = 0.0, r2: float = 0.0) -> Tensor:
    """One discriminator (critic) update of a single network, as ``train`` makes it for each
    member of a stack: the objective's D loss on ``D(real)``, ``D(fake)``, plus ``gp_weight ·
    gradient_penalty`` for WGAN-GP (ε drawn from ``generator``) and (γ/2)·E‖∇ₓD‖² on ``real``
    (``r1=γ``) or ``fake`` (``r2=γ``); one optimiser step; then, for WGAN, every weight clipped
    to [−clip, clip].  Returns the loss (detached).  For chapters that train a critic alone."""
    loss = objective.d_loss(D(real), D(fake.detach()))
    if objective.gp_weight:
        loss = loss + objective.gp_weight * _losses.gradient_penalty(D, real, fake,
                                                                     generator=generator)
    if r1:
        loss = loss + r1 / 2 * _losses.zero_centred_penalty(D, real)
    if r2:
        loss = loss + r2 / 2 * _losses.zero_centred_penalty(D, fake)
    optim.update(opt, loss)
    if objective.clip:
        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-objective.clip, objective.clip)
    return loss.detach()


# --------------------------------------------------------------------------
# Members and stacks
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Schedule:
    """When a stack trains, evaluates, keeps samples and saves (in generator steps); the last
    step does all three."""
    steps: int
    eval_every: int
    snapshot_every: int
    checkpoint_every: int

    def scores(self, t: int) -> bool:
        return t % self.eval_every == 0 or t == self.steps

    def keeps(self, t: int) -> bool:
        return t % self.snapshot_every == 0 or t == self.steps

    def saves(self, t: int) -> bool:
        return t % self.checkpoint_every == 0 or t == self.steps


@dataclass(frozen=True)
class Member:
    """One run of a call: its objective, data, seed and settings, checked."""
    objective: _losses.Objective
    data: Mixture | Tensor          # as given (a Mixture, or the [N, d] training set)
    dataset: Tensor | None          # a tensor's copy on the device and in the default dtype
    data_name: str
    data_dim: int
    seed: int
    settings: Settings
    label: str                      # how an error message names it


def _member(call: dict, dev: torch.device, index: int | None) -> Member:
    """A member from its call's keywords: ``objective``, ``data``, ``seed``, the fields of
    ``Settings``, and the objective's parameters (everything else)."""
    call = dict(call)
    objective, data, seed = call.pop("objective"), call.pop("data"), call.pop("seed")
    given = {k: call.pop(k) for k in list(call) if k in Settings.names()}
    if isinstance(objective, _losses.Objective):     # its parameters were given to losses.get
        obj, accepted, whose = objective, [], "an Objective takes its parameters in losses.get"
    else:                                            # raises for an unknown objective
        accepted = _losses.parameters(objective)
        whose = f"{objective}'s parameters: {', '.join(accepted) or 'none'}"
    unknown = sorted(set(call) - set(accepted))
    if unknown:
        raise ValueError(f"train: unknown setting(s) {', '.join(unknown)}; the settings of a run "
                         f"are {', '.join(Settings.names())} ({whose}; steps, n_eval, eval_every, "
                         "device, … are train's keywords for the whole call)")
    if not isinstance(objective, _losses.Objective):
        obj = _losses.get(objective, **call)
    try:
        settings = Settings(**given)
    except ValueError as err:
        raise ValueError(f"train: {err}") from None
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"train: seed must be an int, got {seed!r}")
    data, dataset, data_name, data_dim = _data(data, dev)
    label = obj.name if index is None else f"{obj.name}: member {index} (seed {seed})"
    return Member(obj, data, dataset, data_name, data_dim, seed, settings, label)


def _data(data, dev: torch.device):
    """A member's data, checked: ``(data, dataset, name, dimension)``; ``dataset`` is a
    tensor's copy on the device in the default dtype (``None`` for a mixture)."""
    data = _mixture(data) if isinstance(data, str) else data
    if isinstance(data, Mixture):
        return data, None, data.name, data.means.shape[1]
    if not isinstance(data, torch.Tensor) or data.dim() != 2 or data.shape[0] == 0:
        raise ValueError("train: data must be a mixture name, a Mixture, or an [N, d] tensor")
    if not torch.isfinite(data).all():
        raise ValueError("train: the training data contain NaN or inf")
    return data, data.to(dev, torch.get_default_dtype()), f"tensor{list(data.shape)}", data.shape[1]


def _objective_key(member: Member):
    """Members whose objectives are equal (name and parameters) compute their losses together."""
    o = member.objective
    return (o.name, repr(sorted(o.params.items()))) if o.name in _losses.names() else id(o)


def _stacks(members: list[Member], max_stack: int) -> list[list[int]]:
    """The members' indices, cut into stacks: one group per distinct ``STACK_FIELDS`` and data
    dimension, each group in the fewest stacks of at most ``max_stack``; within a stack,
    members with one objective sit side by side (in order of first appearance), so each
    objective's members are one slice of the stack."""
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(members):
        key = tuple(getattr(m.settings, k) for k in STACK_FIELDS) + (m.data_dim,)
        groups.setdefault(key, []).append(i)
    stacks = []
    for idx in groups.values():
        first: dict = {}
        for i in idx:
            first.setdefault(_objective_key(members[i]), len(first))
        idx = sorted(idx, key=lambda i: first[_objective_key(members[i])])
        n = -(-len(idx) // max_stack)                 # the fewest stacks of ≤ max_stack members
        stacks += [idx[j * len(idx) // n:(j + 1) * len(idx) // n] for j in range(n)]
    return stacks


def _draw_chunk(member: Member, rng: torch.Generator, dev: torch.device) -> dict:
    """``CHUNK`` steps of one member's random draws, from its own generator, in a fixed order:
    real batches ``[C, n_critic, B, d]``, the critic's latents ``[C, n_critic, B, latent]``,
    the generator's latents ``[C, B, latent]``, and (WGAN-GP) ε ``[C, n_critic, B, 1]``."""
    s = member.settings
    C, k, B = CHUNK, s.n_critic, s.batch_size
    if member.dataset is not None:
        i = torch.randint(member.dataset.shape[0], (C * k * B,), generator=rng, device=dev)
        x = member.dataset[i]
    else:
        x = member.data.sample(C * k * B, generator=rng, device=dev)
    draws = dict(x=x.view(C, k, B, -1),
                 z_d=torch.randn(C, k, B, s.latent_dim, generator=rng, device=dev),
                 z_g=torch.randn(C, B, s.latent_dim, generator=rng, device=dev))
    if member.objective.gp_weight:
        draws["eps"] = torch.rand(C, k, B, 1, generator=rng, device=dev)
    return draws


def _member_losses(groups: list[tuple[slice, callable]], real_out: Tensor,
                   fake_out: Tensor) -> Tensor:
    """``[E]`` losses: each run of consecutive members with one objective (a slice of the stack)
    through its objective's loss, vmapped."""
    if len(groups) == 1:                                     # one objective for the stack
        return groups[0][1](real_out, fake_out)
    return torch.cat([fn(real_out[sl], fake_out[sl]) for sl, fn in groups])


def _critic_penalty(members: list[Member], dev: torch.device):
    """The penalties the critic's loss adds, per member: ``penalty(D, x, fake, eps) → [E]``
    (0 for a member without any), or ``None`` when no member has one.

    * WGAN-GP (Gulrajani et al. 2017, eq. 3): ``λ · E_x̂[(‖∇D(x̂)‖ − 1)²]`` on interpolates;
    * R1 (Mescheder et al. 2018, eq. 9):  ``(γ/2) · E_p[‖∇D(x)‖²]`` on the real batch;
    * R2 (Mescheder et al. 2018, eq. 10): ``(γ/2) · E_q[‖∇D(x)‖²]`` on the generated batch.

    Each is computed for the members that have it only (``D(v, idx)`` runs their slice of the
    stack): a member's penalty depends on its own critic and batch, nothing else."""
    E = len(members)
    terms = []                                   # (which, member subset, its indices, weights)
    for which, weight in (("gp", lambda m: m.objective.gp_weight or 0.0),
                          ("r1", lambda m: m.settings.r1 / 2), ("r2", lambda m: m.settings.r2 / 2)):
        idx = [e for e, m in enumerate(members) if weight(m)]
        if idx:
            terms.append((which, None if len(idx) == E else torch.tensor(idx, device=dev),
                          torch.tensor(idx, device=dev),
                          torch.tensor([weight(members[e]) for e in idx], device=dev)))
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


class Stack:
    """E members trained as one: their stacked networks and optimisers, random draws, and
    records.  ``step(t)`` is one training step of every member."""

    def __init__(self, members: list[Member], dev: torch.device, schedule: Schedule,
                 n_eval: int):
        self.members, self.dev, self.schedule, self.n_eval = members, dev, schedule, n_eval
        s, E = members[0].settings, len(members)         # the stack's shared settings
        self.n_critic = s.n_critic

        # Members built as a single run builds them, then stacked.
        def build(m: Member):
            return (_models.generator(s.latent_dim, m.data_dim, s.hidden, s.depth,
                                      nn.Tanh() if s.tanh_output else None),
                    _models.discriminator(m.data_dim, s.hidden, s.depth))

        self.Gs, self.Ds = map(list, zip(*[seeded(m.seed, lambda: build(m)) for m in members]))
        self.G = _models.StackedMLP(self.Gs).to(dev)
        self.D = _models.StackedMLP(self.Ds).to(dev)
        self.ema = torch.tensor([m.settings.g_ema for m in members], device=dev).view(E, 1, 1)
        self.G_ema = copy.deepcopy(self.G).requires_grad_(False) if bool((self.ema > 0).any()) \
            else None
        self.g_params, self.d_params = list(self.G.parameters()), list(self.D.parameters())
        self.rngs = member_rngs([m.seed for m in members], dev)
        opt = {player: optim.make(s.optimizer, params,
                                  [getattr(m.settings, "lr_" + player) for m in members],
                                  [m.settings.betas for m in members], dev)
               for player, params in (("d", self.d_params), ("g", self.g_params))}
        self.opt_d, self.opt_g = opt["d"], opt["g"]

        # Each run of consecutive members with one objective (``_stacks`` puts them side by
        # side) computes its losses through one vmap, on a slice of the stack.
        self.d_losses, self.g_losses = [], []
        for _, run in itertools.groupby(range(E), key=lambda e: _objective_key(members[e])):
            idx = list(run)
            obj, sl = members[idx[0]].objective, slice(idx[0], idx[-1] + 1)
            self.d_losses.append((sl, torch.func.vmap(obj.d_loss)))
            self.g_losses.append((sl, torch.func.vmap(obj.g_loss)))
        clips = [m.objective.clip for m in members]
        self.clip = None if not any(clips) else \
            torch.tensor([c or float("inf") for c in clips], device=dev).view(E, 1, 1)
        self.gp_members = [e for e, m in enumerate(members) if m.objective.gp_weight]
        self.penalty = _critic_penalty(members, dev)

        # What is recorded: every step's losses and gradient norms, and the evaluations.
        self.z_eval = torch.stack([torch.randn(n_eval, s.latent_dim, generator=r, device=dev)
                                   for r in self.rngs])
        self.per_step = {k: torch.empty(schedule.steps, E, device=dev)
                         for k in ("d_loss", "d_grad_norm", "g_loss", "g_grad_norm")}
        self.eval_keys = ["eval_step", "mode_stats", "mode_counts", "snapshot_step", "samples"]
        if self.G_ema is not None:
            self.eval_keys += ["ema_mode_stats", "ema_mode_counts", "ema_samples"]
        self.evals = [{k: [] for k in self.eval_keys} for _ in members]
        self.configs = [dict(objective=m.objective.name, objective_params=dict(m.objective.params),
                             data=m.data_name, steps=schedule.steps, **asdict(m.settings),
                             seed=m.seed, device=str(dev), n_eval=n_eval,
                             eval_every=schedule.eval_every,
                             snapshot_every=schedule.snapshot_every, stack_size=E)
                        for m in members]
        self.chunk_states = [r.get_state() for r in self.rngs]   # each RNG at its chunk's start
        self.draws: dict | None = None
        self.seconds_before, self.eval_seconds, self.started = 0.0, 0.0, time.perf_counter()

    # ---- one training step --------------------------------------------------------------

    def step(self, t: int) -> None:
        """Training step ``t`` (from 1) of every member: Goodfellow et al. (2014),
        Algorithm 1 — ``n_critic`` critic updates ("for k steps do"), then one
        generator update."""
        c = (t - 1) % CHUNK                # this step's slot in the drawn chunk
        if c == 0:                         # data and noise for the next CHUNK steps
            self.draws = self.draw()
        draws = self.draws
        for k in range(self.n_critic):
            with torch.no_grad():
                fake = self.G(draws["z_d"][c, k])
            x = draws["x"][c, k]
            eps = draws["eps"][c, k] if "eps" in draws else None   # WGAN-GP's ε
            real_out, d_loss, d_norm = self.critic_update(x, fake, eps)
        # the last critic update's D(x) feeds the generator's loss; the last
        # critic update's loss and gradient norm are the ones recorded
        g_loss, g_norm = self.generator_update(draws["z_g"][c], real_out)
        if self.G_ema is not None:         # G_ema ← β·G_ema + (1 − β)·G, per member
            with torch.no_grad():
                for p_ema, p in zip(self.G_ema.parameters(), self.g_params):
                    p_ema.lerp_(p, 1 - self.ema)
        record_step(self.per_step, t, dict(d_loss=d_loss, d_grad_norm=d_norm,
                                           g_loss=g_loss, g_grad_norm=g_norm))

    def critic_update(self, x: Tensor, fake: Tensor, eps: Tensor | None):
        """One critic update of every member on its real batch ``x`` and generated
        batch ``fake`` ``[E, B, d]``: returns D(x) ``[E, B]``, the losses and the
        gradient norms ``[E]``."""
        real_out, fake_out = self.D(x)[..., 0], self.D(fake)[..., 0]
        loss = _member_losses(self.d_losses, real_out, fake_out)     # L_D
        if self.penalty is not None:
            # + λ·E[(‖∇D(x̂)‖ − 1)²] (WGAN-GP, Gulrajani et al. 2017, eq. 3)
            # or + (γ/2)·E[‖∇D(x)‖²] on x or on G(z)
            # (R1, R2: Mescheder et al. 2018, eqs. 9–10)
            loss = loss + self.penalty(self.D, x, fake, eps)
        optim.update(self.opt_d, loss.sum(), self.d_params)
        if self.clip is not None:          # WGAN (Arjovsky et al. 2017),
            with torch.no_grad():          # Algorithm 1, line 7: w ← clip(w, −c, c)
                for p in self.d_params:
                    p.clamp_(-self.clip, self.clip)
        d_norm = optim.member_grad_norms(self.d_params)
        return real_out.detach(), loss.detach(), d_norm

    def generator_update(self, z: Tensor, real_out: Tensor):
        """One generator update of every member on latents ``z`` ``[E, B, latent]``;
        ``real_out`` is D(x) of the last critic update (only Softmax GAN's partition
        function uses it, as in Lin's code).  Returns the losses and the gradient
        norms ``[E]``."""
        fake_out = self.D(self.G(z))[..., 0]
        loss = _member_losses(self.g_losses, real_out, fake_out)     # L_G
        optim.update(self.opt_g, loss.sum(), self.g_params)
        return loss.detach(), optim.member_grad_norms(self.g_params)

    def draw(self) -> dict:
        """The next ``CHUNK`` steps of every member's random draws, stacked ``[C, (k,) E, B, ·]``."""
        self.chunk_states = [r.get_state() for r in self.rngs]
        each = [_draw_chunk(m, r, self.dev) for m, r in zip(self.members, self.rngs)]
        out = {k: torch.stack([d[k] for d in each], dim=-3) for k in ("x", "z_d", "z_g")}
        if self.gp_members:
            out["eps"] = torch.stack([each[e]["eps"] for e in self.gp_members], dim=-3)
        return out

    # ---- records, evaluation, checkpoints -----------------------------------------------

    def check_finite(self, upto: int) -> None:
        """Stop with ``FloatingPointError`` if a recorded loss or gradient norm is not finite."""
        h = {k: v[:upto] for k, v in self.per_step.items()}
        raise_if_not_finite(self.schedule.steps, {
            "d_loss": h["d_loss"], "the gradient of d_loss": h["d_grad_norm"],
            "g_loss": h["g_loss"], "the gradient of g_loss": h["g_grad_norm"]},
            [m.label for m in self.members])

    def evaluate(self, t: int) -> None:
        """Score (every ``eval_every`` steps) and keep samples of (every ``snapshot_every``)
        each member's G, and G_ema, on the fixed latents ``z_eval``."""
        t0 = time.perf_counter()
        scoring, keeping = self.schedule.scores(t), self.schedule.keeps(t)
        with torch.no_grad():
            generated = [("", self.G(self.z_eval).float().cpu())]
            if self.G_ema is not None:
                generated.append(("ema_", self.G_ema(self.z_eval).float().cpu()))
        for e, (h, m) in enumerate(zip(self.evals, self.members)):
            if not torch.isfinite(generated[0][1][e]).all():
                raise FloatingPointError(f"{m.label}: the generator's samples contain NaN "
                                         f"or inf at step {t}")
            h["eval_step"] += [t] if scoring else []
            h["snapshot_step"] += [t] if keeping else []
            for prefix, x in generated:
                if scoring and isinstance(m.data, Mixture):
                    h[prefix + "mode_stats"].append(_metrics.mode_stats(x[e], m.data))
                    h[prefix + "mode_counts"].append(_metrics.mode_counts(x[e], m.data).numpy())
                if keeping:
                    h[prefix + "samples"].append(x[e].numpy())
        self.eval_seconds += time.perf_counter() - t0

    def seconds(self) -> float:
        return self.seconds_before + time.perf_counter() - self.started

    def state_dict(self, t: int) -> dict:
        """Everything a resumed call needs to continue from step ``t`` bit for bit."""
        return {
            "format": checkpoints.FORMAT, "step": t, "configs": self.configs,
            "seconds": self.seconds(),
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "G_ema": self.G_ema.state_dict() if self.G_ema is not None else {},
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "rng": [r.get_state() for r in self.rngs], "rng_chunk": list(self.chunk_states),
            "z_eval": self.z_eval.cpu(),
            "per_step": {k: v[:t].cpu() for k, v in self.per_step.items()},
            "evals": [{k: [torch.from_numpy(v) if not isinstance(v, (int, dict)) else v
                           for v in h[k]] for k in self.eval_keys} for h in self.evals]}

    def load_state_dict(self, saved: dict) -> int:
        """Continue from a checkpoint of this stack (checked by ``checkpoints.check_resumable``);
        returns its step."""
        t = saved["step"]
        self.seconds_before = saved["seconds"]
        for module, name in ((self.G, "G"), (self.D, "D"), (self.opt_g, "opt_g"),
                             (self.opt_d, "opt_d")):
            module.load_state_dict(saved[name])
        if self.G_ema is not None:
            self.G_ema.load_state_dict(saved["G_ema"])
        self.z_eval = saved["z_eval"].to(self.dev)
        for k in self.per_step:
            self.per_step[k][:t] = saved["per_step"][k].to(self.dev)
        for h, old in zip(self.evals, saved["evals"]):
            for k in self.eval_keys:
                h[k] = [v.numpy() if isinstance(v, torch.Tensor) else v for v in old[k]]
        for r, state in zip(self.rngs, saved["rng_chunk"] if t % CHUNK else saved["rng"]):
            r.set_state(state)
        if t % CHUNK:                            # the chunk under way, drawn again
            self.draws = self.draw()
        return t

    def runs(self) -> list[Run]:
        """Each member's ``Run``: its own networks (unstacked) and history."""
        seconds, out = self.seconds(), []
        for e, (m, h) in enumerate(zip(self.members, self.evals)):
            h.update({k: v[:, e].cpu().numpy() for k, v in self.per_step.items()})
            if self.G_ema is not None and m.settings.g_ema == 0:
                for k in ("ema_mode_stats", "ema_mode_counts", "ema_samples"):
                    del h[k]
            out.append(Run(G=self.G.member(e, self.Gs[e]), D=self.D.member(e, self.Ds[e]),
                           objective=m.objective, data=m.data, config=self.configs[e],
                           history=h, seconds=seconds,
                           G_ema=self.G_ema.member(e, self.Gs[e]) if m.settings.g_ema else None,
                           eval_seconds=self.eval_seconds))
        return out
