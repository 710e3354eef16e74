"""The training reward through the real sandboxed grader: values, verdicts, background grading."""

from __future__ import annotations

import pytest

from mccore.schema import Problem, TestCase
from mceval.types import GradeConfig
from mctrain.reward import CodeReward, completion_text

ADD = Problem(
    problem_id="add",
    source="synthetic",
    statement="Print the sum of two integers.",
    tests=(TestCase("1 2\n", "3\n"), TestCase("5 5\n", "10\n")),
)
SOLVES = "```python\nprint(sum(map(int, input().split())))\n```"
HALF = "```python\na, b = map(int, input().split())\nprint(3 if a == 1 else 0)\n```"  # passes test 1 only
WRONG = "```python\nprint(0)\n```"
PROSE = "Let me think about this problem step by step"


@pytest.fixture(scope="module")
def binary():
    with CodeReward([ADD], mode="binary", grade_config=GradeConfig(workers=2)) as reward:
        yield reward


def test_binary_reward_and_verdicts(binary):
    rewards = binary(prompts=[None] * 4, completions=[SOLVES, HALF, WRONG, PROSE], problem_index=[0, 0, 0, 0])
    assert rewards == [1.0, 0.0, 0.0, 0.0]
    assert [r.verdict.value for r in binary.last_results] == ["AC", "WA", "WA", "NO_CODE"]


def test_fraction_reward_counts_passed_tests():
    with CodeReward([ADD], mode="fraction", grade_config=GradeConfig(workers=2)) as reward:
        assert reward.grade_config.early_exit is False  # every test must run to count them
        rewards = reward(prompts=[None] * 3, completions=[SOLVES, HALF, PROSE], problem_index=[0, 0, 0])
    assert rewards == [1.0, 0.5, 0.0]


def test_submitted_batch_is_collected_not_regraded(binary):
    chat = [[{"role": "assistant", "content": SOLVES}], [{"role": "assistant", "content": WRONG}]]
    logged = {}
    binary.submit([0, 0], chat)
    pending = binary._pending
    assert pending is not None
    rewards = binary(
        prompts=[None] * 2, completions=chat, problem_index=[0, 0], log_extra=lambda col, vals: logged.update({col: vals})
    )
    assert rewards == [1.0, 0.0] and binary._pending is None and pending.future.done()
    assert logged == {"verdict": ["AC", "WA"]}
    assert binary.timings.grade_s > 0 and binary.timings.wait_s <= binary.timings.grade_s + 1.0
    # A different batch than the one submitted is graded on the spot, never mixed up.
    binary.submit([0], [WRONG])
    assert binary(prompts=[None], completions=[SOLVES], problem_index=[0]) == [1.0]


def test_bad_inputs_name_the_problem(binary):
    with pytest.raises(ValueError, match="problem_index"):
        binary(prompts=[None], completions=[SOLVES])
    with pytest.raises(ValueError, match="outside the 1 loaded problems"):
        binary(prompts=[None], completions=[SOLVES], problem_index=[3])
    with pytest.raises(ValueError, match="reward_mode"):
        CodeReward([ADD], mode="partial")
    assert completion_text([{"role": "assistant", "content": "x"}]) == "x"


def test_truncated_responses_with_unfinished_answers_are_unjudged_and_never_run(binary):
    """Where the cut lands no longer decides the verdict: an unfinished answer is UNJUDGED without running."""
    cut_mid_block = "```python\nprint(sum(map(int, input().split()"  # would be CE if run
    cut_in_second_draft = SOLVES + "\nFaster:\n```python\nimport sys\n"  # would grade the first draft (AC)
    complete_then_prose = SOLVES + "\nThis reads the two numbers and"  # the answer is complete
    completions = [cut_mid_block, cut_in_second_draft, complete_then_prose, WRONG, PROSE]
    eos = 99
    ids = [[1, 2], [1, 2], [1, 2], [1, 2], [1, eos]]  # the last one stopped: graded normally (NO_CODE)
    binary.stop_ids = {eos}
    try:
        rewards = binary(prompts=[None] * 5, completions=completions, completion_ids=ids, problem_index=[0] * 5)
    finally:
        binary.stop_ids = None
    assert binary.last_verdicts == ["UNJUDGED", "UNJUDGED", "AC", "WA", "NO_CODE"]
    assert rewards == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert binary.last_results[0] is None and binary.last_results[1] is None  # not sent to the grader


class _FlakyGrader:
    """Stands in for mceval.Grader: the first `failures` batches fail (or hang), then it grades for real."""

    def __init__(self, real, failures: int, hang: bool = False):
        self.real, self.failures, self.hang, self.calls = real, failures, hang, 0

    def submit(self, items, on_result=None):
        from concurrent.futures import Future

        self.calls += 1
        if self.calls <= self.failures:
            future = Future()
            if not self.hang:
                future.set_exception(RuntimeError("sandbox pool crashed"))
            return future  # a hung batch never completes
        return self.real.submit(items)

    def close(self):
        pass


def _with_flaky_grader(reward, real, **kw):
    flaky = _FlakyGrader(real, **kw)
    reward.grader = lambda: flaky
    reward._discard_grader = lambda: None
    return flaky


def test_failed_grading_batch_is_retried_then_fails_with_one_message():
    from mctrain.reward import GradingFailed

    with CodeReward([ADD], grade_config=GradeConfig(workers=1), retries=2) as reward:
        real = reward.grader()
        flaky = _with_flaky_grader(reward, real, failures=2)
        assert reward(prompts=[None], completions=[SOLVES], problem_index=[0]) == [1.0]
        assert flaky.calls == 3 and reward.timings.retries == 2
        _with_flaky_grader(reward, real, failures=3)
        with pytest.raises(GradingFailed, match=r"^grading 1 responses failed 3 times: RuntimeError"):
            reward(prompts=[None], completions=[SOLVES], problem_index=[0])
        # Inside the trainer the failure is recorded instead, so every process reaches the next collective.
        _with_flaky_grader(reward, real, failures=3)
        reward.defer_errors = True
        assert reward(prompts=[None], completions=[SOLVES], problem_index=[0]) == [None]
        assert "failed 3 times" in reward.error


def test_a_hung_grading_batch_is_abandoned_after_the_wait_bound():
    import time

    from mctrain.reward import GradingFailed

    with CodeReward([ADD], grade_config=GradeConfig(workers=1), retries=1, batch_timeout_s=0.3) as reward:
        real = reward.grader()
        _with_flaky_grader(reward, real, failures=1, hang=True)
        start = time.perf_counter()
        assert reward(prompts=[None], completions=[SOLVES], problem_index=[0]) == [1.0]  # retried after 0.3 s
        _with_flaky_grader(reward, real, failures=2, hang=True)
        with pytest.raises(GradingFailed, match="after 0.3 s"):
            reward(prompts=[None], completions=[SOLVES], problem_index=[0])
        assert time.perf_counter() - start < 10


def test_grader_size_is_split_between_the_processes_of_a_node(monkeypatch):
    from mceval.workers import default_workers
    from mctrain.engine import grader_workers_per_process

    cores = default_workers()  # usable physical cores
    assert grader_workers_per_process(1) == cores
    assert grader_workers_per_process(cores * 4) == 1  # never zero
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert grader_workers_per_process() == max(1, cores // 2)
