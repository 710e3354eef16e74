"""The program that runs inside the sandbox: it isolates itself, then serves as a fork-server.

Started by `mceval.sandbox.Sandbox` as `python -I executor.py CONFIG_JSON` (as root, or in a user
namespace). Standard library only, on purpose: it must not import the grader (whose memory would
otherwise hold expected outputs) nor anything from the project, which is not mounted inside.

Phases:
1. `isolate()`  - new mount/pid/net/ipc/uts namespaces, a fresh root on tmpfs holding only the
   interpreter's install (read-only), /dev/{null,zero,urandom,random}, a new /proc and a private
   size-capped scratch /tmp; pivot_root; then drop to an unprivileged uid with no capabilities,
   set no_new_privs, and install a seccomp filter (no new namespaces, mounts, ptrace, BPF, ...).
   This process becomes pid 1 of the new pid namespace, so code in the sandbox can neither see nor
   signal anything outside, and cannot kill pid 1 (the kernel ignores signals sent to a namespace's
   init from inside unless it installed a handler).
2. `serve()`    - reads jobs (code + test INPUTS only, never expected outputs) from the grader and
   runs every test in a forked child with rlimits, real fds 0/1/2 and a fresh `__main__`, streaming
   back raw observations (stdout bytes / result JSON, exit status, CPU time). After every test
   (stdin) or sample (functional) it SIGKILLs every process of the sandbox uid and wipes /tmp.

Wire format, both directions: 8-byte header (two little-endian u32: JSON length, blob length),
a UTF-8 JSON object, then the blob (raw stdout bytes for stdin tests).
"""

from __future__ import annotations

import atexit
import _signal
import builtins
import ctypes
import errno
import gc
import json
import os
import re
import resource
import select
import shutil
import signal
import struct
import sys
import time
import traceback
import types

# ----------------------------------------------------------------------------------------- framing
FRAME_HEADER = struct.Struct("<II")  # JSON length, blob length (see the module doc)
# Bound once, so test code that patches the json module cannot break our framing.
_dumps, _loads = json.JSONEncoder(separators=(",", ":")).encode, json.JSONDecoder().decode


def _read_exact(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def frame(obj: dict, blob: bytes = b"") -> bytes:
    data = _dumps(obj).encode()
    return FRAME_HEADER.pack(len(data), len(blob)) + data + blob


def send_msg(fd: int, obj: dict, blob: bytes = b"") -> None:
    write_all(fd, frame(obj, blob))


# -------------------------------------------------- the functional child's codec (C-level JSON only)
# A forked child copies every page it writes. The pure-Python layers of `json` (JSONEncoder.encode,
# JSONDecoder.decode and their helpers) write ~150 of them on first use, ~0.4 ms a sample; the C
# scanner and encoder, built once here in the server, write a few. Output is the same as
# `json.JSONEncoder(allow_nan=True).encode` (tuples become lists, non-ASCII escaped).
def _not_serialisable(obj: object) -> None:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_MARKERS: dict = {}  # circular-reference detection; left non-empty by a failed encode, so cleared
if json.encoder.c_make_encoder is not None:
    _c_encode = json.encoder.c_make_encoder(_MARKERS, _not_serialisable, json.encoder.encode_basestring_ascii,
                                            None, ": ", ", ", False, False, True)

    def encode_result(value: object) -> str:
        try:
            return "".join(_c_encode(value, 0))
        finally:
            _MARKERS.clear()
else:  # an interpreter without the _json accelerator
    encode_result = json.JSONEncoder(allow_nan=True).encode

_scan_json = (json.scanner.c_make_scanner or json.scanner.py_make_scanner)(json.JSONDecoder())
_JSON_SPACE = " \t\n\r"


def decode_argument(line: str) -> object:
    """One JSON value per input line, as `json.loads` reads it."""
    text = line.strip(_JSON_SPACE)
    try:
        value, end = _scan_json(text, 0)
    except StopIteration as stop:
        raise ValueError(f"Expecting value: line 1 column {stop.value + 1}") from None
    if end != len(text):
        raise ValueError(f"Extra data: line 1 column {end + 1}")
    return value


READY_FRAME = frame({"kind": "ready"})
_RESULT_JSON = b'{"kind":"result"}'


def result_frame(text: str) -> bytes:
    """A result travels as the frame's blob, so the child need not JSON-quote the JSON text."""
    blob = text.encode("ascii")
    return FRAME_HEADER.pack(len(_RESULT_JSON), len(blob)) + _RESULT_JSON + blob


def write_all(fd: int, data: bytes) -> None:
    buf = memoryview(data)
    while buf:
        buf = buf[os.write(fd, buf) :]


def split_frames(buf: bytearray, max_bytes: int = 1 << 31) -> list[tuple[bytes, bytes]]:
    """Remove the complete frames at the head of `buf` and return them as (JSON bytes, blob)
    pairs; a frame announcing more than `max_bytes` raises ValueError."""
    frames = []
    while len(buf) >= FRAME_HEADER.size:
        n_json, n_blob = FRAME_HEADER.unpack_from(buf)
        if n_json + n_blob > max_bytes:
            raise ValueError(f"message of {n_json + n_blob} bytes exceeds the cap of {max_bytes}")
        end = FRAME_HEADER.size + n_json + n_blob
        if len(buf) < end:
            break
        frames.append((bytes(buf[FRAME_HEADER.size : FRAME_HEADER.size + n_json]),
                       bytes(buf[FRAME_HEADER.size + n_json : end])))
        del buf[:end]
    return frames


def recv_msg(fd: int, max_bytes: int = 1 << 31) -> tuple[dict, bytes]:
    n_json, n_blob = FRAME_HEADER.unpack(_read_exact(fd, FRAME_HEADER.size))
    if n_json + n_blob > max_bytes:
        raise ValueError(f"message of {n_json + n_blob} bytes exceeds the cap of {max_bytes}")
    obj = _loads(_read_exact(fd, n_json).decode())
    blob = _read_exact(fd, n_blob) if n_blob else b""
    return obj, blob


# --------------------------------------------------------------------------------------- isolation
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def _mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def _bind_ro(src: str, dst: str) -> None:
    _mount(src, dst, None, MS_BIND | MS_REC)
    _mount(None, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _open_bind_sources(binds: list[str]) -> dict[str, int | str]:
    """Pin each bind source before the new root is mounted over /tmp: an O_PATH fd still reaches
    a source that lives under /tmp (a venv in a CI checkout there); root-level symlinks are kept
    as their link text (e.g. /lib -> usr/lib on merged-/usr systems)."""
    sources: dict[str, int | str] = {}
    for src in binds:
        if not os.path.exists(src):
            continue
        if os.path.islink(src) and os.path.dirname(src) == "/":
            sources[src] = os.readlink(src)
        else:
            sources[src] = os.open(src, os.O_PATH | os.O_CLOEXEC)
    return sources


def _build_root(root: str, cfg: dict, sources: dict[str, int | str]) -> None:
    """Populate `root` (a fresh tmpfs) with read-only binds of the interpreter's install only.

    The scratch /tmp is mounted first, sticky and root-owned like a real /tmp, so a source under
    /tmp is bound inside it on root-owned directories the sandbox uid can neither remove nor rename.
    """
    os.makedirs(root + "/tmp")
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={cfg['scratch_bytes']},mode=1777")
    for src, source in sources.items():
        dst = root + src
        if isinstance(source, str):
            os.symlink(source, dst)
            continue
        if os.path.isdir(f"/proc/self/fd/{source}"):
            os.makedirs(dst, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            open(dst, "wb").close()
        _bind_ro(f"/proc/self/fd/{source}", dst)
        os.close(source)
    os.makedirs(root + "/dev", exist_ok=True)
    for dev in ("null", "zero", "urandom", "random", "full"):
        if os.path.exists("/dev/" + dev):
            open(f"{root}/dev/{dev}", "wb").close()
            _mount("/dev/" + dev, f"{root}/dev/{dev}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    os.makedirs(root + "/proc")
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _pivot_root(root: str) -> None:
    nr = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if nr is None:
        raise OSError(errno.ENOSYS, f"pivot_root syscall number unknown for {os.uname().machine}")
    os.chdir(root)
    _check(_libc.syscall(nr, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")


def _write_id_maps(pid_self: str, inner: int, outer_uid: int, outer_gid: int) -> None:
    with open(f"/proc/{pid_self}/setgroups", "w") as f:
        f.write("deny")
    with open(f"/proc/{pid_self}/uid_map", "w") as f:
        f.write(f"{inner} {outer_uid} 1")
    with open(f"/proc/{pid_self}/gid_map", "w") as f:
        f.write(f"{inner} {outer_gid} 1")


def _drop_capabilities() -> None:
    """Clear every capability (effective, permitted, inheritable) and the ambient set. Needed in
    the user-namespace path, where the nested namespace would otherwise leave us all of them."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()  # two __user_cap_data_struct, all zero
    _check(_libc.capset(header, data), "capset")
    _check(_libc.prctl(47, 4, 0, 0, 0), "clear ambient capabilities")  # PR_CAP_AMBIENT_CLEAR_ALL


# Syscalls nothing in a test needs, which only widen the kernel's attack surface: new namespaces
# (a user namespace would hand out capabilities again), mounts, ptrace and cross-process memory
# access, BPF, io_uring, keyrings, module loading. x86_64 numbers; elsewhere the filter is skipped.
_DENIED_X86_64 = {
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "keyctl": 250, "add_key": 248, "request_key": 249, "kexec_load": 246, "kexec_file_load": 320,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "swapon": 167,
    "swapoff": 168, "reboot": 169, "acct": 163, "quotactl": 179, "open_by_handle_at": 304,
}
_SYS_CLONE, _SYS_CLONE3 = 56, 435
_NS_FLAGS = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | 0x02000000


def _install_seccomp() -> None:
    """A seccomp filter (inherited by every test process) that fails the syscalls above with
    EPERM, clone() with namespace flags too, and clone3 with ENOSYS so libc falls back to clone."""
    if os.uname().machine != "x86_64":
        return
    BPF_LD_W_ABS, BPF_JEQ_K, BPF_JSET_K, BPF_RET_K, BPF_JGE_K = 0x20, 0x15, 0x45, 0x06, 0x35
    ALLOW, ERRNO = 0x7FFF0000, 0x00050000
    AUDIT_ARCH_X86_64 = 0xC000003E
    prog: list[tuple[int, int, int, int]] = [
        (BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        (BPF_RET_K, 0, 0, ERRNO | errno.EPERM),  # another ABI (i386 via int 0x80): refuse everything
        (BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (BPF_JGE_K, 0, 1, 0x40000000),  # the x32 ABI
        (BPF_RET_K, 0, 0, ERRNO | errno.EPERM),
        (BPF_JEQ_K, 0, 1, _SYS_CLONE3),
        (BPF_RET_K, 0, 0, ERRNO | errno.ENOSYS),
    ]
    for nr in _DENIED_X86_64.values():
        prog += [(BPF_JEQ_K, 0, 1, nr), (BPF_RET_K, 0, 0, ERRNO | errno.EPERM)]
    prog += [
        (BPF_JEQ_K, 0, 3, _SYS_CLONE),
        (BPF_LD_W_ABS, 0, 0, 16),  # low half of args[0]: the clone flags
        (BPF_JSET_K, 0, 1, _NS_FLAGS),
        (BPF_RET_K, 0, 0, ERRNO | errno.EPERM),
        (BPF_RET_K, 0, 0, ALLOW),
    ]

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*ins) for ins in prog])
    fprog = SockFprog(len(prog), filters)
    PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
    _check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp filter")


def isolate(cfg: dict) -> tuple[int, bytes]:
    """Enter the sandbox. Returns in pid 1 of the new pid namespace, unprivileged; the original
    process stays outside as a reaper that mirrors pid 1's exit status (and dies with the grader).
    Returns (fd, value): our /proc/self/oom_score_adj, opened while we still may, and our own
    score (fd -1 if unavailable); see `Server.fork`."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != cfg["grader_pid"]:
        os._exit(70)  # the grader died before we got here
    for path in cfg.get("cgroup_procs", []):  # join the per-sandbox cgroups (memory + pids caps)
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    userns = os.geteuid() != 0
    if userns:
        outer_uid, outer_gid = os.geteuid(), os.getegid()
        _check(_libc.unshare(CLONE_NEWUSER | flags), "unshare(user+mount+pid+net+ipc+uts namespaces)")
        _write_id_maps("self", 0, outer_uid, outer_gid)
    else:
        _check(_libc.unshare(flags), "unshare(mount+pid+net+ipc+uts namespaces)")
    pid = os.fork()
    if pid:  # outside reaper: wait for the namespace's init and exit like it
        os.closerange(3, 1 << 16)
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources = _open_bind_sources(cfg["binds"])
    root = "/tmp"  # a tmpfs mounted over /tmp in our private mount namespace becomes the new root
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    if userns:
        cfg = dict(cfg, uid=0)  # only one id is mapped; a nested namespace below drops capabilities
    _build_root(root, cfg, sources)
    _pivot_root(root)
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _libc.sethostname(b"sandbox", 7)
    oom_fd, oom_base = -1, b"0"
    try:  # kept open: once we are undumpable, /proc/self belongs to root and cannot be reopened
        oom_fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        if not userns:  # the server survives a cgroup OOM; its children get 1000 (see Server.fork)
            os.write(oom_fd, b"-1000")
            oom_base = b"-1000"
    except OSError:
        pass
    if not userns:
        uid = cfg["uid"]
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    else:
        # A nested user namespace owns nothing mounted above, so even "root" in it cannot undo the
        # read-only mounts; map inner uid 1000 to us and lose every capability over our mounts.
        _check(_libc.unshare(CLONE_NEWUSER), "unshare(nested user namespace)")
        _write_id_maps("self", 1000, 0, 0)
    _drop_capabilities()
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    _prctl(PR_SET_DUMPABLE, 0)  # same-uid test processes cannot ptrace or read our memory
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # changing credentials cleared it; the reaper's death ends us
    _install_seccomp()
    with open("/proc/self/status") as f:
        caps = [line.split()[1] for line in f if line.startswith(("CapEff", "CapPrm"))]
    if any(int(c, 16) for c in caps):
        raise OSError(errno.EPERM, f"capabilities still held after dropping privileges: {caps}")
    os.chdir("/tmp")
    return oom_fd, oom_base


# --------------------------------------------------------------------------------------- the server
# Names LeetCode-style judges make available to functional solutions without imports.
PREAMBLE = """
import bisect, collections, copy, datetime, functools, heapq, itertools, math, operator, random, re, string, sys
from typing import *
from functools import *
from collections import *
from itertools import *
from heapq import *
from bisect import *
from string import *
from operator import *
from math import *
import builtins as _builtins
# The star imports above shadow builtins (math.pow and operator.pow take 2 arguments, operator.abs);
# solutions expect the builtins, as on LeetCode, so un-shadow every such name.
for _name in [_n for _n in globals() if not _n.startswith("_") and hasattr(_builtins, _n)]:
    del globals()[_name]
del _builtins, _name
inf = float('inf')

class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next

class TreeNode:
    def __init__(self, val=0, left=None, right=None):
        self.val = val
        self.left = left
        self.right = right
"""

ON_DEMAND = ("numpy", "sortedcontainers", "scipy", "networkx")
PRELOAD = ("array bisect collections copy dataclasses datetime decimal enum fractions functools heapq io "
           "itertools json math operator random re statistics string traceback typing").split()
# Leading lines of a solution that only import preloaded modules ("import math", "from typing import
# *", the header LeetCode-style prompts put on every solution) are run once per distinct header in
# the server, which may: it is our own allowlist, and importing a loaded module runs nothing.
# Re-binding hundreds of shared objects in every child would write their refcounts, a
# copy-on-write page fault each (~250 faults, ~0.4 ms a sample). `from sys import stdin` is not
# allowed: it would bind the server's stdio objects, not the child's fresh ones.
_HEADER_LINE = re.compile(r"import (?P<modules>[A-Za-z_]\w*(?: *, *[A-Za-z_]\w*)*)"
                          r"|from (?P<module>[A-Za-z_]\w*) import (?:\*|[A-Za-z_]\w*(?: *, *[A-Za-z_]\w*)*)")
_HEADER_MODULES = frozenset(PRELOAD) | {"sys"}
_MAX_HEADERS = 32
# Not preloaded on purpose: `threading` (its fork hook alone doubles the pages a forked child
# copies, ~0.35 ms per fork) and `logging`; programs that use them import them themselves.

# Signal dispositions of a freshly started CPython program, as plain ints for the C-level call
# (the `signal` module's enum wrappers would run, and copy pages, in every forked child).
_CHILD_SIGNALS = ((int(signal.SIGINT), signal.default_int_handler), (int(signal.SIGPIPE), int(signal.SIG_IGN)),
                  (int(signal.SIGXFSZ), int(signal.SIG_IGN)), (int(signal.SIGXCPU), int(signal.SIG_DFL)))


def _cpu_seconds(pid: int) -> float:
    """utime+stime of a live process (all threads), from /proc; 0 when it is already gone."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        try:
            fields = os.read(fd, 4096).rsplit(b")", 1)[1].split()
        finally:
            os.close(fd)
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


_CLK_TCK = os.sysconf("SC_CLK_TCK")
_NCPU = os.cpu_count() or 1  # read before isolation (no /sys inside)


class Server:
    def __init__(self, cfg: dict, rfd: int, wfd: int, oom: tuple[int, bytes] = (-1, b"0")) -> None:
        self.cfg, self.rfd, self.wfd = cfg, rfd, wfd
        self.oom_fd, self.oom_base = oom
        self.held = b""  # a sample's last results, sent together with its "done"
        self.preamble: dict = {}
        exec(compile(PREAMBLE, "<preamble>", "exec"), self.preamble)
        # The functional children's `__main__`, built once: the server never runs code in it, and
        # every forked child executes the solution in its own copy-on-write copy. Copying ~300
        # preamble names per child instead cost ~0.3 ms (a write to each object's page).
        self.functional_main = types.ModuleType("__main__")
        self.functional_main.__dict__.update(self.preamble)
        self.functional_main.__dict__.update(__name__="__main__", __builtins__=builtins, __file__="/tmp/main.py")
        self.loaded: set[str] = set()
        self.headers: dict[str, types.ModuleType | None] = {}  # see _HEADER_LINE
        self.job_id = None
        self.end = 0  # tests at index >= end are not to be run (early exit, or another worker took them)

    def preload(self, name: str) -> None:
        """Import a module into the server so forked children start with it loaded."""
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - optional (numpy may be absent from the install)
            pass
        self.loaded.add(name)
        gc.freeze()  # keep the new objects out of the children's collections (see main())

    def preload_for(self, code: str) -> None:
        """Heavy third-party modules are imported on first use (then kept): most samples never
        need them, and a smaller server forks faster."""
        for name in ON_DEMAND:
            if name not in self.loaded and name in code:
                self.preload(name)

    def functional_module(self, code: str) -> tuple[types.ModuleType, str]:
        """The `__main__` a functional sample starts in, and the code still to run there: its
        leading header (see _HEADER_LINE) already executed in a cached copy of the preamble module,
        the rest padded with newlines so line numbers in tracebacks stay those of the whole code."""
        lines = code.split("\n")
        k = 0
        while k < len(lines) and (not lines[k].strip() or self._is_header_line(lines[k].rstrip())):
            k += 1
        header = "\n".join(lines[:k]).strip()
        if not header or "__future__" in code:  # a future import must stay first in the compiled code
            return self.functional_main, code
        module = self.headers.get(header, self.functional_main)
        if module is self.functional_main:
            module = types.ModuleType("__main__")
            module.__dict__.update(self.functional_main.__dict__)
            try:
                exec(compile(header, "<solution>", "exec", dont_inherit=True), module.__dict__)
            except Exception:  # noqa: BLE001 - e.g. a name the module lacks: the child reports it
                module = None
            if len(self.headers) < _MAX_HEADERS:
                self.headers[header] = module
                gc.collect()
                gc.freeze()  # as in main(): keep the cached module out of the children's collections
        if module is None:
            return self.functional_main, code
        return module, "\n" * k + "\n".join(lines[k:])

    @staticmethod
    def _is_header_line(line: str) -> bool:
        match = _HEADER_LINE.fullmatch(line)
        if match is None:
            return False
        if match["module"] is not None:
            return match["module"] in _HEADER_MODULES and match["module"] != "sys" and match["module"] in sys.modules
        return all(name.strip() in _HEADER_MODULES and name.strip() in sys.modules for name in match["modules"].split(","))

    # ---- process lifecycle
    def kill_all(self) -> None:
        """SIGKILL every process of the sandbox uid (all but us, pid 1) and reap them, fork bombs
        included: loop until no child is left. Only ever as pid 1 of the sandbox's own pid
        namespace: anywhere else kill(-1) would reach every process the uid may signal."""
        if os.getpid() != 1:
            raise RuntimeError("kill_all() refused: not pid 1 of a sandbox pid namespace")
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                pid, _ = os.waitpid(-1, 0)
            except ChildProcessError:
                return
            except InterruptedError:
                continue

    def wipe_scratch(self) -> None:
        """Empty the private scratch /tmp (refused outside the sandbox, where /tmp is the host's)."""
        if os.getpid() != 1:
            raise RuntimeError("wipe_scratch() refused: not pid 1 of a sandbox pid namespace")
        me = os.getuid()
        for name in os.listdir("/tmp"):
            path = "/tmp/" + name
            try:
                if os.lstat(path).st_uid != me:
                    continue  # root-owned mount points of the interpreter's install (sticky /tmp)
                if os.path.isdir(path) and not os.path.islink(path):
                    for dirpath, dirnames, _ in os.walk(path):  # make everything removable
                        for d in dirnames:
                            try:
                                os.chmod(os.path.join(dirpath, d), 0o700)
                            except OSError:
                                pass
                    os.chmod(path, 0o700)
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)
            except OSError:
                pass

    def poll_control(self) -> None:
        """Apply the grader's control messages for the current job: "stop" (early exit on a wrong
        answer) and "limit" (another worker took over tests `end`..). Stale ids are ignored."""
        while select.select([self.rfd], [], [], 0)[0]:
            msg, _ = recv_msg(self.rfd)
            if msg.get("job") != self.job_id:
                continue
            if msg.get("op") == "stop":
                self.end = 0
            elif msg.get("op") == "limit":
                self.end = min(self.end, int(msg.get("end", 0)))

    def fork(self) -> int:
        """fork() a test child whose OOM score is 1000, so the OOM killer picks it, never the
        server. The kernel copies the score at fork, so the server lends it its own around the
        call: the child needs no prctl/ctypes or /proc write of its own (that cost ~0.3 ms a fork)."""
        if self.oom_fd < 0:
            return os.fork()
        try:
            os.write(self.oom_fd, b"1000")
        except OSError:
            return os.fork()
        pid = os.fork()
        if pid:
            os.write(self.oom_fd, self.oom_base)
        return pid

    # ---- a test child: common set-up after fork
    def child_setup(self, job: dict, cpu_s: float, stdin_fd: int, out_fd: int, err_fd: int, keep: tuple = ()) -> None:
        os.setsid()  # stays undumpable (inherited): no ptrace-level access even to its siblings
        os.dup2(stdin_fd, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        keep = sorted(set(keep))
        lo = 3
        for fd in keep:
            os.closerange(lo, fd)
            lo = fd + 1
        os.closerange(lo, 1 << 16)
        cpu = int(cpu_s) + 1
        mem = job["memory_bytes"]
        limits = [
            (resource.RLIMIT_CPU, (cpu, cpu + 1)),
            (resource.RLIMIT_CORE, (0, 0)),
            (resource.RLIMIT_FSIZE, (job["max_output"], job["max_output"])),
            (resource.RLIMIT_NPROC, (job["max_processes"], job["max_processes"])),
        ]
        if mem:
            limits.append((resource.RLIMIT_AS, (mem, mem)))
        for which, value in limits:
            resource.setrlimit(which, value)
        for signum, handler in _CHILD_SIGNALS:
            _signal.signal(signum, handler)

    @staticmethod
    def fresh_stdio() -> None:
        """New sys.std* objects over fds 0/1/2, configured as CPython does for a non-tty program."""
        sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", errors="surrogateescape", closefd=False)
        sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="strict", closefd=False)
        sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False,
                                           buffering=1)

    # ---- waiting for a child with CPU/wall/output limits
    def watch(self, pid: int, fds: dict, job: dict, cpu_limit: float, index: int) -> dict:
        """Drain a stdin test's pipes until the child exits, enforcing CPU time, wall clock and
        output size. A stop from the grader arriving meanwhile ends the wait ("stopped")."""
        start = time.monotonic()
        cpu0 = _cpu_seconds(pid)
        wall_limit = job["wall_factor"] * cpu_limit + 2.0
        cap = job["max_output"]
        bufs = {name: bytearray() for name in fds}
        open_fds = {fd: name for name, fd in fds.items()}
        pidfd = os.pidfd_open(pid)
        status, exited = "ok", False
        try:
            while True:
                elapsed = time.monotonic() - start
                cpu = _cpu_seconds(pid) - cpu0
                if cpu > cpu_limit or elapsed > wall_limit:
                    status = "timeout"
                    break
                wait = min(max(cpu_limit - cpu, 0.01), wall_limit - elapsed, 0.5)
                ready = select.select([*open_fds, pidfd, self.rfd], [], [], wait)[0]
                if self.rfd in ready:
                    self.poll_control()
                    if index >= self.end:
                        status = "stopped"
                        break
                for fd in ready:
                    if fd in open_fds:
                        name = open_fds[fd]
                        if not self._drain_once(fd, bufs[name], name, open_fds):
                            continue
                if len(bufs["out"]) > cap:
                    status = "output_limit"
                    break
                if pidfd in ready:
                    exited = True
                    break
        finally:
            os.close(pidfd)
        if exited:  # collect what is still buffered in the pipes (a daemon may hold them open)
            for fd, name in list(open_fds.items()):
                while select.select([fd], [], [], 0)[0] and self._drain_once(fd, bufs[name], name, open_fds):
                    if len(bufs["out"]) > cap:
                        status = "output_limit"
                        break
        return {"status": status, "exited": exited, "wall_s": time.monotonic() - start,
                "cpu_s": _cpu_seconds(pid) - cpu0, "bufs": bufs}

    @staticmethod
    def _drain_once(fd: int, buf: bytearray, name: str, open_fds: dict) -> bool:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            del open_fds[fd]
            return False
        buf += chunk
        if name == "err":  # keep only the tail of stderr
            del buf[:-8192]
        return True

    # ---- stdin/stdout programs: one fresh child per test
    def run_stdin_test(self, job: dict, code_obj, test_input: str, index: int) -> tuple[dict, bytes]:
        cpu_limit = job["time_limit"]
        in_fd = os.memfd_create("stdin")
        data = test_input.encode("utf-8", "surrogateescape")
        os.write(in_fd, data)
        os.lseek(in_fd, 0, os.SEEK_SET)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        pid = self.fork()
        if pid == 0:  # ------------------------------------------------------------ test child
            try:
                self.child_setup(job, cpu_limit, in_fd, out_w, err_w)
                self.fresh_stdio()
                run_main(code_obj)
            finally:
                os._exit(120)
        os.close(in_fd)
        os.close(out_w)
        os.close(err_w)
        res = self.watch(pid, {"out": out_r, "err": err_r}, job, cpu_limit, index)
        os.close(out_r)
        os.close(err_r)
        if not res["exited"]:
            os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
        res["cpu_s"] = usage.ru_utime + usage.ru_stime  # exact, unlike /proc's clock ticks
        if res["status"] == "ok" and res["cpu_s"] > cpu_limit:
            res["status"] = "timeout"
        if os.WIFSIGNALED(status):
            res["signal"] = os.WTERMSIG(status)
            if res["status"] == "ok":
                res["status"] = "timeout" if res["signal"] == signal.SIGXCPU else "signaled"
        else:
            res["exit_code"] = os.WEXITSTATUS(status)
            if res["status"] == "ok" and res["exit_code"] != 0:
                res["status"] = "exited"
        bufs = res.pop("bufs")
        del res["exited"]
        res["stderr"] = bytes(bufs["err"][-2000:]).decode("utf-8", "replace")
        self.kill_all()
        self.wipe_scratch()
        return res, bytes(bufs["out"][: job["max_output"] + 1])

    # ---- functional problems: one child per sample runs the tests with a fresh Solution() each
    def spawn_functional(self, job: dict, code_obj, main: types.ModuleType, start: int) -> tuple[int, dict]:
        """Fork the sample child: it executes the module once, then runs tests start.. in order,
        writing one result frame per test. The inputs reach it through fork(), no pipe needed."""
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        null = os.open("/dev/null", os.O_RDONLY)
        pid = self.fork()
        if pid == 0:  # --------------------------------------------------------- sample child
            try:
                total = job["time_limit"] * max(1, len(job["inputs"]) - start + 1) + 1
                self.child_setup(job, total, null, out_w, err_w, keep=(res_w,))
                run_functional_child(code_obj, job["func_name"], main, job["inputs"], start, res_w)
            finally:
                os._exit(120)
        for fd in (res_w, out_w, err_w, null):
            os.close(fd)
        return pid, {"res": res_r, "out": out_r, "err": err_r}

    def run_functional(self, job: dict, code_obj, main: types.ModuleType) -> None:
        """Run the sample's tests, restarting the child after a test that killed it when every
        test must run (early_exit off)."""
        start = 0
        while True:
            self.poll_control()
            if start >= self.end:
                return
            nxt = self._functional_child(job, code_obj, main, start)
            if nxt is None:
                return
            start = nxt

    def _functional_child(self, job: dict, code_obj, main: types.ModuleType, start: int) -> int | None:
        """Stream one child's results to the grader, in batches, while enforcing the per-test CPU
        and wall limits and the output cap. Returns the next test index to run in a fresh child,
        or None when the sample is over."""
        n, limit, cap = len(job["inputs"]), job["time_limit"], job["max_output"]
        wall_limit = job["wall_factor"] * limit + 2.0
        early = job["early_exit"]
        pid, fds = self.spawn_functional(job, code_obj, main, start)
        open_fds = {fd: name for name, fd in fds.items()}
        res_buf, err_buf = bytearray(), bytearray()
        out_total = 0
        index, ready = start, False
        cpu_mark, t_mark = 0.0, time.monotonic()
        pidfd = os.pidfd_open(pid)

        def finish(status: str, **extra) -> int | None:
            """Report a failure of test `index` that ends this child."""
            stderr = bytes(err_buf[-2000:]).decode("utf-8", "replace")
            payload = dict(index=index if ready else -1, status=status, stderr=stderr,
                           cpu_s=max(_cpu_seconds(pid) - cpu_mark, 0.0), wall_s=time.monotonic() - t_mark, **extra)
            send_msg(self.wfd, {"op": "tests", "results": [payload]})
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if not ready or early:
                return None
            return index + 1

        try:
            while True:
                now = time.monotonic()
                elapsed = now - t_mark
                if elapsed * _NCPU < limit:  # CPU time <= wall time x CPUs: no timeout possible yet,
                    wait = (limit - elapsed * _NCPU) / _NCPU  # so skip reading /proc (most tests)
                else:
                    cpu = _cpu_seconds(pid) - cpu_mark
                    if cpu > limit:
                        return finish("timeout")
                    wait = limit - cpu
                if elapsed > wall_limit:
                    return finish("timeout")
                wait = max(min(wait, wall_limit - elapsed, 0.5), 0.005)
                ready_fds = select.select([*open_fds, pidfd, self.rfd], [], [], wait)[0]
                if self.rfd in ready_fds:
                    self.poll_control()
                    if index >= self.end:
                        os.kill(pid, signal.SIGKILL)
                        return None
                exited = pidfd in ready_fds
                for fd in ready_fds:  # after an exit, drain the pipes completely
                    name = open_fds.get(fd)
                    while name is not None:
                        chunk = os.read(fd, 1 << 20)
                        if not chunk:
                            del open_fds[fd]
                            break
                        if name == "res":
                            res_buf += chunk
                        elif name == "err":
                            err_buf += chunk
                            del err_buf[:-8192]
                        else:
                            out_total += len(chunk)
                        if not (exited and select.select([fd], [], [], 0)[0]):
                            break
                if out_total > cap or len(res_buf) > cap + 64:
                    return finish("output_limit")
                batch, failed = [], False
                frames = self._pop_frames(res_buf)
                cpu_now = _cpu_seconds(pid) if frames else 0.0  # only results need a CPU time
                results = [f for f in frames if f.get("kind") != "ready"]
                if len(results) < len(frames):
                    ready = True
                    if not results:
                        cpu_mark, t_mark = cpu_now, time.monotonic()
                for msg in results:
                    if index >= self.end:
                        break
                    kind = str(msg.get("kind", ""))
                    if not ready:  # the module failed on import, or has no entry point
                        send_msg(self.wfd, {"op": "tests", "results": [
                            {"index": -1, "status": "ok", "kind": kind, "error": str(msg.get("error", "")),
                             "exc_type": str(msg.get("exc_type", "")), "cpu_s": cpu_now - cpu_mark}]})
                        os.kill(pid, signal.SIGKILL)
                        return None
                    item = {"index": index, "status": "ok", "kind": kind,
                            "cpu_s": (cpu_now - cpu_mark) / len(results), "wall_s": (time.monotonic() - t_mark) / len(results)}
                    for key in ("result", "error", "exc_type"):
                        if key in msg:
                            item[key] = str(msg[key])
                    batch.append(item)
                    index += 1
                    if kind != "result":
                        failed = True
                        if early:
                            break
                final = (failed and early) or index >= min(n, self.end)
                if final:
                    os.kill(pid, signal.SIGKILL)
                if batch:
                    reply = frame({"op": "tests", "results": batch, "final": final})
                    if final:  # goes out with "done" in one write: the grader wakes up once
                        self.held = reply
                    else:
                        write_all(self.wfd, reply)
                    cpu_mark, t_mark = cpu_now, time.monotonic()
                if final:
                    return None
                if exited and "res" not in open_fds.values():  # died mid-test, without a result
                    return finish(**self._reap(pid))
        finally:
            os.close(pidfd)
            for fd in fds.values():
                os.close(fd)

    @staticmethod
    def _pop_frames(buf: bytearray) -> list[dict]:
        """Complete frames at the head of `buf` (removed from it). Test code runs in the child,
        so a frame may be garbage: it becomes an exception result, never a crash here."""
        frames = []
        for raw, blob in split_frames(buf):
            try:
                msg = _loads(raw.decode())
                if not isinstance(msg, dict):
                    raise ValueError("not an object")
                if blob:  # a result's JSON text (see result_frame)
                    msg["result"] = blob.decode("utf-8", "replace")
            except ValueError:
                msg = {"kind": "exception", "error": "malformed result frame"}
            frames.append(msg)
        return frames

    def _reap(self, pid: int) -> dict:
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:
            return {"status": "signaled", "signal": signal.SIGKILL}
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            return {"status": "timeout" if sig == signal.SIGXCPU else "signaled", "signal": sig}
        return {"status": "exited", "exit_code": os.WEXITSTATUS(status)}

    # ---- main loop
    def serve(self) -> None:
        send_msg(self.wfd, {"op": "ready", "pid": os.getpid(), "uid": os.getuid()})
        while True:
            try:
                job, _ = recv_msg(self.rfd)
            except EOFError:
                return
            op = job.get("op")
            if op in ("stop", "limit"):
                continue  # late control message for a job that already finished
            if op == "ping":
                send_msg(self.wfd, {"op": "pong"})
                continue
            if op != "sample":
                send_msg(self.wfd, {"op": "error", "error": f"unknown op {op!r}"})
                continue
            self.job_id, self.end = job.get("job"), len(job["inputs"])
            self.preload_for(job["code"])
            functional = job["mode"] == "functional"
            main, code = self.functional_module(job["code"]) if functional else (None, job["code"])
            try:
                code_obj = compile(code, "<solution>", "exec", dont_inherit=True)
            except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
                send_msg(self.wfd, {"op": "test", "index": -1, "status": "compile_error",
                                    "error": f"{type(exc).__name__}: {exc}"[:2000]})
                send_msg(self.wfd, {"op": "done"})
                continue
            if functional:
                self.run_functional(job, code_obj, main)
            else:
                for i, test_input in enumerate(job["inputs"]):
                    self.poll_control()
                    if i >= self.end:
                        break
                    res, stdout = self.run_stdin_test(job, code_obj, test_input, i)
                    if res["status"] == "stopped":
                        break
                    res["index"] = i
                    res["op"] = "test"
                    send_msg(self.wfd, res, stdout)
                    if job["early_exit"] and (res["status"] != "ok"):
                        break
            write_all(self.wfd, self.held + frame({"op": "done"}))
            self.held = b""
            # Clean up after replying, so the grader's judging overlaps it; nothing of this sample
            # survives into the next one, which is read only after this.
            self.kill_all()
            self.wipe_scratch()


# ------------------------------------------------------------------- code that runs in the test child
def run_main(code_obj) -> None:
    """Run the program as `__main__` and exit the way CPython's interpreter shutdown does:
    wait for non-daemon threads, run atexit hooks, flush stdio, then exit with the right status."""
    main = types.ModuleType("__main__")
    main.__dict__.update(__builtins__=builtins, __file__="/tmp/main.py")
    sys.modules["__main__"] = main
    sys.argv = ["main.py"]
    sys.setrecursionlimit(1000)
    code = 0
    try:
        exec(code_obj, main.__dict__)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException:  # noqa: BLE001 - report like the interpreter does
        traceback.print_exc()
        code = 1
    threading = sys.modules.get("threading")  # as CPython: only a program that imported it has threads to join
    if threading is not None:
        try:
            threading._shutdown()  # type: ignore[attr-defined]  # join non-daemon threads
        except BaseException:  # noqa: BLE001
            pass
    try:
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            code = code or 120
    os._exit(code)


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    try:
        print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001
        pass
    return 1


def run_functional_child(code_obj, func_name: str, main: types.ModuleType, inputs: list, start: int,
                         res_fd: int) -> None:
    """Execute the module once in `main` (this child's private copy of the server's pristine
    `__main__` holding the LeetCode preamble), then for each test input call `func_name` on a FRESH
    `Solution()` and send back the result serialised to JSON here (tuples become lists; anything
    JSON cannot represent is a failure), so no live object ever reaches the judge."""
    gc.freeze()
    sys.setrecursionlimit(50000)
    sys.modules["__main__"] = main
    try:
        exec(code_obj, main.__dict__)
    except SystemExit:
        pass
    except MemoryError:
        send_msg(res_fd, {"kind": "exception", "exc_type": "MemoryError", "error": "MemoryError at import"})
        os._exit(1)
    except BaseException as exc:  # noqa: BLE001
        send_msg(res_fd, {"kind": "exception", "exc_type": type(exc).__name__, "error": _short(exc)})
        os._exit(1)
    cls = main.__dict__.get("Solution")
    if cls is None and not callable(main.__dict__.get(func_name)):
        send_msg(res_fd, {"kind": "no_entry", "error": f"no class Solution (or function {func_name}) defined"})
        os._exit(1)
    if cls is not None and not callable(getattr(cls, func_name, None)):
        send_msg(res_fd, {"kind": "no_entry", "error": f"Solution has no method {func_name}"})
        os._exit(1)
    write_all(res_fd, READY_FRAME)
    for test_input in inputs[start:]:
        try:
            args = [decode_argument(line) for line in test_input.split("\n") if line.strip()]
            fn = getattr(cls(), func_name) if cls is not None else main.__dict__[func_name]
            value = fn(*args)
            reply = result_frame(encode_result(value))
        except MemoryError:
            reply = {"kind": "exception", "exc_type": "MemoryError", "error": "MemoryError"}
        except (TypeError, ValueError) as exc:
            if "JSON serializable" in str(exc) or "Circular reference" in str(exc):
                reply = {"kind": "not_serialisable", "error": _short(exc)}
            else:
                reply = {"kind": "exception", "exc_type": type(exc).__name__, "error": _short(exc)}
        except SystemExit as exc:
            reply = {"kind": "exception", "exc_type": "SystemExit", "error": _short(exc)}
        except BaseException as exc:  # noqa: BLE001
            reply = {"kind": "exception", "exc_type": type(exc).__name__, "error": _short(exc)}
        try:
            write_all(res_fd, reply if isinstance(reply, bytes) else frame(reply))
        except BaseException:  # noqa: BLE001
            os._exit(1)
    os._exit(0)


def _short(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"[:500]
    except BaseException:  # noqa: BLE001
        return type(exc).__name__


# ----------------------------------------------------------------------------------------- entry
def main() -> None:
    cfg = json.loads(sys.argv[1])
    rfd, wfd = cfg["rfd"], cfg["wfd"]
    try:
        oom = isolate(cfg)
    except BaseException as exc:  # noqa: BLE001 - report the reason to the grader, then exit
        try:
            send_msg(wfd, {"op": "error", "error": f"sandbox set-up failed: {type(exc).__name__}: {exc}"})
        finally:
            os._exit(71)
    os.environ.clear()
    os.environ.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME="/tmp", LANG="C.UTF-8", TMPDIR="/tmp",
                      OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    sys.set_int_max_str_digits(0)
    # Started with -S: add site-packages (numpy & co, if installed) without running .pth hooks, and
    # the builtins site.main() would have added (exit/quit, help, copyright), as programs expect.
    sys.path.extend(p for p in cfg.get("site_packages", []) if p not in sys.path)
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()
    for name in PRELOAD:
        __import__(name)
    # No handlers at all in pid 1: the kernel then drops every signal sent from inside the
    # namespace, so test code cannot interrupt or kill the server.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    # Batch scheduling for the server and every test process (inherited): a waking sandbox does not
    # preempt the grader's dispatch loop, which would leave the other sandboxes waiting for work.
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):
        pass
    # One CPU for the server and its test processes (inherited): a test process then starts on the
    # core whose caches already hold the server's memory, instead of a cold one.
    if cfg.get("cpu") is not None:
        try:
            os.sched_setaffinity(0, {int(cfg["cpu"])})
        except OSError:
            pass
    server = Server(cfg, rfd, wfd, oom)
    for name in cfg.get("preload", []):
        server.preload(name)
    # Move everything loaded so far out of the collector's reach: a collection in a forked child
    # would otherwise write to every inherited object and copy all their pages (slow forks).
    gc.collect()
    gc.freeze()
    server.serve()
    os._exit(0)


if __name__ == "__main__":
    main()
