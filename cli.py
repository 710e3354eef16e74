"""`microcoder`: one CLI for MicroCoder-Dataset, MicroCoder-Evaluator and MicroCoder-GRPO.

This module only parses options and calls one function of a subpackage per command; the
work lives in `mcdata`, `mceval` and `mctrain`. Heavy imports stay inside the commands so
`microcoder --help` is instant.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import click
import typer
from typer.core import TyperCommand

app = typer.Typer(
    name="microcoder",
    help="Build code-RL datasets, evaluate code LLMs on LiveCodeBench, train with MicroCoder-GRPO.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # click's plain help: flags as flags, FOLDER REPO_ID in usage lines
)


class PlainUsageCommand(TyperCommand):
    """Usage lines in the POSIX style (`FOLDER REPO_ID`), not Typer's `{folder} {repo_id}`."""

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = (param.metavar or param.name or "").upper()
                pieces.append(name if param.required else f"[{name}]")
        return pieces


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"microcoder {version('microcoder')}")
        except PackageNotFoundError:
            typer.echo("microcoder (not installed: run scripts/setup.sh)")
        raise typer.Exit()


@app.callback()
def root(
    _version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Build code-RL datasets, evaluate code LLMs on LiveCodeBench, train with MicroCoder-GRPO."""


def _fail(message: str, code: int = 2) -> None:
    """Print one clear line (no traceback unless MICROCODER_DEBUG=1) and exit non-zero."""
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor-or-self of `path` when it is a file (so nothing can be written there)."""
    for existing in (path, *path.parents):
        if existing.exists():
            return None if existing.is_dir() else existing
    return None


def _check_output_folder(path: Path | None, option: str = "--output") -> None:
    """A folder to write into must not be (or lie under) an existing file: one line, before any work."""
    if path is not None and (blocker := _file_in_the_way(path)) is not None:
        where = "is a file" if blocker == path else f"lies under the file {blocker}"
        _fail(f"{option} {path}: {where}; give a folder")


def _check_output_file(path: Path | None, option: str = "--output") -> None:
    """A file to write must not be an existing folder, nor lie under an existing file."""
    if path is None:
        return
    if path.is_dir():
        _fail(f"{option} {path}: is a folder; give a file name such as {path / 'curves.png'}")
    if (blocker := _file_in_the_way(path.parent)) is not None:
        _fail(f"{option} {path}: lies under the file {blocker}")


def _run(fn, *args, **kwargs):
    """Call a library function, turning expected user errors into one-line messages."""
    from mccore.schema import SchemaError

    try:
        return fn(*args, **kwargs)
    except (FileNotFoundError, ConnectionError, SchemaError, ValueError) as exc:
        if os.environ.get("MICROCODER_DEBUG") == "1":
            raise
        _fail(str(exc))


# ---------------- eval (mceval)


eval_app = typer.Typer(
    help="Grade generations, evaluate a model on LiveCodeBench (--bench), or serve grading over HTTP (`serve`).",
    invoke_without_command=True,
    no_args_is_help=False,
    pretty_exceptions_enable=False,
)
app.add_typer(eval_app, name="eval")


@eval_app.callback()
def eval_command(
    ctx: typer.Context,
    problems: Optional[Path] = typer.Option(None, "--problems", help="LiveCodeBench-format problems (.jsonl, .json or .parquet)."),
    generations: Optional[Path] = typer.Option(
        None, "--generations", help="JSON list of {question_id, code_list | output_list} (LiveCodeBench format)."
    ),
    output: Optional[Path] = typer.Option(None, "--output", help="Directory for samples.jsonl and summary.json (required)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Per-test CPU-time limit in seconds (default: the problem's, else 6)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Parallel sandboxes (default: one per usable physical core)."),
    memory_mb: Optional[int] = typer.Option(None, "--memory-mb", help="Per-test memory limit in MiB (default 1024); with --grading-profile lcb, which has none, it can only raise the safety cap (8192)."),
    all_tests: bool = typer.Option(
        False, "--all-tests", help="Run every test of each sample (fractional score in summary.json) instead of stopping at the first failure."
    ),
    comparison: str = typer.Option("microcoder", "--comparison", help="Output comparison: microcoder | lcb (with --bench also both: report the two side by side)."),
    extract: str = typer.Option("robust", "--extract", help="Code extraction for output_list: robust | lcb."),
    grading_profile: str = typer.Option("microcoder", "--grading-profile", help="How programs run: microcoder (as a judge runs them) | lcb (as LiveCodeBench 28fef95 runs them: its import block, recursion limit, one Solution for all tests, its stdin, 6 s wall clock, no memory limit)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    # --bench: generate + grade + report on LiveCodeBench (mceval.bench.run_benchmark)
    bench: Optional[str] = typer.Option(None, "--bench", help="Benchmark: lcb-v6 (the 175-problem v6 slice), lcb-v1..lcb-v5, or lcb (use --release-version)."),
    dataset_path: Optional[Path] = typer.Option(None, "--dataset-path", help="Local folder with test.jsonl … test6.jsonl as on the Hub (default: HF cache / download)."),
    release_version: Optional[str] = typer.Option(None, "--release-version", help="LiveCodeBench version tag: release_v1..release_v6, release_latest, v1..v6, vX_vY."),
    start_date: Optional[str] = typer.Option(None, "--start-date", help="Keep problems with contest_date >= YYYY-MM-DD."),
    end_date: Optional[str] = typer.Option(None, "--end-date", help="Keep problems with contest_date <= YYYY-MM-DD."),
    platform: Optional[str] = typer.Option(None, "--platform", help="Keep platform(s): atcoder, leetcode, codeforces (comma-separated)."),
    difficulty: Optional[str] = typer.Option(None, "--difficulty", help="Keep difficulty(ies): easy, medium, hard (comma-separated)."),
    model: Optional[str] = typer.Option(None, "--model", help="Model: HF id or local dir (hf/vllm), served model name (openai), or tiny-random."),
    backend: str = typer.Option("hf", "--backend", help="Generation backend: hf (transformers, CPU ok) | openai (--base-url) | vllm (GPUs)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (--backend openai)."),
    tensor_parallel_size: int = typer.Option(1, "--tensor-parallel-size", help="GPUs per model (--backend vllm)."),
    n: int = typer.Option(10, "-n", "--n", help="Samples per problem (LiveCodeBench default 10; the MicroCoder paper used 4)."),
    temperature: Optional[float] = typer.Option(None, "--temperature", help="Sampling temperature (0 = greedy; default 0.2). With --generations: the file's, for LiveCodeBench's file names."),
    top_p: float = typer.Option(0.95, "--top-p", help="Nucleus sampling top_p."),
    top_k: int = typer.Option(0, "--top-k", help="Top-k sampling (0 or -1 = off). Sent explicitly on every backend."),
    min_p: float = typer.Option(0.0, "--min-p", help="Min-p sampling (0 = off). Sent explicitly on every backend."),
    repetition_penalty: float = typer.Option(1.0, "--repetition-penalty", help="Repetition penalty (1 = off). Sent explicitly on every backend."),
    stop: list[str] = typer.Option([], "--stop", help="Stop string (repeatable). LiveCodeBench's runner stops at '###' by default; we stop at none."),
    max_tokens: int = typer.Option(4096, "--max-tokens", help="Max new tokens per response (the paper: 4096 and 8192)."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed (per-prompt seeds derive from it)."),
    prompt_style: str = typer.Option("auto", "--prompt-style", help="auto (LiveCodeBench's choice for the model name) | generic | codeqwen | qwq | deepseek-r1 | oai-reasoning | oai-reasoning-preview | gemini | base."),
    system_prompt: Optional[str] = typer.Option(None, "--system-prompt", help="Replace the prompt style's system text ('' drops a chat system message)."),
    chat_template_kwargs: Optional[str] = typer.Option(None, "--chat-template-kwargs", metavar="JSON", help="Chat-template options for all backends, e.g. '{\"enable_thinking\": false}' (Qwen3 hybrids)."),
    concurrency: int = typer.Option(8, "--concurrency", help="Requests in flight (--backend openai)."),
    server_dialect: str = typer.Option("vllm", "--server-dialect", help="How --backend openai sends top_k/min_p/repetition_penalty: vllm (vLLM, SGLang) | transformers (transformers serve) | openai (OpenAI's API: not sent)."),
    request_timeout: float = typer.Option(600.0, "--request-timeout", help="Seconds one request may take (--backend openai); with --stream, the longest silence."),
    stream: bool = typer.Option(False, "--stream", help="Stream responses (--backend openai): long generations are not cut by --request-timeout."),
    dtype: Optional[str] = typer.Option(None, "--dtype", help="Model dtype for hf/vllm (e.g. bfloat16)."),
    max_model_len: Optional[int] = typer.Option(None, "--max-model-len", help="Context length (--backend vllm)."),
    revision: Optional[str] = typer.Option(None, "--revision", help="Commit or branch of the LiveCodeBench dataset on the Hub (recorded with the files' hashes)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Regenerate everything instead of reusing OUT/generations_cache.jsonl."),
    truncation_policy: str = typer.Option("cut-answer-fails", "--truncation-policy", help="Responses that hit --max-tokens (--extract robust): cut-answer-fails (cut inside a code block or <think>: no code) | earlier-draft | truncated-fails."),
    missing_generations: str = typer.Option("fail", "--missing-generations", help="Problems without generations: fail (count as failures, as LiveCodeBench requires all) | skip (leave out of the averages) | error."),
    grader: Optional[str] = typer.Option(None, "--grader", "--grader-url", help="Where grading runs: local | ray | ray://ADDRESS | http://HOST:PORT (a grading service). Not with --bench yet."),
) -> None:
    """Grade generations for LiveCodeBench-format problems (exit 0 whatever the verdicts), or with
    --bench evaluate a model on LiveCodeBench end to end (generate, grade, report)."""
    if ctx.invoked_subcommand is not None:
        return
    if output is None:
        _fail("Missing option '--output': the folder for samples.jsonl and summary.json")
    from mceval import SandboxUnavailableError
    from mceval.evaluate import evaluate_files

    # Errors a user can fix (no sandbox, server down, vLLM missing, output dir not writable): one line, exit 2.
    user_errors: tuple[type[BaseException], ...] = (SandboxUnavailableError, ImportError, OSError)
    _check_output_folder(output)
    _check_profile(grading_profile, comparison, memory_mb)
    if bench is not None:
        if problems is not None:
            _fail("--problems is for grading a problems file; with --bench the problems come from LiveCodeBench")
        if grader is not None:
            _fail("--grader applies to grading a problems file; --bench grades in this process")
        from mceval.bench.config import json_object
        from mceval.bench.run import BenchConfig, run_benchmark
        from mcgen.backends.openai_compat import ServerError
        from mcgen.types import SamplingConfig

        try:
            config = _run(
                BenchConfig, output_dir=str(output), bench=bench,
                dataset_path=str(dataset_path) if dataset_path else None, release_version=release_version,
                start_date=start_date, end_date=end_date, platform=platform, difficulty=difficulty,
                model=model, backend=backend, base_url=base_url, tensor_parallel_size=tensor_parallel_size,
                concurrency=concurrency, dtype=dtype, max_model_len=max_model_len, revision=revision,
                sampling=_run(SamplingConfig, n=n, temperature=0.2 if temperature is None else temperature, top_p=top_p,
                              max_tokens=max_tokens, seed=seed, top_k=top_k, min_p=min_p,
                              repetition_penalty=repetition_penalty, stop=tuple(stop)),
                prompt_style=prompt_style, system_prompt=system_prompt,
                chat_template_kwargs=_run(json_object, chat_template_kwargs, "--chat-template-kwargs"),
                server_dialect=server_dialect, request_timeout_s=request_timeout, stream=stream, use_cache=not no_cache,
                generations=str(generations) if generations else None,
                generations_temperature=temperature if generations else None, extract=extract,
                truncation_policy=truncation_policy, comparison=comparison, grading_profile=grading_profile,
                missing_generations=missing_generations,
                timeout_s=timeout, memory_mb=1024 if memory_mb is None else memory_mb, all_tests=all_tests, workers=workers,
                progress=not quiet,
            )
            summary = _run(run_benchmark, config)
        except (*user_errors, ServerError) as exc:
            if os.environ.get("MICROCODER_DEBUG") == "1":
                raise
            _fail(str(exc))
        typer.echo(f"pass@1 {summary['pass@1']:.4f} on {summary['num_problems']} problems -> {output / 'summary.json'}")
        fraction = summary["results"][summary["comparison"]]["test_pass_fraction"]
        if fraction is not None:
            typer.echo(f"tests passed per sample (all tests run): {fraction:.4f}")
        return
    if problems is None or generations is None:
        _fail("grading needs --problems FILE and --generations FILE (or --bench NAME to evaluate on LiveCodeBench)")
    bench_only = {"--dataset-path": dataset_path, "--release-version": release_version, "--start-date": start_date,
                  "--end-date": end_date, "--platform": platform, "--difficulty": difficulty, "--model": model,
                  "--base-url": base_url, "--revision": revision, "--system-prompt": system_prompt,
                  "--chat-template-kwargs": chat_template_kwargs}
    if given := [name for name, value in bench_only.items() if value is not None]:
        _fail(f"{', '.join(given)} only apply with --bench; grading a problems file ignores them")
    try:
        summary = _run(
            evaluate_files, problems, generations, output,
            timeout_s=timeout, workers=workers, comparison=comparison, extract=extract, all_tests=all_tests,
            memory_mb=memory_mb, progress=not quiet, missing=missing_generations, grader=grader,
            profile=grading_profile,
        )
    except user_errors as exc:
        if os.environ.get("MICROCODER_DEBUG") == "1":
            raise
        _fail(str(exc))
    typer.echo(
        f"pass@1 {summary.pass_at_1:.4f} on {summary.num_problems} problems, {summary.num_samples} samples "
        f"-> {output / 'summary.json'}"
    )
    if summary.test_pass_fraction is not None:
        typer.echo(f"tests passed per sample (all tests run): {summary.test_pass_fraction:.4f}")
    if summary.problems_without_generations:
        how = ("counted as failures (LiveCodeBench requires every problem; --missing-generations skip leaves them out)"
               if missing_generations == "fail" else "left out of the averages (--missing-generations skip)")
        typer.echo(f"note: {len(summary.problems_without_generations)} problem(s) had no generations: {how}")


def _check_profile(profile: str, comparison: str, memory_mb: int | None) -> None:
    """The grading profile is its own choice: `--comparison lcb` judges outputs as LiveCodeBench
    does and does not change how programs run (so `--comparison both` compares two judgements of
    the same runs). A hint says how to run them as LiveCodeBench does too."""
    from mceval.types import LCB_MEMORY_CAP_MB, PROFILES

    if profile not in PROFILES:
        _fail(f"--grading-profile must be {' or '.join(PROFILES)}, got {profile!r}")
    if profile == "lcb" and memory_mb is not None and memory_mb < LCB_MEMORY_CAP_MB:
        _fail(f"--memory-mb {memory_mb}: the lcb profile has no memory limit (LiveCodeBench sets none); "
              f"--memory-mb can only raise its safety cap of {LCB_MEMORY_CAP_MB} MiB")
    if comparison == "lcb" and profile == "microcoder":
        typer.echo("note: --comparison lcb judges outputs as LiveCodeBench does, but programs run as a judge runs "
                   "them; add --grading-profile lcb to run them as LiveCodeBench does too", err=True)


@eval_app.command("serve")
def eval_serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default; expose it with --token)."),
    port: int = typer.Option(8080, "--port", help="TCP port."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Sandboxes (default: one per usable CPU)."),
    grader: str = typer.Option("local", "--grader", help="Where grading runs: local sandboxes, or ray | ray://ADDRESS (a Ray cluster)."),
    token: Optional[str] = typer.Option(None, "--token", envvar="MICROCODER_GRADER_TOKEN", help="Shared secret clients send as 'Authorization: Bearer TOKEN' (or env MICROCODER_GRADER_TOKEN)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Per-test CPU-time limit in seconds (default: the problem's, else 6)."),
    memory_mb: int = typer.Option(1024, "--memory-mb", help="Per-program memory limit in MiB (a request may lower it)."),
    comparison: str = typer.Option("microcoder", "--comparison", help="Default output comparison: microcoder | lcb."),
    max_request_mb: float = typer.Option(64.0, "--max-request-mb", help="Largest request body in MiB (413 beyond)."),
    max_queue: int = typer.Option(20_000, "--max-queue", help="Samples queued or running at once (429 with Retry-After beyond)."),
    request_timeout: float = typer.Option(600.0, "--request-timeout", help="Seconds a request may wait for its results (504 beyond)."),
    max_configs: int = typer.Option(4, "--max-configs", help="Distinct grading configs kept warm (one grader each)."),
    shutdown_timeout: float = typer.Option(600.0, "--shutdown-timeout", help="Seconds a shutdown waits for the requests in flight."),
) -> None:
    """Serve grading over HTTP: SandboxFusion-compatible POST /run_code, batch POST /grade, /health, /metrics."""
    from mceval.pool import parse_spec
    from mceval.service import ServiceSettings
    from mceval.service.serve import serve
    from mceval.types import GradeConfig

    if _run(parse_spec, grader)[0] == "http":
        _fail("--grader for a service is local or ray://ADDRESS (a service cannot forward to another one)")
    if comparison not in ("microcoder", "lcb"):
        _fail(f"--comparison must be microcoder or lcb, got {comparison!r}")
    if (workers is not None and workers < 1) or memory_mb < 16 or (timeout is not None and timeout <= 0):
        _fail("--workers must be >= 1, --memory-mb >= 16 and --timeout > 0")
    settings = _run(
        ServiceSettings, host=host, port=port, grader=grader, token=token,
        config=GradeConfig(timeout_s=timeout, memory_mb=memory_mb, workers=workers, comparison=comparison),  # type: ignore[arg-type]
        max_request_mb=max_request_mb, max_queue=max_queue, request_timeout_s=request_timeout,
        max_configs=max_configs, shutdown_timeout_s=shutdown_timeout,
    )
    serve(settings)


# ---------------- build-dataset (mcdata)

build_dataset_app = typer.Typer(
    help="Build MicroCoder-Dataset (collect, clean, dedup, decontaminate, verify, difficulty-filter) into Parquet "
    "with a dataset card; with no options, builds a small dataset offline from the shipped samples.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(build_dataset_app, name="build-dataset")


@build_dataset_app.callback()
def build_dataset_command(
    ctx: typer.Context,
    source: list[str] = typer.Option(
        [], "--source", "-s", metavar="FORMAT=PATH_OR_HUB_ID",
        help="Input (repeatable). FORMAT: taco, apps, codecontests, deepcoder, lcb, leetcodedataset, codeforces, "
        "microcoder. A local file/folder (jsonl, json, parquet, arrow, .gz) or a Hub id "
        "owner/name[/FILE_IN_REPO][:config][@split][#revision]. None: the shipped samples.",
    ),
    output: Path = typer.Option(Path("out/dataset"), "--output", "-o", help="Dataset folder to write."),
    decontaminate_against: list[str] = typer.Option(
        [], "--decontaminate-against", metavar="LCB_FILE_DIR_OR_HUB_ID",
        help="LiveCodeBench reference (repeatable) matched by platform id and statement n-grams, inside --eval-window. "
        "Default 'shipped' (release_v5 statements + release_v6 ids); 'none': off.",
    ),
    eval_window: str = typer.Option("2024-08-01:", "--eval-window", help="Evaluation window START[:END] (dates); problems dated inside are dropped and only reference problems inside it are matched ('none': off)."),
    ngram: int = typer.Option(10, "--ngram", help="Words per n-gram for LiveCodeBench text matching."),
    min_coverage: float = typer.Option(0.25, "--min-coverage", help="Share of an LCB statement's n-grams that marks a copy (0: any shared n-gram)."),
    max_tests: int = typer.Option(30, "--max-tests", help="Cap on tests per problem (public + largest kept; 0: no cap)."),
    max_test_bytes: str = typer.Option("4MiB", "--max-test-bytes", help="Drop tests whose input+output exceed this size (e.g. 4MiB)."),
    needs_checker: str = typer.Option("drop", "--needs-checker", help="Multi-answer / interactive problems (one expected output cannot judge them): drop or flag."),
    near_dup_threshold: float = typer.Option(0.8, "--near-dup-threshold", help="MinHash Jaccard threshold for near-duplicate statements."),
    workers: int = typer.Option(1, "--workers", help="Processes for MinHash signatures."),
    limit: int = typer.Option(None, "--limit", help="Read at most this many rows per source (quick trials)."),
    verify: bool = typer.Option(True, "--verify/--no-verify", help="Run reference solutions against the tests."),
    min_tests: int = typer.Option(5, "--min-tests", help="Drop problems with fewer tests (after verification)."),
    max_references: int = typer.Option(5, "--max-references", help="Reference solutions run per problem."),
    min_ref_pass_rate: float = typer.Option(1.0, "--min-ref-pass-rate", help="Share of the running references that must pass every kept test."),
    single_reference: str = typer.Option("keep", "--single-reference", help="Problems only one reference confirms: keep (verify_status single_reference) or drop."),
    verify_workers: int = typer.Option(None, "--verify-workers", help="Grader processes for verification and pass rates (default: CPU count)."),
    grader: str = typer.Option("local", "--grader", "--grader-url", help="Where verification and pass rates are graded: local | ray | ray://ADDRESS | http://HOST:PORT (a grading service)."),
    no_reference: str = typer.Option("keep", "--no-reference", help="Problems without reference solutions: keep (marked unverified) or drop."),
    difficulty: str = typer.Option("none", "--difficulty", help="Difficulty filter: none, pass-rate (empirical) or predict (predict-calibrate-select)."),
    rollouts: str = typer.Option(None, "--rollouts", help="Generations file (LCB format; rows may name their source) to measure pass rates instead of sampling a model."),
    k: int = typer.Option(8, "-k", help="Solutions per problem for pass rates."),
    pass_rate_band: str = typer.Option("[0,1)", "--pass-rate-band", help="Pass rates to keep, interval notation, e.g. '(0,1)' or '(0.1,0.9)'."),
    backend: str = typer.Option("hf", "--backend", help="Generation backend for sampling: hf, openai or vllm."),
    model: str = typer.Option(None, "--model", help="Model name/path to sample from (required with --difficulty unless --rollouts; 'tiny-random' is the test model)."),
    base_url: str = typer.Option(None, "--base-url", help="OpenAI-compatible server URL for the openai backend."),
    max_tokens: int = typer.Option(4096, "--max-tokens", help="Max new tokens per sampled solution."),
    temperature: float = typer.Option(1.0, "--temperature", help="Sampling temperature for solutions."),
    judge_backend: str = typer.Option(None, "--judge-backend", help="Backend of the difficulty judge (predict; default: --backend)."),
    judge_model: str = typer.Option(None, "--judge-model", help="Judge model (predict; default: --model)."),
    judge_base_url: str = typer.Option(None, "--judge-base-url", help="Judge server URL (predict; default: --base-url)."),
    target_mix: str = typer.Option(None, "--target-mix", help="Target difficulty mix for predict (the easy share is a ceiling), e.g. easy=0.2,medium=0.4,hard=0.4."),
    calibration_size: int = typer.Option(200, "--calibration-size", help="Problems (sampled across sources) whose pass rates calibrate the predicted difficulty."),
    unparseable: str = typer.Option("keep", "--unparseable", help="Problems whose judge answer stays unparseable after one retry: keep (flagged) or drop."),
    validation: float = typer.Option(0, "--validation", help="Hold out a validation split: a fraction (<1) or a count of problems."),
    export: list[str] = typer.Option([], "--export", help="Also write another layout (repeatable): verl (prompt + tests as a JSON string)."),
    max_shard_size: str = typer.Option("256MB", "--max-shard-size", help="Uncompressed bytes per Parquet shard (e.g. 500MB)."),
    push_to_hub: str = typer.Option(None, "--push-to-hub", metavar="REPO_ID", help="Upload the finished folder in one commit (needs HF_TOKEN)."),
    private: bool = typer.Option(False, "--private", help="Create the Hub repo as private."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first input row that cannot be read or converted instead of recording it."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Reuse finished phases of an interrupted build in OUTPUT/.build."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Build MicroCoder-Dataset into Parquet shards with a dataset card and a build report."""
    if ctx.invoked_subcommand is not None:
        return
    from mcdata.command import BuildOptions, run_build

    _check_output_folder(output)

    options = BuildOptions(
        sources=source, output=output, decontaminate_against=decontaminate_against, eval_window=eval_window,
        ngram=ngram, min_coverage=min_coverage, max_tests=max_tests, max_test_bytes=max_test_bytes,
        needs_checker=needs_checker, near_dup_threshold=near_dup_threshold, workers=workers, limit=limit,
        verify=verify, min_tests=min_tests, max_references=max_references, min_ref_pass_rate=min_ref_pass_rate,
        single_reference=single_reference, verify_workers=verify_workers, grader=grader, no_reference=no_reference,
        difficulty=difficulty, rollouts=rollouts, k=k, pass_rate_band=pass_rate_band, backend=backend, model=model,
        base_url=base_url, max_tokens=max_tokens, temperature=temperature, judge_backend=judge_backend,
        judge_model=judge_model, judge_base_url=judge_base_url, target_mix=target_mix,
        calibration_size=calibration_size, unparseable=unparseable, validation=validation, export=export,
        max_shard_size=max_shard_size, push_to_hub=push_to_hub, private=private, strict=strict, resume=resume,
        progress=progress,
    )
    _run(run_build, options)


@build_dataset_app.command("push", cls=PlainUsageCommand)
def build_dataset_push_command(
    folder: Path = typer.Argument(..., metavar="FOLDER", help="A folder written by `microcoder build-dataset`."),
    repo_id: str = typer.Argument(..., metavar="REPO_ID", help="Hub dataset repo, owner/name (created if missing)."),
    private: bool = typer.Option(False, "--private", help="Create the repo as private."),
) -> None:
    """Upload a built dataset folder to the Hugging Face Hub in one commit (token: HF_TOKEN or `hf auth login`)."""
    from mcdata.command import run_push

    _run(run_push, folder, repo_id, private=private)



# ---------------- train (mctrain)

train_app = typer.Typer(
    help="Train with MicroCoder-GRPO on TRL; `calibrate-temperature` and `plot` are its helpers.",
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)
app.add_typer(train_app, name="train")


@train_app.callback(invoke_without_command=True)
def train_command(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="YAML recipe (recipes/*.yaml); default: the paper's setting."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="`build-dataset` output directory or Hub dataset id."),
    model: Optional[str] = typer.Option(None, "--model", help="Hub id, local dir, or `tiny-random` (offline)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="RUN_DIR (checkpoints, metrics.jsonl)."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", help="Stop after N rollout rounds (a step is a round on any number of GPUs)."),
    truncation_masking: Optional[str] = typer.Option(None, "--truncation-masking", help="none | mask_all | conditional."),
    ctm_rho: Optional[float] = typer.Option(None, "--ctm-rho", help="ρ, masking probability (paper: 0.1)."),
    temperature: Optional[float] = typer.Option(None, "--temperature", help="Constant training temperature."),
    temperature_schedule: Optional[str] = typer.Option(None, "--temperature-schedule", help="Staged by rollout, e.g. '0.6@0,1.2@140'."),
    num_generations: Optional[int] = typer.Option(None, "--num-generations", help="G, responses per prompt."),
    max_completion_length: Optional[int] = typer.Option(None, "--max-completion-length", help="L_max in tokens."),
    learning_rate: Optional[float] = typer.Option(None, "--learning-rate", help="AdamW learning rate."),
    report_to: Optional[str] = typer.Option(None, "--report-to", help="tensorboard | wandb | none."),
    seed: Optional[int] = typer.Option(None, "--seed"),
    overrides: list[str] = typer.Option([], "--set", "-s", help="Any config field: --set KEY=VALUE (repeatable)."),
    resume: bool = typer.Option(True, "--resume/--no-resume", help="Continue from RUN_DIR's newest checkpoint."),
    log_mask_decisions: bool = typer.Option(False, "--log-mask-decisions", help="Write RUN_DIR/mask_decisions.jsonl."),
    grader: Optional[str] = typer.Option(None, "--grader", "--grader-url", help="Where rewards are graded: local | ray | ray://ADDRESS | http://HOST:PORT (a `microcoder eval serve` service on CPU nodes)."),
) -> None:
    """Train a policy with MicroCoder-GRPO (conditional truncation masking, staged temperature, no-KL clip-high)."""
    if ctx.invoked_subcommand is not None:
        return
    from mceval import SandboxUnavailableError
    from mctrain.reward import GradingFailed
    from mctrain.train import train_main

    _check_output_folder(output)

    values = {
        "dataset": dataset, "model_name_or_path": model, "output_dir": str(output) if output else None,
        "max_steps": max_steps, "truncation_masking": truncation_masking, "ctm_rho": ctm_rho,
        "temperature": temperature, "temperature_schedule": temperature_schedule, "num_generations": num_generations,
        "max_completion_length": max_completion_length, "learning_rate": learning_rate, "report_to": report_to,
        "seed": seed, "grader": grader,
    }
    try:
        result = _run(train_main, config, values, overrides, resume=resume, log_mask_decisions=log_mask_decisions)
    except (GradingFailed, SandboxUnavailableError) as exc:
        if os.environ.get("MICROCODER_DEBUG") == "1":
            raise
        _fail(str(exc), code=1)
    typer.echo(f"trained {result.global_step} rollout rounds; metrics: {result.metrics_path}")


@train_app.command("calibrate-temperature")
def calibrate_temperature_command(
    dataset: str = typer.Option(..., "--dataset", help="`build-dataset` output directory or Hub dataset id."),
    model: str = typer.Option("tiny-random", "--model", help="Hub id, local dir, or `tiny-random`."),
    output: Path = typer.Option(Path("runs/calibration"), "--output", "-o", help="Where the JSON and PNG go."),
    split: str = typer.Option("train", "--split"),
    temperatures: str = typer.Option("0.6,0.8,1.0,1.2,1.4,1.6,1.8", "--temperatures", help="Comma-separated candidates."),
    target: float = typer.Option(0.7, "--target", help="Diversity the picked temperature must reach."),
    num_prompts: Optional[int] = typer.Option(None, "--num-prompts", help="Calibration prompts (default: 16; 4 for tiny-random or a CPU-only hf run)."),
    num_generations: Optional[int] = typer.Option(None, "--num-generations", help="G per prompt (default: 8; 4 for tiny/CPU)."),
    max_tokens: Optional[int] = typer.Option(None, "--max-tokens", help="Tokens per response (default: 4096; 128 for tiny/CPU)."),
    metric: str = typer.Option("windowed_distinct", "--metric", help="windowed_distinct (length-robust) | distinct_ngram | edit_distance."),
    backend: str = typer.Option("hf", "--backend", help="hf | vllm | openai."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="openai backend: server URL."),
    tensor_parallel_size: Optional[int] = typer.Option(None, "--tensor-parallel-size", help="vllm backend."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Sweep sampling temperatures and pick the lowest whose response diversity reaches the target."""
    from mctrain.calibrate import CalibrationConfig, calibrate_temperature

    _check_output_folder(output)

    options = {k: v for k, v in {"base_url": base_url, "tensor_parallel_size": tensor_parallel_size}.items() if v is not None}
    try:
        temps = tuple(float(t) for t in temperatures.split(","))
    except ValueError:
        _fail(f"--temperatures must be comma-separated numbers, got {temperatures!r}")
    cfg = _run(
        CalibrationConfig, model=model, dataset=dataset, dataset_split=split, output_dir=str(output),
        temperatures=temps, target=target, num_prompts=num_prompts, num_generations=num_generations,
        max_tokens=max_tokens, metric=metric, backend=backend, backend_options=options, seed=seed,
    )
    result = _run(calibrate_temperature, cfg)
    typer.echo(f"selected temperature: {result.selected_temperature}")


@train_app.command("plot", cls=PlainUsageCommand)
def plot_command(
    run_dirs: list[Path] = typer.Argument(..., metavar="RUN_DIR...", help="One RUN_DIR, or several to overlay."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="PNG path (default RUN_DIR/training_curves.png)."),
) -> None:
    """Draw the paper's training curves (accuracy, response length, diversity, ...) from metrics.jsonl."""
    from mctrain.plot import plot_run, plot_runs

    _check_output_file(output, "-o/--output")

    if len(run_dirs) == 1:
        path = _run(plot_run, run_dirs[0], output)
    else:
        path = _run(plot_runs, run_dirs, output or run_dirs[0] / "comparison.png")
    typer.echo(str(path))

def main() -> None:
    try:
        app()
    except SystemExit as exc:  # Typer turns Ctrl-C into a silent exit 130: say what to do next
        if exc.code == 130:
            typer.secho("\ninterrupted: rerun the same command to resume where it stopped", fg=typer.colors.YELLOW, err=True)
        raise

if __name__ == "__main__":
    sys.exit(main())
