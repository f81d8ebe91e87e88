"""The training loop: what it records, determinism, the NaN stop, and its errors."""

import numpy as np
import pytest
import torch

from ganlib import data, losses
from ganlib.train import pick_device, train


def test_history_shapes_and_contents():
    run = train("nonsaturating", "ring8", steps=40, batch_size=32, eval_every=10, n_eval=200,
                progress=False, device="cpu")
    h = run.history
    assert h["d_loss"].shape == (40,) and np.isfinite(h["d_loss"]).all()
    assert h["eval_step"] == [0, 10, 20, 30, 40]
    assert len(h["mode_stats"]) == 5 and set(h["mode_stats"][0]) == {"modes", "hq", "rkl"}
    assert h["samples"][0].shape == (200, 2) and len(h["mode_counts"][0]) == 8
    assert run.config["device"] == "cpu" and run.config["objective"] == "nonsaturating"


def test_same_seed_gives_bitwise_identical_runs_and_other_seeds_differ():
    kw = dict(steps=30, batch_size=32, eval_every=15, n_eval=100, progress=False, device="cpu")
    a, b = train("lsgan", "grid25", seed=5, **kw), train("lsgan", "grid25", seed=5, **kw)
    c = train("lsgan", "grid25", seed=6, **kw)
    assert np.array_equal(a.history["d_loss"], b.history["d_loss"])
    assert np.array_equal(a.history["samples"][-1], b.history["samples"][-1])
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
