"""`microcoder train calibrate-temperature`: pick the training temperature from measured diversity.

The paper's DDT rule (§1.3): a run whose initial diversity is below the level training
converges to loses diversity and fails, so start at a temperature whose diversity already
reaches that level (0.7 for the paper's Qwen3-4B runs). This sweep samples G responses per
calibration prompt at each candidate temperature with the benchmark's generation backends
(hf on CPU, vllm on GPUs, or any OpenAI-compatible server), measures the mean per-prompt
diversity, and picks the lowest temperature reaching the target (`select_temperature`).

It writes OUTPUT_DIR/calibration.json (settings, every point, the pick) after each
temperature, so an interrupted sweep resumes where it stopped, and OUTPUT_DIR/calibration.png
(diversity vs T with the target line).
"""

from __future__ import annotations

import json
import logging
import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from mccore.atomic import atomic_savefig, atomic_write_json
from mccore.schema import Problem
from mcgen.backends import make_backend
from mcgen.prompts import build_chat_messages
from mcgen.types import SamplingConfig
from mctrain.algo.diversity import DIVERSITY_METRICS, DiversityMetric, group_diversity
from mctrain.algo.temperature import (
    DEFAULT_CANDIDATE_TEMPERATURES, DEFAULT_DIVERSITY_TARGET, NoTemperatureReachesTarget, select_temperature,
)

logger = logging.getLogger(__name__)

RESULT_FILE = "calibration.json"
PLOT_FILE = "calibration.png"


# (num_prompts, num_generations, max_tokens) when not given: the paper's run on a real model and
# accelerator, and a sweep of about a minute for the tiny random model or hf generation on CPU.
FULL_SIZE = (16, 8, 4096)
SMALL_SIZE = (4, 4, 128)


@dataclass
class CalibrationConfig:
    """What to sweep. Defaults: the paper's candidate range 0.6-1.8, target 0.7; size by model (`FULL_SIZE`, `SMALL_SIZE`)."""

    model: str = "tiny-random"  # Hub id / local dir / tiny-random (openai backend: the served name)
    dataset: str | None = None  # a build-dataset Parquet dir/file or a Hub dataset id
    dataset_split: str = "train"
    output_dir: str = "runs/calibration"
    temperatures: tuple[float, ...] = DEFAULT_CANDIDATE_TEMPERATURES
    target: float = DEFAULT_DIVERSITY_TARGET
    num_prompts: int | None = None  # calibration prompts, drawn from the dataset with `seed`
    num_generations: int | None = None  # G, as in training
    max_tokens: int | None = None  # as the training L_max
    top_p: float = 1.0
    metric: DiversityMetric = "windowed_distinct"
    backend: Literal["hf", "vllm", "openai"] = "hf"
    backend_options: dict[str, Any] = field(default_factory=dict)  # e.g. base_url, tensor_parallel_size
    seed: int = 0

    def __post_init__(self) -> None:
        self.temperatures = tuple(sorted({float(t) for t in self.temperatures}))
        size = SMALL_SIZE if self.small_run() else FULL_SIZE
        for name, default in zip(("num_prompts", "num_generations", "max_tokens"), size):
            if getattr(self, name) is None:
                setattr(self, name, default)
        problems = []
        if not self.temperatures or any(not math.isfinite(t) or t <= 0 for t in self.temperatures):
            problems.append(f"temperatures must be positive numbers, got {self.temperatures}")
        if not 0 < self.target <= 1:
            problems.append(f"target must be in (0, 1], got {self.target}")
        if self.num_prompts < 1:
            problems.append(f"num_prompts must be >= 1, got {self.num_prompts}")
        if self.num_generations < 2:
            problems.append(f"num_generations must be >= 2 (diversity compares responses), got {self.num_generations}")
        if self.max_tokens < 1:
            problems.append(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.metric not in DIVERSITY_METRICS:
            problems.append(f"metric must be one of {DIVERSITY_METRICS}, got {self.metric!r}")
        if self.backend not in ("hf", "vllm", "openai"):
            problems.append(f"backend must be hf, vllm or openai, got {self.backend!r}")
        if problems:
            raise ValueError("calibration config: " + "; ".join(problems))

    def small_run(self) -> bool:
        """The tiny random model, or transformers generation without an accelerator: a 4K sweep would take hours."""
        from mctrain.config import _has_accelerator

        return self.model == "tiny-random" or (self.backend == "hf" and not _has_accelerator())


@dataclass
class TemperaturePoint:
    """Measurements at one temperature: mean and spread of per-prompt diversity, length, truncation."""

    temperature: float
    diversity: float
    diversity_std: float
    per_prompt_diversity: list[float]
    response_tokens_mean: float
    truncation_rate: float


@dataclass
class CalibrationResult:
    """The sweep and its pick; `selected_temperature` is None when no temperature reached the target."""

    selected_temperature: float | None
    target: float
    metric: str
    points: list[TemperaturePoint]
    json_path: Path
    plot_path: Path

    @property
    def diversity_by_temperature(self) -> dict[float, float]:
        return {p.temperature: p.diversity for p in self.points}


def calibrate_temperature(
    cfg: CalibrationConfig,
    *,
    problems: Sequence[Problem] | None = None,
    backend: Any = None,
    progress: bool = True,
) -> CalibrationResult:
    """Run (or resume) the sweep, write the JSON and the plot, and return the pick.

    ``problems`` and ``backend`` (a `make_backend` object) may be passed in directly, e.g. by the
    trainer or tests; otherwise they come from ``cfg``. Raises `NoTemperatureReachesTarget`
    after writing both files when no candidate reaches the target.
    """

    if problems is None:
        if not cfg.dataset:
            raise ValueError("calibration needs a dataset (--dataset DIR_OR_HUB_ID) to draw prompts from")
        from mctrain.data import (
            load_problems,  # the trainer's loader: same dataset, same problems
        )

        problems = load_problems(cfg.dataset, cfg.dataset_split)
    if not problems:
        raise ValueError("no calibration problems")
    chosen = sorted(random.Random(cfg.seed).sample(range(len(problems)), min(cfg.num_prompts, len(problems))))
    prompts = [build_chat_messages(problems[i]) for i in chosen]
    problem_ids = [problems[i].problem_id for i in chosen]

    out_dir = Path(cfg.output_dir)
    json_path, plot_path = out_dir / RESULT_FILE, out_dir / PLOT_FILE
    # What decides the samples; the candidate list, target and output dir may change on resume.
    settings = {**asdict(cfg), "temperatures": None, "target": None, "output_dir": None, "problem_ids": problem_ids}
    done = _resumable_points(json_path, settings)

    own_backend = backend is None
    todo = [t for t in cfg.temperatures if t not in done]
    if todo and own_backend:
        backend = _make_backend(cfg)
    try:
        with _progress(progress) as bar:
            task = bar.add_task("calibrating temperature", total=len(todo) * len(prompts))
            for temperature in todo:
                bar.update(task, description=f"sampling at T={temperature:g}")
                sampling = SamplingConfig(
                    n=cfg.num_generations,
                    temperature=temperature,
                    top_p=cfg.top_p,
                    max_tokens=cfg.max_tokens,
                    seed=cfg.seed,
                )
                groups: list = [None] * len(prompts)
                if hasattr(backend, "iter_generate"):  # mceval backends stream prompt by prompt
                    for index, completions in backend.iter_generate(prompts, sampling):
                        groups[index] = completions
                        bar.advance(task)
                else:  # anything with the plain `.generate(prompts, sampling)` contract
                    groups = backend.generate(prompts, sampling)
                    bar.advance(task, len(prompts))
                done[temperature] = _measure(temperature, groups, cfg.metric)
                _write_json(json_path, settings, done, cfg, selected=None)
    finally:
        if own_backend and backend is not None:
            backend.close()

    points = [done[t] for t in cfg.temperatures]
    try:
        selected: float | None = select_temperature({p.temperature: p.diversity for p in points}, cfg.target)
        miss = None
    except NoTemperatureReachesTarget as exc:
        selected, miss = None, exc
    _write_json(json_path, settings, done, cfg, selected=selected)
    plot_calibration(points, cfg.target, selected, plot_path, metric=cfg.metric)
    if miss is not None:
        raise NoTemperatureReachesTarget(f"{miss} (sweep saved to {json_path})")
    return CalibrationResult(selected, cfg.target, cfg.metric, points, json_path, plot_path)


def _measure(temperature: float, groups: Sequence[Sequence[Any]], metric: DiversityMetric) -> TemperaturePoint:
    """Mean per-prompt diversity (the per-step training statistic) plus length and truncation."""
    per_prompt = [group_diversity([c.text for c in completions], metric) for completions in groups]
    flat = [c for completions in groups for c in completions]
    return TemperaturePoint(
        temperature=temperature,
        diversity=statistics.fmean(per_prompt),
        diversity_std=statistics.pstdev(per_prompt),
        per_prompt_diversity=per_prompt,
        response_tokens_mean=statistics.fmean(c.num_tokens for c in flat),
        truncation_rate=sum(c.finish_reason == "length" for c in flat) / len(flat),
    )


def _make_backend(cfg: CalibrationConfig):
    options = dict(cfg.backend_options)
    if cfg.backend == "openai":
        if cfg.model != "tiny-random":
            options.setdefault("model", cfg.model)
    else:
        options.setdefault("model", cfg.model)
        options.setdefault("seed", cfg.seed)
    return make_backend(cfg.backend, **options)


def _resumable_points(json_path: Path, settings: dict) -> dict[float, TemperaturePoint]:
    """Points of an earlier sweep with identical settings (any other sweep there starts over)."""
    if not json_path.is_file():
        return {}
    try:
        saved = json.loads(json_path.read_text(encoding="utf-8"))
        if saved.get("settings") != json.loads(json.dumps(settings)):
            logger.info("%s holds a sweep with other settings; starting over", json_path)
            return {}
        points = [TemperaturePoint(**p) for p in saved.get("points", [])]
    except (json.JSONDecodeError, TypeError, AttributeError) as exc:
        raise ValueError(f"{json_path}: not a calibration result ({exc}); delete it or pick another --output") from None
    logger.info("resuming %s: %d temperatures already measured", json_path, len(points))
    return {p.temperature: p for p in points}


def _write_json(path: Path, settings: dict, done: dict, cfg: CalibrationConfig, selected: float | None) -> None:
    """Atomic write (temp file + rename) so an interrupted sweep never leaves a broken file."""
    payload = {
        "selected_temperature": selected,
        "target": cfg.target,
        "metric": cfg.metric,
        "settings": settings,
        "points": [asdict(done[t]) for t in sorted(done)],
    }
    atomic_write_json(path, payload)


def plot_calibration(
    points: Sequence[TemperaturePoint], target: float, selected: float | None, output: Path, metric: str = ""
) -> Path:
    """Diversity vs temperature (with per-prompt spread), the target line, the pick, and truncation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt


    temps = [p.temperature for p in points]
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.errorbar(temps, [p.diversity for p in points], yerr=[p.diversity_std for p in points],
                marker="o", capsize=3, label=f"diversity ({metric})" if metric else "diversity")
    ax.axhline(target, color="tab:red", linestyle="--", label=f"target {target:g}")
    if selected is not None:
        ax.axvline(selected, color="tab:green", linestyle=":", label=f"selected T={selected:g}")
    ax.set_xlabel("sampling temperature T")
    ax.set_ylabel("mean per-prompt diversity")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    twin = ax.twinx()
    truncation = [p.truncation_rate for p in points]
    twin.plot(temps, truncation, color="tab:gray", alpha=0.6, marker="x", label="truncation rate")
    twin.set_ylabel("truncation rate")
    twin.set_ylim(0, 1.05)
    handles = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(handles=handles, fontsize="small", loc="lower right")
    pick = f"T={selected:g}" if selected is not None else "target not reached"
    ax.set_title(f"Diversity-determined temperature: {pick}")
    fig.tight_layout()
    return atomic_savefig(fig, output, dpi=110)


def _progress(enabled: bool):
    from rich.progress import (
        BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
    )

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
        TimeRemainingColumn(), disable=not enabled,
    )
