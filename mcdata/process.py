"""Stage 2a, process: clean statements, flag what the judge cannot do, and bound test sizes.

Capping matters for RL: web-collected problems can have hundreds of tests, or single tests of many
megabytes, that stall a training step (MicroCoder paper). First every test over `max_test_bytes`
is removed (a byte budget per test: the count cap below prefers large tests, so without it a 150 MB
test would be kept); then every public test (the statement's examples) is kept and the rest of the
`max_tests` budget goes to the LARGEST remaining tests, which exercise time limits and edge cases.
Original order is preserved and both caps are recorded in `stats`.

Statement checks (`mcdata.checks`) are recorded in `stats` too: `judge_needs` (multi-answer or
interactive problems, which single-answer tests cannot judge: dropped, or kept flagged with
`needs_checker="flag"`), `judge_tolerance` (answers within an error bound; the comparator handles
those) and `upstream_defects` (scrape defects such as lost superscripts), never passed on silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from mccore.schema import Problem, TestCase
from mcdata.checks import has_tolerance, judge_needs, upstream_defects
from mcdata.report import BuildReport
from mcdata.text import normalise_statement

STAGE = "process"


@dataclass
class ProcessConfig:
    """> Parameters of the process stage.

    max_tests: keep at most this many tests per problem (public ones always kept; None: no cap).
    max_test_bytes: drop tests whose input + output exceed this many bytes (None: no budget).
    min_statement_chars: reject statements shorter than this after cleaning (broken scrapes).
    needs_checker: "drop" problems a single expected output cannot judge (multi-answer, interactive),
        or "flag" them (kept, `stats["judge_needs"]` set).
    """

    max_tests: int | None = 30
    max_test_bytes: int | None = 4 * 1024 * 1024
    min_statement_chars: int = 20
    needs_checker: Literal["drop", "flag"] = "drop"

    def __post_init__(self) -> None:
        if self.max_tests is not None and self.max_tests < 1:
            raise ValueError(f"max_tests must be >= 1 (or None for no cap), got {self.max_tests}")
        if self.max_test_bytes is not None and self.max_test_bytes < 1:
            raise ValueError(f"max_test_bytes must be >= 1 (or None for no budget), got {self.max_test_bytes}")
        if self.needs_checker not in ("drop", "flag"):
            raise ValueError(f"needs_checker must be 'drop' or 'flag', got {self.needs_checker!r}")


def test_bytes(test: TestCase) -> int:
    return len(test.input.encode("utf-8")) + len(test.output.encode("utf-8"))


def cap_tests(tests: tuple[TestCase, ...], max_tests: int | None) -> tuple[TestCase, ...]:
    """Public tests plus the largest others, up to `max_tests`, in their original order."""
    if max_tests is None or len(tests) <= max_tests:
        return tests
    public = [i for i, t in enumerate(tests) if t.is_public]
    others = sorted(
        (i for i, t in enumerate(tests) if not t.is_public),
        key=lambda i: (-(len(tests[i].input) + len(tests[i].output)), i),
    )
    keep = set(public) | set(others[: max(0, max_tests - len(public))])
    return tuple(t for i, t in enumerate(tests) if i in keep)


def process(problems: Iterable[Problem], cfg: ProcessConfig, report: BuildReport) -> Iterator[Problem]:
    for problem in problems:
        statement = normalise_statement(problem.statement)
        if len(statement) < cfg.min_statement_chars:
            report.reject_problem(STAGE, problem, f"statement too short: {len(statement)} characters", field="statement", kind="statement too short")
            continue
        if not problem.tests:
            report.reject_problem(STAGE, problem, "no tests", field="tests", kind="no tests")
            continue
        stats = dict(problem.stats)
        needs = judge_needs(statement)
        if needs:
            stats["judge_needs"] = needs
            if cfg.needs_checker == "drop":
                report.reject_problem(
                    STAGE, problem, f"needs a checker ({', '.join(needs)}): one expected output per test cannot judge it",
                    field="statement", kind=f"needs a checker ({needs[0].replace('_', '-')})",
                )
                continue
        if has_tolerance(statement):
            stats["judge_tolerance"] = True
        defects = sorted(set(stats.get("upstream_defects", [])) | set(upstream_defects(statement)))
        if defects:
            stats["upstream_defects"] = defects
        tests = problem.tests
        if cfg.max_test_bytes is not None:
            small = tuple(t for t in tests if test_bytes(t) <= cfg.max_test_bytes)
            if len(small) < len(tests):
                stats["tests_over_byte_cap"] = len(tests) - len(small)
                if not small:
                    report.reject_problem(STAGE, problem, f"every test exceeds max_test_bytes={cfg.max_test_bytes}",
                                          field="tests", kind="tests too large")
                    continue
                tests = small
        capped = cap_tests(tests, cfg.max_tests)
        if len(capped) < len(tests):
            stats["tests_before_cap"] = len(tests)
        yield problem.with_(statement=statement, tests=capped, stats=stats)
