"""MicroCoder-Dataset: collect, clean, verify and difficulty-filter code-RL problems."""

from mccore.schema import Problem, SchemaError, TestCase
from mcdata.report import BuildReport, Rejection, RejectionError

# The pipeline (`mcdata.pipeline.build_dataset`, `BuildConfig`) is not imported here: it pulls in
# datasketch/pyarrow/datasets. The schema itself lives in `mccore` (the grader needs it too).
__all__ = ["BuildReport", "Problem", "Rejection", "RejectionError", "SchemaError", "TestCase"]
