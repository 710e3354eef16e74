"""Issue 10, section 2 (restarts, crashes from inside): every sample gets its own correct row.

A restarted sandbox is served exactly like a new one; bytes a test writes on any descriptor it
holds (malformed frames, absurd lengths, garbage) and any file tree it leaves cannot take the
sandbox down; and when a sandbox does die, only the sample it was running is charged. Attackers
and innocents share ONE worker, in both orders.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from isolation_harness import explain, functional_problem, grade_via_cli, stdin_problem

import mceval
from mceval import GradeConfig, Verdict

ANSWER = functional_problem("fault-fn", "42", time_limit_s=2)
STDIN = stdin_problem("fault-stdin", "42", time_limit_s=2)
INNOCENT_FN = "class Solution:\n    def answer(self, x):\n        return 42\n"
INNOCENT_STDIN = "input()\nprint(42)\n"

# Functional programs that write bytes of their choosing on the result pipe (fd 4) and elsewhere.
HOSTILE_FN = {
    "absurd_length": "import os, struct\nclass Solution:\n    def answer(self, x):\n"
                     "        os.write(4, struct.pack('<BI', 2, 0xFFFFFFFF))\n        return 42\n",
    "unknown_kind": "import os\nclass Solution:\n    def answer(self, x):\n        os.write(4, b'\\x09' * 64)\n        return 42\n",
    "nested_result": "import os, struct\nclass Solution:\n    def answer(self, x):\n"
                     "        data = b'[' * 200000 + b']' * 200000\n"
                     "        os.write(4, struct.pack('<BI', 2, len(data)) + data)\n        os._exit(0)\n",
    "extra_results": "import os, struct\nclass Solution:\n    def answer(self, x):\n"  # wrong, then flooding
                     "        for _ in range(1000):\n            os.write(4, struct.pack('<BI', 2, 2) + b'41')\n"
                     "        return 42\n",
    "half_a_frame": "import os, struct\nclass Solution:\n    def answer(self, x):\n"
                    "        os.write(4, struct.pack('<BI', 2, 100) + b'4')\n        os._exit(0)\n",
    "garbage_everywhere": "import os\nclass Solution:\n    def answer(self, x):\n"
                          "        for fd in range(1024):\n            try:\n                os.write(fd, os.urandom(4096))\n"
                          "            except OSError:\n                pass\n        return 42\n",
    "daemon_keeps_writing": "import os, time\nclass Solution:\n    def answer(self, x):\n"  # garbage first, then more
                            "        r, w = os.pipe()\n        if os.fork() == 0:\n            os.setsid()\n"
                            "            os.write(4, b'\\xff' * 512)\n            os.write(w, b'x')\n"
                            "            while True:\n                os.write(4, os.urandom(512))\n"
                            "                time.sleep(0.001)\n        os.read(r, 1)\n        return 42\n",
}

# Stdin programs: garbage on every descriptor, and a scratch tree no recursive wipe could remove.
HOSTILE_STDIN = {
    "garbage_everywhere": "import os\nfor fd in range(1024):\n    try:\n        os.write(fd, os.urandom(4096))\n"
                          "    except OSError:\n        pass\n",
    "tree_deeper_than_path_max_without_permissions": (
        "import os\nos.chdir('/tmp')\nfor _ in range(400):\n    os.mkdir('x' * 30)\n    os.chdir('x' * 30)\n"
        "os.chdir('/tmp')\nos.chmod('/tmp/' + 'x' * 30, 0)\nos.chmod('/tmp', 0) if os.access('/tmp', os.W_OK) else None\n"
        "print(41)\n"),
    "many_inodes": "import os\nos.mkdir('/tmp/m')\nfor i in range(20000):\n    try:\n"
                   "        open(f'/tmp/m/{i}', 'w').close()\n    except OSError:\n        break\nprint(41)\n",
}


def _interleaved(problem, innocent, hostile):
    """innocent, h1, innocent, h2, innocent, ...: every attacker sits between two innocents."""
    items = [(problem, innocent)]
    for code in hostile:
        items += [(problem, code), (problem, innocent)]
    return items


@pytest.mark.parametrize("problem,innocent,hostile", [
    (ANSWER, INNOCENT_FN, HOSTILE_FN), (STDIN, INNOCENT_STDIN, HOSTILE_STDIN)], ids=["functional", "stdin"])
def test_no_bytes_and_no_file_tree_take_the_sandbox_down(problem, innocent, hostile):
    items = _interleaved(problem, innocent, hostile.values())
    with mceval.Grader(GradeConfig(workers=1)) as grader:
        results = grader.grade(items)
        restarts = grader._sandboxes[0].restarts
    names = list(hostile)
    for i, result in enumerate(results):
        if i % 2 == 0:
            assert result.verdict is Verdict.AC, (i, explain(result))
        else:
            assert result.verdict is not Verdict.AC, (names[i // 2], explain(result))
    assert restarts == 0, "a test's bytes or files crashed the sandbox"


def test_hostile_frames_through_the_cli(tmp_path):
    rows = grade_via_cli(tmp_path, ANSWER, [code for _, code in _interleaved(ANSWER, INNOCENT_FN, HOSTILE_FN.values())],
                         "--timeout", "2")
    assert [r["verdict"] == "AC" for r in rows] == [i % 2 == 0 for i in range(len(rows))], rows


def test_a_restarted_sandbox_is_served_like_a_new_one():
    """After a restart the new channel often reuses the old descriptor numbers; every later
    sample on that single worker must still be graded promptly (not by the watchdog)."""
    with mceval.Grader(GradeConfig(workers=1)) as grader:
        assert grader.grade([(STDIN, INNOCENT_STDIN)])[0].verdict is Verdict.AC
        sandbox = grader._sandboxes[0]
        for _ in range(2):  # crash it between samples, twice
            old_fd = sandbox.reply_fd
            os.kill(sandbox.proc.pid, signal.SIGKILL)
            sandbox.proc.wait()
            start = time.monotonic()
            results = grader.grade([(STDIN, INNOCENT_STDIN), (ANSWER, INNOCENT_FN)] * 3)
            assert [r.verdict for r in results] == [Verdict.AC] * 6, [explain(r) for r in results]
            assert time.monotonic() - start < 10, "samples waited for the watchdog"
        assert sandbox.restarts == 2 and sandbox.reply_fd == old_fd  # the case that used to poison the slot


def test_only_the_running_sample_is_charged_for_a_crash():
    """The sandbox is killed while the second sample runs: that sample gets a non-AC row, the
    ones before and after it on the same worker get their own correct rows."""
    slow = "import time\ntime.sleep(1.5)\ninput()\nprint(42)\n"
    with mceval.Grader(GradeConfig(workers=1)) as grader:
        grader.grade([(STDIN, INNOCENT_STDIN)])
        sandbox = grader._sandboxes[0]
        killer = threading.Timer(0.7, lambda: os.kill(sandbox.proc.pid, signal.SIGKILL))
        killer.start()
        results = grader.grade([(STDIN, INNOCENT_STDIN), (STDIN, slow), (STDIN, INNOCENT_STDIN), (ANSWER, INNOCENT_FN)])
        killer.join()
    assert [r.verdict for r in results] == [Verdict.AC, Verdict.RE, Verdict.AC, Verdict.AC], [explain(r) for r in results]
    assert "sandbox crashed" in results[1].tests[-1].message


def test_a_failure_after_a_sample_charges_no_one():
    """The sandbox fails while cleaning up after a sample whose results are complete (its scratch
    helper is killed, so the scratch that sample dirtied cannot be replaced): that sample keeps
    its verdict, and the next one on the worker runs again on a fresh sandbox instead of being
    charged."""
    dirty = "class Solution:\n    def answer(self, x):\n        open('/tmp/left-behind', 'w').write('x')\n        return 42\n"
    with mceval.Grader(GradeConfig(workers=1)) as grader:
        assert grader.grade([(ANSWER, INNOCENT_FN)])[0].verdict is Verdict.AC
        sandbox = grader._sandboxes[0]
        with open(f"/proc/{sandbox.proc.pid}/task/{sandbox.proc.pid}/children") as f:
            helper = next(int(p) for p in f.read().split() if int(p) != sandbox.zygote_pid)
        os.kill(helper, signal.SIGKILL)
        results = grader.grade([(ANSWER, dirty), (ANSWER, INNOCENT_FN), (STDIN, INNOCENT_STDIN)])
        restarts = sandbox.restarts
    assert [r.verdict for r in results] == [Verdict.AC] * 3, [explain(r) for r in results]
    assert restarts == 1
