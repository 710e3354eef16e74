"""`microcoder eval --bench lcb-v6`: load LiveCodeBench, generate (or read generations), grade, report.

`run_benchmark(BenchConfig)` is the one function the CLI calls. Generation goes through a
backend (`hf`, `openai`, `vllm`) and the generation cache in the output dir, so a re-run only
generates what is missing; grading is `mceval.evaluate.grade_generations` (sandboxed grader),
once per comparison mode; reports are written atomically.

Output dir layout:
  summary.json            config, model, dates, counts, timings, pass@1/pass@k overall, by platform/difficulty
  samples.jsonl           one graded row per (question_id, sample_index) (primary comparison)
  problems.jsonl          per-problem results (n, correct, pass@1, verdicts, token counts)
  generations.json        LiveCodeBench generations format (question_id, output_list, code_list)
  Scenario.codegeneration_{n}_{T}_eval_all.json   LiveCodeBench's eval_all file (name and shape)
  report.png              pass@1 by platform/difficulty + response-length histogram
  generations_cache.jsonl the resumable generation cache
  comparison_lcb/         samples.jsonl + summary.json of the second mode with --comparison both
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Sequence

from mcdata.atomic import atomic_write_json, atomic_write_text
from mcdata.io import read_text_file
from mcdata.schema import Problem, SchemaError
from mceval.bench.cache import GenerationCache, cache_key
from mceval.bench.lcb_data import LCB_REPO_ID, load_lcb_benchmark, resolve_bench_version, version_files
from mceval.bench.report import (
    ProblemRun,
    eval_all_rows,
    pass_rates,
    per_problem_rows,
    response_stats,
    results_table,
    write_plot,
)
from mceval.bench.types import Completion, SamplingConfig

ComparisonChoice = Literal["microcoder", "lcb", "both"]
CACHE_FILE = "generations_cache.jsonl"


@dataclass
class BenchConfig:
    """Everything `microcoder eval --bench` needs. Either `model` (+ `backend`) or `generations`."""

    output_dir: str
    bench: str = "lcb-v6"
    dataset_path: str | None = None
    release_version: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    platform: str | None = None
    difficulty: str | None = None
    # generation
    model: str | None = None
    backend: str = "hf"
    base_url: str | None = None
    api_key: str | None = None
    tensor_parallel_size: int = 1
    concurrency: int = 8
    dtype: str | None = None
    device: str | None = None
    max_model_len: int | None = None
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    generations: str | None = None  # grade this LiveCodeBench generations file instead of generating
    # grading
    extract: Literal["lcb", "robust"] = "robust"
    comparison: ComparisonChoice = "microcoder"
    timeout_s: float | None = None
    memory_mb: int = 1024
    all_tests: bool = False  # run every test of a sample (fractional score) instead of stopping at the first failure
    workers: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.comparison not in ("microcoder", "lcb", "both"):
            raise ValueError(f"--comparison must be microcoder, lcb or both, got {self.comparison!r}")
        if self.extract not in ("lcb", "robust"):
            raise ValueError(f"--extract must be lcb or robust, got {self.extract!r}")
        if self.backend not in ("hf", "openai", "vllm"):
            raise ValueError(f"--backend must be hf, openai or vllm, got {self.backend!r}")
        if self.generations is None and self.model is None and self.backend != "openai":
            raise ValueError("--bench needs --model M (with --backend) or --generations FILE")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ValueError(f"--timeout must be positive, got {self.timeout_s}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"--workers must be at least 1, got {self.workers}")
        if self.memory_mb < 16:
            raise ValueError(f"--memory-mb must be at least 16, got {self.memory_mb}")
        if self.generations is not None and self.model is not None:
            raise ValueError("pass either --model (generate) or --generations FILE (grade only), not both")

    @property
    def comparisons(self) -> list[str]:
        return ["microcoder", "lcb"] if self.comparison == "both" else [self.comparison]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("api_key", None)  # never write secrets to disk
        return data


# ------------------------------------------------------------------------------------ generation
def _backend(config: BenchConfig, model_id: str | None):
    from mceval.bench.backends import make_backend

    if config.backend == "hf":
        return make_backend("hf", model=model_id, device=config.device, dtype=config.dtype, seed=config.sampling.seed)
    if config.backend == "openai":
        return make_backend("openai", base_url=config.base_url or "", model=model_id, api_key=config.api_key,
                            concurrency=config.concurrency)
    options: dict[str, Any] = dict(model=model_id, tensor_parallel_size=config.tensor_parallel_size,
                                   seed=config.sampling.seed, dtype=config.dtype or "auto")
    if config.max_model_len:
        options["max_model_len"] = config.max_model_len
    return make_backend("vllm", **options)


def _progress_columns():
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


def generate_all(
    problems: Sequence[Problem], config: BenchConfig, out: Path, console=None
) -> tuple[list[list[Completion]], dict[str, Any]]:
    """n completions per problem, from the cache where present, else from the backend (cached as they arrive)."""
    from rich.progress import Progress

    from mceval.prompts import build_chat_messages

    cache = GenerationCache(out / CACHE_FILE)
    prompts = [build_chat_messages(p) for p in problems]
    backend = None
    model_id = config.model
    if model_id is None:  # openai without --model: ask the server which model it serves
        backend = _backend(config, None)
        model_id = backend.model_id
    keys = [cache_key(model_id, m, config.sampling) for m in prompts]
    missing = [i for i, key in enumerate(keys) if key not in cache]
    stats = {"model_id": model_id, "cached_prompts": len(prompts) - len(missing), "generated_prompts": len(missing),
             "generate_s": 0.0}
    if len(missing) < len(prompts) and console is not None:
        console.print(f"resuming: reused cached generations for {len(prompts) - len(missing)} of {len(prompts)} problems "
                      f"({out / CACHE_FILE})")
    if missing:
        started = time.perf_counter()
        backend = backend or _backend(config, model_id)
        stats["model_load_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        tokens = 0
        try:
            with Progress(*_progress_columns(), console=console, disable=not config.progress) as bar:
                task = bar.add_task("generating", total=len(missing), rate="")
                for position, completions in backend.iter_generate([prompts[i] for i in missing], config.sampling):
                    index = missing[position]
                    if len(completions) != config.sampling.n:
                        raise RuntimeError(
                            f"{config.backend} backend returned {len(completions)} completions for "
                            f"{problems[index].problem_id}, expected n={config.sampling.n}"
                        )
                    cache.put(keys[index], problems[index].problem_id, completions)
                    tokens += sum(c.num_tokens for c in completions)
                    elapsed = time.perf_counter() - started
                    bar.update(task, advance=1, rate=f"{tokens / elapsed:.0f} tok/s" if elapsed else "")
        finally:
            backend.close()
        stats["generate_s"] = round(time.perf_counter() - started, 3)
        stats["tokens_per_s"] = round(tokens / stats["generate_s"], 1) if stats["generate_s"] else None
    elif backend is not None:
        backend.close()
    return [cache.get(key) or [] for key in keys], stats


def _read_generations_file(path: Path, problems: Sequence[Problem], extract: str) -> tuple[dict, dict, list[str]]:
    """(codes by id, raw outputs by id, ids ignored) from a LiveCodeBench generations file; entries for
    problems outside the selected benchmark slice are ignored (and counted), missing ones are an error."""
    from mceval.evaluate import load_generations

    codes = load_generations(path, None, extract=extract)  # validates every entry, names file + entry
    wanted = {p.problem_id for p in problems}
    ignored = sorted(set(codes) - wanted)
    missing = [p.problem_id for p in problems if p.problem_id not in codes]
    if missing:
        raise SchemaError(
            f"{path}: no generations for {len(missing)} of the {len(problems)} benchmark problems "
            f"(e.g. {missing[:5]}); check --bench / --release-version / date filters"
        )
    outputs: dict[str, list[str]] = {}
    for entry in json.loads(read_text_file(path)):
        qid = str(entry["question_id"])
        if qid in wanted:
            raw = entry.get("output_list") or entry.get("code_list") or []
            outputs[qid] = ["" if v is None else str(v) for v in raw]
    return {q: c for q, c in codes.items() if q in wanted}, outputs, ignored


# ------------------------------------------------------------------------------------ pipeline
def run_benchmark(config: BenchConfig, console=None) -> dict[str, Any]:
    """Load the benchmark slice, generate or read generations, grade, write reports; returns summary.json's dict."""
    from rich.console import Console

    from mceval.evaluate import grade_generations, tidy_floats
    from mceval.extract import extract_code
    from mceval.types import GradeConfig

    console = console or Console(stderr=True)
    started_at = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)

    version = resolve_bench_version(config.bench, config.release_version)
    problems = load_lcb_benchmark(
        version, config.dataset_path, config.start_date, config.end_date, config.platform, config.difficulty
    )
    if not problems:
        raise ValueError(
            f"no LiveCodeBench {version} problems match the filters "
            f"(start {config.start_date}, end {config.end_date}, platform {config.platform}, difficulty {config.difficulty})"
        )
    load_s = time.perf_counter() - t0

    generation_stats: dict[str, Any]
    if config.generations:
        codes, outputs, ignored = _read_generations_file(Path(config.generations), problems, config.extract)
        runs = [ProblemRun(p, outputs[p.problem_id], [None] * len(codes[p.problem_id]), list(codes[p.problem_id]))
                for p in problems]
        generation_stats = {"generations_file": str(config.generations), "ignored_entries": len(ignored)}
    else:
        completions, generation_stats = generate_all(problems, config, out, console)
        runs = [
            ProblemRun(p, [c.text for c in comps], list(comps), [extract_code(c.text, config.extract) for c in comps])
            for p, comps in zip(problems, completions)
        ]
    generations = {run.problem.problem_id: run.codes for run in runs}
    atomic_write_json(out / "generations.json", [
        {"question_id": r.problem.problem_id, "output_list": r.outputs, "code_list": [c or "" for c in r.codes]}
        for r in runs
    ])

    grader_summaries: dict[str, dict[str, Any]] = {}
    grade_t0 = time.perf_counter()
    for position, mode in enumerate(config.comparisons):
        target = out if position == 0 else out / f"comparison_{mode}"
        grade_config = GradeConfig(timeout_s=config.timeout_s, workers=config.workers, comparison=mode,  # type: ignore[arg-type]
                                   memory_mb=config.memory_mb, early_exit=not config.all_tests)
        grader_summaries[mode] = grade_generations(
            problems, generations, grade_config, target, progress=config.progress, progress_label=f"grading ({mode})",
            summary_extra={"bench": config.bench, "extract": config.extract},
        ).to_dict()
        rows: dict[tuple[str, int], dict] = {}
        with (target / "samples.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                rows[(row["question_id"], row["sample_index"])] = row
        for run in runs:
            run.results[mode] = [rows[(run.problem.problem_id, i)] for i in range(len(run.codes))]
    grade_s = time.perf_counter() - grade_t0

    summary = _summary(config, version, problems, runs, generation_stats, grader_summaries, started_at,
                       {"load_s": round(load_s, 3), "generate_s": generation_stats.get("generate_s", 0.0),
                        "grade_s": round(grade_s, 3), "total_s": round(time.perf_counter() - t0, 3)})
    primary = config.comparisons[0]
    # LiveCodeBench names the file after n and the temperature; a generations file has its own n.
    n, temperature = max(len(r.outputs) for r in runs), config.sampling.temperature
    eval_all_name = f"Scenario.codegeneration_{n}_{temperature}_eval_all.json"  # LiveCodeBench's own file name
    atomic_write_json(out / eval_all_name, eval_all_rows(runs, primary))
    atomic_write_text(out / "problems.jsonl", "".join(
        json.dumps(row, ensure_ascii=False) + "\n" for row in per_problem_rows(runs, config.comparisons)))
    write_plot(out / "report.png", runs, summary, primary)
    summary["files"] = {"summary": "summary.json", "samples": "samples.jsonl", "problems": "problems.jsonl",
                        "generations": "generations.json", "eval_all": eval_all_name, "plot": "report.png"}
    atomic_write_json(out / "summary.json", tidy_floats(summary))
    for mode in config.comparisons:
        console.print(results_table(summary, mode))
    return summary


def _summary(
    config: BenchConfig, version: str, problems: Sequence[Problem], runs: Sequence[ProblemRun],
    generation_stats: dict[str, Any], grader_summaries: dict[str, dict[str, Any]], started_at: datetime,
    timings: dict[str, float],
) -> dict[str, Any]:
    primary = config.comparisons[0]
    results = {mode: {**pass_rates(runs, mode), "test_pass_fraction": grader_summaries[mode]["test_pass_fraction"]}
               for mode in config.comparisons}
    dates = sorted(p.contest_date for p in problems if p.contest_date)

    def count_by(attr: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in problems:
            key = getattr(p, attr) or "unknown"
            counts[key] = counts.get(key, 0) + 1
        return counts

    return {
        "bench": config.bench,
        "release_version": version,
        "dataset": {"path": config.dataset_path} if config.dataset_path else {"hub_repo": LCB_REPO_ID},
        "dataset_files": version_files(version),
        "filters": {"start_date": config.start_date, "end_date": config.end_date,
                    "platform": config.platform, "difficulty": config.difficulty},
        "model": generation_stats.get("model_id", config.model),
        "backend": None if config.generations else config.backend,
        "sampling": None if config.generations else config.sampling.to_dict(),
        "extract": config.extract,
        "comparison": primary,
        "num_problems": len(problems),
        "num_samples": sum(len(r.outputs) for r in runs),
        "pass@1": results[primary]["pass@1"],
        "pass@k": results[primary]["pass@k"],
        "by_platform": results[primary]["by_platform"],
        "by_difficulty": results[primary]["by_difficulty"],
        "by_platform_difficulty": results[primary]["by_platform_difficulty"],
        "results": results,
        "counts": {"by_platform": count_by("platform"), "by_difficulty": count_by("difficulty")},
        "dates": {"contest_date_min": dates[0] if dates else None, "contest_date_max": dates[-1] if dates else None,
                  "started_at": started_at.isoformat(timespec="seconds"),
                  "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds")},
        "responses": response_stats(runs),
        "generation": generation_stats,
        "timings": timings,
        "grader": grader_summaries,
        "config": config.to_dict(),
    }
