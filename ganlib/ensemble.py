"""Train E independent GANs at once: the same networks, stacked into batched matmuls.

A member-step of the book's toy GAN is ~100 MFLOP spread over small matrices
(batch 256, width 128), too small to keep two CPU cores — let alone a GPU — busy,
so a single run is bound by Python and kernel-launch overhead.  Stacking the
weights of E members as ``W[e]`` of shape ``[E, n_in, n_out]`` turns every layer
of every member into one ``torch.baddbmm``; E runs then cost little more than one.

The ensemble is *mathematically identical* to E separate calls of
``ganlib.train.train`` with the members' seeds:

* member e's initial weights are built exactly as ``train`` builds them (the same
  modules under ``torch.manual_seed(seed_e)``) and then stacked;
* member e draws its real batches, latent vectors and gradient-penalty ε from its
  own ``torch.Generator`` seeded with ``seed_e``, in the order ``train`` does;
* each member's loss is computed on its own batch (``torch.func.vmap`` over the
  objective) and the E losses are *summed*, so the gradient of member e's
  weights is exactly the gradient of its own loss; Adam is elementwise, so one
  Adam over the stacked tensors is E Adams.  Nothing mixes members: no norm over
  all parameters, no shared statistics.

``tests/test_ensemble.py`` trains member e in the ensemble and alone and
compares their parameters after a few hundred steps.
"""

from __future__ import annotations

import copy
import time

import torch
from torch import nn

from . import losses as _losses
from . import metrics as _metrics
from . import models as _models
from .data import Mixture
from .data import mixture as _mixture
from .train import Run, check_settings, pick_device, raise_if_not_finite

Tensor = torch.Tensor


class StackedMLP(nn.Module):
    """E MLPs with one architecture: ``x [E, B, n_in] -> [E, B, n_out]``.

    Layer l holds ``weight [E, n_in, n_out]`` and ``bias [E, 1, n_out]``; the
    forward pass is ``baddbmm(bias, x, weight)`` followed by ReLU (none after
    the last layer), then the optional output activation.
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

    def forward(self, x: Tensor) -> Tensor:
        n = len(self.weights)
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
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


def _stacked_gradient_penalty(D: StackedMLP, real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    """Per-member WGAN-GP penalties ``[E]`` (``losses.gradient_penalty`` for each member)."""
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=2) - 1.0) ** 2).mean(dim=1)


def train_ensemble(
    objective: str | _losses.Objective = "nonsaturating",
    data: str | Mixture = "ring8",
    *,
    seeds: list[int],
    steps: int = 5000,
    batch_size: int = 256,
    lr_d: float = 1e-4,
    lr_g: float = 1e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    n_critic: int = 1,
    latent_dim: int = 2,
    hidden: int = 128,
    depth: int = 2,
    device: str | torch.device | None = None,
    eval_every: int | None = None,
    snapshot_every: int | None = None,
    n_eval: int = 2500,
    progress: bool = True,
    **objective_params,
) -> list[Run]:
    """Train one GAN per seed in ``seeds``, all at once; returns one ``Run`` per seed.

    Member e equals ``train.train(objective, data, seed=seeds[e], ...)`` with the
    same arguments (to float rounding: a batched matmul sums in another order).
    The arguments mean what they mean for ``train``; data must be a mixture.
    """
    obj = objective if isinstance(objective, _losses.Objective) else \
        _losses.get(objective, **objective_params)
    if not isinstance(seeds, (list, tuple)) or not seeds or \
            not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ValueError(f"train_ensemble: seeds must be a non-empty list of ints, got {seeds!r}")
    _steps = steps if isinstance(steps, int) and steps > 0 else 20
    eval_every = eval_every or max(1, _steps // 20)
    snapshot_every = snapshot_every or eval_every
    check_settings(steps=steps, batch_size=batch_size, n_critic=n_critic, latent_dim=latent_dim,
                   hidden=hidden, depth=depth, n_eval=n_eval, eval_every=eval_every,
                   snapshot_every=snapshot_every, lr_d=lr_d, lr_g=lr_g)
    dev = pick_device(device)
    mix = _mixture(data) if isinstance(data, str) else data
    if not isinstance(mix, Mixture):
        raise ValueError("train_ensemble: data must be a mixture name or a Mixture")
    data_dim, E = mix.means.shape[1], len(seeds)

    # Members built exactly as train() builds them, then stacked.
    Gs, Ds = [], []
    for seed in seeds:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            Gs.append(_models.generator(latent_dim, data_dim, hidden, depth))
            Ds.append(_models.discriminator(data_dim, hidden, depth))
    G, D = StackedMLP(Gs).to(dev), StackedMLP(Ds).to(dev)
    rngs = [torch.Generator(device=dev).manual_seed(seed) for seed in seeds]
    # fused=True: one kernel per optimiser step for all stacked tensors (the same update as
    # the default Adam, to rounding); about 10-15 % faster at E = 16 on two CPU cores.
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas, fused=True)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=betas, fused=True)
    d_loss_fn = torch.func.vmap(obj.d_loss)            # [E, B] outputs -> [E] losses
    g_loss_fn = torch.func.vmap(obj.g_loss)

    def draw(fn) -> Tensor:
        return torch.stack([fn(r) for r in rngs])

    z_eval = draw(lambda r: torch.randn(n_eval, latent_dim, generator=r, device=dev))
    d_hist = torch.empty(steps, E, device=dev)
    g_hist = torch.empty(steps, E, device=dev)
    d_norm = torch.empty(steps, E, device=dev)
    g_norm = torch.empty(steps, E, device=dev)

    def member_norms(params: list[Tensor]) -> Tensor:
        """Each member's gradient norm over all its parameters: ``[E]``."""
        return torch.stack([p.grad.flatten(1).norm(dim=1) for p in params]).norm(dim=0)

    histories = [{"eval_step": [], "mode_stats": [], "mode_counts": [], "snapshot_step": [],
                  "samples": []} for _ in seeds]

    eval_seconds = [0.0]

    def evaluate(step: int) -> None:
        t0 = time.perf_counter()
        _evaluate(step)
        eval_seconds[0] += time.perf_counter() - t0

    def _evaluate(step: int) -> None:
        with torch.no_grad():
            x = G(z_eval).float().cpu()
        for e, h in enumerate(histories):
            if not torch.isfinite(x[e]).all():
                raise FloatingPointError(f"member {e} (seed {seeds[e]}), step {step}: "
                                         "the generator's samples contain NaN or inf")
            if step % eval_every == 0 or step == steps:
                h["eval_step"].append(step)
                h["mode_stats"].append(_metrics.mode_stats(x[e], mix))
                h["mode_counts"].append(_metrics.mode_counts(x[e], mix).numpy())
            if step % snapshot_every == 0 or step == steps:
                h["snapshot_step"].append(step)
                h["samples"].append(x[e].numpy())

    def check_finite(upto: int) -> None:
        raise_if_not_finite(obj.name, steps, [h[:upto] for h in (d_hist, d_norm, g_hist, g_norm)],
                            seeds=list(seeds))

    from tqdm.auto import tqdm

    bar = tqdm(total=steps, disable=not progress, desc=f"{E} × {obj.name} on {mix.name}", leave=False)
    g_params, d_params = list(G.parameters()), list(D.parameters())
    start = time.perf_counter()
    evaluate(0)
    for step in range(1, steps + 1):
        for _ in range(n_critic):
            x = draw(lambda r: mix.sample(batch_size, generator=r, device=dev))
            z = draw(lambda r: torch.randn(batch_size, latent_dim, generator=r, device=dev))
            with torch.no_grad():
                fake = G(z)
            # real and generated batches through D in one matmul per layer (rows are
            # independent, so this is the two separate forwards of train(), up to rounding)
            real_out, fake_out = D(torch.cat([x, fake], dim=1))[..., 0].split(batch_size, dim=1)
            d_losses = d_loss_fn(real_out, fake_out)
            if obj.gp_weight:
                eps = draw(lambda r: torch.rand(batch_size, 1, generator=r, device=dev))
                d_losses = d_losses + obj.gp_weight * _stacked_gradient_penalty(D, x, fake, eps)
            opt_d.zero_grad(set_to_none=True)
            d_losses.sum().backward()
            d_grad_norm = member_norms(d_params)
            opt_d.step()
            if obj.clip:
                with torch.no_grad():
                    for p in D.parameters():
                        p.clamp_(-obj.clip, obj.clip)
        z = draw(lambda r: torch.randn(batch_size, latent_dim, generator=r, device=dev))
        g_losses = g_loss_fn(real_out.detach(), D(G(z))[..., 0])
        opt_g.zero_grad(set_to_none=True)
        g_losses.sum().backward(inputs=g_params)
        g_norm[step - 1] = member_norms(g_params)
        opt_g.step()
        d_hist[step - 1] = d_losses.detach()
        g_hist[step - 1] = g_losses.detach()
        d_norm[step - 1] = d_grad_norm
        evaluating = step % eval_every == 0 or step % snapshot_every == 0 or step == steps
        if evaluating or step % 250 == 0:
            check_finite(step)
            bar.update(step - bar.n)
        if evaluating:
            evaluate(step)
    bar.close()
    seconds = time.perf_counter() - start

    runs = []
    for e, seed in enumerate(seeds):
        h = histories[e]
        h["d_loss"] = d_hist[:, e].cpu().numpy()
        h["g_loss"] = g_hist[:, e].cpu().numpy()
        h["d_grad_norm"] = d_norm[:, e].cpu().numpy()
        h["g_grad_norm"] = g_norm[:, e].cpu().numpy()
        config = dict(objective=obj.name, objective_params=dict(obj.params), data=mix.name,
                      steps=steps, batch_size=batch_size, lr_d=lr_d, lr_g=lr_g,
                      betas=tuple(betas), n_critic=n_critic, latent_dim=latent_dim, hidden=hidden,
                      depth=depth, tanh_output=False, seed=seed, device=str(dev), n_eval=n_eval,
                      eval_every=eval_every, snapshot_every=snapshot_every,
                      ensemble_size=E, eval_seconds=eval_seconds[0])
        runs.append(Run(G=G.member(e, Gs[e]), D=D.member(e, Ds[e]), objective=obj, data=mix,
                        config=config, history=h, seconds=seconds))
    return runs
