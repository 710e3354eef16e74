"""GPU smoke test of `--backend vllm`: the offline `vllm.LLM` backend once, then the whole
`eval --bench` pipeline with it, on the repo's LiveCodeBench fixture.

The GPU machines cannot download anything, so the model is, in order: --model / $MODEL (a local
dir or a Hub id already in the HF cache), else the tiny random Qwen2-style model saved locally with
a head size vLLM's attention kernels support (then this checks the code path, not the scores).
vLLM itself must be installed there (pip install 'microcoder[vllm]', or carried as wheels).

    python3 scripts/gpu_smoke_vllm.py [--model DIR] [--tensor-parallel-size 1] [--output DIR]

Exit status: 0 all stages passed; 3 vLLM not importable; 1 a stage failed (the lines say which).
Key results are printed as `RESULT key=value` lines (and written to OUTPUT/gpu_smoke_vllm.json)
for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=os.environ.get("MODEL"))
    parser.add_argument("--tensor-parallel-size", type=int, default=1)
    parser.add_argument("--output", default=os.environ.get("OUT") or "/tmp/gpu_smoke_vllm")
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args()
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {}

    try:
        import torch
        import vllm

        results["vllm_version"] = vllm.__version__
        results["torch_version"] = torch.__version__
        results["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except ImportError as exc:
        print(f"FAIL vllm not importable: {exc} (pip install 'microcoder[vllm]' or carry wheels)")
        return 3

    model = args.model
    if not model:
        from mcgen.tiny_model import save_tiny_model

        model = str(save_tiny_model(out / "tiny-random-vllm", hidden_size=256, num_layers=2))
        results["model_note"] = "tiny random model (code path check only)"
    results["model"] = model
    status = 0

    # Stage 1: the backend alone.
    from mcgen.backends import make_backend
    from mcgen.types import SamplingConfig

    try:
        started = time.perf_counter()
        backend = make_backend("vllm", model=model, tensor_parallel_size=args.tensor_parallel_size,
                               gpu_memory_utilization=0.5, max_model_len=4096)
        results["load_s"] = round(time.perf_counter() - started, 1)
        prompts = [[{"role": "user", "content": "Write a Python program that prints the sum of two integers read from stdin."}],
                   [{"role": "user", "content": "Reverse a string in Python."}]]
        sampling = SamplingConfig(n=4, temperature=0.8, top_p=0.95, max_tokens=args.max_tokens, seed=1)
        started = time.perf_counter()
        first = backend.generate(prompts, sampling)
        results["generate_s"] = round(time.perf_counter() - started, 2)
        again = backend.generate(prompts, sampling)
        assert [len(c) for c in first] == [4, 4], [len(c) for c in first]
        assert all(0 < c.num_tokens <= args.max_tokens for cs in first for c in cs)
        results["stage1_num_tokens"] = [[c.num_tokens for c in cs] for cs in first]
        results["stage1_finish_reasons"] = [[c.finish_reason for c in cs] for cs in first]
        results["stage1_seeded_repeatable"] = [[c.text for c in cs] for cs in first] == [[c.text for c in cs] for cs in again]
        results["stage1_sample"] = first[0][0].text[:300]
        backend.close()
        del backend
        print("PASS stage 1: vllm backend generate")
    except Exception:  # noqa: BLE001 — a smoke test reports every failure and goes on
        traceback.print_exc()
        print("FAIL stage 1: vllm backend generate")
        status = 1

    # Stage 2: the whole pipeline through the CLI's function (fixture, grading, reports).
    try:
        import gc

        gc.collect()
        torch.cuda.empty_cache()
        from mceval.bench.run import BenchConfig, run_benchmark

        summary = run_benchmark(BenchConfig(
            output_dir=str(out / "bench"), bench="lcb-v6", dataset_path=str(REPO / "tests" / "fixtures" / "lcb"),
            model=model, backend="vllm", tensor_parallel_size=args.tensor_parallel_size, max_model_len=4096,
            sampling=SamplingConfig(n=2, temperature=0.2, top_p=0.95, max_tokens=args.max_tokens, seed=0),
            comparison="both", progress=False,
        ))
        results["stage2"] = {k: summary[k] for k in ("num_problems", "num_samples", "pass@1", "by_difficulty", "timings", "responses")}
        print("PASS stage 2: eval --bench lcb-v6 --backend vllm on the fixture")
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        print("FAIL stage 2: eval --bench with vllm")
        status = 1

    (out / "gpu_smoke_vllm.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    for key, value in results.items():
        print(f"RESULT {key}={json.dumps(value, default=str)[:400]}")
    return status


if __name__ == "__main__":
    sys.exit(main())
