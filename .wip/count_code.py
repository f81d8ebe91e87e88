"""Visible code lines per page (code cells not tagged remove-input/hide-input/remove-cell),
at a commit against the working tree.  WIP tool:  python .wip/count_code.py bee7e80~1"""
import json, subprocess, sys
from pathlib import Path

HIDDEN = {"remove-input", "hide-input", "remove-cell"}


def visible(text):
    nb = json.loads(text)
    n = 0
    for c in nb["cells"]:
        if c["cell_type"] != "code" or HIDDEN & set(c.get("metadata", {}).get("tags", [])):
            continue
        src = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        n += sum(1 for line in src.splitlines() if line.strip())
    return n


rev = sys.argv[1]
toc = Path("_toc.yml").read_text()
pages = [l.split("file:")[1].strip() for l in toc.splitlines() if "file:" in l]
for page in pages:
    path = page + ".ipynb"
    try:
        before = visible(subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True,
                                        text=True, check=True).stdout)
    except subprocess.CalledProcessError:
        before = None
    now = visible(Path(path).read_text()) if Path(path).exists() else None
    print(f"{page:40s} {before!s:>5} → {now!s:>5}")
