"""The staged temperature schedule and the diversity-target selection rule (mctrain.algo.temperature)."""

from __future__ import annotations

import math

import pytest

from mctrain.algo.temperature import NoTemperatureReachesTarget, TemperatureSchedule, select_temperature


def test_schedule_parse_forms_agree():
    a = TemperatureSchedule.parse("0.6@0,1.2@50")
    b = TemperatureSchedule.parse([(50, 1.2), (0, 0.6)])  # order does not matter
    c = TemperatureSchedule.parse("0.6, 1.2@50")  # a lone T means step 0
    assert a == b == c
    assert a.stages == ((0, 0.6), (50, 1.2))
    assert str(a) == "0.6@0,1.2@50"
    assert TemperatureSchedule.parse(str(a)) == a
    assert TemperatureSchedule.parse(1.2).stages == ((0, 1.2),)
    assert TemperatureSchedule.parse("1.2") == TemperatureSchedule.constant(1.2)


def test_schedule_at_and_boundaries():
    s = TemperatureSchedule.parse("0.6@0,1.2@50,1.8@100")
    assert [s.at(k) for k in (0, 49, 50, 99, 100, 10_000)] == [0.6, 0.6, 1.2, 1.2, 1.8, 1.8]
    assert [k for k in range(200) if s.is_boundary(k)] == [50, 100]
    with pytest.raises(ValueError):
        s.at(-1)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("1.2@50", "must start at step 0"),
        ("0.6@0,1.2@0", "same step"),
        ("0.6@0,hot@5", "bad temperature stage 'hot@5'"),
        ("0@0", "positive"),
        ("-1", "positive"),
        ([(0.5, 1.0)], "non-negative integer"),
        ([], "no stages"),
    ],
)
def test_schedule_rejects_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        TemperatureSchedule.parse(spec)


def test_select_lowest_temperature_reaching_target():
    sweep = {0.6: 0.55, 0.8: 0.62, 1.0: 0.69, 1.2: 0.72, 1.4: 0.70, 1.6: 0.85}
    assert select_temperature(sweep) == 1.2  # default target 0.7
    assert select_temperature(sweep, target=0.6) == 0.8
    assert select_temperature(sweep, target=0.72) == 1.2  # reaching = equal counts
    assert select_temperature(sweep, target=0.8) == 1.6
    # not monotone: the lowest reaching T wins even if a higher one dips below
    assert select_temperature({1.4: 0.71, 1.0: 0.75, 1.2: 0.5}) == 1.0
    # a failed measurement (NaN) is ignored
    assert select_temperature({0.6: math.nan, 1.2: 0.9}) == 1.2


def test_select_reports_when_none_reaches():
    with pytest.raises(NoTemperatureReachesTarget, match=r"highest was 0\.650 at T=1\.8") as info:
        select_temperature({0.6: 0.4, 1.2: 0.6, 1.8: 0.65})
    assert isinstance(info.value, ValueError)  # the CLI turns it into a one-line error
    with pytest.raises(ValueError, match="no diversity measurements"):
        select_temperature({})
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        select_temperature({1.0: 0.5}, target=1.5)
