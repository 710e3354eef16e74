"""Issue 10, section 5: judging like a real judge - programs CPython runs correctly are AC.

Each idiom is a correct program that an earlier version of the sandbox judged wrong: closing
stdout at the end, output left in an unclosed file on fd 1, CRLF input, multiprocessing.Pool,
numpy values returned by a functional solution. Graded on one worker through the API and the CLI,
next to a wrong program of the same kind, which must stay wrong.
"""

from __future__ import annotations

import pytest
from isolation_harness import explain, grade_in_order, grade_via_cli

from mccore.schema import Problem, TestCase
from mceval import Verdict

SUM = Problem("sum", "test", "", time_limit_s=5, tests=(TestCase("3\n1 2 3\n", "6\n"), TestCase("2\n5 5\n", "10\n")))

STDIN_AC = {
    "stdout_closed_at_the_end": "import sys\nn = int(input())\nprint(sum(map(int, input().split())))\nsys.stdout.close()\n",
    "unclosed_open_fd_1": "n = int(input())\nout = open(1, 'w')\nout.write(str(sum(map(int, input().split()))) + '\\n')\n",
    "unclosed_dev_stdout": "n = int(input())\nout = open('/dev/stdout', 'w')\nout.write(f'{sum(map(int, input().split()))}\\n')\n",
    "unclosed_fdopen_1": "import os\nn = int(input())\nout = os.fdopen(1, 'w')\nout.write(f'{sum(map(int, input().split()))}\\n')\n",
    "print_then_unclosed_file": "n = int(input())\ns = sum(map(int, input().split()))\nprint(s // 10 if s >= 10 else '', end='')\n"
                                "out = open(1, 'w')\nout.write(f'{s % 10}\\n')\n",
    "multiprocessing_pool": ("from multiprocessing import Pool\n"
                             "def square(x):\n    return x * x\n"
                             "if __name__ == '__main__':\n"
                             "    n = int(input())\n    xs = list(map(int, input().split()))\n"
                             "    with Pool(2) as pool:\n        print(sum(pool.map(square, xs)) - sum(x * x for x in xs) + sum(xs))\n"),
}
STDIN_WRONG = "n = int(input())\nout = open(1, 'w')\nout.write(str(n) + '\\n')\n"

# "ab\r\n": CPython on Linux keeps the "\r" (no newline translation on stdin).
CRLF = Problem("crlf", "test", "", time_limit_s=5, tests=(TestCase("ab\r\ncd\r\n", "3 4\n"),))
CRLF_AC = "import sys\nfirst = input()\nsecond = sys.stdin.readline()\nprint(len(first), len(second))\n"
CRLF_WRONG = "import sys\nfirst = input().rstrip()\nsecond = sys.stdin.readline()\nprint(len(first), len(second))\n"

NUMPY = Problem("np", "test", "", func_name="stats", time_limit_s=5, tests=(
    TestCase("[1, 2, 3]", '[6, 2.0, [1, 4, 9], true, 3]', "functional"),))
NUMPY_AC = ("import numpy as np\nclass Solution:\n    def stats(self, xs):\n        a = np.array(xs, dtype=np.int64)\n"
            "        return [a.sum(), a.mean(), a * a, np.bool_(a.all()), np.int32(len(xs))]\n")
NUMPY_WRONG = ("import numpy as np\nclass Solution:\n    def stats(self, xs):\n        a = np.array(xs, dtype=np.int64)\n"
               "        return [a.sum(), a.mean(), a + a, np.bool_(a.all()), np.int32(len(xs))]\n")


@pytest.mark.parametrize("name", list(STDIN_AC))
def test_stdin_idiom_is_accepted_next_to_a_wrong_one(name):
    results = grade_in_order([(SUM, STDIN_AC[name]), (SUM, STDIN_WRONG), (SUM, STDIN_AC[name])])
    assert results[0].verdict is Verdict.AC and results[2].verdict is Verdict.AC, explain(results[0])
    assert results[1].verdict is Verdict.WA, explain(results[1])


def test_crlf_input_keeps_its_carriage_returns():
    results = grade_in_order([(CRLF, CRLF_AC), (CRLF, CRLF_WRONG)])
    assert [r.verdict for r in results] == [Verdict.AC, Verdict.WA], [explain(r) for r in results]


def test_numpy_values_are_results_through_the_cli(tmp_path):
    pytest.importorskip("numpy")
    rows = grade_via_cli(tmp_path, NUMPY, [NUMPY_AC, NUMPY_WRONG, NUMPY_AC], "--timeout", "5")
    assert [r["verdict"] for r in rows] == ["AC", "WA", "AC"], rows


def test_stdin_idioms_through_the_cli(tmp_path):
    codes = [code for name in sorted(STDIN_AC) for code in (STDIN_AC[name], STDIN_WRONG)]
    rows = grade_via_cli(tmp_path, SUM, codes, "--timeout", "5")
    assert [r["verdict"] for r in rows] == ["AC", "WA"] * len(STDIN_AC), rows
