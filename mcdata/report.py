"""What a dataset build did: per-stage/per-source counts and every rejection with its reason.

Every pipeline stage has the signature ``stage(problems: Iterable[Problem], cfg, report) -> Iterator[Problem]``.
A stage that drops a problem (or a row it could not read) calls ``report.reject(...)``; it never drops
silently. In strict mode a rejection marked ``input_error`` (a row that cannot be read or converted)
raises ``RejectionError`` instead, naming file/row/field, so bad input stops the build at the first
bad row; ordinary filtering (duplicates, decontamination, verification, difficulty) never raises. The pipeline wraps each stage with ``report.track`` to count
problems in and out, so stages do not count themselves. ``build_report.json`` is ``report.to_dict()``.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import Any

from mccore.atomic import atomic_write_text
from mccore.schema import Problem, SchemaError


class RejectionError(SchemaError):
    """Raised by ``BuildReport.reject`` in strict mode; the message names stage, source, row and field."""

    def __init__(self, rejection: "Rejection") -> None:
        self.rejection = rejection
        super().__init__(rejection.describe())


@dataclass(frozen=True)
class Rejection:
    """One problem (or unreadable input row) removed from the build, and why.

    `row` locates it in its input: a row number for collection errors (0-based, in file order),
    else the problem id. `field` names the offending field when there is one (e.g. "input_output").
    `detail` carries machine-readable extras (e.g. the duplicate's id, the matched n-gram).
    """

    stage: str
    source: str
    row: int | str | None
    reason: str
    field: str | None = None
    problem_id: str | None = None
    detail: dict[str, Any] = dc_field(default_factory=dict)
    location: str | None = None  # input file or Hub id, for collection errors
    kind: str | None = None  # short stable category for the summary, e.g. "near-duplicate"

    def describe(self) -> str:
        where = f"{self.source} ({self.location})" if self.location else f"{self.source}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field {self.field!r}"
        return f"[{self.stage}] {where}: {self.reason}"


@dataclass
class StageCounts:
    """Problems entering and leaving one stage, in total and per source."""

    seen: Counter = dc_field(default_factory=Counter)
    kept: Counter = dc_field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "in": sum(self.seen.values()),
            "out": sum(self.kept.values()),
            "per_source": {
                s: {"in": self.seen[s], "out": self.kept[s]} for s in sorted(set(self.seen) | set(self.kept))
            },
        }


@dataclass
class BuildReport:
    """Accumulates counts and rejections across stages. Not thread-safe: stages report from the main process."""

    strict: bool = False
    stages: dict[str, StageCounts] = dc_field(default_factory=dict)
    rejections: list[Rejection] = dc_field(default_factory=list)
    # Free-form per-stage facts worth keeping (e.g. {"decontaminate": {"lcb_statements": 880}}).
    notes: dict[str, dict[str, Any]] = dc_field(default_factory=dict)

    def reject(
        self,
        stage: str,
        source: str,
        row: int | str | None,
        reason: str,
        *,
        field: str | None = None,
        problem_id: str | None = None,
        detail: dict[str, Any] | None = None,
        location: str | None = None,
        kind: str | None = None,
        input_error: bool = False,
    ) -> Rejection:
        """Record a removal; in strict mode an `input_error` raises `RejectionError` instead."""
        rejection = Rejection(stage, source, row, reason, field, problem_id, dict(detail or {}), location, kind)
        if self.strict and input_error:
            raise RejectionError(rejection)
        self.rejections.append(rejection)
        return rejection

    def reject_problem(self, stage: str, problem: Problem, reason: str, **kwargs: Any) -> Rejection:
        """Shorthand for removing a whole, already-parsed problem."""
        return self.reject(stage, problem.source, problem.problem_id, reason, problem_id=problem.problem_id, **kwargs)

    def note(self, stage: str, **facts: Any) -> None:
        self.notes.setdefault(stage, {}).update(facts)

    def track(self, stage: str, problems: Iterable[Problem], *, counting: str = "in") -> Iterator[Problem]:
        """Pass problems through unchanged, counting them as entering (`counting="in"`) or leaving a stage."""
        counts = self.stages.setdefault(stage, StageCounts())  # registered now: stages keep pipeline order
        counter = counts.seen if counting == "in" else counts.kept

        def counted() -> Iterator[Problem]:
            for problem in problems:
                counter[problem.source] += 1
                yield problem

        return counted()

    def run_stage(self, stage: str, fn, problems: Iterable[Problem], cfg: Any) -> Iterator[Problem]:
        """`fn(problems, cfg, self)` with its input and output counted under `stage`."""
        return self.track(stage, fn(self.track(stage, problems, counting="in"), cfg, self), counting="out")

    def rejections_by(self, stage: str | None = None) -> list[Rejection]:
        return [r for r in self.rejections if stage is None or r.stage == stage]

    def reasons(self) -> dict[str, dict[str, int]]:
        """Rejection counts per stage and kind (else the reason's text before the first ':'), for the card."""
        out: dict[str, Counter] = defaultdict(Counter)
        for r in self.rejections:
            out[r.stage][r.kind or r.reason.split(":", 1)[0]] += 1
        return {stage: dict(c) for stage, c in out.items()}

    def merge(self, other: "BuildReport") -> None:
        """Fold in a report of earlier work (e.g. the stages a resumed build did not rerun)."""
        for name, counts in other.stages.items():
            mine = self.stages.setdefault(name, StageCounts())
            mine.seen.update(counts.seen)
            mine.kept.update(counts.kept)
        self.rejections.extend(other.rejections)
        for stage, facts in other.notes.items():
            self.notes.setdefault(stage, {}).update(facts)

    def to_dict(self, *, public: bool = False) -> dict[str, Any]:
        """The report as JSON data; `public=True` (the published build_report.json) replaces local
        absolute paths by short relative ones, so a pushed report does not expose the build machine."""
        data = {
            "strict": self.strict,
            "stages": {name: c.to_dict() for name, c in self.stages.items()},
            "rejection_counts": self.reasons(),
            "notes": {k: v for k, v in self.notes.items()},
            "rejections": [asdict(r) for r in self.rejections],
        }
        return _without_local_paths(data) if public else data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BuildReport":
        report = cls(strict=bool(data.get("strict", False)))
        for name, c in data.get("stages", {}).items():
            counts = StageCounts()
            for source, pair in c.get("per_source", {}).items():
                counts.seen[source] = pair["in"]
                counts.kept[source] = pair["out"]
            report.stages[name] = counts
        report.rejections = [Rejection(**r) for r in data.get("rejections", [])]
        for stage, facts in data.get("notes", {}).items():
            report.notes[stage] = dict(facts)
        return report

    def save(self, path: str | os.PathLike, *, public: bool = False) -> Path:
        """Write JSON atomically (tmp file + os.replace)."""
        text = json.dumps(self.to_dict(public=public), indent=2, sort_keys=False, default=str)
        return atomic_write_text(Path(path), text + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "BuildReport":
        return cls.from_dict(json.loads(Path(path).read_text()))




def public_location(text: str) -> str:
    """A local absolute path as the user would name it: relative to the working folder when inside it,
    else its last two parts (`.../leetcodedataset/test.jsonl.gz`); anything else (Hub ids) unchanged.
    `FORMAT=PATH` source strings keep their format prefix."""
    prefix, sep, rest = text.partition("=")
    if sep and "/" not in prefix and rest.startswith(("/", "~")):
        return f"{prefix}={public_location(rest)}"
    if not text.startswith(("/", "~")):
        return text
    path = Path(text).expanduser()
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return ".../" + "/".join(path.parts[-2:])


def _without_local_paths(value: Any) -> Any:
    if isinstance(value, str):
        return public_location(value) if value.startswith(("/", "~")) or "=/" in value[:40] else value
    if isinstance(value, list):
        return [_without_local_paths(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_local_paths(v) for k, v in value.items()}
    return value
