"""What crosses the sandbox boundary: the limits a sample runs under and what was observed."""

from __future__ import annotations

from dataclasses import dataclass, field


class SandboxUnavailableError(RuntimeError):
    """The machine cannot isolate untrusted code (no root and no user namespaces, ...)."""


class SandboxCrashed(RuntimeError):
    """The sandbox died or stopped answering; it has been killed and will be restarted."""


class SandboxCleanupFailed(SandboxCrashed):
    """The sandbox failed while cleaning up after a sample whose results were complete: no
    sample is to blame; the one sent since runs again on a fresh sandbox."""


@dataclass(frozen=True)
class Limits:
    """Limits for one sample's tests. `time_s` bounds, per test, the CPU time of every process
    the test started and - where the sandbox measures run-queue wait (a cgroup v2 test group) -
    its active time, wall time minus time spent waiting for a CPU: a program that sleeps or
    blocks past `time_s` fails, one slowed only by a loaded machine does not. A backstop ends any
    test after `load_factor * time_s + 2` s of wall time. Without run-queue accounting the wall
    limit is `wall_factor * time_s + 2` s. With `wall_clock` (the lcb profile), `time_s` bounds
    wall time itself, as LiveCodeBench's alarm does: a test is TLE once `time_s` seconds have
    passed, whatever the machine's load (CPU time over `time_s` still is TLE)."""

    time_s: float = 6.0
    memory_bytes: int = 1024 * 1024 * 1024
    max_output: int = 64 * 1024 * 1024
    max_processes: int = 64
    wall_factor: float = 3.0
    load_factor: float = 10.0
    wall_clock: bool = False


@dataclass
class Observation:
    """What the sandbox saw for one test. `status`: ok | exited | signaled | timeout |
    output_limit | compile_error | crashed; `kind` for functional tests: ready | result |
    exception | not_serialisable | no_entry."""

    index: int
    status: str
    stdout: bytes = b""
    result: str | None = None
    kind: str = ""
    exit_code: int | None = None
    signal: int | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0
    stderr: str = ""
    error: str = ""
    exc_type: str = ""
    oom_killed: bool = False
    extra: dict = field(default_factory=dict)
