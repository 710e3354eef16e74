"""MicroCoder-Dataset: collect, clean, verify and difficulty-filter code-RL problems."""

from mcdata.schema import Problem, SchemaError, TestCase

__all__ = ["Problem", "SchemaError", "TestCase"]
