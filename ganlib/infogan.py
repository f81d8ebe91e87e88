"""InfoGAN with one categorical code (Chen et al. 2016) on a mixture.

The generator gets a categorical code c beside the noise z, and a head Q on the
discriminator's body must recover c from G(z, c); both minimise the cross-entropy
E[-log Q(c | x)] (``losses.infogan_q_loss``), the negative of the variational bound L_I up to
the constant H(c) (claim I2).

``train_infogan`` trains several runs at once, stacked as ``ganlib.train`` stacks GANs: D's
two heads are one last layer of 1 + n_codes outputs (column 0 the real-vs-generated logit,
the rest Q's code logits), so D and Q are one ``models.StackedMLP``; the members may differ in
seed and λ (``info_weight``), and each member's trajectory is the one it has alone (its own
initial weights and random generator, ``ganlib.runtime``).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import losses as _losses
from . import metrics as _metrics
from . import models as _models
from .data import Mixture
from .data import mixture as _mixture
from .optim import update
from .record import Run, record_step
from .runtime import member_rngs, per_member, pick_device, progress_bar, raise_if_not_finite, seeded
from .settings import N_EVAL, STEPS, Settings, check_positive_int, check_positive_number

Tensor = torch.Tensor


class InfoDiscriminator(nn.Module):
    """D and Q sharing one body (Chen et al. 2016, §6): 2 → hidden → hidden (ReLU), then a
    real-vs-generated logit and ``n_codes`` code logits Q(c | x)."""

    def __init__(self, data_dim: int, hidden: int, depth: int, n_codes: int):
        super().__init__()
        self.body = nn.Sequential(_models.mlp([data_dim] + [hidden] * depth), nn.ReLU())
        self.d_head = nn.Linear(hidden, 1)
        self.q_head = nn.Linear(hidden, n_codes)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.body(x)
        return self.d_head(h)[:, 0], self.q_head(h)

    def as_mlp(self) -> nn.Sequential:
        """The same function as one MLP whose last layer stacks the two heads (output column 0:
        the logit; columns 1…: the code logits), for ``models.StackedMLP``."""
        head = nn.Linear(self.d_head.in_features, 1 + self.q_head.out_features)
        with torch.no_grad():
            head.weight.copy_(torch.cat([self.d_head.weight, self.q_head.weight]))
            head.bias.copy_(torch.cat([self.d_head.bias, self.q_head.bias]))
        body = [copy.deepcopy(m) for m in self.body.modules() if isinstance(m, (nn.Linear, nn.ReLU))]
        return nn.Sequential(*body, head)

    def load_mlp(self, mlp: nn.Sequential) -> "InfoDiscriminator":
        """Copy the weights of ``as_mlp``'s layout back into the body and the two heads."""
        src = [m for m in mlp if isinstance(m, nn.Linear)]
        dst = [m for m in self.body.modules() if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for a, b in zip(dst, src[:-1]):
                a.weight.copy_(b.weight)
                a.bias.copy_(b.bias)
            self.d_head.weight.copy_(src[-1].weight[:1])
            self.d_head.bias.copy_(src[-1].bias[:1])
            self.q_head.weight.copy_(src[-1].weight[1:])
            self.q_head.bias.copy_(src[-1].bias[1:])
        return self


@dataclass
class InfoRun(Run):
    """What ``train_infogan`` returns (a ``ganlib.record.Run``): G takes ``[z, one_hot(c)]``;
    ``D(x)`` returns ``(logit, code logits)``; ``objective`` is ``"infogan"``.  ``history`` has
    the losses per step and, at each evaluation, ``mode_stats`` and ``code_accuracy``
    (``metrics.code_agreement`` of the drawn code against the nearest mode of each sample)."""

    def generate(self, codes: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Samples for the given codes ``[N]`` (fresh noise z for each)."""
        dev = next(self.G.parameters()).device
        z = torch.randn(len(codes), self.config["latent_dim"], generator=generator, device=dev)
        with torch.no_grad():
            return self.G(torch.cat([z, F.one_hot(codes.to(dev), self.config["n_codes"]).float()], 1))


def info_d_loss(out_real: Tensor, out_fake: Tensor, codes: Tensor, info_weight: Tensor):
    """D and Q's loss for one member: ``minimax_d`` on the logits (column 0) plus λ ·
    ``infogan_q_loss`` of the code logits of the generated batch (Chen et al. 2016, eq. 5).
    Returns the sum and its GAN part."""
    d = _losses.minimax_d(out_real[:, 0], out_fake[:, 0])
    return d + info_weight * _losses.infogan_q_loss(out_fake[:, 1:], codes), d


def info_g_loss(out_real: Tensor, out_fake: Tensor, codes: Tensor, info_weight: Tensor):
    """G's loss for one member: ``nonsaturating_g`` plus λ · ``infogan_q_loss``."""
    info = _losses.infogan_q_loss(out_fake[:, 1:], codes)
    g = _losses.nonsaturating_g(out_real[:, 0], out_fake[:, 0])
    return g + info_weight * info, g, info


def train_infogan(data: str | Mixture = "ring8", *, n_codes: int = 8, info_weight: float = 1.0,
                  members: list[dict] | None = None,
                  steps: int = STEPS, batch_size: int = Settings.batch_size,
                  lr_d: float = Settings.lr_d, lr_g: float = Settings.lr_g,
                  latent_dim: int = Settings.latent_dim, hidden: int = Settings.hidden,
                  depth: int = Settings.depth, seed: int = 0,
                  device: str | torch.device | None = None, eval_every: int | None = None,
                  n_eval: int = N_EVAL, progress: bool = True) -> InfoRun | list[InfoRun]:
    """InfoGAN on a mixture: G(z, c) with c uniform over ``n_codes`` categories.

    Each step: D and Q minimise ``minimax_d`` + ``info_weight`` · ``infogan_q_loss`` on a
    generated batch; then G minimises ``nonsaturating_g`` + ``info_weight`` ·
    ``infogan_q_loss`` (Chen et al. 2016, eq. 5 with λ = ``info_weight``; λ = 0 is a GAN whose
    generator is never asked to make c recoverable).

    ``members=[dict(info_weight=1.0), dict(info_weight=0.0, seed=1), ...]``: one ``InfoRun``
    per member (each dict may set ``info_weight`` and ``seed``; the rest comes from the call),
    trained as one stack.
    """
    for name, value in dict(steps=steps, batch_size=batch_size, latent_dim=latent_dim,
                            hidden=hidden, depth=depth, n_eval=n_eval, n_codes=n_codes).items():
        check_positive_int(name, value, "train_infogan")
    eval_every = eval_every or max(1, steps // 20)
    check_positive_int("eval_every", eval_every, "train_infogan")
    for name, value in dict(lr_d=lr_d, lr_g=lr_g).items():
        check_positive_number(name, value, "train_infogan")
    single = members is None
    members = [{}] if single else members
    if not isinstance(members, (list, tuple)) or not members or \
            not all(isinstance(m, dict) and set(m) <= {"info_weight", "seed"} for m in members):
        raise ValueError("train_infogan: members must be a non-empty list of dicts of "
                         "info_weight and seed")
    specs = [{"info_weight": info_weight, "seed": seed, **m} for m in members]
    for s in specs:
        w = s["info_weight"]
        if not (isinstance(w, (int, float)) and np.isfinite(w) and w >= 0):
            raise ValueError(f"train_infogan: info_weight must be a finite number >= 0, got {w!r}")
        if not isinstance(s["seed"], int) or isinstance(s["seed"], bool):
            raise ValueError(f"train_infogan: seed must be an int, got {s['seed']!r}")
    dev = pick_device(device)
    mix = _mixture(data) if isinstance(data, str) else data
    if not isinstance(mix, Mixture):
        raise ValueError("train_infogan: data must be a mixture name or a Mixture")
    E = len(specs)
    built = [seeded(s["seed"], lambda: (_models.generator(latent_dim + n_codes, 2, hidden, depth),
                                        InfoDiscriminator(2, hidden, depth, n_codes)))
             for s in specs]
    G = _models.StackedMLP([g for g, _ in built]).to(dev)
    D = _models.StackedMLP([d.as_mlp() for _, d in built]).to(dev)
    rngs = member_rngs([s["seed"] for s in specs], dev)
    weights = torch.tensor([float(s["info_weight"]) for s in specs], device=dev)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=Settings.betas, fused=True)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=Settings.betas, fused=True)
    d_losses = torch.func.vmap(info_d_loss)
    g_losses = torch.func.vmap(info_g_loss)

    def codes_and_noise(n: int) -> tuple[Tensor, Tensor]:
        """Each member's codes ``[E, n]`` and G's input ``[E, n, latent + n_codes]``: the code
        first, then z, from the member's own generator."""
        drawn = [(torch.randint(n_codes, (n,), generator=r, device=dev),
                  torch.randn(n, latent_dim, generator=r, device=dev)) for r in rngs]
        c = torch.stack([c for c, _ in drawn])
        z = torch.stack([z for _, z in drawn])
        return c, torch.cat([z, F.one_hot(c, n_codes).to(z.dtype)], dim=2)

    c_eval, _ = codes_and_noise(n_eval)             # fixes the codes of every evaluation
    z_eval = torch.cat([per_member(rngs, lambda r: torch.randn(n_eval, latent_dim, generator=r,
                                                                device=dev)),
                        F.one_hot(c_eval, n_codes).to(torch.get_default_dtype())], dim=2)
    per_step = {k: torch.empty(steps, E, device=dev) for k in ("d_loss", "g_loss", "info_loss")}
    histories = [{"eval_step": [], "mode_stats": [], "code_accuracy": [], "samples": [],
                  "codes": c_eval[e].cpu().numpy()} for e in range(E)]
    labels = [f"infogan (λ = {s['info_weight']:g}, seed {s['seed']})" for s in specs]

    def evaluate(step: int) -> None:
        with torch.no_grad():
            x = G(z_eval).float().cpu()
        for e, h in enumerate(histories):
            if not torch.isfinite(x[e]).all():
                raise FloatingPointError(f"{labels[e]}: step {step}: the generator's samples "
                                         "contain NaN or inf")
            _, nearest = _metrics.nearest_mode(x[e], mix)
            h["eval_step"].append(step)
            h["mode_stats"].append(_metrics.mode_stats(x[e], mix))
            h["code_accuracy"].append(_metrics.code_agreement(
                c_eval[e].cpu(), nearest, n_codes, mix.n_modes)["accuracy"])
            h["samples"].append(x[e].numpy())

    desc = (f"{E} × " if E > 1 else "") + f"InfoGAN on {mix.name}"
    bar = progress_bar(steps, desc, progress)
    g_params = list(G.parameters())
    start = time.perf_counter()
    evaluate(0)
    for step in range(1, steps + 1):
        x = per_member(rngs, lambda r: mix.sample(batch_size, generator=r, device=dev))
        c, gz = codes_and_noise(batch_size)
        with torch.no_grad():
            fake = G(gz)
        out_real = D(x)
        d_total, d_loss = d_losses(out_real, D(fake), c, weights)
        update(opt_d, d_total.sum())

        c, gz = codes_and_noise(batch_size)
        g_total, g_loss, info = g_losses(out_real.detach(), D(G(gz)), c, weights)
        update(opt_g, g_total.sum(), g_params)
        # d_loss, g_loss: the GAN parts; info_loss: the G step's cross-entropy
        record_step(per_step, step, {"d_loss": d_loss, "g_loss": g_loss, "info_loss": info})
        if step % eval_every == 0 or step == steps:
            raise_if_not_finite(steps, {k: v[:step] for k, v in per_step.items()}, labels)
            evaluate(step)
            bar.update(step - bar.n)
    bar.close()
    seconds = time.perf_counter() - start
    runs = []
    for e, (s, h, (g0, d0)) in enumerate(zip(specs, histories, built)):
        h.update({k: v[:, e].cpu().numpy() for k, v in per_step.items()})
        config = dict(data=mix.name, n_codes=n_codes, info_weight=s["info_weight"], steps=steps,
                      batch_size=batch_size, lr_d=lr_d, lr_g=lr_g, latent_dim=latent_dim,
                      hidden=hidden, depth=depth, seed=s["seed"], device=str(dev), n_eval=n_eval,
                      eval_every=eval_every, stack_size=E)
        runs.append(InfoRun(G=G.member(e, g0), D=d0.load_mlp(D.member(e, d0.as_mlp())),
                            objective="infogan", data=mix, config=config, history=h,
                            seconds=seconds))
    return runs[0] if single else runs
