"""Selecting and joining TRL's scored rollout batches (the dict `_generate_and_score_completions` returns).

Dynamic sampling scores several batches and keeps some of their prompt groups; TRL then splits
the kept batch into micro-batches as if it had been generated in one go. Per-row tensors are
indexed on dim 0; prompts are left-padded and completions right-padded, so joining batches of
different widths pads prompt tensors on the left and completion-aligned tensors on the right.
Scalars (``num_items_in_batch``) are left to the caller to recompute.
"""

from __future__ import annotations

from typing import Any, Sequence

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
