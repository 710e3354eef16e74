"""Predicted difficulty filter: predict (LLM judge) -> calibrate (against measured pass rates) -> select.

Step 1, predict: the judge model scores every problem on five weighted dimensions (`judge.py`); an
answer that does not parse is asked again once, and one that still fails is kept with
``predict_status="unparseable"`` (or dropped, if asked), never guessed.
Step 2, calibrate: on a subset sampled across sources in proportion to their size (not the first
problems of the stream, which would all come from the first source), pass rates are measured (a
rollouts file or k samples of the target model, graded in the sandbox; problems that already carry
``pass_rate`` stats count too), and a monotone map judge difficulty -> pass rate is fitted
(`calibrate.py`).
Step 3, select: every scored problem gets a predicted pass rate and a bucket; the target mix caps the
easy share and every hard and medium problem is kept (`select.py`); the report says what each bucket
lost and why.

Selection needs the whole score distribution, so the stage spills scored problems to a JSONL file in
a temporary directory (memory stays bounded) and streams the selected ones back in input order.
Stats per problem: ``predict_scores``, ``predict_difficulty``, ``predict_pass_rate``, ``predict_bucket``,
``predict_calibration`` (or ``predict_status="unparseable"`` with the judge's answer); measured
``pass_rate*`` stats on the calibration subset. Rejected problems carry the same stats in the report.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mccore.schema import Problem
from mcdata.difficulty.calibrate import Calibration, CalibrationMethod, fit_calibration
from mcdata.difficulty.common import ModelConfig, batched, shared_backend
from mcdata.difficulty.judge import judge_problems
from mcdata.difficulty.pass_rate import PassRateConfig, make_rollout_source, measure_pass_rates
from mcdata.difficulty.select import DEFAULT_MIX, Candidate, bucket_of, dropped_reasons, parse_mix, select_to_mix
from mcdata.progress import task
from mcdata.report import BuildReport
from mceval.pool import open_grader

STAGE = "predict"


def default_judge() -> ModelConfig:
    """Greedy decoding with room for a short reasoning before the JSON answer; the model is set by the caller."""
    return ModelConfig(temperature=0.0, max_tokens=1024)


@dataclass(frozen=True)
class PredictConfig:
    """Predict-calibrate-select settings.

    Args:
        judge: The judge model (an OpenAI-compatible endpoint, or a local model through the same backends).
            Defaults to greedy decoding with room for a short reasoning before the JSON answer.
        judge_samples: Answers per problem; parseable ones are averaged.
        calibration: How to measure pass rates on the calibration subset (a rollouts file, or k samples of the
            target model); None calibrates only on problems that already have ``pass_rate`` stats.
        calibration_size: At most this many problems get pass rates measured, sampled across sources in
            proportion to their share of the scored problems.
        calibration_method: "isotonic" or "logistic" (see `calibrate.py`), or "none" to use 1 - difficulty.
        min_calibration_points: With fewer measured problems the fit is skipped (warning, recorded in the
            report) and 1 - difficulty is used as the predicted pass rate.
        target_mix: Target shares, e.g. "easy=0.2,medium=0.4,hard=0.4"; the easy share is a ceiling.
        easy_min_pass_rate, hard_max_pass_rate: Bucket boundaries on the predicted pass rate.
        max_problems: Optional cap on the number selected (hardest buckets first).
        unparseable: "keep" (flagged) or "drop" (recorded) problems whose judge answers could not be parsed.
        batch_size: Problems sent to the judge at once.
        work_dir: Where the spill file goes (default: the system temp dir).
        progress: Show progress bars (judge calls, calibration).
    """

    judge: ModelConfig = field(default_factory=default_judge)
    judge_samples: int = 1
    calibration: PassRateConfig | None = None
    calibration_size: int = 200
    calibration_method: CalibrationMethod | Literal["none"] = "isotonic"
    min_calibration_points: int = 5
    target_mix: str = DEFAULT_MIX
    easy_min_pass_rate: float = 0.7
    hard_max_pass_rate: float = 0.3
    max_problems: int | None = None
    unparseable: Literal["keep", "drop"] = "keep"
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
        if self.calibration_size < 0:
            raise ValueError(f"calibration_size must be >= 0, got {self.calibration_size}")
        if self.judge.model is None and not (self.judge.backend == "openai" and self.judge.base_url):
            raise ValueError(
                "predict needs a judge model: --judge-model NAME or --model NAME (the random test model only as "
                "tiny-random), or --backend openai --base-url URL"
            )


@dataclass
class _Scored:
    """What selection needs of a spilled problem: its judge difficulty, source and measured pass rate."""

    difficulty: float | None
    source: str
    problem_id: str
    measured: tuple[float, int] | None = None


def predict_filter(problems: Iterable[Problem], cfg: PredictConfig, report: BuildReport, *, total: int | None = None) -> Iterator[Problem]:
    """The predict-calibrate-select stage (see the module docstring); `total` sizes the progress bar."""
    with tempfile.TemporaryDirectory(prefix="mcdata-predict-", dir=cfg.work_dir) as tmp:
        spill = Path(tmp) / "scored.jsonl"
        scored = _score(problems, cfg, spill, total)
        measured = _measure_subset(spill, scored, cfg, report)
        calibration = _calibrate(scored, cfg, report)
        yield from _select(spill, scored, measured, calibration, cfg, report)


def _score(problems: Iterable[Problem], cfg: PredictConfig, spill: Path, total: int | None) -> dict[str, _Scored]:
    """Judge every problem; write each to the spill file under its key (its position in the stream)."""
    judge = shared_backend(cfg.judge)
    sampling = cfg.judge.sampling(cfg.judge_samples)
    scored: dict[str, _Scored] = {}
    with spill.open("w", encoding="utf-8") as out, task("judging difficulty", total, enabled=cfg.progress) as advance:
        for batch in batched(problems, cfg.batch_size):
            for problem, score in zip(batch, judge_problems(batch, judge, sampling)):
                key = str(len(scored))
                problem = problem.with_(stats={**problem.stats, **score.stats()})
                rate = problem.stats.get("pass_rate")
                scored[key] = _Scored(score.difficulty, problem.source, problem.problem_id,
                                      (rate, int(problem.stats.get("pass_rate_k", 1))) if rate is not None else None)
                out.write(json.dumps({"key": key, "row": problem.to_row()}) + "\n")
            advance(len(batch))
    return scored


def calibration_subset(scored: dict[str, _Scored], size: int) -> list[str]:
    """Keys of up to `size` scored, unmeasured problems, allotted to sources in proportion to their
    share (largest remainders, every source at least one while the budget lasts) and chosen inside a
    source by a hash of the key (a fixed pseudo-random order, independent of the stream order)."""
    pool: dict[str, list[str]] = {}
    for key, s in scored.items():
        if s.difficulty is not None and s.measured is None:
            pool.setdefault(s.source, []).append(key)
    total = sum(len(v) for v in pool.values())
    if size <= 0 or total == 0:
        return []
    if size >= total:
        return sorted((k for v in pool.values() for k in v), key=int)
    exact = {s: size * len(keys) / total for s, keys in pool.items()}
    quota = {s: min(len(pool[s]), max(1, int(exact[s]))) for s in pool}
    while sum(quota.values()) > size:  # more sources than budget: drop the smallest allotments
        smallest = min((s for s in quota if quota[s] > 0), key=lambda s: (exact[s], s))
        quota[smallest] -= 1
    for s in sorted(pool, key=lambda s: (-(exact[s] - int(exact[s])), s)):
        if sum(quota.values()) >= size:
            break
        if quota[s] < len(pool[s]):
            quota[s] += 1
    chosen = []
    for s, keys in pool.items():
        ranked = sorted(keys, key=lambda k: hashlib.sha1(f"{s}/{k}".encode()).hexdigest())
        chosen.extend(ranked[: quota[s]])
    return sorted(chosen, key=int)


def _measure_subset(spill: Path, scored: dict[str, _Scored], cfg: PredictConfig, report: BuildReport) -> dict[str, dict[str, Any]]:
    """Measure pass rates on the calibration subset; returns {key: pass_rate stats}."""
    if cfg.calibration is None or cfg.calibration_method == "none":
        return {}
    wanted = set(calibration_subset(scored, cfg.calibration_size))
    if not wanted:
        return {}

    subset = [Problem.from_row(r["row"]) for r in _spilled(spill) if r["key"] in wanted]
    keys = sorted(wanted, key=int)
    id_sources: dict[str, set[str]] = {}
    for s in scored.values():
        id_sources.setdefault(s.problem_id, set()).add(s.source)
    source = make_rollout_source(cfg.calibration, id_sources)
    results: dict[str, dict[str, Any]] = {}
    with open_grader(cfg.calibration.grader, cfg.calibration.grade_config()) as grader, \
            task("calibration pass rates", len(subset), enabled=cfg.progress) as advance:
        for key, (problem, rate) in zip(keys, measure_pass_rates(subset, source, grader, cfg.calibration.k, cfg.batch_size)):
            advance(1)
            if rate is not None:
                results[key] = rate.stats(source.name)
                scored[key].measured = (rate.rate, rate.k)
    by_source: dict[str, int] = {}
    for key in results:
        by_source[scored[key].source] = by_source.get(scored[key].source, 0) + 1
    report.note(STAGE, calibration_subset=len(wanted), calibration_measured=len(results), calibration_by_source=by_source)
    return results


def _spilled(spill: Path) -> Iterator[dict[str, Any]]:
    with spill.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def _calibrate(scored: dict[str, _Scored], cfg: PredictConfig, report: BuildReport) -> Calibration | None:
    points = [(s.difficulty, s.measured[0], s.measured[1]) for s in scored.values()
              if s.difficulty is not None and s.measured is not None]
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
    spill: Path, scored: dict[str, _Scored], measured: dict[str, dict[str, Any]], calibration: Calibration | None,
    cfg: PredictConfig, report: BuildReport,
) -> Iterator[Problem]:
    predicted = {
        key: float(calibration.predict(s.difficulty)) if calibration is not None else 1.0 - s.difficulty
        for key, s in scored.items() if s.difficulty is not None
    }
    candidates = [
        Candidate(key, rate, bucket_of(rate, cfg.easy_min_pass_rate, cfg.hard_max_pass_rate))
        for key, rate in predicted.items()
    ]
    mix = parse_mix(cfg.target_mix)
    chosen, quota = select_to_mix(candidates, mix, cfg.max_problems)
    available = {b: sum(c.bucket == b for c in candidates) for b in quota}
    unparseable = len(scored) - len(predicted)
    report.note(STAGE, target_mix=mix, available=available, selected=quota, dropped=dropped_reasons(available, quota, mix),
                unparseable=unparseable, unparseable_policy=cfg.unparseable)
    buckets = {c.key: c.bucket for c in candidates}
    for record in _spilled(spill):
        key, problem = record["key"], Problem.from_row(record["row"])
        if key in measured:
            problem = problem.with_(stats={**problem.stats, **measured[key]})
        if key not in predicted:
            if cfg.unparseable == "keep":
                yield problem
            else:
                report.reject_problem(STAGE, problem, f"judge answer unparseable: {problem.stats.get('predict_error')}",
                                      detail=_predict_stats(problem), kind="judge answer unparseable")
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
            why = dropped_reasons(available, quota, mix).get(bucket, "not selected")
            report.reject_problem(
                STAGE, problem, f"not selected: {bucket} bucket, {why} (kept {quota[bucket]} of {available[bucket]})",
                detail=_predict_stats(problem), kind=f"not selected ({bucket})",
            )


def _predict_stats(problem: Problem) -> dict[str, Any]:
    return {k: v for k, v in problem.stats.items() if k.startswith(("predict_", "pass_rate"))}
