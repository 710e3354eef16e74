"""How much CPU a test's processes used, and how long they waited for a CPU. Standard library
only (runs in the supervisor).

`CgroupMeter` reads the test cgroup (cgroup v2, also available on hybrid v1 hosts): `cpu.stat`
counts every process the test started, waited for or not, and `cpu.pressure` ("some") the time
during which at least one of them was runnable but waiting for a CPU. `ProcMeter` is the fallback
without a test cgroup (user-namespace mode): the main test process from /proc, its waited-for
children included; it cannot see run-queue wait. Either way the supervisor reads the exact CPU
time of the whole process tree from the zygote once the test is over (see zygote.py).
"""

from __future__ import annotations

import os

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _field(text: bytes, key: bytes) -> int:
    """The integer after `key` (e.g. b"usage_usec " or b"total=") in a cgroup stat file."""
    start = text.find(key)
    if start < 0:
        return 0
    start += len(key)
    end = start
    while end < len(text) and 48 <= text[end] <= 57:
        end += 1
    return int(text[start:end] or b"0")


class CgroupMeter:
    """The test cgroup's CPU time and run-queue wait, in microseconds."""

    kind = "cgroup"
    measures_wait = True

    def __init__(self, stat_fd: int, pressure_fd: int, max_cpus: float) -> None:
        self.stat_fd, self.pressure_fd = stat_fd, pressure_fd
        self.max_cpus = max_cpus  # the cgroup's CPU time grows at most this fast (its quota)

    def attach(self, pid: int) -> None:
        """The cgroup counts every process in it; nothing to follow."""

    def cpu_us(self) -> int:
        return _field(os.pread(self.stat_fd, 4096, 0), b"usage_usec ")

    def wait_us(self) -> int:
        return _field(os.pread(self.pressure_fd, 4096, 0).partition(b"\n")[0], b"total=")


class ProcMeter:
    """Fallback: the main test process's CPU time (all threads, plus the children it waited for)."""

    kind = "proc"
    measures_wait = False

    def __init__(self) -> None:
        self.pid = 0
        self.last = 0
        self.max_cpus = float(os.cpu_count() or 1)

    def attach(self, pid: int) -> None:
        self.pid, self.last = pid, 0

    def cpu_us(self) -> int:
        try:
            fd = os.open(f"/proc/{self.pid}/stat", os.O_RDONLY)
            try:
                fields = os.read(fd, 4096).rsplit(b")", 1)[1].split()
            finally:
                os.close(fd)
            ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
            self.last = ticks * 1_000_000 // _CLK_TCK
        except (OSError, IndexError, ValueError):
            pass  # gone: keep the last reading
        return self.last

    def wait_us(self) -> int:
        return 0
