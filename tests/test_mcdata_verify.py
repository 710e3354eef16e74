"""Verification stage (issue 11 §1): the rule on hand-made per-test results, then reference solutions run
in the real sandboxed grader on real rows (APPS sample, LeetCodeDataset v0.3.1 with its reference and
o1-mini/o1-preview's accepted LiveCodeBench submissions as second and third references)."""

from __future__ import annotations

import json

import pytest
from conftest import read_json

from mccore.schema import Problem
from mccore.schema import TestCase as Case
from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.report import BuildReport
from mcdata.verify import VerifyConfig, judge_references, verify_problems
from mceval.types import SampleResult, Verdict
from mceval.types import TestResult as Outcome

SLUG = "shortest-distance-after-road-addition-queries-i"


def _result(verdicts: str) -> SampleResult:
    """'AAW' -> a sample whose tests 0, 1 passed and 2 failed (all tests run); T = timeout, R = runtime error."""
    names = {"A": Verdict.AC, "W": Verdict.WA, "T": Verdict.TLE, "R": Verdict.RE}
    tests = [Outcome(i, names[v], time_s=0.1 * (i + 1)) for i, v in enumerate(verdicts)]
    overall = next((t.verdict for t in tests if t.verdict is not Verdict.AC), Verdict.AC)
    return SampleResult("q", 0, overall, tests, num_tests=len(verdicts))


COMPILE_ERROR = SampleResult("q", 1, Verdict.CE, [Outcome(-1, Verdict.CE)], num_tests=4)


# ------------------------------------------------------------------------------------------ the rule
def test_one_reference_never_removes_a_test():
    """The old rule deleted every test the only reference failed and then found 'all references pass'."""
    outcome = judge_references(6, [_result("AAWAWA")], VerifyConfig(min_tests=1))
    assert outcome.removed_tests == [] and outcome.kept_tests == list(range(6))
    assert outcome.status == "rejected" and outcome.reason.startswith("reference solutions fail their own tests: 0/1")
    assert outcome.stats()["verify_ref_pass_rate"] == 0.0


def test_agreeing_references_remove_the_test_they_all_fail():
    outcome = judge_references(5, [_result("AAWAA"), _result("AAWAA"), _result("AAWAW")], VerifyConfig(min_tests=1, min_ref_pass_rate=0.5))
    assert outcome.removed_tests == [2] and outcome.num_passing == 2
    assert outcome.status == "verified" and outcome.reason is None
    # pass rate on the ORIGINAL tests: nobody passes all five
    assert outcome.ref_pass_rate == 0.0 and outcome.ref_pass_rate_kept == pytest.approx(2 / 3)


def test_disagreeing_references_remove_nothing():
    outcome = judge_references(4, [_result("AWAW"), _result("AWAA")], VerifyConfig(min_tests=2))
    assert outcome.removed_tests == [] and outcome.num_passing == 0
    assert outcome.reason.startswith("reference solutions fail their own tests: 0/2")
    # a test another reference passes is not removed even if two references agree against it
    passed_elsewhere = judge_references(3, [_result("AWA"), _result("AWA"), _result("AAA")], VerifyConfig(min_tests=1, min_ref_pass_rate=0.3))
    assert passed_elsewhere.removed_tests == [] and passed_elsewhere.status == "single_reference"


def test_references_that_do_not_run_are_set_aside():
    outcome = judge_references(4, [_result("AAAA"), COMPILE_ERROR, _result("AAAA")], VerifyConfig(min_tests=1))
    assert (outcome.num_references, outcome.num_running, outcome.num_passing) == (3, 2, 2)
    assert outcome.status == "verified" and outcome.verdicts == {"AC": 2, "CE": 1}
    nothing_runs = judge_references(4, [COMPILE_ERROR], VerifyConfig(min_tests=1))
    assert nothing_runs.reason.startswith("no reference solution runs")


def test_a_timeout_never_removes_a_test():
    both_slow = judge_references(4, [_result("AATT"), _result("AATT")], VerifyConfig(min_tests=1))
    assert both_slow.removed_tests == [] and "too slow" in both_slow.reason and "[2, 3]" in both_slow.reason
    one_slow = judge_references(4, [_result("AAAA"), _result("AAAT")], VerifyConfig(min_tests=1, min_ref_pass_rate=0.5))
    assert one_slow.removed_tests == [] and one_slow.status == "single_reference"


def test_single_reference_option_and_min_tests_and_removal_cap():
    assert judge_references(3, [_result("AAA")], VerifyConfig(min_tests=1)).status == "single_reference"
    dropped = judge_references(3, [_result("AAA")], VerifyConfig(min_tests=1, single_reference="drop"))
    assert dropped.reason.startswith("only one reference confirms")
    few = judge_references(4, [_result("AAAW"), _result("AAAW")], VerifyConfig(min_tests=4))
    assert few.removed_tests == [3] and few.reason == "too few tests after verification: 3 < min_tests=4"
    broken = judge_references(4, [_result("AWWW"), _result("AWWW")], VerifyConfig(min_tests=1))
    assert broken.removed_tests == [] and "references agree against 3 of 4 tests" in broken.reason


def test_config_rejects_impossible_values():
    for bad in ({"min_ref_pass_rate": 0}, {"no_reference": "maybe"}, {"single_reference": "x"}, {"retry_timeout_factor": 0.5}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            VerifyConfig(**bad)


# ------------------------------------------------------------------------------- real grader, real data
@pytest.fixture(scope="module")
def apps_problems(real_data) -> dict[str, Problem]:
    report = BuildReport(strict=True)
    spec = SourceSpec("apps", str(real_data / "apps-coderl-sample" / "apps_train_sample.jsonl"))
    return {p.problem_id: p for p in collect([spec], CollectConfig(), report)}


def test_apps_references_that_do_not_compile_are_set_aside(apps_problems):
    """APPS 2287's first five references include two with a top-level `return` (a SyntaxError): the
    problem is judged on the three that run, which all pass. The other problems' references all pass."""
    report = BuildReport()
    kept = {p.problem_id: p for p in verify_problems(apps_problems.values(), VerifyConfig(min_tests=1, workers=2), report)}
    assert report.rejections == [] and set(kept) == {"1", "111", "2287", "2404", "4184"}
    assert kept["2287"].stats["verify_ref_verdicts"] == {"AC": 3, "CE": 2}
    assert (kept["2287"].stats["verify_num_running_references"], kept["2287"].stats["verify_num_agreeing_references"]) == (3, 3)
    assert kept["111"].stats["verify_status"] == "single_reference"  # APPS ships one reference for 111
    for problem in kept.values():
        original = apps_problems[problem.problem_id]
        assert problem.tests == original.tests and problem.stats["verify_dropped_tests"] == []
        assert problem.stats["verify_status"] == ("single_reference" if problem.problem_id == "111" else "verified")
        assert problem.stats["verify_ref_max_test_time_s"] is not None


def test_too_few_tests_dropped_before_running_anything(apps_problems):
    report = BuildReport()
    kept = [p.problem_id for p in verify_problems(apps_problems.values(), VerifyConfig(workers=2), report)]
    assert kept == ["4184"]  # the only sample problem with >= 5 tests (8)
    reasons = {r.problem_id: r.reason for r in report.rejections_by("verify")}
    assert reasons == {pid: f"too few tests: {len(apps_problems[pid].tests)} < min_tests=5"
                       for pid in ("1", "111", "2287", "2404")}


@pytest.fixture(scope="module")
def road(real_data) -> Problem:
    """LeetCodeDataset v0.3.1 'shortest distance after road addition queries I', first 12 tests."""
    from mceval.leetcode_format import problem_from_leetcodedataset_row

    path = real_data / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz"
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as fh:
        row = next(json.loads(line) for line in fh if json.loads(line)["task_id"] == SLUG)
    problem = problem_from_leetcodedataset_row(row, where=str(path))
    return problem.with_(tests=problem.tests[:12])


@pytest.fixture(scope="module")
def o1_solutions(real_data) -> list[str]:
    """o1-mini's and o1-preview's accepted LiveCodeBench submissions for the same LeetCode problem."""
    codes = []
    for name in ("O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz",
                 "O1-Preview-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz"):
        row = next(r for r in read_json(real_data / "lcb_submissions" / name) if r["question_title"] == SLUG)
        assert row["graded_list"] == [True]
        codes.append(row["code_list"][0])
    return codes


def _wrong_outputs(problem: Problem, indices: list[int]) -> Problem:
    tests = list(problem.tests)
    for i in indices:
        tests[i] = Case(tests[i].input, json.dumps(["not", "the", "answer"]), "functional")
    return problem.with_(tests=tuple(tests))


def test_single_reference_that_disagrees_with_tests_is_not_labelled_verified(road):
    """One reference, 3 of 12 expected outputs contradicting it: the old rule cut the 3 tests and
    labelled the problem verified with ref pass rate 1.0; now it is rejected and no test is cut."""
    report = BuildReport()
    assert list(verify_problems([_wrong_outputs(road, [2, 5, 9])], VerifyConfig(workers=2), report)) == []
    (rejection,) = report.rejections_by("verify")
    assert rejection.reason.startswith("reference solutions fail their own tests: 0/1")
    assert rejection.detail["verify_dropped_tests"] == [] and rejection.detail["verify_ref_pass_rate"] == 0.0
    clean = list(verify_problems([road], VerifyConfig(workers=2), BuildReport()))
    assert clean[0].stats["verify_status"] == "single_reference" and clean[0].tests == road.tests


def test_three_agreeing_references_remove_a_wrong_test(road, o1_solutions):
    corrupted = _wrong_outputs(road, [3]).with_(solutions=road.solutions + tuple(o1_solutions))
    report = BuildReport()
    (kept,) = verify_problems([corrupted], VerifyConfig(workers=2), report)
    assert kept.tests == road.tests[:3] + road.tests[4:]
    assert kept.stats["verify_status"] == "verified" and kept.stats["verify_num_agreeing_references"] == 3
    assert kept.stats["verify_dropped_tests"] == [3] and kept.stats["verify_num_tests_original"] == 12
    assert kept.stats["verify_ref_pass_rate"] == 0.0 and kept.stats["verify_ref_pass_rate_kept"] == 1.0


def _slow_variant(code: str, cpu_s: float) -> str:
    """The real reference, made to burn `cpu_s` of CPU on the two largest inputs (n = 50 here)."""
    return code + f'''

import time as _time
_fast = Solution.shortestDistanceAfterQueries
def _slow(self, n, queries):
    if n >= 50:
        _end = _time.process_time() + {cpu_s}
        while _time.process_time() < _end:
            pass
    return _fast(self, n, queries)
Solution.shortestDistanceAfterQueries = _slow
'''


def test_a_reference_that_times_out_never_shrinks_the_tests(road):
    assert sum(int(t.input.split("\n")[0]) >= 50 for t in road.tests) == 2  # the two largest tests
    cfg = VerifyConfig(workers=2, timeout_s=0.25, retry_timeout_factor=6)
    # slow but within the longer limit: re-run, passes, every test kept; the slow test is timed on its own
    slow = road.with_(solutions=(_slow_variant(road.solutions[0], 0.4), road.solutions[0]))
    (kept,) = verify_problems([slow], cfg, BuildReport())
    assert kept.tests == road.tests and kept.stats["verify_retried_tests"] == 2
    assert kept.stats["verify_status"] == "verified"
    assert kept.stats["verify_ref_max_test_time_s"] >= 0.3  # one test's time, not the batch average
    # too slow even with the longer limit: the problem goes, its tests are never cut
    report = BuildReport()
    too_slow = road.with_(solutions=(_slow_variant(road.solutions[0], 3.0),))
    assert list(verify_problems([too_slow], cfg, report)) == []
    (rejection,) = report.rejections_by("verify")
    assert "too slow" in rejection.reason and rejection.detail["verify_dropped_tests"] == []
    assert rejection.detail["verify_num_tests"] == 12


def test_problems_without_references_are_kept_unverified_or_dropped(road):
    bare = road.with_(solutions=())
    (kept,) = verify_problems([bare], VerifyConfig(), BuildReport())
    assert kept.stats["verify_status"] == "unverified"
    assert kept.stats["verify_num_tests"] == len(bare.tests)
    report = BuildReport()
    assert list(verify_problems([bare], VerifyConfig(no_reference="drop"), report)) == []
    assert report.rejections[0].reason == "no reference solution to verify with"
