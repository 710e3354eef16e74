"""The training reward: run each response's code through MicroCoder-Evaluator's grader.

Why a class and not a plain function: grading is the slow, CPU-bound part of a step, so the
trainer *submits* a batch as soon as generation returns (`submit`) and only collects the
result when TRL asks for rewards (`__call__`), after the old-log-prob forward pass. The
grading runs in the grader's own sandboxed worker processes (never in this process), so it
overlaps that forward pass instead of stalling the step. Used by a plain `GRPOTrainer`
(nothing submitted), `__call__` simply grades synchronously: the same numbers either way.

Reward: 1.0 if every test passes, else 0.0 (``binary``), or the fraction of tests passed
(``fraction``; graded without early exit so every test runs). No code block: 0, verdict
NO_CODE. Verdicts are kept per response (`last_results`): they define "non-incorrect" for
conditional truncation masking.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

from mcdata.schema import Problem
from mceval.types import GradeConfig, SampleResult, Verdict

RewardMode = Literal["binary", "fraction"]


def completion_text(completion: Any) -> str:
    """The assistant text of a TRL completion (a string, or a list of chat messages)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list):
        return "".join(str(m.get("content") or "") for m in completion if m.get("role", "assistant") == "assistant")
    raise TypeError(f"unexpected completion type {type(completion).__name__}")


def reward_of(result: SampleResult, mode: RewardMode) -> float:
    """1/0 for pass/fail, or the fraction of tests passed; anything without code scores 0."""
    if result.verdict is Verdict.NO_CODE:
        return 0.0
    if mode == "binary":
        return 1.0 if result.passed else 0.0
    return 1.0 if result.passed else result.pass_fraction


@dataclass
class RewardTimings:
    """Wall-clock seconds of the last batch: how long grading ran, and how long the step waited for it."""

    grade_s: float = 0.0  # submit -> results ready (runs in the background)
    wait_s: float = 0.0  # time the training step was blocked collecting the rewards


@dataclass
class _Pending:
    key: tuple[int, ...]
    future: Future
    started: float
    finished: list[float] = field(default_factory=list)


class CodeReward:
    """A TRL reward function grading code against each problem's tests.

    Args:
        problems: the dataset's problems; a row's ``problem_index`` column indexes this list.
        mode: ``binary`` | ``fraction``.
        extract_mode: how code is pulled out of the response (`mceval.extract.extract_code`).
        grade_config: the grader's limits (time, memory, workers, comparison).
    """

    __name__ = "code_reward"  # TRL names the reward column after this

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        mode: RewardMode = "binary",
        extract_mode: Literal["robust", "lcb"] = "robust",
        grade_config: GradeConfig | None = None,
    ) -> None:
        if mode not in ("binary", "fraction"):
            raise ValueError(f"reward_mode must be binary or fraction, got {mode!r}")
        self.problems = list(problems)
        self.mode = mode
        self.extract_mode = extract_mode
        config = grade_config or GradeConfig()
        if mode == "fraction" and config.early_exit:
            from dataclasses import replace

            config = replace(config, early_exit=False)  # every test must run to count the passed ones
        self.grade_config = config
        self.last_results: list[SampleResult] = []
        self.timings = RewardTimings()
        self._grader = None
        self._pending: _Pending | None = None

    # ------------------------------------------------------------------ grader lifecycle
    def grader(self):
        """The open grader pool (started on first use; the held-out evaluation shares it)."""
        if self._grader is None:
            from mceval.grader import Grader

            self._grader = Grader(self.grade_config)
            self._grader.__enter__()
        return self._grader

    def close(self) -> None:
        """Stop the grader's worker processes."""
        if self._grader is not None:
            grader, self._grader = self._grader, None
            grader.__exit__(None, None, None)

    def __enter__(self) -> "CodeReward":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ grading
    def _items(self, problem_index: Sequence[int], completions: Sequence[Any]) -> list[tuple[Problem, str | None]]:
        from mceval.extract import extract_code

        if len(problem_index) != len(completions):
            raise ValueError(f"{len(completions)} completions but {len(problem_index)} problem indices")
        items = []
        for index, completion in zip(problem_index, completions):
            index = int(index)
            if not 0 <= index < len(self.problems):
                raise ValueError(f"problem_index {index} is outside the {len(self.problems)} loaded problems")
            items.append((self.problems[index], extract_code(completion_text(completion), self.extract_mode)))
        return items

    def submit(self, problem_index: Sequence[int], completions: Sequence[Any]) -> None:
        """Start grading a batch in the background; the next `__call__` on the same batch collects it."""
        items = self._items(problem_index, completions)
        started = time.perf_counter()
        pending = _Pending(self._key(problem_index, completions), self.grader().submit(items), started)
        pending.future.add_done_callback(lambda _f, p=pending: p.finished.append(time.perf_counter()))
        self._pending = pending

    @staticmethod
    def _key(problem_index: Sequence[int], completions: Sequence[Any]) -> tuple[int, ...]:
        texts = tuple(completion_text(c) for c in completions)
        return (len(completions), hash(tuple(int(i) for i in problem_index)), hash(texts))

    def grade(self, problem_index: Sequence[int], completions: Sequence[Any]) -> list[SampleResult]:
        """Results for a batch: the submitted one if it matches, else graded now."""
        start = time.perf_counter()
        pending, self._pending = self._pending, None
        if pending is not None and pending.key == self._key(problem_index, completions):
            results = pending.future.result()
            done = pending.finished[0] if pending.finished else time.perf_counter()
            self.timings = RewardTimings(grade_s=done - pending.started, wait_s=time.perf_counter() - start)
        else:
            results = self.grader().grade(self._items(problem_index, completions))
            elapsed = time.perf_counter() - start
            self.timings = RewardTimings(grade_s=elapsed, wait_s=elapsed)
        self.last_results = list(results)
        return self.last_results

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None = None,
        problem_index: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> list[float]:
        """TRL's reward signature: one float per completion; dataset columns arrive as kwargs."""
        if problem_index is None:
            raise ValueError("the training dataset needs a `problem_index` column (see mctrain.data)")
        results = self.grade(problem_index, completions)
        log_extra = kwargs.get("log_extra")
        if log_extra is not None:
            log_extra("verdict", [r.verdict.value for r in results])
        return [reward_of(r, self.mode) for r in results]
