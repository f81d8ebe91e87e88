"""Discriminators that learn more than real-or-fake: the K+1 semi-supervised GAN and InfoGAN.

* ``train_semi_supervised`` (Salimans et al. 2016, §5): the discriminator is a K-class
  classifier whose (K+1)-th class, "generated", has its logit fixed at 0, so
  D(x) = σ(logsumexp_k l_k(x)) (claim I1).  It learns from a few labelled digits
  (cross-entropy) and from every unlabelled digit and generated one (the GAN loss on
  that logit); the generator matches the mean of D's last hidden layer (feature
  matching).  ``train_classifier`` trains the same network on the labelled digits
  alone: the baseline the GAN must beat.
* ``train_infogan`` (Chen et al. 2016): the generator gets a categorical code c
  beside the noise z, and a head Q on the discriminator's body must recover c from
  G(z, c); both minimise the cross-entropy E[-log Q(c | x)], the negative of the
  variational bound L_I (claim I2).

The losses are ``ganlib.losses.semi_supervised_d``, ``feature_matching_g`` and
``infogan_q_loss``; everything is seeded as in ``ganlib.train``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import losses as _losses
from . import metrics as _metrics
from . import models as _models
from .data import Mixture, digits
from .data import mixture as _mixture
from .runs import DEFAULTS, Run, check_settings, pick_device, raise_if_not_finite

Tensor = torch.Tensor


def _check_steps(steps: int, eval_every: int | None) -> int:
    """Check ``steps`` and return ``eval_every`` (default: steps // 20)."""
    check_settings(steps=steps, lr_d=1.0, lr_g=1.0)
    eval_every = eval_every or max(1, steps // 20)
    check_settings(eval_every=eval_every, lr_d=1.0, lr_g=1.0)
    return eval_every


# --------------------------------------------------------------------------
# Semi-supervised K+1 on digits
# --------------------------------------------------------------------------


def labelled_subset(labels_per_class: int, seed: int) -> tuple[Tensor, Tensor]:
    """``labels_per_class`` digits of each class drawn (with ``seed``) from ``digits("train")``."""
    x, y = digits("train")
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
        self.generator: torch.Generator | None = None    # the run's private RNG, when set

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.std == 0:
            return x
        return x + self.std * torch.randn(x.shape, generator=self.generator, device=x.device,
                                          dtype=x.dtype)


def _use_rng(net: nn.Module, rng: torch.Generator) -> None:
    for m in net.modules():
        if isinstance(m, GaussianNoise):
            m.generator = rng


def classifier_network(hidden: int = 128, noise: float = 0.0) -> nn.Sequential:
    """The classifier/discriminator of this section: 64 → hidden → hidden → 10 (ReLU), with
    ``GaussianNoise`` of std ``noise`` before each layer (``0.6·noise`` at the input);
    ``net[:-1]`` gives the features that feature matching uses."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip([64, hidden, hidden], [hidden, hidden, 10])):
        layers += [GaussianNoise(noise * (0.6 if i == 0 else 1.0)), nn.Linear(n_in, n_out)]
        if i < 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@dataclass
class SemiSupervisedRun:
    """What ``train_semi_supervised`` and ``train_classifier`` return.

    ``history["eval_step"]`` and ``history["test_accuracy"]`` trace the classifier's accuracy
    on the held-out digits (``digits("test")``); a GAN run also has ``d_supervised``,
    ``d_unsupervised`` and ``g_loss`` per step and the generator's ``samples`` at the end.
    """

    classifier: nn.Sequential
    G: nn.Module | None
    config: dict
    history: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def test_accuracy(self) -> float:
        return self.history["test_accuracy"][-1]


def _accuracy(net: nn.Module, x: Tensor, y: Tensor) -> float:
    """Test accuracy, in eval mode (no noise)."""
    net.eval()
    with torch.no_grad():
        accuracy = float((net(x).argmax(dim=1) == y).float().mean())
    net.train()
    return accuracy


def train_classifier(labels_per_class: int = 10, *, seed: int = 0, steps: int = 6000,
                     lr: float = 1e-3, hidden: int = 128, noise: float = 1.0, batch_size: int = 100,
                     device: str | torch.device | None = None,
                     eval_every: int | None = None) -> SemiSupervisedRun:
    """The baseline: ``classifier_network`` trained on the labelled digits alone (cross-entropy,
    Adam β = (0.5, 0.999), the settings and the labelled subset of ``train_semi_supervised``)."""
    eval_every = _check_steps(steps, eval_every)
    check_settings(batch_size=batch_size, hidden=hidden, lr_d=lr, lr_g=lr)
    dev = pick_device(device)
    x_lab, y_lab = (t.to(dev) for t in labelled_subset(labels_per_class, seed))
    x_test, y_test = (t.to(dev) for t in digits("test"))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = classifier_network(hidden, noise).to(dev)
    rng = torch.Generator(device=dev).manual_seed(seed)
    _use_rng(net, rng)
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=DEFAULTS["betas"])
    history: dict = {"eval_step": [0], "test_accuracy": [_accuracy(net, x_test, y_test)]}
    losses = torch.empty(steps, device=dev)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        idx = torch.randint(len(y_lab), (batch_size,), generator=rng, device=dev)
        loss = F.cross_entropy(net(x_lab[idx]), y_lab[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses[step - 1] = loss.detach()
        if step % eval_every == 0 or step == steps:
            raise_if_not_finite(steps, [losses[:step]] * 4, ["classifier"])
            history["eval_step"].append(step)
            history["test_accuracy"].append(_accuracy(net, x_test, y_test))
    history["loss"] = losses.cpu().numpy()
    config = dict(labels_per_class=labels_per_class, seed=seed, steps=steps, lr=lr, hidden=hidden,
                  batch_size=batch_size, device=str(dev))
    return SemiSupervisedRun(net.eval(), None, config, history, time.perf_counter() - start)


def train_semi_supervised(labels_per_class: int = 10, *, seed: int = 0, steps: int = 6000,
                          lr_d: float = 1e-3, lr_g: float = 1e-3, hidden: int = 128, noise: float = 1.0,
                          latent_dim: int = 16, batch_size: int = 100,
                          device: str | torch.device | None = None, eval_every: int | None = None,
                          progress: bool = True) -> SemiSupervisedRun:
    """Salimans et al.'s semi-supervised GAN on digits with ``labels_per_class`` labels per class.

    Each step: one discriminator update on ``L_supervised + L_unsupervised``
    (``losses.semi_supervised_d``: a labelled batch, an unlabelled batch of all 1,200 training
    digits, a generated batch), then one generator update on feature matching
    (``losses.feature_matching_g``, D's last hidden layer).  G is latent_dim → hidden → hidden
    → 64 with tanh.  Adam β = (0.5, 0.999) for both.
    """
    eval_every = _check_steps(steps, eval_every)
    check_settings(batch_size=batch_size, hidden=hidden, latent_dim=latent_dim, lr_d=lr_d, lr_g=lr_g)
    dev = pick_device(device)
    x_lab, y_lab = (t.to(dev) for t in labelled_subset(labels_per_class, seed))
    x_unl = digits("train")[0].to(dev)
    x_test, y_test = (t.to(dev) for t in digits("test"))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        D = classifier_network(hidden, noise).to(dev)
        G = _models.generator(latent_dim, 64, hidden, 2, nn.Tanh()).to(dev)
    features = D[:-1]
    rng = torch.Generator(device=dev).manual_seed(seed)
    _use_rng(D, rng)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=DEFAULTS["betas"])
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=DEFAULTS["betas"])

    def batch(x: Tensor, y: Tensor | None = None):
        idx = torch.randint(len(x), (batch_size,), generator=rng, device=dev)
        return x[idx] if y is None else (x[idx], y[idx])

    hist = {k: torch.empty(steps, device=dev) for k in ("d_supervised", "d_unsupervised", "g_loss")}
    history: dict = {"eval_step": [0], "test_accuracy": [_accuracy(D, x_test, y_test)]}
    from tqdm.auto import tqdm

    bar = tqdm(total=steps, disable=not progress, desc="K+1 semi-supervised", leave=False)
    start = time.perf_counter()
    for step in range(1, steps + 1):
        xl, yl = batch(x_lab, y_lab)
        xu = batch(x_unl)
        with torch.no_grad():
            fake = G(torch.randn(batch_size, latent_dim, generator=rng, device=dev))
        sup, unsup = _losses.semi_supervised_d(D(xl), yl, D(xu), D(fake))
        opt_d.zero_grad(set_to_none=True)
        (sup + unsup).backward()
        opt_d.step()

        fake = G(torch.randn(batch_size, latent_dim, generator=rng, device=dev))
        g_loss = _losses.feature_matching_g(features(batch(x_unl)), features(fake))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=list(G.parameters()))
        opt_g.step()
        for k, v in (("d_supervised", sup), ("d_unsupervised", unsup), ("g_loss", g_loss)):
            hist[k][step - 1] = v.detach()
        if step % eval_every == 0 or step == steps:
            raise_if_not_finite(steps,
                                [hist["d_supervised"][:step], hist["d_unsupervised"][:step],
                                 hist["g_loss"][:step], hist["g_loss"][:step]], ["semi-supervised"])
            history["eval_step"].append(step)
            history["test_accuracy"].append(_accuracy(D, x_test, y_test))
            bar.update(step - bar.n)
    bar.close()
    seconds = time.perf_counter() - start
    history.update({k: v.cpu().numpy() for k, v in hist.items()})
    with torch.no_grad():
        history["samples"] = G(torch.randn(100, latent_dim, generator=rng, device=dev)).cpu().numpy()
    config = dict(labels_per_class=labels_per_class, seed=seed, steps=steps, lr_d=lr_d, lr_g=lr_g,
                  hidden=hidden, latent_dim=latent_dim, batch_size=batch_size, device=str(dev))
    return SemiSupervisedRun(D.eval(), G.eval(), config, history, seconds)


# --------------------------------------------------------------------------
# InfoGAN with one categorical code
# --------------------------------------------------------------------------


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


@dataclass
class InfoRun(Run):
    """What ``train_infogan`` returns (a ``ganlib.runs.Run``): G takes ``[z, one_hot(c)]``;
    ``D(x)`` returns ``(logit, code logits)``; ``objective`` is ``"infogan"``.  ``history`` has
    the losses per step and, at each evaluation, ``mode_stats`` and ``code_accuracy``
    (``metrics.code_agreement`` of the drawn code against the nearest mode of each sample)."""

    def generate(self, codes: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Samples for the given codes ``[N]`` (fresh noise z for each)."""
        dev = next(self.G.parameters()).device
        z = torch.randn(len(codes), self.config["latent_dim"], generator=generator, device=dev)
        with torch.no_grad():
            return self.G(torch.cat([z, F.one_hot(codes.to(dev), self.config["n_codes"]).float()], 1))


def train_infogan(data: str | Mixture = "ring8", *, n_codes: int = 8, info_weight: float = 1.0,
                  steps: int = DEFAULTS["steps"], batch_size: int = DEFAULTS["batch_size"],
                  lr_d: float = DEFAULTS["lr_d"], lr_g: float = DEFAULTS["lr_g"],
                  latent_dim: int = DEFAULTS["latent_dim"], hidden: int = DEFAULTS["hidden"],
                  depth: int = DEFAULTS["depth"], seed: int = 0,
                  device: str | torch.device | None = None, eval_every: int | None = None,
                  n_eval: int = DEFAULTS["n_eval"], progress: bool = True) -> InfoRun:
    """InfoGAN on a mixture: G(z, c) with c uniform over ``n_codes`` categories.

    Each step: D and Q minimise ``minimax_d`` + ``info_weight`` · ``infogan_q_loss`` on a
    generated batch; then G minimises ``nonsaturating_g`` + ``info_weight`` ·
    ``infogan_q_loss`` (Chen et al. 2016, eq. 5 with λ = ``info_weight``; λ = 0 is a GAN whose
    generator ignores nothing but is never asked to make c recoverable).
    """
    eval_every = _check_steps(steps, eval_every)
    check_settings(batch_size=batch_size, latent_dim=latent_dim, hidden=hidden, depth=depth,
                   n_eval=n_eval, n_codes=n_codes, lr_d=lr_d, lr_g=lr_g)
    if not (isinstance(info_weight, (int, float)) and np.isfinite(info_weight) and info_weight >= 0):
        raise ValueError(f"train_infogan: info_weight must be a finite number >= 0, got {info_weight!r}")
    dev = pick_device(device)
    mix = _mixture(data) if isinstance(data, str) else data
    if not isinstance(mix, Mixture):
        raise ValueError("train_infogan: data must be a mixture name or a Mixture")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        G = _models.generator(latent_dim + n_codes, 2, hidden, depth).to(dev)
        D = InfoDiscriminator(2, hidden, depth, n_codes).to(dev)
    rng = torch.Generator(device=dev).manual_seed(seed)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=DEFAULTS["betas"])
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=DEFAULTS["betas"])

    def generate(n: int) -> tuple[Tensor, Tensor]:
        c = torch.randint(n_codes, (n,), generator=rng, device=dev)
        z = torch.randn(n, latent_dim, generator=rng, device=dev)
        return G(torch.cat([z, F.one_hot(c, n_codes).float()], dim=1)), c

    with torch.no_grad():
        x_eval, c_eval = generate(n_eval)           # fixes z and c for every evaluation
    z_eval = torch.cat([torch.randn(n_eval, latent_dim, generator=rng, device=dev),
                        F.one_hot(c_eval, n_codes).float()], dim=1)
    hist = {k: torch.empty(steps, device=dev) for k in ("d_loss", "g_loss", "info_loss")}
    history: dict = {"eval_step": [], "mode_stats": [], "code_accuracy": [], "samples": [],
                     "codes": c_eval.cpu().numpy()}

    def evaluate(step: int) -> None:
        with torch.no_grad():
            x = G(z_eval).float().cpu()
        if not torch.isfinite(x).all():
            raise FloatingPointError(f"infogan: step {step}: the generator's samples contain NaN or inf")
        _, nearest = _metrics.nearest_mode(x, mix)
        history["eval_step"].append(step)
        history["mode_stats"].append(_metrics.mode_stats(x, mix))
        history["code_accuracy"].append(
            _metrics.code_agreement(c_eval.cpu(), nearest, n_codes, mix.n_modes)["accuracy"])
        history["samples"].append(x.numpy())

    from tqdm.auto import tqdm

    bar = tqdm(total=steps, disable=not progress, desc=f"InfoGAN on {mix.name}", leave=False)
    start = time.perf_counter()
    evaluate(0)
    for step in range(1, steps + 1):
        x = mix.sample(batch_size, generator=rng, device=dev)
        with torch.no_grad():
            fake, c = generate(batch_size)
        real_logit, _ = D(x)
        fake_logit, code_logits = D(fake)
        d_loss = _losses.minimax_d(real_logit, fake_logit)
        info = _losses.infogan_q_loss(code_logits, c)
        opt_d.zero_grad(set_to_none=True)
        (d_loss + info_weight * info).backward()
        opt_d.step()

        fake, c = generate(batch_size)
        fake_logit, code_logits = D(fake)
        info = _losses.infogan_q_loss(code_logits, c)
        g_loss = _losses.nonsaturating_g(real_logit.detach(), fake_logit)
        opt_g.zero_grad(set_to_none=True)
        (g_loss + info_weight * info).backward(inputs=list(G.parameters()))
        opt_g.step()
        for k, v in (("d_loss", d_loss), ("g_loss", g_loss), ("info_loss", info)):
            hist[k][step - 1] = v.detach()
        if step % eval_every == 0 or step == steps:
            raise_if_not_finite(steps, [hist["d_loss"][:step], hist["info_loss"][:step],
                                                   hist["g_loss"][:step], hist["g_loss"][:step]],
                                ["infogan"])
            evaluate(step)
            bar.update(step - bar.n)
    bar.close()
    seconds = time.perf_counter() - start
    history.update({k: v.cpu().numpy() for k, v in hist.items()})
    config = dict(data=mix.name, n_codes=n_codes, info_weight=info_weight, steps=steps,
                  batch_size=batch_size, lr_d=lr_d, lr_g=lr_g, latent_dim=latent_dim, hidden=hidden,
                  depth=depth, seed=seed, device=str(dev), n_eval=n_eval, eval_every=eval_every)
    return InfoRun(G=G, D=D, objective="infogan", data=mix, config=config, history=history,
                   seconds=seconds)
