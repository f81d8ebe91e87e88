"""Plot helpers: what they draw, checked on the figure objects (the pictures are looked at in the book)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ganlib import plot  # noqa: E402
from ganlib.train import train  # noqa: E402


def test_per_mixture_draws_one_titled_panel_per_mixture_with_its_own_runs():
    tiny = dict(steps=4, batch_size=16, hidden=8, eval_every=2, n_eval=50, progress=False, device="cpu")
    runs = {data: {"ns": train("nonsaturating", data, **tiny)} for data in ("ring8", "grid25")}
    fig = plot.per_mixture(runs, plot.modes_over_training, title="{data}: modes")
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["ring8: modes", "grid25: modes"]
    for ax, data in zip(axes, runs):
        K = runs[data]["ns"].data.n_modes
        assert ax.get_ylabel() == f"modes covered (of {K})"
        assert list(ax.get_lines()[0].get_xdata()) == [0, 2, 4]
    plt.close(fig)
