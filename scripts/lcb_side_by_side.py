"""The same programs through LiveCodeBench's runner and through our grader in both grading profiles.

The programs are `tests/lcb_profile_cases.py`; each holds the verdicts recorded for it. With
`--lcb CHECKOUT` (a LiveCodeBench checkout, commit 28fef95; its grader needs numpy and tqdm) they
also run through LiveCodeBench's own `check_correctness` (timeout 6, as its CLI's default), so the
recorded LiveCodeBench verdicts can be checked, not only ours. Prints the README's side-by-side table
and exits 1 when a verdict differs from the recorded one.

    .venv/bin/python scripts/lcb_side_by_side.py [--lcb ~/LiveCodeBench] [--workers 2]

Nothing of LiveCodeBench is part of this project: it is imported from the checkout you name.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from lcb_profile_cases import CASES, Case

import mceval
from mceval import GradeConfig

# LiveCodeBench's per-test codes, in our verdicts' names (-1: its per-sample timeout killed the run)
LCB_CODES = {-1: "TLE (sample timeout)", -2: "WA", -3: "TLE", -4: "RE", -5: "RE (runner error)"}


def ours(workers: int) -> dict[str, list[str]]:
    """Our verdict of every case in each profile (LiveCodeBench's comparison)."""
    items = [(case.problem, case.code) for case in CASES]
    return {profile: [r.verdict.value for r in mceval.grade(items, GradeConfig(profile=profile, comparison="lcb",
                                                                               workers=workers))]
            for profile in ("lcb", "microcoder")}


def livecodebench(checkout: Path) -> list[str]:
    """LiveCodeBench's verdict of every case, from its own runner in the checkout."""
    for name, folder in (("lcb_runner", "lcb_runner"), ("lcb_runner.evaluation", "lcb_runner/evaluation")):
        package = types.ModuleType(name)  # skip the packages' __init__ (it imports pandas and more)
        package.__path__ = [str(checkout / folder)]
        sys.modules[name] = package
    sys.path.insert(0, str(checkout))
    from lcb_runner.evaluation.compute_code_generation_metrics import check_correctness

    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # its runner's process reads its own stdin in places: make that the same everywhere
    verdicts = []
    for case in CASES:
        sample = {"input_output": json.dumps({
            "inputs": [t.input for t in case.problem.tests], "outputs": [t.output for t in case.problem.tests],
            "fn_name": case.problem.func_name})}
        results, _ = check_correctness(sample, case.code, timeout=6, debug=False)
        verdicts.append(_verdict(results))
    return verdicts


def _verdict(results: list) -> str:
    """A sample's verdict from LiveCodeBench's per-test results: True (or a true numpy bool) per
    passed test, False for a wrong functional result, else a negative code."""
    for result in results:
        if isinstance(result, int) and not isinstance(result, bool) and result < 0:
            return LCB_CODES.get(result, str(result))
        if not result:
            return "WA"
    return "AC"


def table(rows: list[tuple[Case, str, str, str]]) -> str:
    """The README's markdown table: program, LiveCodeBench, ours (lcb), ours (microcoder), why."""
    lines = ["| program | LiveCodeBench 28fef95 | ours, `lcb` profile | ours, `microcoder` profile | remaining difference |",
             "|---|---|---|---|---|"]
    for case, theirs, lcb_profile, microcoder in rows:
        lines.append(f"| {case.name} | {theirs} | {lcb_profile} | {microcoder} | {case.why or '-'} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lcb", type=Path, help="a LiveCodeBench checkout at commit 28fef95")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    got = ours(args.workers)
    theirs = livecodebench(args.lcb.expanduser()) if args.lcb else [case.lcb for case in CASES]
    rows = list(zip(CASES, theirs, got["lcb"], got["microcoder"]))
    print(table(rows))
    stale = [f"{case.name}: recorded {(case.lcb, case.profile_lcb, case.microcoder)}, now {(t, p, m)}"
             for case, t, p, m in rows if (case.lcb, case.profile_lcb, case.microcoder) != (t, p, m)]
    for line in stale:
        print("DIFFERS FROM THE RECORD:", line, file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
