"""ganlib: the small library behind the book *GAN objectives, derived and run*.

One module per concern, each small enough to read in one sitting; the chapters import it and
never carry private copies of its code.

The derivations
  ``symbolic``         SymPy helpers: optimal discriminators, identities on the simplex, conjugates
  ``divergences``      divergences of discrete distributions; the f-GAN family; stable softplus
  ``losses``           every objective's two losses on logits, in stable forms; the registry
  ``dirac``            the Dirac-GAN: each objective's game linearised in SymPy, and played

The data and the networks
  ``data``             the 2-D Gaussian mixtures (PacGAN's ring8 and grid25)
  ``digits``           sklearn's 8×8 digits, a classifier trained on them, and its scores
  ``models``           the MLPs, and ``StackedMLP``: E networks as one batched network

Training
  ``settings``         ``Settings``: one run's settings, their defaults and checks
  ``train``            the one GAN training loop (every run a member of a stack)
  ``optim``            per-member Adam and RMSProp over stacked weights; the optimiser step
  ``runtime``          the device, per-member seeding, the progress bar, the NaN stop
  ``checkpoints``      saving and safely resuming a stack
  ``record``           ``Run``: what a training call returns for each member
  ``semi_supervised``  the K+1 semi-supervised GAN on digits, and its classifier baseline
  ``infogan``          InfoGAN with one categorical code on a mixture
  ``dynamics``         the Gaussian shift whose optimal discriminator is known (claim T1)

Measuring and comparing
  ``metrics``          PacGAN's modes / HQ / rKL, mode hops, code agreement, empirical W1
  ``recipes``          each objective's published recipe, the search around it, published tables
  ``zoo``              the loss zoo: every objective × mixture × seed, summarised and tabled
  ``fingerprint``      the float64 prefix that ties a committed result to the code that made it
  ``plot``             the figures
  ``report``           the training chapters' boxes and tables, beside the committed zoo
"""

__version__ = "0.1.0"
