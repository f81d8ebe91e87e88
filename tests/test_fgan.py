"""The f-GAN family: derived conjugates against brute force, the bound, activations, divergences."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
import torch
from scipy.stats import wasserstein_distance

from ganlib import divergences as dv
from ganlib import losses, symbolic

MEMBERS = [("kl", {}), ("reverse_kl", {}), ("pearson", {}), ("neyman", {}), ("hellinger2", {}),
           ("js", {}), ("gan", {}), ("tv", {}), ("alpha", {"alpha": 0.5}), ("alpha", {"alpha": 2}),
           ("alpha", {"alpha": 3}), ("alpha", {"alpha": -1})]
IDS = [n + "".join(f"={v}" for v in p.values()) for n, p in MEMBERS]


@pytest.fixture(params=MEMBERS, ids=IDS)
def fd(request):
    name, params = request.param
    return dv.fgan(name, **params)


def test_conjugate_matches_a_brute_force_sup(fd):
    """f*(t) = sup_u {ut - f(u)}: compare with a maximum over a fine log-grid of u."""
    u = torch.logspace(-7, 7, 200_001, dtype=torch.float64)
    fu = fd.f(u)
    lo = fd.domain.inf if fd.domain.inf.is_finite else -6.0
    hi = float(fd.domain.sup) if fd.domain.sup.is_finite else 6.0
    for t in np.linspace(float(lo), hi, 41)[1:-1]:
        brute = torch.max(u * t - fu).item()
        derived = fd.conjugate(torch.tensor([t], dtype=torch.float64)).item()
        assert derived == pytest.approx(brute, abs=2e-4), (fd.name, t)


def test_outside_the_domain_the_sup_is_unbounded(fd):
    if not fd.domain.sup.is_finite:
        pytest.skip("dom f* is unbounded above")
    t = float(fd.domain.sup) + 0.1
    u = torch.logspace(0, 9, 10, dtype=torch.float64)
    values = u * t - fd.f(u)
    assert values[-1] > 1e7 and torch.all(values[1:] > values[:-1])


def test_activation_maps_the_reals_onto_the_domain(fd):
    v = dv.v
    g = fd.activation_expr
    low, high = sp.limit(g, v, -sp.oo), sp.limit(g, v, sp.oo)
    # the range of g_f covers f'((0, ∞)), where every optimum T* = f'(p/q) lives ...
    fp = sp.diff(fd.f_expr, symbolic.u)
    lo_fp, hi_fp = sp.limit(fp, symbolic.u, 0, "+"), sp.limit(fp, symbolic.u, sp.oo)
    assert high == hi_fp or sp.simplify(high - hi_fp) == 0
    assert low == -sp.oo or (lo_fp.is_finite and sp.simplify(low - lo_fp) <= 0)
    # ... and stays inside dom f*
    xs = torch.linspace(-30, 30, 601, dtype=torch.float64)
    gs = fd.activation(xs)
    assert torch.all(torch.diff(gs) >= 0)                                  # monotone
    assert all(fd.domain.contains(sp.Float(x)) for x in gs[::20].tolist())


def test_stable_torch_forms_equal_the_derived_expressions_in_high_precision(fd):
    """activation and f*(activation) against the SymPy expressions evaluated with 50 digits."""
    v, t = dv.v, symbolic.t
    g_mp = sp.lambdify(v, fd.activation_expr, modules="mpmath")
    comp = fd.conjugate_expr.rewrite(sp.Piecewise)
    c_mp = sp.lambdify(t, comp, modules="mpmath")
    xs = torch.linspace(-20, 20, 81, dtype=torch.float64)
    with mpmath.workdps(50):
        ref_g = [float(g_mp(mpmath.mpf(x))) for x in xs.tolist()]
        ref_c = [float(c_mp(g_mp(mpmath.mpf(x)))) for x in xs.tolist()]
    got_g, got_c = fd.activation(xs).tolist(), fd.conjugate_of_activation(xs).tolist()
    for x, a, b, c, d in zip(xs.tolist(), got_g, ref_g, got_c, ref_c):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-13), (fd.name, x)
        assert c == pytest.approx(d, rel=1e-9, abs=1e-12), (fd.name, x)


def test_bound_reaches_the_divergence_at_the_optimal_critic(fd):
    """E_p[T*] - E_q[f*(T*)] = D_f with T* = f'(p/q); any other T gives less (F3)."""
    u = symbolic.u
    fprime = sp.lambdify(u, sp.diff(fd.f_expr, u).rewrite(sp.Piecewise), modules="torch")
    gen = torch.Generator().manual_seed(0)
    for p, q in symbolic.random_distributions(5, 40, seed=11):
        D = dv.f_divergence(fd, p, q)
        T_star = fprime(p / q) * torch.ones_like(p)
        assert fd.bound(p, q, T_star).item() == pytest.approx(D.item(), rel=1e-9, abs=1e-12)
        for _ in range(5):
            T = fd.activation(torch.randn(5, generator=gen, dtype=torch.float64) * 3)
            assert fd.bound(p, q, T).item() <= D.item() + 1e-12


def test_f_divergences_agree_with_the_closed_forms_including_zeros():
    pairs = symbolic.random_distributions(6, 60, seed=5) + symbolic.random_distributions(6, 60, seed=6, zeros=True)
    same = ["kl", "reverse_kl", "pearson", "neyman", "hellinger2", "js", "tv"]
    for p, q in pairs:
        for name in same:
            a, b = dv.f_divergence(dv.fgan(name), p, q).item(), dv.divergence(name, p, q).item()
            assert (math.isinf(a) and math.isinf(b)) or a == pytest.approx(b, rel=1e-10, abs=1e-14), name
        gan = dv.f_divergence(dv.fgan("gan"), p, q).item()
        assert gan == pytest.approx(2 * dv.divergence("js", p, q).item() - math.log(4), abs=1e-12)
        assert dv.f_divergence(dv.fgan("alpha", alpha=2), p, q).item() == pytest.approx(
            dv.divergence("pearson", p, q).item() / 2, rel=1e-10) or math.isinf(dv.divergence("pearson", p, q))


def test_exact_values_of_the_new_divergences():
    p, q = [0.5, 0.5, 0.0], [0.25, 0.25, 0.5]
    assert dv.divergence("tv", p, q).item() == pytest.approx(0.5)
    assert dv.divergence("pearson", p, q).item() == pytest.approx(2 * 0.0625 / 0.25 + 0.25 / 0.5)
    assert dv.divergence("neyman", p, q).item() == math.inf            # q > 0 where p = 0
    assert dv.divergence("pearson", q, p).item() == math.inf
    assert dv.divergence("hellinger2", [1, 0], [0, 1]).item() == pytest.approx(2.0)
    assert dv.divergence("hellinger2", p, q).item() == pytest.approx(2 * (math.sqrt(.5) - .5) ** 2 + 0.5)


def test_w1_against_scipy_and_the_parallel_shift():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.normal(size=7)
        p, q = rng.dirichlet(np.ones(7)), rng.dirichlet(np.ones(7))
        ours = dv.divergence("w1", p, q, support=x).item()
        assert ours == pytest.approx(wasserstein_distance(x, x, p, q), rel=1e-10)
    # a point mass moved by θ: W1 = |θ| (the parallel-lines example in one dimension)
    for theta in (-2.5, 0.3, 4.0):
        x = [0.0, theta]
        assert dv.divergence("w1", [1.0, 0.0], [0.0, 1.0], support=x).item() == pytest.approx(abs(theta))


def test_bad_names_and_parameters_say_what_is_allowed():
    with pytest.raises(ValueError, match="valid names: kl, reverse_kl, pearson"):
        dv.fgan("chi2")
    for bad in (0, 1, 1.0, float("nan"), True):
        with pytest.raises(ValueError, match="other than 0 and 1"):
            dv.fgan("alpha", alpha=bad)
    with pytest.raises(ValueError, match="give the parameter alpha"):
        dv.fgan("alpha")
    with pytest.raises(ValueError, match="accepted: none"):
        dv.fgan("kl", alpha=0.5)
    with pytest.raises(ValueError, match="needs the support"):
        dv.divergence("w1", [1.0, 0.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="takes no support"):
        dv.divergence("tv", [1.0, 0.0], [0.0, 1.0], support=[0.0, 1.0])
    with pytest.raises(ValueError, match="'alternative' or 'saturating'"):
        losses.get("fgan", generator="nonsaturating")


def test_fgan_objective_with_the_gan_row_is_the_vanilla_gan():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, generator=g) * 4, torch.randn(64, generator=g) * 4
    alt, sat = losses.get("fgan", divergence="gan"), losses.get("fgan", divergence="gan", generator="saturating")
    assert torch.allclose(alt.d_loss(real, fake), losses.minimax_d(real, fake))
    assert torch.allclose(alt.g_loss(real, fake), losses.nonsaturating_g(real, fake))
    assert torch.allclose(sat.g_loss(real, fake), losses.minimax_g(real, fake))


def test_symbolic_conjugate_and_biconjugate():
    u, t = symbolic.u, symbolic.t
    f_star, dom = symbolic.conjugate(u * sp.log(u))
    assert sp.simplify(f_star - sp.exp(t - 1)) == 0 and dom == sp.Interval(-sp.oo, sp.oo)
    assert sp.simplify(symbolic.biconjugate(f_star, dom) - u * sp.log(u)) == 0
    f_star, dom = symbolic.conjugate(sp.Abs(u - 1) / 2)
    assert dom == sp.Interval(-sp.oo, sp.Rational(1, 2))
    assert [f_star.subs(t, x) for x in (-1, 0, sp.Rational(1, 4))] == [-sp.Rational(1, 2), 0, sp.Rational(1, 4)]
    with pytest.raises(ValueError, match="one root"):
        symbolic.conjugate(u**3 / 3 - u**2)       # not convex: f'(u) = t has two roots through u = 1
