"""The public API of the grader: `mceval.grade`, `mceval.Grader`, `GradeItem`, limits and options."""

from __future__ import annotations

import os

import pytest

import mceval
from mccore.schema import Problem, TestCase
from mceval import GradeConfig, GradeItem, Verdict

DOUBLE = Problem("double", "test", "", time_limit_s=2, tests=tuple(
    TestCase(f"{i}\n", f"{2 * i}\n") for i in range(4)))
# Correct on even inputs only: 0 and 2 pass, 1 and 3 fail.
HALF_RIGHT = "x = int(input())\nprint(2 * x if x % 2 == 0 else -1)"
ADD = Problem("add", "test", "", func_name="add", time_limit_s=1, tests=(
    TestCase("1\n2", "3", "functional"), TestCase("5\n5", "10", "functional"),
    TestCase("7\n1", "8", "functional"), TestCase("2\n2", "4", "functional")))


@pytest.fixture(scope="module")
def grader():
    with mceval.Grader(GradeConfig(workers=2)) as g:
        yield g


def test_results_in_input_order_with_ids(grader):
    items = [(DOUBLE, "print(2 * int(input()))"), (ADD, "class Solution:\n def add(self, a, b): return a + b"),
             (DOUBLE, "print(0)")]
    results = grader.grade(items)
    assert [(r.question_id, r.sample_index, r.verdict) for r in results] == [
        ("double", 0, Verdict.AC), ("add", 1, Verdict.AC), ("double", 2, Verdict.WA)]
    assert results[0].passed and results[0].pass_fraction == 1.0 and results[0].num_tests == 4


def test_no_code_and_explicit_sample_index(grader):
    results = grader.grade([GradeItem(DOUBLE, None, 7), (DOUBLE, ""), GradeItem(DOUBLE, "   \n", None)])
    assert [r.verdict for r in results] == [Verdict.NO_CODE] * 3
    assert [r.sample_index for r in results] == [7, 1, 2]
    assert results[0].num_tests == 4 and results[0].tests == []


def test_problem_without_tests_is_an_error_not_ac():
    empty = Problem("empty", "test", "", tests=())
    with pytest.raises(ValueError, match="no tests"):
        mceval.grade([(empty, "print(1)")])


def test_non_problem_item_is_rejected():
    with pytest.raises(TypeError, match="Problem"):
        mceval.grade([({"problem_id": "x"}, "print(1)")])


def test_run_all_tests_gives_fraction(grader):
    """early_exit=False runs every test for a fractional score (stdin)."""
    with mceval.Grader(GradeConfig(workers=1, early_exit=False)) as g:
        (result,) = g.grade([(DOUBLE, HALF_RIGHT)])
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.WA, Verdict.AC, Verdict.WA]
    assert result.verdict is Verdict.WA and result.pass_fraction == 0.5


def test_run_all_tests_functional_survives_exceptions_and_timeouts():
    """Functional, early_exit=False: an exception keeps the sample process; a TLE kills it and a
    fresh one runs the remaining tests."""
    code = (
        "class Solution:\n"
        "    def add(self, a, b):\n"
        "        if a == 5: raise ValueError('boom')\n"
        "        if a == 7:\n"
        "            while True: pass\n"
        "        return a + b\n"
    )
    with mceval.Grader(GradeConfig(workers=1, early_exit=False)) as g:
        (result,) = g.grade([(ADD, code)])
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.RE, Verdict.TLE, Verdict.AC]
    assert result.verdict is Verdict.RE and result.pass_fraction == 0.5


def test_early_exit_reports_first_failure_only(grader):
    (result,) = grader.grade([(DOUBLE, HALF_RIGHT)])
    assert result.verdict is Verdict.WA
    assert [t.index for t in result.tests] == [0, 1]


def test_timeout_override_beats_problem_limit():
    slow = Problem("slow", "test", "", time_limit_s=0.3, tests=(TestCase("", "done\n"),))
    code = "s = 0\nfor i in range(3 * 10**7): s += i\nprint('done')"  # ~1-2 s of CPU
    default, override = mceval.grade([(slow, code)]), mceval.grade([(slow, code)], GradeConfig(timeout_s=20))
    assert default[0].verdict is Verdict.TLE
    assert override[0].verdict is Verdict.AC


def test_comparison_mode_is_passed_to_the_judge():
    third = Problem("third", "test", "", tests=(TestCase("", "0.333333333\n"),))
    code = "print(1 / 3)"
    assert mceval.grade([(third, code)])[0].verdict is Verdict.AC
    assert mceval.grade([(third, code)], GradeConfig(comparison="lcb"))[0].verdict is Verdict.WA


def test_submit_returns_future_and_pool_is_reused(grader):
    futures = [grader.submit([(DOUBLE, "print(2 * int(input()))")] * 3) for _ in range(3)]
    for fut in futures:
        assert [r.verdict for r in fut.result(timeout=120)] == [Verdict.AC] * 3
    assert len(grader._sandboxes) <= 2
    assert all(sb.restarts == 0 for sb in grader._sandboxes)


def test_closed_grader_refuses_work():
    g = mceval.Grader(GradeConfig(workers=1))
    g.close()
    with pytest.raises(RuntimeError, match="closed"):
        g.submit([(DOUBLE, "print(1)")])


def test_progress_bar_runs(grader, capsys):
    results = grader.grade([(DOUBLE, "print(2 * int(input()))")] * 2, progress=True)
    assert all(r.passed for r in results)


@pytest.mark.parametrize("early_exit", [False, True])
def test_idle_workers_split_a_long_sample(early_exit):
    """With the queue empty, an idle worker takes over the tail of a running sample's tests; the
    merged result is the same as a sequential run (every test judged once, in order), and a failure
    in the stolen tail is still the sample's first failure."""
    slow = Problem("slow-tests", "test", "", time_limit_s=5, tests=tuple(
        TestCase(f"{i}\n", f"{i}\n") for i in range(8)))
    code = "x = int(input())\ns = 0\nfor i in range(2 * 10**6): s += i\nprint(x if x != 6 else -1)"  # test 6 is wrong
    steals = []
    with mceval.Grader(GradeConfig(workers=2, early_exit=early_exit)) as g:
        original = g._steal

        def counting():
            piece = original()
            if piece is not None:
                steals.append((piece.start, piece.end))
            return piece

        g._steal = counting
        (result,) = g.grade([(slow, code)])
    assert steals, "the second worker should have split the sample"
    ran = 7 if early_exit else 8  # with early exit nothing after the first failure is reported
    assert [t.index for t in result.tests] == list(range(ran))
    assert [t.verdict for t in result.tests] == ([Verdict.AC] * 6 + [Verdict.WA, Verdict.AC])[:ran]
    assert result.verdict is Verdict.WA


def test_bad_expected_output_fails_only_that_problems_samples(grader, caplog):
    """A functional problem whose expected output is not JSON (a broken dataset row) makes the
    judge raise ValueError: its samples get JE with a message naming the problem and test, and the
    rest of the batch is still graded (the Future does not fail)."""
    broken = ADD.with_(problem_id="broken-add", tests=(
        TestCase("1\n2", "3", "functional"), TestCase("5\n5", "not json {", "functional")))
    good = "class Solution:\n def add(self, a, b): return a + b"
    with caplog.at_level("WARNING", logger="mceval.grader"):
        results = grader.submit([(ADD, good), (broken, good), (broken, good), (DOUBLE, "print(2 * int(input()))")]
                                ).result(timeout=60)
    assert [(r.question_id, r.verdict) for r in results] == [
        ("add", Verdict.AC), ("broken-add", Verdict.JE), ("broken-add", Verdict.JE), ("double", Verdict.AC)]
    for r in results[1:3]:
        assert [t.verdict for t in r.tests] == [Verdict.AC, Verdict.JE]
        assert "judge error" in r.tests[-1].message and "'broken-add' test 1" in r.tests[-1].message
    assert "broken-add" in caplog.text


def _server_pid(sandbox) -> int:
    """The sandbox's pid 1 (the zygote), as seen from here."""
    return sandbox.zygote_pid


def test_test_processes_run_batch_scheduled_and_pinned():
    """Every test process runs SCHED_BATCH, so a waking one never preempts the grader's dispatch
    loop (the sandbox's own zygote stays normal, so it answers promptly); with `pin_cpus` each
    sandbox sits on one of our CPUs, round-robin, and its test processes inherit that CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    pinned = Problem("cpus", "test", "", tests=(TestCase("", "1 True\n"),))
    code = "import os\nprint(len(os.sched_getaffinity(0)), os.sched_getscheduler(0) == os.SCHED_BATCH)"
    with mceval.Grader(GradeConfig(workers=2, pin_cpus=True)) as g:
        assert [r.verdict for r in g.grade([(pinned, code)] * 2)] == [Verdict.AC] * 2
        servers = [_server_pid(sb) for sb in g._sandboxes]
        assert [os.sched_getaffinity(p) for p in servers] == [{cpus[i % len(cpus)]} for i in range(len(servers))]
        assert all(os.sched_getscheduler(p) != os.SCHED_BATCH for p in servers)
    with mceval.Grader(GradeConfig(workers=1)) as g:  # not pinned by default
        result = g.grade([(pinned, code)])[0]
        assert os.sched_getaffinity(_server_pid(g._sandboxes[0])) == set(cpus)
        assert result.verdict is (Verdict.AC if len(cpus) == 1 else Verdict.WA)


def test_a_failing_loop_fails_the_futures_instead_of_hanging():
    g = mceval.Grader(GradeConfig(workers=1))

    def broken():
        raise RuntimeError("scheduler bug")

    g._next_piece = broken
    with pytest.raises(RuntimeError, match="scheduler bug"):
        g.submit([(DOUBLE, "print(1)")]).result(timeout=60)
    with pytest.raises(RuntimeError, match="loop failed"):
        g.submit([(DOUBLE, "print(1)")])
    g.close()
