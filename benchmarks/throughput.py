"""How fast: the naive training loop against the ensemble engine, on this machine.

    python benchmarks/throughput.py            # E in {1, 8, 16, 32, 64, 256}
    python benchmarks/throughput.py --quick    # under a minute on 2 CPU cores
    python benchmarks/throughput.py --json     # ... and one JSON line last

The reference toy GAN: G 2→128→128→2, D 2→128→128→1 (ReLU), batch 256, Adam; one step is
one D update and one G update.  The *naive loop* is written plainly, as the public reference
scripts write it (nn.Sequential, BCEWithLogits, a fresh batch per step).  The ensemble trains
E independent GANs at once (``ganlib.train.train`` with ``seeds``) and is measured in
*member-steps* per second.  Every ratio is against the naive loop measured in the same
process, on the same device, in bursts interleaved with the ensemble's.  The roofline is the fp32 matmul rate measured here times the
FLOPs of one member-step (counted below).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
from torch import nn

from ganlib import data
from ganlib import train as _train
from ganlib.train import train

BATCH, WIDTH = 256, 128


def member_step_flops(batch: int = BATCH, width: int = WIDTH) -> float:
    """FLOPs of one G+D step: a linear layer costs 2·B·in·out forward and twice that backward
    (input and weight gradients).  D step: G forward (no grad), D forward and backward on the
    real and the generated batch.  G step: G and D forward, D backward to its input only (its
    weights are not updated), G backward."""
    fg = 2 * (2 * width + width * width + width * 2)     # G forward, per sample
    fd = 2 * (2 * width + width * width + width * 1)     # D forward, per sample
    d_step = fg + 2 * fd + 2 * 2 * fd
    g_step = fg + fd + fd + 2 * fg
    return batch * (d_step + g_step)


def matmul_gflops(device: torch.device, n: int = 1024, seconds: float = 1.0) -> float:
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    for _ in range(3):
        a @ b
    sync(device)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    sync(device)
    return 2 * n**3 * count / (time.perf_counter() - start) / 1e9


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def naive_loop(steps: int, device: torch.device) -> float:
    """Steps per second of the plain loop."""
    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(2, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(),
                      nn.Linear(WIDTH, 2)).to(device)
    D = nn.Sequential(nn.Linear(2, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(),
                      nn.Linear(WIDTH, 1)).to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones = torch.ones(BATCH, 1, device=device)
    zeros = torch.zeros(BATCH, 1, device=device)
    ring = data.mixture("ring8")

    def step():
        real = ring.sample(BATCH, device=device)
        fake = G(torch.randn(BATCH, 2, device=device))
        opt_d.zero_grad()
        d_loss = bce(D(real), ones) + bce(D(fake.detach()), zeros)
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        g_loss = bce(D(fake), ones)
        g_loss.backward()
        opt_g.step()

    for _ in range(20):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return steps / (time.perf_counter() - start)


MIXED = ["minimax", "nonsaturating", "lsgan", "bgan", "softmax", "hinge", "fgan"]   # n_critic = 1


def ensemble_rate(E: int, steps: int, device: torch.device, mixed: bool = False,
                  chunk: int | None = None) -> float:
    """Member-steps per second of ``train`` with a stack of E members (evaluation excluded):
    E non-saturating GANs, or (``mixed``) the one-critic-step objectives in turn with their
    own learning rates; ``chunk`` overrides ``train.CHUNK`` (1: every member's random draws
    made step by step)."""
    members = [dict(objective=MIXED[e % len(MIXED)] if mixed else "nonsaturating", seed=e,
                    lr_d=1e-4 * (1 + e % 3) if mixed else 1e-4) for e in range(E)]
    settings = dict(members=members, batch_size=BATCH, hidden=WIDTH, device=device, n_eval=64,
                    progress=False, data="ring8", max_stack=E)      # one stack of E, however large
    old = _train.CHUNK
    _train.CHUNK = chunk or old
    try:
        train(steps=5, eval_every=5, **settings)  # warm-up
        run = train(steps=steps, eval_every=steps, **settings)[0]
    finally:
        _train.CHUNK = old
    sync(device)
    return E * steps / (run.seconds - run.eval_seconds)


def variants(device: torch.device, E: int, steps: int, rounds: int) -> list[dict]:
    """At one stack size, each beside the plain stack, interleaved: a mixed stack (7 objectives,
    3 learning rates: MemberAdam) and the stack drawing its random numbers step by step."""
    out = []
    tried = [("7 objectives, 3 learning rates", dict(mixed=True)),
             ("random draws step by step (CHUNK = 1)", dict(chunk=1))]
    for name, kw in tried:
        plain, other = [], []
        for _ in range(rounds):
            plain.append(ensemble_rate(E, steps, device))
            other.append(ensemble_rate(E, steps, device, **kw))
        a, b = statistics.median(plain), statistics.median(other)
        out.append({"variant": name, "E": E, "member_steps_per_s": b, "plain_member_steps_per_s": a,
                    "ratio_to_plain": b / a})
    return out


def measure(device: torch.device, sizes: list[int], budget: float, rounds: int) -> dict:
    """Each ensemble size is timed in ``rounds`` short bursts, each beside a burst of the naive
    loop; the ratio is median over median.  Interleaving matters on a shared machine, where the
    rate of the same loop drifts by ±20 % within minutes."""
    flops = member_step_flops()
    gflops = matmul_gflops(device)
    roofline = gflops * 1e9 / flops
    naive_steps = max(20, int(budget * 100))
    all_naive, rows = [], []
    for E in sizes:
        steps = max(5, int(budget * 250 / max(1, E ** 0.9)))
        naive, rates = [], []
        for _ in range(rounds):
            naive.append(naive_loop(naive_steps, device))
            rates.append(ensemble_rate(E, steps, device))
        rate, base = statistics.median(rates), statistics.median(naive)
        all_naive += naive
        rows.append({"E": E, "steps": steps, "member_steps_per_s": rate, "ratio": rate / base,
                     "naive_steps_per_s": base, "roofline_fraction": rate / roofline})
    best = max(rows, key=lambda r: r["ratio"])
    steps16 = max(5, int(budget * 250 / 16 ** 0.9))
    return {"variants": variants(device, 16, steps16, rounds), "device": str(device), "threads": torch.get_num_threads(), "rounds": rounds,
            "matmul_gflops": gflops, "member_step_mflop": flops / 1e6,
            "roofline_member_steps_per_s": roofline,
            "naive_steps_per_s": statistics.median(all_naive),
            "ensemble": rows, "ensemble_member_steps_per_s": best["member_steps_per_s"],
            "best_E": best["E"], "best_ratio": best["ratio"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and budgets (< 1 min on 2 cores)")
    parser.add_argument("--json", action="store_true", help="print one JSON line last")
    parser.add_argument("--device", default=None, help="cpu, cuda (default: cpu, plus cuda when available)")
    args = parser.parse_args()
    sizes = [1, 8, 16, 32] if args.quick else [1, 8, 16, 32, 64, 256]
    budget, rounds = (1.5, 2) if args.quick else (6.0, 3)
    devices = [torch.device(args.device)] if args.device else \
        [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    results = []
    for device in devices:
        r = measure(device, sizes, budget, rounds)
        results.append(r)
        print(f"\n{r['device']} ({r['threads']} threads): matmul {r['matmul_gflops']:.0f} GFLOP/s; "
              f"one member-step = {r['member_step_mflop']:.0f} MFLOP; roofline "
              f"{r['roofline_member_steps_per_s']:,.0f} member-steps/s")
        print(f"  naive loop          {r['naive_steps_per_s']:8,.0f} steps/s          1.00×   "
              f"(median of {r['rounds'] * len(r['ensemble'])} bursts)")
        for row in r["ensemble"]:
            print(f"  ensemble E = {row['E']:<4d}  {row['member_steps_per_s']:8,.0f} member-steps/s  "
                  f"{row['ratio']:5.2f}×   {100 * row['roofline_fraction']:4.0f} % of roofline   "
                  f"(naive beside it: {row['naive_steps_per_s']:,.0f})")
        for v in r["variants"]:
            print(f"  E = {v['E']}, {v['variant']}: {v['member_steps_per_s']:,.0f} member-steps/s, "
                  f"{v['ratio_to_plain']:.2f}× the plain stack beside it")
    if args.json:
        first = results[0]
        print(json.dumps({**{k: first[k] for k in ("device", "naive_steps_per_s",
                                                   "ensemble_member_steps_per_s", "best_E",
                                                   "best_ratio", "matmul_gflops",
                                                   "roofline_member_steps_per_s")},
                          "ensemble": first["ensemble"], "all_devices": results}))


if __name__ == "__main__":
    main()
