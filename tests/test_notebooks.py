"""Every training notebook runs under papermill with CI-size parameters and produces its results.

(The derivation notebooks in book/ are checked by nbval against their committed outputs; see
pyproject.toml.)  Runs with the network blocked: the notebooks must work offline.
"""

import json
from pathlib import Path

import nbformat

import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[1]
TRAINING = sorted((ROOT / "notebooks").glob("*.ipynb"))
CI_PARAMETERS = {"steps": 200, "eval_every": 50, "extra_seeds": 1, "device": "cpu"}


def outputs(nb, kind):
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
            if kind in o.get("data", {}) or o.get("output_type") == kind]


def test_every_training_notebook_has_a_parameters_cell():
    assert TRAINING, "no training notebooks found"
    for path in TRAINING:
        cells = json.loads(path.read_text())["cells"]
        tagged = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1, f"{path.name}: one cell tagged 'parameters' expected"
        for name in CI_PARAMETERS:
            assert f"{name} =" in "".join(tagged[0]["source"]), f"{path.name} lacks parameter {name}"


MIXTURE_TABLE = ("| ring8 |", "| grid25 |")
# What each training notebook must show at CI size: figures, and text in its Markdown tables.
EXPECTED = {
    "01_vanilla_gan_training.ipynb": (4, MIXTURE_TABLE + ("| modes hopped |", "| non-saturating | 1 |")),
    "02_fgan_training.ipynb": (4, MIXTURE_TABLE + ("learned the ring:",)),
    "03_lsgan_training.ipynb": (4, MIXTURE_TABLE + ("mean D(generated)",)),
    "04_bgan_training.ipynb": (4, MIXTURE_TABLE + ("mean D(G(z))",)),
    "05_softmax_gan_training.ipynb": (4, MIXTURE_TABLE + ("log 512",)),
    "06_wgan_training.ipynb": (4, MIXTURE_TABLE + ("exact W₁ (samples)", "| WGAN, R1 (")),
    "07_improved_infogan_training.ipynb": (2, ("| mean ± std |", "| InfoGAN, λ = 1 |", "| InfoGAN, λ = 0 |")),
    "08_loss_zoo.ipynb": (3, ("| # | objective | setting (generator) |", "*PacGAN4*",
                             "| at least as good |", "seed 100 alone",
                             "| ring8 | modes |")),
    "09_digits.ipynb": (3, ("| held-out real digits |", "| WGAN-GP |", "| non-saturating |")),
    "10_training_dynamics.ipynb": (3, ("| 8 | 7.9996 |", "| saturating | 1 × 1e-5 |", "| non-saturating | 10 × 1e-2 |",
                                       "| wgan, alternating, h = 0.5 |", "| 10 | 4,000 |", "| ring8 | 1 | G_ema |",
                                       "**Observed**", "| saturating | 5 × 1e-4 |")),
}


def test_every_training_notebook_has_expectations():
    assert sorted(p.name for p in TRAINING) == sorted(EXPECTED)


@pytest.mark.parametrize("path", TRAINING, ids=lambda p: p.name)
def test_training_notebook_runs_at_ci_size(path, tmp_path):
    out = tmp_path / path.name
    nb = pm.execute_notebook(str(path), str(out), parameters=CI_PARAMETERS, cwd=str(path.parent),
                             kernel_name="python3", progress_bar=False)
    figures, texts = EXPECTED[path.name]
    assert len(outputs(nb, "image/png")) >= figures, "the figures are missing"
    tables = "".join("".join(o["data"]["text/markdown"]) for o in outputs(nb, "text/markdown"))
    for text in texts:
        assert text in tables, f"{path.name}: no table shows {text!r}"
    assert not outputs(nb, "error")


def test_an_unknown_device_stops_the_notebook_with_a_clear_error(tmp_path):
    path = ROOT / "notebooks" / "01_vanilla_gan_training.ipynb"
    with pytest.raises(pm.PapermillExecutionError, match="unknown device 'gpu0'"):
        pm.execute_notebook(str(path), str(tmp_path / "bad.ipynb"), cwd=str(path.parent),
                            parameters={**CI_PARAMETERS, "device": "gpu0"}, kernel_name="python3",
                            progress_bar=False)


def test_an_unknown_objective_value_stops_the_notebook_with_the_valid_names(tmp_path):
    path = ROOT / "notebooks" / "02_fgan_training.ipynb"
    message = r"unknown divergence\(s\) \[.kll.\]; choose from \[.kl., .reverse_kl."
    with pytest.raises(pm.PapermillExecutionError, match=message):
        pm.execute_notebook(str(path), str(tmp_path / "bad.ipynb"), cwd=str(path.parent),
                            parameters={**CI_PARAMETERS, "divergences": ["kll", "js"]},
                            kernel_name="python3", progress_bar=False)


def test_the_lr_parameter_overrides_the_zoos_learning_rate(tmp_path):
    """Chapters 3-6 train with the loss zoo's chosen recipes unless ``lr`` is given (it once
    leaked into the objective's parameters and stopped the notebook)."""
    path = ROOT / "notebooks" / "03_lsgan_training.ipynb"
    nb = pm.execute_notebook(str(path), str(tmp_path / "lr.ipynb"), cwd=str(path.parent),
                             parameters={**CI_PARAMETERS, "steps": 60, "eval_every": 30, "lr": 5e-4},
                             kernel_name="python3", progress_bar=False)
    tables = "".join("".join(o["data"]["text/markdown"]) for o in outputs(nb, "text/markdown"))
    assert tables.count("| adam | 0.0005 | 0.0005 |") == 4, tables     # the settings table


def test_a_notebook_that_reaches_for_the_network_fails(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=5)")]
    path = tmp_path / "online.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(pm.PapermillExecutionError, match="network access is blocked here"):
        pm.execute_notebook(str(path), str(tmp_path / "out.ipynb"), kernel_name="python3",
                            progress_bar=False)


def test_the_test_process_itself_cannot_reach_the_network():
    import socket
    with pytest.raises(ConnectionRefusedError, match="network access is blocked here"):
        socket.create_connection(("192.0.2.1", 80), timeout=5)
