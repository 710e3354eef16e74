"""APPS (codeparrot/apps) and TACO (BAAI/TACO): `input_output` JSON with optional `fn_name`.

Call-based rows follow LiveCodeBench's functional convention after conversion: one JSON value
per argument line, one JSON value as the output. Two APPS quirks are handled here:
- Codewars outputs are wrapped as `[x]`; when EVERY output of a row is a one-element list we
  unwrap them (APPS's own checker accepts either) and record `stats["unwrapped_outputs"]`.
- Codewars problems define a top-level function, but the grader calls `Solution().<fn_name>`;
  we rewrite the starter code into a `class Solution` method and append a one-line shim class to
  each reference solution that lacks one, so the same code runs unchanged.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from mccore.schema import Problem, TestCase
from mcdata.adapters.base import (
    RowError, difficulty_of, iso_date, loads_lenient, parse_megabytes, parse_seconds, platform_of, register, require,
    stable_id, stdin_tests,
)
from mcdata.io import RowRef
from mcdata.licenses import upstream


def functional_tests(inputs: Any, outputs: Any, field: str) -> tuple[list[TestCase], bool]:
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
        raise RowError(field, "call-based inputs/outputs must be lists of equal length")
    unwrap = bool(outputs) and all(isinstance(o, list) and len(o) == 1 for o in outputs)
    tests = []
    for args, out in zip(inputs, outputs):
        if not isinstance(args, list):
            args = [args]
        try:
            tests.append(
                TestCase(
                    "\n".join(json.dumps(a) for a in args),
                    json.dumps(out[0] if unwrap else out),
                    "functional",
                )
            )
        except (TypeError, ValueError) as exc:
            raise RowError(field, f"argument not JSON-serialisable: {exc}") from None
    return tests, unwrap


def _has_solution_class(code: str) -> bool:
    return "class Solution" in code


def solution_shim(code: str, fn_name: str) -> str | None:
    """Make a top-level-function solution callable as `Solution().fn_name` (None: not applicable)."""
    if _has_solution_class(code):
        return code
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == fn_name for n in tree.body) and not any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == fn_name for t in n.targets) for n in tree.body
    ):
        return None
    return (
        f"{code.rstrip()}\n\n\nclass Solution:\n    def {fn_name}(self, *args):\n"
        f"        return globals()[{fn_name!r}](*args)\n"
    )


def class_starter(starter: str, fn_name: str) -> str:
    """`def f(a, b):` -> `class Solution:\n    def f(self, a, b):` (LeetCode starters pass through)."""
    if _has_solution_class(starter) or not starter.strip():
        return starter or f"class Solution:\n    def {fn_name}(self, *args):\n        "
    lines = [line.rstrip() for line in starter.strip("\n").splitlines() if line.strip()]
    body = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(f"def {fn_name}("):
            line = line.replace(f"def {fn_name}(", f"def {fn_name}(self, ", 1).replace("(self, )", "(self)")
        body.append("    " + line)
    return "class Solution:\n" + "\n".join(body) + "\n        "


def _solutions(row: dict[str, Any]) -> list[str]:
    raw = row.get("solutions")
    if raw in (None, "", []):
        return []
    value = loads_lenient(raw, "solutions")
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise RowError("solutions", "expected a list of code strings")
    return value


def _convert(row: dict[str, Any], ref: RowRef, source: str) -> Problem:
    statement = require(row, "question")
    io = loads_lenient(require(row, "input_output"), "input_output")
    if not isinstance(io, dict):
        raise RowError("input_output", "expected an object with inputs/outputs")
    inputs, outputs = io.get("inputs"), io.get("outputs")
    if not inputs:
        raise RowError("input_output", "no tests (inputs is empty)")
    fn_name = io.get("fn_name") or None
    solutions = _solutions(row)
    stats: dict[str, Any] = {}
    starter = row.get("starter_code") or ""
    if fn_name:
        tests, unwrapped = functional_tests(inputs, outputs, "input_output")
        if unwrapped:
            stats["unwrapped_outputs"] = True
        if not _has_solution_class(starter):
            stats["solution_shim"] = True
        shimmed = [solution_shim(s, fn_name) for s in solutions]
        solutions = [s for s in shimmed if s is not None]
        starter = class_starter(starter, fn_name)
    else:
        tests = stdin_tests(inputs, outputs, "input_output")
    label = row.get("difficulty")
    if label:
        stats["source_difficulty"] = str(label)
    if row.get("url"):
        stats["url"] = str(row["url"])
    native = row.get("problem_id", row.get("id"))
    problem_id = str(native) if native not in (None, "") else stable_id(statement)
    return Problem(
        problem_id=problem_id,
        source=source,
        statement=statement,
        tests=tuple(tests),
        title=str(row.get("name") or row.get("title") or ""),
        starter_code=starter,
        func_name=fn_name,
        solutions=tuple(solutions),
        platform=platform_of(row.get("url"), row.get("source")),
        contest_date=iso_date(row.get("date")) if source == "taco" else None,
        difficulty=difficulty_of(label),
        time_limit_s=parse_seconds(row.get("time_limit")),
        memory_limit_mb=parse_megabytes(row.get("memory_limit")),
        license=upstream("APPS" if source == "apps" else "TACO").license,
        stats=stats,
    )


@register("apps", "APPS rows (codeparrot/apps layout: question, solutions, input_output[, fn_name])", "codeparrot/apps")
def convert_apps(row: dict[str, Any], ref: RowRef) -> Problem:
    return _convert(row, ref, "apps")


@register("taco", "TACO rows (BAAI/TACO: APPS layout plus source, date, limits, tags)", "BAAI/TACO")
def convert_taco(row: dict[str, Any], ref: RowRef) -> Problem:
    return _convert(row, ref, "taco")
