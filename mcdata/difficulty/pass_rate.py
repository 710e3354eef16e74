"""Empirical difficulty: how often a model solves each problem, and a filter on that pass rate.

Why: RL learns nothing from a problem the policy always solves (every reward in the group is 1) and
little from one it never solves; Skywork-OR1, POLARIS and open-r1 keep problems inside a pass-rate
band measured with k samples of the target model. The k solutions come from a model through the
evaluator's generation backends (LiveCodeBench prompt, robust code extraction) or from a rollouts
file in LiveCodeBench's generations format, and are graded in the sandbox by `mceval.Grader`.

Stats written per problem: ``pass_rate`` (solved / k), ``pass_rate_solved``, ``pass_rate_k`` and
``pass_rate_source`` (the model id or the rollouts file name).

A rollouts row names its problem by ``question_id`` and, optionally, ``source`` (or a
``source/question_id`` id). Ids alone are not unique across sources (APPS numbers its problems
0-4999, LiveCodeBench LeetCode ids are in the same range), so a row without a source is used only for
a problem whose id no other source in the build uses; the ambiguous ones are reported, never graded
with another problem's code. A model must be named: the tiny random test model is used only when
asked for by name (``tiny-random``), never as a silent default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from mccore.schema import Problem
from mccore.textfile import read_text_file
from mcdata.difficulty.common import ModelConfig, batched, shared_backend
from mcdata.progress import stage_task
from mcdata.report import BuildReport
from mceval import GradeConfig
from mceval.pool import open_grader
from mcgen.extract import extract_code
from mcgen.prompts import build_chat_messages

STAGE = "pass_rate"

_BAND_RE = re.compile(r"^\s*([\[(])\s*([0-9.]+)\s*,\s*([0-9.]+)\s*([\])])\s*$")


@dataclass(frozen=True)
class PassRateBand:
    """An interval of pass rates, written in interval notation: "[0,1)" keeps everything not solved k/k
    (the default), "(0,1)" also drops never-solved problems, "(0.1,0.9)" is open-r1's filter."""

    low: float = 0.0
    high: float = 1.0
    low_closed: bool = True
    high_closed: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise ValueError(f"pass-rate band needs 0 <= low <= high <= 1, got {self}")

    @classmethod
    def parse(cls, text: str) -> "PassRateBand":
        match = _BAND_RE.match(text)
        if not match:
            raise ValueError(f"pass-rate band {text!r} is not an interval like '[0,1)' or '(0.1,0.9)'")
        left, low, high, right = match.groups()
        return cls(float(low), float(high), left == "[", right == "]")

    def __contains__(self, rate: float) -> bool:
        above = rate >= self.low if self.low_closed else rate > self.low
        below = rate <= self.high if self.high_closed else rate < self.high
        return above and below

    def __str__(self) -> str:
        return f"{'[' if self.low_closed else '('}{self.low:g},{self.high:g}{']' if self.high_closed else ')'}"


@dataclass(frozen=True)
class PassRateConfig:
    """How to measure pass rates and which to keep.

    Args:
        k: Solutions per problem (sampled, or the first k of a rollouts file).
        band: Pass rates to keep, interval notation (see `PassRateBand`); default "[0,1)" drops k/k-solved.
        rollouts: A LiveCodeBench generations file ([{question_id[, source], code_list | output_list}], JSON or
            JSONL) to grade instead of sampling a model; `question_id` must equal the problem id.
        model: The model to sample from when no rollouts file is given (required then: `model.model` names it;
            `tiny-random` is the test model).
        missing: For a rollouts file, what to do with problems it has no solutions for ("drop" records a
            rejection, "keep" passes them through with ``pass_rate_status="missing"``).
        extract: Code extraction for raw model outputs ("robust" or LiveCodeBench's "lcb").
        timeout_s, memory_mb, workers, comparison: Grading settings (`mceval.GradeConfig`).
        batch_size: Problems generated and graded together; the next batch generates while one grades.
        progress: Show a Rich progress bar.
    """

    k: int = 8
    band: str = "[0,1)"
    rollouts: str | None = None
    model: ModelConfig = field(default_factory=ModelConfig)
    missing: Literal["keep", "drop"] = "drop"
    extract: Literal["robust", "lcb"] = "robust"
    timeout_s: float | None = None
    memory_mb: int = 1024
    workers: int | None = None
    comparison: Literal["microcoder", "lcb"] = "microcoder"
    grader: str = "local"  # where solutions are graded (`mceval.pool` spec)
    batch_size: int = 32
    progress: bool = False

    def __post_init__(self) -> None:
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
        PassRateBand.parse(self.band)
        if self.missing not in ("keep", "drop"):
            raise ValueError(f"missing must be 'keep' or 'drop', got {self.missing!r}")
        if self.rollouts is None and self.model.model is None and not (self.model.backend == "openai" and self.model.base_url):
            raise ValueError(
                "pass rates need solutions: name a model (--model NAME; the random test model only as "
                "--model tiny-random) or give a rollouts file (--rollouts FILE)"
            )

    def grade_config(self):
        return GradeConfig(
            timeout_s=self.timeout_s, memory_mb=self.memory_mb, workers=self.workers, comparison=self.comparison
        )


# ----------------------------------------------------------------------------------------- rollouts
def load_rollouts(path: str | Path, *, extract: Literal["robust", "lcb"] = "robust") -> dict[str, list[str | None]]:
    """Read a generations file into {question_id: [code or None, ...]}.

    Accepts LiveCodeBench's format (a JSON array, e.g. ``*_eval_all.json``) or JSON Lines with the same
    objects. ``code_list`` is used as is; without it, code is extracted from ``output_list``. Rows for the
    same question are concatenated. Raises ValueError naming the file and row for a malformed row.
    """
    rollouts: dict[str, list[str | None]] = {}
    for index, row in enumerate(_rollout_rows(Path(path))):
        rollouts.setdefault(str(row["question_id"]), []).extend(_codes(row, f"{path}: row {index}", extract))
    return rollouts


def _rollout_rows(path: Path) -> list[dict[str, Any]]:
    text = read_text_file(path)
    try:
        rows = json.loads(text)
        rows = rows if isinstance(rows, list) else [rows]
    except json.JSONDecodeError:
        rows = []
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {line_no} is neither a JSON array nor JSON Lines: {exc}") from exc
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or "question_id" not in row:
            raise ValueError(f"{path}: row {index}: field 'question_id' missing (expected {{question_id, code_list|output_list}})")
    return rows


def _codes(row: dict[str, Any], where: str, extract: Literal["robust", "lcb"]) -> list[str | None]:
    if isinstance(row.get("code_list"), list):
        return [c if isinstance(c, str) and c.strip() else None for c in row["code_list"]]
    if isinstance(row.get("output_list"), list):
        return [extract_code(o, extract) if isinstance(o, str) else None for o in row["output_list"]]
    raise ValueError(f"{where}: needs a list field 'code_list' or 'output_list'")


RolloutKey = tuple["str | None", str]


def load_keyed_rollouts(path: str | Path, *, extract: Literal["robust", "lcb"] = "robust") -> dict[RolloutKey, list[str | None]]:
    """Like `load_rollouts`, keyed by (source, question_id): the source comes from a row's `source` field
    or a `source/id` question id, else None (an id that must be unambiguous in the build)."""
    from mcdata.adapters import ADAPTERS

    keyed: dict[RolloutKey, list[str | None]] = {}
    for index, row in enumerate(_rollout_rows(Path(path))):
        qid = str(row["question_id"])
        source = row.get("source")
        if source is None and "/" in qid and qid.split("/", 1)[0] in ADAPTERS:
            source, qid = qid.split("/", 1)
        keyed.setdefault((str(source) if source else None, qid), []).extend(_codes(row, f"{path}: row {index}", extract))
    return keyed


@lru_cache(maxsize=2)
def _cached_rollouts(path: str, mtime_ns: int, size: int, extract: str) -> dict[RolloutKey, list[str | None]]:
    """The pipeline runs the stage once per chunk; parse a (possibly large) rollouts file only once."""
    return load_keyed_rollouts(path, extract=extract)  # type: ignore[arg-type]


class RolloutSource:
    """Where the k solutions of a batch of problems come from; `None` for a problem means "none available"."""

    name: str

    def solutions(self, problems: Sequence[Problem], k: int) -> list[list[str | None] | None]:
        raise NotImplementedError


class FileRollouts(RolloutSource):
    """Solutions read from a generations file (the first k per problem), matched on (source, id).

    `id_sources` maps each problem id of the build to the sources using it; a row without a source
    serves a problem only when its id has one source, else the problem is `ambiguous`."""

    def __init__(self, path: str | Path, extract: Literal["robust", "lcb"] = "robust",
                 id_sources: Mapping[str, set[str]] | None = None) -> None:
        path = Path(path)
        self.name = path.name
        stat = path.stat()  # the cache key: a rewritten file is read again
        self.rollouts = _cached_rollouts(str(path.resolve()), stat.st_mtime_ns, stat.st_size, extract)
        self.id_sources = id_sources or {}
        self.ambiguous: set[str] = set()

    def lookup(self, problem: Problem) -> list[str | None] | None:
        exact = self.rollouts.get((problem.source, problem.problem_id))
        if exact:
            return exact
        bare = self.rollouts.get((None, problem.problem_id))
        if not bare:
            return None
        if len(self.id_sources.get(problem.problem_id, {problem.source}) | {problem.source}) > 1:
            self.ambiguous.add(problem.problem_id)
            return None
        return bare

    def solutions(self, problems: Sequence[Problem], k: int) -> list[list[str | None] | None]:
        found = [self.lookup(p) for p in problems]
        return [codes[:k] if codes else None for codes in found]


class ModelRollouts(RolloutSource):
    """Solutions sampled from a model with the LiveCodeBench prompt, code extracted from each completion.
    The model is loaded once per process (`shared_backend`), however many chunks the pipeline sends."""

    def __init__(self, model: ModelConfig, extract: Literal["robust", "lcb"] = "robust") -> None:
        self.model = model
        self.extract = extract
        self.backend = shared_backend(model)
        self.name = getattr(self.backend, "model_id", "") or str(model.model)

    def solutions(self, problems: Sequence[Problem], k: int) -> list[list[str | None] | None]:
        prompts = [build_chat_messages(p) for p in problems]
        completions = self.backend.generate(prompts, self.model.sampling(k))
        return [[extract_code(c.text, self.extract) for c in group] for group in completions]


def make_rollout_source(cfg: PassRateConfig, id_sources: Mapping[str, set[str]] | None = None) -> RolloutSource:
    if cfg.rollouts:
        return FileRollouts(cfg.rollouts, cfg.extract, id_sources)
    return ModelRollouts(cfg.model, cfg.extract)


def sources_by_id(problems: Iterable[Problem]) -> dict[str, set[str]]:
    """Problem id -> the sources that use it (more than one: ids alone are ambiguous)."""
    out: dict[str, set[str]] = {}
    for p in problems:
        out.setdefault(p.problem_id, set()).add(p.source)
    return out


# ------------------------------------------------------------------------------------------ grading
@dataclass(frozen=True)
class PassRate:
    solved: int
    k: int

    @property
    def rate(self) -> float:
        return self.solved / self.k if self.k else 0.0

    def stats(self, source: str) -> dict[str, Any]:
        return {"pass_rate": round(self.rate, 6), "pass_rate_solved": self.solved, "pass_rate_k": self.k,
                "pass_rate_source": source}


def measure_pass_rates(
    problems: Iterable[Problem], source: RolloutSource, grader: Any, k: int, batch_size: int = 32
) -> Iterator[tuple[Problem, PassRate | None]]:
    """(problem, pass rate) in input order; None where the source has no solutions for the problem.

    The next batch is generated while the grader pool works on the previous one (`Grader.submit`).
    """
    pending = None
    for batch in batched(problems, batch_size):
        solutions = source.solutions(batch, k)
        items = [(p, code) for p, codes in zip(batch, solutions) for code in codes or ()]
        future = grader.submit(items) if items else _done([])
        if pending is not None:
            yield from _collect(*pending)
        pending = (batch, solutions, future)
    if pending is not None:
        yield from _collect(*pending)


def _done(value: Any) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _collect(batch, solutions, future) -> Iterator[tuple[Problem, PassRate | None]]:
    results = future.result()
    start = 0
    for problem, codes in zip(batch, solutions):
        if not codes:
            yield problem, None
            continue
        chunk = results[start : start + len(codes)]
        start += len(codes)
        yield problem, PassRate(solved=sum(r.passed for r in chunk), k=len(codes))


# -------------------------------------------------------------------------------------------- stage
def pass_rate_filter(
    problems: Iterable[Problem], cfg: PassRateConfig, report: BuildReport, *, id_sources: Mapping[str, set[str]] | None = None
) -> Iterator[Problem]:
    """The empirical difficulty stage: keep problems whose pass rate over k solutions lies in ``cfg.band``.

    Every measured problem gets the ``pass_rate*`` stats; removed ones are recorded in ``report``
    (stage "pass_rate") with their pass rate as detail. `id_sources` (problem id -> sources in the whole
    build) decides which rollouts rows without a source are ambiguous; without it the given problems are
    scanned.
    """

    if id_sources is None and cfg.rollouts:
        problems = list(problems)
        id_sources = sources_by_id(problems)
    band = PassRateBand.parse(cfg.band)
    source = make_rollout_source(cfg, id_sources)
    report.note(STAGE, band=str(band), k=cfg.k, source=source.name)
    with open_grader(cfg.grader, cfg.grade_config()) as grader, stage_task("pass rates", None, cfg.progress) as advance:
        for problem, measured in measure_pass_rates(problems, source, grader, cfg.k, cfg.batch_size):
            advance(1)
            if measured is None:
                ambiguous = problem.problem_id in getattr(source, "ambiguous", ())
                status = "ambiguous_id" if ambiguous else "missing"
                why = (f"rollouts id {problem.problem_id!r} is used by several sources and the row names none"
                       if ambiguous else f"no solutions for this problem in {source.name}")
                if cfg.missing == "drop":
                    report.reject_problem(STAGE, problem, why, kind="ambiguous rollouts id" if ambiguous else "no rollouts")
                    continue
                yield problem.with_(stats={**problem.stats, "pass_rate_status": status})
                continue
            stats = measured.stats(source.name)
            if measured.rate not in band:
                report.reject_problem(
                    STAGE, problem, f"pass rate {measured.solved}/{measured.k} outside band {band}", detail=stats,
                    kind="pass rate outside band",
                )
                continue
            yield problem.with_(stats={**problem.stats, **stats})
    ambiguous = sorted(getattr(source, "ambiguous", ()))
    if ambiguous:
        report.note(STAGE, ambiguous_ids=len(ambiguous), ambiguous_id_examples=ambiguous[:20])
