"""The SymPy helpers the derivation chapters share.

Three things recur in every chapter, so they live here:

* ``pointwise_argmax``: the optimal discriminator.  An objective integrates
  ``f(p(x), q(x), D(x))`` over x; D can take any value at each x, so the best D
  maximises the integrand pointwise.  We solve ∂f/∂y = 0 and check that the
  root is a maximum (∂²f/∂y² < 0 there).
* ``distributions`` and ``holds_on_simplex``: an identity about expectations
  over general n-point distributions p, q — after ``expand_log`` and the
  constraints Σp = Σq = 1, the difference must reduce to exactly 0.
* ``random_distributions``: the numeric twin of every symbolic check.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
import torch


def pointwise_argmax(integrand: sp.Expr, y: sp.Symbol) -> sp.Expr:
    """The unique stationary point of ``integrand`` in ``y``, checked to be a maximum.

    Raises ``ValueError`` if there is not exactly one stationary point or if
    the second derivative there cannot be shown negative under the symbols'
    assumptions.
    """
    roots = sp.solve(sp.diff(integrand, y), y)
    if len(roots) != 1:
        raise ValueError(f"expected one stationary point in {y}, found {roots}")
    (root,) = roots
    curvature = sp.simplify(sp.diff(integrand, y, 2).subs(y, root))
    if not curvature.is_negative:
        raise ValueError(f"stationary point {root} is not shown to be a maximum "
                         f"(second derivative {curvature})")
    return sp.simplify(root)


def distributions(n: int) -> tuple[list[sp.Symbol], list[sp.Symbol], dict]:
    """Positive symbols p_1..p_n, q_1..q_n and the substitution that normalises them.

    Returns ``(p, q, normalise)`` where ``normalise`` maps p_n ↦ 1 - Σ_{i<n} p_i
    and q_n ↦ 1 - Σ_{i<n} q_i.
    """
    if n < 2:
        raise ValueError(f"distributions: need n >= 2 points, got {n}")
    p = list(sp.symbols(f"p_1:{n + 1}", positive=True))
    q = list(sp.symbols(f"q_1:{n + 1}", positive=True))
    normalise = {p[-1]: 1 - sum(p[:-1]), q[-1]: 1 - sum(q[:-1])}
    return p, q, normalise


def holds_on_simplex(difference: sp.Expr, normalise: dict) -> bool:
    """True if ``difference`` (lhs - rhs) is identically 0 once Σp = Σq = 1.

    Each log's argument is factored and the logs expanded (valid: the
    symbols are positive), then the normalising substitution is applied, then
    the result is simplified.
    """
    factored = difference.replace(lambda e: isinstance(e, sp.log),
                                  lambda e: sp.log(sp.factor(e.args[0])))
    expanded = sp.expand(sp.expand_log(factored, force=True))
    return sp.simplify(expanded.subs(normalise)) == 0


def kl(a: list, b: list) -> sp.Expr:
    """Σ_i a_i log(a_i / b_i): KL(a ‖ b) for lists of SymPy expressions."""
    return sum(ai * sp.log(ai / bi) for ai, bi in zip(a, b))


def js(a: list, b: list) -> sp.Expr:
    """½ KL(a ‖ m) + ½ KL(b ‖ m), m = (a + b)/2: the book's Jensen–Shannon divergence."""
    m = [(ai + bi) / 2 for ai, bi in zip(a, b)]
    return (kl(a, m) + kl(b, m)) / 2


def pearson(a: list, b: list) -> sp.Expr:
    """Σ_i (a_i - b_i)² / b_i: Pearson χ²(a ‖ b), the denominator the *second* argument."""
    return sum((ai - bi) ** 2 / bi for ai, bi in zip(a, b))


def random_distributions(n: int, count: int, seed: int = 0, zeros: bool = False):
    """``count`` pairs (p, q) of random n-point distributions, float64 tensors.

    Drawn from a flat Dirichlet.  With ``zeros=True`` about a quarter of the
    entries of each are set to 0 (then renormalised), to exercise the edge
    cases 0·log 0 and disjoint supports.
    """
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(count):
        p, q = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
        if zeros:
            for d in (p, q):
                mask = rng.random(n) < 0.25
                if mask.all():
                    mask[rng.integers(n)] = False
                d[mask] = 0.0
                d /= d.sum()
        pairs.append((torch.tensor(p), torch.tensor(q)))
    return pairs


# --------------------------------------------------------------------------
# Fenchel conjugates (f-GAN, claims F2–F4)
# --------------------------------------------------------------------------

u = sp.Symbol("u", positive=True)   # the likelihood ratio p(x)/q(x)
t = sp.Symbol("t", real=True)       # the conjugate's argument: the critic's value T(x)


def _below(hi: sp.Expr, t: sp.Symbol) -> tuple[sp.Symbol, sp.Expr]:
    """(variable, t written in it): (s, hi - s) with s > 0 where hi is finite, else (t, t)."""
    if not hi.is_finite:
        return t, t
    s = sp.Symbol("s", positive=True)
    return s, hi - s


def _log_of_reciprocal(e: sp.log) -> sp.Expr:
    """log(±1/x) -> -log(±x): the form the f-GAN tables print."""
    num, den = sp.fraction(sp.together(e.args[0]))
    return -sp.log(sp.expand(den * num)) if num in (1, -1) else e


def conjugate(f: sp.Expr, u: sp.Symbol = u, t: sp.Symbol = t) -> tuple[sp.Expr, sp.Interval]:
    """The Fenchel conjugate f*(t) = sup_{u > 0} {u t - f(u)} and its domain.

    ``f`` must be convex on u > 0.  Two cases are derived:

    * smooth, strictly convex f: the supremum is attained where f'(u) = t, so
      f*(t) = t u*(t) - f(u*(t)) with u*(t) the root of f'(u) = t that passes
      through u* = 1 at t = f'(1), valid for t in the range f'((0, ∞)) = (lo, hi);
    * piecewise-linear f (an ``Abs``): the supremum of the concave piecewise-linear
      function u t - f(u) sits at u = 0 or at a kink, so f* is a ``Max`` over those.

    Outside (lo, hi): for t > hi the supremum is +∞ (t is not in dom f*); the end
    point hi belongs to dom f* when u·hi - f(u) stays bounded as u → ∞; for t ≤ lo
    (lo finite) the supremum is at u → 0, f*(t) = -f(0⁺).  Returns
    ``(f_star, domain)``; ``f_star`` is a ``Piecewise`` where lo is finite.
    """
    fp = sp.diff(f, u)
    lo, hi = sp.limit(fp, u, 0, "+"), sp.limit(fp, u, sp.oo)
    at_zero = sp.limit(f, u, 0, "+")
    top_finite = bool(sp.limit(u * hi - f, u, sp.oo).is_finite) if hi.is_finite else False
    domain = sp.Interval(-sp.oo, hi, left_open=True, right_open=not top_finite)
    if f.has(sp.Abs):
        kinks = {r for a in f.atoms(sp.Abs) for r in sp.solve(a.args[0], u) if r.is_positive}
        return sp.Max(*[t * k - f.subs(u, k) for k in sorted(kinks)], -at_zero), domain

    # SymPy cannot carry "t < hi" as an assumption: where hi is finite, write t = hi - s, s > 0.
    var, t_in = _below(hi, t)
    # f'(u) = t may have spurious roots (a negative square root); the true inverse of f'
    # passes through u = 1 at t = f'(1).
    at_one = sp.solve(sp.Eq(t_in, fp.subs(u, 1)), var)[0]
    roots = [r for r in sp.solve(sp.Eq(fp, t_in), u) if sp.simplify(r.subs(var, at_one) - 1) == 0]
    if len(roots) != 1:
        raise ValueError(f"conjugate: expected one root of f'(u) = t, found {roots}")
    f_star = sp.simplify(t_in * roots[0] - f.subs(u, roots[0]))
    if var != t:
        f_star = sp.simplify(f_star.subs(var, hi - t))
    f_star = f_star.replace(lambda e: isinstance(e, sp.log), _log_of_reciprocal)
    if lo.is_finite:
        f_star = sp.Piecewise((-at_zero, t <= lo), (f_star, True))
    return f_star, domain


def smooth_branch(f_star: sp.Expr) -> sp.Expr:
    """The formula of a conjugate on the range of f′: the last branch of a ``Piecewise``
    (the first is the constant -f(0⁺) below that range), or ``f_star`` itself."""
    return f_star.args[-1][0] if isinstance(f_star, sp.Piecewise) else f_star


def biconjugate(f_star: sp.Expr, domain: sp.Interval, u: sp.Symbol = u, t: sp.Symbol = t) -> sp.Expr:
    """f**(u) = sup_{t ∈ dom f*} {u t - f*(t)} for u > 0 (claim F2: f** = f).

    Smooth f*: the supremum is attained where (f*)'(t) = u.  Piecewise-linear f*
    (a ``Max``): at a kink or at a finite end point of the domain.
    """
    hi = domain.sup
    if isinstance(f_star, sp.Max):
        args = list(f_star.args)
        kinks = {r for i, a in enumerate(args) for b in args[i + 1:] for r in sp.solve(a - b, t)}
        ends = {e for e in (domain.inf, domain.sup) if e.is_finite}
        return sp.Max(*[u * c - f_star.subs(t, c) for c in sorted(kinks | ends)])
    smooth = smooth_branch(f_star)
    var, t_in = _below(hi, t)
    expr = smooth.subs(t, t_in)
    # (f*)'(t) = u, with d/dt = (d/dvar) / (dt/dvar)
    roots = sp.solve(sp.Eq(sp.diff(expr, var) / sp.diff(t_in, var), u), var)
    if len(roots) != 1:
        raise ValueError(f"biconjugate: expected one root of f*'(t) = u, found {roots}")
    return sp.simplify(u * t_in.subs(var, roots[0]) - expr.subs(var, roots[0]))
