"""MicroCoder-Evaluator: a fast, sandboxed, judge-accurate grader for code LLM outputs."""

from mceval.types import Comparison, GradeConfig, SampleResult, TestResult, Verdict

__all__ = ["Comparison", "GradeConfig", "SampleResult", "TestResult", "Verdict"]
