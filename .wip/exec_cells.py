"""Execute a book notebook; copy the outputs of the cells tagged TAG... into the committed file."""
import sys, copy
import nbformat
from nbclient import NotebookClient
path, tags = sys.argv[1], set(sys.argv[2:])
nb = nbformat.read(path, as_version=4)
run = copy.deepcopy(nb)
NotebookClient(run, timeout=1800, kernel_name="python3", resources={"metadata": {"path": "book"}}).execute()
for mine, done in zip(nb.cells, run.cells):
    if mine.cell_type == "code" and set(mine.metadata.get("tags", [])) & tags:
        outs = []
        for o in done.outputs:            # merge streams, as the committed notebooks keep them
            if o.output_type == "stream" and outs and outs[-1].output_type == "stream" and outs[-1].name == o.name:
                outs[-1].text += o.text
            else:
                outs.append(o)
        mine.outputs = outs
        mine.execution_count = done.execution_count
        print(mine.metadata["tags"], [o.get("text", "")[:200] for o in outs])
nbformat.write(nb, path)
