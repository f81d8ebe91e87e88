"""Execute a page on a zoo completed with stand-in cells (copies of existing cells under the
missing names), to test it before the real zoo is complete.  WIP tool.
    python .wip/run_faked.py notebooks/08_loss_zoo.ipynb /tmp/out.ipynb [steps]"""
import copy, json, sys
import nbformat
from nbclient import NotebookClient

PATCH = r'''
import copy, json
from ganlib import report, recipes
_orig = report.committed
def _fake(name):
    d = _orig(name)
    if name == "loss_zoo":
        donors = list(d["cells"].values())
        for i, o in enumerate(recipes.RECIPES):
            for row in recipes.ROWS:
                key = f"{o} / {row}"
                if key not in d["cells"]:
                    c = copy.deepcopy([x for x in donors if x["row"] == row][i % 4])
                    c.update(objective=o, row=row)
                    d["cells"][key] = c
    if name == "zoo_search":
        donors = list(d["cells"].values())
        for o in recipes.RECIPES:
            for row in recipes.ROWS:
                key = f"{o} / {row}"
                if key not in d["cells"]:
                    c = copy.deepcopy([x for x in donors if x["row"] == row][0])
                    c.update(objective=o, row=row)
                    d["cells"][key] = c
    return d
report.committed = _fake
for o in ("wgan-gp", "wgan"):
    for row, ch in (("recipe", "recipe | G"), ("R1", "γ = 1 | G_ema")):
        recipes.ZOO_CHOICE.setdefault(f"{o} / {row}", ch)
'''

src, out = sys.argv[1], sys.argv[2]
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 200
nb = nbformat.read(src, as_version=4)
i = next((k for k, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])),
         next(k for k, c in enumerate(nb.cells) if c.cell_type == "code") - 1)
nb.cells.insert(i + 1, nbformat.v4.new_code_cell(f"steps = {steps}\neval_every = {max(1, steps // 4)}\n" + PATCH))
NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": sys.argv[4] if len(sys.argv) > 4 else "notebooks"}}).execute()
nbformat.write(nb, out)
for c in nb.cells:
    if c.cell_type != "code":
        continue
    for o in c.get("outputs", []):
        if o.get("output_type") == "error":
            print("ERROR", o["ename"], o["evalue"]); print("\n".join(o["traceback"][-3:]))
        data = o.get("data", {})
        if "text/markdown" in data:
            print(data["text/markdown"][:3000]); print("~~~")
        elif "image/png" in data:
            print("[image]")
        elif o.get("output_type") == "stream":
            print("STREAM", o["text"][:500])
print("glue:", [c for c in nb.cells if "glue(" in c.source][:0])
