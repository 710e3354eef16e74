"""Real problems: LeetCodeDataset (tests/data/leetcodedataset) reference solutions must pass all
their tests through `mceval.grade`; mutated solutions (every result perturbed) must fail."""

from __future__ import annotations

import pytest
from leetcode_mutants import wrong_answer_suffix

import mceval
from mceval import GradeConfig, Verdict
from mceval.leetcode_format import load_leetcodedataset

N_PROBLEMS = 16


@pytest.fixture(scope="module")
def problems(real_data):
    problems, _unsupported = load_leetcodedataset(
        real_data / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz", limit=N_PROBLEMS
    )
    return problems


def test_reference_solutions_pass_and_mutants_fail(problems):
    assert len(problems) == N_PROBLEMS
    items = [(p, p.solutions[0]) for p in problems]
    items += [(p, p.solutions[0] + wrong_answer_suffix(p.func_name)) for p in problems]
    results = mceval.grade(items, GradeConfig(workers=2))
    reference, mutants = results[:N_PROBLEMS], results[N_PROBLEMS:]
    for p, r in zip(problems, reference):
        assert r.verdict is Verdict.AC, (p.problem_id, r.verdict, [t.message for t in r.tests if not t.verdict is Verdict.AC])
        assert r.num_passed == r.num_tests == len(p.tests)
    for p, r in zip(problems, mutants):
        assert r.verdict is Verdict.WA, (p.problem_id, r.verdict)
        assert r.tests[-1].verdict is Verdict.WA and len(r.tests) == 1  # early exit at the first test
