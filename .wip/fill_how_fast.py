"""Rewrite book/how_fast.ipynb's paragraph on the loss zoo's time from the committed JSON.  WIP."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
zoo = json.loads((ROOT / "benchmarks/results/loss_zoo.json").read_text())
search = json.loads((ROOT / "benchmarks/results/zoo_search.json").read_text())
cells = zoo["cells"]
steps = {c["steps"] for c in cells.values()}
assert len(steps) == 1, steps
steps = steps.pop()
n_obj = len({c["objective"] for c in cells.values()})
wgan = sum(c["seconds"] for c in cells.values() if c["objective"] in ("wgan", "wgan-gp"))
text = (
    f"The loss zoo itself (`benchmarks/loss_zoo.py`: {n_obj} objectives × 2 settings, its recipe "
    f"and the same with R1, × 5 seeds × 2 mixtures × {steps:,} steps; one `train` call per "
    "cell, whose 10 runs share one stack) is not run by the build. Its "
    f"{len(cells)} cells took {zoo['seconds'] / 3600:.1f} h of training on the same 2 cores "
    f"({wgan / 3600:.1f} h of it for the four WGAN and WGAN-GP cells, whose critic takes five "
    "steps per generator step), run as one-thread processes, two or three side by side: two such "
    "processes train about 1.3× as many steps as one two-thread process (measured "
    "2026-12-07, 600 steps of one cell: 55.7 steps/s alone, 37.5 + 35.9 side by side). The "
    f"search that chose each cell's optimiser (`benchmarks/zoo_search.py`: 4 candidates × 2 "
    f"search seeds × 2 mixtures × {search['settings']['steps']:,} steps per cell) took "
    f"{search['seconds'] / 3600:.1f} h. These are the `seconds` of `loss_zoo.json` and "
    "`zoo_search.json`. The chapter renders the JSON they wrote, and "
    "`tests/test_fingerprint.py` re-runs a 50-step prefix of each cell's first run, in float64, "
    "against the fingerprint stored in that JSON (`ganlib.fingerprint`: equal to $10^{-8}$ on "
    "any CPU).")
path = ROOT / "book/how_fast.ipynb"
nb = json.loads(path.read_text())
(cell,) = [c for c in nb["cells"] if "The loss zoo itself" in "".join(c["source"])]
src = "".join(cell["source"])
a = src.index("The loss zoo itself")
b = src.find("\n\n", a)
b = len(src) if b < 0 else b
lines = []
line = ""
for word in text.split(" "):                  # ~96 characters a line, as the cell was
    if len(line) + len(word) + 1 > 96 and line:
        lines.append(line)
        line = word
    else:
        line = f"{line} {word}" if line else word
lines.append(line)
src = src[:a] + "\n".join(lines) + src[b:]
cell["source"] = src.splitlines(keepends=True)
path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
print(text)
