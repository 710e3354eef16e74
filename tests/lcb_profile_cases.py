"""Programs whose verdict depends on HOW a grader runs them, with LiveCodeBench's own verdict.

Each case is one program on a tiny problem. `lcb` is the verdict LiveCodeBench's runner gave it
(`lcb_runner/evaluation/testing_util.py` at commit 28fef95, `check_correctness` with timeout 6, its
process's stdin /dev/null), recorded with `scripts/lcb_side_by_side.py --lcb CHECKOUT` and written in
our verdicts' names (its codes: all tests passed AC, -2 WA, -3 TLE, -4 RE); `profile_lcb` and
`microcoder` are our verdicts in each grading profile, with LiveCodeBench's comparison. Our CE and MLE
are LiveCodeBench's -4 (mceval/bench/lcb_files.py). Where the lcb profile's verdict means something
else than LiveCodeBench's, `why` says why: those are the remaining differences the README lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from mccore.schema import Problem
from mccore.schema import TestCase as Test

# stdin: the sum of n numbers; a judge's limit of 2 s (LiveCodeBench gives every test 6 s)
SUM = Problem("sum", "lcb-profile-cases", "", time_limit_s=2, tests=(
    Test("3\n1 2 3\n", "6\n"), Test("2\n5 5\n", "10\n")))
# stdin: the last digit of a 60,000-digit number (past LiveCodeBench's int/str limit of 50,000 digits)
LAST_DIGIT = Problem("last-digit", "lcb-profile-cases", "", tests=(Test("7" * 60000 + "\n", "7\n"),))
# functional: the median of a list
MEDIAN = Problem("median", "lcb-profile-cases", "", func_name="median", platform="leetcode", tests=(
    Test("[3, 1, 2]", "2", "functional"), Test("[4, 1]", "2.5", "functional")))
# functional: how many times the method was called (only one instance for all tests passes)
CALLS = Problem("calls", "lcb-profile-cases", "", func_name="calls", platform="leetcode", tests=(
    Test("0", "1", "functional"), Test("0", "2", "functional"), Test("0", "3", "functional")))
# functional: the sum of a list
TOTAL = Problem("total", "lcb-profile-cases", "", func_name="total", platform="leetcode", tests=(
    Test("[1, 2]", "3", "functional"), Test("[5]", "5", "functional")))
# stdin: which test this is, counted by the process (only one process for all tests passes)
NTH = Problem("nth", "lcb-profile-cases", "", tests=(Test("a\n", "1\n"), Test("b\n", "2\n")))

READ_SUM = "input()\nprint(sum(map(int, input().split())))\n"


@dataclass(frozen=True)
class Case:
    name: str
    problem: Problem
    code: str
    lcb: str  # LiveCodeBench at 28fef95
    profile_lcb: str  # ours, grading profile lcb
    microcoder: str  # ours, grading profile microcoder
    why: str = ""  # why profile_lcb differs from lcb


CASES = (
    # --- what the lcb profile reproduces
    Case("stdin program using deque and sys without importing them", SUM,
         "q = deque(map(int, sys.stdin.read().split()[1:]))\nprint(sum(q))\n", "AC", "AC", "RE"),
    Case("recursion 3,000 deep, no setrecursionlimit", SUM,
         "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n\ninput()\n"
         "print(sum(map(int, input().split())) + depth(3000) * 0)\n", "AC", "AC", "RE"),
    Case("LeetCode answer using statistics and json without importing them", MEDIAN,
         "class Solution:\n    def median(self, nums: List[int]) -> float:\n"
         "        return json.loads(json.dumps(statistics.median(nums)))\n", "AC", "AC", "RE"),
    Case("Solution counting its calls (right only with one instance for all tests)", CALLS,
         "class Solution:\n    def __init__(self):\n        self.count = 0\n\n    def calls(self, x: int) -> int:\n"
         "        self.count += 1\n        return self.count\n", "AC", "AC", "WA"),
    Case("Solution accumulating state in __init__ (right only with a fresh instance per test)", TOTAL,
         "class Solution:\n    def __init__(self):\n        self.acc = 0\n\n    def total(self, nums: List[int]) -> int:\n"
         "        for x in nums:\n            self.acc += x\n        return self.acc\n", "WA", "WA", "AC"),
    Case("sleeps 3 s: past the problem's 2 s, within LiveCodeBench's 6 s", SUM,
         "import time\ntime.sleep(3)\n" + READ_SUM, "AC", "AC", "TLE"),
    Case("sleeps 7 s: past 6 s of wall time", SUM, "import time\ntime.sleep(7)\n" + READ_SUM, "TLE", "TLE", "TLE"),
    Case("allocates 1.5 GiB (no memory limit in LiveCodeBench)", SUM,
         "block = bytearray(1536 * 1024 * 1024)\nblock[::4096] = b'x' * len(block[::4096])\n" + READ_SUM,
         "AC", "AC", "MLE"),
    Case("prints the answer, then sys.exit(1)", SUM, "import sys\n" + READ_SUM + "sys.exit(1)\n", "AC", "AC", "RE"),
    Case("prints the answer, then quit()", SUM, READ_SUM + "quit()\n", "RE", "RE", "AC"),
    Case("if __name__ == '__main__': as the last statement", SUM,
         "def main():\n    input()\n    print(sum(map(int, input().split())))\n\nif __name__ == '__main__':\n    main()\n",
         "AC", "AC", "AC"),
    Case("if __name__ == '__main__': followed by another statement", SUM,
         "def main():\n    input()\n    print(sum(map(int, input().split())))\n\nif __name__ == '__main__':\n    main()\n"
         "done = True\n", "WA", "WA", "AC"),
    Case("top-level variable changed through `global`", SUM,
         "total = 0\n\ndef add(x):\n    global total\n    total += x\n\ninput()\nfor v in input().split():\n"
         "    add(int(v))\nprint(total)\n", "RE", "RE", "AC"),
    Case("for line in sys.stdin", SUM,
         "import sys\nlines = [line for line in sys.stdin]\nprint(sum(map(int, lines[1].split())))\n", "RE", "RE", "AC"),
    Case("sys.stdin.buffer.readline() twice", SUM,
         "import sys\nsys.stdin.buffer.readline()\nprint(sum(map(int, sys.stdin.buffer.readline().split())))\n",
         "WA", "WA", "AC"),
    Case("from sys import stdin; stdin.readline() (lines without their newline)", SUM,
         "from sys import stdin\nn = int(stdin.readline())\nprint(sum(map(int, stdin.readline().split())))\n",
         "AC", "AC", "AC"),
    Case("open(0).read()", SUM, "print(sum(map(int, open(0).read().split()[1:])))\n", "WA", "WA", "AC"),
    Case("sys.stdout.buffer.write", SUM,
         "import sys\ninput()\nsys.stdout.buffer.write(str(sum(map(int, input().split()))).encode() + b'\\n')\n",
         "RE", "RE", "AC"),
    Case("os.write(1, ...)", SUM,
         "import os\ninput()\nos.write(1, str(sum(map(int, input().split()))).encode() + b'\\n')\n", "WA", "WA", "AC"),
    Case("thread started without join()", SUM,
         "import threading, time\n\ndef main():\n    time.sleep(0.2)\n    input()\n    print(sum(map(int, input().split())))\n\n"
         "threading.Thread(target=main).start()\n", "WA", "WA", "AC"),
    Case("multiprocessing.Pool (os.fork)", SUM,
         "import multiprocessing\n\ndef double(x):\n    return 2 * x\n\ninput()\nnums = list(map(int, input().split()))\n"
         "with multiprocessing.Pool(2) as pool:\n    print(sum(pool.map(double, nums)) // 2)\n", "RE", "RE", "AC"),
    Case("starts a subprocess", SUM,
         "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'pass'])\n" + READ_SUM, "RE", "RE", "AC"),
    Case("int() of a 60,000-digit number", LAST_DIGIT, "print(int(input()) % 10)\n", "RE", "RE", "AC"),
    # --- what it does not reproduce, on purpose
    Case("result whose __eq__ is always True", TOTAL,
         "class Anything:\n    def __eq__(self, other):\n        return True\n\nclass Solution:\n"
         "    def total(self, nums):\n        return Anything()\n", "AC", "WA", "WA",
         "results are serialised to JSON inside the sandbox and compared outside it: no live object reaches "
         "the judge"),
    Case("rewrites LiveCodeBench's comparison function through sys.modules", SUM,
         "import sys\nm = sys.modules.get('lcb_runner.evaluation.testing_util')\nif m:\n"
         "    m.get_stripped_lines = lambda text: ['ok']\nprint('garbage')\n", "AC", "WA", "WA",
         "the judge is out of the program's reach (another process, outside the sandbox)"),
    Case("numpy.zeros of 10 GiB, never touched", SUM,
         "import numpy\nblock = numpy.zeros(10 * 1024 ** 3, dtype=numpy.uint8)\n" + READ_SUM, "AC", "RE", "RE",
         "the sandbox keeps a memory cap, 8 GiB by default (`--memory-mb` raises it): LiveCodeBench has none"),
    Case("counts its tests in module state (one process for all tests)", NTH,
         "import sys\nsys.counter = getattr(sys, 'counter', 0) + 1\nprint(sys.counter)\n", "AC", "WA", "WA",
         "each stdin test runs in a fresh process, so no test sees what an earlier one left"),
)
