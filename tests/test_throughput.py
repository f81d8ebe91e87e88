"""The throughput benchmark: its FLOP count, its report, and the committed result the book shows.

No speed is asserted here (a timed test fails on a busy machine and passes on a fast one);
the benchmark measures ratios in one process, and these tests check how it counts and reports.
"""

import json
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import throughput  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
COMMITTED = sorted(RESULTS.glob("throughput_*.json"))   # one per machine; the How-fast page shows each


def test_member_step_flops_is_the_closed_form():
    """Per sample, a width-w G costs 2(w² + 4w) forward and a width-w D 2(w² + 3w); the D step
    is one G forward and three D forwards' worth of work on each of two batches, the G step three
    G forwards and two D forwards: B·(4·f_G + 8·f_D) = B·(24w² + 80w)."""
    for batch, width in [(256, 128), (64, 32), (1, 1)]:
        assert throughput.member_step_flops(batch, width) == batch * (24 * width**2 + 80 * width)
    assert throughput.member_step_flops() == 103_284_736


def test_measure_reports_every_size_against_the_naive_loop_beside_it():
    r = throughput.measure(torch.device("cpu"), [1, 2], budget=0.05, rounds=1)
    assert [row["E"] for row in r["ensemble"]] == [1, 2]
    for row in r["ensemble"]:
        assert row["member_steps_per_s"] > 0
        assert abs(row["ratio"] - row["member_steps_per_s"] / row["naive_steps_per_s"]) < 1e-9
        assert abs(row["roofline_fraction"]
                   - row["member_steps_per_s"] / r["roofline_member_steps_per_s"]) < 1e-9
    best = max(r["ensemble"], key=lambda row: row["ratio"])
    assert (r["best_E"], r["best_ratio"]) == (best["E"], best["ratio"])
    assert [v["variant"][:12] for v in r["variants"]] == ["7 objectives", "random draws"]
    for v in r["variants"]:
        assert abs(v["ratio_to_plain"] - v["member_steps_per_s"] / v["plain_member_steps_per_s"]) < 1e-9
    json.dumps(r, allow_nan=False)


def test_the_two_core_cpu_result_is_committed():
    assert RESULTS / "throughput_cpu.json" in COMMITTED


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_each_committed_result_has_the_issue_schema_and_is_consistent(path):
    r = json.loads(path.read_text())
    for key in ("naive_steps_per_s", "ensemble_member_steps_per_s", "best_ratio", "best_E",
                "matmul_gflops", "roofline_member_steps_per_s", "ensemble", "all_devices"):
        assert key in r, key
    kind = path.stem.removeprefix("throughput_")        # throughput_cuda.json holds a CUDA run
    assert r["device"].split(":")[0] == kind, (path.name, r["device"])
    sizes = [row["E"] for row in r["ensemble"]]
    assert sizes[:6] == [1, 8, 16, 32, 64, 256] and sizes == sorted(sizes)   # a GPU may add larger E
    if kind == "cpu":                                   # the page's CPU table is the 2-core CI machine
        assert sizes == [1, 8, 16, 32, 64, 256]
        assert r["all_devices"][0]["threads"] == 2
    best = max(r["ensemble"], key=lambda row: row["ratio"])
    assert r["best_ratio"] == best["ratio"] and r["best_E"] == best["E"]
    assert r["ensemble_member_steps_per_s"] == best["member_steps_per_s"]
    for device in r["all_devices"]:
        flops = device["member_step_mflop"] * 1e6
        assert abs(device["roofline_member_steps_per_s"] - device["matmul_gflops"] * 1e9 / flops) < 1e-6
        assert device["rounds"] >= 3                     # interleaved bursts, not one of each
        assert {v["E"] for v in device["variants"]} == {16}
