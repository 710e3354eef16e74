"""Stage 1, collect: read every `--source FORMAT=PATH_OR_HUB_ID` through its adapter into `Problem`s.

A row that cannot be read or converted becomes a rejection naming the file, row and field (or, in
strict mode, stops the build with that message). A source none of whose rows converts is not a
"0-problem build" but a wrong `FORMAT` (or a wrong file): the build stops with a hint. Problems
stream out one at a time.

Problem ids are unique per (source, split): APPS train and test both number their problems 0-4999,
so the same id in two splits (two input files, or two Hub splits) is two problems; the later one is
renamed `ID@SPLIT` (the original id kept in `stats["upstream_id"]`). Inside one split, a row repeating
an earlier row (same id, statement and tests) is rejected as a duplicate row; a row with the same id
but other content (sources without ids get one hashed from the statement, so two copies of a statement
with different tests collide) is renamed `ID#N` and left to the dedup stage, which keeps the better copy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mccore.schema import Problem, SchemaError
from mcdata.adapters import get_adapter
from mcdata.io import RowReadError, iter_rows
from mcdata.report import BuildReport, StageCounts

STAGE = "collect"


class SourceFormatError(ValueError):
    """No row of a source converted with its adapter: almost always the wrong FORMAT for the file."""


@dataclass(frozen=True)
class SourceSpec:
    """One input: an adapter name and a local path or Hub id (`owner/name[:config][@split][#revision]`)."""

    format: str
    location: str

    @classmethod
    def parse(cls, text: str) -> "SourceSpec":
        fmt, sep, location = text.partition("=")
        if not sep or not fmt.strip() or not location.strip():
            raise ValueError(f"--source {text!r}: expected FORMAT=PATH_OR_HUB_ID, e.g. apps=data/apps.jsonl")
        get_adapter(fmt.strip())  # unknown format -> clear ValueError now, not mid-build
        return cls(fmt.strip(), location.strip())

    def __str__(self) -> str:
        return f"{self.format}={self.location}"


@dataclass
class CollectConfig:
    """> Parameters of the collect stage.

    limit_per_source: stop after this many rows of each source (None: all) — for quick trials.
    """

    limit_per_source: int | None = None

    def __post_init__(self) -> None:
        if self.limit_per_source is not None and self.limit_per_source < 1:
            raise ValueError(f"limit_per_source must be >= 1 (or None for all rows), got {self.limit_per_source}")


def _field_named_in(message: str) -> str | None:
    """The evaluator's loaders name the field in the message ("..., row 3: field 'test' ...")."""
    match = re.search(r"field '([A-Za-z_][\w.]*)'", message)
    return match.group(1) if match else None


def split_of(location: str) -> str:
    """The split a row comes from: a Hub spec's `@split`, else the input file's name without suffixes."""
    if location.startswith("hf://") and "@" in location:
        return location.rpartition("@")[2].split("#", 1)[0] or "train"
    name = Path(location.split("#", 1)[0]).name
    return name.split(".", 1)[0] or name


@dataclass
class _SourceTally:
    rows: int = 0
    problems: int = 0
    first_error: str | None = None


def collect(sources: Iterable[SourceSpec], cfg: CollectConfig, report: BuildReport) -> Iterator[Problem]:
    """Problems from every source in order; bad rows are rejected (lenient) or raise (strict)."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}  # (source, problem id) -> (split, content digest)
    rows_read = report.stages.setdefault(STAGE, StageCounts()).seen  # "in" = raw rows, "out" = problems
    for spec in sources:
        adapter = get_adapter(spec.format)
        tally = _SourceTally()
        for n, (ref, row) in enumerate(iter_rows(spec.location, format=spec.format)):
            if cfg.limit_per_source is not None and n >= cfg.limit_per_source:
                break
            rows_read[spec.format] += 1
            tally.rows += 1
            if isinstance(row, RowReadError):
                tally.first_error = tally.first_error or row.reason
                report.reject(STAGE, spec.format, ref.row, row.reason, location=ref.location, kind="unreadable row",
                              input_error=True)
                continue
            try:
                problem = adapter.convert(row, ref)
            except (SchemaError, ValueError, TypeError, KeyError) as exc:
                field = getattr(exc, "field", None) or _field_named_in(str(exc))
                reason = getattr(exc, "reason", None) or str(exc)
                tally.first_error = tally.first_error or (f"field {field!r}: {reason}" if field else reason)
                report.reject(
                    STAGE, spec.format, ref.row, reason, field=field, location=ref.location,
                    kind=f"bad field {field}" if field else "row does not convert", input_error=True,
                )
                continue
            split = split_of(ref.location)
            key = (problem.source, problem.problem_id)
            digest = _content(problem)
            if key in seen:
                if seen[key] == (split, digest):
                    report.reject(
                        STAGE, spec.format, ref.row, f"duplicate row: problem id {problem.problem_id!r} with the same content in split {split!r}",
                        problem_id=problem.problem_id, location=ref.location, kind="duplicate row",
                    )
                    continue
                problem = _renamed(problem, split if seen[key][0] != split else None, seen)
                key = (problem.source, problem.problem_id)
            seen[key] = (split, digest)
            tally.problems += 1
            yield problem
        _check_source(spec, tally)


def _content(problem: Problem) -> str:
    text = "\x1f".join([problem.statement, *(f"{t.input}\x1e{t.output}" for t in problem.tests)])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _renamed(problem: Problem, other_split: str | None, seen: dict) -> Problem:
    """`ID@SPLIT` for the same id in another split, else `ID#N` (the first free N >= 2)."""
    base = f"{problem.problem_id}@{other_split}" if other_split else problem.problem_id
    candidate, n = base, 2
    while (problem.source, candidate) in seen or candidate == problem.problem_id:
        candidate, n = f"{base}#{n}", n + 1
    return problem.with_(problem_id=candidate, stats={**problem.stats, "upstream_id": problem.problem_id})


def _check_source(spec: SourceSpec, tally: _SourceTally) -> None:
    """A source that yields rows but not one problem is the wrong format (or the wrong file)."""
    if tally.rows == 0:
        raise SourceFormatError(f"--source {spec}: no rows in this input")
    if tally.problems == 0:
        raise SourceFormatError(
            f"--source {spec}: 0/{tally.rows} rows parsed as {spec.format} — wrong format? "
            f"(first error: {(tally.first_error or 'none')[:160]})"
        )
