"""RUN_DIR/metrics.jsonl: one JSON row per rollout round, with stable MicroCoder names.

``step`` counts completed rollout rounds on any number of processes (``optimizer_step`` is
TRL's count of optimizer updates, ``updates_per_rollout`` per round). The trainer logs once
per round (``logging_steps`` rounds), so each row describes one generated batch and the
average over the round's updates of the per-update statistics (loss, clip fractions, entropy).

Time split per row: ``generation_time_s`` (sampling), ``reward_time_s`` (how long the round
was blocked on rewards; grading itself starts when generation ends and overlaps the
old-log-prob pass, its own wall time is ``grading_time_s``), ``update_time_s`` (the rest:
forward/backward and optimizer), and ``reward_time_share`` = reward_time_s / step_time_s.

TRL logs under its own names ("reward", "completions/clipped_ratio", "clip_ratio/high_mean",
...); they are renamed here. Every MicroCoder statistic (``mc/x/y`` in the trainer's logs) is
written as ``x_y``: masked_fraction, masked_of_eligible, verdict_AC, verdict_UNJUDGED, ...,
diversity_*, temperature, max_completion_length, is_masked_fraction, ds_* (dynamic sampling).
Rows are written with flush + fsync, so a crash loses at most the row in flight. On resume,
rows after the checkpoint's round (from the interrupted run) are dropped first. Evaluation
results (`add_extra`) join the row of their round; an evaluation before training is row 0.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from mccore.atomic import atomic_write_text
from mctrain.runlog import METRICS_FILE, read_metrics

# Row key -> TRL log key.
TRL_KEYS: dict[str, str] = {
    "reward_mean": "reward",
    "reward_std": "reward_std",
    "response_length_mean": "completions/mean_length",
    "response_length_max": "completions/max_length",
    "truncation_rate": "completions/clipped_ratio",
    "frac_reward_zero_std": "frac_reward_zero_std",
    "clip_high_fraction": "clip_ratio/high_mean",
    "clip_low_fraction": "clip_ratio/low_mean",
    "clip_region_fraction": "clip_ratio/region_mean",
    "entropy": "entropy",
    "kl": "kl",
    "step_time_s": "step_time",
    "loss": "loss",
    "grad_norm": "grad_norm",
    "learning_rate": "learning_rate",
    "is_ratio_min": "sampling/importance_sampling_ratio/min",
    "is_ratio_mean": "sampling/importance_sampling_ratio/mean",
    "is_ratio_max": "sampling/importance_sampling_ratio/max",
    "sampling_logp_diff_mean": "sampling/sampling_logp_difference/mean",
    "sampling_logp_diff_max": "sampling/sampling_logp_difference/max",
}
MC_PREFIX = "mc/"
REWARD_PREFIX = "rewards/"
TIME_KEYS = ("generation_time_s", "reward_time_s", "grading_time_s")
REQUIRED_KEYS: tuple[str, ...] = (
    "step",
    "reward_mean",
    "pass_rate",
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


def row_from_logs(logs: dict[str, Any]) -> dict[str, Any]:
    """The MicroCoder names of one TRL log dict (without ``step``)."""
    row: dict[str, Any] = {k: logs[src] for k, src in TRL_KEYS.items() if src in logs}
    for key, value in logs.items():
        if key.startswith(MC_PREFIX):
            row[key[len(MC_PREFIX) :].replace("/", "_")] = value
        elif key.startswith(REWARD_PREFIX) and key.endswith("/mean"):  # rewards/<func>/mean, one per reward function
            row["reward_" + key[len(REWARD_PREFIX) : -len("/mean")]] = value
    return row


class MetricsJsonlCallback(TrainerCallback):
    """Writes RUN_DIR/metrics.jsonl from the trainer's logs (main process only)."""

    def __init__(self, run_dir: str | Path, updates_per_rollout: int = 1) -> None:
        self.path = Path(run_dir) / METRICS_FILE
        self.updates_per_rollout = updates_per_rollout
        self._extra: dict[int, dict[str, Any]] = {}

    def add_extra(self, rollout: int, values: dict[str, Any]) -> None:
        """Add values (e.g. LiveCodeBench pass@1) to the row of ``rollout``, written when that round logs."""
        self._extra.setdefault(rollout, {}).update(values)

    def write_row(self, row: dict[str, Any]) -> None:
        """Append one row now (main process only), flushed to disk."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({k: _clean(v) for k, v in row.items()}) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero or not self.path.exists():
            return
        # Resuming: keep the rows up to the checkpoint's round, drop the rest atomically.
        done = state.global_step // self.updates_per_rollout
        kept = [r for r in read_metrics(self.path.parent) if r.get("step", 0) <= done]
        atomic_write_text(self.path, "".join(json.dumps(r) + "\n" for r in kept))

    def row(self, optimizer_step: int, logs: dict[str, Any]) -> dict[str, Any] | None:
        """The metrics row for a TRL log dict, or None for a log that is not a training round."""
        if "step_time" not in logs and "loss" not in logs:
            return None  # e.g. the final train summary or an evaluation log
        step = optimizer_step // self.updates_per_rollout
        row: dict[str, Any] = {"step": step, "optimizer_step": optimizer_step, **row_from_logs(logs)}
        for key in TIME_KEYS:
            row.setdefault(key, 0.0)
        for rollout in sorted(k for k in self._extra if k <= step):
            row.update(self._extra.pop(rollout))
        step_time = row.get("step_time_s")
        if step_time is not None:
            # TRL's step_time is per optimizer update (averaged over the round): scale to the whole round.
            step_time = row["step_time_s"] = step_time * self.updates_per_rollout
            row["update_time_s"] = max(0.0, step_time - row["generation_time_s"] - row["reward_time_s"])
            row["reward_time_share"] = row["reward_time_s"] / step_time if step_time > 0 else 0.0
        return {k: _clean(v) for k, v in row.items()}

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        row = self.row(state.global_step, logs)
        if row is not None:
            self.write_row(row)
