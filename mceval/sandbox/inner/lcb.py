"""LiveCodeBench's way of running a program, for the `lcb` grading profile. Standard library only.

Reproduces what `lcb_runner/evaluation/testing_util.py` at LiveCodeBench commit 28fef95 does to a
program before and while running it, so a score in this profile means what LiveCodeBench's does.
Only the running is reproduced: the program still runs in a sandboxed test process, its output is
still judged outside the sandbox, and nothing here weakens the isolation.

- `program_source` (in the supervisor): the text LiveCodeBench executes. It prepends its import
  block to every program (star imports of 18 modules, then 16 plain imports, then a recursion
  limit of 50,000); a stdin program is first unwrapped from a final `if __name__ == '__main__':`
  and then turned into one function, `wrapped_function`, with the top-level imports left outside.
- `run_stdin` and `entry` (in a test process): the module is `tmp_sol`, never `__main__`; a
  text containing "class Solution" gets ONE `Solution()` built with the module, reused for every
  test; a stdin program's function is called with LiveCodeBench's stand-in stdin and a captured
  stdout; `SystemExit` ends it normally whatever its code; `disarm` removes what LiveCodeBench's
  `reliability_guard` removes (os.fork, os.kill, os.getcwd, quit, subprocess.Popen, ...).
"""

from __future__ import annotations

import builtins
import io
import os
import sys
import traceback
import types
from typing import TYPE_CHECKING

from .wire import write_all

if TYPE_CHECKING:
    from collections.abc import Callable
    from importlib.machinery import ModuleSpec

COMMIT = "28fef95"  # github.com/LiveCodeBench/LiveCodeBench, the commit reproduced here

# What LiveCodeBench prepends to every program (in this order).
_STAR_IMPORTED = ("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random",
                  "statistics", "itertools", "functools", "operator", "io", "sys", "json", "builtins", "typing")
_IMPORTED = _STAR_IMPORTED[:16]
IMPORT_BLOCK = ("".join(f"from {name} import *\n" for name in _STAR_IMPORTED)
                + "".join(f"import {name}\n" for name in _IMPORTED) + "sys.setrecursionlimit(50000)\n")
STDIN_ENTRY = "wrapped_function"
INT_DIGITS = 50000  # LiveCodeBench's grader sets sys.set_int_max_str_digits(50000) for the process

# reliability_guard: these attributes are set to None, these modules made unimportable.
_DISARMED = {
    "os": ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid", "fork", "forkpty",
           "killpg", "rename", "renames", "truncate", "replace", "unlink", "fchmod", "fchown", "chmod", "chown",
           "chroot", "lchflags", "lchmod", "lchown", "getcwd", "chdir"),
    "builtins": ("quit", "help"),
    "shutil": ("rmtree", "move", "chown"),
    "subprocess": ("Popen",),
}
_BLOCKED_MODULES = ("ipdb", "joblib", "resource", "psutil", "tkinter")


# ------------------------------------------------------------------------------ the program's text
def program_source(code: str, functional: bool) -> str:
    """The text LiveCodeBench executes for `code`. Where its transformation fails (code that does
    not parse, or that `ast.unparse` cannot render), the code is left as it is, as there."""
    if functional:
        return IMPORT_BLOCK + "\n\n" + code
    return _as_function(_without_main_guard(code))


def has_solution_class(source: str) -> bool:
    """LiveCodeBench's test for a LeetCode answer: the text, not the code, names the class."""
    return "class Solution" in source


def _without_main_guard(code: str) -> str:
    """A final `if __name__ == '__main__':` (spelled so that ast.unparse gives exactly that) is
    replaced by its body; anywhere else it stays, and is false in a module named tmp_sol."""
    import ast

    try:
        body = ast.parse(code).body
        last = body[-1]
        if isinstance(last, ast.If) and ast.unparse(last.test).strip() == "__name__ == '__main__'":
            return ast.unparse(body[:-1]) + "\n" + ast.unparse(last.body)
    except Exception:  # noqa: BLE001 - as LiveCodeBench: the code is kept as it is
        pass
    return code


def _as_function(code: str) -> str:
    """Top-level imports stay at module level; every other top-level statement becomes the body of
    `wrapped_function` (so the program's globals are that function's locals)."""
    import ast

    try:
        body = ast.parse(code).body
        imports = [node for node in body if isinstance(node, (ast.Import, ast.ImportFrom))]
        rest = [node for node in body if not isinstance(node, (ast.Import, ast.ImportFrom))]
        no_args = ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[])
        function = ast.FunctionDef(name=STDIN_ENTRY, args=no_args, body=rest, decorator_list=[], lineno=-1)
        return IMPORT_BLOCK + "\n" + ast.unparse(imports) + "\n" + ast.unparse(function)
    except Exception:  # noqa: BLE001 - as LiveCodeBench: the code is kept as it is
        return code


# ------------------------------------------------------------------------------ the test process
def disarm() -> None:
    """What LiveCodeBench's `reliability_guard` does to the process before running a program."""
    os.environ["OMP_NUM_THREADS"] = "1"  # before os.putenv goes
    for name in _DISARMED["os"]:
        setattr(os, name, None)
    for name in _DISARMED["builtins"]:
        setattr(builtins, name, None)
    for module in ("shutil", "subprocess"):
        if module in sys.modules:
            _null(sys.modules[module])
    sys.meta_path.insert(0, _DisarmOnImport())  # shutil and subprocess are imported lazily here
    for name in _BLOCKED_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]
    sys.set_int_max_str_digits(INT_DIGITS)


def _null(module: types.ModuleType) -> None:
    for name in _DISARMED[module.__name__]:
        setattr(module, name, None)


class _DisarmOnImport:
    """Finds nothing itself. LiveCodeBench imports shutil and subprocess before nulling their
    functions; importing both in every test process would cost ~4 ms, so this lets the usual
    finders load them when a program asks, then nulls the same functions."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name not in ("shutil", "subprocess"):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _NullingLoader(spec.loader)
                return spec
        return None


class _NullingLoader:
    """Loads as `loader` does, then nulls the module's functions that LiveCodeBench nulls."""

    def __init__(self, loader: object) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> types.ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[attr-defined]

    def exec_module(self, module: types.ModuleType) -> None:
        self.loader.exec_module(module)  # type: ignore[attr-defined]
        _null(module)


def new_module() -> types.ModuleType:
    """The module LiveCodeBench executes a program in (not registered in sys.modules)."""
    return types.ModuleType("tmp_sol", "")


def entry(module: types.ModuleType, solution_class: bool, name: str) -> Callable[..., object] | None:
    """What LiveCodeBench calls: `name` on ONE `Solution()` when the text names the class (built
    now, so its errors are the whole sample's), else on the module; None when there is none."""
    owner = module.Solution() if solution_class else module  # type: ignore[attr-defined]
    return getattr(owner, name, None)


class _StandInStdin:
    """LiveCodeBench's stdin for a test: read() and readlines() give the whole input (readlines
    split at "\\n", without the newlines), readline() reads on through it, `buffer.read()` gives its
    bytes and `buffer.readline()` always its first line; other attributes are a StringIO's. It is
    not iterable (`for line in sys.stdin` is a TypeError there)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines = io.StringIO(text)
        self.buffer = _StandInBuffer(text.encode("utf-8"))

    def read(self, *args) -> str:
        return self._text

    def readline(self, *args) -> str:
        return self._lines.readline(*args)

    def readlines(self, *args) -> list[str]:
        return self._text.split("\n")

    def __getattr__(self, name: str):
        return getattr(self._lines, name)


class _StandInBuffer:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, *args) -> bytes:
        return self._data

    def readline(self, *args) -> bytes:
        return self._data.split(b"\n")[0] + b"\n"


def _patch_original_stdin(original: io.TextIOWrapper, text: str) -> None:
    """LiveCodeBench patches read/readline/readlines on the process's own sys.stdin object (the
    one a program reaches through `from sys import stdin`, bound before the test): readline()
    there gives the input's lines one by one WITHOUT their newline, then raises StopIteration."""
    lines = iter(text.split("\n"))
    original.readline = lambda *args: next(lines)
    original.readlines = lambda *args: text.split("\n")
    original.read = lambda *args: text


def run_stdin(code_obj: types.CodeType, solution_class: bool) -> None:
    """Run one test of a stdin program as LiveCodeBench does; never returns. The input arrives on
    fd 0 and the captured output leaves on fd 1; meanwhile the program's own fds 0 and 1 are
    /dev/null (LiveCodeBench's process reads and writes its own stdio, not the test's)."""
    text = _read_all(0).decode("utf-8", "surrogateescape")
    out = os.dup(1)
    null = os.open("/dev/null", os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.close(null)
    sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", errors="backslashreplace", closefd=False, buffering=1)
    original = sys.stdin
    disarm()
    module = new_module()
    captured = io.StringIO()
    status = 0
    try:
        exec(code_obj, module.__dict__)
        function = entry(module, solution_class, STDIN_ENTRY)
        if function is None:
            raise AttributeError(f"module 'tmp_sol' has no attribute {STDIN_ENTRY!r}")
        captured.close = lambda _: 1  # as LiveCodeBench's capture: close() without an argument fails
        _patch_original_stdin(original, text)
        sys.stdin = _StandInStdin(text)
        builtins.open = lambda *args, **kwargs: io.StringIO(text)
        sys.stdout = captured
        try:
            function()
        except SystemExit:
            pass
    except BaseException:  # noqa: BLE001 - a runtime error, reported as the interpreter would
        traceback.print_exc()
        status = 1
    if status == 0:
        write_all(out, _encode(captured.getvalue()))
    try:
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        pass
    os._exit(status)  # threads still running are abandoned: LiveCodeBench has stopped capturing


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _encode(text: str) -> bytes:
    """The captured text as bytes: input bytes that were not UTF-8 come back as they were; any
    other lone surrogate is kept (as invalid UTF-8, which the judge decodes as a replacement)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
