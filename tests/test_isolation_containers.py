"""Issue 10, section 6: containers. As root without CAP_SYS_ADMIN (Docker's and Kubernetes'
default) the grader falls back to a user namespace and still isolates - its test processes never
run as the host's root; where no namespace can be made at all, one line says what to enable.

The capability-less root is made here with util-linux `setpriv` (CI runs the suite as root), in a
subprocess that grades through the real API and the real CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mccore.schema import Problem, TestCase
from mceval.lcb_format import problem_to_lcb_row

REPO = Path(__file__).resolve().parents[1]
WITHOUT_SYS_ADMIN = ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-all"]

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="needs root and util-linux setpriv to drop CAP_SYS_ADMIN")

# Run in the capability-less subprocess: grade, then report what the host sees of the sandbox.
GRADE_AND_REPORT = textwrap.dedent("""
    import json, os, textwrap
    import mceval
    from mccore.schema import Problem, TestCase
    from mceval.sandbox import Sandbox

    SUM = Problem("sum", "test", "", tests=(TestCase("1 2\\n", "3\\n"),), time_limit_s=2)
    ADD = Problem("add", "test", "", func_name="add", time_limit_s=2, tests=(TestCase("1\\n2", "3", "functional"),))
    ESCAPES = '''
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    opened = []
    if libc.unshare(0x10000000) == 0:
        opened.append("userns")
    if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
        opened.append("mount")
    for path in ("/etc/passwd", "/root", "/proc/1/mem"):
        try:
            open(path, "rb").read(1)
            opened.append(path)
        except OSError:
            pass
    a, b = map(int, input().split())
    print(a + b if not opened else "OPEN " + " ".join(opened))
    '''
    effective = open("/proc/self/status").read().split("CapEff:")[1].split()[0]
    with Sandbox() as sb:
        host_uid = int(open(f"/proc/{sb.zygote_pid}/status").read().split("Uid:")[1].split()[1])
        mode = sb.info["mode"]
    results = mceval.grade([(SUM, "a, b = map(int, input().split())\\nprint(a + b)"), (SUM, "print(4)"),
                            (ADD, "class Solution:\\n    def add(self, a, b):\\n        return a + b\\n"),
                            (SUM, textwrap.dedent(ESCAPES))], mceval.GradeConfig(workers=1))
    print(json.dumps({"cap_eff": effective, "mode": mode, "test_uid_on_host": host_uid,
                      "verdicts": [r.verdict.value for r in results],
                      "messages": [t.message for r in results for t in r.tests]}))
    """)


def _run(args: list[str], *, prefix: list[str] = WITHOUT_SYS_ADMIN, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)


def test_root_without_cap_sys_admin_grades_in_a_user_namespace():
    done = _run([sys.executable, "-c", GRADE_AND_REPORT])
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not int(report["cap_eff"], 16) >> 21 & 1, "CAP_SYS_ADMIN was not dropped: the case was not exercised"
    assert report["mode"].startswith("userns"), report
    assert report["test_uid_on_host"] != 0, "test processes run as the host's root"
    assert report["verdicts"] == ["AC", "WA", "AC", "AC"], report


def test_root_without_cap_sys_admin_through_the_cli(tmp_path):
    problem = Problem("sum", "test", "", tests=(TestCase("1 2\n", "3\n"),))
    (tmp_path / "p.jsonl").write_text(json.dumps(problem_to_lcb_row(problem)) + "\n")
    (tmp_path / "g.json").write_text(json.dumps([{"question_id": "sum", "code_list": [
        "a, b = map(int, input().split())\nprint(a + b)", "print(4)"]}]))
    done = _run([sys.executable, "-m", "cli", "eval", "--problems", str(tmp_path / "p.jsonl"), "--generations",
                 str(tmp_path / "g.json"), "--output", str(tmp_path / "out"), "--workers", "1", "--quiet"])
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert [r["verdict"] for r in sorted(rows, key=lambda r: r["sample_index"])] == ["AC", "WA"]


def test_no_namespace_at_all_is_one_clear_line(tmp_path):
    """Root without CAP_SYS_ADMIN where user namespaces are refused too (their limit set to 0 in a
    user namespace of our own): the CLI exits with one line saying what to enable."""
    if shutil.which("unshare") is None:
        pytest.skip("needs util-linux unshare")
    problem = Problem("sum", "test", "", tests=(TestCase("1 2\n", "3\n"),))
    (tmp_path / "p.jsonl").write_text(json.dumps(problem_to_lcb_row(problem)) + "\n")
    (tmp_path / "g.json").write_text(json.dumps([{"question_id": "sum", "code_list": ["print(3)"]}]))
    command = " ".join([*WITHOUT_SYS_ADMIN, sys.executable, "-m", "cli", "eval", "--problems", str(tmp_path / "p.jsonl"),
                        "--generations", str(tmp_path / "g.json"), "--output", str(tmp_path / "out"), "--quiet"])
    done = _run(["sh", "-c", f"echo 0 > /proc/sys/user/max_user_namespaces && exec {command}"],
                prefix=["unshare", "--user", "--map-root-user"])
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "CAP_SYS_ADMIN" in lines[0] and "user namespaces" in lines[0] and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "samples.jsonl").exists()
