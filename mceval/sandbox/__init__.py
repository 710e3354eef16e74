"""The sandbox: the only place model-written code runs.

Grader side (may import anything): `host` (the `Sandbox` a grading worker drives), `cgroups`
(limits and accounting, as root), `binds` (what the sandbox's filesystem shows), `records`
(limits and observations). Inside (`inner/`, standard library only, the untrusted boundary):
`launch` (entry point), `isolate` (namespaces, mounts, privileges, seccomp), `supervisor` (runs
jobs, the only holder of sample data), `zygote` (pristine fork-server, pid 1), `child` (the test
process), `meter` (CPU and run-queue accounting), `wire` (byte formats), `codec` (functional JSON),
`lcb` (how LiveCodeBench runs a program, for the `lcb` grading profile).
"""

from mceval.sandbox.host import Sandbox
from mceval.sandbox.records import (
    Limits,
    Observation,
    SandboxCleanupFailed,
    SandboxCrashed,
    SandboxUnavailableError,
)

__all__ = ["Limits", "Observation", "Sandbox", "SandboxCleanupFailed", "SandboxCrashed", "SandboxUnavailableError"]
