"""Plot helpers: what they draw, checked on the figure objects (the pictures are looked at in the book)."""

import numpy as np
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
        assert ax.get_legend() is None                          # one shared legend instead
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["ns"]
    assert legend.get_window_extent().y1 <= min(ax.get_window_extent().y0 for ax in axes)
    plt.close(fig)


def test_final_samples_draws_one_row_per_setting_and_one_titled_panel_per_run():
    tiny = dict(steps=4, batch_size=16, hidden=8, eval_every=2, n_eval=50, progress=False,
                device="cpu", g_ema=0.9)
    runs = {name: train("nonsaturating", "ring8", **tiny) for name in ("a", "b")}
    rows = {"without R1": runs, "with R1": {"a": runs["a"]}}
    fig = plot.final_samples(rows, generator="G_ema")
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == ["a", "b", "a", ""]
    assert [axes[0].get_ylabel(), axes[2].get_ylabel()] == ["without R1", "with R1"]
    assert not axes[3].axison                                   # the empty panel is blank
    points = axes[0].collections[1].get_offsets()               # [0] is the means
    assert len(points) <= 50 and len(points) > 0
    plt.close(fig)
    # a generator per row: the raw G's samples on the first, G_ema's on the second
    fig = plot.final_samples(rows, generator={"without R1": "G", "with R1": "G_ema"})
    shown = [ax.collections[1].get_offsets() for ax in fig.get_axes()[:3]]
    assert np.array_equal(shown[0], runs["a"].history["samples"][-1])
    assert np.array_equal(shown[2], runs["a"].history["ema_samples"][-1])
    assert not np.array_equal(shown[0], shown[2])
    plt.close(fig)


def test_modes_over_training_scores_the_generator_asked_for():
    tiny = dict(steps=4, batch_size=16, hidden=8, eval_every=2, n_eval=50, progress=False,
                device="cpu", g_ema=0.9)
    runs = {"x": train("nonsaturating", "ring8", **tiny), "y": train("lsgan", "ring8", **tiny)}
    fig, ax = plt.subplots()
    plot.modes_over_training(ax, runs, {"x": "G_ema"})
    x, y = ax.get_lines()[:2]
    assert list(x.get_ydata()) == [s["modes"] for s in runs["x"].history["ema_mode_stats"]]
    assert list(y.get_ydata()) == [s["modes"] for s in runs["y"].history["mode_stats"]]
    plt.close(fig)
