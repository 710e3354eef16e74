"""Stage 2a, process: clean statements and cap the number of tests per problem.

Capping matters for RL: web-collected problems can have hundreds of tests that stall a
training step (MicroCoder paper). We keep every public test (the statement's examples) and fill
the rest of the budget with the LARGEST remaining tests, which are the ones that exercise time
limits and edge cases; original order is preserved. The cap is recorded in `stats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from mcdata.report import BuildReport
from mcdata.schema import Problem, TestCase
from mcdata.text import normalise_statement

STAGE = "process"


@dataclass
class ProcessConfig:
    """> Parameters of the process stage.

    max_tests: keep at most this many tests per problem (public ones always kept; None: no cap).
    min_statement_chars: reject statements shorter than this after cleaning (broken scrapes).
    """

    max_tests: int | None = 30
    min_statement_chars: int = 20


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
        tests = cap_tests(problem.tests, cfg.max_tests)
        stats = dict(problem.stats)
        if len(tests) < len(problem.tests):
            stats["tests_before_cap"] = len(problem.tests)
        yield problem.with_(statement=statement, tests=tests, stats=stats)
