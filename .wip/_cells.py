"""What the page builders share: Markdown and code cells, and writing the notebook."""

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text, *tags):
    cell = new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def write(cells, name):
    """Write the page to argv[1] when given (its place in the book), else to .wip/<name>."""
    nb = new_notebook(cells=cells)
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"}, "language_info": {"name": "python"}}
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".wip" / name
    nbformat.write(nb, out)
    print("wrote", out)
