"""What the sandbox's filesystem shows: only what the interpreter and solution libraries need.

Read-only binds of the interpreter binary and libpython, the standard library (with every
site-packages folder inside it masked by an empty read-only tmpfs), the system's shared-library
folders, and an allowlist of solution libraries (numpy & co, which LeetCode-style judges offer)
placed under SITE inside the sandbox. Nothing else: not the project, not its bundled datasets, not
the virtualenv, not any other package's data files, not /etc, /home, /usr/bin or /usr/share.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import sys
import sysconfig

# Where the allowed solution libraries appear inside the sandbox (a path that means nothing on the host).
SITE = "/opt/mceval-site"
# Importable by solutions; the ".libs" folders hold the wheels' bundled shared libraries.
SOLUTION_LIBRARIES = ("numpy", "sortedcontainers", "scipy", "networkx")


def _libpython() -> list[str]:
    """libpython's files (the shared library and its symlinks), when the interpreter uses one."""
    try:
        with open("/proc/self/maps") as f:
            mapped = {line.split()[-1] for line in f if "/libpython" in line}
    except OSError:
        return []
    return sorted({p for lib in mapped for p in glob.glob(os.path.join(os.path.dirname(lib), "libpython*.so*"))})


def _system_library_dirs() -> list[str]:
    """Folders the dynamic loader searches by default (no /etc/ld.so.cache in the sandbox), and the
    root-level symlinks leading to them on merged-/usr systems."""
    arch = getattr(sys.implementation, "_multiarch", "") or ""
    dirs = ["/lib64", "/usr/lib64", "/lib32", "/usr/lib32"]
    if arch:
        dirs += [f"/lib/{arch}", f"/usr/lib/{arch}"]
    out = []
    for d in dirs:
        parent = os.path.dirname(d)
        if os.path.islink(d) and parent == "/":
            out.append(d)  # kept as a symlink
        elif os.path.islink(parent) and os.path.dirname(parent) == "/":
            out.append(parent)  # /lib -> usr/lib: the symlink, its target is bound below
        elif os.path.isdir(d):
            out.append(d)
    return out


def _stdlib_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    out = []
    for key in ("stdlib", "platstdlib"):
        d = os.path.realpath(paths[key])
        if os.path.isfile(os.path.join(d, "os.py")) and d not in out:
            out.append(d)
    return out


def _hidden_inside(bound: list[str]) -> list[str]:
    """site-packages / dist-packages folders inside bound folders: masked, whatever they hold."""
    candidates = set()
    for d in bound:
        for pattern in ("site-packages", "dist-packages", "python3*/site-packages", "python3*/dist-packages"):
            candidates.update(glob.glob(os.path.join(d, pattern)))
    return sorted(p for p in candidates if os.path.isdir(p) and not os.path.islink(p))


def solution_libraries() -> dict[str, str]:
    """{name inside SITE: host path} for the allowed libraries installed here (not imported)."""
    out: dict[str, str] = {}
    for name in SOLUTION_LIBRARIES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            if spec is not None and spec.origin and os.path.isfile(spec.origin):
                out[os.path.basename(spec.origin)] = os.path.realpath(spec.origin)  # a single-file module
            continue
        pkg = os.path.realpath(next(iter(spec.submodule_search_locations)))
        out[name] = pkg
        libs = pkg + ".libs"
        if os.path.isdir(libs):
            out[name + ".libs"] = libs
    return out


def plan() -> list[dict]:
    """The sandbox's mounts, sorted by target path (parents first): {"kind": "bind", "path":
    target, "source": host path} or {"kind": "mask", "path": folder}."""
    entries: dict[str, dict] = {}

    def bind(source: str, target: str | None = None) -> None:
        target = target or source
        entries.setdefault(target, {"kind": "bind", "path": target, "source": source})

    exe = os.path.realpath(sys.executable)
    bind(exe)
    for lib in _libpython():
        bind(lib)
    stdlib = _stdlib_dirs()
    for d in stdlib:
        bind(d)
    libdirs = _system_library_dirs()
    for d in libdirs:
        bind(d)
    for folder in _hidden_inside(stdlib + [d for d in libdirs if not os.path.islink(d)]):
        entries[folder] = {"kind": "mask", "path": folder}
    for name, source in solution_libraries().items():
        bind(source, f"{SITE}/{name}")
    return [entries[k] for k in sorted(entries)]


def visible_paths() -> list[str]:
    """Every host path the sandbox shows (bind sources and targets; for tests and audits)."""
    out = []
    for entry in plan():
        if entry["kind"] == "bind":
            out.append(entry["path"])
    return out
