"""Real problems: LeetCodeDataset (shared/data/leetcodedataset) reference solutions must pass all
their tests through `mceval.grade`; mutated solutions (every result perturbed) must fail."""

from __future__ import annotations

import gzip
import json

import pytest

import mceval
from mceval import GradeConfig, Verdict
from mceval.leetcode_format import UnsupportedProblem, problem_from_leetcodedataset_row

N_PROBLEMS = 16

MUTATION = """

def _mutate(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return value + [0]
    return 0 if value is None else None

_original = Solution.{name}
Solution.{name} = lambda self, *args, **kwargs: _mutate(_original(self, *args, **kwargs))
"""


def load_leetcode_problems(path, limit):
    problems = []
    with gzip.open(path, "rt") as f:
        for lineno, line in enumerate(f, 1):
            try:
                problems.append(problem_from_leetcodedataset_row(json.loads(line), where=f"{path.name}:{lineno}"))
            except UnsupportedProblem:
                continue
            if len(problems) == limit:
                break
    return problems


@pytest.fixture(scope="module")
def problems(shared_data):
    return load_leetcode_problems(shared_data / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz", N_PROBLEMS)


def test_reference_solutions_pass_and_mutants_fail(problems):
    assert len(problems) == N_PROBLEMS
    items = [(p, p.solutions[0]) for p in problems]
    items += [(p, p.solutions[0] + MUTATION.format(name=p.func_name)) for p in problems]
    results = mceval.grade(items, GradeConfig(workers=2))
    reference, mutants = results[:N_PROBLEMS], results[N_PROBLEMS:]
    for p, r in zip(problems, reference):
        assert r.verdict is Verdict.AC, (p.problem_id, r.verdict, [t.message for t in r.tests if not t.verdict is Verdict.AC])
        assert r.num_passed == r.num_tests == len(p.tests)
    for p, r in zip(problems, mutants):
        assert r.verdict is Verdict.WA, (p.problem_id, r.verdict)
        assert r.tests[-1].verdict is Verdict.WA and len(r.tests) == 1  # early exit at the first test
