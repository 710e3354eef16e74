"""Shared by the tests/test_isolation_*.py modules: grade hostile and innocent samples on ONE
worker, in a fixed order, through the API (`mceval.Grader`) and through the CLI
(`microcoder eval --workers 1`), so an attacker always runs right before or right after its victim
in the same sandbox.

Every problem here has one test, so the grader (which takes samples longest-first, stably) keeps
the order the samples are given in; through the CLI, attacker and victim are samples of one
problem, graded in their order in the generations file."""

from __future__ import annotations

import json
import textwrap
import uuid
from pathlib import Path

from typer.testing import CliRunner

import mceval
from cli import app
from mccore.schema import Problem, TestCase
from mceval import GradeConfig, SampleResult
from mceval.lcb_format import problem_to_lcb_row


def token() -> str:
    """A fresh secret answer: only the innocent sample's code contains it."""
    return "MCV-" + uuid.uuid4().hex


def stdin_problem(pid: str, expected: str, time_limit_s: float = 2.0, stdin: str = "1\n") -> Problem:
    return Problem(pid, "test", "", time_limit_s=time_limit_s, tests=(TestCase(stdin, expected + "\n"),))


def functional_problem(pid: str, expected_json: str, time_limit_s: float = 2.0) -> Problem:
    return Problem(pid, "test", "", func_name="answer", time_limit_s=time_limit_s,
                   tests=(TestCase("1", expected_json, "functional"),))


def grade_in_order(items: list[tuple[Problem, str]], **config) -> list[SampleResult]:
    """Grade `items` one after the other in ONE sandbox (a single-worker pool)."""
    items = [(p, textwrap.dedent(code)) for p, code in items]
    with mceval.Grader(GradeConfig(workers=1, **config)) as grader:
        return grader.grade(items)


def both_orders(attacker: tuple[Problem, str], victim: tuple[Problem, str], **config) -> dict[str, SampleResult]:
    """Attacker, victim, attacker on one worker: every attacker-victim adjacency in both orders.
    Returns {"attacker first", "victim", "attacker after"}."""
    first, victim_result, after = grade_in_order([attacker, victim, attacker], **config)
    return {"attacker first": first, "victim": victim_result, "attacker after": after}


def grade_via_cli(tmp_path: Path, problem: Problem, codes: list[str], *extra: str) -> list[dict]:
    """`microcoder eval --workers 1` on samples of one problem, in this order; their samples.jsonl rows."""
    (tmp_path / "problems.jsonl").write_text(json.dumps(problem_to_lcb_row(problem)) + "\n")
    gens = [{"question_id": problem.problem_id, "code_list": [textwrap.dedent(c) for c in codes]}]
    (tmp_path / "gens.json").write_text(json.dumps(gens))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eval", "--problems", str(tmp_path / "problems.jsonl"), "--generations",
                                      str(tmp_path / "gens.json"), "--output", str(out), "--workers", "1", "--quiet",
                                      *extra])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    return sorted(rows, key=lambda r: r["sample_index"])


def explain(result: SampleResult) -> str:
    return f"{result.verdict.value}: " + "; ".join(f"test {t.index} {t.verdict.value} {t.message}" for t in result.tests)
