"""The function behind `microcoder build-dataset`: flat CLI options -> `BuildConfig` -> build, summary.

Kept out of cli.py so the CLI only parses; everything here is plain Python and testable.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from mcdata.pipeline import BuildConfig, BuildResult, build_dataset


@dataclass
class BuildOptions:
    """One field per `build-dataset` option (see `microcoder build-dataset --help`)."""

    sources: list[str] = field(default_factory=list)
    output: Path = Path("out/dataset")
    decontaminate_against: str | None = None
    eval_window: str = "2024-08-01:"
    ngram: int = 10
    min_coverage: float = 0.25
    max_tests: int = 30
    near_dup_threshold: float = 0.8
    workers: int = 1
    limit: int | None = None
    verify: bool = True
    min_tests: int = 5
    verify_workers: int | None = None
    no_reference: Literal["keep", "drop"] = "keep"
    difficulty: Literal["none", "pass-rate", "predict"] = "none"
    rollouts: str | None = None
    k: int = 8
    pass_rate_band: str = "[0,1)"
    backend: Literal["hf", "openai", "vllm"] = "hf"
    model: str | None = None
    base_url: str | None = None
    judge_backend: Literal["hf", "openai", "vllm"] | None = None
    judge_model: str | None = None
    judge_base_url: str | None = None
    target_mix: str | None = None
    calibration_size: int = 200
    push_to_hub: str | None = None
    private: bool = False
    strict: bool = False
    resume: bool = True
    progress: bool = True


def parse_window(text: str) -> tuple[str | None, str | None]:
    """'2024-08-01:' / '2025-01-01:2025-05-01' / 'none' -> (start, end)."""
    if text.strip().lower() in ("", "none", "off"):
        return None, None
    start, _, end = text.partition(":")
    if not start.strip():
        raise ValueError(f"--eval-window {text!r}: expected START[:END] (ISO dates) or 'none'")
    return start.strip(), end.strip() or None


def to_config(opts: BuildOptions) -> BuildConfig:
    from mcdata.collect import CollectConfig
    from mcdata.decontaminate import DecontamConfig
    from mcdata.dedup import DedupConfig
    from mcdata.process import ProcessConfig

    start, end = parse_window(opts.eval_window)
    cfg = BuildConfig(
        output=opts.output,
        sources=list(opts.sources),
        collect=CollectConfig(limit_per_source=opts.limit),
        process=ProcessConfig(max_tests=opts.max_tests if opts.max_tests > 0 else None),
        dedup=DedupConfig(threshold=opts.near_dup_threshold, workers=opts.workers),
        decontaminate=DecontamConfig(
            against=opts.decontaminate_against, window_start=start, window_end=end,
            ngram=opts.ngram, min_coverage=opts.min_coverage,
        ),
        verify=None,
        difficulty=opts.difficulty,
        strict=opts.strict,
        resume=opts.resume,
        progress=opts.progress,
        push_to_hub=opts.push_to_hub,
        private=opts.private,
    )
    if opts.verify:
        from mcdata.verify import VerifyConfig

        cfg.verify = VerifyConfig(
            min_tests=opts.min_tests, workers=opts.verify_workers, no_reference=opts.no_reference,
            progress=False,  # the pipeline shows one bar over all checkpoint chunks instead
        )
    if opts.difficulty != "none":
        from mcdata.difficulty import ModelConfig, PassRateConfig, PredictConfig

        pass_rate = PassRateConfig(
            k=opts.k, band=opts.pass_rate_band, rollouts=opts.rollouts,
            model=ModelConfig(backend=opts.backend, model=opts.model, base_url=opts.base_url),
            workers=opts.verify_workers, progress=False,
        )
        if opts.difficulty == "pass-rate":
            cfg.pass_rate = pass_rate
        else:
            judge = replace(
                PredictConfig().judge,
                backend=opts.judge_backend or opts.backend,
                model=opts.judge_model or opts.model,
                base_url=opts.judge_base_url or opts.base_url,
            )
            extra = {"target_mix": opts.target_mix} if opts.target_mix else {}
            cfg.predict = PredictConfig(
                judge=judge, calibration=pass_rate, calibration_size=opts.calibration_size, progress=opts.progress, **extra
            )
    return cfg


def run_build(opts: BuildOptions) -> BuildResult:
    """Build (and optionally push) the dataset, then print a short summary."""
    with _hub_errors(opts.push_to_hub):
        result = build_dataset(to_config(opts))
    _summary(result)
    return result


def run_push(folder: Path, repo_id: str, *, private: bool = False) -> str:
    from mcdata.push import push_folder

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
        raise ValueError(f"push to {repo_id} failed: {exc}") from exc


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
    console.print(
        f"{result.num_problems} problems in {len(result.shards)} shard(s); card: {result.output / 'README.md'}; "
        f"report: {result.output / 'build_report.json'} (every removal with its row and reason)"
    )
    if result.num_problems == 0:
        console.print("[bold yellow]warning:[/] no problem survived the build; see the removals above", highlight=False)
    if result.pushed_commit:
        console.print(f"pushed: {result.pushed_commit}")
