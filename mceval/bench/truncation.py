"""What code a response that hit the token budget is graded on (`--truncation-policy`).

Why: robust extraction picks the best complete python block, so a response cut off while writing
its final block is graded on an earlier block, often a draft it was about to replace, and
truncated answers can score better than their authors meant. The policy makes that choice
explicit (it applies to `--extract robust`; `--extract lcb` keeps LiveCodeBench's rule untouched):

  cut-answer-fails  (default) a response cut off inside a code block or inside its thinking has no
                    code; other truncated responses are extracted as usual
  earlier-draft     extract as usual, even from an earlier block (the behaviour before this option)
  truncated-fails   every truncated response has no code
"""

from __future__ import annotations

from typing import Literal

from mcgen.extract import ExtractMode, extract_code
from mcgen.thinking import cut_off_in_thinking
from mcgen.types import Completion

TruncationPolicy = Literal["cut-answer-fails", "earlier-draft", "truncated-fails"]
TRUNCATION_POLICIES: tuple[str, ...] = ("cut-answer-fails", "earlier-draft", "truncated-fails")


def ends_inside_code_block(text: str) -> bool:
    """The text stops inside an open fenced block: a fence line opened it and none closed it.
    A second opener line inside an open block (```` ```python ```` twice, seen in real answers)
    does not close it."""
    open_fence = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped.startswith("```"):
            continue
        ticks = len(stripped) - len(stripped.lstrip("`"))
        if not open_fence:
            open_fence = ticks
        elif stripped == "`" * ticks and ticks >= open_fence:
            open_fence = 0
    return bool(open_fence)


def graded_code(text: str, completion: Completion | None, extract: ExtractMode,
                policy: TruncationPolicy = "cut-answer-fails") -> str | None:
    """The code a response is graded on; None means NO_CODE. `completion` is None when the
    response came from a generations file (no finish reason known: extraction as usual)."""
    if policy not in TRUNCATION_POLICIES:
        raise ValueError(f"--truncation-policy must be one of {', '.join(TRUNCATION_POLICIES)}, got {policy!r}")
    truncated = completion is not None and completion.finish_reason == "length"
    if truncated and extract == "robust":
        if policy == "truncated-fails":
            return None
        if policy == "cut-answer-fails" and (ends_inside_code_block(text) or cut_off_in_thinking(completion)):
            return None
    return extract_code(text, extract)
