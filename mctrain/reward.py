"""The training reward: run each response's code through MicroCoder-Evaluator's grader.

Why a class and not a plain function: grading is the slow, CPU-bound part of a step, so the
trainer *submits* a batch as soon as generation returns (`submit`) and only collects the
result when TRL asks for rewards (`__call__`), after the old-log-prob forward pass. The
grading runs in the grader's own sandboxed worker processes (never in this process), so it
overlaps that forward pass instead of stalling the step. Used by a plain `GRPOTrainer`
(nothing submitted), `__call__` simply grades synchronously: the same numbers either way.

Reward: 1.0 if every test passes, else 0.0 (``binary``), or the fraction of tests passed
(``fraction``; graded without early exit so every test runs). No code block: 0, verdict
NO_CODE. A truncated response whose final answer is unfinished (`mctrain.algo.answer`) is
not run at all: reward 0, verdict UNJUDGED. Verdicts are kept per response (`last_verdicts`):
they define "non-incorrect" for conditional truncation masking.

Failures: a grading batch that raises or outlasts `batch_timeout_s` is retried on fresh
sandboxes `retries` times. When it still fails, the reward raises `GradingFailed`, or, with
``defer_errors`` (the trainer), records the error and returns no rewards so that every process
reaches the next collective and they all stop together with one message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from mccore.schema import Problem
from mceval.pool import open_grader
from mceval.types import GradeConfig, SampleResult, Verdict
from mcgen.extract import extract_code
from mctrain.algo.answer import UNJUDGED, answer_unfinished

log = logging.getLogger(__name__)

RewardMode = Literal["binary", "fraction"]


class GradingFailed(RuntimeError):
    """Grading could not recover (after retries); the message says where and why, in one line."""


def completion_text(completion: Any) -> str:
    """The assistant text of a TRL completion (a string, or a list of chat messages)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(str(m.get("content") or "") for m in completion if m.get("role", "assistant") == "assistant")
    raise TypeError(f"unexpected completion type {type(completion).__name__}")


def reward_of(result: SampleResult | None, mode: RewardMode) -> float:
    """1/0 for pass/fail, or the fraction of tests passed; anything without a judged program scores 0,
    and so does a judge error (JE: the grader could not judge a test, so no fraction is trusted)."""
    if result is None or result.verdict in (Verdict.NO_CODE, Verdict.JE):
        return 0.0
    if mode == "binary":
        return 1.0 if result.passed else 0.0
    return 1.0 if result.passed else result.pass_fraction


@dataclass
class RewardTimings:
    """Wall-clock seconds of the last batch: how long grading ran, and how long the step waited for it."""

    grade_s: float = 0.0  # submit -> results ready (runs in the background)
    wait_s: float = 0.0  # time the training step was blocked collecting the rewards
    retries: int = 0  # failed tries before the batch was graded


@dataclass
class _Pending:
    key: tuple[int, ...]
    items: list
    future: Future
    started: float
    finished: list[float] = field(default_factory=list)


class CodeReward:
    """A TRL reward function grading code against each problem's tests.

    Args:
        problems: the dataset's problems; a row's ``problem_index`` column indexes this list.
        mode: ``binary`` | ``fraction``.
        extract_mode: how code is pulled out of the response (`mcgen.extract.extract_code`).
        grade_config: the grader's limits (time, memory, workers, comparison).
        retries: fresh-sandbox retries of a batch that failed or timed out.
        batch_timeout_s: the longest wait for one batch (None: unbounded).
        defer_errors: record a final failure in `error` and return None rewards instead of raising.
        grader: where grading runs (`mceval.pool` spec): local sandboxes, a Ray cluster, or a
            grading service's URL; retries open a fresh one the same way.
        grader_share: training processes sharing a Ray cluster's nodes (their cores are split).
    """

    __name__ = "code_reward"  # TRL names the reward column after this

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        mode: RewardMode = "binary",
        extract_mode: Literal["robust", "lcb"] = "robust",
        grade_config: GradeConfig | None = None,
        retries: int = 2,
        batch_timeout_s: float | None = 600.0,
        defer_errors: bool = False,
        grader: str = "local",
        grader_share: int = 1,
    ) -> None:
        if mode not in ("binary", "fraction"):
            raise ValueError(f"reward_mode must be binary or fraction, got {mode!r}")
        self.problems = list(problems)
        self.mode = mode
        self.extract_mode = extract_mode
        config = grade_config or GradeConfig()
        if mode == "fraction" and config.early_exit:
            config = replace(config, early_exit=False)  # every test must run to count the passed ones
        self.grade_config = config
        self.retries = retries
        self.batch_timeout_s = batch_timeout_s
        self.defer_errors = defer_errors
        self.grader_spec, self.grader_share = grader, grader_share
        self.stop_ids: set[int] | None = None  # EOS + pad ids; set by the trainer to spot truncated responses
        self.last_results: list[SampleResult | None] = []
        self.last_verdicts: list[str] = []
        self.error: str | None = None
        self.timings = RewardTimings()
        self._grader = None
        self._pending: _Pending | None = None

    # ------------------------------------------------------------------ grader lifecycle
    def grader(self):
        """The open grader pool (started on first use; the LiveCodeBench evaluation shares it)."""
        if self._grader is None:
            self._grader = open_grader(self.grader_spec, self.grade_config, share=self.grader_share)
            self._grader.__enter__()
        return self._grader

    def close(self) -> None:
        """Stop the grader's worker processes."""
        if self._grader is not None:
            grader, self._grader = self._grader, None
            grader.__exit__(None, None, None)

    def _discard_grader(self) -> None:
        """Drop a grader that failed; close it in the background so a wedged one cannot block us."""
        grader, self._grader = self._grader, None
        if grader is not None:
            threading.Thread(target=grader.close, name="mctrain-grader-close", daemon=True).start()

    def __enter__(self) -> "CodeReward":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ grading
    def _items(
        self, problem_index: Sequence[int], completions: Sequence[Any], truncated: Sequence[bool] | None
    ) -> list[tuple[Problem, str | None] | None]:
        """(problem, code) per response; None for a truncated response whose answer is unfinished (not run)."""

        if len(problem_index) != len(completions):
            raise ValueError(f"{len(completions)} completions but {len(problem_index)} problem indices")
        if truncated is not None and len(truncated) != len(completions):
            raise ValueError(f"{len(completions)} completions but {len(truncated)} truncation flags")
        items: list[tuple[Problem, str | None] | None] = []
        for i, (index, completion) in enumerate(zip(problem_index, completions)):
            index = int(index)
            if not 0 <= index < len(self.problems):
                raise ValueError(f"problem_index {index} is outside the {len(self.problems)} loaded problems")
            text = completion_text(completion)
            if truncated is not None and truncated[i] and answer_unfinished(text):
                items.append(None)
            else:
                items.append((self.problems[index], extract_code(text, self.extract_mode)))
        return items

    def submit(
        self, problem_index: Sequence[int], completions: Sequence[Any], truncated: Sequence[bool] | None = None
    ) -> None:
        """Start grading a batch in the background; the next `__call__` on the same batch collects it."""
        items = self._items(problem_index, completions, truncated)
        started = time.perf_counter()
        future = self.grader().submit([x for x in items if x is not None])
        pending = _Pending(self._key(problem_index, completions), items, future, started)
        future.add_done_callback(lambda _f, p=pending: p.finished.append(time.perf_counter()))
        self._pending = pending

    @staticmethod
    def _key(problem_index: Sequence[int], completions: Sequence[Any]) -> tuple[int, ...]:
        texts = tuple(completion_text(c) for c in completions)
        return (len(completions), hash(tuple(int(i) for i in problem_index)), hash(texts))

    def _collect(self, items: list, future: Future | None) -> list[SampleResult]:
        """Results of the runnable items, retrying on fresh sandboxes; raises GradingFailed at the end."""
        runnable = [x for x in items if x is not None]
        last: BaseException | None = None
        for attempt in range(self.retries + 1):
            try:
                if future is None:
                    future = self.grader().submit(runnable)
                return future.result(timeout=self.batch_timeout_s)
            except Exception as exc:  # noqa: BLE001 - any grader failure is retried the same way
                last, future = exc, None
                self.timings.retries = attempt + 1
                why = "timed out" if isinstance(exc, TimeoutError) else f"failed: {exc!r}"
                log.warning("grading batch of %d %s (try %d of %d)", len(runnable), why, attempt + 1, self.retries + 1)
                self._discard_grader()
        timeout = f" after {self.batch_timeout_s:g} s" if isinstance(last, TimeoutError) else f": {last!r}"
        raise GradingFailed(f"grading {len(runnable)} responses failed {self.retries + 1} times{timeout}")

    def grade_programs(self, items: Sequence[tuple[Problem, str | None]]) -> list[SampleResult]:
        """Grade (problem, code) pairs now, with the same retries and wait bound (the evaluation's entry)."""
        return self._collect(list(items), None)

    def grade(
        self, problem_index: Sequence[int], completions: Sequence[Any], truncated: Sequence[bool] | None = None
    ) -> list[str]:
        """Verdicts for a batch (the submitted one if it matches, else graded now); results in `last_results`."""
        start = time.perf_counter()
        self.timings = RewardTimings()
        pending, self._pending = self._pending, None
        if pending is not None and pending.key == self._key(problem_index, completions):
            items, future, started = pending.items, pending.future, pending.started
        else:
            items, future, started = self._items(problem_index, completions, truncated), None, start
        results = iter(self._collect(items, future))
        done = pending.finished[0] if future is not None and pending.finished else time.perf_counter()
        self.timings.grade_s, self.timings.wait_s = done - started, time.perf_counter() - start
        self.last_results = [None if item is None else next(results) for item in items]
        self.last_verdicts = [UNJUDGED if r is None else r.verdict.value for r in self.last_results]
        return self.last_verdicts

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None = None,
        problem_index: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        """TRL's reward signature: one float per completion; dataset columns arrive as kwargs."""
        if problem_index is None:
            raise ValueError("the training dataset needs a `problem_index` column (see mctrain.data)")
        truncated = None
        if self.stop_ids is not None and completion_ids is not None:
            truncated = [len(ids) > 0 and int(ids[-1]) not in self.stop_ids for ids in completion_ids]
        self.error = None
        try:
            verdicts = self.grade(problem_index, completions, truncated)
        except GradingFailed as exc:
            if not self.defer_errors:
                raise
            self.error, self.last_results = str(exc), [None] * len(completions)
            self.last_verdicts = ["GRADING_FAILED"] * len(completions)
            return [None] * len(completions)
        log_extra = kwargs.get("log_extra")
        if log_extra is not None:
            log_extra("verdict", verdicts)
        return [reward_of(r, self.mode) for r in self.last_results]
