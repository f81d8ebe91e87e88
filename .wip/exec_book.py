"""Execute a book notebook in place (cwd book/), streams merged, for nbval.  WIP tool."""
import sys
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": "book"}}).execute()
for c in nb.cells:
    if c.cell_type != "code":
        continue
    outs = []
    for o in c.outputs:
        if o.output_type == "stream" and outs and outs[-1].output_type == "stream" and outs[-1].name == o.name:
            outs[-1].text += o.text
        else:
            outs.append(o)
        if o.output_type == "error":
            raise SystemExit(f"error in {path}: {o.ename}: {o.evalue}")
    c.outputs = outs
nbformat.write(nb, path)
print("executed", path)
