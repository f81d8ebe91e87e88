"""Kept for old notebooks: the K+1 semi-supervised GAN is ``ganlib.semi_supervised`` and InfoGAN
is ``ganlib.infogan``, each in its own module."""

from .infogan import InfoDiscriminator, InfoRun, train_infogan  # noqa: F401
from .semi_supervised import (GaussianNoise, SemiSupervisedRun, classifier_network,  # noqa: F401
                              labelled_subset, train_classifier, train_semi_supervised)
