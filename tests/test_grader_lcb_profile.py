"""The `lcb` grading profile (issue 14 section 1): programs run as LiveCodeBench's runner at commit
28fef95 runs them (its import block, recursion limit, LeetCode pre-imports, one `Solution` for all
tests, its stdin, a 6 s wall clock, no memory limit), still inside the sandbox; the default profile
is unchanged.

The programs and LiveCodeBench's own verdicts are `lcb_profile_cases.py` (recorded by running
LiveCodeBench's runner, `scripts/lcb_side_by_side.py --lcb CHECKOUT`). Everything here runs in the
real sandbox, through `mceval.grade`, `mceval.Grader` and the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from isolation_harness import both_orders, explain, functional_problem, grade_via_cli, stdin_problem, token
from lcb_profile_cases import CASES, MEDIAN, SUM, Case
from test_isolation_samples import MEMORY_SCAN
from typer.testing import CliRunner

import mceval
from cli import app
from mccore.schema import Problem
from mccore.schema import TestCase as Test
from mceval import GradeConfig, Verdict
from mceval.batch_format import encode_batch, request_config
from mceval.bench.lcb_files import LCB_ERROR_CODES
from mceval.grader import limits_for
from mceval.lcb_format import problem_to_lcb_row
from mceval.types import LCB_MEMORY_CAP_MB

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "lcb"
IMPORTLESS = CASES[0].code  # uses deque and sys without importing them


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[str]]:
    """Every case graded once per profile, with LiveCodeBench's comparison."""
    items = [(case.problem, case.code) for case in CASES]
    return {profile: [r.verdict.value for r in mceval.grade(items, GradeConfig(profile=profile, comparison="lcb",
                                                                               workers=2))]
            for profile in ("lcb", "microcoder")}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_program_gets_its_recorded_verdict_in_both_profiles(case: Case, verdicts) -> None:
    """Import-less programs, depth 3,000, the pre-imports, the shared instance, the 6 s wall clock,
    the stdin stand-in, ...: the lcb profile's verdict and the default profile's, as recorded."""
    position = CASES.index(case)
    assert (verdicts["lcb"][position], verdicts["microcoder"][position]) == (case.profile_lcb, case.microcoder)


def _lcb_code(verdict: str) -> str | int:
    return verdict if verdict == "AC" else LCB_ERROR_CODES[verdict][0]


def test_the_lcb_profile_agrees_with_livecodebench_wherever_no_reason_is_given() -> None:
    """The record's own consistency: the lcb profile's verdict is LiveCodeBench's (by its codes)
    exactly for the cases without a `why`; the default profile differs from it in most of them."""
    for case in CASES:
        assert (_lcb_code(case.profile_lcb) == _lcb_code(case.lcb)) is not bool(case.why), case.name
    assert sum(_lcb_code(case.microcoder) != _lcb_code(case.lcb) for case in CASES if not case.why) >= 15


def test_one_solution_serves_every_test_even_when_idle_workers_could_split_them() -> None:
    """Tests of a functional sample are never split between sandboxes in the lcb profile (they
    would see different instances); the default profile builds a fresh one per test."""
    problem = Problem("count", "test", "", func_name="calls", tests=tuple(
        Test("0", str(i), "functional") for i in range(1, 41)))
    code = ("import time\nclass Solution:\n    def __init__(self):\n        self.count = 0\n"
            "    def calls(self, x):\n        time.sleep(0.01)\n        self.count += 1\n        return self.count\n")
    with mceval.Grader(GradeConfig(workers=2, profile="lcb")) as grader:
        (shared,) = grader.grade([(problem, code)])
    assert shared.verdict is Verdict.AC and shared.num_passed == 40, explain(shared)
    (fresh,) = mceval.grade([(problem, code)], GradeConfig(workers=2))
    assert fresh.verdict is Verdict.WA and fresh.num_passed == 1, explain(fresh)


def test_limits_of_each_profile() -> None:
    """lcb: one wall-clock limit for every problem (6 s, or --timeout) and a memory safety cap that
    --memory-mb raises but never lowers; the default profile keeps the problem's CPU limit."""
    lcb = limits_for(SUM, GradeConfig(profile="lcb"))
    assert (lcb.time_s, lcb.wall_clock, lcb.memory_bytes) == (6.0, True, LCB_MEMORY_CAP_MB << 20)
    assert limits_for(SUM, GradeConfig(profile="lcb", timeout_s=3)).time_s == 3.0
    assert limits_for(SUM, GradeConfig(profile="lcb", memory_mb=16384)).memory_bytes == 16384 << 20
    assert limits_for(SUM, GradeConfig(profile="lcb", memory_mb=256)).memory_bytes == LCB_MEMORY_CAP_MB << 20
    default = limits_for(SUM, GradeConfig())
    assert (default.time_s, default.wall_clock, default.memory_bytes) == (2.0, False, 1024 << 20)
    assert GradeConfig().profile == "microcoder"
    with pytest.raises(ValueError, match="grading profile must be one of microcoder, lcb"):
        GradeConfig(profile="livecodebench")  # type: ignore[arg-type]


def test_code_that_does_not_parse_is_a_compile_error_in_both_profiles() -> None:
    """LiveCodeBench keeps code its transformation cannot parse as it is (and fails it, -4)."""
    results = [mceval.grade([(problem, "print(1\n")], GradeConfig(profile=profile))[0]
               for problem in (SUM, MEDIAN) for profile in ("lcb", "microcoder")]
    assert [r.verdict for r in results] == [Verdict.CE] * 4, [explain(r) for r in results]


# ----------------------------------------------------------------------- still in the sandbox
def test_the_lcb_profile_keeps_samples_apart() -> None:
    """The lcb profile runs programs differently, never elsewhere: an attacker scanning its own
    memory finds nothing of the sample before or after it (functional and stdin, one worker)."""
    secret = token()
    functional, stdin = functional_problem("lcb-mem-fn", f'"{secret}"'), stdin_problem("lcb-mem-stdin", secret)
    pairs = [  # (attacker, victim)
        ((functional, MEMORY_SCAN + "class Solution:\n    def answer(self, x):\n        return scan_memory()\n"),
         (functional, f"class Solution:\n    def answer(self, x):\n        return {secret!r}\n")),
        ((stdin, MEMORY_SCAN + "input()\nprint(scan_memory())\n"), (stdin, f"input()\nprint({secret!r})\n")),
    ]
    for attacker, victim in pairs:
        got = both_orders(attacker, victim, profile="lcb")
        assert [got[k].verdict for k in ("attacker first", "victim", "attacker after")] == [
            Verdict.WA, Verdict.AC, Verdict.WA], [explain(r) for r in got.values()]


def test_the_lcb_profile_shows_the_sandbox_filesystem(tmp_path: Path) -> None:
    """Through the CLI: the project is not visible, the program is not root, and there is no network."""
    probe = ("import os, socket\ninput()\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
             "    net = 'net'\nexcept OSError:\n    net = 'no-net'\n"
             f"print(os.path.exists({str(REPO)!r}), os.geteuid() == 0, net)\n")
    rows = grade_via_cli(tmp_path, stdin_problem("lcb-fs", "False False no-net"), [probe],
                         "--grading-profile", "lcb")
    assert [(r["verdict"], r["grading_profile"]) for r in rows] == [("AC", "lcb")], rows


# ---------------------------------------------------------------------------------- the CLI
def _grade_cli(tmp_path: Path, problems: list[Problem], codes: dict[str, list[str]], *extra: str):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "problems.jsonl").write_text("".join(json.dumps(problem_to_lcb_row(p)) + "\n" for p in problems))
    (tmp_path / "gens.json").write_text(json.dumps([{"question_id": q, "code_list": c} for q, c in codes.items()]))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eval", "--problems", str(tmp_path / "problems.jsonl"), "--generations",
                                      str(tmp_path / "gens.json"), "--output", str(out), "--quiet", *extra])
    return result, out


def test_cli_grading_profile(tmp_path: Path) -> None:
    """`--grading-profile lcb` runs the import-less program and the pre-import answer as LiveCodeBench
    does and records the profile in every results file; the default stays microcoder."""
    codes = {"sum": [IMPORTLESS], "median": [CASES[2].code]}
    result, out = _grade_cli(tmp_path / "lcb", [SUM, MEDIAN], codes, "--grading-profile", "lcb", "--comparison", "lcb")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert (summary["grading_profile"], summary["config"]["profile"], summary["pass@1"]) == ("lcb", "lcb", 1.0)
    assert {(r["grading_profile"], r["verdict"]) for r in rows} == {("lcb", "AC")}
    assert "--grading-profile lcb" not in result.output  # no hint: it runs as LiveCodeBench does already

    result, out = _grade_cli(tmp_path / "default", [SUM, MEDIAN], codes, "--comparison", "lcb")
    assert result.exit_code == 0, result.output
    assert "add --grading-profile lcb to run them as LiveCodeBench does too" in result.output
    rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert {(r["grading_profile"], r["verdict"]) for r in rows} == {("microcoder", "RE")}


@pytest.mark.parametrize("args, message", [
    (["--grading-profile", "livecodebench"], "--grading-profile must be microcoder or lcb, got 'livecodebench'"),
    (["--grading-profile", "lcb", "--memory-mb", "512"], "--memory-mb can only raise its safety cap of 8192 MiB"),
])
def test_cli_rejects_a_bad_profile_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result, _ = _grade_cli(tmp_path, [SUM], {"sum": ["print(6)"]}, *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output


def test_bench_records_the_real_profile(tmp_path: Path) -> None:
    """`--bench` writes the profile into summary.json, every row and LiveCodeBench's folder names."""
    references = {g["question_id"]: g["code_list"][0]
                  for g in json.loads((FIXTURE / "reference_generations.json").read_text())}
    # passes in the lcb profile only: `statistics` is among LiveCodeBench's pre-imports, not LeetCode's
    gens = [{"question_id": q, "code_list": [c, "_ = statistics.mean([1])\n" + c]}
            for q, c in references.items() if q in ("3411", "3412", "3413", "3416", "3417", "3420")]
    (tmp_path / "gens.json").write_text(json.dumps(gens))
    results = {}
    for profile in ("lcb", "microcoder"):
        out = tmp_path / profile
        result = CliRunner().invoke(app, [
            "eval", "--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--generations", str(tmp_path / "gens.json"),
            "--temperature", "0.2", "--comparison", "both", "--grading-profile", profile, "--output", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text())
        assert summary["grading_profile"] == profile
        for mode in ("microcoder", "lcb"):
            folder = f"livecodebench/grading-{profile}_comparison-{mode}_extract-robust"
            assert summary["files"]["livecodebench"][mode]["eval_all"].startswith(folder)
            assert (out / folder / "Scenario.codegeneration_2_0.2_eval_all.json").is_file()
        rows = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
        assert {r["grading_profile"] for r in rows} == {profile}
        results[profile] = {(r["question_id"], r["sample_index"]): r["verdict"] for r in rows}
    assert len(results["lcb"]) == 12
    assert set(results["lcb"].values()) == {"AC"}
    assert {v for (_, i), v in results["microcoder"].items() if i == 1} == {"RE"}


# --------------------------------------------------------------------------- the service's API
def test_a_grading_request_carries_the_profile() -> None:
    """`--grader http://...` sends the profile with every batch; a server rejects an unknown one."""
    body = encode_batch([(SUM, "print(6)")], GradeConfig(profile="lcb"))
    assert body["config"]["profile"] == "lcb"
    assert request_config(body, GradeConfig()).profile == "lcb"
    with pytest.raises(ValueError, match="config.profile"):
        request_config({"config": {"profile": "judge"}}, GradeConfig())
