"""Plain data types shared by the generation backends, the cache and the benchmark runner."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class SamplingConfig:
    """How to sample. Defaults follow LiveCodeBench (n=10, T=0.2, top_p=0.95); the paper evaluates
    at 4K and 8K max tokens. `temperature=0` means greedy decoding. `seed` makes runs repeatable:
    backends derive a per-prompt seed from it, so resuming or re-batching does not change samples."""

    n: int = 10
    temperature: float = 0.2
    top_p: float = 0.95
    max_tokens: int = 4096
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Completion:
    """One sampled response. `finish_reason` "length" means the response hit max_tokens (truncated)."""

    text: str
    num_tokens: int
    finish_reason: FinishReason

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Completion":
        reason = d.get("finish_reason", "stop")
        return cls(text=str(d["text"]), num_tokens=int(d.get("num_tokens", 0)),
                   finish_reason="length" if reason == "length" else "stop")
