"""LiveCodeBench `code_generation_lite` rows -> `mccore.schema.Problem`.

A row (see reference-evaluators.md §1.1) holds, all as strings: question_id, question_title,
question_content, platform, contest_id, contest_date (ISO), starter_code, difficulty,
public_test_cases (JSON list of {input, output, testtype}), private_test_cases (the same JSON, or
base64(zlib(pickle(<that JSON string>))) to keep the Hub files small) and metadata (JSON, with
"func_name" for functional problems).

The pickle layer is decoded with a restricted unpickler that refuses every global, and the
payload must be a plain str: a crafted dataset file can never run code in the grader. Every bad
row raises `SchemaError` naming the file, the row (1-based line of a .jsonl, entry of a .json list,
row of a .parquet) and the field — never a silent skip, and never a problem with zero tests.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import pickle
import zlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from mccore.folder import require_complete
from mccore.schema import DIFFICULTIES, PLATFORMS, Problem, SchemaError, TestCase
from mccore.textfile import read_text_file

LCB_SOURCE = "livecodebench"
REQUIRED_FIELDS = ("question_id", "question_content", "public_test_cases", "private_test_cases")

__all__ = [
    "decode_test_cases",
    "encode_test_cases",
    "iter_lcb_rows",
    "load_lcb_problems",
    "problem_from_any_row",
    "problem_from_lcb_row",
    "problem_to_lcb_row",
    "restricted_loads",
]


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Unpickles only plain data (str, bytes, numbers, lists, dicts...): any class or function is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name} from a test payload")


def restricted_loads(data: bytes) -> Any:
    """`pickle.loads` for untrusted data: no globals, so no code can run."""
    return _NoGlobalsUnpickler(io.BytesIO(data)).load()


def decode_test_cases(value: Any, *, field: str, where: str) -> list[dict[str, Any]]:
    """A test-case field as a list of dicts: JSON first, then base64(zlib(pickle(JSON str)))."""
    if isinstance(value, list):
        cases = value
    elif isinstance(value, str):
        try:
            cases = json.loads(value)
        except json.JSONDecodeError:
            cases = json.loads(_decode_compressed(value, field=field, where=where))
    else:
        raise SchemaError(f"{where}: field {field!r} must be a string or a list, got {type(value).__name__}")
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise SchemaError(f"{where}: field {field!r} must decode to a list of test objects")
    return cases


def _decode_compressed(value: str, *, field: str, where: str) -> str:
    try:
        payload = restricted_loads(zlib.decompress(base64.b64decode(value, validate=False)))
    except (binascii.Error, zlib.error, pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise SchemaError(
            f"{where}: field {field!r} is neither JSON nor base64(zlib(pickle)) test data ({exc})"
        ) from None
    if not isinstance(payload, str):
        raise SchemaError(f"{where}: field {field!r} decodes to a pickled {type(payload).__name__}, expected a JSON string")
    try:
        json.loads(payload)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{where}: field {field!r} decodes to text that is not JSON ({exc})") from None
    return payload


def _test_cases(cases: list[dict[str, Any]], *, public: bool, field: str, where: str, functional: bool) -> list[TestCase]:
    tests = []
    for i, case in enumerate(cases):
        at = f"{where}: field {field!r}, test {i}"
        if not isinstance(case.get("input"), str) or not isinstance(case.get("output"), str):
            raise SchemaError(f"{at}: 'input' and 'output' must be strings")
        testtype = case.get("testtype", "functional" if functional else "stdin")
        if testtype not in ("stdin", "functional"):
            raise SchemaError(f"{at}: testtype must be 'stdin' or 'functional', got {testtype!r}")
        if (testtype == "functional") != functional:
            raise SchemaError(
                f"{at}: testtype {testtype!r} does not fit the problem "
                f"({'metadata.func_name is set' if functional else 'no metadata.func_name'})"
            )
        if functional:
            _check_functional_json(case, at)
        tests.append(TestCase(case["input"], case["output"], testtype, public))
    return tests


def _check_functional_json(case: Mapping[str, str], at: str) -> None:
    """Functional tests: every input line and the output must be JSON (LCB json.loads-es them).
    Integers are only checked as JSON (parse_int=str): one over Python's int-string limit is valid
    data, which the sandbox and `mceval.compare` handle exactly."""
    for n, line in enumerate(case["input"].split("\n"), 1):
        try:
            json.loads(line, parse_int=str)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{at}: input line {n} is not JSON ({exc})") from None
    try:
        json.loads(case["output"], parse_int=str)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{at}: output is not JSON ({exc})") from None


def problem_from_lcb_row(row: Mapping[str, Any], *, where: str) -> Problem:
    """One LiveCodeBench row as a Problem; `where` (e.g. "test6.jsonl line 3") prefixes every error."""
    if not isinstance(row, Mapping):
        raise SchemaError(f"{where}: expected a JSON object, got {type(row).__name__}")
    missing = [name for name in REQUIRED_FIELDS if name not in row]
    if missing:
        raise SchemaError(f"{where}: missing field(s) {missing}")
    question_id = str(row["question_id"]).strip()
    if not question_id:
        raise SchemaError(f"{where}: field 'question_id' is empty")

    metadata = row.get("metadata") or "{}"
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{where}: field 'metadata' is not JSON ({exc})") from None
    if not isinstance(metadata, Mapping):
        raise SchemaError(f"{where}: field 'metadata' must be a JSON object")
    func_name = metadata.get("func_name") or None
    if func_name is not None and (not isinstance(func_name, str) or not func_name.isidentifier()):
        raise SchemaError(f"{where}: field 'metadata': func_name {func_name!r} is not a Python identifier")

    functional = func_name is not None
    tests = _test_cases(
        decode_test_cases(row["public_test_cases"], field="public_test_cases", where=where),
        public=True, field="public_test_cases", where=where, functional=functional,
    ) + _test_cases(
        decode_test_cases(row["private_test_cases"], field="private_test_cases", where=where),
        public=False, field="private_test_cases", where=where, functional=functional,
    )
    if not tests:
        raise SchemaError(f"{where}: fields 'public_test_cases'/'private_test_cases' hold zero tests")

    return Problem(
        problem_id=question_id,
        source=LCB_SOURCE,
        statement=_text(row, "question_content", where),
        title=_text(row, "question_title", where),
        tests=tuple(tests),
        starter_code=_text(row, "starter_code", where),
        func_name=func_name,
        platform=_choice(row, "platform", PLATFORMS, where) or "other",
        contest_date=_date(row, where),
        difficulty=_choice(row, "difficulty", DIFFICULTIES, where),
    )


def _text(row: Mapping[str, Any], name: str, where: str) -> str:
    value = row.get(name) or ""
    if not isinstance(value, str):
        raise SchemaError(f"{where}: field {name!r} must be a string")
    return value


def _choice(row: Mapping[str, Any], name: str, allowed: tuple[str, ...], where: str) -> str | None:
    value = row.get(name)
    if value in (None, ""):
        return None
    value = str(value).strip().lower()
    if value not in allowed:
        raise SchemaError(f"{where}: field {name!r} must be one of {allowed}, got {row.get(name)!r}")
    return value


def _date(row: Mapping[str, Any], where: str) -> str | None:
    value = row.get("contest_date")
    if value in (None, ""):
        return None
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        raise SchemaError(f"{where}: field 'contest_date' is not an ISO date: {value!r}") from None
    return str(value)


def encode_test_cases(tests: list[TestCase] | tuple[TestCase, ...], *, compress: bool) -> str:
    """Tests as LiveCodeBench stores them: a JSON string, or base64(zlib(pickle(JSON))) when `compress`."""
    text = json.dumps([{"input": t.input, "output": t.output, "testtype": t.testtype} for t in tests])
    if not compress:
        return text
    return base64.b64encode(zlib.compress(pickle.dumps(text))).decode("ascii")


def problem_to_lcb_row(problem: Problem, *, compress_private: bool = True) -> dict[str, str]:
    """The inverse of `problem_from_lcb_row`: a row laid out as in the Hub's test*.jsonl files.

    Public tests go to public_test_cases (plain JSON), the others to private_test_cases
    (compressed like the Hub files unless `compress_private=False`).
    """
    return {
        "question_title": problem.title,
        "question_content": problem.statement,
        "platform": problem.platform,
        "question_id": problem.problem_id,
        "contest_id": str(problem.stats.get("contest_id", "")),
        "contest_date": problem.contest_date or "",
        "starter_code": problem.starter_code,
        "difficulty": problem.difficulty or "",
        "public_test_cases": encode_test_cases(problem.public_tests, compress=False),
        "private_test_cases": encode_test_cases(
            [t for t in problem.tests if not t.is_public], compress=compress_private
        ),
        "metadata": json.dumps({"func_name": problem.func_name} if problem.func_name else {}),
    }


def iter_lcb_rows(path: str | Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, row) for every row of a .jsonl, .json (a list) or .parquet file (optionally .gz),
    or of the shards of a `microcoder build-dataset` folder."""
    path = Path(path)
    if path.is_dir():
        for shard in require_complete(path):
            yield from iter_lcb_rows(shard)
        return
    if not path.is_file():
        raise FileNotFoundError(f"problems file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = Path(path.stem).suffix.lower()
    if suffix == ".jsonl":
        with io.StringIO(read_text_file(path)) as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    yield f"{path}: line {number}", json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SchemaError(f"{path}: line {number}: malformed JSON ({exc})") from None
    elif suffix == ".json":
        try:
            rows = json.loads(read_text_file(path))
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{path}: malformed JSON ({exc})") from None
        if not isinstance(rows, list):
            raise SchemaError(f"{path}: expected a JSON list of problem rows")
        for number, row in enumerate(rows, 1):
            yield f"{path}: entry {number}", row
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        for number, row in enumerate(pq.read_table(path).to_pylist(), 1):
            yield f"{path}: row {number}", row
    else:
        raise SchemaError(f"{path}: unsupported problems file type {suffix!r} (use .jsonl, .json, .parquet or a dataset folder)")


def problem_from_any_row(row: Mapping[str, Any], *, where: str) -> Problem:
    """A LiveCodeBench row, or a row of MicroCoder's own schema (`build-dataset` Parquet, which has
    `problem_id` and structured `tests` instead of `question_id` and encoded test strings)."""
    if isinstance(row, Mapping) and "question_id" not in row and "problem_id" in row:
        try:
            return Problem.from_row(row)
        except SchemaError as exc:
            raise SchemaError(f"{where}: {exc}") from None
    return problem_from_lcb_row(row, where=where)


def load_lcb_problems(path: str | Path) -> list[Problem]:
    """All problems of a LiveCodeBench-format file; the first bad row raises a SchemaError naming it."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for where, row in iter_lcb_rows(path):
        problem = problem_from_any_row(row, where=where)
        if problem.problem_id in seen:
            raise SchemaError(f"{where}: duplicate question_id {problem.problem_id!r} (first at {seen[problem.problem_id]})")
        seen[problem.problem_id] = where
        problems.append(problem)
    if not problems:
        raise SchemaError(f"{path}: no problems in the file")
    return problems
