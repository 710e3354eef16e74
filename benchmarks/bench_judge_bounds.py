"""The grader's own cost on adversarial outputs at the output cap (issue 10 §4).

Comparison runs in the grader's single event-loop thread, which also runs the sandboxes'
watchdogs, and extraction runs on raw model text: both must be linear in the output size and
bounded in memory. For every comparison mode (stdout and functional, `microcoder` and `lcb`) and
every extraction mode (`robust`, `lcb`) this feeds hostile outputs of `--cap` bytes (default: the
grader's output cap, `GradeConfig().max_output_bytes`) through the real entry points
(`mceval.grader.judge_observation`, `mcgen.extract.extract_code`) and prints per case:

* time at the cap (best of up to 5 runs within 2 s), and its ratio to a linear baseline measured
  in the same run on the same data (`split()` of the bytes or text the judge receives);
* growth: time at the cap / time at 1/8 of it (8 for linear cost, 64 for quadratic);
* peak memory above what was allocated before the call (tracemalloc), and its ratio to the
  largest input.

It asserts the bounds itself and exits 1 when a case exceeds one:

    .venv/bin/python benchmarks/bench_judge_bounds.py [--cap BYTES] [--markdown]
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mccore.schema import TestCase  # noqa: E402
from mceval.grader import judge_observation  # noqa: E402
from mceval.sandbox import Observation  # noqa: E402
from mceval.types import GradeConfig, Verdict  # noqa: E402
from mcgen.extract import extract_code  # noqa: E402

# Bounds the run asserts. The ratio and memory bounds leave room for a loaded machine; a quadratic
# path exceeds all three by orders of magnitude at the cap (16,000 digits took 11 s before).
MAX_RATIO = 80.0  # time / time of split() on the same data
MAX_GROWTH = 20.0  # time(cap) / time(cap / 8): 8 when linear
# Scheduling noise allowed on top of both time bounds: on a loaded machine a case of milliseconds
# can take a tenth of a second; at the cap the cases that matter take seconds.
SLACK_S = 0.1
MAX_MEMORY = 4.0  # peak bytes / largest input
MEMORY_SLACK = 16 * 2**20
SMALL = 8  # the growth check's second size: cap / SMALL


@dataclass(frozen=True)
class Case:
    """One adversarial input: `build(size, mode)` returns (actual, expected) for a judge case,
    or (answer, None) for an extraction case."""

    name: str
    kind: str  # stdout | functional | extract
    build: Callable[[int, str], tuple[str | bytes, str | None]]
    verdict: dict[str, object]  # the right answer per mode: a Verdict, or the extracted code's length


def _tokens(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit))


def _judge_cases() -> list[Case]:
    return [
        Case("digit run + bad suffix vs `1.5`", "stdout",
             lambda n, m: (b"1" * (n - 1) + b"x", "1.5\n"), {"microcoder": Verdict.WA, "lcb": Verdict.WA}),
        Case("digit runs, both at the cap, bad suffix", "stdout",
             lambda n, m: (b"1" * (n - 2) + b".x", "1" * (n - 2) + ".5"), {"microcoder": Verdict.WA, "lcb": Verdict.WA}),
        Case("one-char tokens, newline vs space", "stdout",
             lambda n, m: (_tokens("1\n", n).encode(), _tokens("1 ", n)), {"microcoder": Verdict.AC, "lcb": Verdict.WA}),
        Case("every token unequal but accepted", "stdout", lambda n, m: _all_accepted(n, m),
             {"microcoder": Verdict.AC, "lcb": Verdict.AC}),
        Case("one line of numbers, last differs", "stdout",
             lambda n, m: ((_tokens("7 ", n - 2) + "8").encode(), _tokens("7 ", n - 2) + "9"),
             {"microcoder": Verdict.WA, "lcb": Verdict.WA}),
        Case("only newlines", "stdout", lambda n, m: (b"\n" * n, ""), {"microcoder": Verdict.AC, "lcb": Verdict.AC}),
        Case("one word, no whitespace", "stdout", lambda n, m: (b"a" * n, "a"), {"microcoder": Verdict.WA, "lcb": Verdict.WA}),
        Case("JSON nested n/2 deep vs `[[1]]`", "functional",
             lambda n, m: ("[" * (n // 2) + "]" * (n // 2), "[[1]]"), {"microcoder": Verdict.WA, "lcb": Verdict.WA}),
        Case("JSON nested n/2 deep vs a list n/8 long", "functional",
             lambda n, m: ("[" * (n // 2) + "]" * (n // 2), "[" + _tokens("0, ", n // 8) + "0]"),
             {"microcoder": Verdict.WA, "lcb": Verdict.WA}),
        Case("flat list of zeros vs `[0]`", "functional",
             lambda n, m: ("[" + _tokens("0, ", n - 4) + "0]", "[0]"), {"microcoder": Verdict.WA, "lcb": Verdict.WA}),
        Case("n-digit int vs the same int", "functional",
             lambda n, m: ("9" * n, "9" * n), {"microcoder": Verdict.AC, "lcb": Verdict.AC}),
        Case("list n/8 long, last element differs", "functional",
             lambda n, m: ("[" + _tokens("1, ", n // 8) + "2]", "[" + _tokens("1, ", n // 8) + "1]"),
             {"microcoder": Verdict.WA, "lcb": Verdict.WA}),
    ]


def _all_accepted(size: int, mode: str) -> tuple[bytes, str]:
    """Every token differs as text yet is accepted: microcoder's tolerance, lcb's Decimal equality."""
    if mode == "microcoder":
        count = size // len("0.5000001 ")
        return ("0.5000001 " * count).encode(), "0.5 " * count
    count = size // len("1.0\n")
    return ("1.0\n" * count).encode(), "1\n" * count


def _extract_cases() -> list[Case]:
    def many_fences(n: int, m: str) -> tuple[str, None]:
        return _tokens("```python\nx\n```\n", n), None

    def indented(n: int, m: str) -> tuple[str, None]:
        return "   ```python\n" + _tokens("   x = 1\n", n - 20) + "   ```", None

    return [
        Case("long line after a fence", "extract", lambda n, m: ("```" + "a" * n + "`", None), {"robust": None, "lcb": None}),
        Case("fence + long run of spaces", "extract", lambda n, m: ("```" + " " * n + "`", None), {"robust": None, "lcb": None}),
        Case("one-line blocks, repeated", "extract", many_fences, {"robust": 1, "lcb": 1}),
        Case("one indented block at the cap", "extract", indented, {"robust": -1, "lcb": -1}),
        Case("repeated openers in a ```` block", "extract",
             lambda n, m: ("````python\n" + _tokens("x\n```python\n", n - 20) + "````", None), {"robust": -1, "lcb": -1}),
        Case("only newlines", "extract", lambda n, m: ("\n" * n, None), {"robust": None, "lcb": None}),
    ]


def _run(case: Case, mode: str, data: tuple[str | bytes, str | None]) -> Callable[[], object]:
    """The call under test: what the grader (or the trainer's extraction) does with this output."""
    actual, expected = data
    if case.kind == "extract":
        return lambda: extract_code(actual, mode)  # type: ignore[arg-type]
    config = GradeConfig(comparison=mode)  # type: ignore[arg-type]
    if case.kind == "stdout":
        obs, test, functional = Observation(0, "ok", stdout=actual), TestCase("", expected or ""), False
    else:
        obs, test, functional = Observation(0, "ok", result=actual, kind="result"), TestCase("", expected or "", "functional"), True
    return lambda: judge_observation(obs, test, functional, config).verdict


def _timed(call: Callable[[], object]) -> tuple[float, object]:
    """Best of up to 5 runs (fewer once 2 s are spent): a loaded machine deschedules a single
    run for longer than a short case takes."""
    best, out, spent = float("inf"), None, 0.0
    for _ in range(5):
        gc.collect()
        start = time.perf_counter()
        out = call()
        elapsed = time.perf_counter() - start
        best, spent = min(best, elapsed), spent + elapsed
        if spent > 2.0:
            break
    return best, out


def _peak(call: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    call()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def _baseline(data: tuple[str | bytes, str | None]) -> float:
    """Linear reference cost on the same data: split() of the actual output (the judge's input)."""
    actual = data[0]
    return _timed(lambda: len(actual.split()))[0]


def _check(case: Case, mode: str, out: object) -> bool:
    want = case.verdict[mode]
    if case.kind != "extract":
        return out is want
    if want is None:
        return out is None
    return out is not None and (want < 0 or len(out) == want)  # -1: any code


@dataclass
class Row:
    case: str
    mode: str
    time_s: float
    ratio: float
    growth: float
    peak_mib: float
    memory_ratio: float
    failures: list[str]


def measure(case: Case, mode: str, cap: int) -> Row:
    small = case.build(cap // SMALL, mode)
    t_small = _timed(_run(case, mode, small))[0]
    del small
    data = case.build(cap, mode)
    largest = max(len(x) for x in data if x is not None)
    t_cap, out = _timed(_run(case, mode, data))
    base = _baseline(data)
    peak = _peak(_run(case, mode, data))
    del data
    failures = []
    if not _check(case, mode, out):
        failures.append(f"wrong result {out!r}")
    ratio = t_cap / max(base, 1e-4)
    if t_cap > MAX_RATIO * base + SLACK_S:
        failures.append(f"time {ratio:.1f}x split() > {MAX_RATIO}x")
    if t_cap > MAX_GROWTH * t_small + SLACK_S:
        failures.append(f"growth {t_cap / t_small:.1f}x for {SMALL}x the data > {MAX_GROWTH}x")
    if peak > MAX_MEMORY * largest + MEMORY_SLACK:
        failures.append(f"peak {peak / 2**20:.0f} MiB > {MAX_MEMORY}x input + {MEMORY_SLACK >> 20} MiB")
    return Row(case.name, mode, t_cap, ratio, t_cap / max(t_small, 1e-6), peak / 2**20, peak / largest, failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cap", type=int, default=GradeConfig().max_output_bytes, help="output size in bytes")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this text")
    args = parser.parse_args()
    rows = []
    plan = [(c, m) for c in _judge_cases() for m in ("microcoder", "lcb")]
    plan += [(c, m) for c in _extract_cases() for m in ("robust", "lcb")]
    plan = [(c, m) for c, m in plan if args.only in c.name]
    print(f"cap {args.cap:,} bytes ({args.cap / 2**20:.0f} MiB); bounds: time <= {MAX_RATIO:.0f}x split(), "
          f"growth <= {MAX_GROWTH:.0f}x for {SMALL}x the data (each + {SLACK_S} s), peak <= {MAX_MEMORY:.0f}x "
          f"input + {MEMORY_SLACK >> 20} MiB", flush=True)
    for case, mode in plan:
        row = measure(case, mode, args.cap)
        rows.append(row)
        status = "ok" if not row.failures else "FAIL: " + "; ".join(row.failures)
        print(f"{case.kind:10} {mode:10} {case.name:42} {row.time_s:7.3f} s {row.ratio:5.1f}x split "
              f"growth {row.growth:5.1f}x  peak {row.peak_mib:7.1f} MiB ({row.memory_ratio:.2f}x)  {status}", flush=True)
    if args.markdown:
        print("\n| case | mode | time at cap | vs `split()` | growth (8x data) | peak memory |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            print(f"| {row.case} | {row.mode} | {row.time_s:.2f} s | {row.ratio:.1f}x | {row.growth:.1f}x | "
                  f"{row.peak_mib:.0f} MiB ({row.memory_ratio:.2f}x) |")
    failed = [r for r in rows if r.failures]
    print(f"\n{len(rows) - len(failed)}/{len(rows)} cases within bounds")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
