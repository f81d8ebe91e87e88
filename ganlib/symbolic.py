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
