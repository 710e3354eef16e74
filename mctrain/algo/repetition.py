"""Repetition-loop test for truncated responses (the ¬repeat(o, m) term of MicroCoder-GRPO).

A response that ran into the length cap because it loops ("... foo foo foo") is *not*
spared by conditional truncation masking: its negative advantage is the signal that stops
the loop. The paper words the test as "the final m tokens equal the m before them". Read
literally, that only catches loops whose period divides m (1, 2, 4, ... for m = 128) and
misses periods 3, 5, 7, 12, 37, 100, i.e. most real loops. So two rules:

* ``any_period`` (default): the last 2m tokens repeat with SOME period p <= m, i.e. their
  smallest period is at most m. For p = m this is exactly the literal test; for p < m it
  needs at least 2m / p repetitions, so a tail that merely ends in a short echo does not count.
* ``literal``: the paper's words, ``ids[-m:] == ids[-2m:-m]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

RepeatRule = Literal["any_period", "literal"]
REPEAT_RULES: tuple[str, ...] = ("any_period", "literal")


def smallest_period(seq: Sequence[int]) -> int:
    """The smallest p >= 1 with seq[i] == seq[i + p] for every valid i (len(seq) when none is shorter).

    Knuth-Morris-Pratt failure function: the longest proper border b of the whole sequence
    gives the smallest period len - b, in one linear pass.

    >>> smallest_period([1, 2, 3, 1, 2, 3, 1]), smallest_period([4, 4, 4]), smallest_period([1, 2])
    (3, 1, 2)
    """
    n = len(seq)
    if n == 0:
        return 0
    border = [0] * n
    k = 0
    for i in range(1, n):
        while k and seq[i] != seq[k]:
            k = border[k - 1]
        if seq[i] == seq[k]:
            k += 1
        border[i] = k
    return n - border[-1]


def is_repetitive(token_ids: Sequence[int], window: int = 128, rule: RepeatRule = "any_period") -> bool:
    """True when the response ends in a repetition loop (see the module docstring for the rules).

    A response shorter than ``2 * window`` cannot show the pattern and counts as not
    repetitive (the paper's m=128 assumes L_max >= 256).

    >>> is_repetitive([1, 2, 3, 1, 2, 3], window=3), is_repetitive([1, 2, 3, 1, 2, 4], window=3)
    (True, False)
    >>> is_repetitive([1, 2] * 3, window=3), is_repetitive([1, 2] * 3, window=3, rule="literal")  # period 2, m=3
    (True, False)
    """
    if window < 1:
        raise ValueError(f"repetition window must be >= 1, got {window}")
    if rule not in REPEAT_RULES:
        raise ValueError(f"repetition rule must be one of {REPEAT_RULES}, got {rule!r}")
    if len(token_ids) < 2 * window:
        return False
    tail = [int(t) for t in token_ids[-2 * window :]]
    if rule == "literal":
        return tail[window:] == tail[:window]
    return smallest_period(tail) <= window
