"""A test child: the process untrusted code runs in. Standard library only (runs in the sandbox).

The zygote forks it (see zygote.py); everything it knows about the sample arrives AFTER the fork,
through the descriptors the supervisor made for it: the job (the code, compiled by the supervisor,
limits, functional inputs) as a marshal blob in a memfd, the test's stdin, stdout and stderr pipes,
and a result pipe. So its memory holds only the zygote's pristine state plus its own sample, never
another sample's code, inputs or outputs.
"""

from __future__ import annotations

import _signal
import atexit
import builtins
import fcntl
import gc
import io
import marshal
import os
import resource
import signal
import sys
import traceback
import types
import weakref
from typing import TYPE_CHECKING

from . import lcb
from .codec import decode_argument, encode_result
from .wire import EXCEPTION, NO_ENTRY, NOT_SERIALISABLE, READY, RESULT, child_frame, failure_frame, write_all

if TYPE_CHECKING:
    from collections.abc import Callable

JOB_FD, RESULT_FD = 3, 4  # where the job memfd and the result pipe sit in the child
SETUP_FAILED = 121  # exit status when the child could not set itself up (our fault, not the program's)

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

# The import block LeetCodeDataset puts at the top of every solution. A functional solution that
# starts with exactly this text runs its remainder in a namespace where the block already ran (built
# once, from this constant, in the zygote): re-binding its hundreds of names in every child would
# write their refcounts, ~250 copy-on-write page faults (~0.4 ms) a sample. Only preloaded modules
# are imported, so running it ahead changes nothing a solution can observe; nothing a sample sends
# ever reaches this cache, which is the same for every sample.
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

# Signal dispositions of a freshly started CPython program, as plain ints for the C-level call
# (the `signal` module's enum wrappers would run, and copy pages, in every forked child).
_CHILD_SIGNALS = ((int(signal.SIGINT), signal.default_int_handler), (int(signal.SIGPIPE), int(signal.SIG_IGN)),
                  (int(signal.SIGXFSZ), int(signal.SIG_IGN)), (int(signal.SIGXCPU), int(signal.SIG_DFL)))


_BATCH = os.sched_param(0)


class Namespaces:
    """The functional `__main__` modules, built once in the zygote: the preamble alone, and the
    preamble with LEETCODE_HEADER already run. Every child executes a solution in its own
    copy-on-write copy; the zygote never runs anything in them after building them."""

    def __init__(self) -> None:
        preamble: dict = {}
        exec(compile(PREAMBLE, "<preamble>", "exec"), preamble)
        self.plain = types.ModuleType("__main__")
        self.plain.__dict__.update(preamble)
        self.plain.__dict__.update(__name__="__main__", __builtins__=builtins, __file__="/tmp/main.py")
        self.leetcode = types.ModuleType("__main__")
        self.leetcode.__dict__.update(self.plain.__dict__)
        exec(compile(LEETCODE_HEADER, "<solution>", "exec", dont_inherit=True), self.leetcode.__dict__)

    def module(self, name: str) -> types.ModuleType:
        return self.leetcode if name == "leetcode" else self.plain


def split_header(code: str) -> tuple[str, str]:
    """The namespace a functional solution starts in ("leetcode" when it begins with exactly
    LEETCODE_HEADER, else "plain") and the code still to run there (the header's lines replaced
    by newlines, so line numbers stay those of the whole code)."""
    if code.startswith(LEETCODE_HEADER) and "__future__" not in code:
        return "leetcode", "\n" * LEETCODE_HEADER.count("\n") + code[len(LEETCODE_HEADER):]
    return "plain", code


LCB_NAMESPACES = ("lcb", "lcb-solution")  # the lcb profile's module; "-solution": the text names the class


def compile_solution(code: str, functional: bool, profile: str = "microcoder") -> tuple[str, types.CodeType]:
    """Done by the supervisor, once per sample: (namespace name, code object), which test
    children receive marshalled. Raises SyntaxError & co for code that does not compile. The
    `lcb` profile compiles the text LiveCodeBench would execute (see lcb.py)."""
    if profile == "lcb":
        source = lcb.program_source(code, functional)
        namespace = LCB_NAMESPACES[lcb.has_solution_class(source)]
        return namespace, compile(source, "<string>", "exec", dont_inherit=True)
    namespace, rest = split_header(code) if functional else ("plain", code)
    return namespace, compile(rest, "<solution>", "exec", dont_inherit=True)


COMPILE_ERRORS = (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError)


# ----------------------------------------------------------------------------------- set-up
def start(fds: list[int], spaces: Namespaces) -> None:
    """Entry point of a freshly forked child; never returns. `fds` are the job memfd, stdin,
    stdout, stderr and result pipe."""
    try:
        os.setsid()  # stays undumpable (inherited): no ptrace-level access even to its siblings
        # Batch scheduling (inherited by what the test starts): a waking test process does not
        # preempt the grader's dispatch loop, the supervisor or the zygote, which stay prompt.
        os.sched_setscheduler(0, os.SCHED_BATCH, _BATCH)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
        for target, fd in zip((JOB_FD, 0, 1, 2, RESULT_FD), high):
            os.dup2(fd, target)
        os.closerange(RESULT_FD + 1, 1 << 16)
        job = _read_job()
        _apply_limits(job)
        for signum, handler in _CHILD_SIGNALS:
            _signal.signal(signum, handler)
        os.chdir("/tmp")
        code_obj = job["code"]
    except BaseException as exc:  # noqa: BLE001 - the supervisor reports a set-up failure
        try:
            os.write(2, f"sandbox child set-up failed: {type(exc).__name__}: {exc}\n".encode())
        finally:
            os._exit(SETUP_FAILED)
    try:
        namespace = job["namespace"]
        if job["mode"] == "functional":
            if namespace in LCB_NAMESPACES:
                run_functional_lcb(job, code_obj, namespace == LCB_NAMESPACES[1])
            run_functional(job, code_obj, spaces.module(namespace))
        else:
            os.close(RESULT_FD)  # a stdin program reports through its exit status and stdout only
            if namespace in LCB_NAMESPACES:
                lcb.run_stdin(code_obj, namespace == LCB_NAMESPACES[1])
            fresh_stdio()
            run_main(code_obj)
    finally:
        os._exit(120)


def _read_job() -> dict:
    size = os.fstat(JOB_FD).st_size
    chunks, got = [], 0
    while got < size:
        chunk = os.pread(JOB_FD, size - got, got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    os.close(JOB_FD)
    job = marshal.loads(b"".join(chunks))
    if not isinstance(job, dict):
        raise ValueError("the job is not a dict")
    return job


def _apply_limits(job: dict) -> None:
    """Per-process backstops; the supervisor enforces the real CPU limit on the whole tree."""
    cpu = int(job["cpu_rlimit_s"]) + 1
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


def fresh_stdio() -> None:
    """New sys.std* objects over fds 0/1/2, configured as CPython configures them for a program
    whose stdio are pipes under a C.UTF-8 locale (no newline translation: "\\r\\n" input keeps its
    "\\r"), and open() wrapped so that files left open are flushed at exit, as at shutdown."""
    sys.stdin = sys.__stdin__ = open(0, "r", encoding="utf-8", errors="surrogateescape", newline="\n",
                                     closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="surrogateescape", newline="\n",
                                       closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", newline="\n",
                                       closefd=False, buffering=1)
    builtins.open = io.open = _tracking(io.open)


_OPEN_FILES: list = []  # weak references to files opened for writing (see _tracking)


def _tracking(open_):
    """open() that remembers writable files, weakly: CPython flushes a file that is still open
    when the program ends (its finalizer runs at shutdown); `os._exit` would lose its buffer."""

    def open(file, mode="r", *args, **kwargs):  # noqa: A001 - stands in for the builtin
        f = open_(file, mode, *args, **kwargs)
        if not isinstance(mode, str) or not set(mode).isdisjoint("wax+"):
            if len(_OPEN_FILES) > 1024:
                _OPEN_FILES[:] = [r for r in _OPEN_FILES if r() is not None]
            _OPEN_FILES.append(weakref.ref(f))
        return f

    open.__doc__ = open_.__doc__
    return open


# --------------------------------------------------------------------------- stdin programs
def run_main(code_obj: types.CodeType) -> None:
    """Run the program as `__main__` and exit the way CPython's interpreter shutdown does:
    wait for non-daemon threads, run atexit hooks, flush stdio (skipping closed streams), flush
    files still open, then exit with the right status."""
    main = types.ModuleType("__main__")
    main.__dict__.update(__builtins__=builtins, __file__="/tmp/main.py")
    sys.modules["__main__"] = main
    sys.argv = ["main.py"]
    sys.setrecursionlimit(1000)
    status = 0
    try:
        exec(code_obj, main.__dict__)
    except SystemExit as exc:
        status = _exit_code(exc)
    except BaseException:  # noqa: BLE001 - report like the interpreter does
        traceback.print_exc()
        status = 1
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
            if stream is not None and not stream.closed:
                stream.flush()
        except BaseException:  # noqa: BLE001
            status = status or 120
    for ref in _OPEN_FILES:
        f = ref()
        try:
            if f is not None and not f.closed:
                f.flush()
        except BaseException:  # noqa: BLE001 - a finalizer's error does not change the status
            pass
    os._exit(status)


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


# ----------------------------------------------------------------------- functional programs
def run_functional(job: dict, code_obj: types.CodeType, main: types.ModuleType) -> None:
    """Execute the module once (in this child's copy of a prebuilt namespace), then for each test
    input call `func_name` on a FRESH `Solution()` and send the result serialised to JSON (tuples
    become lists; anything JSON cannot represent is a failure), so no live object leaves."""
    func_name = job["func_name"]
    gc.freeze()
    sys.setrecursionlimit(50000)
    sys.modules["__main__"] = main
    try:
        exec(code_obj, main.__dict__)
    except SystemExit:
        pass
    except BaseException as exc:  # noqa: BLE001
        write_all(RESULT_FD, failure_frame(EXCEPTION, type(exc).__name__, _short(exc)))
        os._exit(1)
    cls = main.__dict__.get("Solution")
    if cls is None and not callable(main.__dict__.get(func_name)):
        write_all(RESULT_FD, failure_frame(NO_ENTRY, "", f"no class Solution (or function {func_name}) defined"))
        os._exit(1)
    if cls is not None and not callable(getattr(cls, func_name, None)):
        write_all(RESULT_FD, failure_frame(NO_ENTRY, "", f"Solution has no method {func_name}"))
        os._exit(1)
    answer_tests(job["inputs"], (lambda: getattr(cls(), func_name)) if cls is not None
                 else (lambda: main.__dict__[func_name]))


def run_functional_lcb(job: dict, code_obj: types.CodeType, solution_class: bool) -> None:
    """The `lcb` profile: the module runs as LiveCodeBench runs it (lcb.py), and every test calls
    the SAME bound method of the one `Solution()` built with the module."""
    func_name = job["func_name"]
    gc.freeze()
    lcb.disarm()
    try:
        module = lcb.new_module()
        exec(code_obj, module.__dict__)
        method = lcb.entry(module, solution_class, func_name)
    except BaseException as exc:  # noqa: BLE001
        write_all(RESULT_FD, failure_frame(EXCEPTION, type(exc).__name__, _short(exc)))
        os._exit(1)
    if method is None:
        owner = "Solution" if solution_class else "the module"
        write_all(RESULT_FD, failure_frame(NO_ENTRY, "", f"{owner} has no attribute {func_name}"))
        os._exit(1)
    answer_tests(job["inputs"], lambda: method)


def answer_tests(inputs: list[str], method_for: Callable[[], Callable[..., object]]) -> None:
    """Announce readiness, then call `method_for()` (the callable for one test) with each test's
    arguments and send its result or failure; never returns."""
    write_all(RESULT_FD, child_frame(READY))
    for test_input in inputs:
        try:
            args = [decode_argument(line) for line in test_input.split("\n") if line.strip()]
            reply = child_frame(RESULT, encode_result(method_for()(*args)).encode("ascii"))
        except (TypeError, ValueError) as exc:
            text = _short(exc)
            kind = NOT_SERIALISABLE if "JSON serializable" in text or "Circular reference" in text else EXCEPTION
            reply = failure_frame(kind, type(exc).__name__, text)
        except BaseException as exc:  # noqa: BLE001 - SystemExit and MemoryError included
            reply = failure_frame(EXCEPTION, type(exc).__name__, _short(exc))
        try:
            write_all(RESULT_FD, reply)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    os._exit(0)


def _short(exc: BaseException) -> str:
    try:
        return f"{type(exc).__name__}: {exc}"[:500]
    except BaseException:  # noqa: BLE001
        return type(exc).__name__
