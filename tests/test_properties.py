"""Property tests: every objective is finite and accurate for raw outputs anywhere in [-1e4, 1e4].

For each objective of ``losses.names()`` (and every f-GAN divergence), hypothesis draws batches
of raw outputs in [-1e4, 1e4]; in float32 and in float64 both losses and their gradients must
agree with a float64 *reference written here*, independently of ganlib, in a stable form
(``logaddexp`` and ``logsumexp``; no ``log(sigmoid)``, no epsilon).  Where the exact value does
not fit the dtype (an f-GAN conjugate such as KL's e^{v-1} at v = 1e4 is a number beyond any
float) the loss must say so with ±inf, never with NaN or a wrong finite number.

The last tests show where the naive formulas of public implementations break on the same inputs.
"""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganlib import losses

LOG2 = math.log(2.0)
BOUND = 1e4


def sp(v):
    """softplus(v) = log(1 + e^v), exact in float64 for every v."""
    return torch.logaddexp(torch.zeros_like(v), v)


def sp_minus_log2(v):
    """softplus(v) - log 2 = log((1 + e^v)/2) = log1p(expm1(v)/2) for v < 0, and
    v + log1p(expm1(-v)/2) for v >= 0: no difference of two ~0.69 terms anywhere."""
    neg = v < 0
    w = torch.log1p(torch.expm1(torch.where(neg, v, -v)) / 2)
    return torch.where(neg, w, v + w)


def log_sp_neg(v):
    """log softplus(-v): log log1p(e^{-v}), with the series -v + log(1 - w/2 + w²/3), w = e^{-v},
    where e^{-v} underflows."""
    big = v > 30
    w = torch.exp(-torch.where(big, v, torch.full_like(v, 30.0)))
    series = -v + torch.log1p(-w / 2 + w * w / 3)
    direct = torch.log(sp(-torch.where(big, torch.zeros_like(v), v)))
    return torch.where(big, series, direct)


def separable(phi_real, phi_fake):
    """The terms of a loss mean_B phi_real(real) + mean_B phi_fake(fake) (their sum is the loss)."""
    return lambda r, f: torch.cat([phi_real(r) / len(r), phi_fake(f) / len(f)])


def zero(v):
    return torch.zeros_like(v)


def alpha_lt_1(a):
    p = a / (a - 1)      # f*(g_f(v)) = (((1 - a) softplus(-v))^p - 1) / a
    return lambda v: torch.expm1(p * (math.log(1 - a) + log_sp_neg(v))) / a


def alpha_gt_1(a):
    p = a / (a - 1)      # f*(v) = ((1 + (a - 1) v)^p - 1) / a above v = 1/(1 - a), else -1/a
    kink = 1 / (1 - a)

    def conj(v):
        above = v > kink
        y = (a - 1) * torch.where(above, v, torch.full_like(v, kink + 1.0))
        return torch.where(above, torch.expm1(p * torch.log1p(y)) / a, torch.full_like(v, -1 / a))
    return conj


# f-GAN: name -> (g_f(v), f*(g_f(v))) written out from Nowozin et al.'s table (this book's
# conventions: f* over u > 0, JS ½-normalised); the losses are -E_p[g_f] + E_q[f*(g_f)].
FGAN = {
    "kl": (lambda v: v, lambda v: torch.exp(v - 1)),
    "reverse_kl": (lambda v: -torch.exp(-v), lambda v: v - 1),
    "pearson": (lambda v: v, lambda v: torch.where(v > -2, v * v / 4 + v, -torch.ones_like(v))),
    "neyman": (lambda v: -torch.expm1(-v), lambda v: -2 * torch.expm1(-v / 2)),
    "hellinger2": (lambda v: -torch.expm1(-v), lambda v: torch.expm1(v)),
    "js": (lambda v: -sp_minus_log2(-v) / 2, lambda v: sp_minus_log2(v) / 2),
    "gan": (lambda v: -sp(-v), sp),
    "tv": (lambda v: torch.tanh(v) / 2, lambda v: torch.tanh(v) / 2),
    "alpha=0.5": (lambda v: 2 - sp(-v), alpha_lt_1(0.5)),
    "alpha=-1": (lambda v: 0.5 - sp(-v), alpha_lt_1(-1.0)),
    "alpha=2": (lambda v: v, alpha_gt_1(2.0)),
    "alpha=3": (lambda v: v, alpha_gt_1(3.0)),
}


def fgan_reference(key, generator="alternative"):
    g, conj = FGAN[key]
    d = separable(lambda v: -g(v), conj)
    if generator == "saturating":
        return d, separable(zero, lambda v: -conj(v))
    return d, separable(zero, lambda v: -g(v))


def softmax_d(r, f):
    return torch.cat([r / len(r), torch.logsumexp(-torch.cat([r, f]), 0)[None]])


def softmax_g(r, f):
    both = torch.cat([r, f])
    return torch.cat([both / len(both), torch.logsumexp(-both, 0)[None]])


# (objective name, parameters) -> (terms of the reference d_loss, terms of the reference g_loss)
REFERENCE = {
    ("minimax", ()): (separable(lambda v: sp(-v), sp), separable(zero, lambda v: -sp(v))),
    ("nonsaturating", ()): (separable(lambda v: sp(-v), sp), separable(zero, lambda v: sp(-v))),
    ("lsgan", ()): (separable(lambda v: (v - 1) ** 2 / 2, lambda v: (v + 1) ** 2 / 2),
                    separable(zero, lambda v: v**2 / 2)),
    ("lsgan", (("a", 0), ("b", 1), ("c", 1))): (
        separable(lambda v: (v - 1) ** 2 / 2, lambda v: v**2 / 2),
        separable(zero, lambda v: (v - 1) ** 2 / 2)),
    ("bgan", ()): (separable(lambda v: sp(-v), sp), separable(zero, lambda v: v**2 / 2)),
    ("softmax", ()): (softmax_d, softmax_g),
    ("wgan", ()): (separable(lambda v: -v, lambda v: v), separable(zero, lambda v: -v)),
    ("wgan-gp", ()): (separable(lambda v: -v, lambda v: v), separable(zero, lambda v: -v)),
    ("hinge", ()): (separable(lambda v: torch.relu(1 - v), lambda v: torch.relu(1 + v)),
                    separable(zero, lambda v: -v)),
    ("fgan", ()): fgan_reference("js"),
}
for _key in FGAN:
    _name, _, _alpha = _key.partition("=")
    _params = (("divergence", _name),) + ((("alpha", float(_alpha)),) if _alpha else ())
    REFERENCE[("fgan", _params)] = fgan_reference(_key)
    REFERENCE[("fgan", _params + (("generator", "saturating"),))] = fgan_reference(_key, "saturating")

CASES = sorted(REFERENCE, key=str)
IDS = [name + "".join(f"-{v}" for _, v in params) for name, params in CASES]
# The objectives of losses.names() with their defaults: finite everywhere in [-1e4, 1e4].
DEFAULTS = [(name, ()) for name in losses.names()]


def test_every_objective_has_a_reference():
    assert set(DEFAULTS) <= set(REFERENCE)


# anywhere in the range, and often near 0, where a difference of two O(1) terms cancels
value = st.one_of(st.floats(-BOUND, BOUND, width=32), st.floats(-2.0**-10, 2.0**-10, width=32))
outputs = st.lists(value, min_size=1, max_size=8)


def derivatives(fn, real, fake):
    """The loss, its gradient [2B] and its Hessian [2B, 2B] at (real, fake), in float64."""
    B = len(real)
    x = torch.cat([real, fake]).requires_grad_(True)
    loss = fn(x[:B], x[B:])
    (grad,) = torch.autograd.grad(loss, x, create_graph=True)
    hess = torch.stack([torch.autograd.grad(g, x, retain_graph=True, allow_unused=True)[0]
                        if g.requires_grad else torch.zeros_like(x) for g in grad])
    hess = torch.nan_to_num(hess, nan=0.0)
    return loss.detach(), grad.detach(), hess.detach()


def ours(fn, real, fake):
    B = len(real)
    x = torch.cat([real, fake]).requires_grad_(True)
    loss = fn(x[:B], x[B:])
    (grad,) = torch.autograd.grad(loss, x, allow_unused=True)
    return loss.detach(), (torch.zeros_like(x) if grad is None else grad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=40, deadline=None, derandomize=True)
@given(real=outputs, fake=outputs)
def test_losses_and_gradients_agree_with_a_stable_float64_reference(case, dtype, real, fake):
    """Agreement to c·eps times the condition of the problem: an output v is only known to
    |v|·eps in the dtype, so a term φ(v) is known to eps·(|φ(v)| + |v φ'(v)|) and its
    derivative to eps·(|φ'(v)| + Σ|∂²L/∂v∂v'|·|v'| + 1/B); results below the smallest normal number
    (e.g. ½v² at v = 1e-21) are only known to that number."""
    name, params = case
    obj = losses.get(name, **dict(params))
    eps, big, tiny = torch.finfo(dtype).eps, torch.finfo(dtype).max, torch.finfo(dtype).tiny
    r64, f64 = torch.tensor(real, dtype=torch.float64), torch.tensor(fake, dtype=torch.float64)
    x64 = torch.cat([r64, f64])
    for which, ours_fn, terms_fn in (("d_loss", obj.d_loss, REFERENCE[case][0]),
                                     ("g_loss", obj.g_loss, REFERENCE[case][1])):
        terms = terms_fn(r64, f64)                    # every term of the sum, in float64
        if not (torch.isfinite(terms).all() and terms.abs().max() * len(x64) < big / 4):
            # the exact loss, or one of its terms, lies beyond this dtype (an f-GAN conjugate
            # such as e^(v-1) at v = 1e4 is beyond every float): nothing finite can be right
            continue
        ref, ref_grad, hess = derivatives(lambda r, f: terms_fn(r, f).sum(), r64, f64)
        value, grad = ours(ours_fn, r64.to(dtype), f64.to(dtype))
        assert torch.isfinite(value), f"{which} = {float(value)}; the reference is {float(ref)}"
        value_tol = 64 * eps * (terms.abs().sum() + (x64 * ref_grad).abs().sum()) + tiny
        assert abs(float(value) - float(ref)) <= value_tol, (which, float(value), float(ref))
        assert torch.isfinite(grad).all(), (which, grad)
        # plus eps/B: a gradient of a mean over B samples is known to one ulp of 1/B (torch's
        # float32 tanh and sigmoid backward, 1 - y², lose the relative precision of tiny tails)
        grad_tol = 64 * eps * (ref_grad.abs() + hess.abs() @ x64.abs() + 1 / len(real)) + tiny
        err = (grad.double() - ref_grad).abs()
        assert (err <= grad_tol).all(), (which, x64.tolist(), grad.tolist(), ref_grad.tolist())


@pytest.mark.parametrize("name", losses.names())
def test_the_defaults_are_finite_at_the_ends_of_the_range(name):
    """The corners hypothesis may not hit: every output at ±1e4, mixed and all alike."""
    obj = losses.get(name)
    for dtype in (torch.float32, torch.float64):
        for r, f in ((BOUND, -BOUND), (-BOUND, BOUND), (BOUND, BOUND), (-BOUND, -BOUND)):
            real = torch.full((4,), r, dtype=dtype, requires_grad=True)
            fake = torch.full((4,), f, dtype=dtype, requires_grad=True)
            for loss in (obj.d_loss(real, fake), obj.g_loss(real, fake)):
                grads = torch.autograd.grad(loss, (real, fake), allow_unused=True)
                assert torch.isfinite(loss), (name, dtype, r, f)
                assert all(g is None or torch.isfinite(g).all() for g in grads), (name, dtype, r, f)


# ---------------------------------------------------------------------------------------------
# Where the naive formulas break (float32, the dtype everyone trains in)
# ---------------------------------------------------------------------------------------------

def test_log_of_sigmoid_turns_infinite_and_its_gradient_nan():
    v = torch.tensor([-120.0, 20.0, 120.0], requires_grad=True)
    naive = -torch.log(torch.sigmoid(v))                 # -log D for the non-saturating G
    assert torch.isinf(naive[0])                         # σ(-120) underflows to 0
    stable = losses.softplus(-v)
    assert torch.isfinite(stable).all() and stable[0].item() == pytest.approx(120.0)
    naive_d = -torch.log(1 - torch.sigmoid(v))           # -log(1 - D) in the D loss
    assert torch.isinf(naive_d[1:]).all()                # 1 - σ(v) rounds to 0 from v ≈ 17
    (grad,) = torch.autograd.grad(naive_d.sum(), v)
    assert torch.isnan(grad[1:]).all()                   # and inf·0 poisons every weight
    (grad,) = torch.autograd.grad(losses.softplus(v).sum(), v)
    assert torch.isfinite(grad).all()


def test_an_epsilon_guard_gives_finite_wrong_values_and_kills_the_gradient():
    v = torch.tensor([-40.0], requires_grad=True)       # D(G(z)) = σ(-40) ≈ 4e-18: G is far off
    guarded = -torch.log(torch.sigmoid(v) + 1e-8)        # the usual "fix"
    assert guarded.item() == pytest.approx(-math.log(1e-8), rel=1e-6)   # 18.4, not 40
    (g_guard,) = torch.autograd.grad(guarded, v)
    stable = losses.nonsaturating_g(torch.zeros(1), v)
    (g_stable,) = torch.autograd.grad(stable, v)
    assert stable.item() == pytest.approx(40.0)
    assert abs(g_guard.item()) < 1e-9                    # the guard flattens the loss...
    assert g_stable.item() == pytest.approx(-1.0)        # ...where the true gradient is -1


def test_softmax_before_cross_entropy_is_a_different_and_weaker_loss():
    # two-class logits z = (z_real, z_fake) with v = z_real - z_fake; target: real
    z = torch.tensor([[-30.0, 30.0]], requires_grad=True)
    target = torch.tensor([0])
    right = torch.nn.functional.cross_entropy(z, target)             # = softplus(-v) = 60
    wrong = torch.nn.functional.cross_entropy(torch.softmax(z, 1), target)   # softmax twice
    assert right.item() == pytest.approx(losses.softplus(torch.tensor(60.0)).item())
    assert wrong.item() == pytest.approx(math.log(1 + math.e), rel=1e-6)   # bounded by log(1+e)
    (g_wrong,) = torch.autograd.grad(wrong, z)
    (g_right,) = torch.autograd.grad(right, z)
    assert g_right.abs().max().item() == pytest.approx(1.0)
    assert g_wrong.abs().max().item() < 1e-20                          # no signal left
