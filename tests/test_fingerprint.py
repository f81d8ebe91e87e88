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
QUALITY = json.loads((RESULTS / "quality.json").read_text())
HOPPING = json.loads((RESULTS / "mode_hopping.json").read_text())

# Recomputes both committed fingerprints with whatever ganlib is first on sys.path and prints
# them, with the file ganlib came from and the CPU kernels torch dispatches to.
RECOMPUTE = """
import json, sys
import torch
sys.path.insert(0, {tests!r})
import ganlib
from ganlib import compare, fingerprint
from test_compare import committed_zoo_call
torch.set_num_threads({threads})
quality = json.loads(open({quality!r}).read())
hopping = json.loads(open({hopping!r}).read())
objectives = {objectives!r} or list(quality["fingerprint"])
settings, budget = committed_zoo_call(quality)
zoo = compare.zoo_fingerprint(objectives, settings, device="cpu", **budget)
print(json.dumps({{"ganlib": ganlib.__file__, "capability": torch.backends.cpu.get_cpu_capability(),
                  "threads": torch.get_num_threads(), "objectives": objectives,
                  "zoo": [zoo[o] for o in objectives],
                  "hopping": fingerprint.prefix(hopping["members"], device="cpu", **hopping["settings"])
                             if {hopping_too} else None}}))
"""


def recompute(source: Path, objectives=(), threads: int = 2, hopping: bool = False, **env) -> dict:
    script = RECOMPUTE.format(tests=str(ROOT / "tests"), threads=threads, quality=str(RESULTS / "quality.json"),
                              hopping=str(RESULTS / "mode_hopping.json"), objectives=list(objectives),
                              hopping_too=hopping)
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]),
               **env}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environ,
                          cwd=source, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(out["ganlib"]).resolve().parent == (source / "ganlib").resolve(), out["ganlib"]
    return out


def zoo_mismatches(out: dict) -> list[str]:
    return fingerprint.mismatches([QUALITY["fingerprint"][o] for o in out["objectives"]], out["zoo"],
                                  labels=out["objectives"])


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
    fingerprint of that objective no longer matches, by far more than the tolerance; the others
    (trained in the same stack) still do."""
    out = recompute(edited_copy(tmp_path, "losses.py", old, new), objectives=[objective, "nonsaturating"])
    bad = zoo_mismatches(out)
    assert bad and all(b.startswith(objective) for b in bad), bad
    committed = QUALITY["fingerprint"][objective]
    assert fingerprint.worst([committed], [out["zoo"][0]]) > 100 * fingerprint.RTOL


def test_the_unedited_copy_passes_the_guard(tmp_path):
    """The control of the test above: the same copy, with no edit, matches every objective."""
    shutil.copytree(ROOT / "ganlib", tmp_path / "ganlib", ignore=shutil.ignore_patterns("__pycache__"))
    out = recompute(tmp_path)
    assert not zoo_mismatches(out)


def test_other_kernels_and_one_thread_pass_the_guard():
    """torch's non-vectorised kernels (``ATEN_CPU_CAPABILITY=default``) on one thread give float32
    numbers that differ from the native ones after a few steps; the float64 fingerprints of both
    committed results still match to ``RTOL``."""
    out = recompute(ROOT, threads=1, hopping=True, ATEN_CPU_CAPABILITY="default")
    assert out["capability"] == "DEFAULT" and out["threads"] == 1
    assert not zoo_mismatches(out)
    labels = [f"{m['objective']} seed {m['seed']}" for m in HOPPING["members"]]
    assert not fingerprint.mismatches(HOPPING["fingerprint"]["numbers"], out["hopping"], labels=labels)


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
