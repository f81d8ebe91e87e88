"""Colab-ready copies of the book's notebooks: `python .ci/colab.py OWNER/REPO COMMIT OUT_DIR`.

Run by .github/workflows/publish.yml, which pushes OUT_DIR as the branch `colab` of the same
repository; the published book's Colab buttons (.ci/publish_config.py) open the notebooks there.
Colab opens a notebook from GitHub as committed, so a committed notebook cannot carry the address
it was published from: each copy gets one first cell, `SETUP` with the address filled in, and is
otherwise the source notebook unchanged (same path, same cells, outputs as committed).

In Colab the set-up cell fetches the repository at the published commit into /content, puts it on
`sys.path` (ganlib needs nothing Colab lacks: torch, numpy, scipy, sympy, matplotlib, scikit-learn,
tqdm) and moves into the notebook's folder, so relative paths such as ../benchmarks/results work.
Anywhere else it does nothing: no network, no change of folder or path.
"""

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TAG = "colab-setup"
SETUP = '''# Colab set-up, written when the book was published (.ci/colab.py): outside Colab it does nothing.
try:
    import google.colab  # noqa: F401
except ImportError:
    pass
else:
    import os, subprocess, sys
    repo, commit, folder = "{repo}", "{commit}", "/content/{name}"
    if not os.path.isdir(folder):
        for command in (["git", "init", "--quiet", folder],
                        ["git", "-C", folder, "fetch", "--quiet", "--depth", "1",
                         f"https://github.com/{{repo}}", commit],
                        ["git", "-C", folder, "checkout", "--quiet", "FETCH_HEAD"]):
            subprocess.run(command, check=True)
    sys.path.insert(0, folder)
    os.chdir(os.path.join(folder, "{notebook_dir}"))
    print(f"ganlib from {{repo}} at {{commit[:7]}}; working folder {{os.getcwd()}}")'''


def notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook of the table of contents, relative to the repository root."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]] + [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    return [Path(f).with_suffix(".ipynb") for f in files if (root / f).with_suffix(".ipynb").exists()]


def setup_cell(repo: str, commit: str, notebook: Path) -> dict:
    source = SETUP.format(repo=repo, commit=commit, name=repo.split("/")[1],
                          notebook_dir=notebook.parent.as_posix())
    return {"cell_type": "code", "execution_count": None, "id": TAG,
            "metadata": {"tags": [TAG]}, "outputs": [], "source": source.splitlines(keepends=True)}


def main(argv: list[str]) -> None:
    if len(argv) != 3 or not re.fullmatch(r"[\w.-]+/[\w.-]+", argv[0]) or not re.fullmatch(r"[0-9a-f]{7,40}", argv[1]):
        sys.exit("usage: python .ci/colab.py OWNER/REPO COMMIT OUT_DIR  (COMMIT: a hex commit id)")
    repo, commit, out = argv[0], argv[1], Path(argv[2])
    for path in notebooks():
        nb = json.loads((ROOT / path).read_text(encoding="utf-8"))
        nb["cells"].insert(0, setup_cell(repo, commit, path))
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(notebooks())} Colab-ready notebooks for {repo}@{commit[:7]} in {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
