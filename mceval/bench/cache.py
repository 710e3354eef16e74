"""Generation cache: completions keyed by what decides them, appended as they arrive.

The key covers the model name, the prompt, the sampling config and an `identity`: the backend, a
server's URL and a fingerprint of the model (`mceval.bench.fingerprint`), the dtype and the
chat-template options. So switching hf <-> vllm in one output folder, or retraining a checkpoint at
the same path, regenerates instead of silently reusing old samples.

Why: generating LiveCodeBench at 8K tokens takes hours; an interrupted run must resume without
regenerating. Each finished prompt is one JSON line, flushed and fsynced before the next is
accepted, so a crash loses at most the prompt in flight. A torn last line (crash mid-write) is
ignored and that prompt regenerated.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mcgen.types import Completion, SamplingConfig

log = logging.getLogger(__name__)


def cache_key(
    model: str, messages: Sequence[dict] | str, sampling: SamplingConfig, identity: Mapping[str, Any] | None = None
) -> str:
    """Stable key of one (model, prompt, sampling config, identity); the prompt is chat messages or a
    finished text."""
    prompt = messages if isinstance(messages, str) else list(messages)
    payload = json.dumps({"model": model, "messages": prompt, "sampling": sampling.to_dict(),
                          "identity": dict(identity or {})}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class GenerationCache:
    """An append-only jsonl file of `{"key", "question_id", "completions": [...]}` lines."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.entries: dict[str, list[Completion]] = {}
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            lines = fh.read().split(b"\n")
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
                self.entries[entry["key"]] = [Completion.from_dict(c) for c in entry["completions"]]
            except (ValueError, KeyError, TypeError) as exc:
                # The last line may be torn by a crash; anything else is reported, then regenerated.
                level = logging.INFO if number >= len(lines) - 1 else logging.WARNING
                log.log(level, "%s:%d: unreadable cache line skipped (%s); it will be regenerated", self.path, number, exc)
        if lines and lines[-1].strip():
            # A torn final line has no newline; start appends on a fresh line.
            with self.path.open("ab") as fh:
                fh.write(b"\n")

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: str) -> list[Completion] | None:
        return self.entries.get(key)

    def put(self, key: str, question_id: str, completions: Sequence[Completion]) -> None:
        """Record one prompt's completions durably (append, flush, fsync)."""
        line = json.dumps(
            {"key": key, "question_id": question_id, "completions": [c.to_dict() for c in completions]},
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.entries[key] = list(completions)
