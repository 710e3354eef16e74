"""Grader specs (`mceval.pool`) and the batch JSON shared by the service and its client."""

from __future__ import annotations

import pytest

from mccore.schema import Problem, TestCase
from mceval import GradeConfig, GradeItem, Grader, SampleResult, Verdict
from mceval import types as mtypes
from mceval.batch_format import decode_batch, encode_batch, request_config, result_from_row, sample_row
from mceval.pool import open_grader, parse_spec
from mceval.remote import RemoteGrader, RemoteGraderError

ADD = Problem("add", "test", "a statement", func_name="add", solutions=("class Solution: ...",), tests=(
    TestCase("1\n2", "3", "functional"), TestCase("5\n5", "10", "functional")))


@pytest.mark.parametrize("spec, parsed", [
    (None, ("local", None)), ("local", ("local", None)), ("ray", ("ray", None)), ("ray://auto", ("ray", "auto")),
    ("ray://10.0.0.5:10001", ("ray", "ray://10.0.0.5:10001")),
    ("http://127.0.0.1:8080/", ("http", "http://127.0.0.1:8080")),
])
def test_specs(spec, parsed):
    assert parse_spec(spec) == parsed


@pytest.mark.parametrize("spec", ["ray://", "http://", "grpc://x:1", "locale"])
def test_bad_specs_are_one_line(spec):
    with pytest.raises(ValueError, match="--grader") as info:
        parse_spec(spec)
    assert "\n" not in str(info.value)


def test_local_and_remote_specs_open_the_right_backend():
    with open_grader("local", GradeConfig(workers=1)) as grader:
        assert isinstance(grader, Grader)
    with open_grader("http://127.0.0.1:9", GradeConfig()) as remote:
        assert isinstance(remote, RemoteGrader)
        with pytest.raises(RemoteGraderError, match="cannot reach the grading service"):
            remote.grade([(ADD, "x")])


def test_batch_round_trip_sends_each_problem_once_without_its_statement():
    other = ADD.with_(tests=ADD.tests[:1])  # same id, different tests: a distinct problem
    items = [GradeItem(ADD, "a", 3), (ADD, None), (other, "c")]
    body = encode_batch(items, GradeConfig(timeout_s=2.5, early_exit=False))
    assert len(body["problems"]) == 2 and body["problems"][0]["statement"] == "" and not body["problems"][0]["solutions"]
    decoded = decode_batch(body)
    assert [(i.problem.problem_id, len(i.problem.tests), i.code, i.sample_index) for i in decoded] == [
        ("add", 2, "a", 3), ("add", 2, None, 1), ("add", 1, "c", 2)]
    config = request_config(body, GradeConfig(workers=7))
    assert (config.timeout_s, config.early_exit, config.workers) == (2.5, False, 7)


def test_rows_come_back_as_results():
    result = SampleResult("add", 4, Verdict.WA, [mtypes.TestResult(0, Verdict.AC, 0.01234, ""),
                                                 mtypes.TestResult(1, Verdict.WA, 0.002, "wrong answer")], 2)
    again = result_from_row(sample_row(ADD, 4, result))
    assert (again.question_id, again.sample_index, again.verdict, again.num_tests) == ("add", 4, Verdict.WA, 2)
    assert [(t.index, t.verdict, t.message) for t in again.tests] == [(0, Verdict.AC, ""), (1, Verdict.WA, "wrong answer")]
    assert again.tests[0].time_s == pytest.approx(0.0123)
