"""Small pieces the difficulty stages share: batching and a model backend (progress bars: `mcdata.progress`)."""

from __future__ import annotations

import atexit
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal, TypeVar

from mcgen.backends import make_backend
from mcgen.types import SamplingConfig

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter); keeps memory bounded on long streams."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass(frozen=True)
class ModelConfig:
    """Which model to sample from, through the evaluator's generation backends (`mcgen.backends`).

    Args:
        backend: "hf" (transformers on this machine; `tiny-random` is the tiny test model), "openai" (any
            OpenAI-compatible server, e.g. vLLM or SGLang serving the model), or "vllm" (offline vLLM).
        model: Model name or path (for "openai", the served model name; None lets the server choose).
        base_url: Server URL for "openai" (e.g. http://127.0.0.1:8000/v1).
        options: Further backend options (api_key, concurrency, tensor_parallel_size, dtype, ...).
        temperature, top_p, max_tokens, seed: Sampling settings (see `mcgen.types.SamplingConfig`).
    """

    backend: Literal["hf", "openai", "vllm"] = "hf"
    model: str | None = None
    base_url: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 4096
    seed: int = 0

    def make_backend(self):
        """Build the backend (loads the model for hf/vllm; opens no connection yet for openai)."""

        options = dict(self.options)
        if self.model is not None:
            options["model"] = self.model
        if self.base_url is not None:
            options["base_url"] = self.base_url
        if self.backend == "openai" and "base_url" not in options:
            raise ValueError("the openai backend needs a base_url (e.g. http://127.0.0.1:8000/v1)")
        return make_backend(self.backend, **options)

    def cache_key(self) -> str:
        return json.dumps([self.backend, self.model, self.base_url, dict(self.options)], sort_keys=True, default=str)

    def sampling(self, n: int):
        return SamplingConfig(n=n, temperature=self.temperature, top_p=self.top_p, max_tokens=self.max_tokens, seed=self.seed)


_BACKENDS: dict[str, Any] = {}


def shared_backend(cfg: ModelConfig):
    """One backend per model for the whole process.

    Why: the pipeline runs a stage once per checkpoint chunk, and loading a model (minutes for vLLM) per
    chunk would dominate; the pass-rate sampler and the judge also share a model when they name the same
    one. Backends are closed at exit, or by `close_backends()`.
    """
    key = cfg.cache_key()
    if key not in _BACKENDS:
        if not _BACKENDS:
            atexit.register(close_backends)
        _BACKENDS[key] = cfg.make_backend()
    return _BACKENDS[key]


def close_backends() -> None:
    """Release every shared backend (models, connections)."""
    while _BACKENDS:
        _, backend = _BACKENDS.popitem()
        backend.close()
