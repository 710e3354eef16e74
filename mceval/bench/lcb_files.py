"""LiveCodeBench's own result files, one set per grading (`OUT/livecodebench/<label>/`).

Why a folder per grading, named after what produced it: a run graded with MicroCoder's comparison
or extraction is not LiveCodeBench's evaluation, so its files must not pass for the official ones,
and `--comparison both` yields two gradings of the same generations. Inside, the three files have
exactly the names and shapes `lcb_runner` writes and reads (`output/<model>/` in LiveCodeBench), so
its `compute_scores --eval_all_file` and `main --continue_existing_with_eval` take them as they are:

  Scenario.codegeneration_{n}_{T}.json           generations: problem fields + output_list, code_list
  Scenario.codegeneration_{n}_{T}_eval.json      [metrics, per-test results, metadata]
  Scenario.codegeneration_{n}_{T}_eval_all.json  generations + graded_list, pass@1, metadata

Rows are sorted by question_id, as LiveCodeBench sorts them. Codes follow LiveCodeBench
(`testing_util.py`): -2 wrong answer, -3 time limit, -4 runtime error, compile error and missing
code, -5 a test that could not be judged. Metadata holds the fields its self-repair prompt reads
(`inputs`, `expected`, `error`, and `output`, which is null: the grader compares a program's
output without keeping it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from mccore.atomic import atomic_write_json
from mccore.schema import Problem
from mceval.bench.report import ProblemRun
from mceval.passk import mean_pass_at_k, pass_at_k

# verdict -> (LiveCodeBench error_code, error_message); keyed by the verdict's text.
LCB_ERROR_CODES: dict[str, tuple[int, str]] = {
    "WA": (-2, "Wrong Answer"),
    "TLE": (-3, "Time Limit Exceeded"),
    "MLE": (-4, "Runtime Error"),
    "RE": (-4, "Runtime Error"),
    "OLE": (-4, "Runtime Error"),
    "CE": (-4, "Error during testing"),
    "NO_CODE": (-4, "Error during testing"),
    "JE": (-5, "TestRunnerError"),
}
LCB_K_LIST = (1, 5, 10, 20, 40, 50, 75, 100, 125, 150, 200, 500, 1000)  # codegen_metrics' default
SCENARIO = "Scenario.codegeneration"


def grading_label(profile: str, comparison: str, extract: str) -> str:
    """The folder name: says which grading profile, comparison and extraction produced the files."""
    return f"grading-{profile}_comparison-{comparison}_extract-{extract}"


def lcb_file_names(n: int, temperature: str) -> dict[str, str]:
    base = f"{SCENARIO}_{n}_{temperature}"
    return {"generations": f"{base}.json", "eval": f"{base}_eval.json", "eval_all": f"{base}_eval_all.json"}


def _truncate(value: Any, length: int = 300) -> str:
    """LiveCodeBench's `truncatefn`: str(value), its middle cut out past 300 characters."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= length else text[: length // 2] + "...(truncated) ..." + text[-length // 2 :]


def _test_fields(problem: Problem, index: int) -> dict[str, str]:
    """`inputs` and `expected` as LiveCodeBench prints them: raw text for stdin tests, str() of the
    parsed arguments / value for functional ones."""
    test = problem.tests[index if 0 <= index < len(problem.tests) else 0]
    if problem.is_functional:
        try:
            inputs: Any = [json.loads(line) for line in test.input.split("\n")]
            expected: Any = json.loads(test.output)
        except ValueError:
            inputs, expected = test.input, test.output
    else:
        inputs, expected = test.input, test.output
    return {"inputs": _truncate(inputs), "expected": _truncate(expected)}


def per_test_results(row: Mapping[str, Any]) -> list[Any]:
    """One sample's per-test results as LiveCodeBench lists them: True per passed test, then the
    failing test's code (a sample that never ran a test: one code)."""
    results: list[Any] = []
    for test in row.get("tests") or []:
        if test["verdict"] == "AC":
            results.append(True)
        else:
            results.append(LCB_ERROR_CODES.get(test["verdict"], (-4, ""))[0])
            break
    if not row["passed"] and all(r is True for r in results):
        results.append(LCB_ERROR_CODES.get(row["verdict"], (-4, ""))[0])
    return results


def metadata(problem: Problem, row: Mapping[str, Any]) -> str:
    """LiveCodeBench's per-sample metadata string."""
    tests = row.get("tests") or []
    if row["passed"]:
        return json.dumps({"execution time": sum(t.get("time_s", 0.0) for t in tests)})
    code, message = LCB_ERROR_CODES.get(row["verdict"], (-4, "Runtime Error"))
    failing = next((t for t in tests if t.get("verdict") != "AC"), {})
    detail = failing.get("message", "") or ("no code block in the response" if row["verdict"] == "NO_CODE" else "")
    data: dict[str, Any] = {"error_code": code, "error_message": message, "verdict": row["verdict"]}
    if row["verdict"] in ("CE", "NO_CODE"):
        data["error_message"] = f"{message}: {detail}"
    if code == -2:
        data["output"] = None  # not kept by the grader
    else:
        data["error"] = detail
    data.update(_test_fields(problem, int(failing.get("index", 0))))
    return json.dumps(data)


def _row_base(problem: Problem, run: ProblemRun) -> dict[str, Any]:
    date = problem.contest_date or ""
    try:
        date = datetime.fromisoformat(date).isoformat()  # as LiveCodeBench writes it
    except ValueError:
        pass
    return {
        "question_title": problem.title, "question_content": problem.statement, "platform": problem.platform,
        "question_id": problem.problem_id, "contest_id": str(problem.stats.get("contest_id", "")),
        "contest_date": date, "starter_code": problem.starter_code, "difficulty": problem.difficulty or "",
        "output_list": list(run.outputs), "code_list": [c or "" for c in run.codes],
    }


def eval_all_rows(runs: Sequence[ProblemRun], comparison: str, grading: Mapping[str, Any] | None = None) -> list[dict]:
    """Rows of `*_eval_all.json`, sorted by question_id; each records the grading that made it."""
    rows = []
    for run in sorted(runs, key=lambda r: r.problem.problem_id):
        graded = [bool(r["passed"]) for r in run.results[comparison]]
        row = _row_base(run.problem, run)
        row.update({"graded_list": graded, "pass@1": graded.count(True) / len(graded) if graded else 0.0,
                    "metadata": [metadata(run.problem, r) for r in run.results[comparison]]})
        if grading:
            row["grading"] = dict(grading)
        rows.append(row)
    return rows


def eval_metrics(runs: Sequence[ProblemRun], comparison: str, grading: Mapping[str, Any] | None = None) -> list[Any]:
    """`*_eval.json`: [metrics, results, metadata] as `codegen_metrics` returns them; problems are
    numbered in question_id order."""
    ordered = sorted(runs, key=lambda r: r.problem.problem_id)
    counts = [(len(r.results[comparison]), r.num_correct(comparison)) for r in ordered]
    metrics: dict[str, Any] = {}
    detail: dict[str, dict[int, float]] = {}
    for k in LCB_K_LIST:
        if all(n >= k for n, _ in counts):
            metrics[f"pass@{k}"] = mean_pass_at_k(counts, k)
            detail[f"pass@{k}"] = {i: pass_at_k(n, c, k) for i, (n, c) in enumerate(counts)}
    metrics["detail"] = detail
    if grading:
        metrics["grading"] = dict(grading)
    results = {i: [per_test_results(row) for row in run.results[comparison]] for i, run in enumerate(ordered)}
    meta = [[metadata(run.problem, row) for row in run.results[comparison]] for run in ordered]
    return [metrics, results, meta]


def write_lcb_files(folder: Path, runs: Sequence[ProblemRun], comparison: str, temperature: str,
                    grading: Mapping[str, Any]) -> dict[str, str]:
    """Write the three files into `folder`; returns their paths by kind."""
    n = max(len(r.outputs) for r in runs)
    names = lcb_file_names(n, temperature)
    folder.mkdir(parents=True, exist_ok=True)
    generations = [_row_base(r.problem, r) for r in sorted(runs, key=lambda r: r.problem.problem_id)]
    atomic_write_json(folder / names["generations"], generations)
    atomic_write_json(folder / names["eval"], eval_metrics(runs, comparison, grading))
    atomic_write_json(folder / names["eval_all"], eval_all_rows(runs, comparison, grading))
    return {kind: str(folder / name) for kind, name in names.items()}
