"""Generation backends: `make_backend("hf" | "openai" | "vllm", **options)`.

Each returns a `GenerationBackend` with `.generate(prompts, sampling) -> list[list[Completion]]`
(one list of n completions per chat prompt) and `.iter_generate` for streaming results.
"""

from __future__ import annotations

from typing import Any, Literal

from mceval.bench.backends.base import GenerationBackend, prompt_seed

BackendName = Literal["hf", "openai", "vllm"]
BACKENDS: tuple[str, ...] = ("hf", "openai", "vllm")


def make_backend(name: BackendName, **options: Any) -> GenerationBackend:
    """Build a backend. Options: hf(model, tokenizer=None, device, dtype, seed);
    openai(base_url, model=None, api_key, concurrency, max_retries, request_timeout_s);
    vllm(model, tensor_parallel_size, dtype, max_model_len, gpu_memory_utilization, seed, chunk_size)."""
    if name == "hf":
        from mceval.bench.backends.hf import HFBackend

        return HFBackend(**options)
    if name == "openai":
        from mceval.bench.backends.openai_compat import OpenAIBackend

        return OpenAIBackend(**options)
    if name == "vllm":
        from mceval.bench.backends.vllm_backend import VLLMBackend

        return VLLMBackend(**options)
    raise ValueError(f"unknown backend {name!r}; choose one of {BACKENDS}")


__all__ = ["BACKENDS", "GenerationBackend", "make_backend", "prompt_seed"]
