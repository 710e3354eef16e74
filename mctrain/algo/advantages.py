"""Group-normalised advantages and the MicroCoder mask applied AFTER normalisation.

A_i = (r_i - mean(r_group)) / (std(r_group) + eps), std unbiased, eps = 1e-4: the same
numbers TRL's GRPOTrainer computes (``scale_rewards="group"``). The truncation mask then
multiplies the normalised advantage, so a masked response still counted in its group's
mean and std (the paper's "mask-after"; masking before would shift the other responses'
advantages).

Engine-free (NumPy); the TRL trainer keeps TRL's own advantages and only applies the mask.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

ScaleRewards = Literal["group", "batch", "none"]


def group_advantages(
    rewards: np.ndarray, group_size: int, *, scale: ScaleRewards = "group", eps: float = 1e-4
) -> np.ndarray:
    """Advantages of ``rewards`` laid out as consecutive groups of ``group_size`` responses.

    >>> group_advantages(np.array([1.0, 0.0, 0.0, 1.0]), 2).round(4).tolist()
    [0.707, -0.707, -0.707, 0.707]
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    if group_size < 2 or rewards.size % group_size:
        raise ValueError(f"{rewards.size} rewards do not split into groups of {group_size} (need G >= 2)")
    grouped = rewards.reshape(-1, group_size)
    centred = grouped - grouped.mean(axis=1, keepdims=True)
    if scale == "group":
        std = grouped.std(axis=1, ddof=1, keepdims=True)
    elif scale == "batch":
        std = np.full_like(grouped[:, :1], rewards.std(ddof=1))
    elif scale == "none":
        return centred.reshape(-1)
    else:
        raise ValueError(f"scale must be group, batch or none, got {scale!r}")
    return (centred / (std + eps)).reshape(-1)


def apply_mask(advantages: np.ndarray, masked: np.ndarray) -> np.ndarray:
    """Zero the advantages of masked responses; everything else is untouched."""
    advantages = np.asarray(advantages)
    masked = np.asarray(masked, dtype=bool)
    if advantages.shape[0] != masked.shape[0]:
        raise ValueError(f"{advantages.shape[0]} advantages but {masked.shape[0]} mask entries")
    return np.where(masked.reshape((-1,) + (1,) * (advantages.ndim - 1)), 0.0, advantages)
