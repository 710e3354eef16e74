"""`microcoder eval --bench`: LiveCodeBench end to end (load, generate, grade, report).

- `load_lcb_benchmark(version, dataset_path, start_date, end_date, platform, difficulty)` -> Problems
- generation (`make_backend`, `SamplingConfig`) lives in `mcgen`, shared with the builder and trainer
- `run_benchmark(BenchConfig(...))` -> the summary.json dict (what the CLI calls)
"""

from mceval.bench.lcb_data import BenchDataError, load_lcb_benchmark
from mceval.bench.run import BenchConfig, run_benchmark

__all__ = ["BenchConfig", "BenchDataError", "load_lcb_benchmark", "run_benchmark"]
