"""The public grading API: `grade()` for one-off batches, `Grader` for a reusable pool.

Samples are spread over one sandboxed fork-server per worker (`mceval.sandbox.Sandbox`); tests of
a sample run in order, with early exit on the first failure unless `GradeConfig.early_exit` is off.
The sandbox only reports what the program did (stdout bytes, a result's JSON text, exit status,
CPU time); the verdict is decided HERE, in the grader's process, by `mceval.compare` against the
expected outputs, which never enter the sandbox.
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, NamedTuple, Sequence, Union

from mcdata.schema import Problem, TestCase
from mceval.sandbox import Limits, Observation, Sandbox, SandboxUnavailableError
from mceval.types import GradeConfig, SampleResult, TestResult, Verdict

__all__ = ["GradeItem", "Grader", "grade", "SandboxUnavailableError"]


class GradeItem(NamedTuple):
    """One sample to grade; `sample_index` None means its position in the batch."""

    problem: Problem
    code: str | None
    sample_index: int | None = None


ItemLike = Union[GradeItem, tuple]


def _normalise(items: Sequence[ItemLike]) -> list[GradeItem]:
    out = []
    for pos, item in enumerate(items):
        item = GradeItem(*item)
        if not isinstance(item.problem, Problem):
            raise TypeError(f"item {pos}: expected a mcdata.schema.Problem, got {type(item.problem).__name__}")
        if not item.problem.tests:
            raise ValueError(f"item {pos}: problem {item.problem.problem_id!r} has no tests; it cannot be graded")
        if item.code is not None and not isinstance(item.code, str):
            raise TypeError(f"item {pos}: code must be str or None, got {type(item.code).__name__}")
        out.append(item._replace(sample_index=pos if item.sample_index is None else item.sample_index))
    return out


def limits_for(problem: Problem, config: GradeConfig) -> Limits:
    """Per-test limits: CPU time from the config override, else the problem's limit, else the default."""
    time_s = config.timeout_s or problem.time_limit_s or config.default_timeout_s
    return Limits(time_s=float(time_s), memory_bytes=config.memory_mb * 1024 * 1024,
                  max_output=config.max_output_bytes, max_processes=config.max_processes)


# ------------------------------------------------------------------------------------------ verdicts
def _failure_verdict(obs: Observation) -> tuple[Verdict, str]:
    """Verdict for a test that did not produce a normal result."""
    if obs.status == "compile_error":
        return Verdict.CE, obs.error
    if obs.oom_killed:  # the cgroup's OOM killer fired during this test (maybe on a child process)
        return Verdict.MLE, "memory limit exceeded (killed by the OOM killer)"
    if obs.status == "timeout":
        return Verdict.TLE, f"time limit exceeded (cpu {obs.cpu_s:.2f} s, wall {obs.wall_s:.2f} s)"
    if obs.status == "output_limit":
        return Verdict.OLE, "output limit exceeded"
    if obs.status == "crashed":
        if "no reply" in obs.error:
            return Verdict.TLE, f"sandbox stopped answering and was restarted: {obs.error}"
        return Verdict.RE, f"sandbox crashed and was restarted: {obs.error}"
    if obs.kind == "no_entry":
        return Verdict.CE, obs.error
    if obs.exc_type == "MemoryError" or (obs.status == "exited" and _last_line(obs.stderr).startswith("MemoryError")):
        return Verdict.MLE, "memory limit exceeded (MemoryError)"
    if obs.status == "signaled":
        name = signal.Signals(obs.signal).name if obs.signal in signal.Signals._value2member_map_ else obs.signal
        return Verdict.RE, f"killed by signal {name}"
    if obs.status == "exited":
        return Verdict.RE, f"exit code {obs.exit_code}: {_last_line(obs.stderr)}"[:300]
    if obs.kind == "exception":
        return Verdict.RE, obs.error[:300]
    if obs.kind == "not_serialisable":
        return Verdict.WA, f"result is not JSON-serialisable: {obs.error}"[:300]
    return Verdict.RE, f"unexpected sandbox status {obs.status}/{obs.kind}"


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def judge_observation(obs: Observation, test: TestCase, functional: bool, config: GradeConfig) -> TestResult:
    """Decide one test's verdict from what the sandbox observed and the expected output."""
    from mceval.compare import judge_functional, judge_stdout

    if obs.status == "ok" and functional and obs.kind == "result" and obs.result is not None:
        ok = judge_functional(obs.result, test.output, config.comparison)
        return TestResult(obs.index, Verdict.AC if ok else Verdict.WA, obs.cpu_s, "" if ok else "wrong answer")
    if obs.status == "ok" and not functional:
        actual = obs.stdout.decode("utf-8", "replace")
        ok = judge_stdout(actual, test.output, config.comparison)
        return TestResult(obs.index, Verdict.AC if ok else Verdict.WA, obs.cpu_s, "" if ok else "wrong answer")
    verdict, message = _failure_verdict(obs)
    return TestResult(obs.index, verdict, obs.cpu_s, message[:300])


def grade_sample(sandbox: Sandbox, item: GradeItem, config: GradeConfig) -> SampleResult:
    """Grade one (problem, code) pair on a sandbox."""
    problem, code = item.problem, item.code
    result = SampleResult(problem.problem_id, int(item.sample_index or 0), Verdict.NO_CODE,
                          num_tests=len(problem.tests))
    if not code or not code.strip():
        return result
    functional = problem.is_functional
    tests = problem.tests
    judged: dict[int, TestResult] = {}

    def judge(obs: Observation) -> bool:
        if 0 <= obs.index < len(tests):
            judged[obs.index] = judge_observation(obs, tests[obs.index], functional, config)
            return judged[obs.index].verdict is Verdict.AC
        return obs.status == "ok" and obs.kind in ("", "ready")

    observations = sandbox.run(code, [t.input for t in tests], problem.func_name if functional else None,
                               limits_for(problem, config), config.early_exit, judge)
    sample_level = [o for o in observations if not 0 <= o.index < len(tests)]
    for obs in observations:  # a crash report carries the index of the test in progress
        if 0 <= obs.index < len(tests) and obs.index not in judged:
            judged[obs.index] = judge_observation(obs, tests[obs.index], functional, config)
    result.tests = [judged[i] for i in sorted(judged)]
    if sample_level and not result.tests:
        # Compile error, missing entry point, or the module failed on import: one entry with
        # index -1 carries the reason (it counts as a failure, never as a passed test).
        verdict, message = _failure_verdict(sample_level[0])
        result.verdict = verdict
        result.tests = [TestResult(-1, verdict, sample_level[0].cpu_s, message[:300])]
        return result
    first_failure = next((t for t in result.tests if t.verdict is not Verdict.AC), None)
    if first_failure is not None:
        result.verdict = first_failure.verdict
        if config.early_exit:  # tests that finished while the stop was on its way do not count
            result.tests = [t for t in result.tests if t.index <= first_failure.index]
    elif len(result.tests) == len(tests):
        result.verdict = Verdict.AC
    else:  # should not happen: tests missing without a failure
        result.verdict = Verdict.RE
    return result


# ------------------------------------------------------------------------------------------- the pool
class Grader:
    """A reusable pool of sandboxes (one per worker). Start-up is paid once; use as a context
    manager, or call `close()`. `submit()` returns a Future so grading overlaps other work
    (the trainer generates the next batch meanwhile)."""

    def __init__(self, config: GradeConfig = GradeConfig()) -> None:
        self.config = config
        self.workers = max(1, config.workers or os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="mceval-grader")
        self._local = threading.local()
        self._sandboxes: list[Sandbox] = []
        self._lock = threading.Lock()
        self._closed = False

    def _sandbox(self) -> Sandbox:
        sb = getattr(self._local, "sandbox", None)
        if sb is None:
            limits = Limits(memory_bytes=self.config.memory_mb * 1024 * 1024,
                            max_output=self.config.max_output_bytes, max_processes=self.config.max_processes)
            sb = Sandbox(name=f"mceval-{len(self._sandboxes)}", limits=limits)
            with self._lock:
                if self._closed:
                    sb.close()
                    raise RuntimeError("Grader is closed")
                self._sandboxes.append(sb)
            self._local.sandbox = sb
        return sb

    def _grade_one(self, item: GradeItem) -> SampleResult:
        return grade_sample(self._sandbox(), item, self.config)

    def submit(self, items: Sequence[ItemLike], on_result: Callable[[SampleResult], None] | None = None
               ) -> Future[list[SampleResult]]:
        """Grade `items` in the background; the Future holds the results in input order."""
        if self._closed:
            raise RuntimeError("Grader is closed")
        normalised = _normalise(items)
        done: Future[list[SampleResult]] = Future()
        results: list[SampleResult | None] = [None] * len(normalised)
        if not normalised:
            done.set_result([])
            return done
        remaining = [len(normalised)]
        lock = threading.Lock()

        def finished(pos: int, fut: Future) -> None:
            exc = fut.exception()
            with lock:
                if done.done():
                    return
                if exc is not None:
                    done.set_exception(exc)
                    return
                results[pos] = fut.result()
                remaining[0] -= 1
                last = remaining[0] == 0
            if on_result is not None:
                on_result(results[pos])  # type: ignore[arg-type]
            if last:
                done.set_result(results)  # type: ignore[arg-type]

        # Longest jobs first, so the last worker does not finish long after the others.
        order = sorted(range(len(normalised)), key=lambda i: -len(normalised[i].problem.tests))
        for pos in order:
            fut = self._pool.submit(self._grade_one, normalised[pos])
            fut.add_done_callback(lambda f, pos=pos: finished(pos, f))
        return done

    def grade(self, items: Sequence[ItemLike], *, progress: bool = False) -> list[SampleResult]:
        """Grade `items` and wait; results in input order."""
        if not progress:
            return self.submit(items).result()
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
            task = bar.add_task("grading", total=len(items))
            return self.submit(items, on_result=lambda _: bar.advance(task)).result()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            boxes, self._sandboxes = self._sandboxes, []
        self._pool.shutdown(wait=True, cancel_futures=True)
        for sb in boxes:
            sb.close()

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # best effort; call close() explicitly
        try:
            if not self._closed:
                self.close()
        except Exception:  # noqa: BLE001
            pass


def grade(items: Sequence[ItemLike], config: GradeConfig = GradeConfig(), *, progress: bool = False
          ) -> list[SampleResult]:
    """Grade (problem, code) pairs in sandboxes; code None or "" gives NO_CODE. Results come back in
    input order; `question_id` is the problem id and `sample_index` the item's position unless the
    item (a `GradeItem`) sets it. A problem without tests raises ValueError (never AC)."""
    items = _normalise(items)
    if not items:
        return []
    workers = min(config.workers or os.cpu_count() or 1, len(items))
    from dataclasses import replace

    with Grader(replace(config, workers=workers)) as grader:
        return grader.grade(items, progress=progress)
