"""The K+1 semi-supervised GAN on digits (Salimans et al. 2016, §5) and its baseline.

* ``train_semi_supervised``: the discriminator is a K-class classifier whose (K+1)-th class,
  "generated", has its logit fixed at 0, so D(x) = σ(logsumexp_k l_k(x)) (claim I1).  It
  learns from a few labelled digits (cross-entropy) and from every unlabelled digit and
  generated one (the GAN loss on that logit); the generator matches the mean of D's last
  hidden layer (feature matching).
* ``train_classifier`` trains the same network on the labelled digits alone: the baseline the
  GAN must beat.

The losses are ``ganlib.losses.semi_supervised_d`` and ``feature_matching_g``.  Both loops
train several seeds at once, stacked as ``ganlib.train`` stacks GANs (``models.StackedMLP``, a
vmapped loss and an Adam per network over the stacked tensors): ``seeds=[0, 1, 2]`` gives one
run per seed, and each member's trajectory is the one it has alone — its own initial weights,
labelled subset and random generator (``ganlib.runtime``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from . import digits
from . import losses as _losses
from . import models as _models
from .optim import update
from .record import record_step
from .runtime import member_rngs, per_member, pick_device, progress_bar, raise_if_not_finite, seeded
from .settings import Settings, check_positive_int, check_positive_number, check_seeds

Tensor = torch.Tensor


def labelled_subset(labels_per_class: int, seed: int) -> tuple[Tensor, Tensor]:
    """``labels_per_class`` digits of each class drawn (with ``seed``) from ``digits.load("train")``."""
    x, y = digits.load("train")
    counts = torch.bincount(y, minlength=10)
    if not isinstance(labels_per_class, int) or not 1 <= labels_per_class <= int(counts.min()):
        raise ValueError(f"labels_per_class must be an int in 1..{int(counts.min())} (the rarest "
                         f"class of the training split), got {labels_per_class!r}")
    rng = torch.Generator().manual_seed(seed)
    idx = torch.cat([torch.nonzero(y == k).flatten()[torch.randperm(int(counts[k]), generator=rng)]
                     [:labels_per_class] for k in range(10)])
    return x[idx], y[idx]


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise to its input in training mode; the identity in eval mode.
    Salimans et al.'s discriminators add it before every layer (their code: 0.3 at the input,
    0.5 after each hidden layer): a regulariser that matters when labels are few."""

    def __init__(self, std: float):
        super().__init__()
        self.std = std

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.std == 0:
            return x
        return x + self.std * torch.randn_like(x)


def noise_levels(noise: float) -> list[float]:
    """The noise std before each of the three layers: ``0.6·noise`` at the input, then ``noise``."""
    return [0.6 * noise, noise, noise]


def classifier_network(hidden: int = 128, noise: float = 0.0) -> nn.Sequential:
    """The classifier/discriminator of this section: 64 → hidden → hidden → 10 (ReLU), with
    ``GaussianNoise`` of std ``noise_levels(noise)`` before each layer; ``net[:-1]`` gives the
    features that feature matching uses.  (What the training calls return for each member.)"""
    layers: list[nn.Module] = []
    for i, (n_in, n_out, std) in enumerate(zip([64, hidden, hidden], [hidden, hidden, 10],
                                               noise_levels(noise))):
        layers += [GaussianNoise(std), nn.Linear(n_in, n_out)]
        if i < 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@dataclass
class SemiSupervisedRun:
    """What ``train_semi_supervised`` and ``train_classifier`` return for each member.

    ``history["eval_step"]`` and ``history["test_accuracy"]`` trace the classifier's accuracy
    on the held-out digits (``digits.load("test")``); a GAN run also has ``d_supervised``,
    ``d_unsupervised`` and ``g_loss`` per step and the generator's ``samples`` at the end.
    ``seconds`` is the wall-clock of the whole stack.
    """

    classifier: nn.Sequential
    G: nn.Module | None
    config: dict
    history: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def test_accuracy(self) -> float:
        return self.history["test_accuracy"][-1]


CHUNK = 16      # steps of random draws each member makes at once


class _Draws:
    """Every random number of a member's steps, ``CHUNK`` steps at a time from its own
    generator, in a fixed order: uniform numbers for the batch indices ``[C, n_index, B]``, the
    generator's latents ``[C, n_latent, B, latent]`` and the Gaussian noise of each forward pass
    through D ``[C, n_forward, B, width]`` (one row per pass, its layers side by side).  A
    member's draws do not depend on the stack; a stack makes three RNG calls per member per
    ``CHUNK`` steps instead of dozens per step."""

    def __init__(self, rngs, dev, batch_size, n_index, n_forward, width, n_latent=0, latent_dim=0):
        self.rngs, self.dev = rngs, dev
        self.shapes = dict(u=(n_index, batch_size), z=(n_latent, batch_size, latent_dim),
                           noise=(n_forward, batch_size, width))
        self.c = CHUNK

    def next_step(self) -> None:
        self.c += 1
        if self.c >= CHUNK:
            drawn = [(torch.rand(CHUNK, *self.shapes["u"], generator=r, device=self.dev),
                      torch.randn(CHUNK, *self.shapes["z"], generator=r, device=self.dev),
                      torch.randn(CHUNK, *self.shapes["noise"], generator=r, device=self.dev))
                     for r in self.rngs]
            self.u, self.z, self.noise = (torch.stack([d[i] for d in drawn], dim=1) for i in range(3))
            self.c = 0

    def index(self, j: int, n: int) -> Tensor:
        """``[E, B]`` indices into n items (uniform, with replacement): the step's j-th batch."""
        return (self.u[self.c, :, j] * n).long().clamp_(max=n - 1)

    def latent(self, j: int) -> Tensor:
        return self.z[self.c, :, j]

    def forward_noise(self, k: int) -> Tensor:
        return self.noise[self.c, :, k]


class _Stack:
    """The classifiers of E members, stacked, built from ``classifier_network`` under each
    member's seed; the Gaussian noise of a forward pass is a row of the members' ``_Draws``."""

    def __init__(self, seeds, hidden, noise, dev, with_generator=False, latent_dim=16):
        built = [seeded(s, lambda: (classifier_network(hidden, noise),
                                    _models.generator(latent_dim, 64, hidden, 2, nn.Tanh())
                                    if with_generator else None)) for s in seeds]
        self.templates = [b[0] for b in built]
        self.D = _models.StackedMLP(self.templates).to(dev)
        self.G = _models.StackedMLP([b[1] for b in built]).to(dev) if with_generator else None
        self.G_templates = [b[1] for b in built]
        self.stds = noise_levels(noise)
        widths = [w.shape[1] for w in self.D.weights]                # each layer's input width
        self.offsets = [sum(widths[:i]) for i in range(len(widths) + 1)]
        self.width = self.offsets[-1]

    def _forward(self, x: Tensor, noise: Tensor, stop: int | None = None) -> Tensor:
        def add(i: int, h: Tensor) -> Tensor:                         # N(0, std_i²) before layer i
            return h + self.stds[i] * noise[..., self.offsets[i]:self.offsets[i + 1]]
        return self.D(x, noise=add, stop=stop)

    def logits(self, x: Tensor, noise: Tensor) -> Tensor:
        return self._forward(x, noise)

    def features(self, x: Tensor, noise: Tensor) -> Tensor:
        """D's last hidden layer, the input of its last layer (noise included)."""
        return self._forward(x, noise, stop=len(self.D.weights) - 1)

    def accuracy(self, x: Tensor, y: Tensor) -> list[float]:
        """Each member's test accuracy, without noise (eval mode)."""
        with torch.no_grad():
            pred = self.D(x.expand(len(self.templates), *x.shape)).argmax(dim=2)
        return (pred == y).float().mean(dim=1).tolist()

    def classifier(self, e: int) -> nn.Sequential:
        return self.D.member(e, self.templates[e]).eval()


def _labelled(labels_per_class, seeds, dev):
    subsets = [labelled_subset(labels_per_class, s) for s in seeds]
    return (torch.stack([x for x, _ in subsets]).to(dev, torch.get_default_dtype()),
            torch.stack([y for _, y in subsets]).to(dev))


def _test_split(dev):
    x, y = digits.load("test")
    return x.to(dev, torch.get_default_dtype()), y.to(dev)


def _gather(x: Tensor, idx: Tensor, y: Tensor | None = None):
    """Each member's batch ``x[e, idx[e]]`` from its own ``x`` ``[E, N, d]``, or ``x[idx[e]]``
    from one shared ``x`` ``[N, d]`` (``idx`` ``[E, B]``)."""
    if x.dim() == 2:
        return x[idx]
    rows = torch.arange(len(idx), device=x.device)[:, None]
    return (x[rows, idx], y[rows, idx]) if y is not None else x[rows, idx]


def _check(caller: str, steps, eval_every, lrs: dict, **sizes) -> int:
    """Check the settings of ``caller``; return ``eval_every`` (default: steps // 20)."""
    for name, value in dict(steps=steps, **sizes).items():
        check_positive_int(name, value, caller)
    for name, value in lrs.items():
        check_positive_number(name, value, caller)
    eval_every = eval_every or max(1, steps // 20)
    check_positive_int("eval_every", eval_every, caller)
    return eval_every


def train_classifier(labels_per_class: int = 10, *, seed: int = 0, seeds: list[int] | None = None,
                     steps: int = 6000, lr: float = 1e-3, hidden: int = 128, noise: float = 1.0,
                     batch_size: int = 100, device: str | torch.device | None = None,
                     eval_every: int | None = None) -> SemiSupervisedRun | list[SemiSupervisedRun]:
    """The baseline: ``classifier_network`` trained on the labelled digits alone (cross-entropy,
    Adam β = (0.5, 0.999), the settings and the labelled subset of ``train_semi_supervised``).
    ``seeds=[...]``: one run per seed, trained as one stack."""
    eval_every = _check("train_classifier", steps, eval_every, dict(lr=lr), batch_size=batch_size,
                        hidden=hidden)
    members = check_seeds(seed, seeds, "train_classifier")
    dev = pick_device(device)
    x_lab, y_lab = _labelled(labels_per_class, members, dev)
    x_test, y_test = _test_split(dev)
    net = _Stack(members, hidden, noise, dev)
    draws = _Draws(member_rngs(members, dev), dev, batch_size, n_index=1, n_forward=1, width=net.width)
    opt = torch.optim.Adam(net.D.parameters(), lr=lr, betas=Settings.betas, fused=True)
    cross_entropy = torch.func.vmap(F.cross_entropy)
    E = len(members)
    history = [{"eval_step": [0], "test_accuracy": [a]} for a in net.accuracy(x_test, y_test)]
    losses = torch.empty(steps, E, device=dev)
    labels = [f"classifier (seed {s})" for s in members]
    start = time.perf_counter()
    for step in range(1, steps + 1):
        draws.next_step()
        x, y = _gather(x_lab, draws.index(0, x_lab.shape[1]), y_lab)
        loss = cross_entropy(net.logits(x, draws.forward_noise(0)), y)      # [E]
        update(opt, loss.sum())
        losses[step - 1] = loss.detach()
        if step % eval_every == 0 or step == steps:
            raise_if_not_finite(steps, {"the classifier's loss": losses[:step]}, labels)
            for h, a in zip(history, net.accuracy(x_test, y_test)):
                h["eval_step"].append(step)
                h["test_accuracy"].append(a)
    seconds = time.perf_counter() - start
    runs = []
    for e, (s, h) in enumerate(zip(members, history)):
        h["loss"] = losses[:, e].cpu().numpy()
        config = dict(labels_per_class=labels_per_class, seed=s, steps=steps, lr=lr, hidden=hidden,
                      batch_size=batch_size, device=str(dev), stack_size=E)
        runs.append(SemiSupervisedRun(net.classifier(e), None, config, h, seconds))
    return runs if seeds is not None else runs[0]


def train_semi_supervised(labels_per_class: int = 10, *, seed: int = 0, seeds: list[int] | None = None,
                          steps: int = 6000, lr_d: float = 1e-3, lr_g: float = 1e-3, hidden: int = 128,
                          noise: float = 1.0, latent_dim: int = 16, batch_size: int = 100,
                          device: str | torch.device | None = None, eval_every: int | None = None,
                          progress: bool = True) -> SemiSupervisedRun | list[SemiSupervisedRun]:
    """Salimans et al.'s semi-supervised GAN on digits with ``labels_per_class`` labels per class.

    Each step: one discriminator update on ``L_supervised + L_unsupervised``
    (``losses.semi_supervised_d``: a labelled batch, an unlabelled batch of all 1,200 training
    digits, a generated batch), then one generator update on feature matching
    (``losses.feature_matching_g``, D's last hidden layer).  G is latent_dim → hidden → hidden
    → 64 with tanh.  Adam β = (0.5, 0.999) for both.  ``seeds=[...]``: one run per seed,
    trained as one stack.
    """
    eval_every = _check("train_semi_supervised", steps, eval_every, dict(lr_d=lr_d, lr_g=lr_g),
                        batch_size=batch_size, hidden=hidden, latent_dim=latent_dim)
    members = check_seeds(seed, seeds, "train_semi_supervised")
    dev = pick_device(device)
    x_lab, y_lab = _labelled(labels_per_class, members, dev)
    x_unl = digits.load("train")[0].to(dev, torch.get_default_dtype())
    x_test, y_test = _test_split(dev)
    rngs = member_rngs(members, dev)
    net = _Stack(members, hidden, noise, dev, with_generator=True, latent_dim=latent_dim)
    # per step: 3 batches (labelled, unlabelled for D, unlabelled for G), 2 latents, 5 passes through D
    draws = _Draws(rngs, dev, batch_size, n_index=3, n_forward=5, width=net.width, n_latent=2,
                   latent_dim=latent_dim)
    G, E = net.G, len(members)
    opt_d = torch.optim.Adam(net.D.parameters(), lr=lr_d, betas=Settings.betas, fused=True)
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=Settings.betas, fused=True)
    d_losses = torch.func.vmap(_losses.semi_supervised_d)
    g_losses = torch.func.vmap(_losses.feature_matching_g)

    per_step = {k: torch.empty(steps, E, device=dev) for k in ("d_supervised", "d_unsupervised", "g_loss")}
    history = [{"eval_step": [0], "test_accuracy": [a]} for a in net.accuracy(x_test, y_test)]
    labels = [f"semi-supervised (seed {s})" for s in members]
    bar = progress_bar(steps, (f"{E} × " if E > 1 else "") + "K+1 semi-supervised", progress)
    g_params = list(G.parameters())
    start = time.perf_counter()
    for step in range(1, steps + 1):
        draws.next_step()
        noise = draws.forward_noise
        xl, yl = _gather(x_lab, draws.index(0, x_lab.shape[1]), y_lab)
        xu = _gather(x_unl, draws.index(1, len(x_unl)))
        with torch.no_grad():
            fake = G(draws.latent(0))
        sup, unsup = d_losses(net.logits(xl, noise(0)), yl, net.logits(xu, noise(1)),
                              net.logits(fake, noise(2)))                          # [E] each
        update(opt_d, (sup + unsup).sum())

        fake = G(draws.latent(1))
        g_loss = g_losses(net.features(_gather(x_unl, draws.index(2, len(x_unl))), noise(3)),
                          net.features(fake, noise(4)))
        update(opt_g, g_loss.sum(), g_params)
        record_step(per_step, step, {"d_supervised": sup, "d_unsupervised": unsup, "g_loss": g_loss})
        if step % eval_every == 0 or step == steps:
            raise_if_not_finite(steps, {k: v[:step] for k, v in per_step.items()}, labels)
            for h, a in zip(history, net.accuracy(x_test, y_test)):
                h["eval_step"].append(step)
                h["test_accuracy"].append(a)
            bar.update(step - bar.n)
    bar.close()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        samples = G(per_member(rngs, lambda r: torch.randn(100, latent_dim, generator=r,
                                                           device=dev))).cpu().numpy()
    runs = []
    for e, (s, h) in enumerate(zip(members, history)):
        h.update({k: v[:, e].cpu().numpy() for k, v in per_step.items()})
        h["samples"] = samples[e]
        config = dict(labels_per_class=labels_per_class, seed=s, steps=steps, lr_d=lr_d, lr_g=lr_g,
                      hidden=hidden, latent_dim=latent_dim, batch_size=batch_size, device=str(dev),
                      stack_size=E)
        runs.append(SemiSupervisedRun(net.classifier(e), G.member(e, net.G_templates[e]).eval(),
                                      config, h, seconds))
    return runs if seeds is not None else runs[0]
