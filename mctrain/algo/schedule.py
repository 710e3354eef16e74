"""Piecewise-constant schedules by rollout round: the staged temperature and the staged context length.

The paper switches the training temperature (0.6 -> 1.2 at ~140) and the response length cap
(4K -> 8K at a given step) in stages, never continuously (continuous per-step changes
destabilise training, insight 16). A schedule is written ``"V@R,V@R,..."``: value V from
rollout round R on (R counts completed rollouts, so ``"0.6@0,1.2@140"`` samples rollouts
0..139 at 0.6 and the rest at 1.2). A lone ``V`` means round 0. No interpolation on purpose.

Engine-free: the trainer asks ``schedule.at(rollout)`` at each generation boundary.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Union

ScheduleSpec = Union[str, float, int, Iterable[tuple[int, float]], "StagedSchedule"]


@dataclass(frozen=True)
class StagedSchedule:
    """Stages (start_rollout, value), sorted; the first must start at round 0.

    >>> s = StagedSchedule.parse("0.6@0,1.2@50")
    >>> s.at(49), s.at(50)
    (0.6, 1.2)
    """

    stages: tuple[tuple[int, float], ...]
    quantity: ClassVar[str] = "schedule"  # what the values are, for error messages

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError(f"{self.quantity} schedule has no stages")
        stages = []
        for i, stage in enumerate(self.stages):
            try:
                step, value = stage
            except (TypeError, ValueError):
                raise ValueError(f"{self.quantity} stage {i} must be a (step, value) pair, got {stage!r}") from None
            if isinstance(step, bool) or int(step) != step or step < 0:
                raise ValueError(f"{self.quantity} stage {i}: start step must be a non-negative integer, got {step!r}")
            stages.append((int(step), self.check_value(value, f"{self.quantity} stage {i}")))
        stages.sort()
        steps = [s for s, _ in stages]
        if steps[0] != 0:
            raise ValueError(f"the first {self.quantity} stage must start at step 0, got step {steps[0]}")
        if len(set(steps)) != len(steps):
            raise ValueError(f"two {self.quantity} stages start at the same step: {steps}")
        object.__setattr__(self, "stages", tuple(stages))

    @classmethod
    def check_value(cls, value: float, where: str) -> float:
        """A stage value: any positive finite number (subclasses narrow it)."""
        value = float(value)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{where}: {cls.quantity} must be a positive finite number, got {value}")
        return value

    @classmethod
    def constant(cls, value: float) -> "StagedSchedule":
        return cls(((0, value),))

    @classmethod
    def parse(cls, spec: ScheduleSpec) -> "StagedSchedule":
        """Build from ``"1.2"``, ``"0.6@0,1.2@50"``, a number, or a list of (step, value) pairs."""
        if isinstance(spec, cls):
            return spec
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            return cls.constant(spec)
        if isinstance(spec, str):
            stages = []
            for item in spec.split(","):
                value, _, step = item.strip().partition("@")
                try:
                    stages.append((int(step) if step.strip() else 0, float(value)))
                except ValueError:
                    raise ValueError(
                        f"bad {cls.quantity} stage {item.strip()!r} in {spec!r}: write VALUE@ROLLOUT, e.g. '0.6@0,1.2@50'"
                    ) from None
            return cls(tuple(stages))
        return cls(tuple(spec))

    def at(self, step: int) -> float:
        """The value in force at rollout ``step`` (the last stage starting at or before it)."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        current = self.stages[0][1]
        for start, value in self.stages:
            if start > step:
                break
            current = value
        return current

    @property
    def maximum(self) -> float:
        return max(value for _, value in self.stages)

    def is_boundary(self, step: int) -> bool:
        """True when a later stage starts exactly at ``step`` (the value changes here)."""
        return any(start == step for start, _ in self.stages[1:])

    def __str__(self) -> str:
        return ",".join(f"{value:g}@{start}" for start, value in self.stages)


class LengthSchedule(StagedSchedule):
    """Staged response length cap L_max in tokens, e.g. ``"4096@0,8192@260"`` (paper §5.2 extensions)."""

    quantity: ClassVar[str] = "max_completion_length"

    @classmethod
    def check_value(cls, value: float, where: str) -> int:
        if isinstance(value, bool) or float(value) != int(float(value)) or int(float(value)) < 1:
            raise ValueError(f"{where}: {cls.quantity} must be a positive whole number of tokens, got {value!r}")
        return int(float(value))

    def at(self, step: int) -> int:
        return int(super().at(step))
