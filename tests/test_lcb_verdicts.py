"""Reproducing LiveCodeBench's published verdicts on real O1 submissions (issue 3, grading-only proof).

Data: ../tests/data/lcb_submissions (official `*_eval_all.json` of O1-Mini and O1-Preview on release_v5,
one generation per problem, official verdict in `graded_list`) and ../tests/data/sandboxfusion_samples
(public+private tests of 3 of those problems). Nothing is mocked: every sample runs in the real sandbox.

1. The 3 problems with complete test suites are written as a LiveCodeBench-format file (private tests
   base64-zlib-pickle encoded, as on the Hub) and graded through `evaluate_files`, in both modes.
2. For every official failure, LCB recorded the first failing test (input and expected output, cut to
   300 characters). Where neither is cut, that test alone is a real test the official grader failed the
   code on; we rebuild it and grade the code on it in both modes. LCB's verdict there is "fail": any AC of
   ours is a disagreement, and each one is listed below with its reason. The test asserts that the
   disagreements are exactly the listed ones: no unexplained one, and no stale entry.

Both run in both grading profiles. The `lcb` profile runs programs as LCB's runner does, so the runner
artefacts of group (c) below become failures there too (open(0) always; an unjoined thread unless it
wins its race against the end of the capture, as some did in LCB's own runs); nothing else changes.
"""

from __future__ import annotations

import ast
import base64
import json
import math
import re
import zlib
from pathlib import Path

import pytest
from conftest import read_json

from mccore.schema import Problem
from mccore.schema import TestCase as Case
from mceval import GradeConfig, grade
from mceval.evaluate import evaluate_files
from mceval.lcb_format import problem_to_lcb_row, restricted_loads

MODELS = {
    "O1-Mini": "O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz",
    "O1-Preview": "O1-Preview-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz",
}

# ------------------------------------------------------------------------------------------------
# Disagreements with LCB's verdict (LCB: fail; us: AC), with the judge-accuracy reason for each.

# (a) microcoder mode only. The official grader compares floats by exact Decimal equality; the problem
#     accepts an error up to the stated bound and the program's error is below it (and below 1e-6).
FLOAT_WITHIN_STATED_TOLERANCE = {
    ("O1-Mini", "abc315_f"): "statement allows 1e-5; |error| = 1.9e-13",
    ("O1-Mini", "abc319_c"): "statement allows absolute 1e-8; 0.6666666666666666 vs 2/3, |error| = 6.7e-17",
    ("O1-Mini", "abc324_f"): "statement allows 1e-9; |error| = 5e-11",
    ("O1-Mini", "abc327_e"): "statement allows 1e-6; |error| = 2.3e-13",
    ("O1-Mini", "abc374_d"): "statement allows 1e-6; |error| = 4.9e-16",
    ("O1-Mini", "abc375_b"): "statement allows 1e-6; |error| = 2.1e-16",
    ("O1-Mini", "3613"): "LeetCode prints double answers with 5 decimals (the statement's 720.00000, 1.50000), so "
    "the expected 1.57143 is 11/7 rounded; the returned 1.5714285714285712 IS 11/7 (relative error 9.1e-7 "
    "only against the rounded text), and LeetCode's judge compares doubles with a tolerance",
    ("O1-Preview", "abc314_e"): "statement allows 1e-5; |error| = 4.8e-15",
    ("O1-Preview", "abc315_f"): "statement allows 1e-5; |error| = 2.5e-16",
    ("O1-Preview", "abc327_e"): "statement allows 1e-6; |error| = 9.1e-13",
    ("O1-Preview", "abc374_d"): "statement allows 1e-6; |error| = 4.9e-16",
    ("O1-Preview", "abc375_b"): "statement allows 1e-6; |error| = 1.4e-16",
    ("O1-Preview", "3613"): "as O1-Mini 3613: the same exact value 11/7 against the 5-decimal 1.57143",
}

# (b) microcoder mode only, and microcoder is WRONG here: a known false positive of a problem-independent
#     1e-6 tolerance. AtCoder abc324_f demands 1e-9; the output 0.7500000176463573 vs 0.75 is 1.8e-8 off,
#     so AtCoder rejects it, as LCB did. Kept visible on purpose rather than tuned away.
MICROCODER_FALSE_POSITIVES = {
    ("O1-Preview", "abc324_f"): "statement demands 1e-9; |error| = 1.8e-8 < 1e-6",
}

# (c) both modes: the official verdict is an artefact of LCB's in-process runner, not of the program.
#     Our grader runs the real program, as AtCoder does.
THREAD_WITHOUT_JOIN = {  # LCB captured '' because it stops capturing before the non-daemon thread prints
    ("O1-Mini", q) for q in ("abc368_f", "abc382_c")
} | {
    ("O1-Preview", q)
    for q in (
        "abc310_d", "abc325_f", "abc338_d", "abc342_d", "abc345_d", "abc349_e", "abc361_d", "abc363_c",
        "abc364_f", "abc367_g", "abc368_f", "abc371_c", "abc374_c", "abc374_e", "abc378_d", "abc380_f",
        "arc184_c", "arc185_c",
    )
}
READS_OPEN_0 = {  # LCB: TLE, because open(0) reads the grader child's own fd 0, not the test input
    ("O1-Mini", q) for q in ("abc315_b", "abc349_a", "abc359_b", "abc365_b")
} | {("O1-Preview", q) for q in ("abc301_b", "abc349_a", "abc359_b")}

# Not rebuilt, with the reason (none of these is about comparison or I/O handling):
EXCLUDED = {
    # needs seconds of CPU here: its verdict hinges on the time limit and machine load (and the test budget)
    **{(m, q): "slow" for m, q in [
        ("O1-Mini", "3406"), ("O1-Mini", "3414"), ("O1-Mini", "3563"), ("O1-Mini", "abc301_e"),
        ("O1-Mini", "abc341_f"), ("O1-Mini", "abc361_f"), ("O1-Mini", "abc363_c"), ("O1-Mini", "abc366_e"),
        ("O1-Preview", "3406"), ("O1-Preview", "3527"), ("O1-Preview", "abc301_e"), ("O1-Preview", "abc324_d"),
        ("O1-Preview", "abc361_f"),
    ]},
    # the solution appends a sentinel to its argument and LCB recorded the argument after the call,
    # so the failing test's real input cannot be rebuilt from the metadata
    ("O1-Preview", "3382"): "mutated input",
    # iterates over a set of str, so its answer depends on the interpreter's hash seed (PYTHONHASHSEED):
    # 3 or 4 from run to run, for us as for any judge
    ("O1-Preview", "abc374_g"): "nondeterministic",
}


def _submissions(real_data: Path) -> dict[str, dict[str, dict]]:
    return {
        model: {row["question_id"]: row for row in read_json(real_data / "lcb_submissions" / name)}
        for model, name in MODELS.items()
    }


# ------------------------------------------------------------------------------------------------ 1
def test_full_test_suites_reproduce_official_verdicts(real_data: Path, tmp_path: Path) -> None:
    """The 3 problems with all their tests: every official verdict reproduced, in both modes."""
    subs = _submissions(real_data)
    rows, generations, official = [], [], {}
    for line in (real_data / "sandboxfusion_samples" / "code_eval_live_code_bench_v1.jsonl").read_text().splitlines():
        record = json.loads(line)
        io = json.loads(restricted_loads(zlib.decompress(base64.b64decode(record["test"])))["input_output"])
        question_id = json.loads(record["labels"])["task_id"].split("/")[1]
        meta = subs["O1-Mini"][question_id]
        testtype = "functional" if io["fn_name"] else "stdin"
        problem = Problem(
            problem_id=question_id, source="livecodebench", statement=meta["question_content"],
            title=meta["question_title"], starter_code=meta["starter_code"], func_name=io["fn_name"],
            platform=meta["platform"], contest_date=meta["contest_date"], difficulty=meta["difficulty"],
            tests=[Case(i, o, testtype, False) for i, o in zip(io["inputs"], io["outputs"])],
        )
        rows.append(problem_to_lcb_row(problem))
        generations.append({"question_id": question_id, "code_list": [subs[m][question_id]["code_list"][0] for m in MODELS]})
        official[question_id] = [subs[m][question_id]["graded_list"][0] for m in MODELS]
    problems_file = tmp_path / "problems.jsonl"
    problems_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    generations_file = tmp_path / "generations.json"
    generations_file.write_text(json.dumps(generations))
    assert sorted(official) == ["1873_A", "2727", "abc301_a"]

    for profile in ("microcoder", "lcb"):
        for mode in ("microcoder", "lcb"):
            out = tmp_path / f"{profile}-{mode}"
            summary = evaluate_files(problems_file, generations_file, out, comparison=mode, progress=False,
                                     profile=profile)
            samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
            ours = {(s["question_id"], s["sample_index"]): s["passed"] for s in samples}
            theirs = {(q, i): v for q, verdicts in official.items() for i, v in enumerate(verdicts)}
            assert ours == theirs, (profile, mode)
            assert summary.pass_at_1 == 1.0 and summary.num_samples == 6  # all six official verdicts are "pass"
            assert sum(s["num_tests"] for s in samples) == 2 * (5 + 14 + 15)
            assert {s["grading_profile"] for s in samples} == {profile}


# ------------------------------------------------------------------------------------------------ 2
def _literal(text: str):
    """A Python literal as LCB's metadata prints it (str() of the value), `inf` included."""

    class _Inf(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return ast.Constant(math.inf) if node.id == "inf" else node

    return ast.literal_eval(_Inf().visit(ast.parse(text, mode="eval")))


def _recorded_failures(real_data: Path) -> list[tuple[tuple[str, str], Problem, str]]:
    """(model, question_id), a one-test Problem from LCB's recorded failing test, and the code."""
    cases = []
    for model, rows in _submissions(real_data).items():
        for question_id, row in rows.items():
            meta = json.loads(row["metadata"][0])
            key = (model, question_id)
            if row["graded_list"][0] or "inputs" not in meta or key in EXCLUDED:
                continue
            if "(truncated)" in meta["inputs"] or "(truncated)" in meta["expected"]:
                continue
            if row["starter_code"]:
                # LCB prints str(args) and str(expected): rebuild JSON; a str return type has no quotes
                func_name = re.search(r"def (\w+)\(self", row["starter_code"]).group(1)
                returns = re.search(r"->\s*([^:]+):", row["starter_code"]).group(1).strip()
                test = Case(
                    "\n".join(json.dumps(a) for a in _literal(meta["inputs"])),
                    json.dumps(meta["expected"] if returns == "str" else _literal(meta["expected"])),
                    "functional",
                )
            else:
                func_name, test = None, Case(meta["inputs"], meta["expected"], "stdin")
            problem = Problem(
                problem_id=question_id, source="livecodebench", statement="", tests=(test,),
                func_name=func_name, starter_code=row["starter_code"], platform=row["platform"],
            )
            cases.append((key, problem, row["code_list"][0]))
    return cases


@pytest.mark.slow
def test_recorded_failing_tests_reproduce_official_failures(real_data: Path) -> None:
    """~430 official failures re-run on their recorded failing test; every AC of ours is a listed disagreement."""
    cases = _recorded_failures(real_data)
    assert len(cases) > 400
    keys = [key for key, _, _ in cases]
    listed = FLOAT_WITHIN_STATED_TOLERANCE.keys() | MICROCODER_FALSE_POSITIVES.keys() | THREAD_WITHOUT_JOIN | READS_OPEN_0
    assert listed <= set(keys), "a listed disagreement is not among the rebuilt cases"

    # the reasons of group (c) are facts about the code and LCB's record: check them, not just trust them
    subs = _submissions(real_data)
    for model, question_id in THREAD_WITHOUT_JOIN:
        row = subs[model][question_id]
        code = row["code_list"][0]
        assert "threading.Thread(" in code and ".join()" not in code and "daemon" not in code
        assert json.loads(row["metadata"][0])["output"] == ""
    for model, question_id in READS_OPEN_0:
        row = subs[model][question_id]
        assert "open(0)" in row["code_list"][0] and json.loads(row["metadata"][0])["error_code"] == -3

    accepted = {}
    for profile in ("microcoder", "lcb"):
        for mode in ("microcoder", "lcb"):
            # the lcb profile gives every test LCB's 6 s of wall time whatever the problem's limit
            config = GradeConfig(comparison=mode, timeout_s=6, profile=profile)  # type: ignore[arg-type]
            results = grade([(problem, code) for _, problem, code in cases], config)
            accepted[profile, mode] = {key for key, result in zip(keys, results) if result.passed}

    runner_artefacts = THREAD_WITHOUT_JOIN | READS_OPEN_0
    comparison_only = FLOAT_WITHIN_STATED_TOLERANCE.keys() | MICROCODER_FALSE_POSITIVES.keys()
    assert accepted["microcoder", "lcb"] == runner_artefacts
    assert accepted["microcoder", "microcoder"] == runner_artefacts | comparison_only
    # Run as LCB runs them, the artefacts go: only a thread that won its race can still pass, as in LCB.
    won_race = accepted["lcb", "lcb"]
    assert won_race <= THREAD_WITHOUT_JOIN and len(won_race) <= len(THREAD_WITHOUT_JOIN) // 2
    assert accepted["lcb", "microcoder"] - THREAD_WITHOUT_JOIN == comparison_only
