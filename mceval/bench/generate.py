"""Generation for `eval --bench`: the backend, the cache key's identity, and the cached run itself.

A re-run only generates what the cache (`OUT/generations_cache.jsonl`) lacks; the cache key covers
everything that decides a sample (`generation_identity`), so a different backend, server, model
checkpoint, dtype or chat-template option regenerates. `--no-cache` ignores what is cached (new
samples are still recorded, and win over the old ones on later runs).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mccore.schema import Problem
from mceval.bench.cache import GenerationCache, cache_key
from mceval.bench.fingerprint import model_fingerprint, server_fingerprint
from mcgen.backends import make_backend
from mcgen.backends.base import GenerationBackend, Prompt
from mcgen.types import Completion

if TYPE_CHECKING:
    from mceval.bench.run import BenchConfig

CACHE_FILE = "generations_cache.jsonl"


def make_bench_backend(config: "BenchConfig", model_id: str | None) -> GenerationBackend:
    """The backend `config` names, with its options."""

    template = {"chat_template_kwargs": config.chat_template_kwargs} if config.chat_template_kwargs else {}
    if config.backend == "hf":
        return make_backend("hf", model=model_id, device=config.device, dtype=config.dtype, seed=config.sampling.seed,
                            **template)
    if config.backend == "openai":
        return make_backend("openai", base_url=config.base_url or "", model=model_id, api_key=config.api_key,
                            concurrency=config.concurrency, request_timeout_s=config.request_timeout_s,
                            dialect=config.server_dialect, stream=config.stream, **template)
    options: dict[str, Any] = dict(model=model_id, tensor_parallel_size=config.tensor_parallel_size,
                                   seed=config.sampling.seed, dtype=config.dtype or "auto", **template)
    if config.max_model_len:
        options["max_model_len"] = config.max_model_len
    return make_backend("vllm", **options)


def backend_sampling_parameters(config: "BenchConfig", backend: GenerationBackend | None) -> dict[str, Any]:
    """The parameters the backend samples with; hf/vllm compute them without loading the model
    (a fully cached run never loads it)."""
    if backend is not None:
        return backend.sampling_parameters(config.sampling)
    if config.backend == "hf":
        from mcgen.backends.hf import HFBackend as cls
    else:
        from mcgen.backends.vllm_backend import VLLMBackend as cls  # type: ignore[assignment]
    return cls.sampling_parameters(config.sampling)


def generation_identity(config: "BenchConfig", backend: GenerationBackend | None, model_id: str | None) -> dict[str, Any]:
    """What besides the prompt and the sampling config decides a sample (part of the cache key)."""
    identity: dict[str, Any] = {"backend": config.backend, "chat_template_kwargs": config.chat_template_kwargs or {}}
    if config.backend == "openai" and backend is not None:
        identity["model"] = server_fingerprint(getattr(backend, "base_url", config.base_url or ""),
                                               getattr(backend, "served_model", {}))
        identity["server_dialect"] = config.server_dialect
    else:
        identity["model"] = model_fingerprint(model_id)
        identity["dtype"] = config.dtype
    return identity


def _progress_columns():
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )


def generate_all(
    problems: Sequence[Problem], prompts: Sequence[Prompt], config: "BenchConfig", out: Path, console=None
) -> tuple[list[list[Completion]], dict[str, Any]]:
    """n completions per problem, from the cache where present, else from the backend (cached as they arrive)."""
    from rich.progress import Progress

    cache = GenerationCache(out / CACHE_FILE)
    backend = None
    model_id = config.model
    if config.backend == "openai":  # a server is asked up front: what it serves is part of the key
        backend = make_bench_backend(config, model_id)
        model_id = backend.model_id
    identity = generation_identity(config, backend, model_id)
    keys = [cache_key(model_id or "", prompt, config.sampling, identity) for prompt in prompts]
    missing = [i for i, key in enumerate(keys) if not config.use_cache or key not in cache]
    stats: dict[str, Any] = {"model_id": model_id, "cached_prompts": len(prompts) - len(missing),
                             "generated_prompts": len(missing), "generate_s": 0.0, "identity": identity,
                             "sampling_parameters": backend_sampling_parameters(config, backend)}
    if len(missing) < len(prompts) and console is not None:
        console.print(f"resuming: reused cached generations for {len(prompts) - len(missing)} of {len(prompts)} problems "
                      f"({out / CACHE_FILE})")
    if not missing:
        if backend is not None:
            backend.close()
        return [cache.get(key) or [] for key in keys], stats
    started = time.perf_counter()
    backend = backend or make_bench_backend(config, model_id)
    stats["model_load_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    fresh: dict[int, list[Completion]] = {}
    tokens = 0
    try:
        with Progress(*_progress_columns(), console=console, disable=not config.progress) as bar:
            task = bar.add_task("generating", total=len(missing), rate="")
            for position, completions in backend.iter_generate([prompts[i] for i in missing], config.sampling):
                index = missing[position]
                if len(completions) != config.sampling.n:
                    raise RuntimeError(
                        f"{config.backend} backend returned {len(completions)} completions for "
                        f"{problems[index].problem_id}, expected n={config.sampling.n}"
                    )
                cache.put(keys[index], problems[index].problem_id, completions)
                fresh[index] = list(completions)
                tokens += sum(c.num_tokens for c in completions)
                elapsed = time.perf_counter() - started
                bar.update(task, advance=1, rate=f"{tokens / elapsed:.0f} tok/s" if elapsed else "")
    finally:
        backend.close()
    stats["generate_s"] = round(time.perf_counter() - started, 3)
    stats["tokens_per_s"] = round(tokens / stats["generate_s"], 1) if stats["generate_s"] else None
    return [fresh.get(i) or cache.get(key) or [] for i, key in enumerate(keys)], stats
