"""Divergences against independent computations; the SymPy helpers can say no."""

import math

import numpy as np
import pytest
import sympy as sp
import torch
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr

from ganlib import divergences, symbolic
from ganlib.divergences import divergence


def test_kl_and_js_against_scipy_on_random_distributions():
    for p, q in symbolic.random_distributions(7, 50, seed=3, zeros=True):
        kl = float(np.sum(rel_entr(p.numpy(), q.numpy())))
        assert divergence("kl", p, q).item() == pytest.approx(kl, rel=1e-12) or math.isinf(kl)
        if math.isinf(kl):
            assert divergence("kl", p, q).item() == math.inf
        # scipy's jensenshannon is the square root of our JS (natural log)
        assert divergence("js", p, q).item() == pytest.approx(jensenshannon(p, q) ** 2, abs=1e-12)
        assert divergence("reverse_kl", p, q).item() == divergence("kl", q, p).item()


def test_exact_rational_values():
    p, q = [0.5, 0.5], [0.25, 0.75]
    assert divergence("kl", p, q).item() == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3), rel=1e-14)
    assert divergence("js", [1, 0], [0, 1]).item() == pytest.approx(math.log(2), rel=1e-15)
    assert divergence("kl", [1, 0], [1, 0]).item() == 0.0                # 0 log 0 = 0


def test_divergence_errors_name_the_choices():
    with pytest.raises(ValueError, match="valid names: kl, reverse_kl, js, pearson"):
        divergence("tv2", [1.0], [1.0])
    with pytest.raises(ValueError, match="sum to 1"):
        divergence("kl", [0.5, 0.6], [0.5, 0.5])
    with pytest.raises(ValueError, match="non-negative"):
        divergence("kl", [1.5, -0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="one support"):
        divergence("kl", [0.5, 0.5], [1 / 3] * 3)
    assert divergences.names() == ["kl", "reverse_kl", "js", "pearson", "neyman", "hellinger2", "tv", "w1"]


def test_pointwise_argmax_finds_the_optimal_discriminator_and_refuses_minima():
    a, b, y = sp.symbols("a b y", positive=True)
    assert symbolic.pointwise_argmax(a * sp.log(y) + b * sp.log(1 - y), y) == a / (a + b)
    with pytest.raises(ValueError, match="not shown to be a maximum"):
        symbolic.pointwise_argmax((y - a) ** 2, y)


def test_holds_on_simplex_accepts_true_and_rejects_false_identities():
    p, q, normalise = symbolic.distributions(3)
    m = [(pi + qi) / 2 for pi, qi in zip(p, q)]
    C = sum(pi * sp.log(pi / (pi + qi)) + qi * sp.log(1 - pi / (pi + qi)) for pi, qi in zip(p, q))
    assert symbolic.holds_on_simplex(C - (2 * symbolic.js(p, q) - sp.log(4)), normalise)
    assert not symbolic.holds_on_simplex(C - (2 * symbolic.js(p, q) - sp.log(2)), normalise)
    assert not symbolic.holds_on_simplex(C - (symbolic.js(p, q) - sp.log(4)), normalise)
    # without the normalisation Σp = Σq = 1 the identity is not true
    assert not symbolic.holds_on_simplex(C - (2 * symbolic.js(p, q) - sp.log(4)), {})


def test_random_distributions_are_distributions():
    for p, q in symbolic.random_distributions(5, 20, seed=0, zeros=True):
        for d in (p, q):
            assert d.dtype == torch.float64 and (d >= 0).all() and abs(d.sum().item() - 1) < 1e-12


def test_symbolic_pearson_divides_by_its_second_argument():
    a, b = [sp.Rational(1, 2), sp.Rational(1, 2)], [sp.Rational(1, 4), sp.Rational(3, 4)]
    assert symbolic.pearson(a, b) == sp.Rational(1, 16) / sp.Rational(1, 4) + sp.Rational(1, 16) / sp.Rational(3, 4)
    assert float(symbolic.pearson(a, b)) == pytest.approx(divergence("pearson", [0.5, 0.5], [0.25, 0.75]).item())
    assert symbolic.pearson(a, b) != symbolic.pearson(b, a)
