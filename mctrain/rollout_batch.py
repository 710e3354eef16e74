"""Selecting and joining TRL's scored rollout batches (the dict `_generate_and_score_completions` returns),
the per-response facts the trainer keeps beside them, and what TRL's IS correction did to them.

Dynamic sampling scores several batches and keeps some of their prompt groups; TRL then splits
the kept batch into micro-batches as if it had been generated in one go. Per-row tensors are
indexed on dim 0; prompts are left-padded and completions right-padded, so joining batches of
different widths pads prompt tensors on the left and completion-aligned tensors on the right.
Scalars (``num_items_in_batch``) are left to the caller to recompute.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

PROMPT_KEYS = ("prompt_ids", "prompt_mask")


def select_rows(output: dict[str, Any], rows: Sequence[int]) -> dict[str, Any]:
    """The batch restricted to ``rows`` (in that order); scalars and None pass through."""
    batch = output["completion_ids"].size(0)
    index = torch.as_tensor(list(rows), dtype=torch.long, device=output["completion_ids"].device)
    picked: dict[str, Any] = {}
    for key, value in output.items():
        if isinstance(value, torch.Tensor) and value.ndim > 0 and value.size(0) == batch:
            picked[key] = value.index_select(0, index)
        elif isinstance(value, list) and len(value) == batch:
            picked[key] = [value[i] for i in rows]
        else:
            picked[key] = value
    return picked


def _pad_to(tensor: torch.Tensor, width: int, value: float, left: bool) -> torch.Tensor:
    missing = width - tensor.size(1)
    if missing <= 0:
        return tensor
    pad = tensor.new_full((tensor.size(0), missing, *tensor.shape[2:]), value)
    return torch.cat([pad, tensor] if left else [tensor, pad], dim=1)


def concat_batches(outputs: Sequence[dict[str, Any]], pad_token_id: int) -> dict[str, Any]:
    """Join scored batches row-wise, padding prompts left and completion-aligned tensors right."""
    if len(outputs) == 1:
        return dict(outputs[0])
    first = outputs[0]
    joined: dict[str, Any] = {}
    for key, value in first.items():
        values = [o[key] for o in outputs]
        if not isinstance(value, torch.Tensor) or value.ndim == 0:
            joined[key] = value  # a scalar: recomputed by the caller
        elif key in PROMPT_KEYS:
            width = max(v.size(1) for v in values)
            fill = pad_token_id if key == "prompt_ids" else 0
            joined[key] = torch.cat([_pad_to(v, width, fill, left=True) for v in values])
        elif value.ndim >= 2 and all(v.size(1) == o["completion_ids"].size(1) for v, o in zip(values, outputs)):
            width = max(v.size(1) for v in values)
            fill = pad_token_id if key == "completion_ids" else 0
            joined[key] = torch.cat([_pad_to(v, width, fill, left=False) for v in values])
        else:
            joined[key] = torch.cat(values)
    return joined


@dataclass
class RolloutRows:
    """Per-response facts of this process's share of a scored batch, in the batch's row order."""

    problem_index: list[int] = field(default_factory=list)
    completion_ids: list[list[int]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)  # the code reward (dynamic sampling's filter)

    def take(self, rows: Sequence[int]) -> "RolloutRows":
        return RolloutRows(*([values[i] for i in rows] for values in vars(self).values()))

    def extend(self, other: "RolloutRows") -> None:
        for name, values in vars(self).items():
            values.extend(getattr(other, name))


def endless_shuffle(size: int, seed: int) -> Iterator[int]:
    """Dataset indices in a fresh seeded order each pass (identical on every process)."""
    rng = random.Random(seed)
    while True:
        order = list(range(size))
        rng.shuffle(order)
        yield from order


def is_correction_hits(
    ratio: torch.Tensor, completion_mask: torch.Tensor, mode: str, clip_min: float | None, clip_max: float | None
) -> tuple[float, float]:
    """(entries TRL's vLLM IS correction zeroed or clipped, entries it applies to) for one process's batch.

    ``ratio`` is (B, 1) in the sequence modes (one entry per response) and (B, T) in the token
    modes (completion tokens only count). Mask modes zero out-of-range ratios; truncate modes clamp.
    """
    valid = torch.ones_like(ratio, dtype=torch.bool) if ratio.size(1) == 1 else completion_mask.bool()
    if mode.endswith("_mask"):
        hit = ratio == 0
    else:
        hit = torch.zeros_like(valid)
        if clip_max is not None:
            hit |= ratio >= clip_max
        if clip_min is not None:
            hit |= ratio <= clip_min
    return float((hit & valid).sum()), float(valid.sum())
