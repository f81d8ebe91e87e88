"""Every objective against its closed form, on random logits and exact special points."""

import math

import pytest
import torch
import torch.nn.functional as F

from ganlib import losses



@pytest.fixture(autouse=True)
def float64():
    """These closed-form checks run in float64; the default is restored afterwards."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.fixture
def logits():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, generator=g) * 3, torch.randn(64, generator=g) * 3


def test_names_lists_every_objective():
    assert losses.names() == ["minimax", "nonsaturating", "lsgan", "bgan", "softmax", "wgan",
                              "wgan-gp", "hinge", "fgan"]
    for name in losses.names():
        obj = losses.get(name)
        assert obj.name == name


def test_unknown_objective_lists_valid_names():
    with pytest.raises(ValueError, match="valid names: minimax, nonsaturating, lsgan"):
        losses.get("vanilla")


def test_unknown_parameter_names_accepted_ones():
    with pytest.raises(ValueError, match="accepted: a, b, c"):
        losses.get("lsgan", d=1)
    with pytest.raises(ValueError, match="accepted: none"):
        losses.get("minimax", a=1)


def test_lsgan_rejects_equal_labels_and_nonfinite():
    with pytest.raises(ValueError, match="labels must differ"):
        losses.get("lsgan", a=1, b=1)
    with pytest.raises(ValueError, match="finite number"):
        losses.get("lsgan", c=float("nan"))


def test_minimax_value_at_optimal_discriminator_is_2js_minus_log4():
    # Discrete p, q on 5 points: D* = p/(p+q), logit v = log(p/q).  The minimax value
    # V = sum p log D* + q log(1-D*) = -d_loss weighted by p and q.
    p = torch.tensor([0.1, 0.2, 0.3, 0.15, 0.25])
    q = torch.tensor([0.3, 0.1, 0.1, 0.4, 0.1])
    v = torch.log(p / q)
    value = (p * -losses.softplus(-v)).sum() + (q * -losses.softplus(v)).sum()
    m = (p + q) / 2
    js = 0.5 * (p * torch.log(p / m)).sum() + 0.5 * (q * torch.log(q / m)).sum()
    assert value.item() == pytest.approx((2 * js - math.log(4)).item(), abs=1e-14)


def test_minimax_and_nonsaturating_are_binary_cross_entropies(logits):
    real, fake = logits
    bce = F.binary_cross_entropy_with_logits
    d = losses.get("minimax").d_loss(real, fake)
    assert d.item() == pytest.approx(
        (bce(real, torch.ones_like(real)) + bce(fake, torch.zeros_like(fake))).item(), rel=1e-12)
    g_sat = losses.get("minimax").g_loss(real, fake)
    assert g_sat.item() == pytest.approx(torch.log(1 - torch.sigmoid(fake)).mean().item(), rel=1e-12)
    g_ns = losses.get("nonsaturating").g_loss(real, fake)
    assert g_ns.item() == pytest.approx(-torch.log(torch.sigmoid(fake)).mean().item(), rel=1e-12)
    assert losses.get("nonsaturating").d_loss(real, fake).item() == pytest.approx(d.item(), rel=1e-15)


def test_bgan_generator_loss_is_half_logit_squared(logits):
    real, fake = logits
    D = torch.sigmoid(fake)
    explicit = 0.5 * ((torch.log(D) - torch.log(1 - D)) ** 2).mean()
    g = losses.get("bgan").g_loss(real, fake)
    assert g.item() == pytest.approx(explicit.item(), rel=1e-10)
    assert g.item() == pytest.approx(0.5 * (fake ** 2).mean().item(), rel=1e-15)
    # minimum exactly at D = 1/2, i.e. v = 0
    assert losses.get("bgan").g_loss(real, torch.zeros(8)).item() == 0.0


def test_softmax_gan_is_cross_entropy_against_its_targets(logits):
    real, fake = logits
    both = torch.cat([real, fake])
    P = torch.exp(-both) / torch.exp(-both).sum()               # P(x) = e^{-D(x)} / Z
    n_real = len(real)
    target_d = torch.cat([torch.full_like(real, 1 / n_real), torch.zeros_like(fake)])
    target_g = torch.full_like(both, 1 / len(both))
    obj = losses.get("softmax")
    assert obj.d_loss(real, fake).item() == pytest.approx(-(target_d * torch.log(P)).sum().item(), rel=1e-12)
    assert obj.g_loss(real, fake).item() == pytest.approx(-(target_g * torch.log(P)).sum().item(), rel=1e-12)


def test_softmax_gan_stays_finite_where_a_plain_sum_of_exponentials_fails():
    real = torch.full((4,), 800.0, dtype=torch.float32)
    fake = torch.full((4,), -800.0, dtype=torch.float32)
    naive = real.mean() + torch.log(torch.exp(-torch.cat([real, fake])).sum())
    assert not torch.isfinite(naive)                             # exp(800) overflows float32
    d = losses.get("softmax").d_loss(real, fake)
    # log Z = log(4 e^{800}) = 800 + log 4 exactly, so L_D = 800 + 800 + log 4
    assert d.item() == pytest.approx(1600 + math.log(4), rel=1e-6)


def test_lsgan_is_its_mean_squared_form(logits):
    real, fake = logits
    a, b, c = -1.0, 1.0, 0.0
    obj = losses.get("lsgan", a=a, b=b, c=c)
    mse = F.mse_loss
    assert obj.d_loss(real, fake).item() == pytest.approx(
        0.5 * mse(real, torch.full_like(real, b)).item() + 0.5 * mse(fake, torch.full_like(fake, a)).item(), rel=1e-14)
    assert obj.g_loss(real, fake).item() == pytest.approx(0.5 * mse(fake, torch.full_like(fake, c)).item(), rel=1e-14)
    other = losses.get("lsgan", a=0, b=1, c=1)
    assert other.g_loss(real, fake).item() == pytest.approx(0.5 * ((fake - 1) ** 2).mean().item(), rel=1e-14)
    assert other.params == {"a": 0, "b": 1, "c": 1}


def test_hinge_and_wgan_match_their_definitions(logits):
    real, fake = logits
    hinge = losses.get("hinge")
    expected = torch.clamp(1 - real, min=0).mean() + torch.clamp(1 + fake, min=0).mean()
    assert hinge.d_loss(real, fake).item() == pytest.approx(expected.item(), rel=1e-15)
    assert hinge.g_loss(real, fake).item() == pytest.approx(-fake.mean().item(), rel=1e-15)
    wgan = losses.get("wgan")
    assert wgan.d_loss(real, fake).item() == pytest.approx((fake.mean() - real.mean()).item(), rel=1e-12)
    assert wgan.g_loss(real, fake).item() == pytest.approx(-fake.mean().item(), rel=1e-15)
    assert wgan.clip == 0.01 and wgan.gp_weight is None
    assert losses.get("wgan-gp").gp_weight == 10.0 and losses.get("wgan-gp").clip is None


def test_gradient_penalty_is_per_sample_norm_of_the_critic_gradient():
    # D(x) = w·x has gradient w everywhere: the penalty is exactly (|w| - 1)^2.
    w = torch.tensor([3.0, 4.0])
    D = lambda x: x @ w
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    assert losses.gradient_penalty(D, real, fake).item() == pytest.approx(16.0, rel=1e-12)
    # D(x) = |x|^2/2 has gradient x: the penalty averages (|x_hat_i| - 1)^2 per sample, with the
    # same eps as a generator seeded identically.
    D2 = lambda x: 0.5 * (x ** 2).sum(dim=1)
    gp = losses.gradient_penalty(D2, real, fake, generator=torch.Generator().manual_seed(3))
    eps = torch.rand(16, 1, generator=torch.Generator().manual_seed(3))
    x_hat = eps * real + (1 - eps) * fake
    assert gp.item() == pytest.approx(((x_hat.norm(dim=1) - 1) ** 2).mean().item(), rel=1e-12)
    with pytest.raises(ValueError, match="one shape"):
        losses.gradient_penalty(D, real, fake[:3])


@pytest.mark.parametrize("shape", [(), (0,), (8, 2), (8, 1, 1), (0, 1)])
def test_bad_output_shapes_are_rejected_with_the_shape(shape):
    bad = torch.zeros(shape)
    good = torch.zeros(8)
    with pytest.raises(ValueError, match=r"expected \[B\] or \[B, 1\]"):
        losses.get("minimax").d_loss(bad, good)


@pytest.mark.parametrize("name", losses.names())
def test_column_and_flat_outputs_agree(name, logits):
    real, fake = logits
    obj = losses.get(name)
    assert obj.d_loss(real[:, None], fake[:, None]).item() == obj.d_loss(real, fake).item()
    assert obj.g_loss(real[:, None], fake[:, None]).item() == obj.g_loss(real, fake).item()


@pytest.mark.parametrize("name", losses.names())
def test_losses_and_gradients_finite_at_extreme_logits(name):
    for dtype in (torch.float32, torch.float64):
        real = torch.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], dtype=dtype, requires_grad=True)
        fake = torch.tensor([1e4, 50.0, 0.0, -50.0, -1e4], dtype=dtype, requires_grad=True)
        obj = losses.get(name)
        for loss in (obj.d_loss(real, fake), obj.g_loss(real, fake)):
            grads = torch.autograd.grad(loss, (real, fake), allow_unused=True)
            assert torch.isfinite(loss)
            assert all(g is None or torch.isfinite(g).all() for g in grads)


def test_best_logits_find_the_optimal_discriminator_on_random_supports():
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        p = torch.rand(7, generator=g, dtype=torch.float64) + 0.05
        q = torch.rand(7, generator=g, dtype=torch.float64) + 0.05
        p, q = p / p.sum(), q / q.sum()
        v = losses.best_logits(p, q)
        assert torch.allclose(v, p.log() - q.log(), atol=1e-6)       # v* = log p - log q
    with pytest.raises(ValueError, match="1-D of one shape"):
        losses.best_logits(torch.ones(3), torch.ones(4))


def test_wgan_without_clipping_is_the_wasserstein_losses_alone():
    free = losses.get("wgan", clip=None)
    assert free.clip is None and free.gp_weight is None and free.params == {"clip": None}
    real, fake = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([1.0, 3.0, -2.0])
    clipped = losses.get("wgan")
    assert free.d_loss(real, fake).item() == clipped.d_loss(real, fake).item()
    assert free.g_loss(real, fake).item() == clipped.g_loss(real, fake).item()
    with pytest.raises(ValueError, match=r"clip must be > 0 \(or None: no clipping\)"):
        losses.get("wgan", clip=0.0)
