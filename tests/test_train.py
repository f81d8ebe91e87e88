"""The training loop: what it records, determinism, the NaN stop, checkpoints, and its errors."""

import numpy as np
import pytest
import torch

from ganlib import checkpoints, digits, losses
from ganlib.runtime import pick_device
from ganlib.train import train


def assert_identical_runs(a, b):
    """Bitwise: every history entry, every evaluation, every weight."""
    assert a.history.keys() == b.history.keys()
    for key in ("d_loss", "g_loss", "d_grad_norm", "g_grad_norm"):
        assert np.array_equal(a.history[key], b.history[key]), key
    for key in ("eval_step", "snapshot_step", "mode_stats"):
        assert a.history[key] == b.history[key], key
    for key in ("samples", "mode_counts"):
        assert len(a.history[key]) == len(b.history[key])
        assert all(np.array_equal(x, y) for x, y in zip(a.history[key], b.history[key])), key
    for net in ("G", "D"):
        sa, sb = getattr(a, net).state_dict(), getattr(b, net).state_dict()
        assert all(torch.equal(sa[k], sb[k]) for k in sa), net


def test_history_shapes_and_contents():
    run = train("nonsaturating", "ring8", steps=40, batch_size=32, eval_every=10, n_eval=200,
                progress=False, device="cpu")
    h = run.history
    assert h["d_loss"].shape == (40,) and np.isfinite(h["d_loss"]).all()
    assert h["d_grad_norm"].shape == h["g_grad_norm"].shape == (40,)
    assert (h["d_grad_norm"] > 0).all() and np.isfinite(h["g_grad_norm"]).all()
    assert h["eval_step"] == [0, 10, 20, 30, 40]
    assert len(h["mode_stats"]) == 5 and set(h["mode_stats"][0]) == {"modes", "hq", "rkl"}
    assert h["samples"][0].shape == (200, 2) and len(h["mode_counts"][0]) == 8
    assert run.config["device"] == "cpu" and run.config["objective"] == "nonsaturating"


def test_same_seed_gives_bitwise_identical_runs_and_other_seeds_differ():
    kw = dict(steps=30, batch_size=32, eval_every=15, n_eval=100, progress=False, device="cpu")
    a, b = train("lsgan", "grid25", seed=5, **kw), train("lsgan", "grid25", seed=5, **kw)
    c = train("lsgan", "grid25", seed=6, **kw)
    assert_identical_runs(a, b)
    assert not np.array_equal(a.history["d_loss"], c.history["d_loss"])


def test_training_does_not_touch_the_global_rng():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    train("minimax", "ring8", steps=5, batch_size=8, n_eval=10, progress=False, device="cpu")
    assert torch.equal(torch.rand(3), expected)


def test_wgan_clips_every_critic_weight():
    run = train("wgan", "ring8", steps=20, batch_size=32, n_eval=50, progress=False, device="cpu",
                clip=0.02)
    assert all(p.abs().max().item() <= 0.02 for p in run.D.parameters())


def test_wgan_gp_trains_and_records_the_penalised_loss():
    run = train("wgan-gp", "ring8", steps=10, batch_size=32, n_eval=50, progress=False, device="cpu")
    assert np.isfinite(run.history["d_loss"]).all()


def test_tensor_data_and_tanh_output():
    x, _ = digits.load()
    run = train("nonsaturating", x, steps=5, batch_size=16, latent_dim=8, tanh_output=True,
                n_eval=20, progress=False, device="cpu")
    assert run.history["samples"][-1].shape == (20, 64)
    assert np.abs(run.history["samples"][-1]).max() <= 1.0
    assert run.history["mode_stats"] == []


def test_a_diverging_loss_stops_training_with_the_step_and_the_loss():
    explode = losses.Objective("explode", lambda r, f: r.mean() * float("nan"),
                               lambda r, f: -f.mean())
    with pytest.raises(FloatingPointError, match=r"explode: d_loss became nan at step 1 of 20"):
        train(explode, "ring8", steps=20, batch_size=8, n_eval=10, progress=False, device="cpu")


def test_a_huge_learning_rate_is_caught_not_recorded():
    with pytest.raises(FloatingPointError, match="step"):
        train("wgan", "ring8", steps=300, lr_d=1e30, lr_g=1e30, batch_size=16, n_eval=10,
              progress=False, device="cpu", clip=1e30)


@pytest.mark.parametrize("kwargs, message", [
    (dict(steps=0), "steps must be a positive integer"),
    (dict(batch_size=-1), "batch_size must be a positive integer"),
    (dict(lr_d=0.0), "lr_d must be a positive finite number"),
    (dict(device="tpu"), "valid: 'cpu', 'cuda'"),
    (dict(objective="gan"), "valid names: minimax"),
    (dict(data="moons"), "valid names: ring8, grid25"),
    (dict(data=torch.tensor([[0.0, float("inf")]])), "NaN or inf"),
])
def test_bad_arguments_give_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        train(**{"steps": 5, "progress": False, **kwargs})


def test_pick_device():
    assert pick_device("cpu").type == "cpu"
    assert pick_device(None).type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")


def test_a_non_finite_gradient_stops_training_even_when_the_loss_is_finite():
    # sqrt|r - r| is 0 with a NaN gradient (|.|' = 0 times sqrt' = inf)
    kink = losses.Objective("kink", lambda r, f: (r - r.detach()).abs().sqrt().mean(),
                            lambda r, f: -f.mean())
    with pytest.raises(FloatingPointError,
                       match=r"kink: the gradient of d_loss became nan \(the loss was 0\) at step 1 of 20"):
        train(kink, "ring8", steps=20, batch_size=8, n_eval=10, progress=False, device="cpu")


@pytest.mark.parametrize("objective, penalties", [("nonsaturating", {}), ("wgan-gp", {}),
                                                  ("nonsaturating", dict(r1=1.0, r2=0.5))])
def test_a_resumed_run_equals_an_uninterrupted_one(objective, penalties, tmp_path):
    kw = dict(batch_size=32, eval_every=10, n_eval=100, progress=False, device="cpu", seed=3,
              **penalties)
    whole = train(objective, "ring8", steps=60, **kw)
    ckpt = tmp_path / "run.pt"
    first = train(objective, "ring8", steps=30, checkpoint=ckpt, checkpoint_every=10, **kw)
    assert checkpoints.load(ckpt)["step"] == 30
    resumed = train(objective, "ring8", steps=60, resume=ckpt, **kw)
    assert_identical_runs(whole, resumed)
    assert resumed.seconds > first.seconds * 0.5


def test_checkpoints_load_with_weights_only_and_refuse_code(tmp_path):
    ckpt = tmp_path / "run.pt"
    train("bgan", "ring8", steps=10, batch_size=8, n_eval=10, progress=False, device="cpu",
          checkpoint=ckpt)
    # a plain weights_only load works: tensors, numbers, strings, lists, dicts only
    state = torch.load(ckpt, weights_only=True)
    assert state["step"] == 10 and state["configs"][0]["objective"] == "bgan"
    evil = tmp_path / "evil.pt"
    torch.save({"format": checkpoints.FORMAT, "payload": np.float64(1.0).__class__}, evil)
    with pytest.raises(ValueError, match="weights_only=True refused it"):
        train("bgan", "ring8", steps=10, batch_size=8, n_eval=10, progress=False, resume=evil)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        train("bgan", "ring8", steps=10, progress=False, resume=tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(2)}, evil)
    with pytest.raises(ValueError, match="is not a ganlib checkpoint"):
        train("bgan", "ring8", steps=10, progress=False, resume=evil)


def test_resuming_with_other_settings_names_what_differs(tmp_path):
    ckpt = tmp_path / "run.pt"
    kw = dict(batch_size=8, n_eval=10, progress=False, device="cpu", eval_every=5)
    train("bgan", "ring8", steps=10, checkpoint=ckpt, **kw)
    with pytest.raises(ValueError, match=r"objective: checkpoint 'bgan', now 'lsgan'"):
        train("lsgan", "ring8", steps=20, resume=ckpt, **kw)
    with pytest.raises(ValueError, match=r"eval_every: checkpoint 5, now 1;.*explicit eval_every"):
        train("bgan", "ring8", steps=20, resume=ckpt, **{**kw, "eval_every": None})
    with pytest.raises(ValueError, match="at step 10, past steps=5"):
        train("bgan", "ring8", steps=5, resume=ckpt, **kw)


def test_critic_step_clips_for_wgan_and_penalises_for_wgan_gp():
    from ganlib import models
    from ganlib.train import critic_step
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(64, 2, generator=g), torch.randn(64, 2, generator=g) + 3
    for name in ("wgan", "wgan-gp", "minimax"):
        torch.manual_seed(0)
        D = models.discriminator(hidden=16)
        obj = losses.get(name)
        opt = torch.optim.Adam(D.parameters(), lr=1e-2)
        before = obj.d_loss(D(real), D(fake)).item()
        for _ in range(50):
            loss = critic_step(D, opt, obj, real, fake, generator=g)
        if name == "wgan":
            assert all(p.abs().max().item() <= obj.clip for p in D.parameters())
        if name == "minimax":
            assert loss.item() < before                              # the classifier learns
        if name == "wgan-gp":                  # the returned loss is W-loss + λ·penalty, same ε
            state = g.get_state()
            expected = obj.d_loss(D(real), D(fake)) + 10.0 * losses.gradient_penalty(
                D, real, fake, generator=torch.Generator().set_state(state))
            g.set_state(state)
            assert critic_step(D, opt, obj, real, fake, generator=g).item() == \
                pytest.approx(expected.item(), rel=1e-6)


def input_gradient_norms2(D, x):
    """‖∇ₓD(x_i)‖² of each sample, one autograd call per sample: the reference."""
    out = []
    for xi in x:
        xi = xi.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(D(xi[None]).sum(), xi)
        out.append(g.pow(2).sum())
    return torch.stack(out)


def test_the_zero_centred_penalty_is_the_mean_squared_input_gradient():
    from ganlib import models
    torch.manual_seed(0)
    x = torch.randn(7, 2, dtype=torch.float64)
    D = models.discriminator(hidden=16).double()
    value = losses.zero_centred_penalty(D, x)
    assert value.item() == pytest.approx(input_gradient_norms2(D, x).mean().item(), rel=1e-12)
    # a linear critic D(x) = w·x + b: ∇ₓD = w everywhere, so the penalty is ‖w‖²
    lin = torch.nn.Linear(2, 1).double()
    assert losses.zero_centred_penalty(lin, x).item() == pytest.approx(
        lin.weight.pow(2).sum().item(), rel=1e-14)
    # it trains D: the graph is kept, and its gradient is that of ‖w‖², 2w
    losses.zero_centred_penalty(lin, x).backward()
    assert torch.allclose(lin.weight.grad, 2 * lin.weight.detach(), rtol=1e-14)
    # E critics at once: member e's value is its own critic's, on its own batch
    Ds = [models.discriminator(hidden=16).double() for _ in range(3)]
    xs = torch.randn(3, 5, 2, dtype=torch.float64)
    stacked = losses.zero_centred_penalty(models.StackedMLP(Ds), xs)
    assert stacked.shape == (3,)
    for e in range(3):
        assert stacked[e].item() == pytest.approx(
            input_gradient_norms2(Ds[e], xs[e]).mean().item(), rel=1e-12)


def test_the_critic_penalty_gives_each_member_its_own_weighted_terms():
    from ganlib import models
    from ganlib.train import _critic_penalty, _member
    torch.manual_seed(1)
    cpu = torch.device("cpu")
    specs = [_member(dict(objective=o, data="ring8", seed=0, r1=r1, r2=r2, **params), cpu, None)
             for o, params, r1, r2 in [("nonsaturating", {}, 2.0, 0.0),
                                       ("wgan-gp", dict(gp_weight=3.0), 0.0, 0.5),
                                       ("lsgan", {}, 0.0, 0.0), ("hinge", {}, 1.0, 4.0)]]
    Ds = [models.discriminator(hidden=8).double() for _ in specs]
    x, fake = torch.randn(4, 6, 2, dtype=torch.float64), torch.randn(4, 6, 2, dtype=torch.float64)
    eps = torch.rand(1, 6, 1, dtype=torch.float64)                    # WGAN-GP's member only
    total = _critic_penalty(specs, torch.device("cpu"))(models.StackedMLP(Ds), x, fake, eps)
    r1 = [input_gradient_norms2(D, x[e]).mean().item() for e, D in enumerate(Ds)]
    r2 = [input_gradient_norms2(D, fake[e]).mean().item() for e, D in enumerate(Ds)]
    x_hat = eps[0] * x[1] + (1 - eps[0]) * fake[1]
    gp = ((input_gradient_norms2(Ds[1], x_hat).sqrt() - 1) ** 2).mean().item()
    expected = [2.0 / 2 * r1[0], 3.0 * gp + 0.5 / 2 * r2[1], 0.0, 1.0 / 2 * r1[3] + 4.0 / 2 * r2[3]]
    assert total.tolist() == pytest.approx(expected, rel=1e-12)
    assert _critic_penalty([_member(dict(objective="minimax", data="ring8", seed=0), cpu, None)],
                           cpu) is None


@pytest.mark.parametrize("which", ["r1", "r2"])
def test_train_adds_half_gamma_times_the_penalty_to_the_critic_loss(which):
    """The first critic step of a run with ``r1=γ`` or ``r2=γ``: its recorded loss exceeds the
    unpenalised run's (same seed, same draws) by (γ/2)·mean‖∇ₓD₀‖² of the initial critic on
    the first real batch (R1) or the first generated batch (R2), recomputed here from the
    member's own generator (``_draw_chunk``) and its initial networks."""
    from ganlib import models
    from ganlib.runtime import seeded
    from ganlib.train import _draw_chunk, _member
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        kw = dict(batch_size=16, hidden=16, seed=4)
        plain = train("nonsaturating", "ring8", steps=1, n_eval=10, progress=False,
                      device="cpu", **kw)
        gamma = 3.0
        penalised = train("nonsaturating", "ring8", steps=1, n_eval=10, progress=False,
                          device="cpu", **{which: gamma}, **kw)
        assert penalised.config[which] == gamma and plain.config[which] == 0.0
        member = _member(dict(objective="nonsaturating", data="ring8", **kw), torch.device("cpu"),
                         index=None)
        rng = torch.Generator().manual_seed(4)
        torch.randn(10, 2, generator=rng)        # the evaluation latents (n_eval × 2) come first
        draws = _draw_chunk(member, rng, torch.device("cpu"))
        G0, D0 = seeded(4, lambda: (models.generator(2, 2, 16, 2), models.discriminator(2, 16, 2)))
        with torch.no_grad():
            batch = draws["x"][0, 0] if which == "r1" else G0(draws["z_d"][0, 0])
        added = penalised.history["d_loss"][0] - plain.history["d_loss"][0]
        expected = gamma / 2 * input_gradient_norms2(D0, batch).mean().item()
        assert added == pytest.approx(expected, rel=1e-9)
        assert expected > 1e-3                   # not a vacuous comparison
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "1", True])
def test_a_bad_penalty_weight_names_the_valid_range(bad):
    with pytest.raises(ValueError, match=r"r1 \(the weight γ of the R1 penalty\) must be a finite number ≥ 0"):
        train(r1=bad, steps=2, progress=False)


def test_the_stacked_critic_update_is_critic_step_for_every_member():
    """``Stack.critic_update`` (every member at once: vmapped losses, the per-member penalties,
    ``MemberAdam``, per-member clipping) takes, for each member, the step ``critic_step`` takes
    on that member's network alone — three updates of a mixed float64 stack: the vanilla GAN,
    WGAN (clipping), WGAN-GP (its ε from the member's generator), R1, R2 and both."""
    import copy
    from ganlib.train import Schedule, Stack, _member, critic_step
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        cpu, B = torch.device("cpu"), 12
        calls = [("minimax", 1e-3, {}), ("wgan", 2e-3, {}), ("wgan-gp", 1e-3, {}),
                 ("nonsaturating", 3e-3, dict(r1=1.0)), ("hinge", 1e-3, dict(r2=2.0)),
                 ("lsgan", 2e-3, dict(r1=0.5, r2=0.25))]
        members = [_member(dict(objective=o, data="ring8", seed=e, lr_d=lr, hidden=16, **extra),
                           cpu, e) for e, (o, lr, extra) in enumerate(calls)]
        stack = Stack(members, cpu, Schedule(1, 1, 1, 1), n_eval=4)
        alone = [copy.deepcopy(stack.D.member(e, stack.Ds[e])) for e in range(len(members))]
        opts = [torch.optim.Adam(D.parameters(), lr=lr, betas=(0.5, 0.999))
                for D, (_, lr, _) in zip(alone, calls)]
        gp = stack.gp_members
        assert gp == [2]
        eps_rng = {e: torch.Generator().manual_seed(100 + e) for e in gp}      # the stack's ε
        own_rng = {e: torch.Generator().manual_seed(100 + e) for e in gp}      # critic_step's
        g = torch.Generator().manual_seed(0)
        for _ in range(3):
            x = torch.randn(len(members), B, 2, generator=g)
            fake = torch.randn(len(members), B, 2, generator=g) + 1.0
            eps = torch.stack([torch.rand(B, 1, generator=eps_rng[e]) for e in gp])
            _, losses_, _ = stack.critic_update(x, fake, eps)
            for e, (D, opt, (o, _, extra)) in enumerate(zip(alone, opts, calls)):
                loss = critic_step(D, opt, members[e].objective, x[e], fake[e],
                                   generator=own_rng.get(e), **extra)
                assert loss.item() == pytest.approx(losses_[e].item(), rel=1e-12, abs=1e-14), o
        for e, D in enumerate(alone):
            stacked = stack.D.member(e, stack.Ds[e]).state_dict()
            for k, v in D.state_dict().items():
                assert torch.allclose(stacked[k], v, rtol=1e-10, atol=1e-13), (calls[e][0], k)
        wgan = stack.D.member(1, stack.Ds[1])
        assert max(p.abs().max().item() for p in wgan.parameters()) <= 0.01     # clipped
    finally:
        torch.set_default_dtype(old)


def test_a_typo_in_a_setting_names_the_settings_and_the_objectives_parameters():
    from ganlib.settings import Settings
    with pytest.raises(ValueError, match=r"train: unknown setting\(s\) lr; the settings of a run "
                                         r"are batch_size, optimizer, lr_d, lr_g, .* \(minimax's "
                                         r"parameters: none; steps, n_eval, eval_every, device, "
                                         r"… are train's keywords for the whole call\)"):
        train("minimax", lr=1e-3, steps=2, progress=False)
    with pytest.raises(ValueError, match=r"unknown setting\(s\) divergense; .*\(fgan's "
                                         r"parameters: divergence, generator, alpha;"):
        train(members=[dict(objective="fgan", divergense="kl")], steps=2, progress=False)
    with pytest.raises(ValueError, match=r"unknown setting\(s\) a; .*an Objective takes its "
                                         r"parameters in losses.get;"):
        train(losses.get("lsgan"), a=1.0, steps=2, progress=False)
    with pytest.raises(ValueError, match="unknown objective 'lsgann'; valid names"):
        train("lsgann", steps=2, progress=False)
    # the objective's parameters still reach losses.get, beside the settings
    run = train("fgan", divergence="kl", lr_d=3e-4, steps=2, batch_size=8, n_eval=10,
                progress=False, device="cpu")
    assert run.config["objective_params"]["divergence"] == "kl" and run.config["lr_d"] == 3e-4
    # the config is the settings, written once, plus what the call adds
    from dataclasses import asdict
    settings = {k: run.config[k] for k in Settings.names()}
    assert settings == asdict(Settings(lr_d=3e-4, batch_size=8))
    with pytest.raises(Exception):                       # frozen: a run's settings stay put
        Settings().lr_d = 1.0


@pytest.mark.parametrize("bad, message", [
    (dict(batch_size=0), "train: batch_size must be a positive integer, got 0"),
    (dict(lr_g=float("inf")), "train: lr_g must be a positive finite number"),
    (dict(optimizer="sgd"), "train: unknown optimizer 'sgd'; valid: adam, rmsprop"),
    (dict(betas=(0.5,)), r"train: betas must be two numbers in \[0, 1\)"),
    (dict(g_ema=1.0), r"train: g_ema must be a number in \[0, 1\)"),
])
def test_a_bad_setting_names_itself_and_its_valid_values(bad, message):
    with pytest.raises(ValueError, match=message):
        train(steps=2, progress=False, **bad)
