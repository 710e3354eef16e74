"""Diversity-determined training temperature: a staged schedule and the calibration pick rule.

The paper (§1.3, insights 10-16) finds that a temperature whose initial diversity is below
the level training converges to makes diversity fall and training fail, that very high
temperatures fluctuate, that low->high *staged* schedules beat starting high, and that
continuous per-step changes destabilise training. Hence two small tools:

* `TemperatureSchedule`: piecewise-constant stages such as ``"0.6@0,1.2@50"`` (T=0.6 from
  step 0, T=1.2 from step 50). No interpolation on purpose.
* `select_temperature`: after a calibration sweep, the LOWEST temperature whose measured
  diversity reaches the target (default 0.7, the level the paper's Qwen3-4B runs converge
  to) - lowest, because among the temperatures that keep diversity up, the coolest one
  fluctuates least.

Engine-free: the trainer asks `schedule.at(step)` at each generation boundary and re-patches
its log-prob temperature itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Union

DEFAULT_DIVERSITY_TARGET = 0.7
DEFAULT_CANDIDATE_TEMPERATURES: tuple[float, ...] = (0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8)

ScheduleSpec = Union[str, float, int, Iterable[tuple[int, float]], "TemperatureSchedule"]


class NoTemperatureReachesTarget(ValueError):
    """No candidate temperature reached the diversity target; the message says how close it came."""


def _check_temperature(value: float, where: str) -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: temperature must be a positive finite number, got {value}")
    return value


@dataclass(frozen=True)
class TemperatureSchedule:
    """Piecewise-constant temperature by optimizer step: ``stages`` are (start_step, T), sorted.

    The first stage must start at step 0 so every step has a temperature.

    >>> s = TemperatureSchedule.parse("0.6@0,1.2@50")
    >>> s.at(49), s.at(50)
    (0.6, 1.2)
    """

    stages: tuple[tuple[int, float], ...]

    def __post_init__(self) -> None:
        if not self.stages:
            raise ValueError("temperature schedule has no stages")
        stages = []
        for i, stage in enumerate(self.stages):
            try:
                step, temp = stage
            except (TypeError, ValueError):
                raise ValueError(f"temperature stage {i} must be a (step, temperature) pair, got {stage!r}") from None
            if isinstance(step, bool) or int(step) != step or step < 0:
                raise ValueError(f"temperature stage {i}: start step must be a non-negative integer, got {step!r}")
            stages.append((int(step), _check_temperature(temp, f"temperature stage {i}")))
        stages.sort()
        steps = [s for s, _ in stages]
        if steps[0] != 0:
            raise ValueError(f"the first temperature stage must start at step 0, got step {steps[0]}")
        if len(set(steps)) != len(steps):
            raise ValueError(f"two temperature stages start at the same step: {steps}")
        object.__setattr__(self, "stages", tuple(stages))

    @classmethod
    def constant(cls, temperature: float) -> "TemperatureSchedule":
        return cls(((0, temperature),))

    @classmethod
    def parse(cls, spec: ScheduleSpec) -> "TemperatureSchedule":
        """Build from ``"1.2"``, ``"0.6@0,1.2@50"``, a number, or a list of (step, T) pairs.

        In the string form every comma-separated item is ``T@step``; a lone ``T`` means step 0.
        """
        if isinstance(spec, TemperatureSchedule):
            return spec
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            return cls.constant(spec)
        if isinstance(spec, str):
            stages = []
            for item in spec.split(","):
                temp, _, step = item.strip().partition("@")
                try:
                    stages.append((int(step) if step.strip() else 0, float(temp)))
                except ValueError:
                    raise ValueError(
                        f"bad temperature stage {item.strip()!r} in {spec!r}: write T@STEP, e.g. '0.6@0,1.2@50'"
                    ) from None
            return cls(tuple(stages))
        return cls(tuple(spec))

    def at(self, step: int) -> float:
        """The temperature in force at ``step`` (the last stage starting at or before it)."""
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        current = self.stages[0][1]
        for start, temp in self.stages:
            if start > step:
                break
            current = temp
        return current

    def is_boundary(self, step: int) -> bool:
        """True when a later stage starts exactly at ``step`` (the temperature changes here)."""
        return any(start == step for start, _ in self.stages[1:])

    def __str__(self) -> str:
        return ",".join(f"{temp:g}@{start}" for start, temp in self.stages)


def select_temperature(
    diversity_by_T: Mapping[float, float], target: float = DEFAULT_DIVERSITY_TARGET
) -> float:
    """The lowest temperature whose diversity is at least ``target``.

    Raises `NoTemperatureReachesTarget` (a ValueError) naming the best temperature and its
    diversity when none reaches the target: extend the candidates or lower the target.
    Non-finite diversities (e.g. a failed sweep point) are ignored.

    >>> select_temperature({0.6: 0.55, 1.0: 0.68, 1.2: 0.72, 1.4: 0.81})
    1.2
    """
    if not 0 < target <= 1:
        raise ValueError(f"diversity target must be in (0, 1], got {target}")
    measured = {float(t): float(d) for t, d in diversity_by_T.items() if math.isfinite(float(d))}
    if not measured:
        raise ValueError("no diversity measurements to select a temperature from")
    reached = sorted(t for t, d in measured.items() if d >= target)
    if reached:
        return reached[0]
    best_t = max(measured, key=lambda t: (measured[t], -t))
    raise NoTemperatureReachesTarget(
        f"no temperature reaches diversity {target:g}: the highest was {measured[best_t]:.3f} at T={best_t:g} "
        f"(tried {', '.join(f'{t:g}' for t in sorted(measured))}); add higher temperatures or lower the target"
    )
