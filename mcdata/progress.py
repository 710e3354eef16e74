"""Live progress bars for the long build stages (verify, pass rates, judge calls, calibration).

Why one module: a build runs a stage once per checkpoint chunk, so a bar created inside the stage
would restart at every chunk and never know the total. The pipeline opens one `live()` display for
the whole build and one `task()` per phase with the total it knows (rows of the previous phase);
stages report finished problems with `task()` too and, while a display is open, add their own
bars to it instead of opening a second one. Without a display a stage shows its own bar only when
its config asks for one, so library use stays quiet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

Advance = Callable[[int], None]

_LIVE: ContextVar[Any] = ContextVar("mcdata_progress_live", default=None)
_PHASE: ContextVar[Advance | None] = ContextVar("mcdata_progress_phase", default=None)


def _noop(n: int = 1) -> None:
    return None


def _columns() -> list:
    from rich.progress import (
        BarColumn, MofNCompleteColumn, ProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
    )
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Problems per second (or per minute when slow), from rich's own speed estimate."""

        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            if not speed:
                return Text("-/s", style="progress.data.speed")
            return Text(f"{speed:.1f}/s" if speed >= 0.1 else f"{speed * 60:.1f}/min", style="progress.data.speed")

    return [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), RateColumn(),
            TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn()]


@contextmanager
def live(enabled: bool) -> Iterator[None]:
    """One progress display for everything inside the block (a no-op when disabled)."""
    if not enabled or _LIVE.get() is not None:
        yield
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(*_columns(), console=Console(stderr=True), transient=False) as bar:
        token = _LIVE.set(bar)
        try:
            yield
        finally:
            _LIVE.reset(token)


@contextmanager
def task(description: str, total: int | None = None, *, enabled: bool = False) -> Iterator[Advance]:
    """A bar for `total` items; yields `advance(n)`. Inside `live()` it joins that display; else it
    shows its own bar when `enabled`, and is a no-op otherwise."""
    bar = _LIVE.get()
    if bar is None:
        if not enabled:
            yield _noop
            return
        with live(True), task(description, total) as advance:
            yield advance
        return
    task_id = bar.add_task(description, total=total)
    try:
        yield lambda n=1: bar.advance(task_id, n)
    finally:
        if total is None:  # an open-ended bar ends at what it counted
            bar.update(task_id, total=bar.tasks[[t.id for t in bar.tasks].index(task_id)].completed)
        bar.stop_task(task_id)


@contextmanager
def phase(description: str, total: int | None, enabled: bool) -> Iterator[Advance]:
    """The pipeline's bar over a whole phase; stages inside report to it with `phase_advance`."""
    with task(description, total, enabled=enabled) as advance:
        token = _PHASE.set(advance)
        try:
            yield advance
        finally:
            _PHASE.reset(token)


def phase_advance(n: int = 1) -> None:
    """Count `n` problems finished in the current pipeline phase (no-op outside one)."""
    advance = _PHASE.get()
    if advance is not None:
        advance(n)


@contextmanager
def stage_task(description: str, total: int | None, enabled: bool) -> Iterator[Advance]:
    """What a stage uses for its problems: the pipeline's phase bar when there is one (it already
    knows the total), else its own bar when `enabled`."""
    if _PHASE.get() is not None:
        yield phase_advance
        return
    with task(description, total, enabled=enabled) as advance:
        yield advance


def in_phase() -> bool:
    return _PHASE.get() is not None
