"""GAN objectives, written on raw discriminator outputs.

Every objective takes the raw outputs of the discriminator — logits for the
classifier-type objectives, unbounded critic values for the others — for a batch
of real samples and a batch of generated samples, and returns scalar losses that
both players *minimise*.  Notation follows the book: ``p`` is the data
distribution, ``q`` the generator's, ``v = D_logit(x)`` a raw output and
``σ(v) = 1/(1+e^{-v})`` the probability that ``x`` is real.

Stable forms only.  With ``softplus(v) = log(1 + e^v)``:

    -log σ(v)     = softplus(-v)
    -log(1 - σ(v)) = softplus(v)
    log σ(v) - log(1 - σ(v)) = v           (the logit itself)

so no objective ever evaluates ``log(sigmoid(v))``, and none needs an epsilon.

Usage::

    from ganlib import losses
    obj = losses.get("lsgan", a=-1, b=1, c=0)
    d_loss = obj.d_loss(D(x_real), D(x_fake.detach()))
    g_loss = obj.g_loss(D(x_real), D(x_fake))

``losses.names()`` lists every objective; ``losses.get`` raises ``ValueError``
naming the valid choices for an unknown name or an invalid parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F

from .divergences import fgan, softplus

Tensor = torch.Tensor


def as_batch(out: Tensor, name: str = "discriminator output") -> Tensor:
    """Return raw outputs of shape ``[B]`` or ``[B, 1]`` as a 1-D tensor ``[B]``.

    Anything else (a 0-d tensor, a wrong trailing dimension, an empty batch)
    raises ``ValueError`` naming the shape received and the shapes accepted.
    """
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(out).__name__}")
    shape = tuple(out.shape)
    ok = (out.dim() == 1) or (out.dim() == 2 and shape[1] == 1)
    if not ok or shape[0] == 0:
        raise ValueError(
            f"{name} has shape {list(shape)}; expected [B] or [B, 1] with B >= 1 "
            "(one raw output per sample)"
        )
    return out.reshape(-1)


# --------------------------------------------------------------------------
# The objectives.  Each pair (d_loss, g_loss) is one equation of the book.
# --------------------------------------------------------------------------


def minimax_d(real: Tensor, fake: Tensor) -> Tensor:
    r"""Discriminator loss of the original GAN (Goodfellow et al. 2014, eq. 1).

    max_D E_p[log D(x)] + E_q[log(1 - D(x))], written as a loss to minimise:

        L_D = E_p[-log σ(v)] + E_q[-log(1 - σ(v))]
            = E_p[softplus(-v)] + E_q[softplus(v)]
    """
    return softplus(-real).mean() + softplus(fake).mean()


def minimax_g(real: Tensor, fake: Tensor) -> Tensor:
    r"""Saturating generator loss (Goodfellow et al. 2014, eq. 1):

        L_G = E_q[log(1 - D(x))] = -E_q[softplus(v)]

    Its gradient in the logit, -σ(v), vanishes as D(G(z)) -> 0 (claim V4).
    """
    return -softplus(fake).mean()


def nonsaturating_g(real: Tensor, fake: Tensor) -> Tensor:
    r"""Non-saturating generator loss (Goodfellow et al. 2014, §3):

        L_G = E_q[-log D(x)] = E_q[softplus(-v)]
    """
    return softplus(-fake).mean()


def lsgan_d(real: Tensor, fake: Tensor, a: float, b: float) -> Tensor:
    r"""LSGAN discriminator loss (Mao et al. 2017, eq. 2):

        L_D = ½ E_p[(D(x) - b)²] + ½ E_q[(D(x) - a)²]

    ``a`` is the label of generated data, ``b`` the label of real data.
    """
    return 0.5 * ((real - b) ** 2).mean() + 0.5 * ((fake - a) ** 2).mean()


def lsgan_g(real: Tensor, fake: Tensor, c: float) -> Tensor:
    r"""LSGAN generator loss (Mao et al. 2017, eq. 2):

        L_G = ½ E_q[(D(x) - c)²]

    ``c`` is the value the generator wants the discriminator to believe.
    """
    return 0.5 * ((fake - c) ** 2).mean()


def bgan_g(real: Tensor, fake: Tensor) -> Tensor:
    r"""Boundary-seeking generator loss (Hjelm et al. 2018, eq. 8):

        L_G = ½ E_q[(log D(x) - log(1 - D(x)))²] = ½ E_q[v²]

    since log σ(v) - log(1 - σ(v)) = v exactly; minimised at D = ½ (claim B2).
    """
    return 0.5 * (fake**2).mean()


def softmax_d(real: Tensor, fake: Tensor) -> Tensor:
    r"""Softmax GAN discriminator loss (Lin 2017, eq. 3).

    Over the batch B = B₊ ∪ B₋ (real and generated), P(x) = e^{-D(x)}/Z with
    Z = Σ_{x∈B} e^{-D(x)}; the discriminator's target puts 1/|B₊| on each real
    sample, so the cross-entropy is

        L_D = (1/|B₊|) Σ_{x∈B₊} D(x) + log Z.

    Here D(x) is an *energy*: real samples should get low values.  log Z is a
    log-sum-exp, never ``log(sum(exp(...)))`` (claim S2).
    """
    log_z = torch.logsumexp(-torch.cat([real, fake]), dim=0)
    return real.mean() + log_z


def softmax_g(real: Tensor, fake: Tensor) -> Tensor:
    r"""Softmax GAN generator loss (Lin 2017, eq. 4): the target is uniform,
    1/|B| on every sample of the batch, so

        L_G = (1/|B|) Σ_{x∈B} D(x) + log Z.
    """
    both = torch.cat([real, fake])
    return both.mean() + torch.logsumexp(-both, dim=0)


def wgan_d(real: Tensor, fake: Tensor) -> Tensor:
    r"""Wasserstein critic loss (Arjovsky et al. 2017, eq. 3):

        L_D = E_q[D(x)] - E_p[D(x)]

    (the critic maximises E_p[D] - E_q[D] over 1-Lipschitz D; clipping or a
    gradient penalty enforces the constraint — see ``Objective.clip`` and
    ``gradient_penalty``).
    """
    return fake.mean() - real.mean()


def wgan_g(real: Tensor, fake: Tensor) -> Tensor:
    r"""Wasserstein generator loss (Arjovsky et al. 2017): L_G = -E_q[D(x)]."""
    return -fake.mean()


def hinge_d(real: Tensor, fake: Tensor) -> Tensor:
    r"""Hinge discriminator loss (Lim & Ye 2017; Miyato et al. 2018, eq. 16):

        L_D = E_p[max(0, 1 - D(x))] + E_q[max(0, 1 + D(x))]
    """
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def fgan_d(real: Tensor, fake: Tensor, fd) -> Tensor:
    r"""f-GAN critic loss (Nowozin et al. 2016, eq. 6), T = g_f(v):

        L_D = -E_p[g_f(v)] + E_q[f*(g_f(v))]

    the negative of the variational bound E_p[T] - E_q[f*(T)] ≤ D_f(P ‖ Q);
    ``fd`` is a ``divergences.FDivergence`` (its f* is derived, not typed in).
    """
    return -fd.activation(real).mean() + fd.conjugate_of_activation(fake).mean()


def fgan_g(real: Tensor, fake: Tensor, fd, generator: str) -> Tensor:
    r"""f-GAN generator loss.  ``"saturating"``: minimise the bound itself,
    L_G = -E_q[f*(g_f(v))]; ``"alternative"`` (Nowozin et al. 2016, §3.2, the
    analogue of the non-saturating GAN): L_G = -E_q[g_f(v)].
    """
    if generator == "saturating":
        return -fd.conjugate_of_activation(fake).mean()
    return -fd.activation(fake).mean()


def gradient_penalty(
    D: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""WGAN-GP penalty (Gulrajani et al. 2017, eq. 3), per sample:

        E_{x̂}[(‖∇_x̂ D(x̂)‖₂ - 1)²],
        x̂ = ε x + (1 - ε) x̃,  ε ~ U[0, 1]

    with one ε per sample pair (real x, generated x̃).  The norm is taken over
    every non-batch dimension of each sample separately.  The returned tensor
    keeps the graph, so the penalty trains D (``create_graph=True``).
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"gradient_penalty needs real and fake batches of one shape; got "
            f"{list(real.shape)} and {list(fake.shape)}"
        )
    eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(eps_shape, device=real.device, dtype=real.dtype,
                     generator=generator)
    x_hat = eps * real.detach() + (1 - eps) * fake.detach()
    x_hat.requires_grad_(True)
    out = D(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norms = grad.flatten(start_dim=1).norm(2, dim=1)
    return ((norms - 1.0) ** 2).mean()


def stacked_gradient_penalty(D: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                             eps: Tensor) -> Tensor:
    r"""``gradient_penalty`` for E critics at once: ``real``, ``fake`` ``[E, B, d]``, ``eps``
    ``[E, B, 1]`` (drawn by each member's own generator), ``D`` maps ``[E, B, d] -> [E, B, 1]``;
    returns the E penalties ``[E]``, member e's ``E_x̂[(‖∇_x̂ D_e(x̂)‖₂ - 1)²]`` (eq. 3)."""
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=2) - 1.0) ** 2).mean(dim=1)


def zero_centred_penalty(D: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    r"""The squared gradient norm that R1 and R2 penalise (Mescheder et al. 2018,
    eqs. 9–10):

        E_x[‖∇ₓ D(x)‖²]

    on real data (R1) or generated data (R2); the critic's loss adds (γ/2) times it.
    ``D`` is the raw output (the logit), as in the authors' code.  ``x`` is ``[B, d]``
    (one critic; returns a scalar) or ``[E, B, d]`` with ``D: [E, B, d] → [E, B, 1]``
    (E critics; returns ``[E]``, member e's value from its own critic: nothing else
    depends on ``x[e]``).  The result keeps the graph (``create_graph=True``), so the
    penalty trains D.
    """
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return grad.pow(2).sum(dim=-1).mean(dim=-1)


def best_logits(p: Tensor, q: Tensor, iters: int = 200) -> Tensor:
    r"""The discriminator's best logits on a discrete support, found numerically: the ``v``
    that maximises V(D) = Σ_x p(x) log σ(v(x)) + q(x) log σ(−v(x)) (Goodfellow et al. 2014,
    eq. 1 with D = σ(v)), by L-BFGS from v = 0 in the stable form −softplus(∓v).

    Proposition 1 says the maximiser is D* = p/(p+q), i.e. v* = log p − log q; chapters 1
    and 4 check that this search finds it (``torch.sigmoid(v)`` is D, ``torch.exp(v)`` is
    BGAN's importance weight D/(1−D))."""
    if p.shape != q.shape or p.dim() != 1:
        raise ValueError(f"best_logits: p and q must be 1-D of one shape, got {list(p.shape)} "
                         f"and {list(q.shape)}")
    v = torch.zeros_like(p, requires_grad=True)
    opt = torch.optim.LBFGS([v], max_iter=iters, tolerance_grad=1e-14, tolerance_change=1e-16)

    def minus_value() -> Tensor:
        opt.zero_grad()
        loss = (p * softplus(-v) + q * softplus(v)).sum()
        loss.backward()
        return loss

    opt.step(minus_value)
    return v.detach()


# --------------------------------------------------------------------------
# Discriminators that learn more than real-or-fake (Salimans et al. 2016;
# Chen et al. 2016).  Not GAN objectives of the registry: they need class
# logits, labels or codes; ``ganlib.semi_supervised`` and ``ganlib.infogan`` train them.
# --------------------------------------------------------------------------


def k_plus_one_logit(class_logits: Tensor) -> Tensor:
    r"""The real-vs-generated logit of a K+1 classifier whose last logit is fixed at 0
    (Salimans et al. 2016, §5; claim I1):

        D(x) = Z/(Z + 1),  Z = Σ_k e^{l_k}   ⇔   v = logit D(x) = logsumexp_k l_k

    ``class_logits`` is ``[B, K]``; returns ``[B]``.
    """
    if class_logits.dim() != 2:
        raise ValueError(f"k_plus_one_logit: class logits must be [B, K], "
                         f"got {list(class_logits.shape)}")
    return torch.logsumexp(class_logits, dim=1)


def semi_supervised_d(labelled_logits: Tensor, labels: Tensor,
                      unlabelled_logits: Tensor,
                      fake_logits: Tensor) -> tuple[Tensor, Tensor]:
    r"""The K+1 discriminator's two losses (Salimans et al. 2016, §5), on class
    logits ``[B, K]``:

        L_supervised   = E_{(x,y)~labelled}[-log p(y | x, y ≤ K)]   (cross-entropy, K)
        L_unsupervised = E_p[softplus(-v)] + E_q[softplus(v)],  v = logsumexp_k l_k

    the second being the GAN's discriminator loss ``minimax_d`` on the logit of
    D = Z/(Z+1).
    Returns ``(L_supervised, L_unsupervised)``; the discriminator minimises their sum.
    """
    supervised = F.cross_entropy(labelled_logits, labels)
    unsupervised = minimax_d(k_plus_one_logit(unlabelled_logits),
                             k_plus_one_logit(fake_logits))
    return supervised, unsupervised


def feature_matching_g(real_features: Tensor, fake_features: Tensor) -> Tensor:
    r"""Feature matching (Salimans et al. 2016, §3.1): the generator matches the mean of an
    intermediate layer f of the discriminator,

        L_G = ‖E_p[f(x)] - E_q[f(x)]‖²₂

    (``real_features`` is detached: only the generator learns from it).
    """
    return ((real_features.detach().mean(dim=0) - fake_features.mean(dim=0)) ** 2).sum()


def infogan_q_loss(code_logits: Tensor, codes: Tensor) -> Tensor:
    r"""InfoGAN's information term for a categorical code (Chen et al. 2016, eq. 5;
    claim I2):

        L_I(G, Q) = E[log Q(c | x)] + H(c),   x = G(z, c)

    H(c) is a constant, so G and Q *minimise* the cross-entropy E[-log Q(c | x)]
    returned here (``code_logits`` ``[B, C]`` from Q, ``codes`` ``[B]`` the drawn
    categories).
    """
    return F.cross_entropy(code_logits, codes)


# --------------------------------------------------------------------------
# The registry: a dict from name to a function that builds an Objective.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """A GAN objective: two losses on raw outputs, plus what training needs.

    Attributes:
        name: registry name.
        params: the objective's parameters (for example LSGAN's a, b, c).
        clip: if set, the training loop clips every critic weight to
            [-clip, clip] after each critic step (WGAN).
        gp_weight: if set, the training loop adds ``gp_weight *
            gradient_penalty(D, real, fake)`` to the critic loss (WGAN-GP).
        equation: the objective in one line, for tables and figures.
    """

    name: str
    _d: Callable[[Tensor, Tensor], Tensor] = field(repr=False)
    _g: Callable[[Tensor, Tensor], Tensor] = field(repr=False)
    params: dict = field(default_factory=dict)
    clip: float | None = None
    gp_weight: float | None = None
    equation: str = ""

    def d_loss(self, real_out: Tensor, fake_out: Tensor) -> Tensor:
        """Discriminator (critic) loss on raw outputs ``[B]`` or ``[B, 1]``; a scalar."""
        return self._d(as_batch(real_out, "real_out"), as_batch(fake_out, "fake_out"))

    def g_loss(self, real_out: Tensor, fake_out: Tensor) -> Tensor:
        """Generator loss on raw outputs ``[B]`` or ``[B, 1]``; a scalar."""
        return self._g(as_batch(real_out, "real_out"), as_batch(fake_out, "fake_out"))


def _finite(name: str, **values: float) -> None:
    for key, val in values.items():
        if not isinstance(val, (int, float)) or isinstance(val, bool) or not math.isfinite(val):
            raise ValueError(f"{name}: parameter {key} must be a finite number, got {val!r}")


def _minimax() -> Objective:
    return Objective("minimax", minimax_d, minimax_g,
                     equation="L_G = E_q[log(1 - D)]")


def _nonsaturating() -> Objective:
    return Objective("nonsaturating", minimax_d, nonsaturating_g,
                     equation="L_G = -E_q[log D]")


def _lsgan(a: float = -1.0, b: float = 1.0, c: float = 0.0) -> Objective:
    _finite("lsgan", a=a, b=b, c=c)
    if a == b:
        raise ValueError(
            f"lsgan: the labels must differ (a = b = {a} makes real and generated data "
            "indistinguishable); choose a != b, e.g. a=-1, b=1, c=0 or a=0, b=1, c=1"
        )
    return Objective(
        "lsgan",
        lambda r, f: lsgan_d(r, f, a, b),
        lambda r, f: lsgan_g(r, f, c),
        params={"a": a, "b": b, "c": c},
        equation=f"L_G = ½E_q[(D - {c:g})²]",
    )


def _bgan() -> Objective:
    return Objective("bgan", minimax_d, bgan_g, equation="L_G = ½E_q[v²]")


def _softmax() -> Objective:
    return Objective("softmax", softmax_d, softmax_g,
                     equation="L_G = mean_B D + log Σ_B e^{-D}")


def _wgan(clip: float | None = 0.01) -> Objective:
    """WGAN's losses, with the critic's weights clipped to [−clip, clip] after each step;
    ``clip=None``: no constraint of its own (for a critic that gets another, such as R1)."""
    if clip is not None:
        _finite("wgan", clip=clip)
        if clip <= 0:
            raise ValueError(f"wgan: clip must be > 0 (or None: no clipping), got {clip}")
    return Objective("wgan", wgan_d, wgan_g, params={"clip": clip}, clip=clip,
                     equation="L_G = -E_q[D]")


def _wgan_gp(gp_weight: float = 10.0) -> Objective:
    _finite("wgan-gp", gp_weight=gp_weight)
    if gp_weight <= 0:
        raise ValueError(f"wgan-gp: gp_weight must be > 0, got {gp_weight}")
    return Objective("wgan-gp", wgan_d, wgan_g, params={"gp_weight": gp_weight},
                     gp_weight=gp_weight, equation="L_G = -E_q[D]")


def _hinge() -> Objective:
    return Objective("hinge", hinge_d, wgan_g, equation="L_G = -E_q[D]")


def _fgan(divergence: str = "js", generator: str = "alternative",
          alpha: float | None = None) -> Objective:
    if generator not in ("alternative", "saturating"):
        raise ValueError(f"fgan: generator must be 'alternative' or 'saturating', got {generator!r}")
    fd = fgan(divergence) if alpha is None else fgan(divergence, alpha=alpha)
    params = {"divergence": divergence, "generator": generator, **fd.params}
    return Objective("fgan", lambda r, f: fgan_d(r, f, fd), lambda r, f: fgan_g(r, f, fd, generator),
                     params=params, equation=f"max_T E_p[T] - E_q[f*(T)], f = {divergence}")


REGISTRY: dict[str, Callable[..., Objective]] = {
    "minimax": _minimax,
    "nonsaturating": _nonsaturating,
    "lsgan": _lsgan,
    "bgan": _bgan,
    "softmax": _softmax,
    "wgan": _wgan,
    "wgan-gp": _wgan_gp,
    "hinge": _hinge,
    "fgan": _fgan,
}


def names() -> list[str]:
    """Every objective's registry name, in the book's order."""
    return list(REGISTRY)


def get(name: str, **params) -> Objective:
    """Build the objective ``name`` with keyword ``params``.

    Raises ``ValueError`` for an unknown name (listing the valid ones) or an
    unknown or invalid parameter (naming the accepted ones).
    """
    accepted = parameters(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        allowed = ", ".join(accepted) if accepted else "none"
        raise ValueError(f"{name}: unknown parameter(s) {', '.join(unknown)}; accepted: {allowed}")
    return REGISTRY[name](**params)


def parameters(name: str) -> list[str]:
    """The names of the parameters the objective ``name`` accepts (``[]`` for none)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown objective {name!r}; valid names: {', '.join(names())}")
    build = REGISTRY[name]
    return list(build.__code__.co_varnames[: build.__code__.co_argcount])
