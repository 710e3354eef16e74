"""LiveCodeBench's own result files (`mceval.bench.lcb_files`): codes, metadata, order, metrics.

Rows here are shaped like the grader's samples.jsonl rows; the end-to-end run through the real
grader is tests/test_bench_pipeline.py."""

from __future__ import annotations

import json

import pytest

from mccore.schema import Problem, TestCase
from mceval.bench.lcb_files import (
    eval_all_rows, eval_metrics, grading_label, metadata, per_test_results, write_lcb_files,
)
from mceval.bench.report import ProblemRun

FUNCTIONAL = Problem(problem_id="2727", source="lcb", statement="Count.", func_name="countSeniors",
                     starter_code="class Solution:\n    def countSeniors(self, details: List[str]) -> int:\n        ",
                     tests=(TestCase('["7868190130M7522"]', "1", "functional"),
                            TestCase('["x"]\n' + '"' + "y" * 400 + '"', "0", "functional")),
                     platform="leetcode", contest_date="2023-05-13T00:00:00", difficulty="easy",
                     stats={"contest_id": "biweekly-contest-104"})
STDIN = Problem(problem_id="1873_A", source="lcb", statement="Swap.", tests=(TestCase("1\nabc\n", "YES\n"),),
                platform="codeforces", contest_date="2023-08-21", difficulty="easy")
# The fields LiveCodeBench's self-repair prompt (prompts/self_repair.py get_check_prompt) reads per code.
SELF_REPAIR_FIELDS = {-2: {"inputs", "output", "expected"}, -3: {"error", "inputs", "expected"},
                      -4: {"inputs", "expected", "error"}}


def _row(verdict: str, tests: list[tuple[int, str]], message: str = "") -> dict:
    return {"passed": verdict == "AC", "verdict": verdict,
            "tests": [{"index": i, "verdict": v, "time_s": 0.25, "message": message if v != "AC" else ""} for i, v in tests]}


def test_codes_and_self_repair_fields_follow_livecodebench():
    cases = {
        "WA": (_row("WA", [(0, "AC"), (1, "WA")], "wrong answer"), -2, [True, -2]),
        "TLE": (_row("TLE", [(0, "TLE")], "time limit exceeded (cpu 6.01 s)"), -3, [-3]),
        "RE": (_row("RE", [(0, "RE")], "exit code 1: ZeroDivisionError"), -4, [-4]),
        "MLE": (_row("MLE", [(0, "MLE")], "memory limit exceeded"), -4, [-4]),
        "CE": (_row("CE", [(-1, "CE")], "SyntaxError: invalid syntax"), -4, [-4]),
        "NO_CODE": (_row("NO_CODE", []), -4, [-4]),
        "JE": (_row("JE", [(0, "JE")], "judge error"), -5, [-5]),
    }
    for verdict, (row, code, results) in cases.items():
        data = json.loads(metadata(FUNCTIONAL, row))
        assert data["error_code"] == code and data["verdict"] == verdict, verdict
        assert per_test_results(row) == results, verdict
        assert SELF_REPAIR_FIELDS.get(code, set()) <= set(data), verdict
    wrong = json.loads(metadata(FUNCTIONAL, cases["WA"][0]))
    assert wrong["output"] is None and wrong["error_message"] == "Wrong Answer"
    # LiveCodeBench prints str() of the parsed arguments and cuts the middle of anything over 300 characters
    printed = "[['x'], '" + "y" * 400 + "']"
    assert wrong["inputs"] == printed[:150] + "...(truncated) ..." + printed[-150:] and wrong["expected"] == "0"
    assert json.loads(metadata(FUNCTIONAL, cases["TLE"][0]))["inputs"] == "[['7868190130M7522']]"
    assert json.loads(metadata(STDIN, _row("RE", [(0, "RE")], "boom"))) == {
        "error_code": -4, "error_message": "Runtime Error", "verdict": "RE", "error": "boom",
        "inputs": "1\nabc\n", "expected": "YES\n"}
    ce = json.loads(metadata(STDIN, cases["CE"][0]))
    assert ce["error_message"] == "Error during testing: SyntaxError: invalid syntax" and ce["inputs"] == "1\nabc\n"
    assert json.loads(metadata(STDIN, _row("AC", [(0, "AC")]))) == {"execution time": 0.25}
    assert per_test_results(_row("AC", [(0, "AC"), (1, "AC")])) == [True, True]


def _runs() -> list[ProblemRun]:
    stdin = ProblemRun(STDIN, ["a", "b"], [None, None], ["print('YES')", None])
    stdin.results["lcb"] = [_row("AC", [(0, "AC")]), _row("NO_CODE", [])]
    functional = ProblemRun(FUNCTIONAL, ["c", "d"], [None, None], ["x", "y"])
    functional.results["lcb"] = [_row("WA", [(0, "WA")]), _row("WA", [(0, "WA")])]
    return [functional, stdin]  # file order; LiveCodeBench sorts by question_id


def test_eval_all_and_eval_files(tmp_path):
    grading = {"grading_profile": "microcoder", "comparison": "lcb", "extract": "robust"}
    rows = eval_all_rows(_runs(), "lcb", grading)
    assert [r["question_id"] for r in rows] == ["1873_A", "2727"]
    assert rows[0]["graded_list"] == [True, False] and rows[0]["pass@1"] == 0.5 and rows[0]["contest_id"] == ""
    assert rows[1]["contest_id"] == "biweekly-contest-104" and rows[1]["contest_date"] == "2023-05-13T00:00:00"
    assert rows[0]["contest_date"] == "2023-08-21T00:00:00"  # datetime.isoformat(), as LiveCodeBench writes it
    assert rows[0]["code_list"] == ["print('YES')", ""] and rows[0]["grading"] == grading

    metrics, results, meta = eval_metrics(_runs(), "lcb", grading)
    assert metrics["pass@1"] == pytest.approx(0.25) and set(metrics) == {"pass@1", "detail", "grading"}  # k <= every n
    assert metrics["detail"] == {"pass@1": {0: 0.5, 1: 0.0}}
    assert results == {0: [[True], [-4]], 1: [[-2], [-2]]} and meta[0] == rows[0]["metadata"]

    files = write_lcb_files(tmp_path / grading_label("microcoder", "lcb", "robust"), _runs(), "lcb", "0.2", grading)
    assert files["eval_all"].endswith(
        "grading-microcoder_comparison-lcb_extract-robust/Scenario.codegeneration_2_0.2_eval_all.json")
    assert json.loads(open(files["eval_all"]).read()) == rows
    generations = json.loads(open(files["generations"]).read())
    assert [set(g) for g in generations] == [set(rows[0]) - {"graded_list", "pass@1", "metadata", "grading"}] * 2
    assert json.loads(open(files["eval"]).read())[1] == {"0": [[True], [-4]], "1": [[-2], [-2]]}
