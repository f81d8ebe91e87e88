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


NUMBER = re.compile(r"(?<![\w.])[−-]?\d+\.\d+(?:e[−-]?\d+)?(?![\w])|(?<![\w.])[−-]?\d+e[−-]?\d+(?![\w])")


def page_numbers(notebook: str) -> list[float]:
    """Every decimal number a notebook's sources and outputs print."""
    text = []
    for c in cells(notebook):
        text.append("".join(c["source"]))
        for o in c.get("outputs", []):
            text.append("".join(o.get("text", "")))
            for kind in ("text/plain", "text/markdown"):
                text.append("".join(o.get("data", {}).get(kind, "")))
    return [float(n) for n in re.findall(r"[-+]?\d+\.?\d*(?:e[-+]?\d+)?", "\n".join(text))]


@pytest.mark.parametrize("entry", [e for e in ENTRIES if NUMBER.search(e.get("note", "") + e.get("correction", ""))],
                         ids=lambda e: e["id"])
def test_the_numbers_of_a_note_are_numbers_its_page_computes(entry):
    """A measured number quoted in claims.yml (2.3e-3, 101.6, 0.39797287) must be one the claim's
    notebook prints, to the digits quoted: a changed cell cannot leave a stale note."""
    printed = page_numbers(entry["where"]["notebook"])
    for quoted in NUMBER.findall(entry.get("note", "") + " " + entry.get("correction", "")):
        q = quoted.replace("−", "-")
        mantissa = q.split("e")[0]
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        half_ulp = 0.5 * 10.0 ** (-digits) * (10.0 ** int(q.split("e")[1]) if "e" in q else 1.0)
        x = float(q)
        assert any(abs(abs(p) - abs(x)) <= half_ulp * 1.000001 for p in printed), \
            f"{entry['id']}: {quoted} is not printed by {entry['where']['notebook']}"


def test_the_readme_counts_the_verdicts_of_the_ledger():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ids = {v: [e["id"] for e in ENTRIES if e["verdict"] == v] for v in VERDICTS}
    m = re.search(r"(\d+) hold, (\d+) hold with a\s+correction \(([^)]*)\), and (\d+) fail as stated \(([A-Z0-9, ]*)", readme)
    assert m, "README.md no longer states the verdict counts"
    assert (int(m[1]), int(m[2]), int(m[4])) == tuple(len(ids[v]) for v in ("holds", "holds-with-correction", "fails"))
    assert set(m[3].split(", ")) == set(ids["holds-with-correction"]) and set(m[5].strip().split(", ")) == set(ids["fails"])
