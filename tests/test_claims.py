"""The claims ledger: every entry well-formed, and pointing at a cell that asserts it."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LEDGER = ROOT.parent / "shared" / "CLAIMS.md"
ENTRIES = yaml.safe_load((ROOT / "book" / "claims.yml").read_text(encoding="utf-8"))
VERDICTS = {"holds", "holds-with-correction", "fails"}


def cells(notebook: str):
    return json.loads((ROOT / notebook).read_text(encoding="utf-8"))["cells"]


def test_ids_are_unique_and_well_formed():
    ids = [e["id"] for e in ENTRIES]
    assert len(ids) == len(set(ids))
    for e in ENTRIES:
        assert re.fullmatch(r"[A-Z]\d+", e["id"])
        assert e["verdict"] in VERDICTS
        assert e["claim"].strip() and e["source"]
        if e["verdict"] != "holds":
            assert len(e.get("correction", "")) > 20, f"{e['id']} needs its correction stated"


@pytest.mark.skipif(not LEDGER.exists(), reason="the claims ledger ../shared/CLAIMS.md is not beside the repo")
def test_ids_exist_in_the_ledger():
    ledger_ids = set(re.findall(r"^\| ([A-Z]\d+) \|", LEDGER.read_text(encoding="utf-8"), re.M))
    assert len(ledger_ids) >= 27
    assert {e["id"] for e in ENTRIES} == ledger_ids, "every claim of the ledger needs a verdict"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["id"])
def test_where_points_at_a_labelled_cell_that_asserts(entry):
    where = entry["where"]
    nb = cells(where["notebook"])
    label = where["cell"]
    assert any(f"({label})=" in "".join(c["source"]) for c in nb if c["cell_type"] == "markdown"), \
        f"no MyST label ({label})= in {where['notebook']}"
    tagged = [c for c in nb if c["cell_type"] == "code" and label in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, f"expected one code cell tagged {label}"
    assert re.search(r"^\s*assert ", "".join(tagged[0]["source"]), re.M), f"{label} asserts nothing"
