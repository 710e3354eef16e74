"""`microcoder eval --problems --generations --output` end to end on real problems, in the real sandbox.

Nothing is replaced: real LiveCodeBench-format files (written with the Hub's encodings), the real CLI
(typer's CliRunner in-process, plus one subprocess run of `python -m cli` for the exit code/stderr
contract), the real grader.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import read_json, read_text
from leetcode_mutants import wrong_answer_suffix
from typer.testing import CliRunner

from cli import app
from mccore.schema import Problem
from mceval.evaluate import PARTIAL_FILE, _fingerprint, evaluate_files
from mceval.lcb_format import load_lcb_problems, problem_to_lcb_row, restricted_loads
from mceval.leetcode_format import load_leetcodedataset
from mceval.types import GradeConfig

REPO = Path(__file__).resolve().parents[1]
NUM_LEETCODE = 30  # the first 30 convertible problems of LeetCodeDataset v0.3.1-test (~2,750 tests)



def _invoke(*args: str):
    return CliRunner().invoke(app, ["eval", *args])


def _leetcode_problems(real_data: Path, count: int) -> list[Problem]:
    problems, _ = load_leetcodedataset(real_data / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz", limit=count)
    return problems


def _write_problems(path: Path, problems: list[Problem]) -> Path:
    path.write_text("".join(json.dumps(problem_to_lcb_row(p)) + "\n" for p in problems))
    return path


def _samples(outdir: Path) -> list[dict]:
    return [json.loads(line) for line in (outdir / "samples.jsonl").read_text().splitlines()]


def test_leetcode_references_pass_and_mutants_fail(real_data: Path, tmp_path: Path) -> None:
    problems = _leetcode_problems(real_data, NUM_LEETCODE)
    assert len(problems) == NUM_LEETCODE
    problems_file = _write_problems(tmp_path / "problems.jsonl", problems)
    generations = [
        {"question_id": p.problem_id, "code_list": [p.solutions[0], p.solutions[0] + wrong_answer_suffix(p.func_name)]}
        for p in problems
    ]
    (tmp_path / "gens.json").write_text(json.dumps(generations))
    out = tmp_path / "out"

    result = _invoke("--problems", str(problems_file), "--generations", str(tmp_path / "gens.json"), "--output", str(out), "--quiet")
    assert result.exit_code == 0, result.output
    assert "pass@1 0.5000 on 30 problems, 60 samples" in result.output

    samples = _samples(out)
    assert len(samples) == 2 * NUM_LEETCODE
    references = [s for s in samples if s["sample_index"] == 0]
    mutants = [s for s in samples if s["sample_index"] == 1]
    assert all(s["passed"] and s["verdict"] == "AC" and s["num_passed"] == s["num_tests"] for s in references)
    assert sum(s["num_tests"] for s in references) > 2_500
    assert all(not s["passed"] and s["verdict"] == "WA" for s in mutants)
    assert all(s["tests"][-1]["verdict"] == "WA" and len(s["tests"]) <= s["num_tests"] for s in mutants)  # early exit

    summary = json.loads((out / "summary.json").read_text())
    assert summary["pass@1"] == 0.5 and summary["pass@k"] == {"pass@1": 0.5, "pass@2": 1.0}
    assert summary["by_platform_difficulty"]["leetcode"] and summary["test_pass_fraction"] is None  # early exit
    assert summary["num_problems"] == NUM_LEETCODE and summary["num_samples"] == 60
    assert summary["verdicts"]["AC"] == 30 and summary["verdicts"]["WA"] == 30
    assert summary["by_platform"] == {"leetcode": 0.5}
    assert summary["config"]["comparison"] == "microcoder"
    assert len(summary["inputs"]["problems"]["sha256"]) == 64
    assert not (out / PARTIAL_FILE).exists() and sorted(p.name for p in out.iterdir()) == ["samples.jsonl", "summary.json"]


def _lcb_stdin_problems(real_data: Path) -> tuple[list[Problem], dict[str, str]]:
    """1873_A and abc301_a with all their tests, and O1-Mini's raw (accepted) answers to them."""
    import base64
    import zlib

    from mccore.schema import TestCase as Case

    subs = {
        r["question_id"]: r
        for r in read_json(real_data / "lcb_submissions" / "O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz")
    }
    problems, answers = [], {}
    for line in (real_data / "sandboxfusion_samples" / "code_eval_live_code_bench_v1.jsonl").read_text().splitlines():
        record = json.loads(line)
        io = json.loads(restricted_loads(zlib.decompress(base64.b64decode(record["test"])))["input_output"])
        question_id = json.loads(record["labels"])["task_id"].split("/")[1]
        if io["fn_name"]:
            continue
        meta = subs[question_id]
        tests = [Case(i, o, "stdin", k < 1) for k, (i, o) in enumerate(zip(io["inputs"], io["outputs"]))]
        problems.append(
            Problem(problem_id=question_id, source="livecodebench", statement=meta["question_content"], tests=tests,
                    platform=meta["platform"], difficulty=meta["difficulty"], contest_date=meta["contest_date"])
        )
        answers[question_id] = meta["output_list"][0]
    return problems, answers


def test_stdin_problems_from_raw_outputs(real_data: Path, tmp_path: Path) -> None:
    """output_list answers are extracted, then graded: accepted, wrong (mutated), no code at all."""
    problems, answers = _lcb_stdin_problems(real_data)
    assert sorted(answers) == ["1873_A", "abc301_a"]
    problems_file = _write_problems(tmp_path / "problems.jsonl", problems)
    wrong = {"1873_A": answers["1873_A"].replace('"YES"', '"NO"'), "abc301_a": answers["abc301_a"].replace("'T'", "'A'")}
    assert all(wrong[q] != answers[q] for q in answers)
    generations = [
        {"question_id": q, "output_list": [answers[q], wrong[q], "Sorry, I cannot solve this."]} for q in answers
    ]
    (tmp_path / "gens.json").write_text(json.dumps(generations))

    for extract in ("robust", "lcb"):
        out = tmp_path / extract
        result = _invoke("--problems", str(problems_file), "--generations", str(tmp_path / "gens.json"),
                         "--output", str(out), "--extract", extract, "--workers", "2", "--timeout", "5", "--quiet")
        assert result.exit_code == 0, result.output
        verdicts = {(s["question_id"], s["sample_index"]): s["verdict"] for s in _samples(out)}
        assert verdicts == {
            ("1873_A", 0): "AC", ("1873_A", 1): "WA", ("1873_A", 2): "NO_CODE",
            ("abc301_a", 0): "AC", ("abc301_a", 1): "WA", ("abc301_a", 2): "NO_CODE",
        }
        summary = json.loads((out / "summary.json").read_text())
        assert summary["extract"] == extract and summary["config"]["timeout_s"] == 5 and summary["config"]["workers"] == 2
        assert summary["pass@1"] == pytest.approx(1 / 3) and summary["verdicts"]["NO_CODE"] == 2


def test_problems_without_generations_count_as_failures(real_data: Path, tmp_path: Path) -> None:
    """LiveCodeBench requires a generation for every problem: by default a missing one counts as
    failed samples, and the CLI says so; --missing-generations skip averages over the others."""
    problems, answers = _lcb_stdin_problems(real_data)
    problems_file = _write_problems(tmp_path / "problems.jsonl", problems)
    (tmp_path / "gens.json").write_text(json.dumps([{"question_id": "1873_A", "output_list": [answers["1873_A"]] * 2}]))
    common = ["--problems", str(problems_file), "--generations", str(tmp_path / "gens.json"), "--timeout", "5", "--quiet"]

    result = _invoke(*common, "--output", str(tmp_path / "fail"))
    assert result.exit_code == 0, result.output
    assert "note: 1 problem(s) had no generations: counted as failures" in result.output
    summary = json.loads((tmp_path / "fail" / "summary.json").read_text())
    assert summary["num_problems"] == 2 and summary["pass@1"] == 0.5 and summary["missing_generations"] == "fail"
    assert summary["problems_without_generations"] == ["abc301_a"] and summary["verdicts"]["NO_CODE"] == 2
    rows = _samples(tmp_path / "fail")
    assert {(r["grading_profile"], r["comparison"], r["extract"]) for r in rows} == {("microcoder", "microcoder", "robust")}

    result = _invoke(*common, "--missing-generations", "skip", "--output", str(tmp_path / "skip"))
    assert "left out of the averages" in result.output
    summary = json.loads((tmp_path / "skip" / "summary.json").read_text())
    assert summary["num_problems"] == 1 and summary["pass@1"] == 1.0

    result = _invoke(*common, "--missing-generations", "error", "--output", str(tmp_path / "error"))
    assert result.exit_code == 2 and "no generations for 1 of the 2 problems" in result.output


def test_resume_reuses_finished_rows(real_data: Path, tmp_path: Path) -> None:
    """A partial file from an interrupted run of the SAME job is reused (its rows are not regraded);
    a torn last line is dropped; a partial file of another job is ignored."""
    problems, answers = _lcb_stdin_problems(real_data)
    problems_file = _write_problems(tmp_path / "problems.jsonl", problems)
    gens_file = tmp_path / "gens.json"
    gens_file.write_text(json.dumps([{"question_id": q, "output_list": [a, "no code"]} for q, a in answers.items()]))
    out = tmp_path / "out"
    first = evaluate_files(problems_file, gens_file, out, progress=False)
    rows = _samples(out)
    assert first.resumed_samples == 0 and [r["verdict"] for r in rows] == ["AC", "NO_CODE", "AC", "NO_CODE"]

    # Pretend the run stopped after two samples; mark one row so a regrade would be visible.
    loaded = load_lcb_problems(problems_file)
    from mceval.evaluate import load_generations

    generations = load_generations(gens_file, [p.problem_id for p in loaded])
    fingerprint = _fingerprint(loaded, generations, GradeConfig())
    marked = dict(rows[0], verdict="TLE", passed=False)
    (out / PARTIAL_FILE).write_text(
        json.dumps({"fingerprint": fingerprint}) + "\n" + json.dumps(marked) + "\n" + json.dumps(rows[1]) + "\n" + '{"question_id": "abc'
    )
    second = evaluate_files(problems_file, gens_file, out, progress=False)
    assert second.resumed_samples == 2
    assert [r["verdict"] for r in _samples(out)] == ["TLE", "NO_CODE", "AC", "NO_CODE"]
    assert not (out / PARTIAL_FILE).exists()

    (out / PARTIAL_FILE).write_text(json.dumps({"fingerprint": "another job"}) + "\n" + json.dumps(marked) + "\n")
    third = evaluate_files(problems_file, gens_file, out, progress=False)
    assert third.resumed_samples == 0 and [r["verdict"] for r in _samples(out)] == ["AC", "NO_CODE", "AC", "NO_CODE"]


# ------------------------------------------------------------------------------------------------ bad input
def _row(question_id: str = "abc000_a", **changes) -> dict:
    row = {
        "question_id": question_id, "question_title": "", "question_content": "Print 3.", "platform": "atcoder",
        "contest_date": "2024-01-01T00:00:00", "starter_code": "", "difficulty": "easy",
        "public_test_cases": json.dumps([{"input": "", "output": "3\n", "testtype": "stdin"}]),
        "private_test_cases": "[]", "metadata": "{}",
    }
    row.update(changes)
    return row


@pytest.mark.parametrize(
    "problems, generations, message",
    [
        ([_row()], [{"question_id": "abc999_z", "code_list": ["print(3)"]}],
         "gens.json: entry 1: field 'question_id' 'abc999_z' is not among the problems"),
        ([_row()], "{not json", "gens.json: malformed JSON"),
        ([_row()], {"question_id": "abc000_a"}, "gens.json: expected a JSON list"),
        ([_row()], [{"question_id": "abc000_a"}], "gens.json: entry 1: needs a 'code_list' or an 'output_list' field"),
        ([_row()], [{"question_id": "abc000_a", "code_list": []}], "gens.json: entry 1: field 'code_list' must be a non-empty list"),
        ([_row()], [{"question_id": "abc000_a", "code_list": [3]}], "gens.json: entry 1: field 'code_list'[0] must be a string"),
        ([_row()], [{"question_id": "abc000_a", "code_list": ["print(3)"]}, {"question_id": "abc000_a", "code_list": ["x"]}],
         "gens.json: entry 2: duplicate question_id 'abc000_a'"),
        ([_row(), "{broken"], [], "problems.jsonl: line 2: malformed JSON"),
        ([_row(private_test_cases="eJy%%%")], [], "problems.jsonl: line 1: field 'private_test_cases' is neither JSON nor base64"),
        ([_row(public_test_cases="[]")], [], "problems.jsonl: line 1: fields 'public_test_cases'/'private_test_cases' hold zero tests"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, problems: list, generations, message: str) -> None:
    problems_file = tmp_path / "problems.jsonl"
    problems_file.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in problems))
    gens_file = tmp_path / "gens.json"
    gens_file.write_text(generations if isinstance(generations, str) else json.dumps(generations))
    result = _invoke("--problems", str(problems_file), "--generations", str(gens_file), "--output", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "summary.json").exists()


def test_bad_options(tmp_path: Path) -> None:
    problems_file = tmp_path / "problems.jsonl"
    problems_file.write_text(json.dumps(_row()) + "\n")
    gens_file = tmp_path / "gens.json"
    gens_file.write_text(json.dumps([{"question_id": "abc000_a", "code_list": ["print(3)"]}]))
    base = ["--problems", str(problems_file), "--generations", str(gens_file), "--output", str(tmp_path / "o")]
    for extra, message in [
        (["--comparison", "fuzzy"], "--comparison must be 'microcoder' or 'lcb'"),
        (["--extract", "magic"], "--extract must be 'lcb' or 'robust'"),
        (["--timeout", "0"], "--timeout must be positive"),
        (["--workers", "0"], "--workers must be at least 1"),
    ]:
        result = _invoke(*base, *extra)
        assert result.exit_code == 2 and message in result.output, result.output
    result = _invoke("--output", str(tmp_path / "o"))
    assert result.exit_code == 2 and "grading needs --problems FILE and --generations FILE" in result.output
    result = _invoke("--problems", str(tmp_path / "nope.jsonl"), "--generations", str(gens_file), "--output", str(tmp_path / "o"))
    assert result.exit_code == 2 and "problems file not found" in result.output
    result = _invoke(*base, "--model", "m", "--start-date", "2025-01-01")  # silently ignoring them would mislead
    assert result.exit_code == 2 and "--start-date, --model only apply with --bench" in result.output, result.output
    result = _invoke("--problems", str(problems_file), "--generations", str(gens_file), "--output", str(problems_file))
    assert result.exit_code == 2 and "is a file; give a folder" in result.output and "Traceback" not in result.output, result.output


def test_subprocess_contract(tmp_path: Path) -> None:
    """The real process: exit 0 with a WA verdict, exit 2 with one stderr line and no traceback on bad input."""
    problems_file = tmp_path / "problems.jsonl"
    problems_file.write_text(json.dumps(_row()) + "\n")
    gens_file = tmp_path / "gens.json"
    gens_file.write_text(json.dumps([{"question_id": "abc000_a", "code_list": ["print(4)"]}]))
    command = [sys.executable, "-m", "cli", "eval", "--problems", str(problems_file), "--generations", str(gens_file)]
    done = subprocess.run([*command, "--output", str(tmp_path / "o"), "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _samples(tmp_path / "o")[0]["verdict"] == "WA"

    gens_file.write_text(json.dumps([{"question_id": "nope", "code_list": ["print(3)"]}]))
    done = subprocess.run([*command, "--output", str(tmp_path / "o2")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "entry 1: field 'question_id' 'nope' is not among the problems" in done.stderr
    assert "Traceback" not in done.stderr


# Our own solutions to three CodeContests problems (sandboxfusion_samples: 102/132/101 real tests each),
# using three stdin idioms: sys.stdin.read, open(0), sys.stdin.buffer. The second program of each is
# deliberately wrong.
CODECONTESTS = {
    "1000_A. Codehorses T-shirts": (
        "import sys\nfrom collections import Counter\n"
        "d = sys.stdin.read().split()\nn = int(d[0])\n"
        "print(n - sum((Counter(d[1:n + 1]) & Counter(d[n + 1:2 * n + 1])).values()))\n",
        "import sys\nd = sys.stdin.read().split()\nn = int(d[0])\nprint(len(set(d[1:n + 1]) ^ set(d[n + 1:])))\n",
    ),
    "12_B. Correct Solution?": (
        "n, m = open(0).read().split()\n"
        "if n == '0':\n    best = '0'\nelse:\n"
        "    s = sorted(n)\n    i = next(i for i, c in enumerate(s) if c != '0')\n"
        "    best = s[i] + ''.join(s[:i] + s[i + 1:])\n"
        "print('OK' if m == best else 'WRONG_ANSWER')\n",
        "n, m = open(0).read().split()\nprint('OK' if int(m) == int(''.join(sorted(n))) else 'WRONG_ANSWER')\n",
    ),
    "1342_C. Yet Another Counting Problem": (
        "import sys\n\ndef main():\n"
        "    data = sys.stdin.buffer.read().split()\n    t, p, out = int(data[0]), 1, []\n"
        "    for _ in range(t):\n"
        "        a, b, q = int(data[p]), int(data[p + 1]), int(data[p + 2])\n        p += 3\n"
        "        period = a * b\n        pref = [0] * (period + 1)\n"
        "        for x in range(period):\n            pref[x + 1] = pref[x] + ((x % a) % b != (x % b) % a)\n"
        "        count = lambda n: (n // period) * pref[period] + pref[n % period + 1]\n"
        "        answers = []\n"
        "        for _ in range(q):\n"
        "            l, r = int(data[p]), int(data[p + 1])\n            p += 2\n"
        "            answers.append(count(r) - count(l - 1))\n"
        "        out.append(' '.join(map(str, answers)))\n"
        "    sys.stdout.write('\\n'.join(out) + '\\n')\n\nmain()\n",
        "import sys\ndata = sys.stdin.read().split()\nprint(0)\n",
    ),
}


@pytest.mark.parametrize("comparison", ["microcoder", "lcb"])
def test_codecontests_stdin_programs(real_data: Path, tmp_path: Path, comparison: str) -> None:
    from mccore.schema import TestCase as Case

    problems, generations = [], []
    for line in read_text(real_data / "sandboxfusion_samples" / "code_eval_code_contests.jsonl.gz").splitlines():
        record = json.loads(line)
        name = json.loads(record["labels"])["name"]
        if name not in CODECONTESTS:
            continue
        tests = [Case(t["input"]["stdin"], t["output"]["stdout"], "stdin", False) for t in json.loads(record["test"])]
        problem_id = name.split(".")[0]
        problems.append(Problem(problem_id=problem_id, source="codecontests", statement=record["content"],
                                tests=tests, platform="codeforces"))
        generations.append({"question_id": problem_id, "code_list": list(CODECONTESTS[name])})
    assert len(problems) == 3 and sum(len(p.tests) for p in problems) == 102 + 132 + 101
    problems_file = _write_problems(tmp_path / "problems.jsonl", problems)
    (tmp_path / "gens.json").write_text(json.dumps(generations))

    result = _invoke("--problems", str(problems_file), "--generations", str(tmp_path / "gens.json"),
                     "--output", str(tmp_path / "out"), "--comparison", comparison, "--quiet")
    assert result.exit_code == 0, result.output
    verdicts = {(s["question_id"], s["sample_index"]): (s["verdict"], s["num_passed"], s["num_tests"]) for s in _samples(tmp_path / "out")}
    for problem in problems:
        assert verdicts[(problem.problem_id, 1)][0] == "WA"
        if comparison == "lcb" and problem.problem_id == "1342_C":
            # Test 100 expects the answers one per line ("0\n0\n0\n2\n4\n0\n91"); the program prints them
            # space-separated per test case, as the statement's example does. Codeforces' token checker (and
            # microcoder mode) accept it; LCB's line-by-line rule rejects it: a real LCB false negative.
            assert problem.tests[100].output == "0\n0\n0\n2\n4\n0\n91\n"
            assert verdicts[(problem.problem_id, 0)] == ("WA", 100, 101)
            continue
        assert verdicts[(problem.problem_id, 0)] == ("AC", len(problem.tests), len(problem.tests))


def test_all_tests_gives_a_fractional_score(real_data: Path, tmp_path: Path) -> None:
    """--all-tests runs every test (no early exit): per-test details cover the whole suite and
    summary.json's test_pass_fraction is the mean share of tests passed per sample."""
    problems, answers = _lcb_stdin_problems(real_data)
    problems_file = _write_problems(tmp_path / "problems.jsonl", problems)
    # abc301_a: "T" if Takahashi wins; always printing T passes only the tests where he does.
    generations = [{"question_id": "abc301_a",
                    "output_list": [answers["abc301_a"], "```python\ninput()\ninput()\nprint('T')\n```"]}]
    (tmp_path / "gens.json").write_text(json.dumps(generations))
    # 1873_A has no generations: left out here, so the score is that of abc301_a's two samples
    base = ["--problems", str(problems_file), "--generations", str(tmp_path / "gens.json"), "--quiet",
            "--missing-generations", "skip"]

    result = _invoke(*base, "--output", str(tmp_path / "all"), "--all-tests", "--memory-mb", "512")
    assert result.exit_code == 0, result.output
    accepted, always_t = _samples(tmp_path / "all")
    suite = len(next(p for p in problems if p.problem_id == "abc301_a").tests)
    assert accepted["verdict"] == "AC" and accepted["num_passed"] == suite
    assert always_t["verdict"] == "WA" and len(always_t["tests"]) == suite and 0 < always_t["num_passed"] < suite
    summary = json.loads((tmp_path / "all" / "summary.json").read_text())
    assert summary["test_pass_fraction"] == pytest.approx((1 + always_t["num_passed"] / suite) / 2)
    assert summary["config"]["early_exit"] is False and summary["config"]["memory_mb"] == 512
    assert "tests passed per sample (all tests run)" in result.output

    result = _invoke(*base, "--output", str(tmp_path / "first"))  # default: stop at the first failing test
    assert result.exit_code == 0, result.output
    assert len(_samples(tmp_path / "first")[1]["tests"]) < suite
    assert json.loads((tmp_path / "first" / "summary.json").read_text())["test_pass_fraction"] is None


# Hostile programs through the real CLI (the attacks one by one are in test_sandbox_hostile.py): each is
# followed by a correct program for the same problem, which must still be graded AC — nothing is lost.
HOSTILE = {
    "fork_bomb": ("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", {"TLE", "RE"}),
    "alloc_20gb": ("x = bytearray(20 * 2**30)\nprint(3)\n", {"MLE"}),
    "output_2gb": ("import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(2048):\n    sys.stdout.write(chunk)\n", {"OLE"}),
    "loop_ignoring_signals": (
        "import signal\nfor s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT):\n    signal.signal(s, signal.SIG_IGN)\n"
        "while True:\n    pass\n", {"TLE"}),
    "kill_parent": (
        "import os, signal\nfor t in (os.getppid(), 1, -1):\n    try:\n        os.kill(t, signal.SIGKILL)\n"
        "    except OSError:\n        pass\nprint(3)\n", {"AC"}),  # prints the answer only because the kills failed
    "read_the_problems_file": (  # prints the answer only if the file holding the expected outputs is out of reach
        "try:\n    open({path!r}).read()\n    print('LEAKED')\nexcept OSError:\n    print(3)\n", {"AC"}),
}


def test_hostile_programs_through_the_cli(tmp_path: Path) -> None:
    problems_file = tmp_path / "problems.jsonl"
    problems_file.write_text(json.dumps(_row(question_id="abc000_a")) + "\n"
                             + json.dumps(_row(question_id="fn", question_content="Return 3.", metadata='{"func_name": "f"}',
                                               public_test_cases=json.dumps([{"input": "1", "output": "3", "testtype": "functional"}]))) + "\n")
    codes = [code.format(path=str(problems_file)) for code, _ in HOSTILE.values()]
    generations = [
        {"question_id": "abc000_a", "code_list": [c for code in codes for c in (code, "print(3)")]},
        # the verdict is decided outside the sandbox: an object equal to everything is not the answer 3
        {"question_id": "fn", "code_list": [
            "class E:\n    def __eq__(self, other):\n        return True\n"
            "class Solution:\n    def f(self, x):\n        return E()\n",
            "class Solution:\n    def f(self, x):\n        return 3\n"]},
    ]
    (tmp_path / "gens.json").write_text(json.dumps(generations))
    result = _invoke("--problems", str(problems_file), "--generations", str(tmp_path / "gens.json"),
                     "--output", str(tmp_path / "out"), "--timeout", "1", "--quiet")
    assert result.exit_code == 0, result.output
    rows = {(s["question_id"], s["sample_index"]): s for s in _samples(tmp_path / "out")}
    assert len(rows) == 2 * len(HOSTILE) + 2
    for i, (name, (_, allowed)) in enumerate(HOSTILE.items()):
        attack, follow_up = rows[("abc000_a", 2 * i)], rows[("abc000_a", 2 * i + 1)]
        assert attack["verdict"] in allowed, (name, attack)
        assert follow_up["verdict"] == "AC", (name, follow_up)
    assert rows[("fn", 0)]["verdict"] != "AC" and rows[("fn", 1)]["verdict"] == "AC"
