"""DeepCoder-Preview (agentica-org/DeepCoder-Preview-Dataset) and rllm's test files.

`tests` comes in two shapes: the TACO dict `{"inputs": [...], "outputs": [...][, "fn_name"]}`
and the LiveCodeBench list `[{"input", "output", "testtype": "stdin"|"functional"}]`, whose
functional tests take `func_name` from `metadata`. Rows carry no id, so the id is a hash of the
statement (stable whatever the row order).

DeepCoder re-packs other data sets, so each row is labelled with the license of the upstream it came
from (read off the file name or Hub config: CodeContests, CodeElo, TACO, LiveCodeBench,
PrimeIntellect), not DeepCoder's bundle label. CodeElo statements end with the problem's tags (a
hint about the solution) and its limits: the tags are moved to `stats["tags"]` (flagged as the
upstream defect "tags_in_statement") and the limits fill `time_limit_s` / `memory_limit_mb`.
"""

from __future__ import annotations

from typing import Any

from mccore.schema import Problem, TestCase
from mcdata.adapters.apps import class_starter, functional_tests, solution_shim
from mcdata.adapters.base import RowError, loads_lenient, register, require, stable_id, stdin_tests
from mcdata.checks import split_tags, stated_limits
from mcdata.io import RowRef
from mcdata.licenses import deepcoder_upstream


def _tests(raw: Any, func_name: str | None) -> tuple[list[TestCase], str | None]:
    if isinstance(raw, dict):
        fn = raw.get("fn_name") or func_name
        if fn:
            return functional_tests(raw.get("inputs"), raw.get("outputs"), "tests")[0], fn
        return stdin_tests(raw.get("inputs"), raw.get("outputs"), "tests"), None
    if isinstance(raw, list):
        tests = []
        for n, t in enumerate(raw):
            if not isinstance(t, dict) or "input" not in t or "output" not in t:
                raise RowError("tests", f"test {n} lacks input/output")
            kind = "functional" if t.get("testtype") == "functional" else "stdin"
            tests.append(TestCase(str(t["input"]), str(t["output"]), kind, bool(t.get("is_public", False))))
        if any(t.testtype == "functional" for t in tests) and not func_name:
            raise RowError("metadata", "functional tests but no func_name in metadata")
        return tests, func_name if any(t.testtype == "functional" for t in tests) else None
    raise RowError("tests", f"expected a dict or a list, got {type(raw).__name__}")


@register("deepcoder", "DeepCoder-Preview rows (problem, tests in TACO-dict or LCB-list shape, metadata)", "agentica-org/DeepCoder-Preview-Dataset:taco@train")
def convert_deepcoder(row: dict[str, Any], ref: RowRef) -> Problem:
    statement = require(row, "problem")
    metadata = loads_lenient(row.get("metadata") or "{}", "metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    raw = loads_lenient(require(row, "tests"), "tests")
    tests, func_name = _tests(raw, metadata.get("func_name"))
    if not tests:
        raise RowError("tests", "no tests")
    solutions = row.get("solutions") or []
    if isinstance(solutions, str):
        solutions = loads_lenient(solutions, "solutions")
    starter = row.get("starter_code") or ""
    if func_name:
        solutions = [s for s in (solution_shim(s, func_name) for s in solutions) if s is not None]
        starter = class_starter(starter, func_name)
    origin = deepcoder_upstream(ref.location)
    stats: dict[str, Any] = {"upstream": origin.name}
    text, tags = split_tags(statement)
    if tags:
        stats.update(tags=tags, upstream_defects=["tags_in_statement"])
    time_s, memory_mb = stated_limits(text)
    return Problem(
        problem_id=stable_id(statement),
        source="deepcoder",
        statement=text,
        tests=tuple(tests),
        starter_code=starter,
        func_name=func_name,
        solutions=tuple(solutions),
        platform="codeforces" if origin.name == "CodeElo" else "other",
        time_limit_s=time_s,
        memory_limit_mb=memory_mb,
        license=origin.license,
        stats=stats,
    )
