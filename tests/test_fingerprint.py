"""The guards of the committed results (``ganlib.fingerprint``) in both directions: they fail when
the code that made a result changes, and pass when only the machine does (other kernels, another
thread count).  Each check runs in a fresh Python process, so the code it imports and the kernels
torch picks are those of that process."""

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ganlib import fingerprint
from ganlib.train import train

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ZOO = json.loads((RESULTS / "loss_zoo.json").read_text())

SCRIPT = ROOT / "benchmarks" / "fingerprints.py"


def recompute(source: Path, *args: str, **env) -> dict:
    """``benchmarks/fingerprints.py --json`` in a fresh process whose ``ganlib`` is ``source/ganlib``."""
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]),
               **env}
    done = subprocess.run([sys.executable, str(SCRIPT), "--json", *args], capture_output=True, text=True,
                          env=environ, cwd=source, timeout=600)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["ganlib"]).resolve().parent == (source / "ganlib").resolve(), out["ganlib"]
    assert done.returncode == (1 if any(out["mismatches"].values()) else 0)
    return out


def edited_copy(tmp_path: Path, path: str, old: str, new: str) -> Path:
    """A copy of ganlib with one edit: ``old`` → ``new`` (exactly once) in ``ganlib/<path>``."""
    shutil.copytree(ROOT / "ganlib", tmp_path / "ganlib", ignore=shutil.ignore_patterns("__pycache__"))
    file = tmp_path / "ganlib" / path
    text = file.read_text()
    assert text.count(old) == 1, f"{path}: {old!r} not found once"
    file.write_text(text.replace(old, new))
    return tmp_path


@pytest.mark.parametrize("objective, old, new", [
    ("hinge", "F.relu(1.0 - real)", "F.relu(1.0001 - real)"),                 # the hinge's real margin
    ("wgan-gp", "((grad.norm(2, dim=2) - 1.0) ** 2)", "((grad.norm(2, dim=2) - 1.0001) ** 2)"),  # target norm
], ids=["hinge-margin", "wgan-gp-target-norm"])
def test_a_loss_constant_moved_by_1e_4_fails_the_guard(tmp_path, objective, old, new):
    """One constant of one objective moved from 1.0 to 1.0001 in a copy of ganlib: the committed
    fingerprint of that objective's loss-zoo cell no longer matches, by far more than the
    tolerance; the other objective's cells (trained in the same stack) still do.  (WGAN-GP's
    R1 row trains WGAN's losses with R1, not its penalty: only its recipe row moves.)"""
    out = recompute(edited_copy(tmp_path, "losses.py", old, new), "--objectives", objective, "nonsaturating")
    bad = out["mismatches"]["loss_zoo.json"]
    moved = [f"{objective} / recipe"] + ([f"{objective} / R1"] if objective == "hinge" else [])
    assert bad and sorted({b.split(",")[0] for b in bad}) == sorted(moved), bad
    zoo = out["checks"]["loss_zoo.json"]
    first = zoo["labels"].index(f"{objective} / recipe")
    assert fingerprint.worst(zoo["committed"][first:first + 1], zoo["again"][first:first + 1]) > \
        100 * fingerprint.RTOL


def test_the_unedited_copy_passes_the_guard(tmp_path):
    """The control of the test above: the same copy, with no edit, matches both files."""
    shutil.copytree(ROOT / "ganlib", tmp_path / "ganlib", ignore=shutil.ignore_patterns("__pycache__"))
    out = recompute(tmp_path)
    assert out["checks"]["loss_zoo.json"]["labels"] == list(ZOO["cells"])
    assert out["mismatches"] == {"loss_zoo.json": [], "zoo_search.json": [], "mode_hopping.json": [],
                                "fgan_seeds.json": [], "critic_budget.json": [], "r1_mixtures.json": []}


def test_other_kernels_and_one_thread_pass_the_guard():
    """torch's non-vectorised kernels (``ATEN_CPU_CAPABILITY=default``) on one thread give float32
    numbers that differ from the native ones after a few steps; the float64 fingerprints of both
    committed results still match to ``RTOL``."""
    out = recompute(ROOT, "--threads", "1", ATEN_CPU_CAPABILITY="default")
    assert out["capability"] == "DEFAULT" and out["threads"] == 1
    assert out["mismatches"] == {"loss_zoo.json": [], "zoo_search.json": [], "mode_hopping.json": [],
                                "fgan_seeds.json": [], "critic_budget.json": [], "r1_mixtures.json": []}


def test_a_fingerprint_is_a_prefix_of_the_longer_run():
    """The losses a fingerprint sums are the first STEPS steps of the same call trained longer
    (with another eval_every): the committed fingerprints really are prefixes of the committed runs."""
    members = [dict(objective="nonsaturating", seed=3), dict(objective="wgan-gp", seed=1, n_critic=2)]
    settings = dict(data="ring8", batch_size=64, n_eval=300, hidden=32)
    prints = fingerprint.prefix(members, device="cpu", **settings)
    with fingerprint.float64():
        longer = train(members=members, device="cpu", progress=False, steps=fingerprint.STEPS + 20,
                       eval_every=35, **settings)
    for numbers, run in zip(prints, longer):
        assert numbers[:2] == [math.fsum(run.history[k][:fingerprint.STEPS]) for k in ("d_loss", "g_loss")]


def test_mismatches_names_what_moved_and_ignores_rounding():
    committed = [[10.0, -0.001, 3.0, 4.0]]
    assert fingerprint.mismatches(committed, [[10.0 * (1 + 1e-12), -0.001 + 1e-12, 3.0, 4.0]]) == []
    assert fingerprint.mismatches(committed, [[10.0, -0.001, 3.0 * (1 + 1e-6), 4.0]], labels=["lsgan"]) == \
        [f"lsgan, |theta_G|: committed 3.0, now {3.0 * (1 + 1e-6)!r}"]
    assert fingerprint.mismatches(committed, []) == ["1 members committed, 0 now"]
    assert "expected 4" in fingerprint.mismatches([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])[0]
