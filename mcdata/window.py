"""The evaluation window: contest dates a training set must stay clear of, compared as dates.

Why not strings: ISO strings of different shapes do not sort as dates ("2024-08-01" sorts before
"2024-08-01T00:00:00", and "2024/07/05" after every "2024-..."), so a problem dated on the first
day of the window, or written with slashes, landed on the wrong side. Every date is parsed once
(`mcdata.adapters.base.iso_date` accepts the shapes the sources use) and the window is validated
when it is given, not when the first problem reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def parse_date(value: Any, what: str = "date") -> datetime | None:
    """A date or datetime from ISO text ("2024-08-01", "2024/08/01", "2024-08-01T10:00:00"), a
    `datetime` or unix seconds; None for empty; ValueError naming `what` otherwise."""
    from mcdata.adapters.base import RowError, iso_date

    try:
        text = iso_date(value)
    except RowError as exc:
        raise ValueError(f"{what}: {exc.reason}") from None
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class EvalWindow:
    """[start, end) of contest dates; an open side is None. `EvalWindow()` (both None) is "off"."""

    start: datetime | None = None
    end: datetime | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"--eval-window: end {self.end.date()} is not after start {self.start.date()}")

    @classmethod
    def parse(cls, text: str | None) -> "EvalWindow":
        """'2024-08-01:' / '2025-01-01:2025-05-01' / ':2025-05-01' / 'none' -> a window; bad dates raise
        ValueError naming --eval-window."""
        if text is None or text.strip().lower() in ("", "none", "off"):
            return cls()
        start, sep, end = text.partition(":")
        if not sep and not start.strip():
            raise ValueError(f"--eval-window {text!r}: expected START[:END] (dates such as 2024-08-01) or 'none'")
        where = f"--eval-window {text!r}"
        return cls(parse_date(start.strip() or None, where), parse_date(end.strip() or None, where))

    @classmethod
    def of(cls, start: Any = None, end: Any = None) -> "EvalWindow":
        return cls(parse_date(start, "window start"), parse_date(end, "window end"))

    @property
    def off(self) -> bool:
        return self.start is None and self.end is None

    def contains(self, date: Any) -> bool:
        """Whether a contest date falls inside; undated problems (None) never do."""
        when = date if isinstance(date, datetime) or date is None else parse_date(date)
        if when is None or self.off:
            return False
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)

    def __str__(self) -> str:
        if self.off:
            return "off"
        start = self.start.date().isoformat() if self.start else "open"
        end = self.end.date().isoformat() if self.end else "open"
        return f"[{start}, {end})"
