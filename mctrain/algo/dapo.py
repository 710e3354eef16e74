"""DAPO's two pieces beyond clip-higher and the token-level loss (arXiv 2503.14476), engine-free.

* Soft overlong punishment (DAPO eq. 13): a length penalty added to the reward, 0 up to
  L_max - L_cache tokens, then falling linearly to -1 (times a factor) at L_max.
* Dynamic sampling: groups whose responses all got the same score carry no gradient (their
  advantages are all 0), so DAPO keeps sampling prompts until the rollout holds the wanted
  number of groups with mixed scores. `pick_groups` makes that choice for one process's share.
"""

from __future__ import annotations

from collections.abc import Sequence


def soft_overlong_penalty(length: int, max_length: int, buffer: int, factor: float = 1.0) -> float:
    """DAPO's length penalty of a response of ``length`` tokens under cap ``max_length`` with ``buffer`` = L_cache.

    >>> [soft_overlong_penalty(n, 100, 20) for n in (80, 90, 100)]
    [0.0, -0.5, -1.0]
    """
    if buffer < 1 or buffer > max_length:
        raise ValueError(f"overlong buffer must be in [1, max_length={max_length}], got {buffer}")
    start = max_length - buffer
    if length <= start:
        return 0.0
    return -factor * min(1.0, (length - start) / buffer)


def informative_groups(scores: Sequence[float], group_size: int) -> list[bool]:
    """For consecutive groups of ``group_size`` scores: True where the scores are not all equal."""
    if group_size < 1 or len(scores) % group_size:
        raise ValueError(f"{len(scores)} scores do not split into groups of {group_size}")
    groups = [scores[i : i + group_size] for i in range(0, len(scores), group_size)]
    return [max(g) != min(g) for g in groups]


def pick_groups(informative: Sequence[Sequence[bool]], needed: int) -> tuple[list[tuple[int, int]], int]:
    """Which groups one process trains on, from the sampling rounds it has done so far.

    ``informative[r][g]`` says whether group g of round r has mixed scores. Informative groups
    are taken in sampling order up to ``needed``; when there are too few, the first
    uninformative ones fill the rest (they train nothing but keep the batch shape). Returns
    ([(round, group), ...] in sampling order, the number of filler groups).

    >>> pick_groups([[True, False], [False, True, True]], 2)
    ([(0, 0), (1, 1)], 0)
    """
    picked = [(r, g) for r, groups in enumerate(informative) for g, ok in enumerate(groups) if ok][:needed]
    short = needed - len(picked)
    if short > 0:
        filler = [(r, g) for r, groups in enumerate(informative) for g, ok in enumerate(groups) if not ok][:short]
        if len(filler) < short:
            raise ValueError(f"need {needed} groups but only {len(picked) + len(filler)} were sampled")
        picked = sorted(picked + filler)
    return picked, max(0, short)
