"""Getting the program out of a model's answer.

Mode ``lcb`` is LiveCodeBench's rule (``lcb_runner/utils/extraction_utils.py``) reproduced exactly:
every line that CONTAINS ``` is a fence line; with fewer than two of them there is no code (None);
otherwise the code is the text strictly between the LAST TWO fence lines. It checks no language, so
an answer ending with an "example usage" block, or with an odd number of fences, yields the wrong
span — kept as is, because leaderboard numbers are computed that way.

Mode ``robust`` (default) parses Markdown fenced blocks properly: an opening fence is a line starting
(after indentation) with three or more backticks plus an optional language tag; the block ends at a
line holding only backticks, at least as many as opened it. Among the blocks it picks, in order:

1. a block tagged python (``python``, ``py``, ``python3``, ``py3``; case-insensitive) over any other;
2. a closed block over an unterminated one — an answer cut off by the token limit inside its final
   block would otherwise be graded on half a program when an earlier, complete draft exists;
3. the later block over the earlier one (the final answer comes last).

An unterminated final block is still used when nothing better exists (some models stop without
closing the fence); callers that know the generation was truncated (finish_reason "length") decide
themselves whether to score it. Empty blocks are ignored. If the text has a reasoning section closed
by ``</think>``, blocks after the last ``</think>`` are preferred; drafts inside the reasoning are used
only when the answer part has no block. Indented fences (inside Markdown lists) are dedented. A
repeated opener (```` ```python ```` twice in a row, seen in real O1 answers) opens one block. When
no fence starts a line (``Sure! ```python``), LCB's rule is used as a fallback.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Literal

ExtractMode = Literal["lcb", "robust"]

PYTHON_TAGS = frozenset({"python", "py", "python3", "py3"})
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})[ \t]*(?P<lang>[^`\s]*)[^`]*$")
_CLOSE = re.compile(r"^\s*(?P<fence>`{3,})\s*$")

__all__ = ["ExtractMode", "extract_code"]


@dataclass(frozen=True)
class _Block:
    lang: str
    code: str
    closed: bool
    position: int

    @property
    def rank(self) -> tuple[bool, bool, int]:
        return (self.lang.lower() in PYTHON_TAGS, self.closed, self.position)


def extract_code(text: str, mode: ExtractMode = "robust") -> str | None:
    """The program in a model answer, or None when there is none (graded NO_CODE)."""
    if mode == "lcb":
        return _extract_lcb(text)
    if mode == "robust":
        return _extract_robust(text)
    raise ValueError(f"unknown extraction mode {mode!r}; expected 'lcb' or 'robust'")


def _extract_lcb(text: str) -> str | None:
    lines = text.split("\n")
    fences = [i for i, line in enumerate(lines) if "```" in line]
    if len(fences) < 2:
        return None
    return "\n".join(lines[fences[-2] + 1 : fences[-1]])


def _extract_robust(text: str) -> str | None:
    _, think_end, answer = text.rpartition("</think>")
    if think_end:
        best = _best_block(_fenced_blocks(answer))
        if best is not None:
            return best.code
    best = _best_block(_fenced_blocks(text))
    if best is None:  # fences not at line starts ("Sure! ```python"): LCB's any-line-containing rule
        code = _extract_lcb(text)
        return code if code and code.strip() else None
    return best.code


def _best_block(blocks: list[_Block]) -> _Block | None:
    candidates = [b for b in blocks if b.code.strip()]
    return max(candidates, key=lambda b: b.rank) if candidates else None


def _fenced_blocks(text: str) -> list[_Block]:
    """All fenced code blocks in order; the last one may be unterminated."""
    blocks: list[_Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = _OPEN.match(lines[i])
        if opening is None:
            i += 1
            continue
        width = len(opening["fence"])
        body: list[str] = []
        j = i + 1
        closed = False
        while j < len(lines):
            closing = _CLOSE.match(lines[j])
            if closing is not None and len(closing["fence"]) >= width:
                closed = True
                break
            reopened = _OPEN.match(lines[j])
            if reopened is not None and reopened["lang"] and not "".join(body).strip():
                # "```python\n```python\n..." (a repeated opener): the block starts at the second one.
                opening, width, body = reopened, len(reopened["fence"]), []
                j += 1
                continue
            body.append(lines[j])
            j += 1
        code = "\n".join(body)
        if opening["indent"]:
            code = textwrap.dedent(code)
        blocks.append(_Block(opening["lang"], code, closed, len(blocks)))
        i = j + 1
    return blocks
