"""Judge accuracy: correct programs written with every common competitive-programming I/O idiom
must be AC, as on AtCoder/LeetCode (LiveCodeBench's in-process grader gets many of these wrong:
the README's judge-accuracy section lists its recorded false verdicts). Graded in one batch through `mceval.grade`."""

from __future__ import annotations

import textwrap

import pytest

import mceval
from mccore.schema import Problem, TestCase
from mceval import GradeConfig, Verdict

# Sum of N numbers, one per line.
SUM_N = Problem("sum-n", "test", "", time_limit_s=3, tests=(
    TestCase("3\n1\n2\n3\n", "6\n"), TestCase("1\n-5\n", "-5\n"), TestCase("4\n10\n20\n30\n40\n", "100\n")))
FLOAT = Problem("third", "test", "", time_limit_s=3, tests=(TestCase("1 3\n", "0.333333333\n"),))

STDIN_AC = {
    "input": "n = int(input())\nprint(sum(int(input()) for _ in range(n)))",
    "readline_alias": "import sys\ninput = sys.stdin.readline\nn = int(input())\nprint(sum(int(input()) for _ in range(n)))",
    "readline_strip_newline": "import sys\nn = int(sys.stdin.readline()[:-1])\nprint(sum(int(sys.stdin.readline()) for _ in range(n)))",
    "for_line_in_stdin": "import sys\nlines = [l for l in sys.stdin]\nprint(sum(int(l) for l in lines[1:]))",
    "readlines": "import sys\nprint(sum(map(int, sys.stdin.readlines()[1:])))",
    "stdin_read_split": "import sys\nn, *xs = map(int, sys.stdin.read().split())\nprint(sum(xs))",
    "buffer_read": "import sys\nn, *xs = map(int, sys.stdin.buffer.read().split())\nprint(sum(xs))",
    "buffer_readline_twice": "import sys\nn = int(sys.stdin.buffer.readline())\nfirst = int(sys.stdin.buffer.readline())\n"
                             "rest = [int(sys.stdin.buffer.readline()) for _ in range(n - 1)]\nprint(first + sum(rest))",
    "from_sys_import_stdin": "from sys import stdin\nn = int(stdin.readline())\nprint(sum(int(stdin.readline()) for _ in range(n)))",
    "open_0": "n, *xs = map(int, open(0).read().split())\nprint(sum(xs))",
    "stdout_buffer_write": "import sys\nn, *xs = map(int, sys.stdin.read().split())\nsys.stdout.buffer.write(str(sum(xs)).encode() + b'\\n')",
    "os_write_1": "import os, sys\nn, *xs = map(int, sys.stdin.read().split())\nos.write(1, f'{sum(xs)}\\n'.encode())",
    "print_end_empty": "import sys\nprint(sum(map(int, sys.stdin.read().split()[1:])), end='')",
    "top_level_global": """
        total = 0
        def add(x):
            global total
            total += x
        n = int(input())
        for _ in range(n):
            add(int(input()))
        print(total)
        """,
    "main_guard": """
        def main():
            n = int(input())
            print(sum(int(input()) for _ in range(n)))
        if __name__ == "__main__":
            main()
        """,
    "exit_after_print": "import sys\nprint(sum(map(int, sys.stdin.read().split()[1:])))\nexit()",
    "sys_exit_zero": "import sys\nprint(sum(map(int, sys.stdin.read().split()[1:])))\nsys.exit(0)",
    "quit_after_print": "import sys\nprint(sum(map(int, sys.stdin.read().split()[1:])))\nquit()",
    "thread_without_join": """
        import sys, threading, time
        def main():
            time.sleep(0.2)  # the program ends only when this non-daemon thread ends
            print(sum(map(int, sys.stdin.read().split()[1:])))
        threading.Thread(target=main).start()
        """,
    "thread_stack_deep_recursion": """
        import sys, threading
        sys.setrecursionlimit(1 << 20)
        threading.stack_size(1 << 27)
        def rec(xs, i):
            return 0 if i == len(xs) else xs[i] + rec(xs, i + 1)
        def main():
            xs = list(map(int, sys.stdin.read().split()[1:]))
            xs = xs + [0] * 200000  # recursion depth 200k
            print(rec(xs, 0))
        t = threading.Thread(target=main)
        t.start()
        t.join()
        """,
    "deep_recursion_main_thread": """
        import sys
        sys.setrecursionlimit(10 ** 6)
        def rec(i):
            return 0 if i == 0 else 1 + rec(i - 1)
        xs = list(map(int, sys.stdin.read().split()[1:]))
        print(sum(xs) + rec(100000) - 100000)
        """,
    "stderr_noise": "import sys\nprint('debug', file=sys.stderr)\nprint(sum(map(int, sys.stdin.read().split()[1:])))",
    "numpy": "import numpy as np, sys\nxs = np.array(sys.stdin.read().split()[1:], dtype=np.int64)\nprint(int(xs.sum()))",
    "atexit_print": "import atexit, sys\ns = sum(map(int, sys.stdin.read().split()[1:]))\natexit.register(lambda: print(s))",
    "scratch_file_roundtrip": """
        import sys
        with open("scratch.txt", "w") as f:
            f.write(sys.stdin.read())
        with open("/tmp/scratch.txt") as f:
            print(sum(map(int, f.read().split()[1:])))
        """,
    "huge_int_str": "import sys\nx = 10 ** 6000\ns = str(x)\nprint(sum(map(int, sys.stdin.read().split()[1:])) + len(s) - 6001)",
}

STDIN_NOT_AC = {
    "nonzero_exit_after_output": ("import sys\nprint(sum(map(int, sys.stdin.read().split()[1:])))\nsys.exit(3)", Verdict.RE),
    "exception_after_output": ("import sys\nprint(sum(map(int, sys.stdin.read().split()[1:])))\nraise ValueError('x')", Verdict.RE),
    "missing_line": ("print(0)", Verdict.WA),
    "empty_output": ("pass", Verdict.WA),
    "syntax_error": ("def f(:\n  pass", Verdict.CE),
}

# Functional problems: LeetCode conventions.
ADD = Problem("add", "test", "", func_name="add", time_limit_s=3, tests=(
    TestCase("1\n2", "3", "functional"), TestCase("10\n-4", "6", "functional"), TestCase("0\n0", "0", "functional")))
PAIRS = Problem("pairs", "test", "", func_name="pairs", time_limit_s=3, tests=(
    TestCase("[3, 1, 2]", "[[1, 2], [2, 3]]", "functional"),))
AVG = Problem("avg", "test", "", func_name="avg", time_limit_s=3, tests=(TestCase("[0.1, 0.2]", "0.15", "functional"),))
LINE = Problem("line", "test", "", func_name="line", time_limit_s=3, tests=(TestCase("100", "107", "functional"),))
# The header LeetCodeDataset's prompts put on every solution. The zygote runs it once, from a
# constant, and a solution starting with it runs the rest there (mceval/sandbox/inner/child.py,
# split_header); these cases check that a solution cannot tell the difference.
LEETCODE_HEADER = """import random
import functools
import collections
import string
import math
import datetime

from typing import *
from functools import *
from collections import *
from itertools import *
from heapq import *
from bisect import *
from string import *
from operator import *
from math import *

inf = float('inf')
"""

FUNCTIONAL_AC = {
    "plain": (ADD, "class Solution:\n    def add(self, a: int, b: int) -> int:\n        return a + b"),
    "fresh_instance_per_test": (ADD, """
        class Solution:
            def __init__(self):
                self.calls = 0
            def add(self, a, b):
                self.calls += 1
                return a + b + (self.calls - 1)
        """),
    "leetcode_preimports": (ADD, """
        class Solution:
            def add(self, a: int, b: int) -> Optional[int]:
                d: Dict[str, List[int]] = defaultdict(list)
                h = []
                heappush(h, a)
                heappush(h, b)
                best = min(inf, sum(h))
                return int(best) + bisect_left([], 0) + gcd(0, 0) + len(Counter())
        """),
    "tuples_are_lists": (PAIRS, "class Solution:\n    def pairs(self, xs):\n        s = sorted(xs)\n        return [(s[i], s[i + 1]) for i in range(len(s) - 1)]"),
    "float_tolerance": (AVG, "class Solution:\n    def avg(self, xs):\n        return sum(xs) / len(xs) + 1e-12"),
    "top_level_function": (ADD, "def add(a, b):\n    return a + b"),
    "imports_and_helpers": (ADD, """
        import math
        from functools import lru_cache
        @lru_cache(None)
        def helper(x):
            return x
        class Solution:
            def add(self, a, b):
                return helper(a) + helper(b)
        """),
    "builtins_not_shadowed_by_preimports": (ADD, """
        class Solution:
            def add(self, a, b):
                # math.pow / operator.pow take 2 arguments; the builtin takes a modulus.
                return pow(a + b, 1, 10**9 + 7) % (10**9 + 7) if a + b >= 0 else abs(a + b) * -1
        """),
    "leetcode_dataset_header": (ADD, LEETCODE_HEADER + """
class Solution:
    def add(self, a: int, b: int) -> int:
        q = deque([a, b])
        return int(min(inf, reduce(add, q))) + len(Counter()) + floor(0.5)
"""),
    "header_keeps_line_numbers": (LINE, "import sys\nfrom typing import *\n\n"
                                  "class Solution:\n    def line(self, x):\n\n        return x + sys._getframe().f_lineno\n"),
    "future_import_after_header_lines": (ADD, "from __future__ import annotations\nimport math\n"
                                         "class Solution:\n    def add(self, a: Undefined, b) -> int:\n        return a + b\n"),
    "deep_recursion": (ADD, """
        class Solution:
            def add(self, a, b):
                def rec(i):
                    return 0 if i == 0 else 1 + rec(i - 1)
                return a + b + rec(20000) - 20000
        """),
}

FUNCTIONAL_NOT_AC = {
    "wrong": (ADD, "class Solution:\n    def add(self, a, b):\n        return a - b", Verdict.WA),
    "raises": (ADD, "class Solution:\n    def add(self, a, b):\n        raise KeyError(a)", Verdict.RE),
    "header_from_math_star_shadows_pow": (ADD, "from math import *\nclass Solution:\n    def add(self, a, b):\n"
                                          "        return pow(a, b, 7)", Verdict.RE),
    "header_unknown_name": (ADD, "from math import no_such_name\nclass Solution:\n    def add(self, a, b):\n"
                            "        return a + b", Verdict.RE),
    "import_error": (ADD, "import does_not_exist\nclass Solution:\n    def add(self, a, b):\n        return a + b", Verdict.RE),
    "wrong_method": (ADD, "class Solution:\n    def plus(self, a, b):\n        return a + b", Verdict.CE),
    "returns_set": (ADD, "class Solution:\n    def add(self, a, b):\n        return {a + b}", Verdict.WA),
    "returns_none": (ADD, "class Solution:\n    def add(self, a, b):\n        pass", Verdict.WA),
    "prints_instead": (ADD, "class Solution:\n    def add(self, a, b):\n        print(a + b)", Verdict.WA),
    "exit_in_method": (ADD, "class Solution:\n    def add(self, a, b):\n        exit(0)", Verdict.RE),
    "os_exit_in_method": (ADD, "import os\nclass Solution:\n    def add(self, a, b):\n        os._exit(0)", Verdict.RE),
    "memory_error": (ADD, "class Solution:\n    def add(self, a, b):\n        return len(bytearray(50 * 2**30))", Verdict.MLE),
}


@pytest.fixture(scope="module")
def graded():
    items, keys = [], []
    for name, code in STDIN_AC.items():
        items.append((SUM_N, textwrap.dedent(code)))
        keys.append(("stdin_ac", name))
    for name, (code, _) in STDIN_NOT_AC.items():
        items.append((SUM_N, textwrap.dedent(code)))
        keys.append(("stdin_not_ac", name))
    for name, (problem, code) in FUNCTIONAL_AC.items():
        items.append((problem, textwrap.dedent(code)))
        keys.append(("func_ac", name))
    for name, (problem, code, _) in FUNCTIONAL_NOT_AC.items():
        items.append((problem, textwrap.dedent(code)))
        keys.append(("func_not_ac", name))
    items.append((FLOAT, "a, b = map(int, input().split())\nprint(a / b)"))
    keys.append(("float", "print_division"))
    results = mceval.grade(items, GradeConfig(workers=2))
    return dict(zip(keys, results))


def _explain(result) -> str:
    return f"{result.verdict}: " + "; ".join(f"test {t.index} {t.verdict.value} {t.message}" for t in result.tests)


@pytest.mark.parametrize("name", list(STDIN_AC))
def test_stdin_idiom_is_accepted(graded, name):
    result = graded[("stdin_ac", name)]
    assert result.verdict is Verdict.AC, _explain(result)
    assert result.num_passed == result.num_tests == 3


@pytest.mark.parametrize("name", list(STDIN_NOT_AC))
def test_stdin_failure_verdict(graded, name):
    assert graded[("stdin_not_ac", name)].verdict is STDIN_NOT_AC[name][1], _explain(graded[("stdin_not_ac", name)])


@pytest.mark.parametrize("name", list(FUNCTIONAL_AC))
def test_functional_idiom_is_accepted(graded, name):
    result = graded[("func_ac", name)]
    assert result.verdict is Verdict.AC, _explain(result)


@pytest.mark.parametrize("name", list(FUNCTIONAL_NOT_AC))
def test_functional_failure_verdict(graded, name):
    result = graded[("func_not_ac", name)]
    assert result.verdict is FUNCTIONAL_NOT_AC[name][2], _explain(result)


def test_float_output_within_tolerance(graded):
    assert graded[("float", "print_division")].verdict is Verdict.AC


def test_early_exit_stops_at_first_failure(graded):
    result = graded[("func_not_ac", "wrong")]
    assert [t.index for t in result.tests] == [0]  # a-b is wrong on test 0; nothing after it ran
