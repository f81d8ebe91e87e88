"""benchmarks/results/fgan_seeds.json, on which chapter 2 judges F5, against the code here."""

import json
import re
from pathlib import Path

import yaml

from ganlib import fingerprint, metrics
from ganlib.data import mixture
from test_mode_hopping import check_final_scores

ROOT = Path(__file__).resolve().parents[1]
RESULT = json.loads((ROOT / "benchmarks" / "results" / "fgan_seeds.json").read_text())


import fgan_seeds as bench                              # benchmarks/ (tests/conftest.py puts it on sys.path)
import fingerprints


def test_the_committed_runs_are_the_benchmarks_members_with_its_settings():
    assert RESULT["settings"] == bench.SETTINGS and RESULT["divergences"] == list(bench.DIVERGENCES)
    assert RESULT["members"] == bench.members(RESULT["seeds"]) and len(RESULT["seeds"]) >= 8
    assert [(r["divergence"], r["seed"]) for r in RESULT["runs"]] == \
        [(m["divergence"], m["seed"]) for m in RESULT["members"]]


def test_the_committed_file_was_made_by_the_code_here():
    """The same call cut to 50 steps, in float64, gives the fingerprint the file recorded."""
    assert RESULT["fingerprint"]["steps"] == fingerprint.STEPS and RESULT["fingerprint"]["dtype"] == "float64"
    check = fingerprints.check_fgan_seeds("cpu")
    bad = fingerprint.mismatches(check["committed"], check["again"], labels=check["labels"])
    assert not bad, "benchmarks/results/fgan_seeds.json is stale: rerun benchmarks/fgan_seeds.py\n" + "\n".join(bad)


def test_each_runs_final_scores_are_its_last_histogram():
    check_final_scores(RESULT, mixture("ring8").n_modes)


def test_the_claims_note_quotes_the_committed_counts():
    """claims.yml's F5 note says in how many seeds each divergence learned the ring: the file's
    counts, and F5's verdict (two divergences besides JS in most seeds) follows from them."""
    count = {d: sum(metrics.learned_ring(r["final_stats"]) for r in RESULT["runs"] if r["divergence"] == d)
             for d in RESULT["divergences"]}
    n = len(RESULT["seeds"])
    assert len({d for d, c in count.items() if c > n / 2} - {"js"}) >= 2           # the verdict: F5 holds
    note = " ".join(next(e for e in yaml.safe_load((ROOT / "book" / "claims.yml").read_text())
                         if e["id"] == "F5")["note"].split())
    quoted = dict((d, int(c)) for c, d in re.findall(r"(\d+) of \d+ seeds? for ([a-z_0-9]+)", note))
    assert quoted == count, f"the F5 note quotes {quoted}, the file has {count}"
    assert f"of {n} seeds" in note


def test_learned_ring_is_seven_modes_with_rkl_below_one():
    assert metrics.learned_ring({"modes": 7, "rkl": 0.99}) and metrics.learned_ring({"modes": 8, "rkl": 0.0})
    assert not metrics.learned_ring({"modes": 6, "rkl": 0.1})
    assert not metrics.learned_ring({"modes": 8, "rkl": 1.0})
    assert not metrics.learned_ring({"modes": 8, "rkl": float("nan")})
