"""Grade generations for problems and write `samples.jsonl` + `summary.json` (`microcoder eval`).

`evaluate_files` is what the CLI calls: it reads LiveCodeBench problem rows and a generations file
in LiveCodeBench's custom-evaluator format — a JSON list of ``{"question_id", "code_list"}``
(extracted code) or ``{"question_id", "output_list"}`` (raw model outputs, extracted here; when an
entry has both, ``code_list`` wins, as LCB's own ``*_eval_all.json`` files store both) — validates
them, and hands over to `grade_generations`, the core that `microcoder eval --bench` reuses.

`grade_generations` grades every (problem, code) sample with the sandboxed grader, streaming
finished rows to ``OUTDIR/samples.partial.jsonl`` so an interrupted run resumes where it stopped
(only when problems, generations and grading config are identical — a fingerprint guards it), then
writes ``samples.jsonl`` and ``summary.json`` atomically (temporary file + os.replace) and removes
the partial file. Problems without generations count as failures by default, as LiveCodeBench
requires a generation for every problem (`missing="fail"`: n empty samples each, graded NO_CODE;
`"skip"` leaves them out of the averages; `"error"` stops); they are listed in the summary. A generation
for an unknown question_id is an error naming the file and the entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mccore.atomic import atomic_write_text
from mccore.schema import Problem, SchemaError
from mccore.textfile import read_text_file
from mceval.passk import mean_pass_at_k, reportable_ks
from mceval.types import PROFILES, GradeConfig, SampleResult, Verdict
from mcgen.extract import ExtractMode, extract_code

MissingGenerations = Literal["fail", "skip", "error"]
MISSING_GENERATIONS: tuple[str, ...] = ("fail", "skip", "error")
SAMPLES_FILE = "samples.jsonl"
SUMMARY_FILE = "summary.json"
PARTIAL_FILE = "samples.partial.jsonl"

__all__ = [
    "EvalSummary",
    "atomic_write_text",
    "evaluate_files",
    "grade_generations",
    "load_generations",
    "pass_rates",
    "sha256_file",
]


@dataclass
class EvalSummary:
    """What `summary.json` holds; `pass_at_k[1]` is pass@1 averaged over graded problems."""

    num_problems: int
    num_samples: int
    pass_at_k: dict[int, float]
    verdicts: dict[str, int]
    by_platform: dict[str, float]
    by_difficulty: dict[str, float]
    by_platform_difficulty: dict[str, dict[str, float]]
    test_pass_fraction: float | None  # mean share of tests passed per sample; only with all tests run
    problems_without_generations: list[str]
    config: dict[str, Any]
    timings: dict[str, float]
    grader_version: str
    output_dir: str
    resumed_samples: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pass_at_1(self) -> float:
        return self.pass_at_k.get(1, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of summary.json: headline numbers first, then details, then caller extras."""
        data = asdict(self)
        extra = data.pop("extra")
        del data["pass_at_k"]
        head = {
            "num_problems": self.num_problems,
            "num_samples": self.num_samples,
            "pass@1": self.pass_at_1,
            "pass@k": {f"pass@{k}": v for k, v in self.pass_at_k.items()},
        }
        return tidy_floats({**head, **data, **extra})


def tidy_floats(value: Any, digits: int = 12) -> Any:
    """Round every float in a JSON-like value to `digits` decimals, so reports read 0.5 rather than
    0.49999999999999994 (the noise of summing per-problem means; far below any real difference)."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, Mapping):
        return {key: tidy_floats(item, digits) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [tidy_floats(item, digits) for item in value]
    return value


# ----------------------------------------------------------------------------- inputs


def sha256_file(path: str | Path) -> str:
    """Content hash recorded in summary.json, so a result can be tied to the exact input files
    (for a dataset folder: the hash of its shards' names and contents, in order)."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*.parquet") if ".build" not in p.parts) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with open(file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_generations(
    path: str | Path, known_ids: Iterable[str] | None = None, *, extract: ExtractMode = "robust"
) -> dict[str, list[str | None]]:
    """question_id -> code per sample, from a LiveCodeBench custom-evaluator JSON file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"generations file not found: {path}")
    try:
        entries = json.loads(read_text_file(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SchemaError(f"{path}: malformed JSON ({exc})") from None
    if not isinstance(entries, list):
        raise SchemaError(f"{path}: expected a JSON list of {{question_id, code_list|output_list}} entries")
    known = None if known_ids is None else set(known_ids)
    generations: dict[str, list[str | None]] = {}
    for number, entry in enumerate(entries, 1):
        where = f"{path}: entry {number}"
        if not isinstance(entry, dict):
            raise SchemaError(f"{where}: expected an object, got {type(entry).__name__}")
        if entry.get("question_id") in (None, ""):
            raise SchemaError(f"{where}: missing field 'question_id'")
        question_id = str(entry["question_id"])
        if known is not None and question_id not in known:
            raise SchemaError(f"{where}: field 'question_id' {question_id!r} is not among the problems")
        if question_id in generations:
            raise SchemaError(f"{where}: duplicate question_id {question_id!r}")
        generations[question_id] = _entry_codes(entry, where, extract)
    if not generations:
        raise SchemaError(f"{path}: no generations in the file")
    return generations


def _entry_codes(entry: Mapping[str, Any], where: str, extract: ExtractMode) -> list[str | None]:
    name = "code_list" if "code_list" in entry else "output_list" if "output_list" in entry else None
    if name is None:
        raise SchemaError(f"{where}: needs a 'code_list' or an 'output_list' field")
    values = entry[name]
    if not isinstance(values, list) or not values:
        raise SchemaError(f"{where}: field {name!r} must be a non-empty list")
    for i, value in enumerate(values):
        if not (value is None or isinstance(value, str)):
            raise SchemaError(f"{where}: field {name!r}[{i}] must be a string, got {type(value).__name__}")
    if name == "code_list":
        return list(values)
    return [None if v is None else extract_code(v, extract) for v in values]


def evaluate_files(
    problems_path: str | Path,
    generations_path: str | Path,
    output_dir: str | Path,
    *,
    timeout_s: float | None = None,
    workers: int | None = None,
    comparison: str = "microcoder",
    extract: ExtractMode = "robust",
    all_tests: bool = False,
    memory_mb: int | None = None,
    progress: bool = True,
    missing: MissingGenerations = "fail",
    grader: str | None = None,
    profile: str = "microcoder",
) -> EvalSummary:
    """`microcoder eval --problems P --generations G --output OUT`: load, validate, grade, report.

    `all_tests` runs every test of every sample (no early exit) so `test_pass_fraction` is a real
    fractional score; by default a sample stops at its first failing test, as a judge does.
    `profile` is how programs run (`GradeConfig.profile`), recorded in every result file."""
    from mceval.lcb_format import load_lcb_problems

    if comparison not in ("microcoder", "lcb"):
        raise ValueError(f"--comparison must be 'microcoder' or 'lcb', got {comparison!r}")
    if profile not in PROFILES:
        raise ValueError(f"--grading-profile must be {' or '.join(PROFILES)}, got {profile!r}")
    if extract not in ("lcb", "robust"):
        raise ValueError(f"--extract must be 'lcb' or 'robust', got {extract!r}")
    if timeout_s is not None and timeout_s <= 0:
        raise ValueError(f"--timeout must be positive, got {timeout_s}")
    if workers is not None and workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    if memory_mb is not None and memory_mb < 16:
        raise ValueError(f"--memory-mb must be at least 16, got {memory_mb}")
    started = time.perf_counter()
    problems = load_lcb_problems(problems_path)
    generations = load_generations(generations_path, (p.problem_id for p in problems), extract=extract)
    load_s = time.perf_counter() - started
    config = GradeConfig(
        timeout_s=timeout_s, workers=workers, comparison=comparison,  # type: ignore[arg-type]
        early_exit=not all_tests, memory_mb=memory_mb or GradeConfig.memory_mb, profile=profile,  # type: ignore[arg-type]
    )
    inputs = {
        "problems": {"path": str(problems_path), "sha256": sha256_file(problems_path)},
        "generations": {"path": str(generations_path), "sha256": sha256_file(generations_path)},
    }
    return grade_generations(
        problems,
        generations,
        config,
        output_dir,
        progress=progress,
        summary_extra={"inputs": inputs, "extract": extract, "grading_profile": profile},
        load_s=load_s,
        missing=missing,
        row_extra={"grading_profile": profile, "comparison": comparison, "extract": extract},
        grader=grader,
    )


# ----------------------------------------------------------------------------- grading


def grade_generations(
    problems: Sequence[Problem],
    generations: Mapping[str, Sequence[str | None]],
    config: GradeConfig,
    output_dir: str | Path,
    *,
    progress: bool = True,
    progress_label: str = "grading",
    summary_extra: Mapping[str, Any] | None = None,
    load_s: float = 0.0,
    missing: MissingGenerations = "skip",
    row_extra: Mapping[str, Any] | None = None,
    grader: str | None = None,
) -> EvalSummary:
    """Grade `generations[question_id]` (code per sample; None = no code) and write samples/summary.

    `missing="fail"` grades a problem without generations as n samples without code (n: the most
    samples any problem has); `row_extra` is recorded in every sample row (what produced it);
    `grader` says where grading runs (`mceval.pool` spec; None: this machine)."""
    if missing not in MISSING_GENERATIONS:
        raise ValueError(f"--missing-generations must be one of {', '.join(MISSING_GENERATIONS)}, got {missing!r}")
    by_id = {p.problem_id: p for p in problems}
    unknown = [qid for qid in generations if qid not in by_id]
    if unknown:
        raise SchemaError(f"generations for unknown question_id(s) {unknown[:5]}")
    absent = [p.problem_id for p in problems if p.problem_id not in generations]
    if len(absent) == len(problems):
        raise SchemaError("no problem has generations to grade")
    if missing == "error" and absent:
        raise SchemaError(f"no generations for {len(absent)} of the {len(problems)} problems (e.g. {absent[:5]}); "
                          "--missing-generations fail counts them as failures, skip leaves them out")
    if missing == "fail" and absent:
        n = max(len(codes) for codes in generations.values())
        generations = {**generations, **{qid: [None] * n for qid in absent}}
    graded = [p for p in problems if p.problem_id in generations]
    for problem in graded:
        if not problem.tests:
            raise SchemaError(f"problem {problem.problem_id!r} has zero tests")
        if not generations[problem.problem_id]:
            raise SchemaError(f"problem {problem.problem_id!r} has an empty code list")

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    extra_fields = dict(row_extra or {})
    fingerprint = _fingerprint(graded, generations, config)
    # a verdict depends on the code and the config only; reused rows are stamped with this run's extras
    done = {key: {**row, **extra_fields} for key, row in _resume(out / PARTIAL_FILE, fingerprint).items()}
    if done:
        total = sum(len(generations[p.problem_id]) for p in graded)
        print(f"resuming: reused {len(done)} of {total} samples graded before the interruption", file=sys.stderr)
    todo = [
        (problem, index, code)
        for problem in graded
        for index, code in enumerate(generations[problem.problem_id])
        if (problem.problem_id, index) not in done
    ]

    started = time.perf_counter()
    rows = dict(done)
    with _PartialWriter(out / PARTIAL_FILE, fingerprint) as writer:
        for row in done.values():  # rewritten, so a line torn by the interruption is gone
            writer.write(row)
        for problem, index, result in _grade_stream(todo, config, progress, progress_label, grader):
            row = {**_sample_row(problem, index, result), **extra_fields}
            rows[(problem.problem_id, index)] = row
            writer.write(row)
    grade_s = time.perf_counter() - started

    ordered = [rows[(p.problem_id, i)] for p in graded for i in range(len(generations[p.problem_id]))]
    summary = _summarise(
        graded,
        ordered,
        config,
        out,
        missing=absent,
        timings={
            "load_s": round(load_s, 3),
            "grade_s": round(grade_s, 3),
            "samples_per_s": round(len(todo) / grade_s, 2) if grade_s > 0 and todo else 0.0,
        },
        resumed=len(done),
        extra={**dict(summary_extra or {}), "missing_generations": missing},
    )
    atomic_write_text(out / SAMPLES_FILE, "".join(json.dumps(r) + "\n" for r in ordered))
    atomic_write_text(out / SUMMARY_FILE, json.dumps(summary.to_dict(), indent=2) + "\n")
    (out / PARTIAL_FILE).unlink(missing_ok=True)
    return summary


def _grade_stream(todo: list[tuple[Problem, int, str | None]], config: GradeConfig, progress: bool, label: str,
                  grader_spec: str | None = None):
    """Yield (problem, sample_index, SampleResult) as chunks finish, with a Rich progress bar."""
    from rich.progress import (
        BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
    )

    from mceval import GradeItem
    from mceval.pool import open_grader  # the sandboxed grader pool: here, on Ray, or behind a service

    if not todo:
        return
    workers = config.workers or os.cpu_count() or 1
    chunk = max(8, 4 * workers)
    chunks = [todo[i : i + chunk] for i in range(0, len(todo), chunk)]
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} samples/s · pass {task.fields[passed]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    started, passed = time.perf_counter(), 0
    with open_grader(grader_spec, config) as grader, Progress(*columns, disable=not progress, transient=False) as bar:
        task = bar.add_task("grading", total=len(todo), rate="-", passed=0)
        futures = [grader.submit([GradeItem(problem, code, index) for problem, index, code in part]) for part in chunks]
        for part, future in zip(chunks, futures):
            results = future.result()
            if len(results) != len(part):
                raise RuntimeError(f"grader returned {len(results)} results for {len(part)} samples")
            for (problem, index, _), result in zip(part, results):
                passed += result.verdict is Verdict.AC
                yield problem, index, result
            elapsed = time.perf_counter() - started
            done = bar.tasks[0].completed + len(part)
            bar.update(task, completed=done, rate=f"{done / elapsed:.1f}" if elapsed else "-", passed=passed)


def _sample_row(problem: Problem, index: int, result: SampleResult) -> dict[str, Any]:
    return {
        "question_id": problem.problem_id,
        "sample_index": index,
        "passed": result.verdict is Verdict.AC,
        "verdict": result.verdict.value,
        "num_tests": result.num_tests,
        "num_passed": result.num_passed,
        "platform": problem.platform,
        "difficulty": problem.difficulty,
        "tests": [
            {"index": t.index, "verdict": t.verdict.value, "time_s": round(t.time_s, 4), "message": t.message}
            for t in result.tests
        ],
    }


# ----------------------------------------------------------------------------- summary


def _summarise(
    graded: Sequence[Problem],
    rows: Sequence[Mapping[str, Any]],
    config: GradeConfig,
    out: Path,
    *,
    missing: list[str],
    timings: dict[str, float],
    resumed: int,
    extra: dict[str, Any],
) -> EvalSummary:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # question_id -> [n, c]
    for row in rows:
        counts[row["question_id"]][0] += 1
        counts[row["question_id"]][1] += bool(row["passed"])
    rates = pass_rates([(p, *counts[p.problem_id]) for p in graded])
    verdicts = Counter(row["verdict"] for row in rows)
    fraction = None
    if not config.early_exit:  # with early exit, num_passed stops at the first failure: no score
        fraction = _mean(r["num_passed"] / r["num_tests"] if r["num_tests"] else 0.0 for r in rows)
    return EvalSummary(
        num_problems=len(graded),
        num_samples=len(rows),
        pass_at_k={int(key.removeprefix("pass@")): value for key, value in rates["pass@k"].items()},
        verdicts={v.value: verdicts.get(v.value, 0) for v in Verdict},
        by_platform=rates["by_platform"],
        by_difficulty=rates["by_difficulty"],
        by_platform_difficulty=rates["by_platform_difficulty"],
        test_pass_fraction=fraction,
        problems_without_generations=missing,
        config=asdict(config),
        timings=timings,
        grader_version=_grader_version(),
        output_dir=str(out),
        resumed_samples=resumed,
        extra={"created_at": datetime.now(UTC).isoformat(timespec="seconds"), **extra},
    )


PLATFORM_ORDER = ("atcoder", "leetcode", "codeforces")
DIFFICULTY_ORDER = ("easy", "medium", "hard")


def pass_rates(counts: Sequence[tuple[Problem, int, int]]) -> dict[str, Any]:
    """pass@k for every k <= the smallest n, and pass@1 by platform, by difficulty and by both.

    Why one function: every report (summary.json of plain grading and of `--bench`, the Rich table,
    the plot) reads its numbers from here, so they cannot disagree. `counts` holds (problem,
    n samples, c correct); groups follow LiveCodeBench's order (AtCoder, LeetCode, Codeforces;
    easy, medium, hard), a missing platform or difficulty is "unknown"."""
    if not counts:
        raise ValueError("pass rates of zero problems are undefined")

    def key(problem: Problem, attr: str) -> str:
        return getattr(problem, attr) or "unknown"

    def ordered(attr: str, order: Sequence[str]) -> list[str]:
        values = {key(p, attr) for p, _, _ in counts}
        return [v for v in order if v in values] + sorted(values - set(order))

    def pass1(platform: str | None = None, difficulty: str | None = None) -> float | None:
        group = [
            (n, c) for p, n, c in counts
            if platform in (None, key(p, "platform")) and difficulty in (None, key(p, "difficulty"))
        ]
        return mean_pass_at_k(group, 1) if group else None

    platforms, difficulties = ordered("platform", PLATFORM_ORDER), ordered("difficulty", DIFFICULTY_ORDER)
    both = {p: {d: pass1(p, d) for d in difficulties} for p in platforms}
    return {
        "pass@1": pass1(),
        "pass@k": {f"pass@{k}": mean_pass_at_k([(n, c) for _, n, c in counts], k)
                   for k in reportable_ks([n for _, n, _ in counts])},
        "by_platform": {p: pass1(platform=p) for p in platforms},
        "by_difficulty": {d: pass1(difficulty=d) for d in difficulties},
        "by_platform_difficulty": {p: {d: v for d, v in row.items() if v is not None} for p, row in both.items()},
    }


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _grader_version() -> str:
    import mceval

    version = getattr(mceval, "__version__", None) or getattr(mceval, "GRADER_VERSION", None)
    if version:
        return str(version)
    try:
        from importlib.metadata import version as dist_version

        return dist_version("microcoder")
    except Exception:  # not installed as a distribution (e.g. run from a source tree)
        return "unknown"


# ----------------------------------------------------------------------------- files


def _fingerprint(problems: Sequence[Problem], generations: Mapping[str, Sequence[str | None]], config: GradeConfig) -> str:
    """Identifies a grading job, so a partial file is reused only for the very same job."""
    digest = hashlib.sha256(json.dumps(asdict(config), sort_keys=True).encode())
    for problem in problems:
        digest.update(json.dumps([problem.problem_id, problem.func_name, problem.time_limit_s]).encode())
        for test in problem.tests:
            digest.update(json.dumps([test.input, test.output, test.testtype]).encode())
        digest.update(json.dumps(list(generations[problem.problem_id])).encode())
    return digest.hexdigest()


def _resume(path: Path, fingerprint: str) -> dict[tuple[str, int], dict[str, Any]]:
    """Rows already graded by an interrupted run of the same job (a torn last line is dropped)."""
    if not path.is_file():
        return {}
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    with path.open(encoding="utf-8") as f:
        header = f.readline()
        try:
            if json.loads(header).get("fingerprint") != fingerprint:
                return {}
        except (json.JSONDecodeError, AttributeError):
            return {}
        for line in f:
            try:
                row = json.loads(line)
                rows[(row["question_id"], row["sample_index"])] = row
            except (json.JSONDecodeError, KeyError, TypeError):
                break  # the line being written when the run stopped
    return rows


class _PartialWriter:
    """Writes finished rows under a fingerprint header, flushed and fsynced every 64 rows or 2 s,
    so a killed run (not only an interrupted one, which flushes on exit) loses little work."""

    SYNC_ROWS, SYNC_S = 64, 2.0

    def __init__(self, path: Path, fingerprint: str) -> None:
        self.path, self.fingerprint = path, fingerprint

    def __enter__(self) -> "_PartialWriter":
        self.file = self.path.open("w", encoding="utf-8")
        self.file.write(json.dumps({"fingerprint": self.fingerprint}) + "\n")
        self.pending, self.synced_at = 0, time.monotonic()
        return self

    def write(self, row: Mapping[str, Any]) -> None:
        self.file.write(json.dumps(row) + "\n")
        self.pending += 1
        if self.pending >= self.SYNC_ROWS or time.monotonic() - self.synced_at >= self.SYNC_S:
            self._sync()

    def _sync(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.pending, self.synced_at = 0, time.monotonic()

    def __exit__(self, *exc: object) -> None:
        self._sync()
        self.file.close()


