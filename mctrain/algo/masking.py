"""Truncation masking: which responses get their (already normalised) advantage zeroed.

Three modes, so the baselines are one flag away:

* ``none``: GRPO as is; truncated responses train like any other.
* ``mask_all``: DeepCoder's "overlong filtering" (TRL's ``mask_truncated_completions``): every
  truncated response is removed from the loss, its tokens out of the token-mean denominator too.
* ``conditional`` (MicroCoder-GRPO, paper §1.2): a response is masked only when ALL hold:
  it hit the length cap, it is non-incorrect, it is not a repetition loop (last m tokens
  differ from the m before), and a Bernoulli(ρ) draw fires.

The conditional mode zeroes the advantage (the paper's equation multiplies A_i by the mask),
so a masked response keeps its tokens in the token-mean denominator; ``mask_all`` drops them
(`DROPS_TOKENS`), as DeepCoder and TRL do: for the same batch the two give different gradients.

"Non-incorrect" is ambiguous in the paper (blog: "correct"; equation: "non-incorrect"), so
it is a switch: ``correct`` (verdict AC) or ``correct_or_unjudged`` (default: AC, or
UNJUDGED: a truncated response whose final answer was never finished, decided from its text
by `mctrain.algo.answer` and never run). Any other verdict, including ones a newer grader
may add, counts as incorrect.

Determinism: the Bernoulli draw is a hash of (seed, step, prompt index, response index),
never a process-local RNG, so the decision for a response is the same whatever the number
of processes, the batch order or the rank it was generated on.

Engine-free: plain Python + NumPy. The trainer calls `truncation_mask` on the gathered
batch and multiplies its slice of the advantages by ``~masked`` (see `advantages.py`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mctrain.algo.answer import UNJUDGED
from mctrain.algo.repetition import RepeatRule, is_repetitive

TruncationMasking = Literal["none", "mask_all", "conditional"]
TRUNCATION_MASKING_MODES: tuple[str, ...] = ("none", "mask_all", "conditional")
NonIncorrect = Literal["correct", "correct_or_unjudged"]
NON_INCORRECT_MODES: tuple[str, ...] = ("correct", "correct_or_unjudged")

# Modes that remove masked responses from the loss (completion mask), not only their advantage.
DROPS_TOKENS: frozenset[str] = frozenset({"mask_all"})


def mask_uniform(seed: int, step: int, prompt_index: int, response_index: int) -> float:
    """A uniform number in [0, 1) fixed by its four keys (the U(0,1) of the paper's mask).

    >>> mask_uniform(0, 3, 7, 1) == mask_uniform(0, 3, 7, 1)
    True
    """
    key = struct.pack("<4q", int(seed), int(step), int(prompt_index), int(response_index))
    digest = hashlib.blake2b(key, digest_size=8, person=b"mc-ctm").digest()
    return (int.from_bytes(digest, "little") >> 11) / float(1 << 53)


def is_truncated(token_ids: Sequence[int], stop_ids: Sequence[int]) -> bool:
    """Hit the length cap: the last token is not a stop (EOS/pad) token. Same test as TRL."""
    return len(token_ids) > 0 and int(token_ids[-1]) not in set(int(i) for i in stop_ids)


def is_non_incorrect(verdict: str, mode: NonIncorrect = "correct_or_unjudged") -> bool:
    """Whether a verdict ("AC", "WA", "NO_CODE", ... or a `Verdict`) counts as non-incorrect."""
    name = getattr(verdict, "value", verdict)
    if mode == "correct":
        return name == "AC"
    if mode == "correct_or_unjudged":
        return name in ("AC", UNJUDGED)
    raise ValueError(f"non_incorrect must be one of {NON_INCORRECT_MODES}, got {mode!r}")


@dataclass(frozen=True)
class TruncationMask:
    """Per-response decision and the reasons behind it (all arrays of length B, gathered order)."""

    masked: np.ndarray  # bool: advantage set to 0 (or, for mask_all, dropped from the loss)
    eligible: np.ndarray  # bool: meets every condition of the mode except the Bernoulli draw
    truncated: np.ndarray  # bool: hit the length cap
    non_incorrect: np.ndarray  # bool
    repetitive: np.ndarray  # bool: last m tokens repeat the previous m
    uniform: np.ndarray  # float: the U(0,1) draw (NaN when not drawn: mode != conditional)

    @property
    def masked_fraction(self) -> float:
        return float(self.masked.mean()) if self.masked.size else 0.0

    @property
    def masked_of_eligible(self) -> float | None:
        """Masked share of the eligible responses: the realised ρ (None when none was eligible)."""
        eligible = int(self.eligible.sum())
        return float(self.masked.sum()) / eligible if eligible else None


def decide_mask(
    truncated: Sequence[bool],
    non_incorrect: Sequence[bool],
    repetitive: Sequence[bool],
    *,
    mode: TruncationMasking = "conditional",
    rho: float = 0.1,
    seed: int = 0,
    step: int = 0,
    prompt_indices: Sequence[int] | None = None,
    group_size: int = 1,
) -> TruncationMask:
    """The mask from per-response features (all in gathered batch order, length B).

    Args:
        truncated: hit the length cap.
        non_incorrect: see `is_non_incorrect`.
        repetitive: last m tokens repeat the previous m (`repetition.is_repetitive`).
        mode: ``none`` | ``mask_all`` | ``conditional``.
        rho: masking probability ρ of the conditional mode (paper: 0.1).
        seed, step: keys of the Bernoulli draw (the run seed and the generation step).
        prompt_indices: a stable id of each response's prompt (its dataset row); defaults to
            the group position ``i // group_size``.
        group_size: G; the response index inside its group is ``i % G``.
    """
    truncated = np.asarray(truncated, dtype=bool)
    ok = np.asarray(non_incorrect, dtype=bool)
    repetitive = np.asarray(repetitive, dtype=bool)
    n = truncated.shape[0]
    if ok.shape[0] != n or repetitive.shape[0] != n:
        raise ValueError(f"feature lengths differ: {n}, {ok.shape[0]}, {repetitive.shape[0]}")
    if mode not in TRUNCATION_MASKING_MODES:
        raise ValueError(f"truncation_masking must be one of {TRUNCATION_MASKING_MODES}, got {mode!r}")
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"ctm_rho must be in [0, 1], got {rho}")
    if group_size < 1:
        raise ValueError(f"group_size must be >= 1, got {group_size}")
    if prompt_indices is None:
        prompt_indices = [i // group_size for i in range(n)]
    if len(prompt_indices) != n:
        raise ValueError(f"got {len(prompt_indices)} prompt indices for {n} responses")
    uniform = np.full(n, np.nan)
    if mode == "none":
        eligible = masked = np.zeros(n, dtype=bool)
    elif mode == "mask_all":
        eligible = masked = truncated.copy()
    else:
        uniform = np.array([mask_uniform(seed, step, prompt_indices[i], i % group_size) for i in range(n)], dtype=float)
        eligible = truncated & ok & ~repetitive
        masked = eligible & (uniform < rho)
    return TruncationMask(
        masked=masked, eligible=eligible, truncated=truncated, non_incorrect=ok, repetitive=repetitive, uniform=uniform
    )


def truncation_mask(
    completion_ids: Sequence[Sequence[int]],
    verdicts: Sequence[str],
    *,
    stop_ids: Sequence[int],
    window: int = 128,
    repeat_rule: RepeatRule = "any_period",
    non_incorrect: NonIncorrect = "correct_or_unjudged",
    **decide_kwargs,
) -> TruncationMask:
    """`decide_mask` from raw responses: token ids (EOS included when it stopped) and verdicts.

    ``stop_ids`` are the EOS and pad ids; ``window`` is m (paper: 128) and ``repeat_rule`` the
    loop test (`mctrain.algo.repetition`); ``decide_kwargs`` are
    `decide_mask`'s keyword arguments (mode, rho, seed, step, prompt_indices, group_size).
    """
    if len(verdicts) != len(completion_ids):
        raise ValueError(f"got {len(verdicts)} verdicts for {len(completion_ids)} responses")
    return decide_mask(
        [is_truncated(ids, stop_ids) for ids in completion_ids],
        [is_non_incorrect(v, non_incorrect) for v in verdicts],
        [is_repetitive(ids, window, repeat_rule) for ids in completion_ids],
        **decide_kwargs,
    )
