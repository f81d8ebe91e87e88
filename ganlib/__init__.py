"""ganlib: the small library behind the book *GAN objectives, derived and run*.

One module per concern — ``losses``, ``divergences``, ``symbolic``, ``data``,
``models``, ``train``, ``metrics``, ``plot`` — each small enough to read in one
sitting.  The chapters import it and never carry private copies of its code.
"""

__version__ = "0.1.0"
