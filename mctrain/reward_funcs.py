"""The reward functions a recipe lists in `reward_funcs`, built into TRL reward callables.

``code`` (always first) is `mctrain.reward.CodeReward`, the grader; its verdicts drive the
truncation mask. ``soft_overlong`` is DAPO's length penalty (`mctrain.algo.dapo`). Anything
else is ``package.module:function``: a callable with TRL's reward signature
``f(prompts, completions, completion_ids, **columns) -> list[float | None]``, or a class
taking no arguments whose instances are such callables. TRL sums them with `reward_weights`.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

from mctrain.algo.dapo import soft_overlong_penalty


class SoftOverlongReward:
    """DAPO's soft overlong punishment as a TRL reward; `max_completion_length` follows the length schedule."""

    __name__ = "soft_overlong"

    def __init__(self, max_completion_length: int, buffer: int, factor: float = 1.0) -> None:
        soft_overlong_penalty(0, max_completion_length, buffer, factor)  # validates the numbers
        self.max_completion_length = max_completion_length
        self.buffer = buffer
        self.factor = factor

    def __call__(
        self, prompts: Sequence[Any], completions: Sequence[Any], completion_ids: Sequence[Sequence[int]], **kwargs: Any
    ) -> list[float]:
        return [soft_overlong_penalty(len(ids), self.max_completion_length, self.buffer, self.factor) for ids in completion_ids]


def load_reward(path: str) -> Any:
    """Import ``package.module:attribute``; a class is instantiated with no arguments."""
    module_name, _, attribute = path.partition(":")
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"reward_funcs: cannot import {path!r} ({exc})") from exc
    if isinstance(target, type):
        target = target()
    if not callable(target):
        raise ValueError(f"reward_funcs: {path!r} is not callable")
    if not hasattr(target, "__name__"):
        raise ValueError(f"reward_funcs: {path!r} has no __name__ (TRL names the reward column after it)")
    return target


def extra_reward_funcs(config: Any) -> list[Any]:
    """The reward functions after ``code``, built from the config."""
    funcs = []
    for name in config.reward_funcs[1:]:
        if name == "soft_overlong":
            funcs.append(
                SoftOverlongReward(config.max_completion_length, config.overlong_buffer_length, config.overlong_penalty_factor)
            )
        else:
            funcs.append(load_reward(name))
    return funcs
