"""The mixtures, the digits, and PacGAN's mode statistics."""

import math

import numpy as np
import pytest
import torch

from ganlib import data, digits, metrics

HQ_MASS_2D = 1 - math.exp(-4.5)      # P(|N(0, I_2)| < 3) = 1 - e^{-9/2} ≈ 0.9889


def test_ring8_definition():
    ring = data.mixture("ring8")
    assert ring.means.shape == (8, 2) and ring.std == 0.01
    assert torch.allclose(ring.means.norm(dim=1), torch.ones(8))
    assert torch.allclose(ring.means[2], torch.tensor([0.0, 1.0]), atol=1e-7)   # angle 2π·2/8 = π/2


def test_grid25_definition():
    grid = data.mixture("grid25")
    assert grid.means.shape == (25, 2) and grid.std == 0.05
    assert sorted(set(grid.means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(m) for m in grid.means.tolist()}) == 25


def test_unknown_mixture_lists_valid_names():
    with pytest.raises(ValueError, match="valid names: ring8, grid25"):
        data.mixture("ring9")


def test_sample_is_reproducible_and_validated():
    ring = data.mixture("ring8")
    a = ring.sample(100, generator=torch.Generator().manual_seed(1))
    b = ring.sample(100, generator=torch.Generator().manual_seed(1))
    assert a.shape == (100, 2) and torch.equal(a, b)
    with pytest.raises(ValueError, match="positive int"):
        ring.sample(0)


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_samples_from_the_mixture_cover_every_mode(name):
    mix = data.mixture(name)
    x = mix.sample(20_000, generator=torch.Generator().manual_seed(0))
    stats = metrics.mode_stats(x, mix)
    assert stats["modes"] == mix.n_modes
    assert stats["hq"] == pytest.approx(HQ_MASS_2D, abs=0.005)
    assert 0 <= stats["rkl"] < 0.01


def test_samples_from_one_mode():
    ring = data.mixture("ring8")
    x = ring.means[3] + ring.std * torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    stats = metrics.mode_stats(x, ring)
    assert stats["modes"] == 1
    assert stats["rkl"] == pytest.approx(math.log(8), rel=1e-12)    # KL(δ_k ‖ uniform) = log K


def test_mode_stats_exact_values():
    ring = data.mixture("ring8")
    # 3 samples exactly on mode 0, 1 on mode 1, 4 far away (not HQ)
    x = torch.cat([ring.means[[0, 0, 0, 1]], torch.full((4, 2), 10.0)])
    stats = metrics.mode_stats(x, ring)
    assert stats["modes"] == 2 and stats["hq"] == 0.5
    q_hat = torch.tensor([0.75, 0.25], dtype=torch.float64)
    assert stats["rkl"] == pytest.approx(float((q_hat * torch.log(8 * q_hat)).sum()), rel=1e-12)
    assert metrics.mode_counts(x, ring).tolist() == [3, 1, 0, 0, 0, 0, 0, 0]


def test_no_high_quality_sample_gives_infinite_rkl():
    stats = metrics.mode_stats(torch.full((10, 2), 5.0), data.mixture("ring8"))
    assert stats == {"modes": 0, "hq": 0.0, "rkl": math.inf}


def test_mode_stats_rejects_bad_input():
    ring = data.mixture("ring8")
    with pytest.raises(ValueError, match=r"expected \[N, 2\]"):
        metrics.mode_stats(torch.zeros(10, 3), ring)
    with pytest.raises(ValueError, match="NaN or inf"):
        metrics.mode_stats(torch.tensor([[float("nan"), 0.0]]), ring)


def test_digits_are_offline_and_scaled():
    x, y = digits.load()
    assert x.shape == (1797, 64) and y.shape == (1797,)
    assert x.min().item() == -1.0 and x.max().item() == 1.0
    assert sorted(y.unique().tolist()) == list(range(10))


def test_mode_hops_counts_only_a_bulk_that_leaves_a_mode_empty_for_an_empty_one():
    K = 8
    def counts(**by_mode):
        c = np.zeros(K, dtype=int)
        for k, n in by_mode.items():
            c[int(k[1:])] = n
        return c
    history = [counts(),                          # 0: untrained, skipped
               counts(m3=100),                    # 1: all on mode 3
               counts(m5=90, m0=10),              # 2: hop 3 -> 5 (3 emptied, 5 was empty)
               counts(m5=10),                     # 3: under min_hq: not an evaluation that counts
               counts(m1=60, m5=40),              # 4: 5 not emptied: no hop
               counts(m2=30, m1=30, m4=20),       # 5: 1 not emptied
               counts(m6=70, m7=30),              # 6: largest at 5 (mode 1) held 30/80 < 50 %: no
               counts(m0=100),                    # 7: hop 6 -> 0 (0 held 10 at step 2, none at 6)
               np.full(K, 10)]                    # 8: everywhere: 0 not emptied
    assert metrics.mode_hops(history) == [(1, 2, 3, 5), (6, 7, 6, 0)]
    # a lower bar lets step 5's largest mode (1, with 30 of 80) hop to 6
    assert metrics.mode_hops(history, majority=0.35) == [(1, 2, 3, 5), (5, 6, 1, 6), (6, 7, 6, 0)]
    assert metrics.mode_hops(history, min_hq=5) == [(1, 2, 3, 5), (6, 7, 6, 0)]   # step 3 counts: 5 stays
    assert metrics.mode_hops(history, min_hq=101) == []
    s = metrics.collapse_summary(history)
    # covered from step 1: 1, 2, 1, 2, 3, 2, 1, 8: 2 below the best before (3, at step 5) only at step 7
    assert s == {"evals": 8, "drops": 1, "min_modes": 1, "hops": 2, "hop_modes": 4,
                 "final_modes": 8}
    assert metrics.collapse_summary([np.zeros(K, dtype=int)] * 3)["evals"] == 0


def test_mode_hops_is_zero_for_spreading_or_staying_and_label_free():
    rng = np.random.default_rng(0)
    K = 8
    spreading = [np.r_[np.full(k, 50), np.zeros(K - k, dtype=int)] for k in range(1, K + 1)]
    staying = [np.r_[[200], np.zeros(K - 1, dtype=int)]] * 6
    for history in (spreading, staying, [np.full(K, 5)] * 4):
        assert metrics.mode_hops(history) == []
        assert metrics.collapse_summary(history)["drops"] == 0
    onto_old = [np.r_[[80, 20], np.zeros(K - 2, dtype=int)], np.r_[[0, 100], np.zeros(K - 2, dtype=int)]]
    assert metrics.mode_hops(onto_old) == []       # mode 0 dropped, but 1 was held already: no hop
    onto_new = [np.r_[[80, 0], np.zeros(K - 2, dtype=int)], np.r_[[0, 100], np.zeros(K - 2, dtype=int)]]
    assert metrics.mode_hops(onto_new) == [(0, 1, 0, 1)]
    for _ in range(20):                           # relabelling the modes relabels the hops
        history = [np.eye(K, dtype=int)[rng.integers(K)] * rng.integers(0, 200) for _ in range(30)]
        perm = rng.permutation(K)
        hops = metrics.mode_hops(history)
        assert metrics.mode_hops([h[np.argsort(perm)] for h in history]) == [
            (t, u, int(perm[a]), int(perm[b])) for t, u, a, b in hops]


def test_players_at_reads_the_jacobian_dead_units_and_the_critic_slope():
    from ganlib.models import discriminator, generator
    torch.manual_seed(0)
    ring = data.mixture("ring8")
    G, D = generator(), discriminator()
    with torch.no_grad():
        D[0].weight.zero_(); D[0].bias.fill_(1.0)             # D(x) = const + w·x through layer 1 only
        D[0].weight[0] = torch.tensor([3.0, 4.0])
        D[2].weight.zero_(); D[2].bias.zero_(); D[2].weight[0, 0] = 1.0; D[2].bias[0] = 0.0
        D[4].weight.zero_(); D[4].bias.zero_(); D[4].weight[0, 0] = 1.0
    p = metrics.players_at(G, D, ring, n=500)
    # on the half-plane 3x + 4y + 1 > 0, D(x) = 3x + 4y + 1: slope 5 there, 0 elsewhere
    x = G(torch.randn(500, 2, generator=torch.Generator().manual_seed(0)))
    inside = float(((x @ torch.tensor([3.0, 4.0]) + 1) > 0).double().mean())
    assert p["d_grad"] == pytest.approx(5 * inside, abs=1e-5)
    assert p["d_modes"] == pytest.approx([max(0.0, 3 * m[0] + 4 * m[1] + 1) for m in ring.means.tolist()], abs=1e-5)
    assert p["jacobian"] > 0 and len(p["alive"]) == 2 and all(0 < a <= 1 for a in p["alive"])
    with torch.no_grad():                                       # a dead last hidden layer: G constant
        G[2].bias.fill_(-1e3)
    dead = metrics.players_at(G, D, ring, n=500)
    assert dead["alive"][-1] == 0.0 and dead["jacobian"] == 0.0


def test_nearest_mode_gives_each_samples_nearest_mean_and_its_distance():
    ring = data.mixture("ring8")
    shift = torch.tensor([[0.003, -0.004]], dtype=torch.float64)
    dist, index = metrics.nearest_mode(ring.means.double() + shift, ring)
    assert index.tolist() == list(range(8))
    assert torch.allclose(dist, torch.full((8,), 0.005, dtype=torch.float64), atol=1e-12)
    with pytest.raises(ValueError, match="expected \\[N, 2\\]"):
        metrics.nearest_mode(torch.zeros(3, 3), ring)


def test_code_chance_is_the_accuracy_of_permuted_codes_above_one_over_k():
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 8, (2500,), generator=g)
    assert metrics.code_agreement(labels, labels, 8, 8)["accuracy"] == 1.0
    chance = metrics.code_chance(labels, labels, 8, 8, n_permutations=50)
    assert chance.shape == (50,) and np.array_equal(chance, metrics.code_chance(labels, labels, 8, 8, n_permutations=50))
    assert 1 / 8 < chance.mean() < 0.2 and chance.max() < 0.25   # fitted matching: a little above 1/8


def test_stats_from_counts_is_mode_stats_on_the_counts():
    from ganlib import metrics
    from ganlib.data import mixture
    g = torch.Generator().manual_seed(3)
    ring = mixture("ring8")
    for samples in (ring.sample(500, generator=g), 3 * torch.randn(500, 2, generator=g), torch.full((50, 2), 40.0)):
        direct = metrics.mode_stats(samples, ring)
        again = metrics.stats_from_counts(metrics.mode_counts(samples, ring), samples.shape[0])
        assert again == direct
