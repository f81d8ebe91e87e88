"""The publish step (.github/workflows/publish.yml): the config it writes and the Colab-ready notebooks.

Offline: the scripts run against scratch copies with a made-up OWNER/REPO, and the Colab set-up
cell is executed with and without a stand-in for ``google.colab`` (its commands recorded, not run).
The published build itself is checked in the browser test (tests/test_rendered.py).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
REPO, COMMIT = "someone/gan-book-fork", "0123456789abcdef0123456789abcdef01234567"
sys.path.insert(0, str(ROOT / ".ci"))
import colab  # noqa: E402


def test_publish_config_adds_the_repository_and_the_colab_buttons(tmp_path):
    (tmp_path / ".ci").mkdir()
    (tmp_path / ".ci" / "publish_config.py").write_text((ROOT / ".ci" / "publish_config.py").read_text())
    (tmp_path / "_config.yml").write_text((ROOT / "_config.yml").read_text())
    subprocess.run([sys.executable, str(tmp_path / ".ci" / "publish_config.py"), REPO], check=True,
                   capture_output=True)
    config = yaml.safe_load((tmp_path / "_config.yml").read_text())
    assert config["repository"] == {"url": f"https://github.com/{REPO}", "branch": "colab"}
    assert config["launch_buttons"] == {"colab_url": "https://colab.research.google.com"}
    assert config["html"]["use_repository_button"] and config["html"]["use_download_button"]
    source = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "launch_buttons" not in source and "repository" not in source   # the local build has none
    assert {k: v for k, v in config.items() if k not in ("repository", "launch_buttons", "html")} == \
        {k: v for k, v in source.items() if k != "html"}
    bad = subprocess.run([sys.executable, str(tmp_path / ".ci" / "publish_config.py"), "no-slash"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "usage" in bad.stderr


def test_colab_copies_are_the_notebooks_with_one_set_up_cell_first(tmp_path):
    subprocess.run([sys.executable, str(ROOT / ".ci" / "colab.py"), REPO, COMMIT, str(tmp_path)],
                   check=True, capture_output=True)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.ipynb"))
    assert written == sorted(colab.notebooks()) and len(written) == 20
    for path in written:
        source, copy = (json.loads(p.read_text()) for p in (ROOT / path, tmp_path / path))
        first = copy["cells"][0]
        assert first["metadata"]["tags"] == [colab.TAG] and first["cell_type"] == "code"
        code = "".join(first["source"])
        assert f'"{REPO}", "{COMMIT}"' in code and f'"{path.parent.as_posix()}")' in code
        assert copy["cells"][1:] == source["cells"], path
        assert {k: v for k, v in copy.items() if k != "cells"} == {k: v for k, v in source.items() if k != "cells"}
    bad = subprocess.run([sys.executable, str(ROOT / ".ci" / "colab.py"), REPO, "main", str(tmp_path)],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "COMMIT" in bad.stderr


RUN_CELL = r"""
import json, os, subprocess, sys
before = (os.getcwd(), list(sys.path))
calls = []
if os.environ.get("FAKE_COLAB"):
    subprocess.run = lambda command, check: calls.append(command)
    os.chdir = lambda folder: calls.append(["chdir", folder])
exec(open(sys.argv[1]).read())
print(json.dumps({"calls": calls, "cwd_same": os.getcwd() == before[0], "path_added": sys.path[:1]
                  if sys.path != before[1] else []}))
"""


def _run_set_up_cell(tmp_path, notebook, fake_colab):
    cell = "".join(colab.setup_cell(REPO, COMMIT, Path(notebook))["source"])
    (tmp_path / "cell.py").write_text(cell)
    (tmp_path / "run.py").write_text(RUN_CELL)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "tests" / "offline")}
    if fake_colab:
        (tmp_path / "google" / "colab").mkdir(parents=True)
        (tmp_path / "google" / "colab" / "__init__.py").write_text("")
        env.update(FAKE_COLAB="1", PYTHONPATH=f"{tmp_path}:{env['PYTHONPATH']}")
    out = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path / "cell.py")], cwd=tmp_path,
                         env=env, capture_output=True, text=True, check=True)
    *printed, result = out.stdout.strip().splitlines()
    return printed, json.loads(result)


def test_the_set_up_cell_does_nothing_outside_colab(tmp_path):
    printed, result = _run_set_up_cell(tmp_path, "notebooks/01_vanilla_gan_training.ipynb", fake_colab=False)
    assert printed == [] and result == {"calls": [], "cwd_same": True, "path_added": []}


def test_in_colab_the_set_up_cell_fetches_the_published_commit_and_enters_the_notebooks_folder(tmp_path):
    printed, result = _run_set_up_cell(tmp_path, "book/02_fgan.ipynb", fake_colab=True)
    folder = "/content/gan-book-fork"
    assert result["calls"] == [
        ["git", "init", "--quiet", folder],
        ["git", "-C", folder, "fetch", "--quiet", "--depth", "1", f"https://github.com/{REPO}", COMMIT],
        ["git", "-C", folder, "checkout", "--quiet", "FETCH_HEAD"],
        ["chdir", f"{folder}/book"]]
    assert result["path_added"] == [folder]
    assert printed and "0123456" in printed[0]


def test_the_workflow_pushes_the_colab_branch_with_the_least_permissions():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text())
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "write"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    steps = "\n".join(s.get("run", "") for s in jobs["build"]["steps"])
    assert '.ci/publish_config.py "$GITHUB_REPOSITORY" colab' in steps
    assert '.ci/colab.py "$GITHUB_REPOSITORY" "$GITHUB_SHA"' in steps and "push" in steps
