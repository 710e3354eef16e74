"""Issue 10, section 3: the limits hold for everything a sample starts.

CPU time is that of the whole process tree (workers never waited for included, in functional mode
too) under a one-CPU quota; a test is TLE when its active time - wall time minus the time its
processes waited for a CPU - passes the limit, so a program idle past its limit fails while a
CPU-bound one slowed only by a loaded machine does not. Attackers and innocents share ONE worker,
in both orders.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from isolation_harness import both_orders, explain, functional_problem, grade_in_order, grade_via_cli, stdin_problem

import mceval
from mceval import GradeConfig, Verdict
from mceval.sandbox import Sandbox

# Burns `seconds` of this process's own CPU time (not wall time), whatever the machine's load.
BURN = "import time\ndef burn(seconds):\n    end = time.process_time() + seconds\n    while time.process_time() < end:\n        pass\n"

# Splits 1.5 s of CPU over three workers it never waits for (it reads their pipes), so its own
# process uses almost none: too slow for a 1 s limit.
SPLIT_UNWAITED = BURN + textwrap.dedent("""
    import os
    pipes = []
    for _ in range(3):
        r, w = os.pipe()
        if os.fork() == 0:
            burn(0.5)
            os.write(w, b"1")
            os._exit(0)
        pipes.append(r)
    total = sum(int(os.read(r, 1)) for r in pipes)
    input()
    print(42 if total == 3 else -1)
    """)

SPLIT_WAITED_FN = BURN + textwrap.dedent("""
    import os
    class Solution:
        def answer(self, x):
            kids = []
            for _ in range(2):
                pid = os.fork()
                if pid == 0:
                    burn(0.7)
                    os._exit(0)
                kids.append(pid)
            for pid in kids:
                os.waitpid(pid, 0)
            return 42
    """)


def test_cpu_of_unwaited_workers_is_charged():
    problem = stdin_problem("split", "42", time_limit_s=1)
    innocent = (problem, BURN + "burn(0.2)\ninput()\nprint(42)\n")
    got = both_orders((problem, SPLIT_UNWAITED), innocent)
    assert got["victim"].verdict is Verdict.AC, explain(got["victim"])
    for key in ("attacker first", "attacker after"):
        assert got[key].verdict is Verdict.TLE, (key, explain(got[key]))
        assert got[key].tests[0].time_s > 1.0  # the whole tree's CPU time is reported


def test_cpu_of_waited_workers_is_charged_in_functional_mode(tmp_path):
    problem = functional_problem("split-fn", "42", time_limit_s=1)
    innocent = BURN + "class Solution:\n    def answer(self, x):\n        burn(0.2)\n        return 42\n"
    rows = grade_via_cli(tmp_path, problem, [SPLIT_WAITED_FN, innocent, SPLIT_WAITED_FN], "--timeout", "1")
    assert [r["verdict"] for r in rows] == ["TLE", "AC", "TLE"], rows


@pytest.fixture(scope="module")
def quota() -> float | None:
    """The test group's CPU quota here (None without cgroups), and whether active time is used."""
    with Sandbox() as sb:
        return (sb.cgroup.max_cpus if sb.cgroup else None), sb.measures_wait


def test_a_sample_gets_at_most_one_cpu(quota):
    """Three busy processes for 0.6 s of wall time: under a one-CPU quota their CPU time adds up
    to about 0.6 s however many cores the host has idle. The program prints the answer only if
    it got no more than 0.85 s."""
    if quota[0] is None:
        pytest.skip("no cgroup CPU controller here (not root, or no cgroups): no quota to test")
    greedy = BURN + textwrap.dedent("""
        import os, time
        pipes = []
        for _ in range(3):
            r, w = os.pipe()
            if os.fork() == 0:
                end = time.monotonic() + 0.6
                while time.monotonic() < end:
                    pass
                os.write(w, str(time.process_time()).encode().ljust(32))
                os._exit(0)
            pipes.append(r)
        used = sum(float(os.read(r, 32)) for r in pipes)
        input()
        print(42 if used <= 0.85 else f"got {used:.2f} s of CPU in 0.6 s")
        """)
    problem = stdin_problem("quota", "42", time_limit_s=3)
    results = grade_in_order([(problem, greedy)])
    assert results[0].verdict is Verdict.AC, explain(results[0])


IDLE = {
    "sleep": "import time\ntime.sleep(2.5)\ninput()\nprint(42)\n",
    "blocked_on_a_pipe": "import os\nr, w = os.pipe()\nos.read(r, 1)\n",
    "waits_for_a_sleeping_child": "import os, time\nif os.fork() == 0:\n    time.sleep(30)\n    os._exit(0)\nos.wait()\n",
}


@pytest.mark.parametrize("name", list(IDLE))
def test_a_program_idle_past_its_limit_is_tle(quota, name):
    """Sleeping or blocked past the 1 s limit with almost no CPU: TLE - within the limit plus
    scheduling, not at the wall-clock backstop."""
    if not quota[1]:
        pytest.skip("no run-queue accounting here (cgroup v2): idle time is bounded by the wall backstop only")
    problem = stdin_problem("idle", "42", time_limit_s=1)
    innocent = (problem, "input()\nprint(42)\n")
    start = time.monotonic()
    got = both_orders((problem, IDLE[name]), innocent)
    elapsed = time.monotonic() - start
    assert got["victim"].verdict is Verdict.AC, explain(got["victim"])
    for key in ("attacker first", "attacker after"):
        assert got[key].verdict is Verdict.TLE, (key, explain(got[key]))
    assert elapsed < 8, f"two idle attackers took {elapsed:.1f} s: ended by the wall backstop, not the limit"


def test_idle_functional_test_is_tle(quota):
    if not quota[1]:
        pytest.skip("no run-queue accounting here (cgroup v2)")
    problem = functional_problem("idle-fn", "42", time_limit_s=1)
    sleeper = "import time\nclass Solution:\n    def answer(self, x):\n        time.sleep(2.5)\n        return 42\n"
    innocent = "class Solution:\n    def answer(self, x):\n        return 42\n"
    results = grade_in_order([(problem, sleeper), (problem, innocent)])
    assert [r.verdict for r in results] == [Verdict.TLE, Verdict.AC], [explain(r) for r in results]


@pytest.mark.slow
def test_a_cpu_bound_program_on_a_loaded_machine_is_not_tle(quota):
    """0.7 s of CPU under a 1 s limit, on a CPU shared with ten busy host processes: it takes
    several seconds of wall time (more than the old 3 x limit + 2 s wall rule), yet its active
    time stays under the limit, so AC; a sleeper on the same loaded CPU is still TLE."""
    if not quota[1]:
        pytest.skip("no run-queue accounting here (cgroup v2)")
    cpu = min(os.sched_getaffinity(0))
    # Each in its own session: with autogroup scheduling, one session's processes share one slot.
    spin = f"import os, time\nos.setsid()\nos.sched_setaffinity(0, {{{cpu}}})\nend = time.time() + 40\nwhile time.time() < end:\n    pass\n"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(10)]
    try:
        problem = stdin_problem("loaded", "42", time_limit_s=1)
        busy = (problem, BURN + "burn(0.7)\ninput()\nprint(42)\n")
        sleeper = (problem, IDLE["sleep"])
        with mceval.Grader(GradeConfig(workers=1, pin_cpus=True)) as grader:
            grader.grade([busy])  # sandbox started
            start = time.monotonic()
            results = grader.grade([busy, sleeper])
            elapsed = time.monotonic() - start
            assert grader._sandboxes[0].cpu == cpu
    finally:
        for p in spinners:
            p.kill()
            p.wait()
    assert results[0].verdict is Verdict.AC, explain(results[0])
    assert results[1].verdict is Verdict.TLE, explain(results[1])
    assert elapsed > 5, "the load did not slow the program down: the case was not exercised"


def test_without_cgroups_the_whole_tree_is_still_charged(monkeypatch):
    """Where no cgroup can be made (non-root, read-only cgroupfs), the CPU time of workers a
    program never waits for is still charged, exactly, once the test ends (the zygote reaps them)."""
    from mceval.sandbox import host

    def unavailable(*args, **kwargs):
        raise OSError("no cgroups here")

    monkeypatch.setattr(host, "SandboxCgroups", unavailable)
    problem = stdin_problem("split-nocg", "42", time_limit_s=1)
    with mceval.Grader(GradeConfig(workers=1)) as grader:
        results = grader.grade([(problem, SPLIT_UNWAITED), (problem, BURN + "burn(0.2)\ninput()\nprint(42)\n")])
        assert grader._sandboxes[0].cgroup is None and not grader._sandboxes[0].measures_wait
    assert [r.verdict for r in results] == [Verdict.TLE, Verdict.AC], [explain(r) for r in results]
    assert results[0].tests[0].time_s > 1.0
