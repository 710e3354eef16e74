"""LeetCodeDataset rows (newfacade/LeetCodeDataset) -> `Problem` in LiveCodeBench's functional format.

Both published schemas are read: v0.3.x (flat: starter_code, problem_description, estimated_date,
difficulty) and v0.2.0 (nested `meta`; the starter code is the fenced block of `query`).

Tests come from the row's `test` field — `def check(candidate): assert candidate(a=1, b=[2]) == 3` —
the suite LeetCodeDataset verified against its reference solutions. (Its `input_output` field is
NOT used: it holds printed results such as unquoted strings, ``-inf`` and "Error: ..." messages.)
Each assert becomes one functional test: the call's arguments, put in the method's signature order,
one JSON value per line; the expected value as JSON. Literals may use ``inf``/``-inf`` (JSON
``Infinity``). Problems whose tests build `ListNode`/`TreeNode` values (``list_node(...)``,
``tree_node(...)``, ``is_same_list``/``is_same_tree``) or are not `Solution().method` calls cannot be
expressed in that format and raise `UnsupportedProblem` with the reason; malformed rows raise
`SchemaError`. Both name the row (`where`) and the field.

The reference solution is stored as `prompt + completion`: LeetCodeDataset's import preamble
(`from typing import *`, `inf`, ...) followed by the solution, the program it verified.
Tests whose input appears as an example in the statement ("Input: a = 1, b = [2]") are public.
"""

from __future__ import annotations

import ast
import gzip
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mccore.schema import Problem, SchemaError, TestCase

LEETCODEDATASET_SOURCE = "leetcodedataset"
_NODE_HELPERS = ("list_node", "tree_node", "is_same_list", "is_same_tree", "ListNode", "TreeNode")
_ENTRY_POINT = re.compile(r"Solution\(\)\.(?P<name>[A-Za-z_]\w*)")
_FENCED_PYTHON = re.compile(r"```python\n(?P<code>.*?)```", re.DOTALL)
_EXAMPLE_INPUT = re.compile(r"Input:?\s*(?P<args>.+?)\s*\n\s*Output", re.DOTALL)

__all__ = ["UnsupportedProblem", "load_leetcodedataset", "problem_from_leetcodedataset_row"]


class UnsupportedProblem(SchemaError):
    """A well-formed row that the LiveCodeBench functional format cannot express (e.g. TreeNode inputs)."""


def load_leetcodedataset(path: str | Path, *, limit: int | None = None) -> tuple[list[Problem], list[str]]:
    """The problems of a LeetCodeDataset .jsonl or .jsonl.gz file (at most `limit`), and the reasons
    for the rows the functional format cannot express (`UnsupportedProblem`), so callers report them
    instead of losing them silently. A malformed row raises `SchemaError` naming file and line."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    problems: list[Problem] = []
    unsupported: list[str] = []
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if limit is not None and len(problems) >= limit:
                break
            if not line.strip():
                continue
            where = f"{path.name}: line {number}"
            try:
                problems.append(problem_from_leetcodedataset_row(json.loads(line), where=where))
            except json.JSONDecodeError as exc:
                raise SchemaError(f"{where}: malformed JSON ({exc})") from None
            except UnsupportedProblem as exc:
                unsupported.append(str(exc))
    return problems, unsupported


def problem_from_leetcodedataset_row(row: Mapping[str, Any], *, where: str) -> Problem:
    """One LeetCodeDataset row as a functional Problem (see the module docstring)."""
    meta = row.get("meta") or {}
    entry = _field(row, "entry_point", where)
    match = _ENTRY_POINT.fullmatch(entry.strip())
    if match is None:
        raise UnsupportedProblem(f"{where}: field 'entry_point' is {entry!r}, not a Solution().method call")
    func_name = match["name"]

    starter = row.get("starter_code") or _starter_from_query(row, where)
    params = _signature(starter, func_name, where)
    test_src = _field(row, "test", where)
    if any(helper in test_src for helper in _NODE_HELPERS):
        raise UnsupportedProblem(f"{where}: field 'test' builds ListNode/TreeNode values, which LCB's functional format cannot express")

    statement = row.get("problem_description") or meta.get("question_title") or ""
    examples = _example_inputs(statement, params)
    calls = _check_calls(test_src, where)
    if not calls:
        raise SchemaError(f"{where}: field 'test' has zero `assert candidate(...) == value` tests")
    tests = []
    for number, (args, expected) in enumerate(calls, 1):
        at = f"{where}: field 'test', assert {number}"
        values = _ordered_args(args, params, at)
        tests.append(
            TestCase(
                input="\n".join(_to_json(v, at) for v in values),
                output=_to_json(expected, at),
                testtype="functional",
                is_public=tuple(_to_json(v, at) for v in values) in examples,
            )
        )

    question_id = row.get("question_id", meta.get("question_id"))
    if question_id in (None, ""):
        raise SchemaError(f"{where}: missing field 'question_id'")
    difficulty = str(row.get("difficulty") or meta.get("difficulty") or "").lower() or None
    return Problem(
        problem_id=str(question_id),
        source=LEETCODEDATASET_SOURCE,
        statement=statement,
        title=str(row.get("task_id") or ""),
        tests=tuple(tests),
        starter_code=starter,
        func_name=func_name,
        solutions=(str(row.get("prompt") or "") + "\n" + str(row.get("completion") or ""),) if row.get("completion") else (),
        platform="leetcode",
        contest_date=row.get("estimated_date") or None,
        difficulty=difficulty if difficulty in ("easy", "medium", "hard") else None,
    )


def _field(row: Mapping[str, Any], name: str, where: str) -> str:
    value = row.get(name)
    if not isinstance(value, str) or not value.strip():
        raise SchemaError(f"{where}: missing or empty field {name!r}")
    return value


def _starter_from_query(row: Mapping[str, Any], where: str) -> str:
    """v0.2.0 rows have no starter_code: it is the fenced python block of the prompt (`query`)."""
    blocks = _FENCED_PYTHON.findall(str(row.get("query") or ""))
    if not blocks:
        raise SchemaError(f"{where}: missing field 'starter_code' (and no ```python block in 'query')")
    return blocks[-1].rstrip() + "\n        "


def _signature(starter: str, func_name: str, where: str) -> list[str]:
    """Parameter names of `func_name` (without self), in order, from the starter code."""
    match = re.search(rf"def\s+{re.escape(func_name)}\s*\((?P<params>.*?)\)\s*(->[^:]*)?:", starter, re.DOTALL)
    if match is None:
        raise SchemaError(f"{where}: field 'starter_code' has no `def {func_name}(...)`")
    try:
        fn = ast.parse(f"def f({match['params']}): pass").body[0]
    except SyntaxError as exc:
        raise SchemaError(f"{where}: field 'starter_code': cannot parse the signature of {func_name} ({exc.msg})") from None
    assert isinstance(fn, ast.FunctionDef)
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if not names or names[0] != "self":
        raise SchemaError(f"{where}: field 'starter_code': {func_name} is not a method taking self")
    return names[1:]


def _literal(node: ast.AST) -> Any:
    """ast.literal_eval that also knows LeetCodeDataset's `inf` name."""

    class _Inf(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.AST:
            return ast.Constant(math.inf) if name.id == "inf" else name

    return ast.literal_eval(_Inf().visit(node))


def _check_calls(source: str, where: str) -> list[tuple[tuple[list[Any], dict[str, Any]], Any]]:
    """((positional, keyword) arguments, expected value) of every assert in `def check(candidate)`."""
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise SchemaError(f"{where}: field 'test' is not Python ({exc.msg}, line {exc.lineno})") from None
    check = next((n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check is None:
        raise SchemaError(f"{where}: field 'test' defines no check(candidate)")
    calls = []
    for number, stmt in enumerate(check.body, 1):
        at = f"{where}: field 'test', statement {number}"
        if not (
            isinstance(stmt, ast.Assert)
            and isinstance(stmt.test, ast.Compare)
            and len(stmt.test.ops) == 1
            and isinstance(stmt.test.ops[0], ast.Eq)
            and isinstance(stmt.test.left, ast.Call)
            and isinstance(stmt.test.left.func, ast.Name)
            and stmt.test.left.func.id == "candidate"
        ):
            raise UnsupportedProblem(f"{at}: not of the form `assert candidate(...) == value`")
        call = stmt.test.left
        try:
            args = [_literal(a) for a in call.args]
            kwargs = {kw.arg: _literal(kw.value) for kw in call.keywords if kw.arg is not None}
            expected = _literal(stmt.test.comparators[0])
        except (ValueError, TypeError, SyntaxError, RecursionError) as exc:
            raise UnsupportedProblem(f"{at}: arguments or expected value are not literals ({exc})") from None
        if len(kwargs) != len(call.keywords):
            raise UnsupportedProblem(f"{at}: **kwargs in a test call")
        calls.append(((args, kwargs), expected))
    return calls


def _ordered_args(args: tuple[list[Any], dict[str, Any]], params: list[str], at: str) -> list[Any]:
    positional, keywords = args
    if len(positional) > len(params):
        raise SchemaError(f"{at}: {len(positional)} positional arguments for parameters {params}")
    values = dict(zip(params, positional))
    for name, value in keywords.items():
        if name not in params or name in values:
            raise SchemaError(f"{at}: argument {name!r} does not fit the signature {params}")
        values[name] = value
    missing = [p for p in params if p not in values]
    if missing:
        raise SchemaError(f"{at}: missing argument(s) {missing} for the signature {params}")
    return [values[p] for p in params]


def _to_json(value: Any, at: str) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise UnsupportedProblem(f"{at}: value {value!r:.60} is not JSON-representable ({exc})") from None


def _example_inputs(statement: str, params: list[str]) -> set[tuple[str, ...]]:
    """JSON argument tuples of the statement's examples ("Input: a = 1, b = [2]"); unparsable ones are skipped."""
    found = set()
    for match in _EXAMPLE_INPUT.finditer(statement):
        try:
            call = ast.parse(f"f({match['args']})", mode="eval").body
            assert isinstance(call, ast.Call)
            kwargs = {kw.arg: _literal(kw.value) for kw in call.keywords}
            found.add(tuple(json.dumps(v) for v in _ordered_args(([], kwargs), params, "")))  # type: ignore[arg-type]
        except (SyntaxError, ValueError, TypeError, AssertionError, SchemaError, RecursionError):
            continue
    return found
