"""The training loop: what it records, determinism, the NaN stop, checkpoints, and its errors."""

import numpy as np
import pytest
import torch

from ganlib import data, losses
from ganlib.runs import CHECKPOINT_FORMAT
from ganlib.train import load_checkpoint, pick_device, train


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
    x, _ = data.digits()
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


@pytest.mark.parametrize("objective", ["nonsaturating", "wgan-gp"])
def test_a_resumed_run_equals_an_uninterrupted_one(objective, tmp_path):
    kw = dict(batch_size=32, eval_every=10, n_eval=100, progress=False, device="cpu", seed=3)
    whole = train(objective, "ring8", steps=60, **kw)
    ckpt = tmp_path / "run.pt"
    first = train(objective, "ring8", steps=30, checkpoint=ckpt, checkpoint_every=10, **kw)
    assert load_checkpoint(ckpt)["step"] == 30
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
    torch.save({"format": CHECKPOINT_FORMAT, "payload": np.float64(1.0).__class__}, evil)
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
