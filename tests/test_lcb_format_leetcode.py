"""LeetCodeDataset rows -> LiveCodeBench functional Problems, on the real files in tests/data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from mccore.schema import SchemaError
from mceval.leetcode_format import UnsupportedProblem, load_leetcodedataset, problem_from_leetcodedataset_row

TEST_FILE = "LeetCodeDataset-v0.3.1-test.jsonl.gz"
TRAIN_FILE = "LeetCodeDataset-v0.2.0-train.first40.jsonl.gz"


def _rows(real_data: Path, name: str) -> list[dict]:
    with gzip.open(real_data / "leetcodedataset" / name, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def test_real_test_split_converts(real_data: Path) -> None:
    problems, rejected = load_leetcodedataset(real_data / "leetcodedataset" / TEST_FILE)
    # one TreeNode problem (k-th-largest-perfect-subtree...) cannot be expressed; everything else converts
    assert len(problems) == 227 and len(rejected) == 1
    assert "line 67: field 'test' builds ListNode/TreeNode values" in rejected[0]
    assert sum(len(p.tests) for p in problems) > 20_000

    first = problems[0]
    assert first.problem_id == "3243" and first.func_name == "shortestDistanceAfterQueries"
    assert first.platform == "leetcode" and first.difficulty == "medium" and first.contest_date == "2024-08-04"
    assert first.tests[0].input == "7\n[[0, 5], [1, 6], [2, 4]]" and first.tests[0].output == "[2, 2, 2]"
    assert all(t.testtype == "functional" for t in first.tests)
    # the statement's two examples ("Input: n = 5, queries = [[2,4],[0,2],[0,4]]") are the public tests
    assert [t.input for t in first.public_tests] == ["5\n[[2, 4], [0, 2], [0, 4]]", "4\n[[0, 3], [0, 2]]"]
    assert "from typing import *" in first.solutions[0] and "class Solution" in first.solutions[0]


def test_inf_literals_become_json_infinity(real_data: Path) -> None:
    rows = _rows(real_data, TEST_FILE)
    row = next(r for r in rows if r["task_id"] == "find-maximum-removals-from-source-string")
    problem = problem_from_leetcodedataset_row(row, where="w")
    assert any(t.output == "-Infinity" for t in problem.tests)


def test_real_train_split_old_schema(real_data: Path) -> None:
    rows = _rows(real_data, TRAIN_FILE)
    two_sum = problem_from_leetcodedataset_row(rows[0], where=f"{TRAIN_FILE}: line 1")
    assert two_sum.problem_id == "1" and two_sum.func_name == "twoSum" and two_sum.difficulty == "easy"
    assert two_sum.starter_code.startswith("class Solution:\n    def twoSum(self, nums: List[int], target: int)")
    assert two_sum.tests[0].input == "[2, 7, 11, 15]\n9" and two_sum.tests[0].output == "[0, 1]"

    container = next(r for r in rows if r["task_id"] == "container-with-most-water")  # positional arguments
    assert problem_from_leetcodedataset_row(container, where="w").tests[0].input == "[1, 8, 6, 2, 5, 4, 8, 3, 7]"

    add_two = next(r for r in rows if r["task_id"] == "add-two-numbers")
    with pytest.raises(UnsupportedProblem, match="ListNode/TreeNode"):
        problem_from_leetcodedataset_row(add_two, where="w")

    # the test's argument names do not match the starter code's signature: a data error, named
    bad = next(r for r in rows if r["task_id"] == "minimum-genetic-mutation")
    with pytest.raises(SchemaError, match=r"w: field 'test', assert 1: argument 'start' does not fit the signature"):
        problem_from_leetcodedataset_row(bad, where="w")


def _synthetic(**changes: object) -> dict:
    row = {
        "task_id": "add",
        "question_id": 7,
        "difficulty": "Easy",
        "problem_description": "Add.\nExample 1:\nInput: a = 1, b = 2\nOutput: 3\n",
        "starter_code": "class Solution:\n    def add(self, a: int, b: int) -> int:\n        ",
        "entry_point": "Solution().add",
        "test": "def check(candidate):\n    assert candidate(a = 1, b = 2) == 3\n    assert candidate(b = 0.5, a = True) == 1.5\n",
        "prompt": "from typing import *\n",
        "completion": "class Solution:\n    def add(self, a, b):\n        return a + b\n",
    }
    row.update(changes)
    return row


def test_synthetic_row_argument_order_and_public_marking() -> None:
    problem = problem_from_leetcodedataset_row(_synthetic(), where="w")
    assert [(t.input, t.output, t.is_public) for t in problem.tests] == [("1\n2", "3", True), ("true\n0.5", "1.5", False)]


@pytest.mark.parametrize(
    "changes, error, message",
    [
        ({"entry_point": "MinStack"}, UnsupportedProblem, "not a Solution\\(\\).method call"),
        ({"test": "def check(candidate):\n    assert candidate(a=1, b=2) > 0\n"}, UnsupportedProblem, "not of the form"),
        ({"test": "def check(candidate):\n    assert candidate(a=x, b=2) == 3\n"}, UnsupportedProblem, "not literals"),
        ({"test": "def check(candidate):\n    assert candidate(a={1}, b=2) == 3\n"}, UnsupportedProblem, "not JSON-representable"),
        ({"test": "def check(candidate):\n    pass\n"[:0] + "def check(candidate):\n    return\n"}, UnsupportedProblem, "not of the form"),
        ({"test": "def check(c:\n"}, SchemaError, "field 'test' is not Python"),
        ({"test": "x = 1\n"}, SchemaError, "defines no check"),
        ({"test": ""}, SchemaError, "missing or empty field 'test'"),
        ({"test": "def check(candidate):\n    assert candidate(a=1) == 3\n"}, SchemaError, r"missing argument\(s\) \['b'\]"),
        ({"test": "def check(candidate):\n    assert candidate(1, 2, 3) == 3\n"}, SchemaError, "3 positional arguments"),
        ({"starter_code": "class Solution:\n    pass\n"}, SchemaError, "has no `def add"),
        ({"question_id": None}, SchemaError, "missing field 'question_id'"),
    ],
)
def test_bad_rows(changes: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as info:
        problem_from_leetcodedataset_row(_synthetic(**changes), where="ld.jsonl: line 3")
    assert str(info.value).startswith("ld.jsonl: line 3: ")


def test_zero_tests_is_an_error() -> None:
    row = _synthetic(test="def check(candidate):\n    '''no asserts'''\n")
    with pytest.raises(UnsupportedProblem):  # a docstring is not an assert
        problem_from_leetcodedataset_row(row, where="w")
