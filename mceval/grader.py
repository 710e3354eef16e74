"""The public grading API: `grade()` for one-off batches, `Grader` for a reusable pool.

Samples are spread over one sandboxed fork-server per worker (`mceval.sandbox.Sandbox`); tests of
a sample run in order, with early exit on the first failure unless `GradeConfig.early_exit` is off.
The sandbox only reports what the program did (stdout bytes, a result's JSON text, exit status,
CPU time); the verdict is decided HERE, in the grader's process, by `mceval.compare` against the
expected outputs, which never enter the sandbox.
"""

from __future__ import annotations

import logging
import math
import os
import selectors
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import NamedTuple, Union

from mccore.schema import Problem, TestCase
from mceval.sandbox import Limits, Observation, Sandbox, SandboxCleanupFailed, SandboxCrashed, SandboxUnavailableError
from mceval.types import GradeConfig, SampleResult, TestResult, Verdict
from mceval.workers import default_workers

__all__ = ["GradeItem", "Grader", "SandboxUnavailableError", "grade"]

_log = logging.getLogger("mceval.grader")


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
            raise TypeError(f"item {pos}: expected a mccore.schema.Problem, got {type(item.problem).__name__}")
        if not item.problem.tests:
            raise ValueError(f"item {pos}: problem {item.problem.problem_id!r} has no tests; it cannot be graded")
        if item.code is not None and not isinstance(item.code, str):
            raise TypeError(f"item {pos}: code must be str or None, got {type(item.code).__name__}")
        out.append(item._replace(sample_index=pos if item.sample_index is None else item.sample_index))
    return out


def limits_for(problem: Problem, config: GradeConfig) -> Limits:
    """Per-test limits: CPU time from the config override, else the problem's limit, else the
    default. The lcb profile: LiveCodeBench's one wall-clock limit for every problem (the
    override, else the default, 6 s) and its memory safety cap (`GradeConfig.memory_limit_mb`)."""
    lcb = config.profile == "lcb"
    time_s = config.timeout_s or (None if lcb else problem.time_limit_s) or config.default_timeout_s
    return Limits(time_s=float(time_s), memory_bytes=config.memory_limit_mb * 1024 * 1024,
                  max_output=config.max_output_bytes, max_processes=config.max_processes, wall_clock=lcb)


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
    """Decide one test's verdict from what the sandbox observed and the expected output. Raises
    ValueError (only) when the test cannot be judged: a malformed expected output, or any failure
    of the comparison itself, so that no value a sample produces can abort its batch; the caller
    turns it into a JE verdict naming the problem (`_judge_error`)."""
    from mceval.compare import judge_functional, judge_stdout

    try:
        if obs.status == "ok" and functional and obs.kind == "result" and obs.result is not None:
            ok = judge_functional(obs.result, test.output, config.comparison)
        elif obs.status == "ok" and not functional:
            ok = judge_stdout(obs.stdout.decode("utf-8", "replace"), test.output, config.comparison)
        else:
            verdict, message = _failure_verdict(obs)
            return TestResult(obs.index, verdict, obs.cpu_s, message[:300])
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. MemoryError or a comparison bug: a verdict, not a crash
        raise ValueError(f"comparison failed: {type(exc).__name__}: {exc}") from exc
    return TestResult(obs.index, Verdict.AC if ok else Verdict.WA, obs.cpu_s, "" if ok else "wrong answer")


def _judge_error(problem: Problem, index: int, obs: Observation, exc: Exception) -> TestResult:
    """A test that cannot be judged gets the JE verdict (never AC) with a message naming the
    problem and test, and a warning is logged; the other samples of the batch are unaffected."""
    message = f"judge error: problem {problem.problem_id!r} test {index}: {exc}"
    _log.warning("%s", message)
    return TestResult(index, Verdict.JE, obs.cpu_s, message[:300])


class _Batch:
    """One `submit()` call: its Future and the results filled in as samples finish."""

    def __init__(self, n: int, on_result: Callable[[SampleResult], None] | None) -> None:
        self.future: Future[list[SampleResult]] = Future()
        self.results: list[SampleResult | None] = [None] * n
        self.remaining = n
        self.on_result = on_result
        self.lock = threading.Lock()

    def put(self, pos: int, result: SampleResult) -> None:
        with self.lock:
            if self.future.done():
                return
            self.results[pos] = result
            self.remaining -= 1
            last = self.remaining == 0
        if self.on_result is not None:
            self.on_result(result)
        if last:
            self.future.set_result(self.results)  # type: ignore[arg-type]

    def fail(self, exc: BaseException) -> None:
        with self.lock:
            if not self.future.done():
                self.future.set_exception(exc)


class _Sample:
    """A sample being graded, possibly by several workers at once: when the queue runs dry, an
    idle worker takes over the second half of a running sample's remaining tests (a "piece"), so
    one slow sample at the end of a batch does not leave the other cores idle."""

    def __init__(self, item: GradeItem, config: GradeConfig, batch: _Batch, pos: int) -> None:
        self.item, self.config, self.batch, self.pos = item, config, batch, pos
        self.tests = item.problem.tests
        self.functional = item.problem.is_functional
        self.limits = limits_for(item.problem, config)
        # the lcb profile runs a functional sample's tests on ONE instance: they cannot be split
        self.shares_instance = self.functional and config.profile == "lcb"
        self.lock = threading.Lock()
        self.judged: dict[int, TestResult] = {}
        self.sample_level: list[Observation] = []
        self.first_failure = len(self.tests)  # smallest failing test index so far
        self.pieces: list[_Piece] = []
        self.active = 0
        self.failed_with: BaseException | None = None

    def record(self, piece: "_Piece", obs: Observation) -> bool:
        """Judge one observation of `piece`; False when that piece should stop."""
        early = self.config.early_exit
        with self.lock:
            if obs.index < 0:  # compile error / import failure / no entry point: the whole sample
                self.sample_level.append(obs)
                self.first_failure = -1
                return False
            index = piece.start + obs.index
            if index >= piece.end:  # raced past a split point; the thief covers it
                return False
            try:
                result = judge_observation(obs, self.tests[index], self.functional, self.config)
            except ValueError as exc:  # the PROBLEM is broken (e.g. expected output not JSON), not the batch
                result = _judge_error(self.item.problem, index, obs, exc)
            result.index = index
            self.judged.setdefault(index, result)
            piece.progress = max(piece.progress, index)
            if result.verdict is not Verdict.AC:
                self.first_failure = min(self.first_failure, index)
                return not early
            return not (early and self.first_failure < piece.start)

    def moot_pieces(self) -> list["_Piece"]:
        """With early exit, running pieces that only cover tests after the first failure."""
        if not self.config.early_exit:
            return []
        with self.lock:
            return [p for p in self.pieces if p.job_id is not None and p.start > self.first_failure]

    def result(self) -> SampleResult:
        problem = self.item.problem
        n = len(self.tests)
        out = SampleResult(problem.problem_id, int(self.item.sample_index or 0), Verdict.AC, num_tests=n)
        if self.sample_level:
            verdict, message = _failure_verdict(self.sample_level[0])
            out.verdict = verdict
            out.tests = [TestResult(-1, verdict, self.sample_level[0].cpu_s, message[:300])]
            return out
        out.tests = [self.judged[i] for i in sorted(self.judged)]
        for i in range(n):
            got = self.judged.get(i)
            if got is None:  # never expected: every test is run unless an earlier one failed
                out.verdict = Verdict.RE
                out.tests.append(TestResult(i, Verdict.RE, 0.0, "internal error: test was not run"))
                break
            if got.verdict is not Verdict.AC:
                out.verdict = got.verdict
                break
        if self.config.early_exit and out.verdict is not Verdict.AC:
            first = next(t.index for t in out.tests if t.verdict is not Verdict.AC)
            out.tests = [t for t in out.tests if t.index <= first]
        return out


class _Piece:
    """Tests start..end-1 of a sample, run by one sandbox; `end` shrinks when another sandbox
    takes over the tail."""

    def __init__(self, sample: _Sample, start: int, end: int) -> None:
        self.sample, self.start, self.end = sample, start, end
        self.progress = start - 1  # last test index judged
        self.sandbox: Sandbox | None = None
        self.job_id: int | None = None
        self.started = 0.0


def grade_sample(sandbox: Sandbox, item: GradeItem, config: GradeConfig) -> SampleResult:
    """Grade one (problem, code) pair on one sandbox (no splitting; see `Grader` for the pool)."""
    if not item.code or not item.code.strip():
        return SampleResult(item.problem.problem_id, int(item.sample_index or 0), Verdict.NO_CODE,
                            num_tests=len(item.problem.tests))
    sample = _Sample(item, config, _Batch(1, None), 0)
    piece = _Piece(sample, 0, len(sample.tests))
    sample.pieces.append(piece)
    sandbox.run(item.code, [t.input for t in sample.tests], item.problem.func_name if sample.functional else None,
                sample.limits, config.early_exit, lambda obs: sample.record(piece, obs), profile=config.profile)
    return sample.result()


# ------------------------------------------------------------------------------------------- the pool
class _Slot:
    """One sandbox of the pool and the piece it is running (None when idle)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.piece: _Piece | None = None
        self.deadline = math.inf  # the watchdog: a reply is due before this (monotonic seconds)
        self.watchdog = 0.0
        self.next_index = 0  # relative index of the piece's next test (for a crash report)
        self.stopped = False  # a "stop" was sent for the running job
        self.watched: tuple[int, int] | None = None  # (sandbox generation, fd) registered with the selector


class Grader:
    """A reusable pool of sandboxes, driven by ONE event-loop thread. Start-up is paid once; use
    it as a context manager, or call `close()`. `submit()` returns a Future so grading overlaps
    other work (the trainer generates the next batch meanwhile). Samples are taken longest-first;
    when none are left, idle sandboxes split the remaining tests of running samples (work
    stealing). One thread multiplexing every sandbox's replies, instead of a thread per sandbox,
    keeps the grader's own process from becoming the bottleneck on many cores (no GIL hand-offs
    between threads on every reply)."""

    #: a running piece is split only after this long (fast samples are not worth splitting)
    steal_after_s = 0.05

    def __init__(self, config: GradeConfig = GradeConfig()) -> None:
        self.config = config
        self.workers = max(1, config.workers or default_workers())
        self._lock = threading.Lock()  # guards _queue and _closed (shared with submit/close)
        self._queue: deque[_Sample] = deque()
        self._closed = False
        self._error: BaseException | None = None  # why the loop stopped, if it failed
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        # Owned by the loop thread only:
        self._slots: list[_Slot] = []
        self._started = False
        self._running: set[_Piece] = set()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)

    @property
    def _sandboxes(self) -> list[Sandbox]:
        return [slot.sandbox for slot in self._slots]

    # ---- scheduling (loop thread)
    def _next_piece(self) -> _Piece | None:
        with self._lock:
            sample = self._queue.popleft() if self._queue else None
        if sample is None:
            return self._steal()
        piece = _Piece(sample, 0, len(sample.tests))
        sample.pieces.append(piece)
        sample.active += 1
        return piece

    def _steal(self) -> _Piece | None:
        """Split the running piece with the most tests left."""
        now = time.monotonic()
        best, best_left = None, 1
        for piece in self._running:
            sample = piece.sample
            if piece.job_id is None or now - piece.started < self.steal_after_s or sample.sample_level:
                continue
            if sample.shares_instance:
                continue  # its tests must see the one Solution() their predecessors used
            if sample.config.early_exit and sample.first_failure < piece.end:
                continue  # its verdict is (about to be) decided: no point running more of it
            left = piece.end - (piece.progress + 1)
            if left > best_left:
                best, best_left = piece, left
        if best is None:
            return None
        split = best.progress + 1 + (best_left + 1) // 2
        thief = _Piece(best.sample, split, best.end)
        best.end = split
        assert best.sandbox is not None and best.job_id is not None
        best.sandbox.control(best.job_id, "limit", end=split - best.start)
        best.sample.pieces.append(thief)
        best.sample.active += 1
        return thief

    def _start_sandboxes(self) -> None:
        """Start the missing sandboxes: spawn them all, then wait for each to be ready (tens of
        milliseconds each, overlapped). Spawned here, in the loop thread, because a sandbox dies
        with the thread that started it."""
        limits = Limits(memory_bytes=self.config.memory_limit_mb * 1024 * 1024,
                        max_output=self.config.max_output_bytes, max_processes=self.config.max_processes)
        spawned, errors = [], []
        cpus = sorted(os.sched_getaffinity(0)) if self.config.pin_cpus else []
        for i in range(len(self._slots), self.workers):
            try:
                spawned.append(Sandbox(name=f"mceval-{i}", limits=limits, wait=False,
                                       cpu=cpus[i % len(cpus)] if cpus else None))
            except BaseException as exc:  # noqa: BLE001 - reported through the batches' Futures
                errors.append(exc)
        for sandbox in spawned:
            try:
                sandbox.wait_ready()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                continue
            slot = _Slot(sandbox)
            self._slots.append(slot)
            self._reregister(slot)
        if errors and not self._slots:  # nothing can run: fail the waiting work with the reason
            with self._lock:
                pending = list(self._queue)
                self._queue.clear()
            for sample in pending:
                sample.batch.fail(errors[0])

    # ---- running pieces (loop thread)
    def _begin(self, slot: _Slot, piece: _Piece) -> None:
        sample = piece.sample
        slot.piece, slot.next_index, slot.stopped = piece, 0, False
        slot.watchdog = slot.sandbox.watchdog_s(sample.limits)
        self._running.add(piece)
        inputs = [t.input for t in sample.tests[piece.start : piece.end]]
        try:
            job_id = slot.sandbox.begin(sample.item.code or "", inputs, sample.item.problem.func_name
                                        if sample.functional else None, sample.limits, self.config.early_exit,
                                        self.config.profile)
        except (SandboxCrashed, OSError) as exc:
            self._crash(slot, exc)
            return
        except BaseException as exc:  # noqa: BLE001 - e.g. the sandbox could not be restarted
            sample.failed_with = exc
            self._finish(slot)
            return
        self._reregister(slot)  # begin() restarts a dead sandbox (new channel)
        piece.sandbox, piece.job_id, piece.started = slot.sandbox, job_id, time.monotonic()
        slot.deadline = time.monotonic() + slot.watchdog

    def _on_reply(self, slot: _Slot) -> None:
        piece = slot.piece
        if piece is None:  # a reply outside a job: a sandbox failing after its last sample's replies
            self._between_jobs(slot)
            return
        try:
            replies = slot.sandbox.read_replies()
            for i, (msg, blob) in enumerate(replies):
                observations, done = slot.sandbox.absorb(msg, blob)
                slot.deadline = time.monotonic() + slot.watchdog
                for obs in observations:
                    slot.next_index = max(slot.next_index, obs.index + 1)
                    if not self._judge(piece, obs) and self.config.early_exit and not slot.stopped \
                            and not obs.extra.get("final"):  # a "final" batch ended the sample inside
                        slot.stopped = True
                        slot.sandbox.control(piece.job_id, "stop")
                if done:
                    self._finish(slot)
                    self._between_jobs(slot, replies[i + 1:])
                    return
        except SandboxCleanupFailed:  # the previous sample's cleanup failed: run this one again
            self._retry(slot)
        except (SandboxCrashed, OSError) as exc:
            self._crash(slot, exc)
        except BaseException as exc:  # noqa: BLE001 - a bug must fail the batch, not kill the loop
            piece.sample.failed_with = exc
            self._crash(slot, exc, judge=False)

    def _between_jobs(self, slot: _Slot, replies: list | None = None) -> None:
        """Replies to no job (`replies`, else what the channel holds): only a sandbox failing
        after its last sample's results (an "error", or the channel closing) sends them. It is
        restarted now, before a job is sent to it, so no sample is charged for it."""
        try:
            if replies is None:
                replies = slot.sandbox.read_replies()
            failed = any(isinstance(msg, dict) and msg.get("op") == "error" for msg, _ in replies)
        except SandboxCrashed:
            failed = True
        if failed:
            try:
                slot.sandbox.restart()
            except BaseException:  # noqa: BLE001 - the next _begin() tries again and reports why
                pass
            self._reregister(slot)

    def _retry(self, slot: _Slot) -> None:
        """Run the slot's piece again from its start on a restarted sandbox (nothing of it ran)."""
        piece = slot.piece
        try:
            slot.sandbox.restart()
        except BaseException as exc:  # noqa: BLE001 - the sandbox cannot be started again
            if piece is not None:
                piece.sample.failed_with = exc
            self._finish(slot)
            return
        self._reregister(slot)
        if piece is not None:
            self._running.discard(piece)
            piece.job_id = None
            self._begin(slot, piece)

    def _judge(self, piece: _Piece, obs: Observation) -> bool:
        """Record `obs`; a failure makes other pieces of the sample that lie after it pointless."""
        sample = piece.sample
        keep_going = sample.record(piece, obs)
        for other in sample.moot_pieces():
            if other is not piece and other.sandbox is not None and other.job_id is not None:
                other.sandbox.control(other.job_id, "stop")
        return keep_going

    def _crash(self, slot: _Slot, exc: BaseException, judge: bool = True) -> None:
        """The sandbox died or wedged during a job: report the test in progress, restart it."""
        piece = slot.piece
        try:
            obs = slot.sandbox.crashed(exc, slot.next_index)
        except BaseException as restart_error:  # noqa: BLE001 - the sandbox cannot be started again
            if piece is not None:
                piece.sample.failed_with = restart_error
            obs = None
        self._reregister(slot)
        if piece is not None and obs is not None and judge:
            self._judge(piece, obs)
        self._finish(slot)

    def _reregister(self, slot: _Slot) -> None:
        """Watch the slot's current channel. Compared by the sandbox's generation, not by fd: a
        restarted sandbox's new pipe often gets the closed one's number, and the selector would
        otherwise keep waiting on a registration the kernel already dropped with the old pipe."""
        sandbox = slot.sandbox
        current = (sandbox.generation, sandbox.reply_fd)
        if slot.watched == current:
            return
        if slot.watched is not None:
            try:
                self._selector.unregister(slot.watched[1])
            except (KeyError, ValueError):
                pass
            slot.watched = None
        if sandbox.reply_fd >= 0:
            self._selector.register(sandbox.reply_fd, selectors.EVENT_READ, slot)
            slot.watched = current

    def _finish(self, slot: _Slot) -> None:
        piece, slot.piece, slot.deadline = slot.piece, None, math.inf
        if piece is None:
            return
        self._running.discard(piece)
        piece.job_id = None
        sample = piece.sample
        sample.active -= 1
        if sample.active:
            return
        if sample.failed_with is not None:
            sample.batch.fail(sample.failed_with)
            return
        try:
            sample.batch.put(sample.pos, sample.result())
        except BaseException as exc:  # noqa: BLE001
            sample.batch.fail(exc)

    # ---- the loop
    def _loop(self) -> None:
        stopping = False
        try:
            while True:
                with self._lock:
                    closed, has_work = self._closed, bool(self._queue)
                if closed:
                    if not stopping:  # stop the running jobs once, then wait for their replies
                        stopping = True
                        for slot in self._slots:
                            if slot.piece is not None and slot.piece.job_id is not None:
                                slot.sandbox.control(slot.piece.job_id, "stop")
                    if not self._running:
                        return
                else:
                    # Started once; tried again only while none could start (to fail new work).
                    if has_work and (not self._slots or not self._started and len(self._slots) < self.workers):
                        self._started = True
                        self._start_sandboxes()
                    for slot in self._slots:
                        if slot.piece is None:
                            piece = self._next_piece()
                            if piece is None:
                                break
                            self._begin(slot, piece)
                self._wait_and_dispatch()
        except BaseException as exc:  # noqa: BLE001 - a bug here must not leave Futures waiting forever
            _log.exception("the grader's loop failed; failing every pending sample")
            with self._lock:
                self._closed, self._error = True, exc
                pending = list(self._queue)
                self._queue.clear()
            for sample in pending + [piece.sample for piece in self._running]:
                sample.batch.fail(exc)
        finally:
            for slot in self._slots:
                slot.sandbox.close()

    def _wait_and_dispatch(self) -> None:
        now = time.monotonic()
        deadline = min((slot.deadline for slot in self._slots), default=math.inf)
        timeout = None if deadline == math.inf else max(deadline - now, 0.0)
        if self._running and any(slot.piece is None for slot in self._slots):
            timeout = self.steal_after_s if timeout is None else min(timeout, self.steal_after_s)
        for key, _ in self._selector.select(timeout):
            if key.data is None:
                try:
                    while os.read(self._wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
            elif key.data.piece is not None or key.data.sandbox.reply_fd == key.fd:
                self._on_reply(key.data)
        now = time.monotonic()
        for slot in self._slots:
            if slot.piece is not None and slot.deadline <= now:
                self._crash(slot, SandboxCrashed(f"no reply within {slot.watchdog:.0f} s"))

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # already awake (the pipe is full), or closed

    # ---- public API
    def submit(self, items: Sequence[ItemLike], on_result: Callable[[SampleResult], None] | None = None
               ) -> Future[list[SampleResult]]:
        """Grade `items` in the background; the Future holds the results in input order."""
        normalised = _normalise(items)
        batch = _Batch(len(normalised), on_result)
        if not normalised:
            batch.future.set_result([])
            return batch.future
        samples = []
        for pos, item in enumerate(normalised):
            if not item.code or not item.code.strip():
                batch.put(pos, SampleResult(item.problem.problem_id, int(item.sample_index or 0), Verdict.NO_CODE,
                                            num_tests=len(item.problem.tests)))
            else:
                samples.append(_Sample(item, self.config, batch, pos))
        # Longest jobs first, so the last sandbox does not finish long after the others.
        samples.sort(key=lambda s: -len(s.tests))
        with self._lock:
            if self._closed:
                raise RuntimeError(f"Grader is closed{f' (its loop failed: {self._error!r})' if self._error else ''}")
            self._queue.extend(samples)
            if samples and self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="mceval-grader", daemon=True)
                self._thread.start()
        self._wake()
        return batch.future

    def grade(self, items: Sequence[ItemLike], *, progress: bool = False) -> list[SampleResult]:
        """Grade `items` and wait; results in input order."""
        if not progress:
            return self.submit(items).result()
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()) as bar:
            task = bar.add_task("grading", total=len(items))
            return self.submit(items, on_result=lambda _: bar.advance(task)).result()

    def close(self) -> None:
        """Stop the loop and the sandboxes; batches still queued fail with RuntimeError."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._queue)
            self._queue.clear()
            thread = self._thread
        for sample in pending:
            sample.batch.fail(RuntimeError("Grader closed before this sample was graded"))
        self._wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        if thread is None or thread is not threading.current_thread():
            self._selector.close()
            for fd in (self._wake_r, self._wake_w):
                os.close(fd)

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:  # best effort; call close() explicitly
        try:
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
    workers = min(config.workers or default_workers(), len(items))
    from dataclasses import replace

    with Grader(replace(config, workers=workers)) as grader:
        return grader.grade(items, progress=progress)
