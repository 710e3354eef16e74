"""Stage 1, collect: read every `--source FORMAT=PATH_OR_HUB_ID` through its adapter into `Problem`s.

A row that cannot be read or converted becomes a rejection naming the file, row and field
(or, in strict mode, stops the build with that message). Problems stream out one at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from mcdata.adapters import get_adapter
from mcdata.io import RowReadError, iter_rows
from mcdata.report import BuildReport, StageCounts
from mcdata.schema import Problem, SchemaError

STAGE = "collect"


@dataclass(frozen=True)
class SourceSpec:
    """One input: an adapter name and a local path or Hub id (`owner/name[:config][@split]`)."""

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


def _field_named_in(message: str) -> str | None:
    """The evaluator's loaders name the field in the message ("..., row 3: field 'test' ...")."""
    match = re.search(r"field '([A-Za-z_][\w.]*)'", message)
    return match.group(1) if match else None


def collect(sources: Iterable[SourceSpec], cfg: CollectConfig, report: BuildReport) -> Iterator[Problem]:
    """Problems from every source in order; bad rows are rejected (lenient) or raise (strict)."""
    seen: set[tuple[str, str]] = set()
    rows_read = report.stages.setdefault(STAGE, StageCounts()).seen  # "in" = raw rows, "out" = problems
    for spec in sources:
        adapter = get_adapter(spec.format)
        for n, (ref, row) in enumerate(iter_rows(spec.location)):
            if cfg.limit_per_source is not None and n >= cfg.limit_per_source:
                break
            rows_read[spec.format] += 1
            if isinstance(row, RowReadError):
                report.reject(STAGE, spec.format, ref.row, row.reason, location=ref.location, kind="unreadable row")
                continue
            try:
                problem = adapter.convert(row, ref)
            except (SchemaError, ValueError, TypeError, KeyError) as exc:
                field = getattr(exc, "field", None) or _field_named_in(str(exc))
                report.reject(
                    STAGE, spec.format, ref.row, getattr(exc, "reason", None) or str(exc),
                    field=field, location=ref.location,
                    kind=f"bad field {field}" if field else "row does not convert",
                )
                continue
            key = (problem.source, problem.problem_id)
            if key in seen:
                report.reject(
                    STAGE, spec.format, ref.row, f"duplicate problem id {problem.problem_id!r}",
                    problem_id=problem.problem_id, location=ref.location, kind="duplicate id",
                )
                continue
            seen.add(key)
            yield problem
