"""benchmarks/results/mode_hopping.json, which chapter 1 renders for V7, against the code here."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from ganlib import fingerprint, metrics
from ganlib.data import mixture

ROOT = Path(__file__).resolve().parents[1]
RESULT = json.loads((ROOT / "benchmarks" / "results" / "mode_hopping.json").read_text())
import fingerprints                                    # benchmarks/ (tests/conftest.py puts it on sys.path)
import mode_hopping as bench


def test_the_committed_runs_are_the_benchmarks_members_with_its_settings():
    assert RESULT["settings"] == bench.SETTINGS
    assert RESULT["members"] == bench.members(RESULT["seeds"])
    assert len(RESULT["seeds"]) >= 8 and RESULT["stack_size"] == len(RESULT["members"])
    assert [(r["objective"], r["seed"]) for r in RESULT["runs"]] == \
        [(m["objective"], m["seed"]) for m in RESULT["members"]]


def test_the_committed_file_was_made_by_the_code_here():
    """The same call cut to 50 steps, in float64, gives the numbers the file recorded, to
    ``fingerprint.RTOL`` on any CPU (tests/test_fingerprint.py)."""
    assert RESULT["fingerprint"]["steps"] == fingerprint.STEPS and RESULT["fingerprint"]["dtype"] == "float64"
    check = fingerprints.check_mode_hopping("cpu")
    bad = fingerprint.mismatches(check["committed"], check["again"], labels=check["labels"])
    assert not bad, "benchmarks/results/mode_hopping.json is stale: rerun benchmarks/mode_hopping.py\n" + "\n".join(bad)


def check_final_scores(result: dict, K: int) -> None:
    """Every run's final modes, HQ share and rKL follow from its last per-mode count, as
    metrics.mode_stats computes them, and every evaluation counts at most n_eval samples."""
    n, steps = result["settings"]["n_eval"], result["settings"]["steps"]
    for r in result["runs"]:
        assert r["eval_step"] == list(range(0, steps + 1, result["settings"]["eval_every"]))
        counts = np.array(r["mode_counts"])
        assert counts.shape == (len(r["eval_step"]), K) and (counts.sum(axis=1) <= n).all()
        last = counts[-1]
        assert r["final_stats"]["modes"] == int((last > 0).sum())
        assert r["final_stats"]["hq"] == pytest.approx(last.sum() / n)
        if last.sum() == 0:                                      # no HQ sample: rKL undefined, +inf
            assert r["final_stats"]["rkl"] == math.inf
            continue
        q = last[last > 0] / last.sum()
        assert r["final_stats"]["rkl"] == pytest.approx(float((q * np.log(K * q)).sum()))


def test_each_runs_final_scores_are_its_last_histogram():
    check_final_scores(RESULT, mixture("ring8").n_modes)


def test_the_claims_note_quotes_the_committed_counts():
    """claims.yml's V7 note says how many runs of each loss hopped: the committed file's counts."""
    note = next(e for e in yaml.safe_load((ROOT / "book" / "claims.yml").read_text()) if e["id"] == "V7")["note"]
    hopped = {o: sum(bool(metrics.mode_hops(r["mode_counts"])) for r in RESULT["runs"] if r["objective"] == o)
              for o in RESULT["losses"]}
    n = len(RESULT["seeds"])
    assert hopped["nonsaturating"] > n / 2                          # the verdict: V7 holds
    quoted = re.search(r"(\d+) of (\d+) did[^.]*?against (\d+) of (\d+) saturating", " ".join(note.split()))
    assert quoted, "the V7 note no longer quotes the counts"
    assert tuple(int(g) for g in quoted.groups()) == (hopped["nonsaturating"], n, hopped["minimax"], n)
