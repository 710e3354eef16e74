"""Issue 10, section 1: a sample sees nothing of any other sample.

Each case pairs an innocent sample that knows a fresh secret answer with an attacker that tries to
get it (or to spoil the innocent one) through one channel: the memory of its own process, System
V / POSIX IPC objects, the scratch folders, the interpreter state test processes start from, the
sandbox's filesystem, host sockets. Attacker and victim run on ONE worker, in both orders
(attacker, victim, attacker), through the API and through `microcoder eval`.
"""

from __future__ import annotations

import json
import os
import socket
import textwrap
from pathlib import Path

import pytest
from isolation_harness import both_orders, explain, functional_problem, grade_in_order, grade_via_cli, stdin_problem, token

from mceval import Verdict

# Reads every readable mapping of its own process and returns whatever looks like a secret answer.
# Reads every readable anonymous mapping of its own process (heap, arenas, stack) with ctypes and
# returns whatever looks like a secret answer.
MEMORY_SCAN = r'''
import ctypes, re
def scan_memory():
    pattern = re.compile(rb"MCV-[0-9a-f]{32}")
    found = []
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        if not fields[1].startswith("r") or (len(fields) > 5 and fields[5] not in ("[heap]", "[stack]")):
            continue
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        if hi - lo <= 1 << 28:
            found += [m.group().decode() for m in pattern.finditer(ctypes.string_at(lo, hi - lo))]
    return found[0] if found else "nothing"
'''


@pytest.fixture(scope="module")
def secret() -> str:
    return token()


# ------------------------------------------------------------------------------------- memory
def test_functional_child_holds_no_earlier_sample(secret):
    """The previous sample's result frame, code and inputs are nowhere in the attacker's memory."""
    problem = functional_problem("mem-fn", f'"{secret}"')
    victim = (problem, f"class Solution:\n    def answer(self, x):\n        return {secret!r}\n")
    attacker = (problem, MEMORY_SCAN + "class Solution:\n    def answer(self, x):\n        return scan_memory()\n")
    got = both_orders(attacker, victim)
    assert got["victim"].verdict is Verdict.AC, explain(got["victim"])
    assert got["attacker first"].verdict is Verdict.WA, explain(got["attacker first"])
    assert got["attacker after"].verdict is Verdict.WA, explain(got["attacker after"])


def test_stdin_child_holds_no_earlier_sample(secret, tmp_path):
    problem = stdin_problem("mem-stdin", secret)
    victim = f"input()\nprint({secret!r})\n"
    attacker = MEMORY_SCAN + "input()\nprint(scan_memory())\n"
    rows = grade_via_cli(tmp_path, problem, [attacker, victim, attacker], "--timeout", "2")
    assert [r["verdict"] for r in rows] == ["WA", "AC", "WA"], rows


# ---------------------------------------------------------------------------------------- IPC
# Leaves the secret in every IPC object it can create; prints the secret (it "solved" the problem).
IPC_WRITER = r'''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
note = SECRET.encode()
shm = libc.shmget(0x4D4356, 1 << 20, 0o1666)           # IPC_CREAT | 0666
if shm >= 0:
    libc.shmat.restype = ctypes.c_void_p
    addr = libc.shmat(shm, None, 0)
    if addr not in (None, ctypes.c_void_p(-1).value):
        ctypes.memmove(addr, note, len(note))
big = libc.shmget(0x4D4357, 160 << 20, 0o1666)        # charged to the memory cgroup if it stays
if big >= 0:
    libc.shmat.restype = ctypes.c_void_p
    addr = libc.shmat(big, None, 0)
    if addr not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(addr, 1, 160 << 20)
msq = libc.msgget(0x4D4356, 0o1666)
if msq >= 0:
    buf = ctypes.create_string_buffer(8 + len(note))
    ctypes.memmove(ctypes.addressof(buf), (1).to_bytes(8, "little") + note, 8 + len(note))
    libc.msgsnd(msq, buf, len(note), 0)
sem = libc.semget(0x4D4356, 1, 0o1666)
libc.mq_open.restype = ctypes.c_int
mq = libc.mq_open(b"/mcv", os.O_CREAT | os.O_WRONLY, 0o666, None)
if mq >= 0:
    libc.mq_send(mq, note, len(note), 0)
input()
print(SECRET)
'''

# Prints whatever note an earlier sample left in an IPC object, else "nothing".
IPC_READER = r'''
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
found = []
shm = libc.shmget(0x4D4356, 0, 0)
if shm >= 0:
    libc.shmat.restype = ctypes.c_void_p
    addr = libc.shmat(shm, None, 0)
    if addr not in (None, ctypes.c_void_p(-1).value):
        found.append(ctypes.string_at(addr, 36).decode("latin-1"))
msq = libc.msgget(0x4D4356, 0)
if msq >= 0:
    buf = ctypes.create_string_buffer(8 + 64)
    n = libc.msgrcv(msq, buf, 64, 0, 0o4000)            # IPC_NOWAIT
    if n > 0:
        found.append(buf.raw[8:8 + n].decode("latin-1"))
libc.mq_open.restype = ctypes.c_int
mq = libc.mq_open(b"/mcv", os.O_RDONLY | os.O_NONBLOCK)
if mq >= 0:
    buf = ctypes.create_string_buffer(8192)
    n = libc.mq_receive(mq, buf, 8192, None)
    if n > 0:
        found.append(buf.raw[:n].decode("latin-1"))
for table in ("shm", "msg", "sem"):
    try:
        rows = open(f"/proc/sysvipc/{table}").read().splitlines()[1:]
    except OSError:
        rows = []
    if rows:
        found.append(f"{table}: {len(rows)} objects")
input()
print(found[0] if found else "nothing")
'''

# An innocent program that needs most of a small memory limit.
NEEDS_MEMORY = "x = bytearray(200 << 20)\nfor i in range(0, len(x), 4096):\n    x[i] = 1\ninput()\nprint(SECRET)\n"


def test_no_ipc_object_survives_a_sample(secret):
    problem = stdin_problem("ipc", secret, time_limit_s=4)
    writer = (problem, f"SECRET = {secret!r}\n" + IPC_WRITER)
    reader = (problem, IPC_READER)
    innocent = (problem, f"SECRET = {secret!r}\n" + NEEDS_MEMORY)
    results = grade_in_order([reader, writer, reader, writer, innocent], memory_mb=256)
    assert results[1].verdict is Verdict.AC, explain(results[1])  # the writer solved it
    assert results[0].verdict is Verdict.WA and results[2].verdict is Verdict.WA, [explain(r) for r in results]
    assert results[4].verdict is Verdict.AC, explain(results[4])  # nothing left charged to the memory limit


# ------------------------------------------------------------------------------------ scratch
# Fills the scratch folders, hides the secret at the bottom of a tree deeper than PATH_MAX, and
# takes away its own permissions on the tree: nothing of it may reach the next sample.
SCRATCH_WRITER = r'''
import os
for i in range(4):                                     # under the 64 MiB file-size limit each
    with open(f"/tmp/fill{i}", "wb") as f:
        f.write(b"x" * (50 << 20))
with open("/dev/shm/fill", "wb") as f:
    f.write(b"x" * (40 << 20))
top = os.open("/tmp", os.O_RDONLY)
os.mkdir("/tmp/deep")
os.chdir("/tmp/deep")
for _ in range(300):                                    # ~7,500 characters of path
    os.mkdir("d" * 24)
    os.chdir("d" * 24)
with open("note", "w") as f:
    f.write(SECRET)
os.chdir("/tmp")
for dirpath in ("/tmp/deep",):
    os.chmod(dirpath, 0)
with open("/dev/shm/note", "w") as f:
    f.write(SECRET)
input()
print(SECRET)
'''

SCRATCH_READER = r'''
import os
found = []
for root in ("/tmp", "/dev/shm"):
    for dirpath, dirnames, filenames, dirfd in os.fwalk(root):
        for name in filenames:
            try:
                fd = os.open(name, os.O_RDONLY, dir_fd=dirfd)
                found.append(os.read(fd, 64).decode("latin-1"))
                os.close(fd)
            except OSError:
                found.append(f"{dirpath}/{name}")
        found += [f"{dirpath}/{d}" for d in dirnames]
input()
print(found[0] if found else "nothing")
'''

FILLS_SCRATCH = ("for i in range(4):\n    with open(f'/tmp/mine{i}', 'wb') as f:\n        f.write(b'y' * (55 << 20))\n"
                 "with open('/dev/shm/mine', 'wb') as f:\n    f.write(b'y' * (60 << 20))\ninput()\nprint(SECRET)\n")


def test_scratch_is_fresh_for_every_sample(secret):
    problem = stdin_problem("scratch", secret, time_limit_s=6)
    writer = (problem, f"SECRET = {secret!r}\n" + SCRATCH_WRITER)
    reader = (problem, SCRATCH_READER)
    innocent = (problem, f"SECRET = {secret!r}\n" + FILLS_SCRATCH)
    results = grade_in_order([reader, writer, reader, writer, innocent])
    assert results[1].verdict is Verdict.AC and results[3].verdict is Verdict.AC, [explain(r) for r in results]
    assert results[0].verdict is Verdict.WA and results[2].verdict is Verdict.WA, [explain(r) for r in results]
    assert results[4].verdict is Verdict.AC, explain(results[4])  # the space is there again


# ------------------------------------------------------------------------------- server state
# A header line importing submodules of preloaded packages, and other state a sample could try
# to leave behind in the process test children start from.
STATE_WRITER = """from json import tool
from email import message
import xml.dom.minidom
import os, sys
os.environ["MCV_NOTE"] = "written"
sys.modules["mcv_note"] = sys
class Solution:
    def answer(self, x):
        return "CLEAN"
"""

STATE_READER = """import os, sys
class Solution:
    def answer(self, x):
        seen = [m for m in ("json.tool", "email.message", "xml.dom.minidom", "mcv_note") if m in sys.modules]
        if "MCV_NOTE" in os.environ:
            seen.append("environ")
        return "CLEAN" if not seen else "SEEN " + " ".join(seen)
"""


def test_nothing_a_sample_runs_changes_where_the_next_starts(tmp_path):
    problem = functional_problem("state", '"CLEAN"')
    rows = grade_via_cli(tmp_path, problem, [STATE_READER, STATE_WRITER, STATE_READER, STATE_WRITER, STATE_READER],
                         "--timeout", "2")
    assert [r["verdict"] for r in rows] == ["AC"] * 5, rows


# ------------------------------------------------------------------------------- package data
def test_the_sandbox_shows_no_project_file_and_no_foreign_package():
    """Only the interpreter, the standard library (its site-packages masked), shared libraries
    and the solution libraries are bound; the project, its data and the virtualenv are not."""
    from mceval.sandbox import binds

    repo = str(Path(__file__).resolve().parents[1])
    plan = binds.plan()
    shown = [e["path"] for e in plan if e["kind"] == "bind"]
    assert not any(p == repo or p.startswith(repo + "/") for p in shown)
    libraries = {e["source"] for e in plan if e["path"].startswith(binds.SITE + "/")}
    assert all(not e["source"].startswith(repo + "/") or e["source"] in libraries for e in plan if e["kind"] == "bind")
    site_targets = {e["path"].split("/")[-1] for e in plan if e["path"].startswith(binds.SITE + "/")}
    assert site_targets <= {n for lib in binds.SOLUTION_LIBRARIES for n in (lib, lib + ".libs", lib + ".py")}
    masks = {e["path"] for e in plan if e["kind"] == "mask"}
    for entry in plan:
        if entry["kind"] == "bind" and os.path.isdir(entry["source"]):
            for sub in ("site-packages", "dist-packages"):
                assert not os.path.isdir(os.path.join(entry["source"], sub)) or os.path.join(entry["path"], sub) in masks


# Looks for the bundled datasets' content anywhere in the sandbox: a row's first test input is
# this problem's input, and its output the expected answer.
DATA_HUNTER = r'''
import json, os, sys
needle = sys.stdin.read()
answer, seen = None, []
for dirpath, dirnames, filenames in os.walk("/"):
    if dirpath.startswith(("/proc", "/sys", "/dev")):
        dirnames[:] = []
        continue
    for d in dirnames:
        if d in ("mcdata", "mceval", "mctrain", "samples") or d.endswith((".dist-info", ".egg-info")):
            seen.append(os.path.join(dirpath, d))
    for name in filenames:
        if name.endswith((".jsonl", ".jsonl.gz", ".parquet")):
            seen.append(os.path.join(dirpath, name))
        path = os.path.join(dirpath, name)
        try:
            if ".so" in name or os.path.getsize(path) > 2 << 20:
                continue
            with open(path, errors="replace") as f:
                text = f.read()
        except (OSError, UnicodeError):
            continue
        if needle.strip() and needle.strip() in text:
            seen.append(path)
print(seen[0] if seen else "nothing found")
'''


@pytest.mark.slow
def test_bundled_datasets_are_out_of_reach(tmp_path):
    """The attacker gets the opening of a real bundled row's statement (mcdata/samples); it prints
    the path of any file holding it, of any dataset file or project folder it finds; the verdict
    is AC only if it found none."""
    from conftest import REPO_ROOT

    with open(REPO_ROOT / "mcdata" / "samples" / "apps_train_sample.jsonl") as f:
        needle = json.loads(f.readline())["question"][:40]
    problem = stdin_problem("data", "nothing found", time_limit_s=20, stdin=needle)
    results = grade_in_order([(problem, DATA_HUNTER)])
    assert results[0].verdict is Verdict.AC, explain(results[0])


# ------------------------------------------------------------------------------------ sockets
def test_no_host_unix_socket_is_reachable():
    """socket(AF_UNIX) is refused inside (so no socket file on any bound path can be connected
    to, read-only or not), the host's abstract sockets live in another network namespace, and
    socketpair() - what multiprocessing needs - still works. The attacker prints the answer only
    if every attempt failed."""
    name = f"mcv-test-{os.getpid()}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + name)
    listener.listen(4)
    attacker = textwrap.dedent(f"""
        import os, socket, stat
        reached = []
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            try:
                s = socket.socket(socket.AF_UNIX, kind)
                reached.append("created")
                try:
                    s.connect("\\0{name}")
                    reached.append("abstract")
                except OSError:
                    pass
            except OSError:
                pass
        for dirpath, dirnames, filenames in os.walk("/"):
            if dirpath.startswith(("/proc", "/sys")):
                dirnames[:] = []
                continue
            for n in filenames:
                try:
                    if stat.S_ISSOCK(os.lstat(os.path.join(dirpath, n)).st_mode):
                        reached.append(os.path.join(dirpath, n))
                except OSError:
                    pass
        a, b = socket.socketpair()
        a.send(b"ok")
        print("isolated" if not reached and b.recv(2) == b"ok" else " ".join(reached))
        """)
    problem = stdin_problem("sockets", "isolated", time_limit_s=10)
    innocent = (problem, "input()\nprint('isolated')\n")
    try:
        got = both_orders((problem, attacker), innocent)
    finally:
        listener.close()
    for key, result in got.items():
        assert result.verdict is Verdict.AC, (key, explain(result))


# --------------------------------------------------------------------------- the supervisor
def test_the_supervisor_holds_no_privilege():
    """The process that compiles untrusted code and reads what tests write runs as the test uid
    with no capability; only the scratch helper keeps CAP_SYS_ADMIN, and tests cannot see either."""
    from mceval.sandbox import Sandbox

    def status(pid: int) -> dict[str, str]:
        return dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)

    with Sandbox() as sb:
        supervisor, zygote = status(sb.proc.pid), status(sb.zygote_pid)
        seen = sb.run("import os\nprint(sorted(p for p in os.listdir('/proc') if p.isdigit()))", [""], None,
                      sb.limits, True)[0]
    assert int(supervisor["CapEff"], 16) == 0 and int(supervisor["CapPrm"], 16) == 0
    assert supervisor["Uid"].split()[:2] == zygote["Uid"].split()[:2] != ["0", "0"]
    assert supervisor["NoNewPrivs"].strip() == "1"
    assert seen.stdout == b"['1', '2']\n"  # the zygote and the test itself: nothing of ours outside
