"""The Dirac-GAN (ganlib.dirac): the SymPy losses are the library's, the SymPy Jacobian is
autograd's, and the torch game follows the maps the derivation chapter predicts."""

import math

import numpy as np
import pytest
import sympy as sp
import torch

from ganlib import dirac, losses
from ganlib.dirac import r, s

CASES = [("minimax", {}), ("nonsaturating", {}), ("lsgan", {}), ("lsgan", dict(a=0, b=1, c=1)),
         ("bgan", {}), ("softmax", {}), ("wgan", {}), ("wgan-gp", {}), ("hinge", {}),
         ("fgan", dict(divergence="kl")), ("fgan", dict(divergence="tv")),
         ("fgan", dict(divergence="hellinger2", generator="saturating")),
         ("fgan", dict(divergence="alpha", alpha=2))]


@pytest.mark.parametrize("name, params", CASES, ids=lambda c: str(c))
def test_the_sympy_losses_and_jacobian_are_the_librarys(name, params):
    L_D, L_G = dirac.symbolic_losses(name, **params)
    obj = losses.get(name, **params)
    f_D, f_G = (sp.lambdify((r, s), L, "math") for L in (L_D, L_G))
    gen = torch.Generator().manual_seed(1)
    for rr, ss in (torch.rand(50, 2, generator=gen, dtype=torch.float64) * 1.8 - 0.9).tolist():
        rt, st = torch.tensor([rr], dtype=torch.float64), torch.tensor([ss], dtype=torch.float64)
        assert f_D(rr, ss) == pytest.approx(obj.d_loss(rt, st).item(), abs=1e-12)
        assert f_G(rr, ss) == pytest.approx(obj.g_loss(rt, st).item(), abs=1e-12)
    b = dirac.equilibrium(L_D)
    assert sp.simplify(dirac.vector_field(L_D, L_G).subs({dirac.theta: 0, dirac.psi: 0, dirac.beta: b})) \
        == sp.zeros(3, 1)                                                  # it is an equilibrium
    J = np.array(dirac.jacobian(dirac.vector_field(L_D, L_G), b).evalf(), dtype=float)
    assert np.abs(J - dirac.torch_jacobian(obj, float(b))).max() < 1e-12


def test_the_equilibrium_output_is_lsgans_midpoint_and_the_f_gans_inverse_activation():
    assert dirac.equilibrium(dirac.symbolic_losses("lsgan", a=0, b=1, c=1)[0]) == sp.Rational(1, 2)
    assert dirac.equilibrium(dirac.symbolic_losses("lsgan", a=-3, b=5, c=0)[0]) == 1
    assert dirac.equilibrium(dirac.symbolic_losses("fgan", divergence="kl")[0]) == 1   # g = v, f'(1) = 1


def radius(states):
    return np.hypot(states[:, 0], states[:, 1])


def test_simultaneous_steps_on_wgan_grow_the_radius_by_the_predicted_factor():
    h = 0.1                                  # WGAN is linear: the map is exactly I + hJ, ω = 1
    states = dirac.play("wgan", 100, h, start=(0.3, 0.4))
    assert np.allclose(radius(states)[1:] / radius(states)[:-1], math.sqrt(1 + h**2), rtol=1e-12)


def test_alternating_steps_conserve_the_quadratic_form():
    h, n = 0.3, 3                            # Q_h = n d θ² + n h d g θψ - g ψ², d = 1, g = -1 (WGAN)
    states = dirac.play("wgan", 200, h, mode="alternating", n_critic=n, start=(0.5, 0.0))
    th, ps = states[:, 0], states[:, 1]
    Q = n * th**2 - n * h * th * ps + ps**2
    assert np.allclose(Q, Q[0], rtol=1e-12)
    assert radius(states).max() > 1.1 * radius(states)[0] > radius(states).min() * 1.1  # an ellipse


def test_r1_makes_simultaneous_steps_converge_and_its_absence_does_not():
    plain = dirac.play("nonsaturating", 300, 0.2, start=(0.1, 0.0))
    damped = dirac.play("nonsaturating", 300, 0.2, start=(0.1, 0.0), r1=1.0)
    assert radius(plain)[-1] > radius(plain)[0]
    assert radius(damped)[-1] < 1e-3 * radius(damped)[0]
    assert radius(dirac.play("wgan", 300, 0.2, start=(0.1, 0.0), r2=1.0))[-1] < 1e-3


def test_bad_arguments_name_the_valid_choices():
    with pytest.raises(ValueError, match="valid: simultaneous, alternating"):
        dirac.play("wgan", 3, 0.1, mode="leapfrog")
    with pytest.raises(ValueError, match="n_critic > 1 needs mode='alternating'"):
        dirac.play("wgan", 3, 0.1, n_critic=2)
    with pytest.raises(ValueError, match="valid: r1, r2, gp"):
        dirac.penalty("r3", 1)
    with pytest.raises(ValueError, match="valid names: minimax"):
        dirac.symbolic_losses("gan")


def test_of_member_linearises_a_zoo_row_with_its_own_parameters_and_gamma():
    member = dict(objective="lsgan", optimizer="adam", lr_d=1e-4, lr_g=1e-3, a=0.0, b=1.0,
                  c=1.0, r1=10.0, g_ema=0.999)                     # the LSGAN R1 row's keys
    got = sorted(dirac.of_member(member)["eigenvalues"], key=lambda e: (e.real, e.imag))
    assert got == pytest.approx(sorted(np.roots([1, 10.0, 0.25]), key=lambda e: (e.real, e.imag)),
                                abs=1e-12)                         # λ² + γλ + ω², ω = 1/2
    assert [e.real for e in dirac.of_member(member, gamma=0.0)["eigenvalues"]] == \
        pytest.approx([0.0, 0.0], abs=1e-12)                      # plain play circles
    r1_row = dict(objective="wgan", clip=None, n_critic=5, r1=1.0)  # WGAN-GP's R1 row
    assert sorted(e.real for e in dirac.of_member(r1_row)["eigenvalues"]) == \
        pytest.approx(sorted(np.roots([1, 1.0, 1.0]).real), abs=1e-12)
    bgan = dict(objective="bgan", r1=1.0)
    assert sorted(e.real for e in dirac.of_member(bgan)["eigenvalues"]) == \
        pytest.approx([-1.0, 0.0], abs=1e-12)


def test_linearised_gives_the_closed_form_eigenvalues_with_and_without_r1():
    # circling objectives: the (θ, ψ) block [[0, -g_s], [-d_s, -γ]], ω² = -g_s d_s
    for name, params, omega in (("minimax", {}, 0.5), ("wgan", {}, 1.0),
                                ("lsgan", dict(a=0, b=1, c=1), 0.5),
                                ("fgan", dict(divergence="js"), 0.25)):
        plain = dirac.linearised(name, **params)
        assert plain["omega"] == pytest.approx(omega, abs=1e-12)
        assert sorted(e.imag for e in plain["eigenvalues"]) == pytest.approx([-omega, omega])
        for gamma in (1.0, 10.0):
            expected = np.roots([1, gamma, omega**2])           # λ² + γλ + ω² = 0
            got = dirac.linearised(name, gamma=gamma, **params)["eigenvalues"]
            assert sorted(got, key=lambda e: (e.real, e.imag)) == pytest.approx(
                sorted(expected, key=lambda e: (e.real, e.imag)), abs=1e-12)
    # BGAN and Softmax GAN: g_s = 0, a line of equilibria; R1 leaves an eigenvalue 0
    for name in ("bgan", "softmax"):
        assert dirac.linearised(name)["omega"] == 0
        assert sorted(e.real for e in dirac.linearised(name, gamma=3.0)["eigenvalues"]) == \
            pytest.approx([-3.0, 0.0], abs=1e-12)
