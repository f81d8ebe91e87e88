"""The ensemble engine is E separate runs, computed together."""

import pytest
import torch

from ganlib import ensemble, losses
from ganlib.train import train

SETTINGS = dict(steps=200, batch_size=64, hidden=32, eval_every=100, n_eval=500, progress=False,
                device="cpu", lr_d=1e-3, lr_g=1e-3)


def max_param_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


@pytest.fixture
def float64():
    """In float64, rounding (~1e-16) is far below Adam's eps (1e-8), so two correct
    implementations agree to ~1e-15 after hundreds of steps; see the softmax test below
    for why float32 is not a fair referee for every objective."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("objective", losses.names())
def test_each_member_equals_its_separate_run(objective, float64):
    seeds = [3, 0, 7]
    members = ensemble.train_ensemble(objective, "ring8", seeds=seeds, **SETTINGS)
    for seed, member in zip(seeds, members):
        alone = train(objective, "ring8", seed=seed, **SETTINGS)
        assert next(alone.G.parameters()).dtype == torch.float64
        assert max_param_gap(member.G, alone.G) < 1e-8, (objective, seed)
        assert max_param_gap(member.D, alone.D) < 1e-8, (objective, seed)
        assert abs(member.history["g_loss"] - alone.history["g_loss"]).max() < 1e-8
        assert [s["modes"] for s in member.history["mode_stats"]] == \
            [s["modes"] for s in alone.history["mode_stats"]]


def test_shift_invariant_losses_let_adam_amplify_rounding():
    """Softmax GAN and WGAN losses are unchanged by D + c, so the gradient of a bias that shifts
    every output is 0 in exact arithmetic and rounding noise in floats; Adam's step
    g/(|g| + 1e-8) turns float32 noise (~1e-9) into steps of order lr.  Correct float32
    implementations that sum in another order then drift apart; in float64 they do not."""
    real, fake = torch.randn(64, dtype=torch.float64), torch.randn(64, dtype=torch.float64)
    c = torch.zeros((), dtype=torch.float64, requires_grad=True)
    for loss in (losses.softmax_d, losses.softmax_g, losses.wgan_d):
        (g,) = torch.autograd.grad(loss(real + c, fake + c), c)
        assert abs(g.item()) < 1e-14
    one_step = dict(SETTINGS, steps=1, eval_every=1)
    member = ensemble.train_ensemble("softmax", "ring8", seeds=[3, 0], **one_step)[0]
    alone = train("softmax", "ring8", seed=3, **one_step)
    gap = max_param_gap(member.D, alone.D)
    assert gap < one_step["lr_d"]                 # float32: at most a bounded first-step difference


def test_members_do_not_interact(float64):
    """Member 0 is the same whether it trains beside one other member or beside three."""
    small = ensemble.train_ensemble("nonsaturating", "ring8", seeds=[5, 6], **SETTINGS)
    large = ensemble.train_ensemble("nonsaturating", "ring8", seeds=[5, 9, 10, 11], **SETTINGS)
    assert max_param_gap(small[0].G, large[0].G) < 1e-12


def test_bad_seeds_and_data_say_what_is_allowed():
    with pytest.raises(ValueError, match="non-empty list of ints"):
        ensemble.train_ensemble("nonsaturating", "ring8", seeds=[], **SETTINGS)
    with pytest.raises(ValueError, match="mixture"):
        ensemble.train_ensemble("nonsaturating", torch.zeros(10, 2), seeds=[0], **SETTINGS)


def test_bad_settings_are_refused_like_train_refuses_them():
    for bad in (dict(steps=0), dict(batch_size=-1), dict(lr_d=float("nan")), dict(eval_every=0.5)):
        with pytest.raises(ValueError):
            ensemble.train_ensemble("nonsaturating", "ring8", seeds=[0], **{**SETTINGS, **bad})


def test_a_non_finite_gradient_names_the_member_and_the_step():
    kink = losses.Objective("kink", lambda r, f: (r - r.detach()).abs().sqrt().mean(),
                            lambda r, f: -f.mean())
    with pytest.raises(FloatingPointError, match=r"kink: member 0 \(seed 4\): the gradient of "
                                                 r"d_loss became nan .* at step 1 of 10"):
        ensemble.train_ensemble(kink, "ring8", seeds=[4, 5], steps=10, batch_size=8, n_eval=10,
                       progress=False, device="cpu")
