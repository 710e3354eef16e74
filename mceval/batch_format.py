"""The JSON of the grading service's batch endpoint (`POST /grade`), shared by server and client.

Request: the problems once, the samples pointing at them, and the grading options::

    {"problems": [{"problem_id": "...", "tests": [{"input", "output", "testtype"}], "func_name": null,
                   "time_limit_s": 2, ...}],            # mccore.schema rows; statement/source optional
     "samples": [{"problem": 0, "code": "..."}           # index into problems; or "problem_id"
                 {"problem": 0, "response": "..."},     # a raw model response: code extracted server-side
                 ...],                                  # "sample_index" optional (default: position)
     "config": {"timeout_s": null, "memory_mb": 1024, "comparison": "microcoder", "early_exit": true,
                "profile": "microcoder"},                # or "lcb": run as LiveCodeBench runs programs
     "extract": "robust"}

Response: ``{"rows": [...]}`` with exactly the rows `microcoder eval` writes to samples.jsonl, in
request order, so a trainer reads the same verdicts a file run would record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

from mccore.schema import Problem, SchemaError
from mceval.evaluate import (
    _sample_row as sample_row,  # the samples.jsonl row, one definition
)
from mceval.grader import GradeItem, ItemLike
from mceval.types import PROFILES, GradeConfig, SampleResult, TestResult, Verdict
from mcgen.extract import extract_code

# Options a request may set; the rest (workers, CPU pinning, process and output caps) are the server's.
REQUEST_CONFIG_FIELDS = ("timeout_s", "memory_mb", "comparison", "early_exit", "default_timeout_s", "profile")
_SLIM = {"statement": "", "solutions": (), "starter_code": "", "title": "", "stats": {}}

__all__ = ["REQUEST_CONFIG_FIELDS", "decode_batch", "encode_batch", "request_config", "result_from_row",
           "sample_row"]


def encode_batch(items: Sequence[ItemLike], config: GradeConfig) -> dict[str, Any]:
    """The request body for `items`; each distinct Problem object is sent once, without the parts
    grading does not read (statement, reference solutions)."""
    problems: list[dict[str, Any]] = []
    index_of: dict[int, int] = {}
    samples = []
    for pos, item in enumerate(items):
        item = GradeItem(*item)
        key = id(item.problem)
        if key not in index_of:
            index_of[key] = len(problems)
            problems.append(item.problem.with_(**_SLIM).to_row())
        samples.append({"problem": index_of[key], "code": item.code,
                        "sample_index": pos if item.sample_index is None else item.sample_index})
    return {"problems": problems, "samples": samples,
            "config": {name: getattr(config, name) for name in REQUEST_CONFIG_FIELDS}}


def request_config(body: Mapping[str, Any], base: GradeConfig) -> GradeConfig:
    """`base` with the request's grading options applied; unknown or ill-typed options are errors."""
    options = body.get("config") or {}
    if not isinstance(options, Mapping):
        raise ValueError("field 'config' must be an object")
    unknown = sorted(set(options) - set(REQUEST_CONFIG_FIELDS))
    if unknown:
        raise ValueError(f"field 'config': unknown option(s) {unknown}; allowed: {list(REQUEST_CONFIG_FIELDS)}")
    types = {f.name: f.type for f in fields(GradeConfig)}
    for name, value in options.items():
        if value is None and "None" in str(types[name]):
            continue
        if name == "comparison" and value not in ("microcoder", "lcb"):
            raise ValueError(f"field 'config.comparison' must be microcoder or lcb, got {value!r}")
        if name == "profile" and value not in PROFILES:
            raise ValueError(f"field 'config.profile' must be {' or '.join(PROFILES)}, got {value!r}")
        if name == "early_exit" and not isinstance(value, bool):
            raise ValueError(f"field 'config.early_exit' must be true or false, got {value!r}")
        if name in ("timeout_s", "default_timeout_s", "memory_mb") and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise ValueError(f"field 'config.{name}' must be a positive number, got {value!r}")
    return replace(base, **{k: (int(v) if k == "memory_mb" else v) for k, v in options.items()})


def decode_batch(body: Mapping[str, Any]) -> list[GradeItem]:
    """The (problem, code, sample_index) items of a request; a ValueError names the bad field."""

    if not isinstance(body, Mapping):
        raise ValueError("the request body must be a JSON object")
    problems = [_problem(row, i) for i, row in enumerate(_list(body, "problems"))]
    by_id = {p.problem_id: p for p in problems}
    extract = body.get("extract", "robust")
    if extract not in ("robust", "lcb"):
        raise ValueError(f"field 'extract' must be robust or lcb, got {extract!r}")
    items = []
    for pos, sample in enumerate(_list(body, "samples")):
        where = f"samples[{pos}]"
        if not isinstance(sample, Mapping):
            raise ValueError(f"{where} must be an object")
        problem = _sample_problem(sample, problems, by_id, where)
        if sample.get("code") is not None:
            code = sample["code"]
        elif sample.get("response") is not None:
            code = sample["response"]
            if isinstance(code, str):
                code = extract_code(code, extract)
        else:
            code = None
        if code is not None and not isinstance(code, str):
            raise ValueError(f"{where}: 'code' and 'response' must be strings")
        index = sample.get("sample_index", pos)
        if isinstance(index, bool) or not isinstance(index, int):
            raise ValueError(f"{where}.sample_index must be an integer, got {index!r}")
        items.append(GradeItem(problem, code, index))
    return items


def result_from_row(row: Mapping[str, Any]) -> SampleResult:
    """Inverse of `sample_row` for what a SampleResult holds (times are rounded to 0.1 ms there)."""
    tests = [TestResult(int(t["index"]), Verdict(t["verdict"]), float(t["time_s"]), str(t["message"]))
             for t in row["tests"]]
    return SampleResult(str(row["question_id"]), int(row["sample_index"]), Verdict(row["verdict"]), tests,
                        int(row["num_tests"]))


def _list(body: Mapping[str, Any], name: str) -> list:
    value = body.get(name)
    if not isinstance(value, list) or not value:
        raise ValueError(f"field {name!r} must be a non-empty list")
    return value


def _problem(row: Any, pos: int) -> Problem:
    if not isinstance(row, Mapping):
        raise ValueError(f"problems[{pos}] must be an object")
    try:
        problem = Problem.from_row({"source": "request", "statement": "", **row})
    except (SchemaError, TypeError) as exc:
        raise ValueError(f"problems[{pos}]: {exc}") from None
    if not problem.tests:
        raise ValueError(f"problems[{pos}] ({problem.problem_id!r}) has no tests; it cannot be graded")
    return problem


def _sample_problem(sample: Mapping[str, Any], problems: list[Problem], by_id: dict[str, Problem],
                    where: str) -> Problem:
    if "problem" in sample:
        index = sample["problem"]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(problems):
            raise ValueError(f"{where}.problem must index the {len(problems)} problems, got {index!r}")
        return problems[index]
    problem_id = sample.get("problem_id")
    if str(problem_id) not in by_id:
        raise ValueError(f"{where} names no known problem (give 'problem' as an index or a known 'problem_id')")
    return by_id[str(problem_id)]
