"""Draw a run's training curves (the paper's accuracy / response length / diversity figures) to PNG.

Reads ``RUN_DIR/metrics.jsonl`` (one JSON object per rollout round, written by the trainer) and
draws one panel per quantity the paper tracks - LiveCodeBench accuracy (at each evaluation
length) and reward, response length, diversity - plus what explains them in MicroCoder-GRPO:
the temperature and length schedules, the truncation and masked fractions, the clip fractions
and the step-time split. The x axis is the rollout round (the paper's "step"). Panels whose
metrics were never logged are left out; several runs can be overlaid to compare baselines.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mccore.atomic import atomic_savefig
from mctrain.runlog import METRICS_FILE, read_metrics

PLOT_FILE = "training_curves.png"


@dataclass(frozen=True)
class Panel:
    """One subplot: the metrics it draws (those present in the run) and its axis label."""

    title: str
    keys: tuple[str, ...]
    ylabel: str
    extra: str = ""  # regex: also draw every logged key it matches (LiveCodeBench evaluation columns)
    staircase: bool = False  # piecewise-constant quantity (the staged temperature)
    unit_range: bool = False  # a fraction: fix the axis to [0, 1] so runs and steps compare by eye
    from_zero: bool = False  # a count, share or duration: never draw a negative axis below flat-zero curves


PANELS: tuple[Panel, ...] = (
    Panel(
        "Accuracy / reward",
        ("reward_mean", "pass_rate"),
        "mean over responses",
        extra=r"^eval_.*(pass|acc|reward)",
        unit_range=True,
    ),
    Panel(
        "Response length",
        ("response_length_mean", "response_length_max", "max_completion_length"),
        "tokens",
        extra=r"^eval_.*response_length_mean$",
        from_zero=True,
    ),
    Panel("Response diversity", ("diversity", "diversity_windowed", "diversity_distinct4"), "diversity (0-1)", unit_range=True),
    Panel("Sampling temperature", ("temperature",), "T", staircase=True),
    Panel(
        "Truncated / masked",
        ("truncation_rate", "masked_fraction", "masked_of_eligible", "is_masked_fraction"),
        "fraction of responses",
        unit_range=True,
    ),
    Panel(
        "Clipped ratios",
        ("clip_high_fraction", "clip_low_fraction", "clip_region_fraction"),
        "fraction of tokens",
        from_zero=True,
    ),
    Panel("Policy entropy", ("entropy",), "nats per token"),
    Panel("Step time", ("step_time_s", "generation_time_s", "reward_time_s", "update_time_s"), "seconds", from_zero=True),
)


def _series(rows: Sequence[dict], key: str) -> tuple[list[float], list[float]]:
    """(steps, values) of the rows where ``key`` holds a finite number."""
    steps, values = [], []
    for row in rows:
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            steps.append(row["step"])
            values.append(float(value))
    return steps, values


def _panel_keys(panel: Panel, runs: Sequence[Sequence[dict]]) -> list[str]:
    """The panel's metrics that at least one run logged with a numeric value."""
    keys = list(panel.keys)
    if panel.extra:
        extra = {k for rows in runs for row in rows for k in row if re.search(panel.extra, k)}
        keys += sorted(extra - set(keys))
    return [k for k in keys if any(_series(rows, k)[0] for rows in runs)]


def plot_runs(run_dirs: Sequence[str | Path], output: str | Path, labels: Sequence[str] | None = None) -> Path:
    """Overlay the curves of several runs (e.g. GRPO, DAPO, MicroCoder-GRPO) in one PNG."""
    import matplotlib

    matplotlib.use("Agg")  # files only; never needs a display
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if not run_dirs:
        raise ValueError("no run directories to plot")
    labels = list(labels) if labels else [Path(d).name for d in run_dirs]
    if len(labels) != len(run_dirs):
        raise ValueError(f"{len(labels)} labels for {len(run_dirs)} runs")
    runs = [read_metrics(Path(d) / METRICS_FILE) for d in run_dirs]
    if not any(runs):
        raise ValueError(f"no metric rows in {', '.join(str(Path(d) / METRICS_FILE) for d in run_dirs)}")
    panels = [(p, keys) for p in PANELS if (keys := _panel_keys(p, runs))]
    if not panels:
        raise ValueError("none of the known training metrics were logged; nothing to plot")

    ncols = 2 if len(panels) > 1 else 1
    nrows = math.ceil(len(panels) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.5 * ncols, 3.4 * nrows), squeeze=False)
    for ax, (panel, keys) in zip(axes.flat, panels):
        for label, rows in zip(labels, runs):
            for key in keys:
                steps, values = _series(rows, key)
                if steps:
                    name = key if len(runs) == 1 else f"{label}: {key}"
                    ax.plot(
                        steps,
                        values,
                        drawstyle="steps-post" if panel.staircase else "default",
                        marker="o" if len(steps) < 30 else None,
                        markersize=3,
                        label=name,
                    )
        ax.set_title(panel.title)
        ax.set_xlabel("rollout round")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.ticklabel_format(axis="y", useOffset=False)
        if panel.unit_range:
            ax.set_ylim(-0.02, 1.02)
        elif panel.from_zero:
            ax.set_ylim(bottom=0)
        ax.set_ylabel(panel.ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(" vs ".join(labels) if len(runs) > 1 else f"MicroCoder-GRPO run: {labels[0]}")
    fig.tight_layout()
    return atomic_savefig(fig, output, dpi=110)


def plot_run(run_dir: str | Path, output: str | Path | None = None) -> Path:
    """Draw RUN_DIR/metrics.jsonl to ``output`` (default RUN_DIR/training_curves.png); returns the PNG path."""
    run_dir = Path(run_dir)
    return plot_runs([run_dir], output or run_dir / PLOT_FILE, labels=[run_dir.name or str(run_dir)])
