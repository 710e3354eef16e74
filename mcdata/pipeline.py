"""`microcoder build-dataset`: chain the stages, checkpoint between them, write the dataset.

    collect -> process -> dedup -> decontaminate   (phase "clean": one streaming pass)
    -> verify                                       (phase "verify": checkpointed every `chunk_size` problems)
    -> difficulty (pass-rate | predict)             (phase "difficulty")
    -> Parquet shards + README.md + build_report.json (+ push to the Hub)

Each phase streams problems and writes its output as Parquet parts under `OUTPUT/.build/<phase>/`,
each part atomically; a phase is finished when its `done.json` marker (with the phase's share of
the build report) is written. Rerunning the same command after an interruption skips finished
phases and, inside the verify phase (the expensive one: it runs code), finished chunks. Each
phase's directory carries a fingerprint of its configuration and inputs: change either and that
phase and the ones after it are rebuilt. Memory stays bounded: only the dedup index (512 B per
kept problem) and the decontamination n-grams grow with the data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Literal

from mcdata.card import CardConfig, DatasetStats, write_card
from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.decontaminate import DecontamConfig, decontaminate
from mcdata.dedup import DedupConfig, dedup
from mcdata.parallel import chunked
from mcdata.process import ProcessConfig, process
from mcdata.atomic import atomic_write_text
from mcdata.report import BuildReport
from mcdata.schema import Problem
from mcdata.write import WriteConfig, read_parquet, write_parquet, write_shards

SAMPLES = Path(__file__).resolve().parent / "samples"
Difficulty = Literal["none", "pass-rate", "predict"]


def default_sources() -> list[str]:
    """The shipped samples (`mcdata/samples`, see its SOURCE.md): a small offline build."""
    return [
        f"apps={SAMPLES / 'apps_train_sample.jsonl'}",
        f"codecontests={SAMPLES / 'codecontests_sandboxfusion.jsonl'}",
        f"deepcoder={SAMPLES / 'deepcoder_code_contests_test.json'}",
        f"deepcoder={SAMPLES / 'deepcoder_codeforces_codeelo_test.json'}",
        f"lcb={SAMPLES / 'lcb_sandboxfusion.jsonl'}",
    ]


def default_lcb_reference() -> str:
    return str(SAMPLES / "lcb_statements.jsonl.gz")


def _verify_config():
    from mcdata.verify import VerifyConfig

    return VerifyConfig()


@dataclass
class BuildConfig:
    """Everything a build needs; the CLI fills it from its options.

    sources: `FORMAT=PATH_OR_HUB_ID` strings; empty -> the shipped samples (decontaminated
        against the shipped LiveCodeBench statements unless `decontaminate.against` is set).
    verify: reference-solution verification settings (`mcdata.verify.VerifyConfig`); None skips it.
    difficulty: "none", "pass-rate" (`pass_rate` config) or "predict" (`predict` config).
    chunk_size: problems per checkpoint part in the verify and pass-rate phases.
    resume: reuse finished phases under OUTPUT/.build (False: start over).
    strict: the first bad row or rejected problem stops the build with an error naming it.
    """

    output: Path
    sources: list[str] = field(default_factory=list)
    collect: CollectConfig = field(default_factory=CollectConfig)
    process: ProcessConfig = field(default_factory=ProcessConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    decontaminate: DecontamConfig = field(default_factory=DecontamConfig)
    verify: Any = field(default_factory=_verify_config)
    difficulty: Difficulty = "none"
    pass_rate: Any = None
    predict: Any = None
    write: WriteConfig = field(default_factory=WriteConfig)
    card: CardConfig = field(default_factory=CardConfig)
    chunk_size: int = 256
    resume: bool = True
    strict: bool = False
    progress: bool = False
    push_to_hub: str | None = None
    private: bool = False

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        if not self.sources:
            self.sources = default_sources()
            if self.decontaminate.against is None:
                self.decontaminate.against = default_lcb_reference()
        if self.difficulty not in ("none", "pass-rate", "predict"):
            raise ValueError(f"difficulty must be none, pass-rate or predict, got {self.difficulty!r}")
        if self.difficulty == "pass-rate" and self.pass_rate is None:
            from mcdata.difficulty import PassRateConfig

            self.pass_rate = PassRateConfig()
        if self.difficulty == "predict" and self.predict is None:
            from mcdata.difficulty import PredictConfig

            self.predict = PredictConfig()
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {self.chunk_size}")


@dataclass
class BuildResult:
    output: Path
    shards: list[Path]
    num_problems: int
    report: BuildReport
    resumed_phases: list[str]
    pushed_commit: str | None = None


# ------------------------------------------------------------------------------------ checkpoints


# Settings that change speed or display, never the result: changing them must not invalidate checkpoints.
_NOT_RESULT = {"progress", "workers", "chunk_size", "batch_size"}


def _semantic(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _semantic(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in _NOT_RESULT}
    if isinstance(value, (list, tuple)):
        return [_semantic(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _semantic(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(_semantic(list(parts)), sort_keys=True).encode()).hexdigest()[:16]


def _source_state(spec: SourceSpec) -> list:
    """Local inputs count by content identity (size + mtime), so editing a file invalidates the build."""
    from mcdata.io import local_files

    path = Path(spec.location).expanduser()
    if not path.exists():
        return [str(spec)]
    return [str(spec)] + [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in local_files(path)]


class Phase:
    """A checkpoint directory: `parts/part-XXXXX.parquet` (+ a report per part) and `done.json`."""

    def __init__(self, root: Path, name: str, fingerprint: str, resume: bool) -> None:
        self.dir = root / name
        self.name = name
        self.fingerprint = fingerprint
        stamp = self.dir / "fingerprint"
        if self.dir.exists() and (not resume or not stamp.exists() or stamp.read_text() != fingerprint):
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(stamp, fingerprint)

    @property
    def done(self) -> bool:
        return (self.dir / "done.json").exists()

    def part(self, i: int) -> Path:
        return self.dir / f"part-{i:05d}.parquet"

    def parts(self) -> list[Path]:
        return sorted(self.dir.glob("part-*.parquet"))

    def read(self) -> Iterator[Problem]:
        return read_parquet(self.parts())

    def finish(self, report: BuildReport) -> None:
        report.save(self.dir / "done.json")

    def report(self) -> BuildReport:
        return BuildReport.load(self.dir / "done.json")


def _write_parts(phase: Phase, problems: Iterable[Problem], cfg: BuildConfig) -> int:
    count = 0
    for i, chunk in enumerate(chunked(problems, cfg.chunk_size)):
        write_parquet(phase.part(i), chunk, cfg.write)
        count += len(chunk)
    return count


def _run_whole(phase: Phase, stages: Callable[[BuildReport], Iterable[Problem]], cfg: BuildConfig) -> BuildReport:
    """A phase that must see the whole stream (dedup, selection): rerun from scratch unless done."""
    if phase.done:
        return phase.report()
    for stale in phase.parts():
        stale.unlink()
    report = BuildReport(strict=cfg.strict)
    _write_parts(phase, stages(report), cfg)
    phase.finish(report)
    return report


def _run_chunked(
    phase: Phase, inputs: Iterable[Problem], stage: Callable[[Iterable[Problem], BuildReport], Iterable[Problem]], cfg: BuildConfig
) -> BuildReport:
    """A per-problem phase: each input chunk is processed and saved on its own, so a rerun resumes at the
    first unfinished chunk."""
    if phase.done:
        return phase.report()
    total = BuildReport(strict=cfg.strict)
    for i, chunk in enumerate(chunked(inputs, cfg.chunk_size)):
        marker = phase.dir / f"part-{i:05d}.report.json"
        if marker.exists() and phase.part(i).exists():
            total.merge(BuildReport.load(marker))
            continue
        report = BuildReport(strict=cfg.strict)
        write_parquet(phase.part(i), stage(chunk, report), cfg.write)
        report.save(marker)
        total.merge(report)
    phase.finish(total)
    return total


def _progress(problems: Iterable[Problem], description: str, enabled: bool) -> Iterator[Problem]:
    if not enabled:
        yield from problems
        return
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), MofNCompleteColumn(), TimeElapsedColumn(), transient=False) as bar:
        task = bar.add_task(description, total=None)
        for problem in problems:
            yield problem
            bar.advance(task)


# ------------------------------------------------------------------------------------------ build


def clean_stream(specs: list[SourceSpec], cfg: BuildConfig, report: BuildReport) -> Iterator[Problem]:
    """collect -> process -> dedup -> decontaminate, each stage counted in `report`."""
    stream: Iterable[Problem] = report.track("collect", collect(specs, cfg.collect, report), counting="out")
    stream = report.run_stage("process", process, stream, cfg.process)
    stream = report.run_stage("dedup", dedup, stream, cfg.dedup)
    return report.run_stage("decontaminate", decontaminate, stream, cfg.decontaminate)


def build_dataset(cfg: BuildConfig) -> BuildResult:
    """Run the whole build into `cfg.output`; returns where things went and the merged report."""
    specs = [SourceSpec.parse(s) for s in cfg.sources]
    root = cfg.output / ".build"
    resumed: list[str] = []
    reports: list[BuildReport] = []

    fp = _fingerprint([_source_state(s) for s in specs], cfg.collect, cfg.process, cfg.dedup, cfg.decontaminate)
    clean = Phase(root, "1-clean", fp, cfg.resume)
    if clean.done:
        resumed.append("clean")
    reports.append(
        _run_whole(clean, lambda r: _progress(clean_stream(specs, cfg, r), "collect+process+dedup+decontaminate", cfg.progress), cfg)
    )
    last = clean

    if cfg.verify is not None:
        from mcdata.verify import verify_problems

        fp = _fingerprint(fp, cfg.verify)
        phase = Phase(root, "2-verify", fp, cfg.resume)
        if phase.done:
            resumed.append("verify")
        stage = lambda chunk, r: r.run_stage("verify", verify_problems, chunk, cfg.verify)  # noqa: E731
        reports.append(_run_chunked(phase, _progress(last.read(), "verify", cfg.progress), stage, cfg))
        last = phase

    if cfg.difficulty != "none":
        from mcdata.difficulty import pass_rate_filter, predict_filter

        stage_cfg = cfg.pass_rate if cfg.difficulty == "pass-rate" else cfg.predict
        fp = _fingerprint(fp, cfg.difficulty, stage_cfg)
        phase = Phase(root, "3-difficulty", fp, cfg.resume)
        if phase.done:
            resumed.append("difficulty")
        if cfg.difficulty == "pass-rate":
            stage = lambda chunk, r: r.run_stage("pass_rate", pass_rate_filter, chunk, cfg.pass_rate)  # noqa: E731
            reports.append(_run_chunked(phase, _progress(last.read(), "pass rates", cfg.progress), stage, cfg))
        else:
            reports.append(_run_whole(phase, lambda r: r.run_stage("predict", predict_filter, last.read(), cfg.predict), cfg))
        last = phase

    report = BuildReport(strict=cfg.strict)
    for part in reports:
        report.merge(part)
    report.note("build", sources=[str(s) for s in specs], resumed_phases=resumed)
    stats = DatasetStats()

    def counted() -> Iterator[Problem]:
        for problem in last.read():
            stats.add(problem)
            yield problem

    shards = write_shards(counted(), cfg.output, cfg.write)
    report.note("write", problems=stats.rows, shards=[s.name for s in shards], by_source=dict(stats.by_source))
    report.save(cfg.output / "build_report.json")
    write_card(cfg.output, stats, report, shards, cfg.card)
    result = BuildResult(cfg.output, shards, stats.rows, report, resumed)
    if cfg.push_to_hub:
        from mcdata.push import push_folder

        result.pushed_commit = push_folder(cfg.output, cfg.push_to_hub, private=cfg.private)
    return result


__all__ = ["BuildConfig", "BuildResult", "build_dataset", "clean_stream", "default_sources"]
