"""Verification stage: reference solutions run in the real sandboxed grader on the real APPS and
LeetCodeDataset samples; the decision rule is also checked on hand-made per-test results."""

from __future__ import annotations

import gzip
import json

import pytest

from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.report import BuildReport, RejectionError
from mcdata.schema import Problem
from mcdata.schema import TestCase as Case
from mcdata.verify import VerifyConfig, judge_references, verify_problems
from mceval.types import SampleResult, Verdict
from mceval.types import TestResult as Outcome


def _result(verdicts: str) -> SampleResult:
    """'AAW' -> a sample whose tests 0, 1 passed and 2 failed (all tests run)."""
    names = {"A": Verdict.AC, "W": Verdict.WA, "T": Verdict.TLE, "R": Verdict.RE}
    tests = [Outcome(i, names[v], time_s=0.1 * (i + 1)) for i, v in enumerate(verdicts)]
    overall = next((t.verdict for t in tests if t.verdict is not Verdict.AC), Verdict.AC)
    return SampleResult("q", 0, overall, tests, num_tests=len(verdicts))


def test_rule_drops_tests_no_reference_passes_and_keeps_the_rest():
    outcome = judge_references(4, [_result("AWAW"), _result("AWAA")], VerifyConfig(min_tests=2))
    assert outcome.kept_tests == [0, 2, 3] and outcome.dropped_tests == [1]
    # on the kept tests, only the second reference passes everything -> 1/2 < 1.0
    assert outcome.references_passing == 1
    assert outcome.reason.startswith("reference solutions fail their own tests: 1/2")
    assert judge_references(4, [_result("AWAW"), _result("AWAA")], VerifyConfig(min_tests=2, min_ref_pass_rate=0.5)).reason is None


def test_rule_counts_a_reference_without_test_results_as_failing():
    compile_error = SampleResult("q", 1, Verdict.CE, [], num_tests=3)
    outcome = judge_references(3, [_result("AAA"), compile_error], VerifyConfig(min_tests=1, min_ref_pass_rate=0.5))
    assert outcome.reason is None and outcome.ref_pass_rate == 0.5
    assert outcome.verdicts == {"AC": 1, "CE": 1}
    assert outcome.slowest_test_s == pytest.approx(0.3)
    none_pass = judge_references(2, [_result("WW"), _result("RT")], VerifyConfig(min_tests=1))
    assert none_pass.kept_tests == [] and "fail every test" in none_pass.reason
    few = judge_references(3, [_result("AAW")], VerifyConfig(min_tests=3))
    assert few.reason == "too few tests after verification: 2 < min_tests=3"


def test_config_rejects_impossible_values():
    with pytest.raises(ValueError, match="min_ref_pass_rate"):
        VerifyConfig(min_ref_pass_rate=0)
    with pytest.raises(ValueError, match="no_reference"):
        VerifyConfig(no_reference="maybe")


# ------------------------------------------------------------------------------- real grader, real data
@pytest.fixture(scope="module")
def apps_problems(real_data) -> dict[str, Problem]:
    report = BuildReport(strict=True)
    spec = SourceSpec("apps", str(real_data / "apps-coderl-sample" / "apps_train_sample.jsonl"))
    return {p.problem_id: p for p in collect([spec], CollectConfig(), report)}


def test_apps_problem_2287_is_dropped_and_good_problems_are_kept_with_stats(apps_problems):
    """APPS 2287's references include programs with a top-level `return` (a SyntaxError), so 3 of its first
    5 references pass: the problem is dropped. The other sample problems' references all pass."""
    report = BuildReport()
    cfg = VerifyConfig(min_tests=1, max_references=5, workers=2)
    kept = {p.problem_id: p for p in verify_problems(apps_problems.values(), cfg, report)}
    assert "2287" not in kept
    (rejection,) = report.rejections_by("verify")
    assert rejection.problem_id == "2287" and rejection.stage == "verify"
    assert rejection.reason.startswith("reference solutions fail their own tests: 3/5 pass every test")
    assert rejection.detail["verify_ref_verdicts"] == {"AC": 3, "CE": 2}
    assert set(kept) == {"1", "111", "2404", "4184"}
    for problem in kept.values():
        original = apps_problems[problem.problem_id]
        assert problem.stats["verify_status"] == "verified"
        assert problem.stats["verify_ref_pass_rate"] == 1.0
        assert problem.stats["verify_num_references"] == min(5, len(original.solutions))
        assert problem.stats["verify_num_tests"] == len(original.tests) == len(problem.tests)
        assert problem.stats["verify_dropped_tests"] == []
        if not problem.is_functional:  # the grader times stdin tests (functional calls report 0)
            assert problem.stats["verify_ref_max_test_time_s"] > 0


def test_too_few_tests_dropped_before_running_anything(apps_problems):
    report = BuildReport()
    kept = [p.problem_id for p in verify_problems(apps_problems.values(), VerifyConfig(workers=2), report)]
    assert kept == ["4184"]  # the only sample problem with >= 5 tests (8)
    reasons = {r.problem_id: r.reason for r in report.rejections_by("verify")}
    assert reasons == {pid: f"too few tests: {len(apps_problems[pid].tests)} < min_tests=5"
                       for pid in ("1", "111", "2287", "2404")}


@pytest.fixture(scope="module")
def leetcode_problem(real_data) -> Problem:
    from mceval.leetcode_format import problem_from_leetcodedataset_row

    path = real_data / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        row = json.loads(fh.readline())
    return problem_from_leetcodedataset_row(row, where=f"{path}:0")


def test_a_test_no_reference_agrees_on_is_removed(leetcode_problem):
    """A real LeetCode problem with its reference; one test gets a wrong expected output inserted at index 3."""
    tests = list(leetcode_problem.tests[:12])
    wrong = Case(tests[3].input, json.dumps(["not", "the", "answer"]), "functional")
    corrupted = leetcode_problem.with_(tests=tuple(tests[:3] + [wrong] + tests[3:]))
    report = BuildReport()
    (kept,) = verify_problems([corrupted], VerifyConfig(workers=2), report)
    assert kept.tests == tuple(tests)
    assert kept.stats["verify_dropped_tests"] == [3]
    assert kept.stats["verify_num_tests"] == 12
    assert kept.stats["verify_ref_pass_rate"] == 1.0
    assert report.rejections == []


def test_problems_without_references_are_kept_unverified_or_dropped(leetcode_problem):
    bare = leetcode_problem.with_(solutions=())
    (kept,) = verify_problems([bare], VerifyConfig(), BuildReport())
    assert kept.stats["verify_status"] == "unverified"
    assert kept.stats["verify_num_tests"] == len(bare.tests)
    report = BuildReport()
    assert list(verify_problems([bare], VerifyConfig(no_reference="drop"), report)) == []
    assert report.rejections[0].reason == "no reference solution to verify with"
    with pytest.raises(RejectionError, match="no reference solution"):
        list(verify_problems([bare], VerifyConfig(no_reference="drop"), BuildReport(strict=True)))
