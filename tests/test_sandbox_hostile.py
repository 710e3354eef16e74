"""Hostile programs through the real sandbox and `mceval.grade`.

Every attack must end as a non-AC verdict within its limits (or, where the program prints the
right answer only when the attack FAILED, as AC), and the grader must go on and lose no result.
All attacks are graded in one batch (module fixture) so the suite stays fast; each test then
checks its own sample.
"""

from __future__ import annotations

import atexit
import os
import socket
import textwrap
import threading
from pathlib import Path

import pytest

import mceval
from mccore.schema import Problem, TestCase
from mceval import GradeConfig, Verdict

SUM = Problem("sum", "test", "print a+b", tests=(TestCase("1 2\n", "3\n"), TestCase("5 7\n", "12\n")), time_limit_s=1)
# Memory attacks get a roomier time limit: on a loaded 2-core box the kernel's page work is slow.
MEM = Problem("mem", "test", "print a+b", tests=(TestCase("1 2\n", "3\n"),), time_limit_s=4)
SECRET = "SECRET-EXPECTED-7f3a91"
FUNC = Problem("fn", "test", "return the secret", func_name="answer", time_limit_s=1,
               tests=(TestCase("1", f'"{SECRET}"', "functional"),))
STDIN_SECRET = Problem("secret", "test", "print the secret", time_limit_s=1, tests=(TestCase("1\n", SECRET + "\n"),))

REPO = Path(__file__).resolve().parents[1]
PROBLEMS_FILE = Path("/tmp") / f"mceval-test-problems-{os.getpid()}.jsonl"  # a host file holding expected outputs

_listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
_listener.bind(("127.0.0.1", 0))
_listener.listen(8)
PORT = _listener.getsockname()[1]
atexit.register(_listener.close)


def _mounted_children(directory: Path) -> list[str]:
    """Entries of `directory` the sandbox may show: only those leading to the interpreter's install."""
    from mceval.sandbox.binds import visible_paths

    d = str(directory).rstrip("/") + "/"
    return sorted({b[len(d):].split("/")[0] for b in visible_paths() if b.startswith(d)})


_VISIBLE_ONLY = [(str(d), _mounted_children(d)) for d in (Path.home(), REPO, REPO.parent)]

# name -> (problem, code, verdicts allowed)
CASES: dict[str, tuple[Problem, str, set[Verdict]]] = {
    "fork_bomb": (SUM, """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
        """, {Verdict.TLE, Verdict.RE}),
    "alloc_20gb": (MEM, "x = bytearray(20 * 2**30)\nprint(3)", {Verdict.MLE}),
    "alloc_gradual": (MEM, """
        chunks = []
        while True:
            chunks.append(bytearray(64 * 2**20))
        """, {Verdict.MLE, Verdict.TLE}),  # on a loaded box cgroup reclaim can use up the CPU budget first
    "fork_and_allocate": (MEM, """
        import os, time
        kids = []
        for _ in range(6):
            pid = os.fork()
            if pid == 0:
                x = bytearray(350 * 2**20)
                for i in range(0, len(x), 4096):
                    x[i] = 1
                time.sleep(30)
                os._exit(0)
            kids.append(pid)
        bad = 0
        for pid in kids:
            _, status = os.waitpid(pid, 0)
            bad += status != 0
        print(3 if bad == 0 else -1)
        """, {Verdict.MLE}),
    "output_2gb": (SUM, """
        import sys
        chunk = "x" * (1 << 20)
        for _ in range(2048):
            sys.stdout.write(chunk)
        """, {Verdict.OLE}),
    "loop_ignoring_signals": (SUM, """
        import signal
        for s in (signal.SIGTERM, signal.SIGXCPU, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        while True:
            pass
        """, {Verdict.TLE}),
    "sleep_forever": (SUM, "import time\ntime.sleep(10**6)", {Verdict.TLE}),
    "kill_parent_and_everyone": (SUM, """
        import os, signal
        for target in (os.getppid(), 1, -1):
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
        print("still here")
        """, {Verdict.WA}),
    "kill_own_group": (SUM, "import os, signal\nos.kill(0, signal.SIGKILL)", {Verdict.RE}),
    "segfault": (SUM, "import ctypes\nctypes.string_at(0)", {Verdict.RE}),
    "exit_before_flush": (SUM, "print(3)\nimport os\nos._exit(0)", {Verdict.WA}),
    # The program prints the right answer only if it found NONE of the host's files.
    "read_host_files": (SUM, f"""
        import os
        leaked = [p for p in {[str(PROBLEMS_FILE), "/etc/passwd", "/etc/shadow", "/sys/fs/cgroup", str(REPO / "cli.py"),
                               str(REPO / "tests"), "/home"]!r} if os.path.exists(p)]
        for d, allowed in {_VISIBLE_ONLY!r}:
            try:
                leaked += sorted(set(os.listdir(d)) - set(allowed))
            except OSError:
                pass
        a, b = map(int, input().split())
        print(a + b if not leaked else "LEAK " + " ".join(leaked))
        """, {Verdict.AC}),
    "write_outside_scratch": (SUM, f"""
        import os
        written = []
        for p in ["/x", "/usr/x", "/proc/x", "/dev/x", {str(REPO)!r} + "/pwned", "/root/pwned"]:
            try:
                with open(p, "w") as f:
                    f.write("x")
                written.append(p)
            except OSError:
                pass
        with open("/tmp/ok", "w") as f:  # the private scratch dir is writable
            f.write("fine")
        a, b = map(int, input().split())
        print(a + b if not written else "WROTE " + " ".join(written))
        """, {Verdict.AC}),
    "network": (SUM, f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {PORT}), timeout=1)
            print("CONNECTED")
        except OSError:
            a, b = map(int, input().split())
            print(a + b)
        """, {Verdict.AC}),
    # Prints the right answer only if every escape hatch is closed.
    "namespaces_ptrace_mounts": (SUM, """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        opened = []
        if libc.unshare(0x10000000) == 0:  # CLONE_NEWUSER: would hand out capabilities again
            opened.append("userns")
        if libc.ptrace(16, 1, 0, 0) == 0:  # PTRACE_ATTACH to the fork-server
            opened.append("ptrace")
        if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
            opened.append("mount")
        try:
            os.kill(1, 9)
            opened.append("kill-1") if os.path.exists("/proc/1/stat") is False else None
        except OSError:
            pass
        a, b = map(int, input().split())
        print(a + b if not opened else "OPEN " + " ".join(opened))
        """, {Verdict.AC}),
    "eq_always_true": (FUNC, """
        class Anything(str):
            def __eq__(self, other):
                return True
            __hash__ = str.__hash__
        class Solution:
            def answer(self, x):
                class E:
                    def __eq__(self, other):
                        return True
                return E()
        """, {Verdict.WA}),
    "eq_true_list_subclass": (FUNC, """
        class L(list):
            def __eq__(self, other):
                return True
        class Solution:
            def answer(self, x):
                return L([1])
        """, {Verdict.WA}),
    "hunt_expected_in_memory": (FUNC, """
        import gc, sys
        class Solution:
            def answer(self, x):
                for obj in gc.get_objects():
                    if isinstance(obj, str) and "SECRET-EXPECTED" in obj and len(obj) < 100:
                        return obj
                    if isinstance(obj, dict):
                        for v in list(obj.values()):
                            if isinstance(v, str) and "SECRET-EXPECTED" in v:
                                return v
                f = sys._getframe()
                while f is not None:
                    for v in list(f.f_locals.values()):
                        if isinstance(v, str) and "SECRET-EXPECTED" in v:
                            return v
                    f = f.f_back
                return "nothing found"
        """, {Verdict.WA}),
    "patch_json_and_modules": (FUNC, """
        import json, sys
        json.dumps = lambda *a, **k: '"patched"'
        for name, mod in list(sys.modules.items()):
            if hasattr(mod, "judge_functional"):
                mod.judge_functional = lambda *a, **k: True
        class Solution:
            def answer(self, x):
                return "x"
        """, {Verdict.WA}),
    "hunt_expected_stdin": (STDIN_SECRET, """
        import gc, os, sys
        found = [o for o in gc.get_objects() if isinstance(o, str) and "SECRET-EXPECTED" in o and len(o) < 100]
        for root, dirs, files in os.walk("/proc/1"):
            break
        try:
            found.append(open("/proc/1/environ").read())
            found.append(open("/proc/1/mem", "rb").read(10).decode("latin1"))
        except OSError:
            pass
        print(found[0] if found else "nothing")
        """, {Verdict.WA}),
}


@pytest.fixture(scope="module")
def cgroup_active() -> bool:
    """Whether sandboxes get a memory cgroup here (root with cgroups); else rlimits only."""
    from mceval.sandbox import Sandbox

    with Sandbox() as sb:
        return sb.cgroup is not None and sb.cgroup.limited


@pytest.fixture(scope="module")
def hostile_results():
    PROBLEMS_FILE.write_text(f'{{"expected": "{SECRET}"}}\n')
    items = [(p, textwrap.dedent(code)) for p, code, _ in CASES.values()]
    try:
        results = mceval.grade(items, GradeConfig(workers=2))
    finally:
        PROBLEMS_FILE.unlink()
    return dict(zip(CASES, results))


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_program_is_contained(hostile_results, cgroup_active, name):
    problem, _, allowed = CASES[name]
    if name == "fork_and_allocate" and not cgroup_active:
        # rlimits cap each process, not their sum: the children sleep until the wall limit
        allowed = allowed | {Verdict.TLE}
    result = hostile_results[name]
    assert result.question_id == problem.problem_id
    assert result.verdict in allowed, (name, result.verdict, [t.message for t in result.tests])
    # every test either ran with a verdict or the sample stopped at its first failure
    assert result.tests and result.tests[0].index == 0


def test_no_result_lost_and_order_kept(hostile_results):
    assert [r.sample_index for r in hostile_results.values()] == list(range(len(CASES)))


def test_daemons_are_gone_after_the_test():
    """A double-forked, setsid'd daemon from one sample must not survive into the next one."""
    daemon = textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(60)
            os._exit(0)
        a, b = map(int, input().split())
        print(a + b)
        """)
    probe = "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()))"
    seen = Problem("procs", "test", "", tests=(TestCase("", "[1]\n"),), time_limit_s=2)
    with mceval.Grader(GradeConfig(workers=1)) as grader:
        first, second = grader.grade([(SUM, daemon), (seen, probe)])
    assert first.verdict is Verdict.AC
    assert second.verdict is Verdict.AC, "only the fork-server (pid 1) may be left: " + second.tests[0].message


def test_grader_survives_sandbox_death_and_restarts():
    """Killing the sandbox from outside mid-sample gives a non-AC verdict; the next sample is graded."""
    from mceval.sandbox import Limits, Sandbox

    with Sandbox(limits=Limits(time_s=5)) as sb:
        killer = threading.Timer(0.5, lambda: sb.proc.kill())
        killer.start()
        obs = sb.run("while True: pass", [""], None, Limits(time_s=5), early_exit=True)
        killer.join()
        assert obs[-1].status == "crashed"
        assert sb.restarts == 1
        again = sb.run("print(int(input()) * 2)", ["21\n"], None, Limits(time_s=5), early_exit=True)
        assert again[0].status == "ok" and again[0].stdout == b"42\n"


def test_wedged_sandbox_hits_the_watchdog():
    """A fork-server that stops answering (SIGSTOPped from the host) is killed by the grader's
    watchdog and replaced; the sample gets TLE instead of hanging the grader."""
    import signal as _signal

    from mceval.grader import _failure_verdict
    from mceval.sandbox import Limits, Sandbox

    with Sandbox(limits=Limits(time_s=0.5), watchdog_slack_s=1.0) as sb:
        os.kill(sb.zygote_pid, _signal.SIGSTOP)
        obs = sb.run("print(1)", [""], None, Limits(time_s=0.5), early_exit=True)
        assert obs[-1].status == "crashed"
        assert _failure_verdict(obs[-1])[0] is Verdict.TLE
        assert sb.run("print(1)", [""], None, Limits(time_s=0.5), early_exit=True)[0].stdout == b"1\n"


def test_cgroups_are_removed_after_close():
    with mceval.Grader(GradeConfig(workers=1)) as grader:
        grader.grade([(SUM, "print(3)")])
        dirs = [d for sb in grader._sandboxes if sb.cgroup for d in sb.cgroup.dirs]
    assert all(not d.exists() for d in dirs)
