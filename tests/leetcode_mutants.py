"""Wrong-answer mutants of LeetCode reference solutions, shared by the grading tests.

Appending `wrong_answer_suffix(func_name)` to a reference solution wraps its method so every
result is perturbed (ints +1, bools negated, strings and lists extended): a mutant that compiles
and runs like the reference but must be judged WA on every test.
"""

from __future__ import annotations

_SUFFIX = """

_mc_original = Solution.{func}


def _mc_wrong(self, *args, **kwargs):  # the reference answer, changed so that it is always wrong
    result = _mc_original(self, *args, **kwargs)
    if isinstance(result, bool):
        return not result
    if isinstance(result, (int, float)):
        return result + 1
    if isinstance(result, str):
        return result + "#"
    if isinstance(result, list):
        return result + [result[0] if result else 0]
    return [result]


Solution.{func} = _mc_wrong
"""


def wrong_answer_suffix(func_name: str) -> str:
    return _SUFFIX.format(func=func_name)
