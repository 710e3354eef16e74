"""Verification stage: run each problem's reference solutions on its own tests; keep what they confirm.

Why: scraped problems ship wrong tests, wrong references (Python 2, truncated, or simply buggy) and
"print any valid answer" problems. Training on them rewards the wrong thing. The label `verified`
must therefore mean that independent references agree with the tests, not that the tests were cut
down until the one reference passed. The rule (`judge_references`):

* references that do not run at all (compile errors, no entry point) are set aside; the problem is
  judged on the ones that run;
* a test is removed only when a group of **at least two** references that agree with each other on
  every other test all fail it (and no reference passes it): then the test's expected output is the
  odd one out. One reference can never remove a test;
* a test a reference ran out of time on is re-run with a longer limit (``retry_timeout_factor``); a
  timeout never removes a test — if no reference passes a test in time, the problem is dropped;
* the problem stays if at least ``min_ref_pass_rate`` of the running references pass every kept
  test, and at least ``min_tests`` tests remain;
* ``verify_status`` says how strong the evidence is: ``verified`` (N >= 2 references pass every kept
  test), ``single_reference`` (exactly one does; kept or dropped per ``single_reference``), or
  ``unverified`` (no reference at all; kept or dropped per ``no_reference``).

The reference pass rate is reported on the original tests as well as on the kept ones, and the
slowest test time is measured per test (for functional problems the largest tests are re-timed one
at a time, since the grader reports one CPU time for a batch of calls). Reference code runs only through the
evaluator (``mceval.Grader``), sandboxed, with every test run (``early_exit=False``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mccore.schema import Problem
from mcdata.progress import stage_task
from mcdata.report import BuildReport
from mceval import GradeConfig, SampleResult, TestResult
from mceval.pool import open_grader

STAGE = "verify"
DEFAULT_TIMEOUT_S = 6.0  # the grader's own default when neither the config nor the problem sets one
STATUSES: tuple[str, ...] = ("verified", "single_reference", "unverified")

Outcome = Literal["pass", "fail", "slow"]


@dataclass(frozen=True)
class VerifyConfig:
    """How strictly reference solutions must confirm a problem's tests.

    Args:
        min_tests: Problems with fewer tests (before or after verification) are dropped. DeepCoder uses 5.
        max_references: Verify with at most this many reference solutions (the first ones), bounding cost
            for sources that ship dozens per problem (APPS/TACO).
        min_ref_pass_rate: Fraction of the running references that must pass every kept test. 1.0
            (default) drops a problem as soon as one reference fails; lower it (e.g. 0.5) for
            crowd-sourced references that are known to contain broken programs.
        no_reference: "keep" problems without references, marked ``verify_status="unverified"``, or "drop" them.
        single_reference: "keep" problems that only one reference confirms (``verify_status="single_reference"``)
            or "drop" them.
        timeout_s: Per-test time limit for the references; None uses the problem's own limit (else 6 s).
        retry_timeout_factor: Tests a reference timed out on are re-run with the limit times this factor.
        max_removed_fraction: More tests than this share failed by agreeing references means the tests (or
            the statement) are broken: the problem is dropped instead of losing most of its tests.
        memory_mb: Memory limit per reference run.
        workers: Grader processes; None means one per CPU core.
        batch_size: Problems graded together; bounds memory while keeping every core busy.
        comparison: Output comparison rule of the evaluator ("microcoder" or "lcb").
        progress: Show a progress bar over problems (the pipeline shows its own instead).
        grader: Where references run (`mceval.pool` spec): local, a Ray cluster or a grading service.
    """

    min_tests: int = 5
    max_references: int = 5
    min_ref_pass_rate: float = 1.0
    no_reference: Literal["keep", "drop"] = "keep"
    single_reference: Literal["keep", "drop"] = "keep"
    timeout_s: float | None = None
    retry_timeout_factor: float = 3.0
    max_removed_fraction: float = 0.5
    memory_mb: int = 1024
    workers: int | None = None
    batch_size: int = 64
    comparison: Literal["microcoder", "lcb"] = "microcoder"
    grader: str = "local"
    progress: bool = False

    def __post_init__(self) -> None:
        if self.min_tests < 1:
            raise ValueError(f"min_tests must be >= 1, got {self.min_tests}")
        if self.max_references < 1:
            raise ValueError(f"max_references must be >= 1, got {self.max_references}")
        if not 0.0 < self.min_ref_pass_rate <= 1.0:
            raise ValueError(f"min_ref_pass_rate must be in (0, 1], got {self.min_ref_pass_rate}")
        for name in ("no_reference", "single_reference"):
            if getattr(self, name) not in ("keep", "drop"):
                raise ValueError(f"{name} must be 'keep' or 'drop', got {getattr(self, name)!r}")
        if self.retry_timeout_factor < 1.0:
            raise ValueError(f"retry_timeout_factor must be >= 1, got {self.retry_timeout_factor}")
        if not 0.0 <= self.max_removed_fraction < 1.0:
            raise ValueError(f"max_removed_fraction must be in [0, 1), got {self.max_removed_fraction}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


# ------------------------------------------------------------------------------------------ the rule
@dataclass
class VerifyOutcome:
    """What the references said about one problem: the tests to keep and whether the problem stays."""

    num_tests: int
    kept_tests: list[int]
    removed_tests: list[int]
    num_references: int
    num_running: int
    num_passing: int
    num_passing_original: int
    verdicts: dict[str, int] = field(default_factory=dict)
    slowest_test_s: float | None = None
    retried_tests: int = 0
    reason: str | None = None  # None: keep the problem

    @property
    def status(self) -> str:
        if self.reason is not None:
            return "rejected"
        return "verified" if self.num_passing >= 2 else "single_reference"

    @property
    def ref_pass_rate(self) -> float:
        """Share of the running references that pass every ORIGINAL test."""
        return self.num_passing_original / self.num_running if self.num_running else 0.0

    @property
    def ref_pass_rate_kept(self) -> float:
        return self.num_passing / self.num_running if self.num_running else 0.0

    def stats(self) -> dict[str, Any]:
        return {
            "verify_status": self.status,
            "verify_num_tests": len(self.kept_tests),
            "verify_num_tests_original": self.num_tests,
            "verify_dropped_tests": self.removed_tests,
            "verify_num_references": self.num_references,
            "verify_num_running_references": self.num_running,
            "verify_num_agreeing_references": self.num_passing,
            "verify_ref_pass_rate": round(self.ref_pass_rate, 6),
            "verify_ref_pass_rate_kept": round(self.ref_pass_rate_kept, 6),
            "verify_ref_verdicts": self.verdicts,
            "verify_ref_max_test_time_s": None if self.slowest_test_s is None else round(self.slowest_test_s, 6),
            "verify_retried_tests": self.retried_tests,
        }


def outcomes_of(result: "SampleResult", num_tests: int) -> list[Outcome] | None:
    """Per-test outcomes of one reference, or None when it did not run at all (compile error,
    no entry point, no code): such a reference is no evidence either way."""
    ran = [t for t in result.tests if 0 <= t.index < num_tests and t.verdict.value not in ("CE", "NO_CODE")]
    if not ran:
        return None
    out: list[Outcome] = ["fail"] * num_tests
    for test in ran:
        out[test.index] = "pass" if test.verdict.value == "AC" else "slow" if test.verdict.value == "TLE" else "fail"
    return out


def _agreeing_failures(rows: list[list[Outcome]]) -> set[int]:
    """Tests that a group of >= 2 references with identical results on every test all fail and no
    reference passes: the evidence that those tests' expected outputs are wrong."""
    groups = Counter(frozenset(i for i, o in enumerate(row) if o == "fail") for row in rows)
    candidates = [(n, -len(fails), fails) for fails, n in groups.items() if n >= 2 and fails]
    if not candidates or max(n for n, _, _ in candidates) < max(groups.values()):
        return set()  # the largest group of agreeing references fails nothing (or there is none)
    _, _, fails = max(candidates, key=lambda c: (c[0], c[1]))
    return {i for i in fails if not any(row[i] == "pass" for row in rows)}


def judge_references(
    num_tests: int, results: Sequence["SampleResult"], cfg: VerifyConfig, *, retried_tests: int = 0
) -> VerifyOutcome:
    """Decide from the references' per-test results (all tests run, timeouts already re-run) which
    tests stay and whether the problem does (see the module docstring)."""
    rows = [r for r in (outcomes_of(res, num_tests) for res in results) if r is not None]
    removed = sorted(_agreeing_failures(rows))
    if len(removed) > cfg.max_removed_fraction * num_tests:
        removed_note = removed
        removed = []
    else:
        removed_note = []
    kept = [i for i in range(num_tests) if i not in set(removed)]
    passing = [row for row in rows if all(row[i] == "pass" for i in kept)]
    outcome = VerifyOutcome(
        num_tests=num_tests,
        kept_tests=kept,
        removed_tests=removed,
        num_references=len(results),
        num_running=len(rows),
        num_passing=len(passing),
        num_passing_original=sum(all(o == "pass" for o in row) for row in rows),
        verdicts=dict(Counter(res.verdict.value for res in results)),
        retried_tests=retried_tests,
    )
    outcome.reason = _rejection(outcome, rows, removed_note, cfg)
    return outcome


def _rejection(outcome: VerifyOutcome, rows: list[list[Outcome]], disputed: list[int], cfg: VerifyConfig) -> str | None:
    running, n = outcome.num_running, outcome.num_references
    if running == 0:
        return f"no reference solution runs: all {n} fail to compile or lack the entry point (verdicts {outcome.verdicts})"
    if disputed:
        return (
            f"references agree against {len(disputed)} of {outcome.num_tests} tests (over max_removed_fraction="
            f"{cfg.max_removed_fraction}): the tests or the statement are broken"
        )
    unconfirmed = [i for i in outcome.kept_tests if not any(row[i] == "pass" for row in rows)]
    slow = [i for i in unconfirmed if any(row[i] == "slow" for row in rows)]
    if slow and len(slow) == len(unconfirmed):
        return (
            f"reference solutions too slow: no reference passes test(s) {slow[:10]} within {cfg.retry_timeout_factor:g}x "
            "the time limit (a timeout never removes a test)"
        )
    if outcome.num_passing / running < cfg.min_ref_pass_rate or outcome.num_passing == 0:
        fails = Counter(i for row in rows for i in outcome.kept_tests if row[i] != "pass")
        return (
            f"reference solutions fail their own tests: {outcome.num_passing}/{running} running reference(s) pass every "
            f"test (min_ref_pass_rate={cfg.min_ref_pass_rate}; failing tests {sorted(fails)[:10]}; verdicts {outcome.verdicts})"
        )
    if outcome.num_passing == 1 and cfg.single_reference == "drop":
        return f"only one reference confirms the tests ({running} ran; single_reference=drop)"
    if len(outcome.kept_tests) < cfg.min_tests:
        return f"too few tests after verification: {len(outcome.kept_tests)} < min_tests={cfg.min_tests}"
    return None


# ------------------------------------------------------------------------------------------ the stage
def verify_problems(problems: Iterable[Problem], cfg: VerifyConfig, report: BuildReport) -> Iterator[Problem]:
    """The verification stage: yields problems whose tests their references confirm, with ``verify_*`` stats.

    Dropped problems are recorded in ``report`` (stage "verify") with the reason and the stats as detail.
    Problems are graded in batches of ``cfg.batch_size`` through one reused `mceval.Grader` pool.
    """
    with _LazyGrader(cfg) as grader, stage_task("verifying references", None, cfg.progress) as advance:
        batch: list[Problem] = []
        for problem in problems:
            checked = _precheck(problem, cfg, report)
            if checked is None:
                advance(1)
                continue
            if not checked.solutions:
                yield checked
                advance(1)
                continue
            batch.append(checked)
            if len(batch) >= cfg.batch_size:
                yield from _verify_batch(batch, grader, cfg, report, advance)
                batch = []
        if batch:
            yield from _verify_batch(batch, grader, cfg, report, advance)


class _LazyGrader:
    """A grader (`mceval.pool`: local, Ray or a service) started on first use, so a stream with nothing
    to run starts no sandboxes.
    Its timeout is left to each graded problem copy, so retries with longer limits share the pool."""

    def __init__(self, cfg: VerifyConfig) -> None:
        self.cfg = cfg
        self._grader: Any = None

    def grade(self, items: list) -> list:
        if not items:
            return []
        if self._grader is None:
            config = GradeConfig(
                timeout_s=None, memory_mb=self.cfg.memory_mb, workers=self.cfg.workers,
                comparison=self.cfg.comparison, early_exit=False,  # every test runs: per-test agreement is known
            )
            self._grader = open_grader(self.cfg.grader, config).__enter__()
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
            STAGE, problem, f"too few tests: {len(problem.tests)} < min_tests={cfg.min_tests}", field="tests",
            kind="too few tests",
        )
        return None
    if not problem.solutions:
        if cfg.no_reference == "drop":
            report.reject_problem(STAGE, problem, "no reference solution to verify with", field="solutions",
                                  kind="no reference solution")
            return None
        stats = {**problem.stats, "verify_status": "unverified", "verify_num_tests": len(problem.tests)}
        return problem.with_(stats=stats)
    return problem


def time_limit(problem: Problem, cfg: VerifyConfig) -> float:
    return float(cfg.timeout_s or problem.time_limit_s or DEFAULT_TIMEOUT_S)


def _only_tests(problem: Problem, indices: Sequence[int], limit_s: float) -> Problem:
    """A copy holding only some tests, with its own time limit: what retries and timings grade."""
    return problem.with_(tests=tuple(problem.tests[i] for i in indices), time_limit_s=limit_s)


def _verify_batch(batch: list[Problem], grader: Any, cfg: VerifyConfig, report: BuildReport, advance) -> Iterator[Problem]:
    """Grade every reference of the batch at once, re-run timeouts with a longer limit, judge, and yield
    the survivors in input order."""
    refs = [list(p.solutions[: cfg.max_references]) for p in batch]
    items = [(p.with_(time_limit_s=time_limit(p, cfg)), code) for p, codes in zip(batch, refs) for code in codes]
    flat = grader.grade(items)
    results: list[list[Any]] = []
    for codes in refs:
        results.append(flat[: len(codes)])
        flat = flat[len(codes):]
    retried = _rerun_timeouts(batch, refs, results, grader, cfg)
    outcomes = [judge_references(len(p.tests), res, cfg, retried_tests=n) for p, res, n in zip(batch, results, retried)]
    _time_slowest_tests(batch, refs, results, outcomes, grader, cfg)
    for problem, outcome in zip(batch, outcomes):
        advance(1)
        if outcome.reason is not None:
            report.reject_problem(STAGE, problem, outcome.reason, field="solutions", detail=outcome.stats(),
                                  kind=_kind(outcome.reason))
            continue
        tests = tuple(problem.tests[i] for i in outcome.kept_tests)
        yield problem.with_(tests=tests, stats={**problem.stats, **outcome.stats()})


def _kind(reason: str) -> str:
    return reason.split(":", 1)[0].split(" (", 1)[0]


def _rerun_timeouts(batch: list[Problem], refs: list[list[str]], results: list[list[Any]], grader: Any, cfg: VerifyConfig) -> list[int]:
    """Re-run every (reference, test) that timed out with `retry_timeout_factor` times the limit, and
    replace those test results in place. Returns how many tests were re-run per problem."""
    jobs = []  # (problem index, reference index, test indices)
    items = []
    for p_i, (problem, res) in enumerate(zip(batch, results)):
        for r_i, result in enumerate(res):
            slow = sorted({t.index for t in result.tests if t.verdict.value == "TLE" and 0 <= t.index < len(problem.tests)})
            if slow:
                jobs.append((p_i, r_i, slow))
                items.append((_only_tests(problem, slow, time_limit(problem, cfg) * cfg.retry_timeout_factor), refs[p_i][r_i]))

    counts = [0] * len(batch)
    for (p_i, r_i, slow), again in zip(jobs, grader.grade(items)):
        first = results[p_i][r_i]
        by_index = {t.index: t for t in first.tests}
        for test in again.tests:  # indices of the copy map back through `slow`
            if 0 <= test.index < len(slow):
                by_index[slow[test.index]] = TestResult(slow[test.index], test.verdict, test.time_s, test.message)
        tests = sorted(by_index.values(), key=lambda t: t.index)
        results[p_i][r_i] = SampleResult(first.question_id, first.sample_index, first.verdict, tests, first.num_tests)
        counts[p_i] += len(slow)
    return counts


TIMED_TESTS = 3  # functional problems: the largest kept tests are re-run one at a time


def _time_slowest_tests(batch: list[Problem], refs: list[list[str]], results: list[list[Any]],
                        outcomes: list[VerifyOutcome], grader: Any, cfg: VerifyConfig) -> None:
    """Set each kept problem's slowest test time for its first passing reference, timed per test.

    Stdin tests run one process per test, so their times are per test already. Functional calls share a
    process and the grader reports one CPU time for the batch of calls, so the `TIMED_TESTS` largest
    kept tests (where the time goes) are re-run one at a time, for the whole batch in one grader call."""
    items, owners = [], []
    for p_i, (problem, outcome) in enumerate(zip(batch, outcomes)):
        if outcome.reason is not None:
            continue
        first = next((r for r, res in enumerate(results[p_i])
                      if (row := outcomes_of(res, len(problem.tests))) is not None
                      and all(row[i] == "pass" for i in outcome.kept_tests)), None)
        if first is None:
            continue
        if not problem.is_functional:
            kept = set(outcome.kept_tests)
            outcome.slowest_test_s = max((t.time_s for t in results[p_i][first].tests if t.index in kept), default=None)
            continue
        largest = sorted(outcome.kept_tests, key=lambda i: -len(problem.tests[i].input))[:TIMED_TESTS]
        limit = time_limit(problem, cfg) * cfg.retry_timeout_factor
        for i in largest:
            items.append((_only_tests(problem, [i], limit), refs[p_i][first]))
            owners.append(p_i)
    for p_i, timed in zip(owners, grader.grade(items)):
        seconds = max((t.time_s for t in timed.tests), default=0.0)
        current = outcomes[p_i].slowest_test_s
        outcomes[p_i].slowest_test_s = seconds if current is None else max(current, seconds)


def status_counts(problems: Iterable[Problem]) -> Counter:
    """verified / single_reference / unverified / not run, for the report and the card."""
    return Counter(p.stats.get("verify_status", "not verified") for p in problems)
