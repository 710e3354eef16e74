"""Verification stage: run each problem's reference solutions on its own tests and keep only what they confirm.

Why: scraped problems ship tests that are wrong, reference solutions that are wrong (or Python 2, or
truncated), and "print any valid answer" problems whose single expected output cannot judge other
correct programs. Training on them rewards the wrong thing. Following DeepCoder and the MicroCoder
paper's verification step, a problem survives only if its references pass its tests:

* a test that **no** reference passes is removed (its expected output is wrong, or it needs a
  special judge we do not have);
* the problem is dropped if, on the remaining tests, fewer than ``min_ref_pass_rate`` of the
  references it was verified with pass every test (default 1.0: all of them, DeepCoder's rule);
* the problem is dropped if fewer than ``min_tests`` tests remain (default 5: fewer tests invite
  reward hacking, DeepCoder);
* a problem without reference solutions is kept as ``verify_status="unverified"`` or dropped,
  per ``no_reference``; the decision is written in its stats either way.

Reference code runs only through the evaluator (``mceval.Grader``): sandboxed, with every test run
(``early_exit=False``) so per-test agreement is known. Numbers land in ``Problem.stats`` under
``verify_*`` keys (see `VerifyOutcome.stats`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Literal, Sequence

from mcdata.difficulty.common import stage_progress
from mcdata.report import BuildReport
from mcdata.schema import Problem

if TYPE_CHECKING:
    from mceval.types import SampleResult

STAGE = "verify"


@dataclass(frozen=True)
class VerifyConfig:
    """How strictly reference solutions must confirm a problem's tests.

    Args:
        min_tests: Problems with fewer tests (before or after verification) are dropped. DeepCoder uses 5.
        max_references: Verify with at most this many reference solutions (the first ones), bounding cost
            for sources that ship dozens per problem (APPS/TACO).
        min_ref_pass_rate: Fraction of those references that must pass every kept test. 1.0 (default)
            drops a problem as soon as one reference fails; lower it (e.g. 0.5) for crowd-sourced
            references that are known to contain broken programs.
        no_reference: "keep" problems without references, marked ``verify_status="unverified"``,
            or "drop" them.
        timeout_s: Per-test time limit for the references; None uses the problem's own limit (else the
            grader's default).
        memory_mb: Memory limit per reference run.
        workers: Grader processes; None means one per CPU core.
        batch_size: Problems graded together; bounds memory while keeping every core busy.
        comparison: Output comparison rule of the evaluator ("microcoder" or "lcb").
        progress: Show a Rich progress bar over problems.
    """

    min_tests: int = 5
    max_references: int = 5
    min_ref_pass_rate: float = 1.0
    no_reference: Literal["keep", "drop"] = "keep"
    timeout_s: float | None = None
    memory_mb: int = 1024
    workers: int | None = None
    batch_size: int = 64
    comparison: Literal["microcoder", "lcb"] = "microcoder"
    progress: bool = False

    def __post_init__(self) -> None:
        if self.min_tests < 1:
            raise ValueError(f"min_tests must be >= 1, got {self.min_tests}")
        if self.max_references < 1:
            raise ValueError(f"max_references must be >= 1, got {self.max_references}")
        if not 0.0 < self.min_ref_pass_rate <= 1.0:
            raise ValueError(f"min_ref_pass_rate must be in (0, 1], got {self.min_ref_pass_rate}")
        if self.no_reference not in ("keep", "drop"):
            raise ValueError(f"no_reference must be 'keep' or 'drop', got {self.no_reference!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass
class VerifyOutcome:
    """What the references said about one problem: the tests to keep and whether the problem stays."""

    kept_tests: list[int]
    dropped_tests: list[int]
    num_references: int
    references_passing: int
    verdicts: dict[str, int] = field(default_factory=dict)
    slowest_test_s: float | None = None
    reason: str | None = None  # None: keep the problem

    @property
    def ref_pass_rate(self) -> float:
        return self.references_passing / self.num_references if self.num_references else 0.0

    def stats(self) -> dict[str, Any]:
        return {
            "verify_status": "verified" if self.reason is None else "rejected",
            "verify_num_tests": len(self.kept_tests),
            "verify_dropped_tests": self.dropped_tests,
            "verify_num_references": self.num_references,
            "verify_ref_pass_rate": round(self.ref_pass_rate, 6),
            "verify_ref_verdicts": self.verdicts,
            "verify_ref_max_test_time_s": None if self.slowest_test_s is None else round(self.slowest_test_s, 6),
        }


def judge_references(num_tests: int, results: Sequence["SampleResult"], cfg: VerifyConfig) -> VerifyOutcome:
    """Decide from the references' per-test results (all tests run) which tests and whether the problem stay.

    A reference that did not run a test (e.g. it failed to compile, so the grader reports no per-test
    results) counts as failing it.
    """
    passed = [[False] * num_tests for _ in results]
    slowest = None
    for r, result in enumerate(results):
        for test in result.tests:
            if 0 <= test.index < num_tests and test.verdict.value == "AC":
                passed[r][test.index] = True
                slowest = max(slowest or 0.0, test.time_s)
    kept = [i for i in range(num_tests) if any(row[i] for row in passed)]
    dropped = sorted(set(range(num_tests)) - set(kept))
    passing = sum(all(row[i] for i in kept) for row in passed) if kept else 0
    outcome = VerifyOutcome(
        kept_tests=kept,
        dropped_tests=dropped,
        num_references=len(results),
        references_passing=passing,
        verdicts=dict(Counter(res.verdict.value for res in results)),
        slowest_test_s=slowest,
    )
    if not kept:
        outcome.reason = f"reference solutions fail every test: no test is confirmed by any of {len(results)} references"
    elif passing / len(results) < cfg.min_ref_pass_rate:
        outcome.reason = (
            f"reference solutions fail their own tests: {passing}/{len(results)} pass every test "
            f"(min_ref_pass_rate={cfg.min_ref_pass_rate}; verdicts {outcome.verdicts})"
        )
    elif len(kept) < cfg.min_tests:
        outcome.reason = f"too few tests after verification: {len(kept)} < min_tests={cfg.min_tests}"
    return outcome


def verify_problems(problems: Iterable[Problem], cfg: VerifyConfig, report: BuildReport) -> Iterator[Problem]:
    """The verification stage: yields problems whose tests their references confirm, with ``verify_*`` stats.

    Dropped problems are recorded in ``report`` (stage "verify") with the reason and the stats as detail.
    Problems are graded in batches of ``cfg.batch_size`` through one reused `mceval.Grader` pool.
    """
    with _LazyGrader(cfg) as grader, stage_progress(cfg.progress, "verifying references") as advance:
        batch: list[Problem] = []
        for problem in problems:
            checked = _precheck(problem, cfg, report)
            if checked is None:
                advance(1)
                continue
            batch.append(checked)
            if len(batch) >= cfg.batch_size:
                yield from _verify_batch(batch, grader, cfg, report)
                advance(len(batch))
                batch = []
        if batch:
            yield from _verify_batch(batch, grader, cfg, report)
            advance(len(batch))


class _LazyGrader:
    """An `mceval.Grader` started on first use, so a stream with nothing to run starts no sandboxes."""

    def __init__(self, cfg: VerifyConfig) -> None:
        self.cfg = cfg
        self._grader: Any = None

    def grade(self, items):
        if self._grader is None:
            from mceval import GradeConfig, Grader

            config = GradeConfig(
                timeout_s=self.cfg.timeout_s,
                memory_mb=self.cfg.memory_mb,
                workers=self.cfg.workers,
                comparison=self.cfg.comparison,
                early_exit=False,  # every test runs, so per-test agreement is known
            )
            self._grader = Grader(config).__enter__()
        return self._grader.grade(items)

    def __enter__(self) -> "_LazyGrader":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._grader is not None:
            self._grader.__exit__(*exc)


def _precheck(problem: Problem, cfg: VerifyConfig, report: BuildReport) -> Problem | None:
    """Cheap rejections before any code runs; marks reference-less problems kept as unverified."""
    if len(problem.tests) < cfg.min_tests:
        report.reject_problem(
            STAGE, problem, f"too few tests: {len(problem.tests)} < min_tests={cfg.min_tests}", field="tests"
        )
        return None
    if not problem.solutions:
        if cfg.no_reference == "drop":
            report.reject_problem(STAGE, problem, "no reference solution to verify with", field="solutions")
            return None
        stats = {**problem.stats, "verify_status": "unverified", "verify_num_tests": len(problem.tests)}
        return problem.with_(stats=stats)
    return problem


def _verify_batch(batch: list[Problem], grader: Any, cfg: VerifyConfig, report: BuildReport) -> Iterator[Problem]:
    """Grade every reference of the batch at once; yield the survivors in input order."""
    items = [(p, code) for p in batch for code in p.solutions[: cfg.max_references]]
    results = grader.grade(items) if items else []
    start = 0
    for problem in batch:
        if not problem.solutions:  # kept unverified by _precheck
            yield problem
            continue
        n_refs = min(len(problem.solutions), cfg.max_references)
        outcome = judge_references(len(problem.tests), results[start : start + n_refs], cfg)
        start += n_refs
        stats = {**problem.stats, **outcome.stats()}
        if outcome.reason is not None:
            report.reject_problem(STAGE, problem, outcome.reason, field="solutions", detail=outcome.stats())
            continue
        tests = tuple(problem.tests[i] for i in outcome.kept_tests)
        yield problem.with_(tests=tests, stats=stats)
