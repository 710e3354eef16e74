"""Result and configuration types of MicroCoder-Evaluator, shared by every caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

Comparison = Literal["microcoder", "lcb"]
# How programs are RUN (the comparison decides what output is right): `microcoder` as a judge runs
# them; `lcb` as LiveCodeBench's runner at commit 28fef95 does (mceval/sandbox/inner/lcb.py).
Profile = Literal["microcoder", "lcb"]
PROFILES: tuple[str, ...] = ("microcoder", "lcb")


class Verdict(str, Enum):
    """Online-judge verdicts. The order of a sample's tests decides which one it gets (first failure)."""

    AC = "AC"  # accepted
    WA = "WA"  # wrong answer
    TLE = "TLE"  # time limit exceeded (CPU or wall)
    MLE = "MLE"  # memory limit exceeded
    RE = "RE"  # runtime error (exception, non-zero exit, killed by a signal)
    OLE = "OLE"  # output limit exceeded
    CE = "CE"  # does not compile (SyntaxError) or lacks the required entry point
    NO_CODE = "NO_CODE"  # nothing to run: no code block in the model output
    # The judge could not decide (malformed expected output, or the comparison itself failed).
    # Never AC: counted and reported on its own, so a broken problem or a judge bug is visible.
    JE = "JE"


@dataclass
class TestResult:
    """What happened on one test; `message` is a short, truncated reason, never expected output."""

    index: int
    verdict: Verdict
    time_s: float = 0.0
    message: str = ""


@dataclass
class SampleResult:
    """The verdict for one (problem, code) pair: AC only if every test ran and passed."""

    question_id: str
    sample_index: int
    verdict: Verdict
    tests: list[TestResult] = field(default_factory=list)
    num_tests: int = 0

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.AC

    @property
    def num_passed(self) -> int:
        return sum(t.verdict is Verdict.AC for t in self.tests)

    @property
    def pass_fraction(self) -> float:
        return self.num_passed / self.num_tests if self.num_tests else 0.0


@dataclass(frozen=True)
class GradeConfig:
    """How to grade. `timeout_s=None` takes the problem's own time limit, else 6 s per test.

    `profile="lcb"` runs programs as LiveCodeBench does (its import block and recursion limit,
    one `Solution` for all tests, its stdin): every test gets `timeout_s` (else 6 s) of WALL time
    whatever the problem's limit, and there is no memory limit, only the sandbox's safety cap of
    max(`memory_mb`, `LCB_MEMORY_CAP_MB`). It still runs in the sandbox."""

    timeout_s: float | None = None
    memory_mb: int = 1024
    workers: int | None = None  # None: one per usable physical core (mceval.workers.default_workers)
    comparison: Comparison = "microcoder"
    early_exit: bool = True  # stop a sample at its first failing test
    max_output_bytes: int = 64 * 1024 * 1024
    max_processes: int = 64
    default_timeout_s: float = 6.0
    # Pin each sandbox, with its test processes, to one CPU (round-robin over the CPUs this process
    # may use). Off by default: it showed no gain on the machines measured, and it keeps sandboxes
    # on CPUs that other busy work (a trainer) may share.
    pin_cpus: bool = False
    profile: Profile = "microcoder"

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"grading profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")

    @property
    def memory_limit_mb(self) -> int:
        """The per-test memory bound the sandbox enforces: `memory_mb`, or in the lcb profile
        (LiveCodeBench sets none) a safety cap that `memory_mb` can raise but not lower."""
        return max(self.memory_mb, LCB_MEMORY_CAP_MB) if self.profile == "lcb" else self.memory_mb


# The lcb profile's memory bound. LiveCodeBench sets no memory limit; a sandbox must keep one so
# that one sample cannot take the machine down. 8 GiB is 8x a judge's usual limit.
LCB_MEMORY_CAP_MB = 8192
