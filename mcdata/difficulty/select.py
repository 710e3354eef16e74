"""Select the hardest problems to a target easy/medium/hard mix.

Each problem has a predicted pass rate (the calibrated judge score). It is "easy" at or above
``easy_min_pass_rate``, "hard" at or below ``hard_max_pass_rate``, else "medium". The selection keeps
as many problems as the target mix allows: N = min over buckets of available / share, then
round(share * N) problems per bucket (largest remainders fill the rounding gap), taking the lowest
predicted pass rates first inside each bucket. With the default mix (easy 0.2, medium 0.4, hard 0.4)
a pool that is 40/30/30 keeps 75% of its problems with a 20% easy share, close to what the
MicroCoder dataset paper reports for its filter (easy 40% -> 20%, pool -> ~70%).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

BUCKETS: tuple[str, ...] = ("easy", "medium", "hard")
DEFAULT_MIX = "easy=0.2,medium=0.4,hard=0.4"


def parse_mix(text: str | Mapping[str, float]) -> dict[str, float]:
    """'easy=0.2,medium=0.4,hard=0.4' -> shares normalised to sum 1; unnamed buckets get share 0."""
    if isinstance(text, Mapping):
        raw = dict(text)
    else:
        raw = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            match = re.fullmatch(r"(\w+)\s*=\s*([0-9.]+)", part)
            if not match:
                raise ValueError(f"target mix {text!r}: {part!r} is not BUCKET=SHARE (e.g. easy=0.2)")
            raw[match.group(1)] = float(match.group(2))
    unknown = set(raw) - set(BUCKETS)
    if unknown:
        raise ValueError(f"target mix: unknown bucket(s) {sorted(unknown)}; use {BUCKETS}")
    total = sum(raw.values())
    if total <= 0 or any(v < 0 for v in raw.values()):
        raise ValueError(f"target mix {text!r}: shares must be >= 0 and not all 0")
    return {b: raw.get(b, 0.0) / total for b in BUCKETS}


def bucket_of(pass_rate: float, easy_min_pass_rate: float = 0.7, hard_max_pass_rate: float = 0.3) -> str:
    if pass_rate >= easy_min_pass_rate:
        return "easy"
    if pass_rate <= hard_max_pass_rate:
        return "hard"
    return "medium"


@dataclass(frozen=True)
class Candidate:
    key: str  # unique id of the problem in this selection
    pass_rate: float  # predicted (calibrated) pass rate
    bucket: str


def quotas(available: Mapping[str, int], mix: Mapping[str, float], max_total: int | None = None) -> dict[str, int]:
    """How many problems each bucket contributes (see the module docstring)."""
    wanted = {b: s for b, s in mix.items() if s > 0}
    total = min(math.floor(available.get(b, 0) / s + 1e-9) for b, s in wanted.items())
    if max_total is not None:
        total = min(total, max_total)
    exact = {b: wanted.get(b, 0.0) * total for b in BUCKETS}
    result = {b: min(math.floor(exact[b] + 1e-9), available.get(b, 0)) for b in BUCKETS}
    by_remainder = sorted(BUCKETS, key=lambda b: (-(exact[b] - result[b]), BUCKETS.index(b)))
    for b in by_remainder:
        if sum(result.values()) >= total:
            break
        if wanted.get(b, 0) > 0 and result[b] < available.get(b, 0):
            result[b] += 1
    return result


def select_to_mix(
    candidates: Sequence[Candidate], mix: Mapping[str, float], max_total: int | None = None
) -> tuple[set[str], dict[str, int]]:
    """The keys to keep and the per-bucket quotas. Inside a bucket the hardest (lowest predicted pass
    rate, ties by key) go first."""
    available = {b: sum(c.bucket == b for c in candidates) for b in BUCKETS}
    quota = quotas(available, mix, max_total)
    chosen: set[str] = set()
    for bucket in BUCKETS:
        ranked = sorted((c for c in candidates if c.bucket == bucket), key=lambda c: (c.pass_rate, c.key))
        chosen.update(c.key for c in ranked[: quota[bucket]])
    return chosen, quota
