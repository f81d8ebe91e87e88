"""Kept for old notebooks: ``train_ensemble(objective, data, seeds=[...])`` is
``ganlib.train.train(objective, data, seeds=[...])``, the one training loop."""

from .train import train as train_ensemble  # noqa: F401
