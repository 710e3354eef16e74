"""The training reward through the real sandboxed grader: values, verdicts, background grading."""

from __future__ import annotations

import pytest

from mcdata.schema import Problem, TestCase
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
