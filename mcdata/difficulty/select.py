"""Select problems to a target easy/medium/hard mix without throwing hard problems away.

Each problem has a predicted pass rate (the calibrated judge score). It is "easy" at or above
``easy_min_pass_rate``, "hard" at or below ``hard_max_pass_rate``, else "medium". The target mix is a
CEILING on the easy share, not a recipe to cut every bucket down to: every hard and medium problem
is kept (up to ``max_total``, hardest first), and easy problems are kept only up to the share the mix
allows next to them, the hardest easy ones first. A pool with few easy problems keeps all of them;
a pool with none keeps every hard and medium one. (The earlier rule, N = min over buckets of
available / share, kept 31 / 62 / 62 of 31 / 93 / 63 and nothing at all with 0 easy problems.)
A bucket whose share is 0 is dropped whole. With the default mix (easy 0.2, medium 0.4, hard 0.4)
a pool that is 40/30/30 keeps 60 medium+hard and 15 easy (75%, a 20% easy share), close to what the
MicroCoder dataset paper reports for its filter (easy 40% -> 20%, pool -> ~70%).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    """How many problems each bucket keeps (see the module docstring)."""
    share = {b: mix.get(b, 0.0) for b in BUCKETS}
    result = {b: available.get(b, 0) if share[b] > 0 else 0 for b in ("hard", "medium")}
    if max_total is not None:  # hardest buckets first
        result["hard"] = min(result["hard"], max_total)
        result["medium"] = min(result["medium"], max_total - result["hard"])
    others = result["hard"] + result["medium"]
    if share["easy"] <= 0:
        easy = 0
    elif share["easy"] >= 1.0 or others == 0 and share["medium"] + share["hard"] == 0:
        easy = available.get("easy", 0)
    else:
        easy = math.floor(share["easy"] / (1.0 - share["easy"]) * others + 1e-9)
    easy = min(easy, available.get("easy", 0))
    if max_total is not None:
        easy = min(easy, max_total - others)
    result["easy"] = easy
    return {b: result[b] for b in BUCKETS}


def dropped_reasons(available: Mapping[str, int], quota: Mapping[str, int], mix: Mapping[str, float]) -> dict[str, str]:
    """Why each bucket lost problems, for the report."""
    reasons = {}
    for b in BUCKETS:
        lost = available.get(b, 0) - quota.get(b, 0)
        if lost <= 0:
            continue
        if mix.get(b, 0.0) <= 0:
            reasons[b] = f"{lost} dropped: the target mix gives {b} no share"
        elif b == "easy":
            reasons[b] = f"{lost} dropped: easy share capped at {mix[b]:.0%} of the selection"
        else:
            reasons[b] = f"{lost} dropped: over max_problems"
    return reasons


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
