"""Diversity-determined training temperature: a staged schedule and the calibration pick rule.

The paper (§1.3, insights 10-16) finds that a temperature whose initial diversity is below
the level training converges to makes diversity fall and training fail, that very high
temperatures fluctuate, that low->high *staged* schedules beat starting high, and that
continuous per-step changes destabilise training. Hence two small tools:

* `TemperatureSchedule`: piecewise-constant stages such as ``"0.6@0,1.2@50"`` (T=0.6 for
  rollouts 0..49, T=1.2 from rollout 50 on; `mctrain.algo.schedule`). No interpolation on purpose.
* `select_temperature`: after a calibration sweep, the LOWEST temperature whose measured
  diversity reaches the target (default 0.7, the level the paper's Qwen3-4B runs converge
  to) - lowest, because among the temperatures that keep diversity up, the coolest one
  fluctuates least.

Engine-free: the trainer asks `schedule.at(rollout)` at each generation boundary and re-patches
its log-prob temperature itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

from mctrain.algo.schedule import StagedSchedule

DEFAULT_DIVERSITY_TARGET = 0.7
DEFAULT_CANDIDATE_TEMPERATURES: tuple[float, ...] = (0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8)

class NoTemperatureReachesTarget(ValueError):
    """No candidate temperature reached the diversity target; the message says how close it came."""


class TemperatureSchedule(StagedSchedule):
    """Piecewise-constant sampling (and log-prob) temperature by rollout round.

    >>> s = TemperatureSchedule.parse("0.6@0,1.2@50")
    >>> s.at(49), s.at(50)
    (0.6, 1.2)
    """

    quantity: ClassVar[str] = "temperature"


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
