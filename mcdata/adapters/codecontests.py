"""CodeContests: the deepmind/code_contests layout, and SandboxFusion's repack of it.

deepmind rows keep tests in `public_tests` / `private_tests` / `generated_tests`
(`{input: [...], output: [...]}`) and Python 3 solutions under `solutions.language == 3`.
SandboxFusion rows (`content`, `labels` JSON, `test` JSON `[{input: {stdin}, output: {stdout}}]`)
carry every test in one list with no public/private split, and no solutions.
Generated tests are kept: they can be wrong, which verification (reference agreement) catches.
"""

from __future__ import annotations

from typing import Any

from mccore.schema import Problem, TestCase
from mcdata.adapters.base import (
    RowError, difficulty_of, loads_lenient, parse_megabytes, parse_seconds, register, require, stable_id,
)
from mcdata.io import RowRef
from mcdata.licenses import upstream

# deepmind/code_contests enums (from its proto definition)
SOURCES = {1: "codechef", 2: "codeforces", 3: "other", 4: "other", 5: "atcoder", 6: "other"}
DIFFICULTIES = {1: "easy", 2: "medium", 3: "hard", 4: "hard", 5: "hard"}
PYTHON3 = 3


def _split(value: Any, field: str, public: bool) -> list[TestCase]:
    if value in (None, ""):
        return []
    value = loads_lenient(value, field)
    if not isinstance(value, dict):
        raise RowError(field, "expected {input: [...], output: [...]}")
    inputs, outputs = value.get("input") or [], value.get("output") or []
    if len(inputs) != len(outputs):
        raise RowError(field, f"{len(inputs)} inputs but {len(outputs)} outputs")
    return [TestCase(str(i), str(o), "stdin", public) for i, o in zip(inputs, outputs)]


def _deepmind(row: dict[str, Any]) -> Problem:
    statement = require(row, "description")
    tests = (
        _split(row.get("public_tests"), "public_tests", True)
        + _split(row.get("private_tests"), "private_tests", False)
        + _split(row.get("generated_tests"), "generated_tests", False)
    )
    if not tests:
        raise RowError("public_tests", "no tests in public_tests/private_tests/generated_tests")
    solutions: list[str] = []
    sols = row.get("solutions")
    if isinstance(sols, dict):
        solutions = [s for lang, s in zip(sols.get("language") or [], sols.get("solution") or []) if lang == PYTHON3]
    source = row.get("source")
    rating = row.get("cf_rating")
    stats = {"source_difficulty": str(row.get("difficulty"))} if row.get("difficulty") is not None else {}
    if rating:
        stats["cf_rating"] = rating
    if row.get("cf_contest_id") and row.get("cf_index"):
        stats.update(cf_contest_id=int(row["cf_contest_id"]), cf_index=str(row["cf_index"]))
    return Problem(
        problem_id=str(row.get("name") or stable_id(statement)),
        source="codecontests",
        statement=statement,
        tests=tuple(tests),
        title=str(row.get("name") or ""),
        solutions=tuple(solutions),
        platform=SOURCES.get(source, "other") if isinstance(source, int) else "other",
        difficulty=difficulty_of(None, rating) or DIFFICULTIES.get(row.get("difficulty")),
        time_limit_s=parse_seconds(row.get("time_limit")),
        memory_limit_mb=parse_megabytes(row.get("memory_limit_bytes")),
        license=upstream("CodeContests").license,
        stats=stats,
    )


def _sandboxfusion(row: dict[str, Any]) -> Problem:
    statement = require(row, "content")
    labels = loads_lenient(row.get("labels") or "{}", "labels")
    if not isinstance(labels, dict):
        raise RowError("labels", "expected a JSON object")
    raw = loads_lenient(require(row, "test"), "test")
    if not isinstance(raw, list):
        raise RowError("test", "expected a list of {input: {stdin}, output: {stdout}}")
    tests = []
    for n, t in enumerate(raw):
        try:
            tests.append(TestCase(t["input"]["stdin"], t["output"]["stdout"], "stdin", False))
        except (KeyError, TypeError):
            raise RowError("test", f"test {n} lacks input.stdin/output.stdout") from None
    name = labels.get("name")
    return Problem(
        problem_id=str(name or row.get("id") or stable_id(statement)),
        source="codecontests",
        statement=statement,
        tests=tuple(tests),
        title=str(name or ""),
        platform=str(labels.get("source", "other")).lower() if str(labels.get("source", "")).lower() in ("codeforces", "codechef", "atcoder") else "other",
        difficulty=difficulty_of(labels.get("difficulty")),
        license=upstream("CodeContests").license,
        stats={"source_difficulty": str(labels["difficulty"])} if labels.get("difficulty") else {},
    )


@register("codecontests", "CodeContests (deepmind/code_contests, or SandboxFusion's content/test/labels repack)", "deepmind/code_contests")
def convert_codecontests(row: dict[str, Any], ref: RowRef) -> Problem:
    if "description" in row:
        return _deepmind(row)
    if "content" in row and "test" in row:
        return _sandboxfusion(row)
    raise RowError(None, "neither deepmind (description, *_tests) nor SandboxFusion (content, test) layout")
