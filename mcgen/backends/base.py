"""What every generation backend provides, and the per-prompt seed they share."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any, Iterator, Sequence, Union

from mcgen.types import Completion, SamplingConfig

Messages = list[dict]
# Chat messages (rendered by the model's chat template) or a finished text (sent as is): see
# `mcgen.prompt_styles`. Every backend takes both.
Prompt = Union[Messages, str]


def prompt_seed(seed: int, messages: Prompt) -> int:
    """A seed derived from the run seed and the prompt text, so a prompt gets the same samples
    whatever its position in the batch, and a resumed run reproduces an uninterrupted one."""
    digest = hashlib.sha256(f"{seed}\0{json.dumps(messages, sort_keys=True)}".encode()).hexdigest()
    return int(digest[:8], 16)


class GenerationBackend(ABC):
    """Samples `sampling.n` completions per prompt (chat messages or a finished text).

    Subclasses implement `iter_generate`, yielding `(prompt_index, completions)` as soon as a
    prompt is done (in any order) so callers can cache results as they arrive.
    """

    name: str = "backend"
    model_id: str = ""  # what the generation cache keys on (model path / served name)

    @abstractmethod
    def iter_generate(
        self, prompts: Sequence[Prompt], sampling: SamplingConfig
    ) -> Iterator[tuple[int, list[Completion]]]: ...

    def sampling_parameters(self, sampling: SamplingConfig) -> dict[str, Any]:
        """The parameters this backend really samples with (what summary.json records)."""
        return sampling.to_dict()

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """All completions, in prompt order."""
        results: list[list[Completion] | None] = [None] * len(prompts)
        for index, completions in self.iter_generate(prompts, sampling):
            results[index] = completions
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise RuntimeError(f"{self.name} backend returned nothing for prompts {missing[:10]}")
        return results  # type: ignore[return-value]

    def close(self) -> None:
        """Release the model / connections (no-op by default)."""

    def __enter__(self) -> "GenerationBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
