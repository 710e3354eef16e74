"""No value a sample produces can abort a batch (issue 10 §2): through the real grader and the CLI.

Every sample ends with a verdict: an int beyond the double range against a float is WA, a correct
answer longer than Python's int-string limit is AC, and a test the judge cannot decide is JE —
never AC, never an exception that fails the other samples of the batch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import mceval
from mccore.schema import Problem, TestCase
from mceval import GradeConfig, Verdict

REPO = Path(__file__).resolve().parents[1]
DIGITS = 5000  # over the 4,300-digit int-string limit the grader's process keeps


def _solution(expression: str) -> str:
    return f"class Solution:\n    def f(self, x):\n        return {expression}\n"


def _functional(problem_id: str, output: str) -> Problem:
    return Problem(problem_id, "test", "", func_name="f", time_limit_s=2,
                   tests=(TestCase("1", output, "functional"), TestCase("2", output, "functional")))


HALF = _functional("half", "1.5")  # a float expected value
# The expected text is written without int(): building it must not need the limit lifted either.
HUGE = _functional("huge", "1" + "0" * (DIGITS - 2) + "7")  # 10 ** (DIGITS - 1) + 7
HUGE_ANSWER = f"10 ** {DIGITS - 1} + 7"


@pytest.fixture(scope="module")
def results() -> list[mceval.SampleResult]:
    items = [
        (HALF, _solution("10 ** 400")),  # OverflowError in float() before the fix: the batch aborted
        (HALF, _solution("1.5")),  # innocent, in the same batch
        (HALF, _solution("-(2 ** 1100)")),
        (HALF, _solution("float('nan')")),
        (HUGE, _solution(HUGE_ANSWER)),  # correct, 5,000 digits
        (HUGE, _solution(f"10 ** {DIGITS - 1} + 8")),  # off by one
        (HUGE, _solution("1.0e300")),
        (HUGE, _solution(f"[{HUGE_ANSWER}]")),
    ]
    return mceval.grade(items, GradeConfig(workers=2))


def test_every_sample_gets_its_verdict(results: list[mceval.SampleResult]) -> None:
    assert [(r.question_id, r.verdict) for r in results] == [
        ("half", Verdict.WA), ("half", Verdict.AC), ("half", Verdict.WA), ("half", Verdict.WA),
        ("huge", Verdict.AC), ("huge", Verdict.WA), ("huge", Verdict.WA), ("huge", Verdict.WA)]
    assert all(t.message == "wrong answer" for r in results if not r.passed for t in r.tests)


def test_big_integers_are_compared_exactly_in_lcb_mode_too() -> None:
    results = mceval.grade([(HUGE, _solution(HUGE_ANSWER)), (HUGE, _solution(f"10 ** {DIGITS - 1} + 6")),
                            (HALF, _solution("10 ** 400"))], GradeConfig(workers=1, comparison="lcb"))
    assert [r.verdict for r in results] == [Verdict.AC, Verdict.WA, Verdict.WA]


def _fail_on_results_starting_1000(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """Make the functional comparison raise `error` for results 10**400 and 10**4999 + 7 (the
    grader judges in this process, so the patch reaches it)."""
    import mceval.compare

    real = mceval.compare.judge_functional

    def failing(actual: str, expected: str, mode: str = "microcoder") -> bool:
        if actual.startswith("1000"):
            raise error
        return real(actual, expected, mode)

    monkeypatch.setattr(mceval.compare, "judge_functional", failing)


def test_a_failing_comparison_is_a_judge_error_not_a_failed_batch(monkeypatch, caplog) -> None:
    """Whatever goes wrong inside the comparison (here an OverflowError it raises) gives that test
    the JE verdict with the problem named; the batch's other samples are graded as usual."""
    _fail_on_results_starting_1000(monkeypatch, OverflowError("int too large to convert to float"))
    with caplog.at_level("WARNING", logger="mceval.grader"):
        results = mceval.grade([(HALF, _solution("10 ** 400")), (HALF, _solution("1.5")),
                                (HUGE, _solution(HUGE_ANSWER))], GradeConfig(workers=1))
    assert [r.verdict for r in results] == [Verdict.JE, Verdict.AC, Verdict.JE]
    assert not results[0].passed and results[0].tests[0].verdict is Verdict.JE
    assert "judge error: problem 'half' test 0: comparison failed: OverflowError" in results[0].tests[0].message
    assert "'huge' test 0" in caplog.text


def test_malformed_expected_output_is_a_judge_error() -> None:
    broken = Problem("broken", "test", "", func_name="f", time_limit_s=2,
                     tests=(TestCase("1", "1.5", "functional"), TestCase("2", "[1.5", "functional")))
    stdin = Problem("stdin", "test", "", time_limit_s=2, tests=(TestCase("", "3\n"),))
    results = mceval.grade([(broken, _solution("1.5")), (stdin, "print(3)")], GradeConfig(workers=2))
    assert [r.verdict for r in results] == [Verdict.JE, Verdict.AC]
    assert [t.verdict for t in results[0].tests] == [Verdict.AC, Verdict.JE]


def _lcb_row(problem_id: str, output: str) -> dict:
    return {
        "question_id": problem_id, "question_title": "", "question_content": "Return it.", "platform": "leetcode",
        "contest_date": "2024-01-01T00:00:00", "starter_code": "class Solution:\n    def f(self, x):\n        ",
        "difficulty": "easy", "metadata": json.dumps({"func_name": "f"}), "private_test_cases": "[]",
        "public_test_cases": json.dumps([{"input": "1", "output": output, "testtype": "functional"}]),
    }


def _microcoder() -> list[str]:
    script = Path(sys.executable).parent / "microcoder"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def _write_inputs(tmp_path: Path) -> list[str]:
    rows = [_lcb_row("half", "1.5"), _lcb_row("huge", HUGE.tests[0].output)]
    (tmp_path / "problems.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    generations = [
        {"question_id": "half", "code_list": [_solution("10 ** 400"), _solution("1.5")]},
        {"question_id": "huge", "code_list": [_solution(HUGE_ANSWER)]},
    ]
    (tmp_path / "gens.json").write_text(json.dumps(generations))
    return ["--problems", str(tmp_path / "problems.jsonl"), "--generations", str(tmp_path / "gens.json")]


def test_cli_writes_every_verdict_and_exits_0(tmp_path: Path) -> None:
    """The real CLI process: a 10**400 result against a float, its innocent neighbour and a correct
    5,000-digit answer (its problem loads: the loader does not int() the expected JSON) all end in
    samples.jsonl and summary.json."""
    args = _write_inputs(tmp_path)
    done = subprocess.run([*_microcoder(), "eval", *args, "--output", str(tmp_path / "out"), "--quiet"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert sorted((s["question_id"], s["sample_index"], s["verdict"]) for s in samples) == [
        ("half", 0, "WA"), ("half", 1, "AC"), ("huge", 0, "AC")]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["verdicts"]["AC"] == 2 and summary["verdicts"]["WA"] == 1 and summary["verdicts"]["JE"] == 0


def test_cli_counts_judge_errors(tmp_path: Path, monkeypatch) -> None:
    """A comparison that fails (forced here) is a JE row in samples.jsonl and a JE count in
    summary.json; the run still exits 0 with every sample graded."""
    from typer.testing import CliRunner

    from cli import app

    _fail_on_results_starting_1000(monkeypatch, MemoryError("forced"))
    result = CliRunner().invoke(app, ["eval", *_write_inputs(tmp_path), "--output", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, result.output
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    verdicts = {(s["question_id"], s["sample_index"]): s for s in samples}
    assert {key: row["verdict"] for key, row in verdicts.items()} == {
        ("half", 0): "JE", ("half", 1): "AC", ("huge", 0): "JE"}
    assert not verdicts[("half", 0)]["passed"] and "MemoryError: forced" in verdicts[("half", 0)]["tests"][0]["message"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["verdicts"]["JE"] == 2 and summary["verdicts"]["AC"] == 1


def test_a_judge_error_earns_no_reward() -> None:
    """The trainer never rewards a sample the judge could not decide, not even partly."""
    from mceval.types import SampleResult, TestResult
    from mctrain.reward import reward_of

    result = SampleResult("p", 0, Verdict.JE, [TestResult(0, Verdict.AC), TestResult(1, Verdict.JE)], num_tests=2)
    assert reward_of(result, "binary") == 0.0 and reward_of(result, "fraction") == 0.0
    partial = SampleResult("p", 0, Verdict.WA, [TestResult(0, Verdict.AC), TestResult(1, Verdict.WA)], num_tests=2)
    assert reward_of(partial, "fraction") == 0.5
