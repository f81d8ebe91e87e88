"""The K+1 semi-supervised GAN, InfoGAN, and the digit metrics behind them."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganlib import data, digits, infogan, losses, metrics, semi_supervised


# --- I1: the K+1 logit -------------------------------------------------------------------

def test_k_plus_one_logit_is_the_logit_of_one_minus_the_generated_class():
    g = torch.Generator().manual_seed(0)
    l = torch.randn(64, 10, generator=g, dtype=torch.float64) * 3
    full = torch.cat([l, torch.zeros(64, 1, dtype=torch.float64)], dim=1)     # l_{K+1} = 0
    d = 1 - torch.softmax(full, dim=1)[:, -1]                                  # D = 1 - p(K+1 | x)
    v = losses.k_plus_one_logit(l)
    assert torch.allclose(torch.sigmoid(v), d, rtol=1e-12, atol=0)
    z = l.exp().sum(dim=1)
    assert torch.allclose(torch.sigmoid(v), z / (z + 1), rtol=1e-12, atol=0)  # D = Z/(Z+1)


def test_k_plus_one_logit_is_finite_where_exp_overflows():
    l = torch.tensor([[1000.0, 999.0], [-1000.0, -1001.0]])
    v = losses.k_plus_one_logit(l)
    assert torch.isfinite(v).all()
    assert math.isclose(float(v[0]), 1000 + math.log1p(math.exp(-1)), rel_tol=1e-6)
    with pytest.raises(ValueError, match=r"\[B, K\]"):
        losses.k_plus_one_logit(torch.zeros(3))


def test_semi_supervised_d_is_cross_entropy_plus_the_gan_loss_on_the_k_plus_one_logit():
    g = torch.Generator().manual_seed(1)
    lab, unl, fake = (torch.randn(8, 10, generator=g, dtype=torch.float64) for _ in range(3))
    y = torch.randint(10, (8,), generator=g)
    sup, unsup = losses.semi_supervised_d(lab, y, unl, fake)
    p_class = torch.softmax(lab, dim=1)[torch.arange(8), y]
    assert math.isclose(float(sup), float(-p_class.log().mean()), rel_tol=1e-12)
    d = lambda l: l.exp().sum(1) / (l.exp().sum(1) + 1)                      # D = Z/(Z+1)
    expected = -d(unl).log().mean() - (1 - d(fake)).log().mean()
    assert math.isclose(float(unsup), float(expected), rel_tol=1e-12)


def test_feature_matching_is_the_squared_distance_of_the_means_and_trains_only_g():
    real = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    fake = torch.tensor([[0.0, 0.0], [0.0, 2.0]], requires_grad=True)
    loss = losses.feature_matching_g(real, fake)
    assert loss.item() == (2 - 0) ** 2 + (3 - 1) ** 2
    loss.backward()
    assert real.grad is None and torch.allclose(fake.grad, torch.tensor([[-2.0, -2.0]] * 2))


# --- I2: InfoGAN's bound ------------------------------------------------------------------

def test_infogan_bound_is_below_the_mutual_information_and_tight_at_the_posterior():
    """A random discrete joint P(c, x): -CE + H(c) ≤ I(c; x) for any Q, = for Q = P(c | x)."""
    g = torch.Generator().manual_seed(2)
    n_c, n_x = 4, 6
    joint = torch.rand(n_c, n_x, generator=g, dtype=torch.float64)
    joint /= joint.sum()
    p_c, p_x = joint.sum(1), joint.sum(0)
    mi = float((joint * (joint / (p_c[:, None] * p_x[None, :])).log()).sum())
    h_c = float(-(p_c * p_c.log()).sum())
    # E over (c, x) ~ P of log Q(c | x), written as a weighted cross-entropy over all pairs
    c_idx = torch.arange(n_c).repeat_interleave(n_x)
    x_idx = torch.arange(n_x).repeat(n_c)
    w = joint.flatten()

    def bound(q_logits):                                    # q_logits: [n_x, n_c]
        per_pair = F.cross_entropy(q_logits[x_idx], c_idx, reduction="none")
        assert math.isclose(float(losses.infogan_q_loss(q_logits[x_idx][:1], c_idx[:1])),
                            float(per_pair[0]), rel_tol=1e-12)
        return -float((w * per_pair).sum()) + h_c

    posterior = (joint / p_x[None, :]).T.log()              # log P(c | x), [n_x, n_c]
    assert math.isclose(bound(posterior), mi, rel_tol=1e-10)
    for _ in range(20):
        assert bound(torch.randn(n_x, n_c, generator=g, dtype=torch.float64)) < mi


# --- the digit split and the metrics -------------------------------------------------------

def test_digit_splits_are_fixed_disjoint_and_cover_the_data():
    x, y = digits.load("all")
    (a, ya), (b, yb) = digits.load("train"), digits.load("test")
    assert len(a) == 1200 and len(b) == 597
    rows = lambda t: {tuple(r) for r in t.tolist()}
    assert rows(a) | rows(b) == rows(x)                     # sklearn's digits hold a few duplicates
    assert torch.equal(digits.load("train")[0], a)          # the same split every call
    assert sorted(ya.unique().tolist()) == sorted(yb.unique().tolist()) == list(range(10))
    with pytest.raises(ValueError, match="valid: all, train, test"):
        digits.load("val")


def test_frechet_distance_matches_the_sqrtm_formula_and_its_properties():
    from scipy.linalg import sqrtm

    g = torch.Generator().manual_seed(3)
    a = torch.randn(500, 5, generator=g, dtype=torch.float64) @ torch.randn(5, 5, generator=g, dtype=torch.float64)
    b = torch.randn(400, 5, generator=g, dtype=torch.float64) * 2 + 1
    ca, cb = np.cov(a.numpy().T), np.cov(b.numpy().T)
    ref = ((a.mean(0) - b.mean(0)) ** 2).sum().item() + np.trace(ca + cb - 2 * sqrtm(ca @ cb).real)
    assert math.isclose(digits.frechet_distance(a, b), ref, rel_tol=1e-8)
    assert abs(digits.frechet_distance(a, a)) < 1e-8
    t = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0], dtype=torch.float64)
    assert math.isclose(digits.frechet_distance(a, a + t), float((t ** 2).sum()), rel_tol=1e-8)
    with pytest.raises(ValueError, match=r"\[N, d\]"):
        digits.frechet_distance(a, b[:, :3])


def test_digit_classifier_is_accurate_and_cached():
    model, accuracy = digits.classifier()
    assert accuracy > 0.93
    assert digits.classifier()[0] is model


def test_digit_scores_rank_real_below_noisy_below_collapsed():
    x_test, _ = digits.load("test")
    x_train, y_train = digits.load("train")
    g = torch.Generator().manual_seed(4)
    real = digits.scores(x_test)
    noisy = digits.scores((x_test + 0.5 * torch.randn(x_test.shape, generator=g)).clamp(-1, 1))
    collapsed = digits.scores(x_train[y_train == 7][:50].repeat(10, 1))
    assert real["fdd"] < noisy["fdd"] < collapsed["fdd"]
    assert real["classes"] == 10 and real["class_rkl"] < 0.02
    assert collapsed["classes"] == 1 and math.isclose(collapsed["class_rkl"], math.log(10), rel_tol=1e-9)
    with pytest.raises(ValueError, match=r"expected \[N, 64\]"):
        digits.scores(torch.zeros(10, 8))


def test_code_agreement_matches_codes_to_labels_one_to_one():
    codes = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    labels = torch.tensor([5, 5, 3, 3, 3, 3, 1])
    s = metrics.code_agreement(codes, labels, 3, 6)
    # one-to-one: 0→5 (2) + 1→3 (2) + 2→1 (1) = 5 beats 0→5 + 2→3 (2) + 1→other (0) = 4;
    # purity lets codes 1 and 2 share label 3: 2 + 2 + 2 = 6
    assert s["accuracy"] == 5 / 7 and s["purity"] == 6 / 7
    assert s["counts"].sum() == 7 and s["counts"][2, 3] == 2
    perm = torch.randperm(8, generator=torch.Generator().manual_seed(5))
    c = torch.randint(8, (200,), generator=torch.Generator().manual_seed(6))
    assert metrics.code_agreement(c, perm[c], 8, 8)["accuracy"] == 1.0
    with pytest.raises(ValueError, match="one \\[N\\] shape"):
        metrics.code_agreement(codes, labels[:3], 3, 6)


def test_empirical_w1_is_the_sorted_difference_in_one_dimension():
    g = torch.Generator().manual_seed(7)
    x, y = torch.randn(300, 1, generator=g), torch.rand(300, 1, generator=g) * 3
    expected = float((x.sort(0).values - y.sort(0).values).abs().mean())
    assert math.isclose(metrics.empirical_w1(x, y), expected, rel_tol=1e-6)
    assert math.isclose(metrics.empirical_w1(x, x + 2.5), 2.5, rel_tol=1e-6)
    with pytest.raises(ValueError, match="one shape"):
        metrics.empirical_w1(x, y[:10])


# --- training ---------------------------------------------------------------------------

def test_labelled_subset_is_balanced_and_checked():
    x, y = semi_supervised.labelled_subset(10, seed=0)
    assert x.shape == (100, 64) and torch.equal(torch.bincount(y), torch.full((10,), 10))
    assert not torch.equal(semi_supervised.labelled_subset(10, seed=1)[0], x)
    with pytest.raises(ValueError, match="labels_per_class must be an int in 1..1"):
        semi_supervised.labelled_subset(1000, seed=0)


def test_semi_supervised_training_is_seeded_and_learns():
    a = semi_supervised.train_semi_supervised(10, seed=0, steps=150, eval_every=50, progress=False, device="cpu")
    b = semi_supervised.train_semi_supervised(10, seed=0, steps=150, eval_every=50, progress=False, device="cpu")
    assert a.history["test_accuracy"] == b.history["test_accuracy"]
    assert a.history["eval_step"] == [0, 50, 100, 150]
    assert a.test_accuracy > 0.5                                  # far above chance (0.1) already
    assert np.isfinite(a.history["d_unsupervised"]).all() and a.history["samples"].shape == (100, 64)
    base = semi_supervised.train_classifier(10, seed=0, steps=150, eval_every=50, device="cpu")
    assert base.test_accuracy > 0.5 and base.G is None


def test_infogan_training_records_code_accuracy_and_checks_its_input():
    run = infogan.train_infogan("ring8", steps=100, eval_every=50, progress=False, device="cpu")
    assert run.history["eval_step"] == [0, 50, 100]
    assert all(0.0 <= a <= 1.0 for a in run.history["code_accuracy"])
    x = run.generate(torch.arange(8))
    assert x.shape == (8, 2) and torch.isfinite(x).all()
    with pytest.raises(ValueError, match="info_weight"):
        infogan.train_infogan("ring8", info_weight=-1.0, steps=10, progress=False)
    with pytest.raises(ValueError, match="mixture name"):
        infogan.train_infogan(torch.zeros(10, 2), steps=10, progress=False)


def params_gap(a: torch.nn.Module, b: torch.nn.Module) -> float:
    return max(float((p - q).detach().abs().max()) for p, q in zip(a.parameters(), b.parameters()))


@pytest.fixture
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def test_a_stacked_infogan_member_is_the_run_it_has_alone(float64):
    """Independence by construction: the λ = 1, seed-3 member trains to the same weights and
    code accuracies alone and inside a stack of four with other seeds and λ."""
    settings = dict(steps=60, eval_every=30, progress=False, device="cpu")
    alone = infogan.train_infogan("ring8", info_weight=1.0, seed=3, **settings)
    stack = infogan.train_infogan("ring8", members=[dict(info_weight=0.0, seed=0), dict(info_weight=1.0, seed=3),
                                                    dict(info_weight=0.5, seed=7), dict(seed=1)], **settings)
    member = stack[1]
    assert member.config["stack_size"] == 4 and member.config["info_weight"] == 1.0
    assert params_gap(member.G, alone.G) < 1e-10 and params_gap(member.D, alone.D) < 1e-10
    assert member.history["code_accuracy"] == alone.history["code_accuracy"]
    assert np.abs(member.history["d_loss"] - alone.history["d_loss"]).max() < 1e-10
    assert params_gap(stack[0].G, alone.G) > 1e-3                  # the other members did train
    # the returned D is an InfoDiscriminator with the stack's weights: it reproduces the last step's outputs
    x = torch.randn(5, 2, dtype=torch.float64)
    logit, codes = member.D(x)
    assert logit.shape == (5,) and codes.shape == (5, 8)
    with pytest.raises(ValueError, match="members must be a non-empty list of dicts of info_weight and seed"):
        infogan.train_infogan("ring8", members=[dict(lr_d=1.0)], steps=5, progress=False)


def test_a_stacked_semi_supervised_member_is_the_run_it_has_alone(float64):
    settings = dict(steps=40, eval_every=20, device="cpu")
    alone = semi_supervised.train_semi_supervised(10, seed=2, progress=False, **settings)
    member = semi_supervised.train_semi_supervised(10, seeds=[0, 2, 5, 9], progress=False, **settings)[1]
    assert member.config["stack_size"] == 4 and member.config["seed"] == 2
    assert params_gap(member.classifier, alone.classifier) < 1e-10 and params_gap(member.G, alone.G) < 1e-10
    assert member.history["test_accuracy"] == alone.history["test_accuracy"]
    base_alone = semi_supervised.train_classifier(10, seed=2, **settings)
    base = semi_supervised.train_classifier(10, seeds=[0, 2, 5], **settings)
    assert params_gap(base[1].classifier, base_alone.classifier) < 1e-10
    assert base[1].history["test_accuracy"] == base_alone.history["test_accuracy"]
    assert params_gap(base[0].classifier, base_alone.classifier) > 1e-3
    with pytest.raises(ValueError, match="seeds must be a non-empty list of ints"):
        semi_supervised.train_classifier(10, seeds=[], steps=5)



def test_a_nan_in_infogan_is_reported_as_the_quantity_that_turned(monkeypatch):
    """The NaN stop names the recorded quantity that is not finite: here only the generator
    step's information loss turns NaN (the GAN parts stay finite), and the report says so."""
    real_g_loss = infogan.info_g_loss

    def nan_info(out_real, out_fake, codes, info_weight):
        total, g, info = real_g_loss(out_real, out_fake, codes, info_weight)
        return total, g, info * float("nan")

    monkeypatch.setattr(infogan, "info_g_loss", nan_info)
    with pytest.raises(FloatingPointError, match=r"infogan \(λ = 1, seed 0\): info_loss became "
                                                 r"nan at step 1 of 4"):
        infogan.train_infogan("ring8", steps=4, batch_size=16, hidden=16, n_eval=20,
                              progress=False, device="cpu")


@pytest.mark.parametrize("call, message", [
    (lambda: infogan.train_infogan(steps=0), "train_infogan: steps must be a positive integer"),
    (lambda: infogan.train_infogan(lr_g=-1.0), "train_infogan: lr_g must be a positive finite"),
    (lambda: semi_supervised.train_classifier(10, lr=0.0), "train_classifier: lr must be a"),
    (lambda: semi_supervised.train_semi_supervised(10, batch_size=0),
     "train_semi_supervised: batch_size must be a positive integer"),
])
def test_a_bad_setting_is_reported_by_the_function_that_was_called(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_critic_check_bounds_a_lipschitz_critic_by_its_constant_times_w1():
    from ganlib.train import train
    run = train("wgan", "ring8", steps=2, batch_size=16, hidden=8, eval_every=2, n_eval=50,
                progress=False, device="cpu")
    for slope in (1.0, 3.0):
        critic = torch.nn.Linear(2, 1, bias=False)
        with torch.no_grad():                    # D(x) = slope · u·x, u a unit vector
            critic.weight.copy_(slope * torch.tensor([[0.6, 0.8]]))
        run.D = critic
        check = metrics.critic_check(run, n=200)
        assert math.isclose(check["max_grad"], slope, rel_tol=1e-6)
        assert check["estimate"] <= slope * check["w1"] + 1e-6
        assert check["w1"] > 0
