"""A progress bar in rollout rounds, with ETA and the round's key numbers, for `microcoder train`.

TRL's RichProgressCallback counts optimizer updates (``updates_per_rollout`` per round here) and
leaves its last panel without a trailing newline, so the next line of output starts mid-line.
This one counts rounds like metrics.jsonl, shows reward, pass rate, length, masked share and
temperature of the last round, and ends with a newline. Main process only.
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

SHOWN = (("reward", "reward"), ("mc/pass_rate", "pass"), ("completions/mean_length", "len"),
         ("mc/masked_fraction", "masked"), ("mc/temperature", "T"))


class RolloutProgressCallback(TrainerCallback):
    """Rich bar: ``rollout k/N``, elapsed, remaining, and the last logged round's numbers."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._updates = 1

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        from rich.progress import (
            BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
        )

        self._updates = max(1, int(getattr(args, "updates_per_rollout", 1)))
        self._progress = Progress(
            TextColumn("rollout"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn(), TextColumn("{task.description}"),
        )
        self._progress.start()
        total = state.max_steps // self._updates if state.max_steps > 0 else None
        self._task = self._progress.add_task("", total=total, completed=state.global_step // self._updates)

    def on_step_end(self, args, state, control, **kwargs):
        if self._progress is not None:
            self._progress.update(self._task, completed=state.global_step // self._updates)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self._progress is None or not logs:
            return
        shown = [f"{label} {logs[key]:.3g}" for key, label in SHOWN if isinstance(logs.get(key), (int, float))]
        if shown:
            self._progress.update(self._task, description="  ".join(shown))

    def on_train_end(self, args, state, control, **kwargs):
        if self._progress is not None:
            self._progress.stop()
            self._progress.console.line()  # the last render does not end its line on a non-terminal
            self._progress = None
