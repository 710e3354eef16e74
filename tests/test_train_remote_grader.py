"""The trainer's reward graded elsewhere: `grader` in the training config and `CodeReward`."""

from __future__ import annotations

import pytest
from service_harness import LiveService, free_port

from mccore.schema import Problem, TestCase
from mceval.service.settings import ServiceSettings
from mceval.types import GradeConfig

DOUBLE = Problem("double", "test", "", time_limit_s=2, tests=tuple(TestCase(f"{i}\n", f"{2 * i}\n") for i in range(4)))


@pytest.fixture(scope="module")
def service():
    live = LiveService(ServiceSettings(port=free_port(), config=GradeConfig(workers=1)))
    yield live
    live.stop()


def test_trainer_reward_graded_by_the_service(service):
    from mctrain.reward import CodeReward

    solves = "```python\nprint(2 * int(input()))\n```"
    half = "```python\nx = int(input())\nprint(2 * x if x % 2 == 0 else -1)\n```"
    completions = [solves, half, "no code here"]
    with CodeReward([DOUBLE], mode="fraction", grader=service.url) as remote, \
            CodeReward([DOUBLE], mode="fraction", grade_config=GradeConfig(workers=1)) as local:
        remote_rewards = remote(prompts=[None] * 3, completions=completions, problem_index=[0, 0, 0])
        local_rewards = local(prompts=[None] * 3, completions=completions, problem_index=[0, 0, 0])
        assert remote.last_verdicts == local.last_verdicts == ["AC", "WA", "NO_CODE"]
    assert remote_rewards == local_rewards == [1.0, 0.5, 0.0]


def test_training_config_refuses_a_bad_grader_spec():
    from mctrain.config import MicroCoderGRPOConfig

    with pytest.raises(ValueError, match="--grader must be one of"):
        MicroCoderGRPOConfig(model_name_or_path="tiny-random", output_dir="unused", grader="ftp://x")
    assert MicroCoderGRPOConfig(model_name_or_path="tiny-random", output_dir="unused",
                                grader="http://127.0.0.1:8080").grader == "http://127.0.0.1:8080"
