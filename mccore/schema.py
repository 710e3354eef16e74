"""The one problem schema shared by the dataset builder, the evaluator and the trainer.

Every component passes `Problem` objects, never raw dicts. `PROBLEM_FEATURES` declares the
same schema for `datasets` / Parquet, so a row written by `mcdata` reads back into an
identical `Problem` (`Problem.from_row(p.to_row()) == p`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, Mapping

import pyarrow as pa

TestType = Literal["stdin", "functional"]
TEST_TYPES: tuple[str, ...] = ("stdin", "functional")
PLATFORMS: tuple[str, ...] = ("atcoder", "codeforces", "leetcode", "codechef", "hackerrank", "kattis", "other")
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")


class SchemaError(ValueError):
    """A row does not fit the problem schema; the message names the field."""


@dataclass(frozen=True)
class TestCase:
    """One test. Stdin tests hold raw text; functional tests hold one JSON value per input line
    (the positional arguments) and one JSON value as output, as in LiveCodeBench."""

    __test__ = False  # not a pytest test class, despite the name

    input: str
    output: str
    testtype: TestType = "stdin"
    is_public: bool = False

    def __post_init__(self) -> None:
        if self.testtype not in TEST_TYPES:
            raise SchemaError(f"testtype must be one of {TEST_TYPES}, got {self.testtype!r}")
        if not isinstance(self.input, str) or not isinstance(self.output, str):
            raise SchemaError("test input and output must be strings")


@dataclass(frozen=True)
class Problem:
    """A competitive-programming problem with its tests.

    `func_name` set means a functional (LeetCode-style) problem: the code defines
    `class Solution` with that method; otherwise the code is a stdin/stdout program.
    `stats` holds numbers later stages attach (verification and difficulty scores);
    it is stored as a JSON string column so the Arrow schema stays fixed.
    """

    problem_id: str
    source: str
    statement: str
    tests: tuple[TestCase, ...]
    title: str = ""
    starter_code: str = ""
    func_name: str | None = None
    solutions: tuple[str, ...] = ()
    platform: str = "other"
    contest_date: str | None = None
    difficulty: str | None = None
    time_limit_s: float | None = None
    memory_limit_mb: int | None = None
    license: str = "unknown"
    stats: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.problem_id:
            raise SchemaError("problem_id is empty")
        object.__setattr__(self, "tests", tuple(self.tests))
        object.__setattr__(self, "solutions", tuple(self.solutions))
        object.__setattr__(self, "stats", dict(self.stats))

    # Frozen dataclasses hash their fields; `stats` is a dict, so hash by identity of the id.
    def __hash__(self) -> int:
        return hash((self.source, self.problem_id))

    @property
    def is_functional(self) -> bool:
        return bool(self.func_name)

    @property
    def public_tests(self) -> tuple[TestCase, ...]:
        return tuple(t for t in self.tests if t.is_public)

    def with_(self, **changes: Any) -> "Problem":
        """A copy with some fields changed (the dataclass is frozen)."""
        return replace(self, **changes)

    def to_row(self) -> dict[str, Any]:
        """The Arrow/`datasets` row for this problem (see PROBLEM_FEATURES)."""
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["tests"] = [
            {"input": t.input, "output": t.output, "testtype": t.testtype, "is_public": t.is_public}
            for t in self.tests
        ]
        row["solutions"] = list(self.solutions)
        row["stats"] = json.dumps(self.stats, sort_keys=True)
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Problem":
        """Inverse of `to_row`; raises SchemaError naming the field that does not fit."""
        missing = [n for n in ("problem_id", "source", "statement", "tests") if n not in row]
        if missing:
            raise SchemaError(f"missing field(s) {missing}")
        try:
            tests = tuple(
                TestCase(t["input"], t["output"], t.get("testtype", "stdin"), bool(t.get("is_public", False)))
                for t in row["tests"]
            )
        except (KeyError, TypeError) as exc:
            raise SchemaError(f"field 'tests': {exc!r}") from exc
        stats = row.get("stats") or {}
        if isinstance(stats, str):
            try:
                stats = json.loads(stats)
            except json.JSONDecodeError as exc:
                raise SchemaError(f"field 'stats' is not JSON: {exc}") from exc
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in row.items() if k in known}
        kwargs.update(tests=tests, stats=stats, solutions=tuple(row.get("solutions") or ()))
        kwargs["problem_id"] = str(kwargs["problem_id"])
        return cls(**kwargs)


def _features():
    # Imported lazily: `datasets` is slow to import and the grader does not need it.
    from datasets import Features, List, Value

    return Features(
        {
            "problem_id": Value("string"),
            "source": Value("string"),
            "statement": Value("string"),
            "tests": List(
                {
                    "input": Value("string"),
                    "output": Value("string"),
                    "testtype": Value("string"),
                    "is_public": Value("bool"),
                }
            ),
            "title": Value("string"),
            "starter_code": Value("string"),
            "func_name": Value("string"),
            "solutions": List(Value("string")),
            "platform": Value("string"),
            "contest_date": Value("string"),
            "difficulty": Value("string"),
            "time_limit_s": Value("float64"),
            "memory_limit_mb": Value("int64"),
            "license": Value("string"),
            "stats": Value("string"),
        }
    )


def problem_features():
    """`datasets.Features` of a problem row: the card's `dataset_info` and loaders use it."""
    return _features()


def arrow_schema() -> pa.Schema:
    """The pyarrow schema every Parquet file of MicroCoder-Dataset follows (features embedded)."""
    return problem_features().arrow_schema
