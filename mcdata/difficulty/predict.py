"""Predicted difficulty filter: predict (LLM judge) -> calibrate (against measured pass rates) -> select.

Step 1, predict: the judge model scores every problem on five weighted dimensions (`judge.py`).
Step 2, calibrate: on a subset, pass rates are measured (a rollouts file or k samples of the target
model, graded in the sandbox; problems that already carry ``pass_rate`` stats count too), and a
monotone map judge difficulty -> pass rate is fitted (`calibrate.py`).
Step 3, select: every scored problem gets a predicted pass rate and a bucket; the hardest are kept to
a target easy/medium/hard mix (`select.py`).

Selection needs the whole score distribution, so the stage spills scored problems to a JSONL file in
a temporary directory (memory stays bounded) and streams the selected ones back in input order.
Stats per problem: ``predict_scores``, ``predict_difficulty``, ``predict_pass_rate``, ``predict_bucket``,
``predict_calibration`` (or ``predict_status="unparseable"`` with the judge's answer); measured
``pass_rate*`` stats on the calibration subset. Rejected problems carry the same stats in the report.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

from mcdata.difficulty.calibrate import Calibration, CalibrationMethod, fit_calibration
from mcdata.difficulty.common import ModelConfig, batched, shared_backend, stage_progress
from mcdata.difficulty.judge import judge_problems
from mcdata.difficulty.pass_rate import PassRateConfig, make_rollout_source, measure_pass_rates
from mcdata.difficulty.select import DEFAULT_MIX, Candidate, bucket_of, parse_mix, select_to_mix
from mcdata.report import BuildReport
from mcdata.schema import Problem

STAGE = "predict"


@dataclass(frozen=True)
class PredictConfig:
    """Predict-calibrate-select settings.

    Args:
        judge: The judge model (an OpenAI-compatible endpoint, or a local model through the same backends).
            Defaults to greedy decoding with room for a short reasoning before the JSON answer.
        judge_samples: Answers per problem; parseable ones are averaged.
        calibration: How to measure pass rates on the calibration subset (a rollouts file, or k samples of
            the target model); None calibrates only on problems that already have ``pass_rate`` stats.
        calibration_size: At most this many problems (the first scored ones) get pass rates measured.
        calibration_method: "isotonic" or "logistic" (see `calibrate.py`), or "none" to use 1 - difficulty.
        min_calibration_points: With fewer measured problems the fit is skipped (warning, recorded in the
            report) and 1 - difficulty is used as the predicted pass rate.
        target_mix: Target shares, e.g. "easy=0.2,medium=0.4,hard=0.4".
        easy_min_pass_rate, hard_max_pass_rate: Bucket boundaries on the predicted pass rate.
        max_problems: Optional cap on the number selected.
        unparseable: "drop" (recorded) or "keep" problems whose judge answers could not be parsed.
        batch_size: Problems sent to the judge at once.
        work_dir: Where the spill file goes (default: the system temp dir).
        progress: Show a Rich progress bar.
    """

    judge: ModelConfig = field(default_factory=lambda: ModelConfig(temperature=0.0, max_tokens=1024))
    judge_samples: int = 1
    calibration: PassRateConfig | None = None
    calibration_size: int = 200
    calibration_method: CalibrationMethod | Literal["none"] = "isotonic"
    min_calibration_points: int = 5
    target_mix: str = DEFAULT_MIX
    easy_min_pass_rate: float = 0.7
    hard_max_pass_rate: float = 0.3
    max_problems: int | None = None
    unparseable: Literal["keep", "drop"] = "drop"
    batch_size: int = 32
    work_dir: str | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        parse_mix(self.target_mix)
        if not 0.0 <= self.hard_max_pass_rate < self.easy_min_pass_rate <= 1.0:
            raise ValueError(
                f"need 0 <= hard_max_pass_rate < easy_min_pass_rate <= 1, got "
                f"{self.hard_max_pass_rate} and {self.easy_min_pass_rate}"
            )
        if self.calibration_method not in ("isotonic", "logistic", "none"):
            raise ValueError(f"calibration_method must be isotonic, logistic or none, got {self.calibration_method!r}")
        if self.unparseable not in ("keep", "drop"):
            raise ValueError(f"unparseable must be 'keep' or 'drop', got {self.unparseable!r}")
        if self.judge_samples < 1:
            raise ValueError(f"judge_samples must be >= 1, got {self.judge_samples}")


def predict_filter(problems: Iterable[Problem], cfg: PredictConfig, report: BuildReport) -> Iterator[Problem]:
    """The predict-calibrate-select stage (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="mcdata-predict-", dir=cfg.work_dir) as tmp:
        spill = Path(tmp) / "scored.jsonl"
        candidates, points = _score_and_measure(problems, cfg, spill, report)
        calibration = _calibrate(points, cfg, report)
        yield from _select(spill, candidates, calibration, cfg, report)


def _score_and_measure(
    problems: Iterable[Problem], cfg: PredictConfig, spill: Path, report: BuildReport
) -> tuple[dict[str, float], list[tuple[float, float, int]]]:
    """Judge every problem and measure pass rates on the calibration subset; write all to the spill file.

    Returns {spill key: judge difficulty} for the scored problems and the (difficulty, pass rate, k)
    calibration points."""
    difficulties: dict[str, float] = {}
    points: list[tuple[float, float, int]] = []
    judge = shared_backend(cfg.judge)
    sampling = cfg.judge.sampling(cfg.judge_samples)
    measurer = _CalibrationMeasurer(cfg)
    try:
        with spill.open("w", encoding="utf-8") as out, stage_progress(cfg.progress, "judging difficulty") as advance:
            index = 0
            for batch in batched(problems, cfg.batch_size):
                scores = judge_problems(batch, judge, sampling)
                judged = [p.with_(stats={**p.stats, **s.stats()}) for p, s in zip(batch, scores)]
                for problem in measurer.measure(judged):
                    key = str(index)
                    index += 1
                    difficulty = problem.stats.get("predict_difficulty")
                    if difficulty is not None:
                        difficulties[key] = difficulty
                        if "pass_rate" in problem.stats:
                            points.append((difficulty, problem.stats["pass_rate"], int(problem.stats.get("pass_rate_k", 1))))
                    out.write(json.dumps({"key": key, "row": problem.to_row()}) + "\n")
                advance(len(batch))
    finally:
        measurer.close()
    return difficulties, points


class _CalibrationMeasurer:
    """Measures pass rates of the first `calibration_size` scored problems that lack them."""

    def __init__(self, cfg: PredictConfig) -> None:
        self.cfg = cfg
        self.remaining = cfg.calibration_size if cfg.calibration is not None and cfg.calibration_method != "none" else 0
        self.source = None
        self.grader = None

    def measure(self, problems: list[Problem]) -> list[Problem]:
        wanted = [
            i for i, p in enumerate(problems)
            if p.stats.get("predict_status") == "scored" and "pass_rate" not in p.stats
        ][: self.remaining]
        if not wanted:
            return problems
        self._start()
        subset = [problems[i] for i in wanted]
        measured = list(measure_pass_rates(subset, self.source, self.grader, self.cfg.calibration.k, len(subset)))
        out = list(problems)
        for i, (problem, rate) in zip(wanted, measured):
            if rate is not None:
                out[i] = problem.with_(stats={**problem.stats, **rate.stats(self.source.name)})
                self.remaining -= 1
        return out

    def _start(self) -> None:
        if self.source is None:
            from mceval import Grader

            self.source = make_rollout_source(self.cfg.calibration)
            self.grader = Grader(self.cfg.calibration.grade_config()).__enter__()

    def close(self) -> None:
        if self.grader is not None:
            self.grader.__exit__(None, None, None)


def _calibrate(points: list[tuple[float, float, int]], cfg: PredictConfig, report: BuildReport) -> Calibration | None:
    if cfg.calibration_method == "none":
        report.note(STAGE, calibration="none (predicted pass rate = 1 - judge difficulty)")
        return None
    if len(points) < cfg.min_calibration_points:
        message = (
            f"only {len(points)} problem(s) have both a judge score and a measured pass rate "
            f"(min_calibration_points={cfg.min_calibration_points}); using 1 - difficulty uncalibrated. "
            "Give a rollouts file or a model for calibration, or raise calibration_size."
        )
        warnings.warn(message, stacklevel=2)
        report.note(STAGE, calibration=f"skipped: {message}")
        return None
    x, y, w = zip(*points)
    calibration = fit_calibration(cfg.calibration_method, x, y, w)
    report.note(STAGE, calibration=calibration.to_dict())
    return calibration


def _select(
    spill: Path, difficulties: dict[str, float], calibration: Calibration | None, cfg: PredictConfig, report: BuildReport
) -> Iterator[Problem]:
    predicted = {
        key: float(calibration.predict(d)) if calibration is not None else 1.0 - d for key, d in difficulties.items()
    }
    candidates = [
        Candidate(key, rate, bucket_of(rate, cfg.easy_min_pass_rate, cfg.hard_max_pass_rate))
        for key, rate in predicted.items()
    ]
    mix = parse_mix(cfg.target_mix)
    chosen, quota = select_to_mix(candidates, mix, cfg.max_problems)
    available = {b: sum(c.bucket == b for c in candidates) for b in quota}
    empty = [b for b, share in mix.items() if share > 0 and available[b] == 0]
    if empty and candidates:
        warnings.warn(f"target mix {cfg.target_mix!r} cannot be met: no {'/'.join(empty)} problems; nothing selected",
                      stacklevel=2)
    report.note(STAGE, target_mix=mix, available=available, selected=quota)
    buckets = {c.key: c.bucket for c in candidates}
    with spill.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            key, problem = record["key"], Problem.from_row(record["row"])
            if key not in predicted:
                if cfg.unparseable == "keep":
                    yield problem
                else:
                    report.reject_problem(STAGE, problem, f"judge answer unparseable: {problem.stats.get('predict_error')}",
                                          detail=_predict_stats(problem))
                continue
            stats = {
                **problem.stats,
                "predict_pass_rate": round(predicted[key], 6),
                "predict_bucket": buckets[key],
                "predict_calibration": calibration.method if calibration is not None else "none",
            }
            problem = problem.with_(stats=stats)
            if key in chosen:
                yield problem
            else:
                bucket = buckets[key]
                report.reject_problem(
                    STAGE, problem,
                    f"not selected: {bucket} bucket over its target share (kept {quota[bucket]} of {available[bucket]})",
                    detail=_predict_stats(problem),
                )


def _predict_stats(problem: Problem) -> dict[str, Any]:
    return {k: v for k, v in problem.stats.items() if k.startswith(("predict_", "pass_rate"))}
