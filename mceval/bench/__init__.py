"""`microcoder eval --bench`: LiveCodeBench end to end (load, generate, grade, report).

- `load_lcb_benchmark(version, dataset_path, start_date, end_date, platform, difficulty)` -> Problems
- `make_backend("hf" | "openai" | "vllm", **options).generate(prompts, SamplingConfig)` -> Completions
- `run_benchmark(BenchConfig(...))` -> the summary.json dict (what the CLI calls)
"""

from mceval.bench.backends import make_backend
from mceval.bench.lcb_data import BenchDataError, load_lcb_benchmark
from mceval.bench.run import BenchConfig, run_benchmark
from mceval.bench.types import Completion, SamplingConfig

__all__ = ["BenchConfig", "BenchDataError", "Completion", "SamplingConfig", "load_lcb_benchmark", "make_backend",
           "run_benchmark"]
