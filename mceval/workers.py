"""How many sandboxes one machine runs by default: one per physical core it may use.

Why not one per logical CPU: a sandbox's CPU time per sample stays flat while each core's caches
hold the working sets of the sandboxes taking turns on it, then grows with more. Measured with
`benchmarks/grader_scaling.py` on the 2-core dev VM (no SMT): 8.2-8.7 ms of sandbox CPU per
RL-style sample with 1 to 8 sandboxes, 10.3-12.4 ms with 16, 19.6-19.7 ms with 32; the growth is
user time in the interpreter (dict-key lookups double their share, the kernel's share falls), the
signature of cache misses on each sandbox's own copy of the interpreter's data, not of fork or
page-fault costs. SMT siblings share one core's caches, so two busy sandboxes on the two
hyperthreads of a core compete the same way; on the 16-vCPU node 16 sandboxes doubled the CPU per
sample against 8 and were 15-26% slower. See the README, "Sandboxes per node".
"""

from __future__ import annotations

import os
from pathlib import Path


def usable_cpus() -> list[int]:
    """The logical CPUs this process may run on (its affinity mask: containers and taskset narrow it)."""
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return list(range(os.cpu_count() or 1))


def physical_cores(cpus: list[int] | None = None) -> int:
    """Distinct physical cores among `cpus` (default: the usable ones), from sysfs topology; where
    the topology cannot be read, every logical CPU counts as a core."""
    cpus = usable_cpus() if cpus is None else cpus
    cores = set()
    for cpu in cpus:
        topology = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            siblings = (topology / "core_cpus_list").read_text().strip()
        except OSError:
            try:
                siblings = (topology / "thread_siblings_list").read_text().strip()
            except OSError:
                siblings = f"cpu{cpu}"
        cores.add(siblings)
    return max(1, len(cores))


def default_workers() -> int:
    """The default number of sandboxes for this machine: its usable physical cores."""
    return physical_cores()
