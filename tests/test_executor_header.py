"""Functional solutions that start with LeetCodeDataset's import block run their remainder in a
namespace where that block already ran, built once in the zygote from a constant
(`mceval.sandbox.inner.child`: `split_header`, `Namespaces`); this checks what is split off and
what is refused. The end-to-end equivalence is checked through the grader in test_grader_idioms.py."""

from __future__ import annotations

import math

import pytest

from mceval.sandbox.inner.child import LEETCODE_HEADER, Namespaces, split_header


def test_header_is_split_off_and_line_numbers_are_kept():
    code = LEETCODE_HEADER + "\nclass Solution:\n    pass\n"
    name, rest = split_header(code)
    assert name == "leetcode"
    assert rest == "\n" * LEETCODE_HEADER.count("\n") + "\nclass Solution:\n    pass\n"
    assert rest.count("\n") == code.count("\n")  # same line numbers as the original


def test_prebuilt_namespace_is_the_header_run_after_the_preamble():
    spaces = Namespaces()
    assert spaces.module("leetcode").pow is math.pow  # the header's star import re-binds what the preamble un-shadowed
    assert "pow" not in vars(spaces.module("plain"))
    assert spaces.module("leetcode").inf == math.inf


@pytest.mark.parametrize("code", [
    "from sys import stdin\nclass Solution: pass",
    "import math\nfrom math import *\nclass Solution: pass",  # any other header runs in the child
    "from __future__ import annotations\n" + LEETCODE_HEADER + "class Solution: pass",
    LEETCODE_HEADER + "from __future__ import annotations\nclass Solution: pass",  # compiled whole: SyntaxError kept
    LEETCODE_HEADER.replace("import random\n", "") + "class Solution: pass",
    "class Solution: pass",
])
def test_other_code_runs_whole_in_the_plain_namespace(code):
    assert split_header(code) == ("plain", code)


def test_the_prebuilt_namespaces_do_not_depend_on_samples():
    """Built from constants only: two zygotes build the same names, whatever ran before."""
    one, two = Namespaces(), Namespaces()
    for name in ("plain", "leetcode"):
        assert sorted(vars(one.module(name))) == sorted(vars(two.module(name)))
