"""MicroCoder-Dataset: collect, clean, verify and difficulty-filter code-RL problems."""

from mcdata.report import BuildReport, Rejection, RejectionError
from mcdata.schema import Problem, SchemaError, TestCase

# The pipeline (`mcdata.pipeline.build_dataset`, `BuildConfig`) is not imported here: it pulls in
# datasketch/pyarrow/datasets, and the grader imports `mcdata.schema` through this package.
__all__ = ["BuildReport", "Problem", "Rejection", "RejectionError", "SchemaError", "TestCase"]
