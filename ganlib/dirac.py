"""The Dirac-GAN (Mescheder, Geiger & Nowozin 2018, §2.1): the smallest GAN that shows why
gradient play circles around its equilibrium, and what makes it converge.

Data ``p = δ₀`` (one point, 0), generator ``q = δ_θ`` (one point, θ), and a linear
discriminator with a bias,

    D_{ψ,β}(x) = ψ·x + β,

so the real output is ``r = D(0) = β`` and the generated one ``s = D(θ) = ψθ + β``.  Every
objective of ``ganlib.losses`` is a pair of losses of ``(r, s)``; the bias β lets objectives
whose equilibrium output is not 0 (LSGAN's ``(a + b)/2``, the f-GANs' ``g_f⁻¹(f′(1))``) have an
equilibrium.  Gradient play is the vector field

    v(θ, ψ, β) = (−∂L_G/∂θ, −∂L_D/∂ψ, −∂L_D/∂β),

and the equilibrium is θ = ψ = 0, β = β* where ``d/dβ L_D(β, β) = 0``.

Two halves, one per chapter:

* **SymPy** (``symbolic_losses``, ``vector_field``, ``equilibrium``, ``jacobian``): the losses
  written as expressions of ``r`` and ``s`` — the same equations as ``ganlib.losses`` (the
  chapter checks them against the torch losses and their autograd Jacobian) — and the
  exact linearisation at the equilibrium.
* **torch** (``play``): the two-parameter game trained with the library's own losses and
  penalties, float64 autograd and plain gradient steps, simultaneous or alternating.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch

from . import losses as _losses
from .divergences import FGAN_NAMES, fgan as _fgan
from .symbolic import t as _t

theta, psi, beta = sp.symbols("theta psi beta", real=True)
r, s = sp.symbols("r s", real=True)           # D(real) = β, D(fake) = ψθ + β
STATE = (theta, psi, beta)
MODES = ("simultaneous", "alternating")
# The f-GAN members the chapter tabulates (α-divergences need a parameter: alpha=2 stands in).
FGAN_DIVERGENCES = tuple(n for n in FGAN_NAMES if n != "alpha") + ("alpha",)


def _softplus(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(x))


def _fgan_terms(divergence: str, generator: str, alpha=None):
    """(L_D, L_G) of the f-GAN on (r, s): L_D = −g_f(r) + f*(g_f(s)), L_G = −g_f(s)
    (alternative) or −f*(g_f(s)) (saturating).  f* on its smooth branch (the equilibrium
    lies there); TV's f* = max(t, −½) is t on the range of g_f = tanh/2."""
    fd = _fgan(divergence) if alpha is None else _fgan(divergence, alpha=alpha)
    g = fd.activation_expr
    v = next(iter(g.free_symbols))
    f_star = fd.conjugate_expr
    if isinstance(f_star, sp.Max):              # TV: the branch that holds at t = g_f(0) = 0
        f_star = max(f_star.args, key=lambda a: a.subs(_t, g.subs(v, 0)))
    elif isinstance(f_star, sp.Piecewise):      # below the range of f′ (never reached here)
        f_star = f_star.args[-1][0]
    g_r, g_s = g.subs(v, r), g.subs(v, s)
    conj_s = f_star.subs(_t, g_s)
    L_D = -g_r + conj_s
    L_G = -g_s if generator == "alternative" else -conj_s
    return L_D, L_G


def symbolic_losses(name: str, **params) -> tuple[sp.Expr, sp.Expr]:
    """``(L_D, L_G)`` of the objective ``name`` as SymPy expressions of the discriminator's raw
    outputs ``r`` (on the real point) and ``s`` (on the generated one): the equations of
    ``ganlib.losses`` for batches of one real and one generated sample.  Parameters as in
    ``losses.get`` (LSGAN's ``a, b, c``; the f-GAN's ``divergence``, ``generator``, ``alpha``).
    WGAN's clipping and WGAN-GP's penalty act on ψ, not on the losses: see ``penalty``.  The
    hinge loss is written where both its maxima are active (|r|, |s| < 1, around the equilibrium
    r = s = 0): there it is 2 + s − r, WGAN's critic loss plus a constant."""
    obj = _losses.get(name, **params)                # checks the name and the parameters
    p = obj.params
    sp_ = _softplus
    if name in ("minimax", "nonsaturating", "bgan"):
        L_D = sp_(-r) + sp_(s)
        L_G = {"minimax": -sp_(s), "nonsaturating": sp_(-s), "bgan": s**2 / 2}[name]
    elif name == "lsgan":
        a, b, c = (sp.nsimplify(p[k]) for k in "abc")
        L_D, L_G = (r - b) ** 2 / 2 + (s - a) ** 2 / 2, (s - c) ** 2 / 2
    elif name == "softmax":                          # a batch of one real, one generated
        log_z = sp.log(sp.exp(-r) + sp.exp(-s))
        L_D, L_G = r + log_z, (r + s) / 2 + log_z
    elif name in ("wgan", "wgan-gp"):
        L_D, L_G = s - r, -s
    elif name == "hinge":                            # max(0, 1 − r) + max(0, 1 + s) for |r|, |s| < 1,
        L_D, L_G = (1 - r) + (1 + s), -s             # where the equilibrium lies: both maxima active
    elif name == "fgan":
        L_D, L_G = _fgan_terms(p["divergence"], p["generator"], p.get("alpha"))
    else:                                            # a new objective must be written here
        raise ValueError(f"symbolic_losses: no SymPy form for {name!r}; known: {', '.join(_losses.names())}")
    return L_D, L_G


def on_state(expr: sp.Expr) -> sp.Expr:
    """An expression of (r, s) written in the Dirac-GAN's parameters: r = β, s = ψθ + β."""
    return expr.subs({r: beta, s: psi * theta + beta}, simultaneous=True)


def vector_field(L_D: sp.Expr, L_G: sp.Expr, penalty: sp.Expr = sp.S.Zero) -> sp.Matrix:
    """v = (−∂L_G/∂θ, −∂(L_D + penalty)/∂ψ, −∂(L_D + penalty)/∂β) on the state (θ, ψ, β);
    ``penalty`` is a term of the critic's loss written in ψ (``penalty``)."""
    d, g = on_state(L_D) + penalty, on_state(L_G)
    return sp.Matrix([-sp.diff(g, theta), -sp.diff(d, psi), -sp.diff(d, beta)])


def equilibrium(L_D: sp.Expr) -> sp.Expr:
    """β*: the bias at which the critic is indifferent once θ = 0 (both points are one), the
    root of d/dβ L_D(β, β) = 0; 0 where that derivative vanishes for every β (WGAN, hinge,
    Softmax GAN, TV: the bias is free, and 0 is one equilibrium of a line of them)."""
    slope = sp.simplify(sp.diff(L_D.subs({r: beta, s: beta}), beta))
    if slope == 0:
        return sp.S.Zero
    roots = sp.solve(slope, beta)
    real = [x for x in roots if x.is_real]
    if len(real) != 1:
        raise ValueError(f"equilibrium: expected one real root of {slope} = 0, found {roots}")
    return sp.simplify(real[0])


def jacobian(field: sp.Matrix, beta_star: sp.Expr) -> sp.Matrix:
    """∂v/∂(θ, ψ, β) at the equilibrium (0, 0, β*), simplified."""
    J = field.jacobian(sp.Matrix(STATE)).subs({theta: 0, psi: 0, beta: beta_star})
    return sp.simplify(J)


def penalty(kind: str, weight: sp.Expr, center: sp.Expr = sp.S.Zero) -> sp.Expr:
    """A gradient penalty written in ψ: ∇ₓD = ψ at every x (real, generated or interpolated).

    * ``"r1"``, ``"r2"``: (γ/2)·ψ² (Mescheder et al. 2018, eqs. 9–10) — one term in the
      Dirac-GAN, since ∇ₓD is the same on real and generated points;
    * ``"gp"``: λ·(|ψ| − κ)² (Gulrajani et al. 2017, eq. 3, with centre κ = 1; ``center``
      κ = 0 gives a zero-centred penalty on the interpolates)."""
    if kind in ("r1", "r2"):
        return weight / 2 * psi**2
    if kind == "gp":
        return weight * (sp.Abs(psi) - center) ** 2
    raise ValueError(f"penalty: unknown kind {kind!r}; valid: r1, r2, gp")


def linearised(name: str, gamma: float = 0.0, **params) -> dict:
    """The Dirac-GAN of objective ``name`` (``symbolic_losses``, ``params`` as in
    ``losses.get``) linearised at its equilibrium, with an R1 term (γ/2)ψ² of weight ``gamma``
    in the critic's loss (``penalty``; 0: plain gradient play).  Returns ``beta`` (β*),
    ``omega`` (√(−g_s d_s), the angular speed of plain play; 0 where ``g_s`` = ∂L_G/∂s
    vanishes and the equilibria form a line) and ``eigenvalues``: the (θ, ψ) block's, as
    complex numbers.  The equilibrium attracts when every eigenvalue has a negative real part
    (Mescheder et al. 2018, Theorem 4.1 for R1); a zero eigenvalue leaves θ unpulled."""
    L_D, L_G = symbolic_losses(name, **params)
    b = equilibrium(L_D)
    J = jacobian(vector_field(L_D, L_G, penalty("r1", sp.nsimplify(gamma))), b)
    g_s, d_s = -J[0, 1], -J[1, 0]
    return dict(beta=b, omega=float(sp.sqrt(sp.Max(-g_s * d_s, 0))),
                eigenvalues=[complex(sp.N(e)) for e, k in J[:2, :2].eigenvals().items()
                             for _ in range(k)])


def of_member(member: dict, gamma: float | None = None) -> dict:
    """``linearised`` for a ``train`` member dict (e.g. a loss-zoo row, ``recipes.chosen``):
    its objective with the objective's own parameters, and R1's γ from ``member["r1"]``
    (``gamma`` overrides it; 0: plain gradient play)."""
    name = member["objective"]
    params = {k: member[k] for k in _losses.parameters(name) if k in member}
    if gamma is None:
        gamma = member.get("r1") or 0.0
    return linearised(name, gamma=gamma, **params)


def alternating_map(J2: sp.Matrix, h: sp.Expr, n_critic: sp.Expr = 1) -> sp.Matrix:
    """The linearised update of (θ, ψ) by one round of *alternating* gradient steps of size h:
    ``n_critic`` critic steps with θ held, then one generator step with the new ψ — the order
    of ``ganlib.train``.  ``J2`` is the (θ, ψ) block of the Jacobian; the critic's steps act
    through its second row, the generator's through its first."""
    if isinstance(n_critic, sp.Symbol):              # θ held, ψ̇ = J21·θ: n steps add n·h·J21·θ
        if J2[1, 1] != 0:
            raise ValueError("alternating_map: a symbolic n_critic needs J2[1, 1] = 0")
        critic = sp.Matrix([[1, 0], [n_critic * h * J2[1, 0], 1]])
    else:
        critic = sp.Matrix([[1, 0], [J2[1, 0] * h, 1 + J2[1, 1] * h]]) ** int(n_critic)
    generator = sp.Matrix([[1 + J2[0, 0] * h, J2[0, 1] * h], [0, 1]])
    return sp.simplify(generator * critic)


# --------------------------------------------------------------------------
# torch: the game played with the library's losses
# --------------------------------------------------------------------------


def torch_vector_field(objective: _losses.Objective, state: torch.Tensor) -> torch.Tensor:
    """v(θ, ψ, β) computed by torch from the library's own losses (batches of one real point
    0 and one generated point θ, D(x) = ψx + β), differentiable again, so that
    ``torch.autograd.functional.jacobian`` of it is the Jacobian the SymPy losses predict."""
    th, ps, bt = state[0], state[1], state[2]
    real, fake = bt.reshape(1), (ps * th + bt).reshape(1)
    d_loss, g_loss = objective.d_loss(real, fake), objective.g_loss(real, fake)
    (g_th,) = torch.autograd.grad(g_loss, th, create_graph=True)
    g_ps, g_bt = torch.autograd.grad(d_loss, (ps, bt), create_graph=True)
    return -torch.stack([g_th, g_ps, g_bt])


def torch_jacobian(objective: _losses.Objective, beta_star: float) -> np.ndarray:
    """∂v/∂(θ, ψ, β) at (0, 0, β*) by float64 autograd through ``torch_vector_field``."""
    x0 = torch.tensor([0.0, 0.0, float(beta_star)], dtype=torch.float64)
    return torch.autograd.functional.jacobian(
        lambda x: torch_vector_field(objective, x), x0, create_graph=False).numpy()


def play(objective: str | _losses.Objective, steps: int, h: float, *, mode: str = "simultaneous",
         n_critic: int = 1, start=(1.0, 0.0), beta: float | None = None, r1: float = 0.0,
         r2: float = 0.0, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """The Dirac-GAN trained with plain gradient steps of size ``h`` in float64 autograd; returns
    the states ``[steps + 1, 3]`` = (θ, ψ, β) after each generator step.

    Each step computes the library's losses on the outputs ``D(0)`` and ``D(θ)`` (batches of
    one), the critic's loss plus the library's penalties — ``losses.zero_centred_penalty``
    times γ/2 for ``r1`` / ``r2``, ``losses.gradient_penalty`` times λ for WGAN-GP — and
    differentiates with torch.  ``mode="simultaneous"``: both players step from the same
    state; ``"alternating"``: ``n_critic`` critic steps, then the generator with the new
    critic (``ganlib.train``'s order).  ``noise`` > 0 adds instance noise N(0, noise²) to both
    points (a batch of 256 draws per step, from ``seed``).  ``start`` is (θ₀, ψ₀); the bias
    starts at ``beta`` (default: β*, the equilibrium's).  WGAN's clipping is not applied: near
    the equilibrium |ψ| is below any clip.
    """
    obj = _losses.get(objective) if isinstance(objective, str) else objective
    if mode not in MODES:
        raise ValueError(f"play: unknown mode {mode!r}; valid: {', '.join(MODES)}")
    if mode == "simultaneous" and n_critic != 1:
        raise ValueError("play: n_critic > 1 needs mode='alternating'")
    if beta is None:
        beta = float(equilibrium(symbolic_losses(obj.name, **obj.params)[0]))
    th = torch.tensor(float(start[0]), dtype=torch.float64, requires_grad=True)
    w = torch.tensor([float(start[1]), float(beta)], dtype=torch.float64, requires_grad=True)
    rng = torch.Generator().manual_seed(seed)
    n = 256 if noise else 1

    def D(x: torch.Tensor) -> torch.Tensor:          # [B, 1] → [B, 1]
        return w[0] * x + w[1]

    def points():
        real = torch.zeros(n, 1, dtype=torch.float64)
        fake = th.expand(n).reshape(n, 1)
        if noise:
            real = real + noise * torch.randn(n, 1, generator=rng, dtype=torch.float64)
            fake = fake + noise * torch.randn(n, 1, generator=rng, dtype=torch.float64)
        return real, fake

    def critic_grad() -> torch.Tensor:
        real, fake = points()
        loss = obj.d_loss(D(real), D(fake.detach()))
        if r1:
            loss = loss + r1 / 2 * _losses.zero_centred_penalty(D, real)
        if r2:
            loss = loss + r2 / 2 * _losses.zero_centred_penalty(D, fake)
        if obj.gp_weight:
            loss = loss + obj.gp_weight * _losses.gradient_penalty(D, real, fake, generator=rng)
        (grad,) = torch.autograd.grad(loss, w)
        return grad

    def generator_grad() -> torch.Tensor:
        real, fake = points()
        (grad,) = torch.autograd.grad(obj.g_loss(D(real), D(fake)), th)
        return grad

    states = [(th.item(), w[0].item(), w[1].item())]
    for _ in range(steps):
        if mode == "simultaneous":
            gd, gg = critic_grad(), generator_grad()
            with torch.no_grad():
                w -= h * gd
                th -= h * gg
        else:
            for _ in range(n_critic):
                gd = critic_grad()
                with torch.no_grad():
                    w -= h * gd
            gg = generator_grad()
            with torch.no_grad():
                th -= h * gg
        states.append((th.item(), w[0].item(), w[1].item()))
    out = np.array(states)
    if not np.isfinite(out).all():
        raise FloatingPointError(f"play: {obj.name} left the finite numbers within {steps} steps of h = {h}")
    return out
