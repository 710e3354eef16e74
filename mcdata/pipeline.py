"""`microcoder build-dataset`: chain the stages, checkpoint between them, write the dataset.

    collect -> process -> group duplicates -> decontaminate   (phase "clean": one streaming pass)
    -> verify                                                  (phase "verify": checkpointed every `chunk_size` problems)
    -> dedup: keep the best copy of each group                 (phase "dedup")
    -> difficulty (pass-rate | predict)                        (phase "difficulty")
    -> Parquet shards (train[/validation]) [+ verl export] + build_report.json + README.md (+ push)

Each phase streams problems and writes its output as Parquet parts under `OUTPUT/.build/<phase>/`,
each part atomically; a phase is finished when its `done.json` marker (with the phase's share of
the build report) is written. Rerunning the same command after an interruption skips finished
phases and, inside the verify and pass-rate phases (they run code), finished chunks. Each phase's
directory carries a fingerprint of its configuration and inputs: change either and that phase and
the ones after it are rebuilt.

A dataset folder is complete or visibly not (`mccore.folder`): the card (README.md) of an earlier
build is removed before anything is written, and the new card is written last, so a folder an
interrupted build left behind has no card and `train`/`eval` refuse it; rerunning finishes it.
Memory stays bounded: only the dedup index and the decontamination n-grams grow with the data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from mccore.atomic import atomic_write_text
from mccore.folder import CARD_NAME
from mccore.schema import Problem
from mcdata import progress
from mcdata.card import HISTOGRAM, CardConfig, DatasetStats, write_card
from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.decontaminate import DecontamConfig, decontaminate
from mcdata.dedup import DedupConfig, choose_copies, group_duplicates, resolve_duplicates
from mcdata.parallel import chunked
from mcdata.process import ProcessConfig, process
from mcdata.report import BuildReport
from mcdata.write import WriteConfig, count_rows, read_parquet, remove_other_splits, write_parquet, write_shards

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


def default_lcb_reference() -> tuple[str, ...]:
    """The shipped decontamination reference: LiveCodeBench release_v5 statements (880) and the
    release_v6 problem ids and dates (1,055) — see mcdata/samples/SOURCE.md."""
    return (str(SAMPLES / "lcb_statements.jsonl.gz"), str(SAMPLES / "lcb_v6_problems.jsonl.gz"))


def _verify_config():
    from mcdata.verify import VerifyConfig

    return VerifyConfig()


@dataclass
class BuildConfig:
    """Everything a build needs; the CLI fills it from its options.

    sources: `FORMAT=PATH_OR_HUB_ID` strings; empty -> the shipped samples (decontaminated
        against the shipped LiveCodeBench reference unless `decontaminate.against` is set).
    verify: reference-solution verification settings (`mcdata.verify.VerifyConfig`); None skips it.
    difficulty: "none", "pass-rate" (`pass_rate` config) or "predict" (`predict` config).
    validation: problems held out as a `validation` split: a fraction (< 1) or a count (>= 1); 0: none.
    export: extra layouts to write next to `data/`: "verl" (prompt + tests as a JSON string).
    chunk_size: problems per checkpoint part in the verify and pass-rate phases.
    resume: reuse finished phases under OUTPUT/.build (False: start over).
    strict: the first row that cannot be read or converted stops the build with an error naming it.
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
    validation: float = 0
    export: tuple[str, ...] = ()
    chunk_size: int = 256
    resume: bool = True
    strict: bool = False
    progress: bool = False
    push_to_hub: str | None = None
    private: bool = False

    def __post_init__(self) -> None:
        self.output = Path(self.output)
        check_output_folder(self.output)
        if not self.sources:
            self.sources = default_sources()
            if not self.decontaminate.against:
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
        if self.validation < 0:
            raise ValueError(f"validation must be a fraction < 1 or a count >= 1, got {self.validation}")
        unknown = set(self.export) - {"verl"}
        if unknown:
            raise ValueError(f"export: unknown layout(s) {sorted(unknown)}; choose verl")


def check_output_folder(output: Path) -> None:
    """The output must be a folder (or not exist yet), and not lie under a file: one clear error."""
    for existing in (output, *output.parents):
        if existing.exists():
            if not existing.is_dir():
                where = "is a file" if existing == output else f"lies under the file {existing}"
                raise ValueError(f"--output {output}: {where}; give a folder")
            return


@dataclass
class BuildResult:
    output: Path
    shards: list[Path]
    num_problems: int
    report: BuildReport
    resumed_phases: list[str]
    stats: DatasetStats | None = None
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

    def rows(self) -> int:
        return count_rows(self.parts())

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
            progress.phase_advance(len(chunk))
            continue
        report = BuildReport(strict=cfg.strict)
        write_parquet(phase.part(i), stage(chunk, report), cfg.write)
        report.save(marker)
        total.merge(report)
    phase.finish(total)
    return total


def _counted(problems: Iterable[Problem]) -> Iterator[Problem]:
    for problem in problems:
        yield problem
        progress.phase_advance(1)


# ------------------------------------------------------------------------------------------ build


def clean_stream(specs: list[SourceSpec], cfg: BuildConfig, report: BuildReport) -> Iterator[Problem]:
    """collect -> process -> group duplicates -> decontaminate, each filtering stage counted in `report`.
    Copies are only annotated here; the `dedup` phase chooses which one to keep."""
    stream: Iterable[Problem] = report.track("collect", collect(specs, cfg.collect, report), counting="out")
    stream = report.run_stage("process", process, stream, cfg.process)
    stream = group_duplicates(stream, cfg.dedup, report)
    return report.run_stage("decontaminate", decontaminate, stream, cfg.decontaminate)


def _contaminated_groups(report: BuildReport) -> dict[str, str]:
    """Duplicate groups with a member that decontamination removed -> that member's key."""
    out: dict[str, str] = {}
    for r in report.rejections_by("decontaminate"):
        key = f"{r.source}/{r.problem_id}"
        out.setdefault(str(r.detail.get("dup_group") or key), key)
    return out


def remove_card(output: Path) -> None:
    """Before a build writes anything, the old card goes: until the new one is written last, the
    folder reads as unfinished (`mccore.folder.require_complete`)."""
    for name in (CARD_NAME, HISTOGRAM):
        (output / name).unlink(missing_ok=True)


def build_dataset(cfg: BuildConfig) -> BuildResult:
    """Run the whole build into `cfg.output`; returns where things went and the merged report."""
    specs = [SourceSpec.parse(s) for s in cfg.sources]
    if cfg.push_to_hub:
        from mcdata.push import check_push_ready

        check_push_ready(cfg.push_to_hub)  # no token or no Hub: say so now, not after the build
    check_output_folder(cfg.output)
    remove_card(cfg.output)
    with progress.live(cfg.progress):
        last, reports, resumed = _run_phases(specs, cfg)
        result = _write(last, reports, resumed, specs, cfg)
    if cfg.push_to_hub:
        from mcdata.push import push_folder

        result.pushed_commit = push_folder(cfg.output, cfg.push_to_hub, private=cfg.private)
    return result


def _run_phases(specs: list[SourceSpec], cfg: BuildConfig) -> tuple[Phase, list[BuildReport], list[str]]:
    root = cfg.output / ".build"
    resumed: list[str] = []
    reports: list[BuildReport] = []

    fp = _fingerprint([_source_state(s) for s in specs], cfg.collect, cfg.process, cfg.dedup, cfg.decontaminate)
    clean = Phase(root, "1-clean", fp, cfg.resume)
    if clean.done:
        resumed.append("clean")
    with progress.phase("collect + clean", None, cfg.progress and not clean.done):
        reports.append(_run_whole(clean, lambda r: _counted(clean_stream(specs, cfg, r)), cfg))
    last = clean

    if cfg.verify is not None:
        from mcdata.verify import verify_problems

        fp = _fingerprint(fp, cfg.verify)
        phase = Phase(root, "2-verify", fp, cfg.resume)
        if phase.done:
            resumed.append("verify")
        stage = lambda chunk, r: r.run_stage("verify", verify_problems, chunk, cfg.verify)  # noqa: E731
        with progress.phase("verify", last.rows(), cfg.progress and not phase.done):
            reports.append(_run_chunked(phase, last.read(), stage, cfg))
        last = phase

    fp = _fingerprint(fp, "dedup")
    phase = Phase(root, "3-dedup", fp, cfg.resume)
    if phase.done:
        resumed.append("dedup")
    contaminated = _contaminated_groups(reports[0])
    source = last

    def resolve(report: BuildReport) -> Iterable[Problem]:
        choice = choose_copies(source.read(), contaminated)
        return report.run_stage("dedup", resolve_duplicates, source.read(), choice)

    reports.append(_run_whole(phase, resolve, cfg))
    last = phase

    if cfg.difficulty != "none":
        last = _difficulty_phase(root, fp, last, cfg, reports, resumed)
    return last, reports, resumed


def _difficulty_phase(root: Path, fp: str, last: Phase, cfg: BuildConfig, reports: list[BuildReport], resumed: list[str]) -> Phase:
    from mcdata.difficulty import pass_rate_filter, predict_filter
    from mcdata.difficulty.pass_rate import sources_by_id

    stage_cfg = cfg.pass_rate if cfg.difficulty == "pass-rate" else cfg.predict
    fp = _fingerprint(fp, cfg.difficulty, stage_cfg)
    phase = Phase(root, "4-difficulty", fp, cfg.resume)
    if phase.done:
        resumed.append("difficulty")
    total = last.rows()
    if cfg.difficulty == "pass-rate":
        ids = sources_by_id(last.read())
        run = partial(pass_rate_filter, id_sources=ids)
        stage = lambda chunk, r: r.run_stage("pass_rate", run, chunk, cfg.pass_rate)  # noqa: E731
        with progress.phase("pass rates", total, cfg.progress and not phase.done):
            reports.append(_run_chunked(phase, last.read(), stage, cfg))
    else:
        run = partial(predict_filter, total=total)
        reports.append(_run_whole(phase, lambda r: r.run_stage("predict", run, last.read(), cfg.predict), cfg))
    return phase


def validation_keys(problems: Iterable[Problem], validation: float, total: int) -> set[str]:
    """A fixed, order-independent hold-out: the `validation` problems (count, or fraction of `total`)
    with the smallest hashes of source/id."""
    size = int(round(validation * total)) if validation < 1 else int(validation)
    if size <= 0:
        return set()
    ranked = sorted(hashlib.sha1(f"{p.source}/{p.problem_id}".encode()).hexdigest() + "\0" + f"{p.source}/{p.problem_id}"
                    for p in problems)
    return {entry.split("\0", 1)[1] for entry in ranked[: min(size, max(total - 1, 0))]}


def _write(last: Phase, reports: list[BuildReport], resumed: list[str], specs: list[SourceSpec], cfg: BuildConfig) -> BuildResult:
    report = BuildReport(strict=cfg.strict)
    for part in reports:
        report.merge(part)
    report.note("build", sources=[str(s) for s in specs], resumed_phases=resumed)
    if not cfg.decontaminate.against:
        report.note("build", warnings=["text and identifier decontamination is OFF: no LiveCodeBench reference was given "
                                       "(--decontaminate-against); only the contest-date rule ran"])
    stats = DatasetStats()
    held_out = validation_keys(last.read(), cfg.validation, last.rows()) if cfg.validation else set()
    splits = {"train": lambda p: f"{p.source}/{p.problem_id}" not in held_out}
    if held_out:
        splits["validation"] = lambda p: f"{p.source}/{p.problem_id}" in held_out

    shards: list[Path] = []
    for split, wanted in splits.items():
        def rows(wanted=wanted, split=split) -> Iterator[Problem]:
            for problem in last.read():
                if wanted(problem):
                    stats.add(problem, split)
                    yield problem

        shards += write_shards(rows(), cfg.output, dataclasses.replace(cfg.write, split=split))
    remove_other_splits(cfg.output, splits)
    exported = _export(last, splits, cfg)
    report.note("write", problems=stats.rows, splits=dict(stats.by_split), shards=[s.name for s in shards],
                by_source=dict(stats.by_source), verify_status=dict(stats.by_verify), licenses=dict(stats.by_license),
                upstream_defects=dict(stats.by_defect), judge_flags=dict(stats.by_judge_flag), exports=exported)
    report.save(cfg.output / "build_report.json", public=True)
    write_card(cfg.output, stats, report, shards, cfg.card, exports=exported)  # last: the folder is complete now
    return BuildResult(cfg.output, shards, stats.rows, report, resumed, stats)


def _export(last: Phase, splits: dict[str, Callable[[Problem], bool]], cfg: BuildConfig) -> list[str]:
    if "verl" not in cfg.export:
        shutil.rmtree(cfg.output / "verl", ignore_errors=True)
        return []
    from mcdata.export import write_verl

    return [write_verl((p for p in last.read() if wanted(p)), cfg.output / "verl" / f"{split}.parquet", split).relative_to(cfg.output).as_posix()
            for split, wanted in splits.items()]


__all__ = ["BuildConfig", "BuildResult", "build_dataset", "clean_stream", "default_sources"]
