"""Repetition-loop test for truncated responses (the ¬repeat(o, m) term of MicroCoder-GRPO).

A response that ran into the length cap because it loops ("... foo foo foo") is *not*
spared by conditional truncation masking: its negative advantage is the signal that stops
the loop. The paper's test is exact and cheap: the final m tokens equal the m before them.
"""

from __future__ import annotations

from typing import Sequence


def is_repetitive(token_ids: Sequence[int], window: int = 128) -> bool:
    """True when the last ``window`` tokens equal the ``window`` tokens right before them.

    A response shorter than ``2 * window`` cannot show the pattern and counts as not
    repetitive (the paper's m=128 assumes L_max >= 256).

    >>> is_repetitive([1, 2, 3, 1, 2, 3], window=3), is_repetitive([1, 2, 3, 1, 2, 4], window=3)
    (True, False)
    """
    if window < 1:
        raise ValueError(f"repetition window must be >= 1, got {window}")
    ids = list(token_ids)
    if len(ids) < 2 * window:
        return False
    return ids[-window:] == ids[-2 * window : -window]
