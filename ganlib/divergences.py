"""Divergences between discrete distributions, with zeros handled exactly.

Conventions (the book's, stated once in the introduction's table and used everywhere):

* ``p`` and ``q`` are 1-D tensors of probabilities over the same support that
  each sum to 1; ``p`` is the data distribution, ``q`` the generator's.
* natural logarithms;
* ``kl``:         KL(p ‖ q) = Σ p log(p/q), with 0·log(0/q) = 0 and
                  p·log(p/0) = +inf for p > 0;
* ``reverse_kl``: KL(q ‖ p), the same with the arguments swapped;
* ``js``:         JS(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m),  m = (p + q)/2, so that
                  0 ≤ JS ≤ log 2 (the "½-normalised" Jensen–Shannon divergence);
* ``pearson``:    χ²_P(p ‖ q) = Σ (p - q)²/q     (f(u) = (u - 1)²; +inf if q = 0 < p);
* ``neyman``:     χ²_N(p ‖ q) = Σ (p - q)²/p     (f(u) = (1 - u)²/u; +inf if p = 0 < q);
* ``hellinger2``: H²(p ‖ q) = Σ (√p - √q)²       (no ½ in front, so 0 ≤ H² ≤ 2);
* ``tv``:         TV(p ‖ q) = ½ Σ |p - q|        (0 ≤ TV ≤ 1);
* ``w1``:         W₁(p, q) on real support points x (keyword ``support``):
                  Σ_i |F_p(x_i) - F_q(x_i)| (x_{i+1} - x_i) over the sorted points,
                  the earth mover's distance with cost |x - y|.

Every f-divergence here is D_f(P ‖ Q) = Σ q f(p/q) with the limits 0·f(0/0) = 0,
0·f(p/0) = p·lim_{u→∞} f(u)/u (the book's convention; claim F1).  ``fgan``
builds the f-GAN family — f, its Fenchel conjugate f* *derived* by
``ganlib.symbolic.conjugate``, dom f*, an output activation g_f and f′(1) —
and ``f_divergence`` evaluates any member on discrete distributions.

Each is differentiable where it is finite, so the book can take gradients
through it (claim V6).

``softplus`` (accurate in float64) lives here too, the one numerical primitive that the
divergences and ``ganlib.losses`` (which builds the f-GAN objectives from this module) share.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp
import torch
import torch.nn.functional as F

from . import symbolic

Tensor = torch.Tensor


def softplus(v: Tensor) -> Tensor:
    """softplus(v) = log(1 + e^v), accurate to float64 precision everywhere.

    torch's default switches to the identity above v = 20, an absolute error of
    e^-20 ≈ 2e-9 — invisible in float32, a real error in float64.  Above 40 the
    error is e^-40 ≈ 4e-18, below float64's resolution of 40, and e^40 is still
    finite in float32.
    """
    return F.softplus(v, beta=1.0, threshold=40.0)


def _as_distribution(x, name: str) -> Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x, dtype=np.float64))
    if not t.is_floating_point():
        t = t.double()
    if t.dim() != 1 or t.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D distribution, got shape {list(t.shape)}")
    if not torch.isfinite(t).all() or (t < 0).any():
        raise ValueError(f"{name} must hold finite non-negative probabilities")
    total = float(t.detach().sum())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1, sums to {total:.8g}")
    return t


def _as_pair(p, q) -> tuple[Tensor, Tensor]:
    """Both checked as distributions on one support; q in p's dtype."""
    p, q = _as_distribution(p, "p"), _as_distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q need one support: shapes {list(p.shape)} and {list(q.shape)}")
    return p, q.to(p.dtype)


def kl(p: Tensor, q: Tensor) -> Tensor:
    """KL(p ‖ q) = Σ_x p(x) log(p(x)/q(x)); +inf if q = 0 somewhere p > 0."""
    pos = p > 0
    safe_p = torch.where(pos, p, torch.ones_like(p))
    safe_q = torch.where(pos, q, torch.ones_like(q))
    terms = torch.where(pos, p * (torch.log(safe_p) - torch.log(safe_q)), torch.zeros_like(p))
    return terms.sum()


def reverse_kl(p: Tensor, q: Tensor) -> Tensor:
    """KL(q ‖ p): the generator's distribution first."""
    return kl(q, p)


def js(p: Tensor, q: Tensor) -> Tensor:
    """JS(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2; always in [0, log 2]."""
    m = 0.5 * (p + q)
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def _ratio_sum(num: Tensor, den: Tensor) -> Tensor:
    """Σ num/den with num/0 = +inf for num > 0 and 0/0 = 0."""
    safe = torch.where(den > 0, den, torch.ones_like(den))
    terms = torch.where(den > 0, num / safe,
                        torch.where(num > 0, torch.full_like(num, math.inf), torch.zeros_like(num)))
    return terms.sum()


def pearson(p: Tensor, q: Tensor) -> Tensor:
    """Pearson χ²(p ‖ q) = Σ (p - q)²/q; +inf if q = 0 somewhere p > 0."""
    return _ratio_sum((p - q) ** 2, q)


def neyman(p: Tensor, q: Tensor) -> Tensor:
    """Neyman χ²(p ‖ q) = Σ (p - q)²/p; +inf if p = 0 somewhere q > 0."""
    return _ratio_sum((p - q) ** 2, p)


def hellinger2(p: Tensor, q: Tensor) -> Tensor:
    """Squared Hellinger distance H²(p ‖ q) = Σ (√p - √q)², in [0, 2] (no ½ in front)."""
    return ((p.sqrt() - q.sqrt()) ** 2).sum()


def tv(p: Tensor, q: Tensor) -> Tensor:
    """Total variation TV(p ‖ q) = ½ Σ |p - q|, in [0, 1]."""
    return 0.5 * (p - q).abs().sum()


def w1(p: Tensor, q: Tensor, support: Tensor) -> Tensor:
    """Wasserstein-1 distance on the real line: ∫ |F_p - F_q| dx.

    ``support`` holds the points x_i that carry the masses p_i, q_i; with the
    points sorted, W₁ = Σ_i |F_p(x_i) - F_q(x_i)| (x_{i+1} - x_i).
    """
    order = torch.argsort(support)
    x, p, q = support[order], p[order], q[order]
    cdf_gap = (torch.cumsum(p, 0) - torch.cumsum(q, 0))[:-1].abs()
    return (cdf_gap * (x[1:] - x[:-1])).sum()


# Each divergence under its function's name.
DIVERGENCES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    f.__name__: f for f in (kl, reverse_kl, js, pearson, neyman, hellinger2, tv, w1)}


def names() -> list[str]:
    """Every divergence's registry name."""
    return list(DIVERGENCES)


def divergence(name: str, p, q, support=None) -> Tensor:
    """The divergence ``name`` between discrete distributions ``p`` and ``q``.

    ``p`` and ``q`` are 1-D (tensors, arrays or lists) of one length that each
    sum to 1.  ``support`` (the real points carrying the masses) is required by
    ``w1`` and refused by the others.  Returns a 0-d tensor (+inf where the
    divergence is infinite).
    """
    if name not in DIVERGENCES:
        raise ValueError(f"unknown divergence {name!r}; valid names: {', '.join(names())}")
    p, q = _as_pair(p, q)
    if name == "w1":
        if support is None:
            raise ValueError("w1 needs the support points: divergence('w1', p, q, support=x)")
        x = torch.as_tensor(support, dtype=p.dtype)
        if x.shape != p.shape or not torch.isfinite(x).all():
            raise ValueError(f"support must hold {p.shape[0]} finite points, got shape {list(x.shape)}")
        return w1(p, q, x)
    if support is not None:
        raise ValueError(f"{name} takes no support points (only w1 does)")
    return DIVERGENCES[name](p, q)


# --------------------------------------------------------------------------
# The f-GAN family (Nowozin et al. 2016): f, a derived conjugate f*, dom f*,
# an output activation g_f and f′(1) — claims F1–F4.
# --------------------------------------------------------------------------

v = sp.Symbol("v", real=True)   # the critic network's raw output; T(x) = g_f(v)


def _softplus_expr(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(x))


def _softplus_minus_log2(x: Tensor) -> Tensor:
    """softplus(x) - log 2 = log1p(expm1(x) / 2), accurate to a few ulps near x = 0, where the
    difference of the two ~0.69 terms would keep only the bits of x that survive log 2's."""
    return torch.where(x < 1, torch.log1p(torch.expm1(torch.clamp(x, max=1)) / 2),
                       softplus(x) - math.log(2.0))


def _log_softplus(x: Tensor) -> Tensor:
    """log(softplus(x)), finite where softplus(x) underflows (x → -∞: ≈ x)."""
    return torch.where(x < -30, x, torch.log(softplus(torch.clamp(x, min=-30))))


@dataclass(frozen=True)
class FDivergence:
    """One member of the f-GAN family, as SymPy expressions and torch callables.

    SymPy (in ``symbolic.u``, ``symbolic.t`` and ``divergences.v``): ``f_expr``
    (the generator function, D_f(P‖Q) = Σ q f(p/q)), ``conjugate_expr`` (f*,
    *derived* from f by ``symbolic.conjugate``), ``domain`` (dom f*),
    ``activation_expr`` (g_f, mapping a raw output v into dom f*), ``f_prime_1``
    (f′(1); an interval — the subdifferential — where f has a kink at 1).

    torch: ``f``, ``conjugate`` (both generated from the SymPy expressions),
    ``activation`` (g_f) and ``conjugate_of_activation`` (f*(g_f(v))): the last
    two written in stable forms, checked against the derived expressions in
    ``tests/test_fgan.py`` and the f-GAN chapter.
    """

    name: str
    params: dict
    f_expr: sp.Expr
    conjugate_expr: sp.Expr
    domain: sp.Interval
    activation_expr: sp.Expr
    f_prime_1: sp.Expr
    f_at_0: sp.Expr            # f(0⁺): the weight of points with p = 0
    slope_at_inf: sp.Expr      # lim f(u)/u: the weight of points with q = 0
    activation: Callable[[Tensor], Tensor] = field(repr=False)
    conjugate_of_activation: Callable[[Tensor], Tensor] = field(repr=False)
    f: Callable[[Tensor], Tensor] = field(repr=False)
    conjugate: Callable[[Tensor], Tensor] = field(repr=False)

    def bound(self, p: Tensor, q: Tensor, T: Tensor) -> Tensor:
        """The variational lower bound E_p[T] - E_q[f*(T)] ≤ D_f(P ‖ Q) (claim F3)."""
        return (p * T).sum() - (q * self.conjugate(T)).sum()


def _alpha_f(alpha: sp.Rational) -> sp.Expr:
    u = symbolic.u
    return (u**alpha - 1 - alpha * (u - 1)) / (alpha * (alpha - 1))


# name -> (f(u), g_f(v) in SymPy, stable torch g_f, stable torch f*(g_f(v)))
def _family(name: str, alpha: sp.Rational | None):
    u = symbolic.u
    if name == "kl":
        return (u * sp.log(u), v, lambda x: x, lambda x: torch.exp(x - 1))
    if name == "reverse_kl":
        return (-sp.log(u), -sp.exp(-v), lambda x: -torch.exp(-x), lambda x: x - 1)
    if name == "pearson":
        return ((u - 1) ** 2, v, lambda x: x,
                lambda x: torch.where(x <= -2, -torch.ones_like(x), x**2 / 4 + x))
    if name == "neyman":
        return ((1 - u) ** 2 / u, 1 - sp.exp(-v), lambda x: -torch.expm1(-x),
                lambda x: -2 * torch.expm1(-x / 2))
    if name == "hellinger2":
        return ((sp.sqrt(u) - 1) ** 2, 1 - sp.exp(-v), lambda x: -torch.expm1(-x), torch.expm1)
    if name == "js":
        return ((u * sp.log(u) - (u + 1) * sp.log((u + 1) / 2)) / 2,
                (sp.log(2) - _softplus_expr(-v)) / 2,
                lambda x: -_softplus_minus_log2(-x) / 2,
                lambda x: _softplus_minus_log2(x) / 2)
    if name == "gan":
        return (u * sp.log(u) - (u + 1) * sp.log(u + 1), -_softplus_expr(-v),
                lambda x: -softplus(-x), softplus)
    if name == "tv":
        return (sp.Abs(u - 1) / 2, sp.tanh(v) / 2, lambda x: torch.tanh(x) / 2,
                lambda x: torch.tanh(x) / 2)
    if name == "alpha":
        a = float(alpha)
        power = a / (a - 1)
        if alpha < 1:   # dom f* = (-∞, 1/(1-α)); 1 + (α-1) g_f(v) = (1-α) softplus(-v)
            return (_alpha_f(alpha), 1 / (1 - alpha) - _softplus_expr(-v),
                    lambda x: 1 / (1 - a) - softplus(-x),
                    lambda x: torch.expm1(power * (math.log(1 - a) + _log_softplus(-x))) / a)
        # α > 1: dom f* = ℝ, f* constant (-1/α) below 1/(1-α); g_f = v.  Above the kink
        # ((1 + (α-1)v)^p - 1)/α = expm1(p·log1p((α-1)v))/α, exact near v = 0; the filler 1
        # keeps the unused branch (and so its gradient) finite below the kink.
        def conj_alpha_gt_1(x: Tensor) -> Tensor:
            above = x > 1 / (1 - a)
            y = torch.where(above, (a - 1) * x, torch.ones_like(x))
            return torch.where(above, torch.expm1(power * torch.log1p(y)) / a,
                               torch.full_like(x, -1 / a))
        return (_alpha_f(alpha), v, lambda x: x, conj_alpha_gt_1)
    raise AssertionError(name)


FGAN_NAMES = ["kl", "reverse_kl", "pearson", "neyman", "hellinger2", "js", "gan", "tv", "alpha"]


def fgan(name: str, **params) -> FDivergence:
    """The f-GAN family member ``name`` (``alpha`` takes ``alpha=``, not 0 or 1).

    Conventions: D_f(P ‖ Q) = Σ q f(p/q); f*(t) = sup_{u>0} {ut - f(u)}.  The
    ``js`` member is the book's ½-normalised JS (the f-GAN paper's Jensen–Shannon
    row is 2·JS); ``gan`` is 2·JS - log 4, the vanilla GAN's criterion.
    """
    if name not in FGAN_NAMES:
        raise ValueError(f"unknown f-divergence {name!r}; valid names: {', '.join(FGAN_NAMES)}")
    accepted = ["alpha"] if name == "alpha" else []
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ValueError(f"fgan {name}: unknown parameter(s) {', '.join(unknown)}; "
                         f"accepted: {', '.join(accepted) or 'none'}")
    alpha = None
    if name == "alpha":
        if "alpha" not in params:
            raise ValueError("fgan alpha: give the parameter alpha (any finite number except 0 and 1)")
        a = params["alpha"]
        if isinstance(a, bool) or not isinstance(a, (int, float)) or not math.isfinite(a) or a in (0, 1):
            raise ValueError(f"fgan alpha: alpha must be a finite number other than 0 and 1 "
                             f"(there the closed form is undefined; use kl or reverse_kl), got {a!r}")
        alpha = sp.nsimplify(a, rational=True)
    return _fgan(name, alpha)


@functools.lru_cache(maxsize=None)
def _fgan(name: str, alpha) -> FDivergence:
    u, t = symbolic.u, symbolic.t
    f_expr, g_expr, activation, conj_act = _family(name, alpha)
    f_star, domain = symbolic.conjugate(f_expr)
    left = sp.limit(sp.diff(f_expr, u), u, 1, "-")
    right = sp.limit(sp.diff(f_expr, u), u, 1, "+")
    f_prime_1 = left if left == right else sp.Interval(left, right)
    f_torch = sp.lambdify(u, f_expr, modules="torch")
    return FDivergence(
        name=name,
        params={} if alpha is None else {"alpha": float(alpha)},
        f_expr=f_expr,
        conjugate_expr=f_star,
        domain=domain,
        activation_expr=g_expr,
        f_prime_1=f_prime_1,
        f_at_0=sp.limit(f_expr, u, 0, "+"),
        slope_at_inf=sp.limit(f_expr / u, u, sp.oo),
        activation=activation,
        conjugate_of_activation=conj_act,
        f=lambda x: f_torch(x) * torch.ones_like(x),
        conjugate=sp.lambdify(t, f_star.rewrite(sp.Piecewise), modules="torch"),
    )


def f_divergence(fd: FDivergence, p, q) -> Tensor:
    """D_f(P ‖ Q) = Σ_x q(x) f(p(x)/q(x)) for discrete distributions, zeros exact.

    Points with q = 0 < p contribute p·lim_{u→∞} f(u)/u (possibly +inf); points
    with p = 0 < q contribute q·f(0⁺); points with p = q = 0 nothing.
    """
    p, q = _as_pair(p, q)
    both = (p > 0) & (q > 0)
    ratio = torch.where(both, p / torch.where(q > 0, q, torch.ones_like(q)), torch.ones_like(p))
    inner = torch.where(both, q * fd.f(ratio), torch.zeros_like(p))
    only_p = torch.where((p > 0) & (q == 0), p * float(fd.slope_at_inf), torch.zeros_like(p))
    only_q = torch.where((q > 0) & (p == 0), q * float(fd.f_at_0), torch.zeros_like(p))
    return inner.sum() + only_p.sum() + only_q.sum()
