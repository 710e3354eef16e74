"""MicroCoder-Evaluator: a fast, sandboxed, judge-accurate grader for code LLM outputs."""

from mceval.grader import GradeItem, Grader, grade
from mceval.sandbox import SandboxUnavailableError
from mceval.types import Comparison, GradeConfig, SampleResult, TestResult, Verdict

__all__ = [
    "Comparison",
    "GradeConfig",
    "GradeItem",
    "Grader",
    "SampleResult",
    "SandboxUnavailableError",
    "TestResult",
    "Verdict",
    "grade",
]
