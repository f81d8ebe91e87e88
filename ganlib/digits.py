"""sklearn's 8×8 handwritten digits: the data (``load``), a small classifier trained on them
(``classifier``), and how generated digits look to it (``scores``: the Fréchet digit distance,
the classes covered and their balance).

Not FID: FID uses Inception features of natural images; this uses a small MLP trained here.
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

from . import models
from .optim import update

SPLITS = ("all", "train", "test")
TEST_SIZE = 597      # 1,797 digits: 1,200 to train on, 597 held out


def load(split: str = "all") -> tuple[Tensor, Tensor]:
    """sklearn's 8×8 handwritten digits, offline: ``(x [N, 64], y [N])``.

    Pixel values 0…16 are scaled to [-1, 1] by x/8 - 1, the range of a tanh
    generator output; ``y`` holds the class labels 0…9.  ``split`` is ``"all"``
    (1,797 digits), ``"train"`` (1,200) or ``"test"`` (597): one fixed shuffle
    (seed 0), the same on every machine, so the held-out digits never train a
    generator or a classifier.
    """
    if split not in SPLITS:
        raise ValueError(f"digits.load: unknown split {split!r}; valid: {', '.join(SPLITS)}")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.data, dtype=torch.float32) / 8.0 - 1.0
    y = torch.tensor(bunch.target, dtype=torch.long)
    if split == "all":
        return x, y
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    n_train = len(y) - TEST_SIZE
    idx = order[:n_train] if split == "train" else order[n_train:]
    return x[idx], y[idx]


CLASSIFIER_SIZES = [64, 128, 64, 10]     # 64 pixels → 128 → 64 features → 10 classes


@functools.lru_cache(maxsize=4)
def classifier(seed: int = 0, steps: int = 600) -> tuple[torch.nn.Sequential, float]:
    """A small MLP digit classifier, trained on ``load("train")``: ``(model, test accuracy)``.

    64 → 128 → 64 → 10 (ReLU), full-batch Adam for ``steps`` steps with weight decay, seeded:
    a second or two on a CPU.  It is trained once per process and cached in memory (nothing is
    written to disk or committed).  ``model[:-1]`` maps a digit to its 64 *features*.
    """
    x, y = load("train")
    x_test, y_test = load("test")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = models.mlp(CLASSIFIER_SIZES)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
        for _ in range(steps):
            update(opt, torch.nn.functional.cross_entropy(model(x), y))
    model.eval().requires_grad_(False)
    with torch.no_grad():
        accuracy = float((model(x_test).argmax(dim=1) == y_test).float().mean())
    return model, accuracy


def frechet_distance(a: Tensor, b: Tensor) -> float:
    r"""Fréchet distance between Gaussians fitted to two sets of feature vectors ``[N, d]``:

        ‖μ_a - μ_b‖² + Tr(Σ_a + Σ_b - 2 (Σ_a Σ_b)^{1/2})

    (Dowson & Landau 1982; the formula behind FID).  The trace of the matrix square root is
    Σ_i sqrt(λ_i) over the eigenvalues of the symmetric Σ_a^{1/2} Σ_b Σ_a^{1/2}, computed in
    float64 with ``eigh`` (no complex parts to discard, unlike ``sqrtm``).
    """
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"frechet_distance: need two [N, d] sets with N >= 2 and one d; got "
                         f"{list(a.shape)} and {list(b.shape)}")
    a, b = a.detach().cpu().double(), b.detach().cpu().double()
    mu_a, mu_b = a.mean(dim=0), b.mean(dim=0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    w, v = torch.linalg.eigh(cov_a)
    root_a = (v * w.clamp(min=0).sqrt()) @ v.T
    cross = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    return float(((mu_a - mu_b) ** 2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross)


def scores(samples: Tensor, reference: Tensor | None = None, min_share: float = 0.01) -> dict:
    """How a set of generated digits ``[N, 64]`` (in [-1, 1]) looks to ``classifier``:

    * ``fdd``: the *Fréchet digit distance*, ``frechet_distance`` between the classifier's
      64 features of ``samples`` and of ``reference`` (default: the training digits);
    * ``classes``: the classes (of 10) predicted for at least ``min_share`` of the samples;
    * ``class_rkl``: KL(q̂ ‖ u) of the predicted-class histogram against the uniform one
      (as ``rkl`` for mixtures: 0 when balanced, log 10 ≈ 2.30 for a single class).
    """
    if samples.dim() != 2 or samples.shape[1] != CLASSIFIER_SIZES[0] or len(samples) < 2:
        raise ValueError(f"digits.scores: samples have shape {list(samples.shape)}; expected [N, 64]")
    if not torch.isfinite(samples).all():
        raise ValueError("digits.scores: samples contain NaN or inf")
    model, _ = classifier()
    features = model[:-1]
    x = samples.detach().cpu().float()
    ref = load("train")[0] if reference is None else reference.detach().cpu().float()
    with torch.no_grad():
        f_x, f_ref = features(x), features(ref)
        predicted = model[-1](f_x).argmax(dim=1)
    share = torch.bincount(predicted, minlength=10).double() / len(x)
    q = share[share > 0]
    return {"fdd": frechet_distance(f_x, f_ref),
            "classes": int((share >= min_share).sum()),
            "class_rkl": float((q * torch.log(10 * q)).sum())}
