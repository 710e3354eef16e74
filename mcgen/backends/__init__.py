"""Generation backends: `make_backend("hf" | "openai" | "vllm", **options)`.

Each returns a `GenerationBackend` with `.generate(prompts, sampling) -> list[list[Completion]]`
(one list of n completions per prompt: chat messages or a finished text), `.iter_generate` for
streaming results and `.sampling_parameters(sampling)`, the parameters it really samples with.
"""

from __future__ import annotations

from typing import Any, Literal

from mcgen.backends.base import GenerationBackend, Prompt, prompt_seed

BackendName = Literal["hf", "openai", "vllm"]
BACKENDS: tuple[str, ...] = ("hf", "openai", "vllm")


def make_backend(name: BackendName, **options: Any) -> GenerationBackend:
    """Build a backend. Options: hf(model, tokenizer=None, device, dtype, seed, chat_template_kwargs);
    openai(base_url, model=None, api_key, concurrency, max_retries, request_timeout_s, dialect, stream,
    chat_template_kwargs); vllm(model, tensor_parallel_size, dtype, max_model_len, gpu_memory_utilization,
    seed, chat_template_kwargs)."""
    if name == "hf":
        from mcgen.backends.hf import HFBackend

        return HFBackend(**options)
    if name == "openai":
        from mcgen.backends.openai_compat import OpenAIBackend

        return OpenAIBackend(**options)
    if name == "vllm":
        from mcgen.backends.vllm_backend import VLLMBackend

        return VLLMBackend(**options)
    raise ValueError(f"unknown backend {name!r}; choose one of {BACKENDS}")


__all__ = ["BACKENDS", "GenerationBackend", "Prompt", "make_backend", "prompt_seed"]
