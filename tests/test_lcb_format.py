"""LiveCodeBench row decoding: both test encodings, the restricted unpickler, and every bad-input error."""

from __future__ import annotations

import base64
import json
import os
import pickle
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mccore.schema import Problem, SchemaError
from mccore.schema import TestCase as Case
from mceval.lcb_format import (
    decode_test_cases, encode_test_cases, load_lcb_problems, problem_from_lcb_row, problem_to_lcb_row, restricted_loads,
)


def _compress(obj: object) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(obj))).decode()


def _stdin_row(**changes: object) -> dict:
    row = {
        "question_title": "A+B",
        "question_content": "Print a+b.",
        "platform": "atcoder",
        "question_id": "abc000_a",
        "contest_id": "abc000",
        "contest_date": "2024-05-26T00:00:00",
        "starter_code": "",
        "difficulty": "easy",
        "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
        "private_test_cases": _compress(json.dumps([{"input": "5 5\n", "output": "10\n", "testtype": "stdin"}])),
        "metadata": "{}",
    }
    row.update(changes)
    return row


def _functional_row(**changes: object) -> dict:
    row = {
        "question_title": "add",
        "question_content": "Return a+b.",
        "platform": "leetcode",
        "question_id": "9999",
        "contest_id": "weekly-contest-1",
        "contest_date": "2025-01-05T00:00:00",
        "starter_code": "class Solution:\n    def add(self, a: int, b: int) -> int:\n        ",
        "difficulty": "medium",
        "public_test_cases": json.dumps([{"input": "1\n2", "output": "3", "testtype": "functional"}]),
        "private_test_cases": json.dumps([{"input": "[1]\n[2]", "output": "[1, 2]", "testtype": "functional"}]),
        "metadata": json.dumps({"func_name": "add"}),
    }
    row.update(changes)
    return row


def test_stdin_row_with_compressed_private_tests() -> None:
    problem = problem_from_lcb_row(_stdin_row(), where="t.jsonl: line 1")
    assert problem.problem_id == "abc000_a" and problem.source == "livecodebench"
    assert problem.func_name is None and not problem.is_functional
    assert problem.tests == (
        Case("1 2\n", "3\n", "stdin", True),
        Case("5 5\n", "10\n", "stdin", False),
    )
    assert (problem.platform, problem.difficulty, problem.contest_date) == ("atcoder", "easy", "2024-05-26T00:00:00")


def test_functional_row_with_json_private_tests() -> None:
    problem = problem_from_lcb_row(_functional_row(), where="w")
    assert problem.func_name == "add" and problem.is_functional
    assert [t.testtype for t in problem.tests] == ["functional", "functional"]
    assert problem.starter_code.startswith("class Solution:")


def test_round_trip_through_hub_layout() -> None:
    problem = problem_from_lcb_row(_functional_row(), where="w")
    again = problem_from_lcb_row(problem_to_lcb_row(problem), where="w")
    assert again.tests == problem.tests and again.func_name == problem.func_name
    assert again.statement == problem.statement and again.contest_date == problem.contest_date
    compressed = problem_to_lcb_row(problem)["private_test_cases"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(compressed)  # really compressed, as on the Hub
    assert decode_test_cases(compressed, field="f", where="w")[0]["output"] == "[1, 2]"
    assert json.loads(encode_test_cases(problem.tests, compress=False))[0]["input"] == "1\n2"


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_restricted_unpickler_refuses_globals() -> None:
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        restricted_loads(pickle.dumps(_Evil()))
    row = _stdin_row(private_test_cases=base64.b64encode(zlib.compress(pickle.dumps(_Evil()))).decode())
    with pytest.raises(SchemaError, match=r"w: field 'private_test_cases' is neither JSON nor base64"):
        problem_from_lcb_row(row, where="w")


def test_pickled_payload_must_be_a_string() -> None:
    row = _stdin_row(private_test_cases=_compress([{"input": "1", "output": "1"}]))
    with pytest.raises(SchemaError, match="decodes to a pickled list, expected a JSON string"):
        problem_from_lcb_row(row, where="w")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"private_test_cases": "not json, not base64!"}, "field 'private_test_cases' is neither JSON nor base64"),
        ({"private_test_cases": _compress("{not json")}, "field 'private_test_cases' decodes to text that is not JSON"),
        ({"public_test_cases": "[]", "private_test_cases": "[]"}, "hold zero tests"),
        ({"public_test_cases": json.dumps([{"input": "1"}])}, r"field 'public_test_cases', test 0: 'input' and 'output' must be strings"),
        ({"public_test_cases": json.dumps([{"input": "1", "output": "1", "testtype": "exe"}])}, "testtype must be"),
        ({"public_test_cases": json.dumps([{"input": "1", "output": "1", "testtype": "functional"}])}, "does not fit the problem"),
        ({"public_test_cases": json.dumps({"input": "1"})}, "must decode to a list of test objects"),
        ({"metadata": "{oops"}, "field 'metadata' is not JSON"),
        ({"metadata": json.dumps({"func_name": "not an id"})}, "is not a Python identifier"),
        ({"platform": "topcoder"}, "field 'platform' must be one of"),
        ({"difficulty": "insane"}, "field 'difficulty' must be one of"),
        ({"contest_date": "yesterday"}, "field 'contest_date' is not an ISO date"),
        ({"question_id": "  "}, "field 'question_id' is empty"),
        ({"question_content": 5}, "field 'question_content' must be a string"),
    ],
)
def test_bad_rows_name_the_field(changes: dict, message: str) -> None:
    with pytest.raises(SchemaError, match=message) as info:
        problem_from_lcb_row(_stdin_row(**changes), where="p.jsonl: line 7")
    assert str(info.value).startswith("p.jsonl: line 7: ")


def test_functional_tests_must_be_json() -> None:
    bad = json.dumps([{"input": "1\nnot json", "output": "3", "testtype": "functional"}])
    with pytest.raises(SchemaError, match=r"field 'public_test_cases', test 0: input line 2 is not JSON"):
        problem_from_lcb_row(_functional_row(public_test_cases=bad), where="w")
    bad = json.dumps([{"input": "1\n2", "output": "three", "testtype": "functional"}])
    with pytest.raises(SchemaError, match="output is not JSON"):
        problem_from_lcb_row(_functional_row(public_test_cases=bad), where="w")


def test_missing_fields() -> None:
    row = _stdin_row()
    del row["private_test_cases"]
    with pytest.raises(SchemaError, match=r"w: missing field\(s\) \['private_test_cases'\]"):
        problem_from_lcb_row(row, where="w")
    with pytest.raises(SchemaError, match="expected a JSON object"):
        problem_from_lcb_row(["a list"], where="w")  # type: ignore[arg-type]


def test_load_jsonl_json_and_parquet(tmp_path: Path) -> None:
    rows = [_stdin_row(), _functional_row()]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text(json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n")
    as_json = tmp_path / "p.json"
    as_json.write_text(json.dumps(rows))
    parquet = tmp_path / "p.parquet"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    for path in (jsonl, as_json, parquet):
        problems = load_lcb_problems(path)
        assert [p.problem_id for p in problems] == ["abc000_a", "9999"]
        assert all(isinstance(p, Problem) for p in problems)


def test_load_errors_name_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(_stdin_row()) + "\n{broken\n")
    with pytest.raises(SchemaError, match=rf"{path}: line 2: malformed JSON"):
        load_lcb_problems(path)
    path.write_text(json.dumps(_stdin_row()) + "\n" + json.dumps(_stdin_row(private_test_cases="zz")) + "\n")
    with pytest.raises(SchemaError, match=rf"{path}: line 2: field 'private_test_cases'"):
        load_lcb_problems(path)
    path.write_text(json.dumps(_stdin_row()) + "\n" + json.dumps(_stdin_row()) + "\n")
    with pytest.raises(SchemaError, match="line 2: duplicate question_id 'abc000_a' \\(first at .*line 1\\)"):
        load_lcb_problems(path)
    path.write_text("\n")
    with pytest.raises(SchemaError, match="no problems in the file"):
        load_lcb_problems(path)
    with pytest.raises(FileNotFoundError, match="problems file not found"):
        load_lcb_problems(tmp_path / "missing.jsonl")
    other = tmp_path / "p.csv"
    other.write_text("a,b\n")
    with pytest.raises(SchemaError, match="unsupported problems file type '.csv'"):
        load_lcb_problems(other)
    as_json = tmp_path / "p.json"
    as_json.write_text(json.dumps([_stdin_row(), {"question_id": "x"}]))
    with pytest.raises(SchemaError, match=rf"{as_json}: entry 2: missing field"):
        load_lcb_problems(as_json)


def test_real_sandboxfusion_lcb_payloads_decode(real_data: Path) -> None:
    """SandboxFusion's LCB fixtures are base64(zlib(pickle(dict))): the restricted unpickler reads them."""
    lines = (real_data / "sandboxfusion_samples" / "code_eval_live_code_bench_v1.jsonl").read_text().splitlines()
    counts = {}
    for line in lines:
        row = json.loads(line)
        sample = restricted_loads(zlib.decompress(base64.b64decode(row["test"])))
        io = json.loads(sample["input_output"])
        counts[json.loads(row["labels"])["task_id"]] = (len(io["inputs"]), io["fn_name"])
    assert counts == {
        "codeforces/1873_A": (5, None),
        "leetcode/2727": (14, "countSeniors"),
        "atcoder/abc301_a": (15, None),
    }
