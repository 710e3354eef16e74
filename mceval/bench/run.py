"""`microcoder eval --bench lcb-v6`: load LiveCodeBench, generate (or read generations), grade, report.

`run_benchmark(BenchConfig)` is the one function the CLI calls. Prompts are LiveCodeBench's for the
model's family (`mcgen.prompt_styles`); generation goes through a backend (`hf`, `openai`, `vllm`)
and the generation cache in the output dir (`mceval.bench.generate`), so a re-run only generates
what is missing; grading is `mceval.evaluate.grade_generations` (sandboxed grader), once per
comparison mode; reports are written atomically.

Output dir layout:
  summary.json            config, model, prompt, sampling as sent, data files and their hashes, counts,
                          timings, pass@1/pass@k overall, by platform/difficulty, for every comparison
  samples.jsonl           one graded row per (question_id, sample_index) (primary comparison)
  problems.jsonl          per-problem results (n, correct, pass@1, verdicts, token counts)
  generations.json        LiveCodeBench custom-evaluator format (question_id, output_list, code_list)
  livecodebench/<label>/  LiveCodeBench's own three result files, one folder per comparison, named after
                          the grading profile, comparison and extraction that produced them (`lcb_files`)
  report.png              pass@1 by platform/difficulty + response-length histogram
  generations_cache.jsonl the resumable generation cache
  comparison_lcb/         samples.jsonl + summary.json of the second mode with --comparison both

Every results file records the grading profile, comparison and extraction behind it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mccore.atomic import atomic_write_json, atomic_write_text
from mccore.schema import Problem, SchemaError
from mccore.textfile import read_text_file
from mceval.bench.config import BenchConfig, ComparisonChoice
from mceval.bench.generate import CACHE_FILE, generate_all
from mceval.bench.lcb_data import LCB_REPO_ID, file_record, load_lcb_benchmark, locate_lcb_files, resolve_bench_version
from mceval.bench.lcb_files import grading_label, write_lcb_files
from mceval.bench.report import ProblemRun, pass_rates, per_problem_rows, response_stats, results_table, write_plot
from mceval.bench.truncation import graded_code
from mcgen.prompt_styles import TEXT_STYLES, build_prompt, resolve_prompt_style

__all__ = ["CACHE_FILE", "BenchConfig", "ComparisonChoice", "run_benchmark"]

WHOLE_RESPONSE = "whole-response"  # LiveCodeBench's extraction for base models: the output is the program
_LCB_NAME = re.compile(r"codegeneration_\d+_(?P<temperature>\d+(?:\.\d+)?)(?:_eval_all|_eval)?\.json$")


# ------------------------------------------------------------------------------------ inputs
def _read_generations_file(path: Path, problems: Sequence[Problem], extract: str) -> tuple[dict, dict, list[str], list[str]]:
    """(codes by id, raw outputs by id, ids ignored, ids missing) from a LiveCodeBench generations
    file; entries for problems outside the selected benchmark slice are ignored (and counted)."""
    from mceval.evaluate import load_generations

    codes = load_generations(path, None, extract=extract)  # validates every entry, names file + entry
    wanted = {p.problem_id for p in problems}
    ignored = sorted(set(codes) - wanted)
    missing = [p.problem_id for p in problems if p.problem_id not in codes]
    outputs: dict[str, list[str]] = {}
    for entry in json.loads(read_text_file(path)):
        qid = str(entry["question_id"])
        if qid in wanted:
            raw = entry.get("output_list") or entry.get("code_list") or []
            outputs[qid] = ["" if v is None else str(v) for v in raw]
    return {q: c for q, c in codes.items() if q in wanted}, outputs, ignored, missing


def _runs_from_file(config: BenchConfig, problems: list[Problem], console) -> tuple[list[ProblemRun], dict[str, Any]]:
    path = Path(config.generations or "")
    codes, outputs, ignored, missing = _read_generations_file(path, problems, config.extract)
    if missing and config.missing_generations == "error":
        raise SchemaError(
            f"{path}: no generations for {len(missing)} of the {len(problems)} benchmark problems "
            f"(e.g. {missing[:5]}); check --bench / --release-version / date filters"
        )
    if len(missing) == len(problems):
        raise SchemaError(f"{path}: none of the {len(problems)} benchmark problems has generations "
                          "(check --bench / --release-version / date filters)")
    if missing:
        how = ("counted as failures (LiveCodeBench requires every problem)" if config.missing_generations == "fail"
               else "left out of the averages (--missing-generations skip)")
        console.print(f"note: {len(missing)} of {len(problems)} problems have no generations in {path}: {how}",
                      soft_wrap=True)
    n = max(len(c) for c in codes.values())
    runs = []
    for p in problems:
        if p.problem_id in codes:
            runs.append(ProblemRun(p, outputs[p.problem_id], [None] * len(codes[p.problem_id]), list(codes[p.problem_id])))
        elif config.missing_generations == "fail":
            runs.append(ProblemRun(p, [""] * n, [None] * n, [None] * n))
    stats = {"generations_file": str(path), "ignored_entries": len(ignored), "problems_without_generations": missing}
    return runs, stats


def _temperature_label(config: BenchConfig) -> str:
    """The temperature in LiveCodeBench's file names: the sampling's, or for a generations file the
    one given with --temperature or found in its LiveCodeBench name, else "unknown"."""
    if not config.generations:
        return str(config.sampling.temperature)
    if config.generations_temperature is not None:
        return str(config.generations_temperature)
    match = _LCB_NAME.search(Path(config.generations).name)
    return match["temperature"] if match else "unknown"


# ------------------------------------------------------------------------------------ pipeline
def run_benchmark(config: BenchConfig, console=None) -> dict[str, Any]:
    """Load the benchmark slice, generate or read generations, grade, write reports; returns summary.json's dict."""
    from rich.console import Console

    from mceval.evaluate import grade_generations, tidy_floats
    from mceval.types import GradeConfig

    console = console or Console(stderr=True)
    started_at = datetime.now(UTC)
    t0 = time.perf_counter()
    out = Path(config.output_dir)
    out.mkdir(parents=True, exist_ok=True)

    version = resolve_bench_version(config.bench, config.release_version)
    problems = load_lcb_benchmark(
        version, config.dataset_path, config.start_date, config.end_date, config.platform, config.difficulty,
        revision=config.revision,
    )
    if not problems:
        raise ValueError(
            f"no LiveCodeBench {version} problems match the filters "
            f"(start {config.start_date}, end {config.end_date}, platform {config.platform}, difficulty {config.difficulty})"
        )
    data_files = [file_record(path) for path in locate_lcb_files(version, config.dataset_path, config.revision)]
    load_s = time.perf_counter() - t0

    prompt_info: dict[str, Any] | None = None
    extract = config.extract
    if config.generations:
        runs, generation_stats = _runs_from_file(config, problems, console)
    else:
        style, why = resolve_prompt_style(config.prompt_style, config.model)
        if config.chat_template_kwargs and style in TEXT_STYLES:
            raise ValueError(f"--chat-template-kwargs needs a chat prompt; --prompt-style {style} is a finished text "
                             "that no chat template renders")
        prompts = [build_prompt(p, style, config.system_prompt) for p in problems]
        prompt_info = {"style": style, "why": why, "system_prompt": config.system_prompt,
                       "chat_template_kwargs": config.chat_template_kwargs or {}}
        completions, generation_stats = generate_all(problems, prompts, config, out, console)
        if style == "base":
            extract = WHOLE_RESPONSE
        runs = [
            ProblemRun(p, [c.text for c in comps], list(comps), [_code(c.text, c, config, extract) for c in comps])
            for p, comps in zip(problems, completions)
        ]
    graded_problems = [run.problem for run in runs]
    generations = {run.problem.problem_id: run.codes for run in runs}
    atomic_write_json(out / "generations.json", [
        {"question_id": r.problem.problem_id, "output_list": r.outputs, "code_list": [c or "" for c in r.codes],
         "extract": extract}
        for r in runs
    ])

    grader_summaries: dict[str, dict[str, Any]] = {}
    grade_t0 = time.perf_counter()
    for position, mode in enumerate(config.comparisons):
        target = out if position == 0 else out / f"comparison_{mode}"
        grade_config = GradeConfig(timeout_s=config.timeout_s, workers=config.workers, comparison=mode,  # type: ignore[arg-type]
                                   memory_mb=config.memory_mb, early_exit=not config.all_tests,
                                   profile=config.grading_profile)  # type: ignore[arg-type]
        provenance = _provenance(config, mode, extract)
        grader_summaries[mode] = grade_generations(
            graded_problems, generations, grade_config, target, progress=config.progress,
            progress_label=f"grading ({mode})", summary_extra={"bench": config.bench, **provenance},
            row_extra=provenance,
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
                        "grade_s": round(grade_s, 3), "total_s": round(time.perf_counter() - t0, 3)},
                       extract=extract, prompt=prompt_info, data_files=data_files)
    primary = config.comparisons[0]
    temperature = _temperature_label(config)
    lcb_folders = {}
    for mode in config.comparisons:
        provenance = _provenance(config, mode, extract)
        folder = out / "livecodebench" / grading_label(config.grading_profile, mode, extract)
        files = write_lcb_files(folder, runs, mode, temperature, provenance)
        lcb_folders[mode] = {kind: str(Path(path).relative_to(out)) for kind, path in files.items()}
    grading = {"grading_profile": config.grading_profile, "extract": extract, "comparisons": config.comparisons,
               "truncation_policy": config.truncation_policy}
    atomic_write_text(out / "problems.jsonl", "".join(
        json.dumps(row, ensure_ascii=False) + "\n" for row in per_problem_rows(runs, config.comparisons, grading)))
    write_plot(out / "report.png", runs, summary, primary)
    summary["files"] = {"summary": "summary.json", "samples": "samples.jsonl", "problems": "problems.jsonl",
                        "generations": "generations.json", "livecodebench": lcb_folders, "plot": "report.png"}
    atomic_write_json(out / "summary.json", tidy_floats(summary))
    for mode in config.comparisons:
        console.print(results_table(summary, mode))
    return summary


def _code(text: str, completion, config: BenchConfig, extract: str) -> str | None:
    if extract == WHOLE_RESPONSE:  # LiveCodeBench's GenericBase rule
        return text.strip() or None
    return graded_code(text, completion, config.extract, config.truncation_policy)  # type: ignore[arg-type]


def _provenance(config: BenchConfig, comparison: str, extract: str) -> dict[str, Any]:
    """What produced a grading: written into its sample rows, summary and LiveCodeBench files."""
    return {"grading_profile": config.grading_profile, "comparison": comparison, "extract": extract,
            "truncation_policy": None if config.generations else config.truncation_policy}


def _summary(
    config: BenchConfig, version: str, problems: Sequence[Problem], runs: Sequence[ProblemRun],
    generation_stats: dict[str, Any], grader_summaries: dict[str, dict[str, Any]], started_at: datetime,
    timings: dict[str, float], *, extract: str, prompt: dict[str, Any] | None, data_files: list[dict[str, Any]],
) -> dict[str, Any]:
    primary = config.comparisons[0]
    results = {mode: {**pass_rates(runs, mode), "test_pass_fraction": grader_summaries[mode]["test_pass_fraction"]}
               for mode in config.comparisons}
    graded = [run.problem for run in runs]
    dates = sorted(p.contest_date for p in graded if p.contest_date)

    def count_by(attr: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in graded:
            key = getattr(p, attr) or "unknown"
            counts[key] = counts.get(key, 0) + 1
        return counts

    return {
        "bench": config.bench,
        "release_version": version,
        "dataset": {"path": config.dataset_path} if config.dataset_path else {"hub_repo": LCB_REPO_ID,
                                                                              "revision": config.revision},
        "dataset_files": data_files,
        "filters": {"start_date": config.start_date, "end_date": config.end_date,
                    "platform": config.platform, "difficulty": config.difficulty},
        "model": generation_stats.get("model_id", config.model),
        "backend": None if config.generations else config.backend,
        "prompt": prompt,
        "sampling": None if config.generations else config.sampling.to_dict(),
        "sampling_parameters": generation_stats.get("sampling_parameters"),
        "grading_profile": config.grading_profile,
        "extract": extract,
        "truncation_policy": None if config.generations else config.truncation_policy,
        "comparison": primary,
        "missing_generations": config.missing_generations if config.generations else None,
        "num_problems": len(graded),
        "num_problems_selected": len(problems),
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
                  "finished_at": datetime.now(UTC).isoformat(timespec="seconds")},
        "responses": response_stats(runs),
        "generation": generation_stats,
        "timings": timings,
        "grader": grader_summaries,
        "config": config.to_dict(),
    }
