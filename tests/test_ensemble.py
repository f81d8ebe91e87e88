"""One loop for one run or many: a member's trajectory does not depend on who else is in its
stack; mixed stacks, grouping, the averaged generator, checkpoints of a stack, errors."""

import numpy as np
import pytest
import torch

from ganlib import losses, models
from ganlib.optim import MemberAdam, MemberRMSprop
from ganlib.train import CHUNK, STACK_FIELDS, train

SETTINGS = dict(steps=200, batch_size=64, hidden=32, eval_every=100, n_eval=500, progress=False,
                device="cpu", lr_d=1e-3, lr_g=1e-3)
N_CRITIC = {"wgan": 5, "wgan-gp": 5}      # as the papers train them: other stacks for these


def max_param_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


@pytest.fixture
def float64():
    """In float64, rounding (~1e-16) is far below Adam's eps (1e-8), so two correct
    computations of one trajectory agree to ~1e-15 after hundreds of steps; see the softmax
    test below for why float32 is not a fair referee for every objective."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def mixed_members(objective: str, seed: int) -> list[dict]:
    """The member under test (index 2) among three others: other objectives, seeds, learning
    rates and betas (so the stack steps with MemberAdam while the member alone steps with torch's
    fused Adam), the other mixture, a gradient penalty and clipping where n_critic allows."""
    k = N_CRITIC.get(objective, 1)
    others = ["wgan-gp", "wgan", "lsgan"] if k == 5 else ["softmax", "bgan", "hinge"]
    return [dict(objective=others[0], seed=seed + 11, n_critic=k, lr_d=3e-4),
            dict(objective=others[1], seed=seed + 12, data="grid25", n_critic=k, betas=(0.0, 0.9)),
            dict(objective=objective, seed=seed, n_critic=k),
            dict(objective=others[2], seed=seed + 13, n_critic=k, g_ema=0.9, lr_g=3e-3)]


PENALTIES = {"nonsaturating": dict(r1=1.0), "lsgan": dict(r2=0.5), "hinge": dict(r1=10.0, r2=1.0)}


@pytest.mark.parametrize("objective, penalties",
                         [(o, {}) for o in losses.names()] + list(PENALTIES.items()))
def test_a_member_equals_its_run_alone_whoever_else_is_in_its_stack(objective, penalties, float64):
    seed = 3
    mixed = mixed_members(objective, seed)
    mixed[2].update(penalties)
    if penalties:                               # others with other penalties, or none
        mixed[0]["r2"], mixed[3]["r1"] = 2.0, 0.1
    members = train(members=mixed, data="ring8", **SETTINGS)
    assert {m.config["stack_size"] for m in members} == {4}          # one stack of four
    member = members[2]
    alone = train(objective, "ring8", seed=seed, n_critic=N_CRITIC.get(objective, 1), **penalties,
                  **SETTINGS)
    assert next(alone.G.parameters()).dtype == torch.float64
    assert alone.config["stack_size"] == 1 and member.config["objective"] == objective
    assert max_param_gap(member.G, alone.G) < 1e-10, objective
    d_member, d_alone = list(member.D.parameters()), list(alone.D.parameters())
    gaps = [(p - q).abs().max().item() for p, q in zip(d_member, d_alone)]
    assert max(gaps[:-1]) < 1e-10, (objective, gaps)
    # D's output bias: Softmax GAN's losses are unchanged by D + c, so its gradient is 0 in
    # exact arithmetic and float64 rounding noise δ in the stack (see the next test); Adam
    # turns it into steps of lr·δ/ε (ε = 1e-8), a random walk bounded by steps·lr·δ/ε = 2e-7
    # for δ = 1e-14.  The bias does not change the losses; every other objective pins it to 1e-10.
    bound = SETTINGS["steps"] * SETTINGS["lr_d"] * 1e-14 / 1e-8 if objective == "softmax" else 1e-10
    assert gaps[-1] < bound, (objective, gaps)
    assert abs(member.history["g_loss"] - alone.history["g_loss"]).max() < 1e-10
    assert [s["modes"] for s in member.history["mode_stats"]] == \
        [s["modes"] for s in alone.history["mode_stats"]]


def test_shift_invariant_losses_let_adam_amplify_rounding():
    """Softmax GAN and WGAN losses are unchanged by D + c, so the gradient of a bias that shifts
    every output is 0 in exact arithmetic and rounding noise in floats; Adam's step
    g/(|g| + 1e-8) turns float32 noise (~1e-9) into steps of order lr.  Correct float32
    computations that sum in another order then drift apart; in float64 they do not."""
    real, fake = torch.randn(64, dtype=torch.float64), torch.randn(64, dtype=torch.float64)
    c = torch.zeros((), dtype=torch.float64, requires_grad=True)
    for loss in (losses.softmax_d, losses.softmax_g, losses.wgan_d):
        (g,) = torch.autograd.grad(loss(real + c, fake + c), c)
        assert abs(g.item()) < 1e-14
    one_step = dict(SETTINGS, steps=1, eval_every=1)
    member = train("softmax", "ring8", seeds=[3, 0], **one_step)[0]
    alone = train("softmax", "ring8", seed=3, **one_step)
    # float32: Adam's first step moves each coordinate by lr·|g|/(|g| + 1e-8) < lr, whatever the
    # noise in g, so the two runs are at most 2·lr apart; which side of lr the gap lands on depends
    # on the sign of each run's rounding noise, which another CPU's summation order can flip
    gap = max_param_gap(member.D, alone.D)
    assert gap < 2 * one_step["lr_d"]


def test_seeds_give_one_stack_in_order_and_members_differ(float64):
    runs = train("nonsaturating", "ring8", seeds=[5, 9, 10], **SETTINGS)
    assert [r.config["seed"] for r in runs] == [5, 9, 10]
    assert {r.config["stack_size"] for r in runs} == {3}
    assert max_param_gap(runs[0].G, runs[1].G) > 1e-3


def test_members_that_cannot_share_a_stack_are_grouped_by_their_settings():
    members = [dict(objective="minimax", seed=0), dict(objective="wgan-gp", n_critic=5),
               dict(objective="hinge", seed=1), dict(objective="wgan", n_critic=5, lr_d=5e-5),
               dict(objective="lsgan", batch_size=16), dict(objective="bgan", lr_g=3e-4)]
    runs = train(members=members, data="ring8", steps=3, batch_size=8, n_eval=10, progress=False)
    assert [r.config["objective"] for r in runs] == ["minimax", "wgan-gp", "hinge", "wgan",
                                                     "lsgan", "bgan"]
    # minimax + hinge + bgan (another lr_g) share a stack, wgan-gp + wgan (another lr_d)
    # another; lsgan, with another batch size, a third
    assert [r.config["stack_size"] for r in runs] == [3, 2, 3, 2, 1, 3]
    assert [r.config["lr_d"] for r in runs][3] == 5e-5 and runs[5].config["lr_g"] == 3e-4
    assert "n_critic" in STACK_FIELDS and "seed" not in STACK_FIELDS and "lr_d" not in STACK_FIELDS


def test_another_optimiser_or_more_than_max_stack_members_make_another_stack(float64):
    members = [dict(objective="wgan", seed=s, n_critic=5) for s in range(5)] + \
        [dict(objective="wgan", seed=0, n_critic=5, optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5),
         dict(objective="wgan", seed=1, n_critic=5, optimizer="rmsprop")]
    kw = dict(data="ring8", steps=40, batch_size=8, hidden=16, n_eval=10, progress=False)
    runs = train(members=members, max_stack=2, **kw)
    # five Adam members: the fewest stacks of ≤ 2 are three, as even as can be (1, 2, 2); the
    # two RMSProp members (different rates: MemberRMSprop) another
    assert [r.config["stack_size"] for r in runs] == [1, 2, 2, 2, 2, 2, 2]
    assert [r.config["optimizer"] for r in runs] == ["adam"] * 5 + ["rmsprop"] * 2
    together = train(members=members, **kw)                       # max_stack 32: two stacks
    assert [r.config["stack_size"] for r in together] == [5] * 5 + [2] * 2
    for a, b in zip(runs, together):                              # the cut changes nothing
        assert max_param_gap(a.G, b.G) < 1e-12 and max_param_gap(a.D, b.D) < 1e-12
    alone = train("wgan", "ring8", seed=0, n_critic=5, optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5,
                  steps=40, batch_size=8, hidden=16, n_eval=10, progress=False)  # torch's RMSprop
    assert max_param_gap(alone.G, runs[5].G) < 1e-12 and max_param_gap(alone.D, runs[5].D) < 1e-12
    with pytest.raises(ValueError, match="unknown optimizer 'sgd'; valid: adam, rmsprop"):
        train(optimizer="sgd", steps=2, progress=False)
    with pytest.raises(ValueError, match="max_stack"):
        train(members=members, max_stack=0, **kw)


def test_member_rmsprop_is_torch_rmsprop_member_by_member(float64):
    E, g = 3, torch.Generator().manual_seed(1)
    lr = torch.tensor([1e-3, 5e-5, 1e-2])
    w = torch.randn(E, 4, 5, generator=g, requires_grad=True)
    ref = [w[e].detach().clone().requires_grad_(True) for e in range(E)]
    opt = MemberRMSprop([w], lr)
    refs = [torch.optim.RMSprop([ref[e]], lr=lr[e].item()) for e in range(E)]
    for _ in range(20):
        target = torch.randn(E, 4, 5, generator=g)
        opt.zero_grad()
        ((w - target) ** 4).sum().backward()
        opt.step()
        for e in range(E):
            refs[e].zero_grad()
            ((ref[e] - target[e]) ** 4).sum().backward()
            refs[e].step()
    for e in range(E):
        assert torch.allclose(w[e], ref[e], rtol=0, atol=1e-13)


@pytest.mark.parametrize("uniform", [True, False])
def test_member_adam_is_torch_adam_member_by_member(uniform, float64):
    """MemberAdam with per-member rates and betas gives, for each member, torch's Adam step."""
    E, g = 3, torch.Generator().manual_seed(0)
    lr = torch.tensor([1e-3, 1e-3, 1e-3] if uniform else [1e-3, 3e-4, 1e-2])
    betas = torch.tensor([[0.5, 0.999]] * 3 if uniform else [[0.5, 0.999], [0.0, 0.9], [0.8, 0.99]])
    w = torch.randn(E, 4, 5, generator=g, requires_grad=True)
    ref = [w[e].detach().clone().requires_grad_(True) for e in range(E)]
    opt = MemberAdam([w], lr, betas)
    refs = [torch.optim.Adam([ref[e]], lr=lr[e].item(), betas=tuple(betas[e].tolist()))
            for e in range(E)]
    for _ in range(20):
        target = torch.randn(E, 4, 5, generator=g)
        opt.zero_grad()
        ((w - target) ** 4).sum().backward()
        opt.step()
        for e in range(E):
            refs[e].zero_grad()
            ((ref[e] - target[e]) ** 4).sum().backward()
            refs[e].step()
    for e in range(E):
        assert torch.allclose(w[e], ref[e], rtol=0, atol=1e-13)


def test_the_averaged_generator_is_the_exponential_average_of_the_weights(float64):
    """G_ema after t steps is Σ_s (1-β) β^(t-s) G_s + β^t G_0: checked against a replay of G's
    weights, member by member, and evaluated beside G in the history."""
    beta, kw = 0.9, dict(SETTINGS, steps=CHUNK + 3, eval_every=5)
    runs = train(members=[dict(seed=1, g_ema=beta), dict(seed=2)], data="ring8", **kw)
    averaged, plain = runs
    assert plain.G_ema is None and "ema_mode_stats" not in plain.history
    h = averaged.history
    assert len(h["ema_mode_stats"]) == len(h["mode_stats"]) == len(h["eval_step"])
    assert len(h["ema_samples"]) == len(h["samples"])
    with pytest.raises(ValueError, match="g_ema"):
        plain.final_ema_stats
    # replay: G_t for t = 0..T from runs of t steps (prefixes of the same trajectory)
    with torch.random.fork_rng():
        torch.manual_seed(1)
        ema = [p.detach().clone() for p in models.generator(2, 2, kw["hidden"], 2).parameters()]
    for t in range(1, kw["steps"] + 1):
        G_t = train(seed=1, **{**kw, "steps": t, "eval_every": t}).G
        ema = [beta * e + (1 - beta) * p.detach() for e, p in zip(ema, G_t.parameters())]
    gap = max((e - p).abs().max().item() for e, p in zip(ema, averaged.G_ema.parameters()))
    assert gap < 1e-12
    # the history's last averaged samples are G_ema's on the run's fixed latents
    last = torch.as_tensor(h["ema_samples"][-1])
    assert not torch.allclose(last, torch.as_tensor(h["samples"][-1]))


def test_a_stack_resumes_bit_for_bit_mid_chunk(tmp_path):
    kw = dict(batch_size=16, eval_every=14, n_eval=50, progress=False, device="cpu")  # 14 | 42
    members = [dict(objective="wgan-gp", seed=1, n_critic=2), dict(objective="hinge", seed=2,
               n_critic=2, g_ema=0.5)]
    whole = train(members=members, steps=CHUNK + 20, **kw)
    ckpt = tmp_path / "stack.pt"
    train(members=members, steps=CHUNK + 10, checkpoint=ckpt, checkpoint_every=CHUNK + 10, **kw)
    resumed = train(members=members, steps=CHUNK + 20, resume=ckpt, **kw)
    for a, b in zip(whole, resumed):
        assert np.array_equal(a.history["d_loss"], b.history["d_loss"])
        assert a.history["mode_stats"] == b.history["mode_stats"]
        for net in ("G", "D"):
            assert max_param_gap(getattr(a, net), getattr(b, net)) == 0.0
    assert max_param_gap(whole[1].G_ema, resumed[1].G_ema) == 0.0


def test_bad_members_seeds_and_settings_say_what_is_allowed():
    kw = dict(steps=2, progress=False)
    with pytest.raises(ValueError, match="non-empty list of ints"):
        train(seeds=[], **kw)
    with pytest.raises(ValueError, match="seeds or members, not both"):
        train(seeds=[0], members=[{}], **kw)
    with pytest.raises(ValueError, match="members must be a non-empty list of dicts"):
        train(members=["minimax"], **kw)
    with pytest.raises(ValueError, match="valid names: minimax"):
        train(members=[dict(objective="gan")], **kw)
    with pytest.raises(ValueError, match="g_ema must be a number in"):
        train(g_ema=1.0, **kw)
    with pytest.raises(ValueError, match="betas must be two numbers"):
        train(betas=(0.5, 1.5), **kw)
    with pytest.raises(ValueError, match="share one stack"):
        train(members=[dict(), dict(n_critic=2)], checkpoint="x.pt", **kw)
    for bad in (dict(steps=0), dict(batch_size=-1), dict(lr_d=float("nan")), dict(eval_every=0.5)):
        with pytest.raises(ValueError):
            train("nonsaturating", "ring8", seeds=[0], **{**SETTINGS, **bad})


def test_a_non_finite_gradient_names_the_member_and_the_step():
    kink = losses.Objective("kink", lambda r, f: (r - r.detach()).abs().sqrt().mean(),
                            lambda r, f: -f.mean())
    with pytest.raises(FloatingPointError, match=r"kink: member 1 \(seed 5\): the gradient of "
                                                 r"d_loss became nan .* at step 1 of 10"):
        train(members=[dict(objective="nonsaturating", seed=4), dict(objective=kink, seed=5)],
              steps=10, batch_size=8, n_eval=10, progress=False, device="cpu")
