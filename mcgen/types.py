"""Plain data types shared by the generation backends, the cache and the benchmark runner."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class SamplingConfig:
    """How to sample. Defaults follow LiveCodeBench (n=10, T=0.2, top_p=0.95); the paper evaluates
    at 4K and 8K max tokens. `temperature=0` means greedy decoding. `seed` makes runs repeatable:
    backends derive a per-prompt seed from it, so resuming or re-batching does not change samples.

    `top_k` (0 = off; -1 is accepted as vLLM's spelling of off), `min_p` (0 = off),
    `repetition_penalty` (1 = off) and `stop` are sent explicitly by every backend: a value left out
    is otherwise filled from the model's generation config (vLLM's server, transformers' generate)
    and the same command samples differently per backend."""

    n: int = 10
    temperature: float = 0.2
    top_p: float = 0.95
    max_tokens: int = 4096
    seed: int = 0
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    stop: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.top_k < -1:
            raise ValueError(f"top_k must be 0 (off) or at least 1, got {self.top_k}")
        if not 0 <= self.min_p <= 1:
            raise ValueError(f"min_p must be in [0, 1], got {self.min_p}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be > 0 (1 = off), got {self.repetition_penalty}")
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)
        if any(not isinstance(s, str) or not s for s in stop):
            raise ValueError(f"stop strings must be non-empty strings, got {list(stop)!r}")
        object.__setattr__(self, "stop", stop)
        object.__setattr__(self, "top_k", max(self.top_k, 0))  # -1 (vLLM's "off") is 0 here

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data


@dataclass(frozen=True)
class Completion:
    """One sampled response. `finish_reason` "length" means the response hit max_tokens (truncated).

    `reasoning` is thinking a server returned apart from the answer (vLLM's reasoning parser);
    `thinking_prefilled` says the prompt itself opened a `<think>` block (a thinking chat template),
    so the response starts inside it. Both only serve to count answers cut off while thinking."""

    text: str
    num_tokens: int
    finish_reason: FinishReason
    reasoning: str | None = None
    thinking_prefilled: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text, "num_tokens": self.num_tokens, "finish_reason": self.finish_reason}
        if self.reasoning is not None:
            data["reasoning"] = self.reasoning
        if self.thinking_prefilled:
            data["thinking_prefilled"] = True
        return data

    @classmethod
    def from_dict(cls, d: dict) -> "Completion":
        reason = d.get("finish_reason", "stop")
        reasoning = d.get("reasoning")
        return cls(text=str(d["text"]), num_tokens=int(d.get("num_tokens", 0)),
                   finish_reason="length" if reason == "length" else "stop",
                   reasoning=None if reasoning is None else str(reasoning),
                   thinking_prefilled=bool(d.get("thinking_prefilled", False)))


def repeat_greedy(completions: Sequence[Completion], n: int) -> list[Completion]:
    """Greedy decoding gives one answer; a run asking for n samples gets it n times (as LiveCodeBench's
    pass@k expects n entries). Backends decode once instead of asking for n identical samples (vLLM
    refuses n > 1 with temperature 0)."""
    return [completions[0]] * n
