"""ganlib.dynamics: the Gaussian shift's optimal discriminator and the generator's gradient at it."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.distributions import MultivariateNormal

from ganlib import dynamics, fingerprint, losses, metrics
from ganlib.data import mixture

import critic_budget as bench                           # benchmarks/ (tests/conftest.py puts it on sys.path)
import fingerprints
from test_mode_hopping import check_final_scores

RESULT = json.loads((Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "critic_budget.json").read_text())


def test_the_optimal_logit_is_log_p_minus_log_q():
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        theta = 3 * torch.randn(2, generator=g, dtype=torch.float64)
        x = 4 * torch.randn(100, 2, generator=g, dtype=torch.float64)
        p = MultivariateNormal(torch.zeros(2, dtype=torch.float64), torch.eye(2, dtype=torch.float64))
        q = MultivariateNormal(theta, torch.eye(2, dtype=torch.float64))
        assert torch.allclose(dynamics.optimal_logit(x, theta), p.log_prob(x) - q.log_prob(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("objective", dynamics.LOSSES)
@pytest.mark.parametrize("theta0", [(0.3, -0.2), (1.5, 1.0), (4.0, 0.0)])
def test_the_optimal_gradient_is_autograd_through_the_librarys_loss_at_d_star(objective, theta0):
    """Quadrature against autograd: the library's generator loss on D*'s logits (D held fixed),
    differentiated in θ through the samples, averaged over 400,000 latents (within 5 standard errors)."""
    g = torch.Generator().manual_seed(1)
    theta0 = torch.tensor(theta0, dtype=torch.float64)
    theta = theta0.clone().requires_grad_(True)
    z = torch.randn(400_000, 2, generator=g, dtype=torch.float64)
    real = torch.randn(400_000, 2, generator=g, dtype=torch.float64)
    obj = losses.get(objective)
    (mc,) = torch.autograd.grad(obj.g_loss(dynamics.optimal_logit(real, theta0),
                                           dynamics.optimal_logit(z + theta, theta0)), theta)
    # per-sample gradients θ0·σ(±v*): their spread bounds the Monte-Carlo error
    sign = 1.0 if objective == "nonsaturating" else -1.0
    per = torch.sigmoid(-sign * dynamics.optimal_logit(z + theta0, theta0))
    err = 5 * float(per.std()) / math.sqrt(len(z)) * float(theta0.norm())
    exact = dynamics.optimal_generator_gradient(theta0.numpy(), objective)
    assert np.abs(mc.numpy() - exact).max() <= err + 1e-12


def test_the_two_optimal_gradients_add_up_to_theta_and_split_it_at_zero():
    """σ(a) + σ(−a) = 1: g*_NS + g*_sat = θ exactly, and each is θ/2 as θ → 0."""
    for theta in ([0.1, 0.0], [1.0, -2.0], [5.0, 5.0]):
        total = dynamics.optimal_generator_gradient(theta, "nonsaturating") + \
            dynamics.optimal_generator_gradient(theta, "minimax")
        assert np.abs(total - np.array(theta)).max() < 1e-12
    tiny = np.array([1e-6, 0.0])
    assert np.allclose(dynamics.optimal_generator_gradient(tiny, "minimax"), tiny / 2, rtol=1e-5, atol=0)


def test_far_apart_the_saturating_gradient_vanishes_and_the_non_saturating_does_not():
    """r = ‖θ‖ = 8: r·E_q[D*] < 1e-3 for the saturating loss, r·E_q[1 − D*] > 0.999·r."""
    theta = np.array([8.0, 0.0])
    assert np.linalg.norm(dynamics.optimal_generator_gradient(theta, "minimax")) < 1e-3
    assert np.linalg.norm(dynamics.optimal_generator_gradient(theta, "nonsaturating")) > 0.999 * 8
    sizes = [np.linalg.norm(dynamics.optimal_generator_gradient([r, 0.0], "minimax")) for r in (2, 4, 6, 8, 10)]
    assert all(a > b for a, b in zip(sizes, sizes[1:]))             # and keeps shrinking


def test_the_shift_game_records_the_optimal_gradient_at_each_step_and_is_seeded():
    a = dynamics.shift_game("nonsaturating", (3.0, 1.0), n_critic=2, lr_d=1e-3, steps=15, seed=4)
    b = dynamics.shift_game("nonsaturating", (3.0, 1.0), n_critic=2, lr_d=1e-3, steps=15, seed=4)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert a["theta"].shape == (15, 2) and a["theta"].dtype == np.float64
    assert np.allclose(a["theta"][1:], a["theta"][:-1] - 0.1 * a["grad"][:-1], rtol=0, atol=1e-15)
    # the recorded optimum is g*(θ) at every step's θ
    assert all(np.array_equal(g, dynamics.optimal_generator_gradient(t, "nonsaturating"))
               for g, t in zip(a["grad_opt"], a["theta"]))
    assert (np.abs(a["cosine"]) <= 1 + 1e-12).all()


def test_bad_arguments_name_the_choices():
    with pytest.raises(ValueError, match=r"unknown objective 'lsgan'; the Gaussian shift knows \['minimax', 'nonsaturating'\]"):
        dynamics.shift_game("lsgan")
    with pytest.raises(ValueError, match="unknown objective"):
        dynamics.optimal_generator_gradient([1.0, 0.0], "wgan")
    with pytest.raises(ValueError, match="n_critic and steps must be >= 1"):
        dynamics.shift_game("minimax", n_critic=0)


def test_the_committed_ring_runs_are_the_benchmarks_members_with_its_settings():
    assert RESULT["settings"] == bench.SETTINGS and RESULT["losses"] == list(bench.LOSSES)
    assert RESULT["budgets"] == [list(b) for b in bench.BUDGETS]
    assert RESULT["members"] == bench.members(RESULT["seeds"]) and len(RESULT["seeds"]) >= 4
    assert [(r["objective"], r["n_critic"], r["lr_d"], r["seed"]) for r in RESULT["runs"]] == \
        [(m["objective"], m["n_critic"], m["lr_d"], m["seed"]) for m in RESULT["members"]]
    check_final_scores(RESULT, mixture("ring8").n_modes)


def test_the_committed_ring_runs_were_made_by_the_code_here():
    """The same call cut to 50 steps, in float64, gives the fingerprint critic_budget.json recorded."""
    assert RESULT["fingerprint"]["steps"] == fingerprint.STEPS and RESULT["fingerprint"]["dtype"] == "float64"
    check = fingerprints.check_critic_budget("cpu")
    bad = fingerprint.mismatches(check["committed"], check["again"], labels=check["labels"])
    assert not bad, "benchmarks/results/critic_budget.json is stale: rerun benchmarks/critic_budget.py\n" + "\n".join(bad)


R1_RESULT = json.loads((Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "r1_mixtures.json").read_text())


def test_the_committed_r1_runs_were_made_by_the_code_here():
    """r1_mixtures.json (the training-dynamics page's R1 table): the same call cut to 50 steps, in
    float64, gives the fingerprint it recorded; its runs are the benchmark's members, in order."""
    import r1_mixtures
    assert R1_RESULT["fingerprint"]["steps"] == fingerprint.STEPS and R1_RESULT["fingerprint"]["dtype"] == "float64"
    assert R1_RESULT["members"] == r1_mixtures.members(R1_RESULT["seeds"])
    assert R1_RESULT["settings"] == json.loads(json.dumps(r1_mixtures.SETTINGS))
    check = fingerprints.check_r1_mixtures("cpu")
    bad = fingerprint.mismatches(check["committed"], check["again"], labels=check["labels"])
    assert not bad, "benchmarks/results/r1_mixtures.json is stale: rerun benchmarks/r1_mixtures.py\n" + "\n".join(bad)
    for run in R1_RESULT["runs"]:                        # the final scores are the last evaluation's
        for key, counts in (("final_stats", "mode_counts"), ("final_ema_stats", "ema_mode_counts")):
            n = run[counts][-1]
            assert run[key]["modes"] == sum(c > 0 for c in n)
            assert run[key]["hq"] == pytest.approx(sum(n) / R1_RESULT["settings"]["n_eval"], abs=1e-12)
            again = metrics.stats_from_counts(n, R1_RESULT["settings"]["n_eval"])
            assert again["modes"] == run[key]["modes"] and again["rkl"] == pytest.approx(run[key]["rkl"], abs=1e-12)
