"""Grader throughput on real LeetCode problems: mceval vs LiveCodeBench's process layout vs the floor.

Data: tests/data/leetcodedataset (v0.3.1-test), converted to LiveCodeBench's functional format by
`mceval.leetcode_format`; samples are the reference solutions plus mutants (a wrapper that
perturbs every result from the 5th call on), so verdicts are mixed.

Workloads, all measured in THIS run on the same machine:
1. RL-style: every supported problem, 3 samples each (reference, reference, mutant), first 8 tests.
   Throughput (samples/s) of mceval vs the LCB-layout baseline (target >= 3x).
2. Full test suites: 60 problems, every test, the reference solution. Wall time vs the compute
   floor (the same code and tests run in one plain process, divided by the number of cores;
   target <= 1.3x) and vs the LCB-layout baseline (must not be slower).

    .venv/bin/python benchmarks/bench_grader.py [--workers N] [--full-problems 60]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from lcb_layout_grader import IMPORTS, grade_lcb_layout  # noqa: E402

import mceval  # noqa: E402
from mccore.schema import Problem  # noqa: E402
from mceval import GradeConfig, Verdict  # noqa: E402
from mceval.leetcode_format import UnsupportedProblem, problem_from_leetcodedataset_row  # noqa: E402

DATA = REPO / "tests" / "data" / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz"

MUTANT = """

def _mutate(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return value + [0]
    return 0 if value is None else None

_calls = [0]
_original = Solution.{name}
def _late_wrong(self, *args, **kwargs):
    _calls[0] += 1
    value = _original(self, *args, **kwargs)
    return _mutate(value) if _calls[0] >= 5 else value
Solution.{name} = _late_wrong
"""


def load_problems(path: Path) -> list[Problem]:
    problems = []
    with gzip.open(path, "rt") as f:
        for lineno, line in enumerate(f, 1):
            try:
                problems.append(problem_from_leetcodedataset_row(json.loads(line), where=f"{path.name}:{lineno}"))
            except UnsupportedProblem:
                continue
    return problems


def floor_seconds(samples: list[tuple[Problem, str]]) -> tuple[float, int]:
    """Run every sample's code on its tests in THIS process (fresh Solution() per test, stop at the
    first wrong result): the pure compute, with no isolation or IPC. Returns (seconds, executions)."""
    prepared = [(p, code, [[json.loads(x) for x in t.input.split("\n")] for t in p.tests],
                 [json.loads(t.output) for t in p.tests]) for p, code in samples]
    executions = 0
    start = time.perf_counter()
    for problem, code, inputs, outputs in prepared:
        namespace: dict = {}
        exec(IMPORTS + code, namespace)
        cls = namespace["Solution"]
        for args, expected in zip(inputs, outputs):
            executions += 1
            got = getattr(cls(), problem.func_name)(*args)
            if isinstance(got, tuple):
                got = list(got)
            if got != expected:
                break
    return time.perf_counter() - start, executions


def run_mceval(samples: list[tuple[Problem, str]], workers: int) -> tuple[float, list, float]:
    start = time.perf_counter()
    with mceval.Grader(GradeConfig(workers=workers)) as grader:
        grader.grade(samples[: workers])  # start the sandboxes (counted in the total below)
        warm = time.perf_counter()
        results = grader.grade(samples)
        end = time.perf_counter()
    return end - start, results, end - warm


def run_lcb(samples: list[tuple[Problem, str]], workers: int) -> tuple[float, list]:
    lcb = [({"fn_name": p.func_name, "inputs": [t.input for t in p.tests], "outputs": [t.output for t in p.tests]}, c)
           for p, c in samples]
    start = time.perf_counter()
    results = grade_lcb_layout(lcb, workers)
    return time.perf_counter() - start, results


def agreement(ours: list, lcb: list) -> tuple[int, int]:
    same = sum((r.verdict is Verdict.AC) == (len(l) > 0 and all(x is True for x in l)) for r, l in zip(ours, lcb))
    return same, len(ours)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--full-problems", type=int, default=60)
    ap.add_argument("--rl-tests", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs; the best time of each is reported")
    ap.add_argument("--data", type=Path, default=DATA, help="LeetCodeDataset v0.3.1-test .jsonl.gz")
    args = ap.parse_args()

    problems = load_problems(args.data)
    rl = []
    for p in problems:
        small = p.with_(tests=p.tests[: args.rl_tests])
        ref = p.solutions[0]
        # three distinct programs (no two samples share source text, as in RL)
        rl += [(small, ref + "\n# sample 0\n"), (small, ref + "\n# sample 1\n"),
               (small, ref + MUTANT.format(name=p.func_name))]
    full = [(p, p.solutions[0]) for p in problems[: args.full_problems]]

    rows = []
    print(f"cores: {os.cpu_count()}  workers: {args.workers}  problems: {len(problems)}  repeat: {args.repeat}", flush=True)
    for name, samples in (("RL-style", rl), ("full suites", full)):
        best = {"floor": float("inf"), "ours": float("inf"), "warm": float("inf"), "lcb": float("inf")}
        for _ in range(args.repeat):  # interleaved, best of N: the machine may be shared
            floor, executions = floor_seconds(samples)
            t_ours, ours, t_warm = run_mceval(samples, args.workers)
            t_lcb, lcb = run_lcb(samples, args.workers)
            for key, value in (("floor", floor), ("ours", t_ours), ("warm", t_warm), ("lcb", t_lcb)):
                best[key] = min(best[key], value)
        same, n = agreement(ours, lcb)
        rows.append((name, len(samples), executions, best["ours"], best["warm"], best["lcb"], best["floor"] / args.workers,
                     same, n))
        print(f"{name}: {sum(r.passed for r in ours)} AC / {len(ours)} samples, {executions} executions", flush=True)

    print()
    print(f"{'workload':12} {'samples':>7} {'execs':>6} {'mceval s':>9} {'(warm)':>7} {'LCB s':>7} {'floor s':>8} "
          f"{'mceval/s':>9} {'LCB/s':>7} {'speedup':>8} {'vs floor':>8} {'agree':>8}")
    for name, ns, ne, to, tw, tl, fl, sa, na in rows:
        print(f"{name:12} {ns:7d} {ne:6d} {to:9.2f} {tw:7.2f} {tl:7.2f} {fl:8.2f} {ns / to:9.1f} {ns / tl:7.1f} "
              f"{tl / to:7.2f}x {to / fl:7.2f}x {sa:>4d}/{na}")
    print("\nspeedup = LCB-layout time / mceval time (target >= 3x on RL-style; >= 1x on full suites);"
          "\nvs floor = mceval time / (one-process compute time / workers) (target <= 1.3x on full suites);"
          "\nmceval times include starting the sandboxes; (warm) excludes it. agree = same pass/fail as the baseline."
          f"\nAll times are the best of {args.repeat} interleaved runs (the machine may be shared); load average now: "
          f"{os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
