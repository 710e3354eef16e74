"""The function behind `microcoder build-dataset`: flat CLI options -> `BuildConfig` -> build, summary.

Kept out of cli.py so the CLI only parses; everything here is plain Python and testable. Every option
value is checked before any work starts, and a bad one raises ValueError naming the option, so the
CLI prints one line ("--limit -1: must be >= 1") instead of failing mid-build.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mcdata.pipeline import BuildConfig, BuildResult, build_dataset, default_lcb_reference
from mceval.pool import parse_spec

CHOICES: dict[str, tuple[str, ...]] = {
    "difficulty": ("none", "pass-rate", "predict"),
    "backend": ("hf", "openai", "vllm"),
    "judge_backend": ("hf", "openai", "vllm"),
    "no_reference": ("keep", "drop"),
    "single_reference": ("keep", "drop"),
    "needs_checker": ("drop", "flag"),
    "unparseable": ("keep", "drop"),
}
SHIPPED_REFERENCE = "shipped"


def option_name(name: str) -> str:
    return "-k" if name == "k" else "--" + name.replace("_", "-")


@dataclass
class BuildOptions:
    """One field per `build-dataset` option (see `microcoder build-dataset --help`)."""

    sources: list[str] = field(default_factory=list)
    output: Path = Path("out/dataset")
    decontaminate_against: list[str] = field(default_factory=list)
    eval_window: str = "2024-08-01:"
    ngram: int = 10
    min_coverage: float = 0.25
    max_tests: int = 30
    max_test_bytes: str = "4MiB"
    needs_checker: str = "drop"
    near_dup_threshold: float = 0.8
    workers: int = 1
    limit: int | None = None
    verify: bool = True
    min_tests: int = 5
    max_references: int = 5
    min_ref_pass_rate: float = 1.0
    single_reference: str = "keep"
    verify_workers: int | None = None
    grader: str = "local"
    no_reference: str = "keep"
    difficulty: str = "none"
    rollouts: str | None = None
    k: int = 8
    pass_rate_band: str = "[0,1)"
    backend: str = "hf"
    model: str | None = None
    base_url: str | None = None
    max_tokens: int = 4096
    temperature: float = 1.0
    judge_backend: str | None = None
    judge_model: str | None = None
    judge_base_url: str | None = None
    target_mix: str | None = None
    calibration_size: int = 200
    unparseable: str = "keep"
    validation: float = 0
    export: list[str] = field(default_factory=list)
    max_shard_size: str = "256MB"
    push_to_hub: str | None = None
    private: bool = False
    strict: bool = False
    resume: bool = True
    progress: bool = True


_AT_LEAST_1 = ("limit", "ngram", "workers", "min_tests", "max_references", "verify_workers", "k", "max_tokens")
_AT_LEAST_0 = ("max_tests", "calibration_size", "temperature", "validation")
_UNIT = {"min_coverage": (0.0, 1.0, True), "near_dup_threshold": (0.0, 1.0, False), "min_ref_pass_rate": (0.0, 1.0, False)}


def validate(opts: BuildOptions) -> None:
    """Raise ValueError naming the option for the first value that makes no sense."""
    for name, allowed in CHOICES.items():
        value = getattr(opts, name)
        if value is not None and value not in allowed:
            raise ValueError(f"{option_name(name)} {value!r}: choose one of {', '.join(allowed)}")
    for name in _AT_LEAST_1:
        value = getattr(opts, name)
        if value is not None and value < 1:
            raise ValueError(f"{option_name(name)} {value}: must be >= 1")
    for name in _AT_LEAST_0:
        if getattr(opts, name) < 0:
            raise ValueError(f"{option_name(name)} {getattr(opts, name)}: must be >= 0")
    for name, (low, high, low_ok) in _UNIT.items():
        value = getattr(opts, name)
        if not ((low <= value if low_ok else low < value) and value <= high):
            raise ValueError(f"{option_name(name)} {value}: must be in {'[' if low_ok else '('}{low:g}, {high:g}]")
    for value in opts.export:
        if value != "verl":
            raise ValueError(f"--export {value!r}: choose verl")
    if opts.difficulty != "none" and not (opts.model or opts.rollouts or (opts.backend == "openai" and opts.base_url)):
        raise ValueError(
            f"--difficulty {opts.difficulty} needs --model NAME (the random test model only as --model tiny-random) "
            "or --rollouts FILE"
        )
    if opts.difficulty == "predict" and not (opts.judge_model or opts.model or (opts.judge_base_url or opts.base_url)):
        raise ValueError("--difficulty predict needs a judge: --judge-model NAME or --model NAME")

    parse_spec(opts.grader)


def _references(values: list[str]) -> tuple[str, ...]:
    """`--decontaminate-against`: nothing or "shipped" -> the shipped LCB reference; "none" -> off."""
    if any(v.strip().lower() == "none" for v in values):
        if len(values) > 1:
            raise ValueError("--decontaminate-against none cannot be combined with other references")
        return ()
    out: list[str] = []
    for value in values or [SHIPPED_REFERENCE]:
        out.extend(default_lcb_reference() if value.strip().lower() == SHIPPED_REFERENCE else [value])
    return tuple(out)


def to_config(opts: BuildOptions) -> BuildConfig:
    from mcdata.collect import CollectConfig
    from mcdata.decontaminate import DecontamConfig
    from mcdata.dedup import DedupConfig
    from mcdata.process import ProcessConfig
    from mcdata.window import EvalWindow
    from mcdata.write import WriteConfig, parse_size

    validate(opts)
    window = EvalWindow.parse(opts.eval_window)
    pass_rate, predict = _difficulty_configs(opts) if opts.difficulty != "none" else (None, None)
    cfg = BuildConfig(
        output=opts.output,
        sources=list(opts.sources),
        collect=CollectConfig(limit_per_source=opts.limit),
        process=ProcessConfig(
            max_tests=opts.max_tests if opts.max_tests > 0 else None,
            max_test_bytes=parse_size(opts.max_test_bytes, "--max-test-bytes"),
            needs_checker=opts.needs_checker,  # type: ignore[arg-type]
        ),
        dedup=DedupConfig(threshold=opts.near_dup_threshold, workers=opts.workers),
        decontaminate=DecontamConfig(
            against=_references(opts.decontaminate_against),
            window_start=window.start.isoformat() if window.start else None,
            window_end=window.end.isoformat() if window.end else None,
            ngram=opts.ngram, min_coverage=opts.min_coverage,
        ),
        verify=None,
        difficulty=opts.difficulty,  # type: ignore[arg-type]
        pass_rate=pass_rate,
        predict=predict,
        write=WriteConfig(max_shard_bytes=parse_size(opts.max_shard_size, "--max-shard-size")),
        validation=opts.validation,
        export=tuple(opts.export),
        strict=opts.strict,
        resume=opts.resume,
        progress=opts.progress,
        push_to_hub=opts.push_to_hub,
        private=opts.private,
    )
    if opts.verify:
        from mcdata.verify import VerifyConfig

        cfg.verify = VerifyConfig(
            min_tests=opts.min_tests, max_references=opts.max_references, min_ref_pass_rate=opts.min_ref_pass_rate,
            single_reference=opts.single_reference, workers=opts.verify_workers,  # type: ignore[arg-type]
            no_reference=opts.no_reference, grader=opts.grader,  # type: ignore[arg-type]
        )
    return cfg


def _difficulty_configs(opts: BuildOptions) -> tuple[Any, Any]:
    from mcdata.difficulty import ModelConfig, PassRateConfig, PredictConfig
    from mcdata.difficulty.predict import default_judge

    pass_rate = PassRateConfig(
        k=opts.k, band=opts.pass_rate_band, rollouts=opts.rollouts,
        model=ModelConfig(backend=opts.backend, model=opts.model, base_url=opts.base_url,  # type: ignore[arg-type]
                          max_tokens=opts.max_tokens, temperature=opts.temperature),
        workers=opts.verify_workers, progress=False, grader=opts.grader,
    )
    if opts.difficulty == "pass-rate":
        return pass_rate, None
    judge = replace(
        default_judge(),
        backend=opts.judge_backend or opts.backend,
        model=opts.judge_model or opts.model,
        base_url=opts.judge_base_url or opts.base_url,
    )
    extra = {"target_mix": opts.target_mix} if opts.target_mix else {}
    predict = PredictConfig(
        judge=judge, calibration=pass_rate, calibration_size=opts.calibration_size, unparseable=opts.unparseable,  # type: ignore[arg-type]
        progress=opts.progress, **extra,
    )
    return None, predict


def run_build(opts: BuildOptions) -> BuildResult:
    """Build (and optionally push) the dataset, then print a short summary."""
    cfg = to_config(opts)
    if cfg.push_to_hub:
        from mcdata.push import check_push_ready

        check_push_ready(cfg.push_to_hub)
    with _hub_errors(opts.push_to_hub):
        result = build_dataset(cfg)
    _summary(result)
    return result


def run_push(folder: Path, repo_id: str, *, private: bool = False) -> str:
    from mcdata.push import check_push_ready, push_folder, staged_files

    staged_files(folder)  # a folder that is not a finished build: say so before touching the network
    check_push_ready(repo_id)
    with _hub_errors(repo_id):
        url = push_folder(folder, repo_id, private=private)
    print(f"pushed {folder} to {url}")
    return url


@contextmanager
def _hub_errors(repo_id: str | None):
    """Hub failures (auth, offline mode, HTTP errors) become one-line ValueErrors for the CLI."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        yield
    except OfflineModeIsEnabled as exc:
        raise ValueError(f"cannot push to {repo_id}: HF_HUB_OFFLINE is set ({exc})") from exc
    except HfHubHTTPError as exc:
        raise ValueError(f"push to {repo_id} failed: {str(exc).splitlines()[0]}") from exc


def _summary(result: BuildResult) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"build-dataset -> {result.output}")
    for column in ("stage", "in", "out", "removed"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for name, counts in result.report.to_dict()["stages"].items():
        table.add_row(name, str(counts["in"]), str(counts["out"]), str(counts["in"] - counts["out"]))
    console = Console(stderr=True)
    console.print(table)
    if result.resumed_phases:
        console.print(f"resumed finished phases: {', '.join(result.resumed_phases)}")
    for stage, kinds in result.report.reasons().items():
        console.print(f"removed at {stage}: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()))
    stats = result.stats
    if stats is not None and stats.rows:
        status = ", ".join(f"{n} {s.replace('_', '-')}" for s, n in stats.by_verify.most_common())
        console.print(f"verification of the {stats.rows} kept problems: {status}", highlight=False)
        if stats.by_verify.get("unverified"):
            console.print(f"[yellow]note:[/] {stats.by_verify['unverified']} problem(s) were kept UNVERIFIED (no reference "
                          "solution; --no-reference drop removes them)", highlight=False)
    for warning in result.report.notes.get("build", {}).get("warnings", []):
        console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
    console.print(
        f"{result.num_problems} problems in {len(result.shards)} shard(s); card: {result.output / 'README.md'}; "
        f"report: {result.output / 'build_report.json'} (every removal with its row and reason)"
    )
    if result.num_problems == 0:
        console.print("[bold yellow]warning:[/] no problem survived the build; see the removals above", highlight=False)
    if result.pushed_commit:
        console.print(f"pushed: {result.pushed_commit}")
