"""A sandbox's cgroups (as root): limits for the whole sandbox, accounting for its tests.

    <name>/          memory + pids limits (cgroup v2 when delegated to us, else v1 controllers)
    <name>/server    the supervisor and the zygote                       (cgroup v2)
    <name>/test      the running test's processes, however they were started: their CPU time
                     (cpu.stat), run-queue wait (cpu.pressure) and a CPU quota of one CPU
                     (cpu.max, or the v1 cpu controller's <name>/test on hybrid hosts)

The test group exists wherever a cgroup v2 hierarchy is mounted (on hybrid v1 hosts too, where it
has no controllers but still counts CPU time and pressure). Each part is optional: what cannot be
created is left out and the sandbox falls back (rlimits, per-process accounting); see host.py.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

CPU_PERIOD_US = 100_000  # the quota: one CPU's worth of time per period


def _mounts() -> tuple[Path | None, dict[str, Path]]:
    """(the cgroup v2 mount, {v1 controller: its mount}) from /proc/self/mountinfo."""
    v2, v1 = None, {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return None, {}
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, extra = left.split(), right.split()
        if len(fields) < 5 or len(extra) < 3 or fields[3] != "/":
            continue
        if extra[0] == "cgroup2" and v2 is None:
            v2 = Path(fields[4])
        elif extra[0] == "cgroup":
            for option in extra[2].split(","):
                v1.setdefault(option, Path(fields[4]))
    return v2, v1


def _own_cgroups() -> dict[str, str]:
    """{controller: path} of this process (v2 under the key "")."""
    out: dict[str, str] = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                out[c] = path
    except OSError:
        pass
    return out


def remove_stale(parent: Path) -> None:
    """Remove cgroups left by graders that were killed (named mceval-<pid>-..., pid gone)."""
    try:
        stale = [d for d in parent.glob("mceval-*-*")
                 if d.name.split("-")[1].isdigit() and not Path(f"/proc/{d.name.split('-')[1]}").exists()]
    except OSError:
        return
    for d in stale:
        for sub in ("test", "server"):
            try:
                (d / sub).rmdir()
            except OSError:
                pass
        try:
            d.rmdir()
        except OSError:
            pass


class SandboxCgroups:
    """Creates the cgroups of one sandbox; `launch_config()` says what the sandbox joins and reads."""

    def __init__(self, name: str, memory_bytes: int, max_pids: int) -> None:
        self.created: list[Path] = []  # removed in reverse order
        self.join: list[str] = []  # cgroup.procs files the supervisor joins
        self.test_procs: list[str] = []  # cgroup.procs files every test process joins
        self.meter: list[str] = []  # the test group's cpu.stat and cpu.pressure
        self.max_cpus: float | None = None  # the test group's CPU quota, if one is set
        self.oom_file: Path | None = None
        self._oom_fd = -1
        v2, v1 = _mounts()
        own = _own_cgroups()
        v2_controllers: set[str] = set()
        if v2 is not None:
            v2_base = v2 / own.get("", "/").lstrip("/")
            try:
                v2_controllers = set((v2_base / "cgroup.subtree_control").read_text().split())
            except OSError:
                v2 = None
        limited = False
        if v2 is not None:
            limited = self._v2(v2_base / name, v2_controllers, memory_bytes, max_pids)
        if not limited and "memory" in v1 and "pids" in v1:
            self._v1_limits(v1, own, name, memory_bytes, max_pids)
        if self.max_cpus is None and "cpu" in v1:
            self._v1_cpu(v1["cpu"] / own.get("cpu", "/").lstrip("/") / name)
        self.limited = limited or bool(self.join and self.oom_file)

    def _mkdir(self, d: Path) -> Path:
        d.mkdir(exist_ok=True)
        self.created.append(d)
        return d

    def _v2(self, base: Path, controllers: set[str], memory_bytes: int, max_pids: int) -> bool:
        """The v2 groups; True when they also carry the memory + pids limits."""
        try:
            remove_stale(base.parent)
            self._mkdir(base)
            limits = {"memory", "pids"} <= controllers
            wanted = [c for c in ("memory", "pids", "cpu") if c in controllers]
            if wanted:
                (base / "cgroup.subtree_control").write_text(" ".join("+" + c for c in wanted))
            if limits:
                (base / "memory.max").write_text(str(memory_bytes))
                if (base / "memory.swap.max").exists():
                    (base / "memory.swap.max").write_text("0")
                (base / "pids.max").write_text(str(max_pids))
                self.oom_file = base / "memory.events"
            server, test = self._mkdir(base / "server"), self._mkdir(base / "test")
            if "cpu" in controllers:
                (test / "cpu.max").write_text(f"{CPU_PERIOD_US} {CPU_PERIOD_US}")
                self.max_cpus = 1.0
            self.join.append(str(server / "cgroup.procs"))
            self.test_procs.append(str(test / "cgroup.procs"))
            if (test / "cpu.stat").exists() and (test / "cpu.pressure").exists():
                self.meter = [str(test / "cpu.stat"), str(test / "cpu.pressure")]
            return limits
        except OSError:
            return False

    def _v1_limits(self, v1: dict[str, Path], own: dict[str, str], name: str, memory_bytes: int,
                   max_pids: int) -> None:
        mem = v1["memory"] / own.get("memory", "/").lstrip("/") / name
        pids = v1["pids"] / own.get("pids", "/").lstrip("/") / name
        try:
            for d in (mem, pids):
                remove_stale(d.parent)
                self._mkdir(d)
            (mem / "memory.limit_in_bytes").write_text(str(memory_bytes))
            memsw = mem / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                memsw.write_text(str(memory_bytes))
            (pids / "pids.max").write_text(str(max_pids))
            self.join += [str(mem / "cgroup.procs"), str(pids / "cgroup.procs")]
            self.oom_file = mem / "memory.oom_control"
        except OSError:
            self.oom_file = None

    def _v1_cpu(self, base: Path) -> None:
        try:
            remove_stale(base.parent)
            self._mkdir(base)
            test = self._mkdir(base / "test")
            (test / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (test / "cpu.cfs_quota_us").write_text(str(CPU_PERIOD_US))
            self.test_procs.append(str(test / "cgroup.procs"))
            self.max_cpus = 1.0
        except OSError:
            pass

    def launch_config(self) -> dict:
        return {"join": self.join, "test_procs": self.test_procs, "meter": self.meter, "max_cpus": self.max_cpus}

    def oom_kills(self) -> int:
        """The memory cgroup's OOM-kill count; read before and after every sample, so the file
        stays open (a pread at offset 0 regenerates it)."""
        if self.oom_file is None:
            return 0
        try:
            if self._oom_fd < 0:
                self._oom_fd = os.open(self.oom_file, os.O_RDONLY | os.O_CLOEXEC)
            for line in os.pread(self._oom_fd, 4096, 0).decode().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def kill_all(self) -> None:
        """Belt and braces: SIGKILL anything still listed in our cgroups."""
        for _ in range(50):
            pids = []
            for d in self.created:
                try:
                    pids += [int(p) for p in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    pass
            if not pids:
                return
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self) -> None:
        if self._oom_fd >= 0:
            os.close(self._oom_fd)
            self._oom_fd = -1
        self.kill_all()
        for d in reversed(self.created):
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.created = []

    @property
    def dirs(self) -> list[Path]:
        return list(self.created)
