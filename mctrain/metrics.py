"""RUN_DIR/metrics.jsonl: one JSON row per optimizer step, with stable MicroCoder names.

(Strictly one row per logging step; `logging_steps` defaults to 1 in MicroCoderGRPOConfig.)
Time split per row: ``generation_time_s`` (sampling), ``reward_time_s`` (how long the step was
blocked on rewards; grading itself starts when generation ends and overlaps the old-log-prob
pass, its own wall time is ``grading_time_s``), ``update_time_s`` (the rest: forward/backward and
optimizer), and ``reward_time_share`` = reward_time_s / step_time_s.

TRL logs under its own names ("reward", "completions/clipped_ratio", "clip_ratio/high_mean",
...) and only on the step a generation batch is produced; the paper's curves and
`microcoder train plot` want one row per step with fixed keys. This callback renames, carries
the rollout statistics of the generation batch a step trains on forward to the steps that
reuse it, and writes each row with flush + fsync, so a crash loses at most the row in flight.
On resume, rows after the checkpoint's step (from the interrupted run) are dropped first.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from mcdata.atomic import atomic_write_text
from mctrain.runlog import METRICS_FILE, read_metrics

# Row key -> TRL (or MicroCoder trainer) log key. Rollout statistics: describe a generation batch.
ROLLOUT_KEYS: dict[str, str] = {
    "reward_mean": "reward",
    "reward_std": "reward_std",
    "pass_rate": "mc/pass_rate",
    "response_length_mean": "completions/mean_length",
    "response_length_max": "completions/max_length",
    "truncation_rate": "completions/clipped_ratio",
    "masked_fraction": "mc/masked_fraction",
    "diversity": "mc/diversity",
    "temperature": "mc/temperature",
    "frac_reward_zero_std": "frac_reward_zero_std",
}
# Per-step statistics: measured on every optimizer step.
STEP_KEYS: dict[str, str] = {
    "clip_high_fraction": "clip_ratio/high_mean",
    "clip_low_fraction": "clip_ratio/low_mean",
    "clip_region_fraction": "clip_ratio/region_mean",
    "entropy": "entropy",
    "step_time_s": "step_time",
    "loss": "loss",
    "grad_norm": "grad_norm",
    "learning_rate": "learning_rate",
}
# Time split: zero on steps that reuse a buffered generation batch (nothing was generated or graded).
TIME_KEYS: dict[str, str] = {
    "generation_time_s": "mc/generation_time_s",
    "reward_time_s": "mc/reward_time_s",
    "grading_time_s": "mc/grading_time_s",
}
REQUIRED_KEYS: tuple[str, ...] = (
    "step",
    "reward_mean",
    "response_length_mean",
    "truncation_rate",
    "masked_fraction",
    "diversity",
    "temperature",
    "clip_high_fraction",
    "step_time_s",
    "reward_time_s",
)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class MetricsJsonlCallback(TrainerCallback):
    """Writes RUN_DIR/metrics.jsonl from the trainer's logs (main process only)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / METRICS_FILE
        self._rollout: dict[str, Any] = {}
        self._rollout_step: int | None = None
        self._extra: dict[int, dict[str, Any]] = {}

    def add_extra(self, step: int, values: dict[str, Any]) -> None:
        """Add values (e.g. held-out pass@1) to the row of ``step``, written when that step logs."""
        self._extra.setdefault(step, {}).update(values)

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():  # resuming: keep the rows up to the checkpoint, drop the rest atomically
            kept = [r for r in read_metrics(self.path.parent) if r.get("step", 0) <= state.global_step]
            atomic_write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))
            if kept:
                last = kept[-1]
                self._rollout = {k: last.get(k) for k in ROLLOUT_KEYS}
                self._rollout_step = last.get("rollout_step")

    def row(self, step: int, logs: dict[str, Any]) -> dict[str, Any] | None:
        """The metrics row for a TRL log dict, or None for a log that is not a training step."""
        if "step_time" not in logs and "loss" not in logs:
            return None  # e.g. the final train summary or an evaluation log
        if ROLLOUT_KEYS["reward_mean"] in logs:  # this step generated a new batch
            self._rollout = {k: logs.get(src) for k, src in ROLLOUT_KEYS.items()}
            self._rollout_step = step
            times = {k: logs.get(src, 0.0) for k, src in TIME_KEYS.items()}
        else:
            times = {k: 0.0 for k in TIME_KEYS}
        row: dict[str, Any] = {"step": step, "rollout_step": self._rollout_step}
        row.update({k: self._rollout.get(k) for k in ROLLOUT_KEYS})
        row.update({k: logs.get(src) for k, src in STEP_KEYS.items()})
        row.update(times)
        row.update(self._extra.pop(step, {}))
        step_time = row.get("step_time_s")
        if step_time is not None:
            row["update_time_s"] = max(0.0, step_time - times["generation_time_s"] - times["reward_time_s"])
            row["reward_time_share"] = times["reward_time_s"] / step_time if step_time > 0 else 0.0
        return {k: _clean(v) for k, v in row.items()}

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        row = self.row(state.global_step, logs)
        if row is None:
            return
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
