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

Cost: both modes are linear in the answer's length and never split it into a list of lines: only
lines containing ``` can be fences, so the scan jumps from one to the next with ``str.find``, and a
block is a slice between two of them. The fence patterns use possessive quantifiers, so a long line
after a fence cannot make them backtrack.
"""

from __future__ import annotations

import os
import re
from typing import Iterator, Literal, NamedTuple

ExtractMode = Literal["lcb", "robust"]

PYTHON_TAGS = frozenset({"python", "py", "python3", "py3"})
# Applied with match(text, line_start, line_end). Possessive quantifiers (Python >= 3.11): no
# part of a line is ever tried twice, so a long line costs linear time. Same matches as the greedy
# forms: after the fence the language tag is the longest run without spaces or backticks either way.
_OPEN = re.compile(r"(?P<indent>[ \t]*+)(?P<fence>`{3,}+)[ \t]*+(?P<lang>[^`\s]*+)[^`]*+$")
_CLOSE = re.compile(r"\s*+(?P<fence>`{3,}+)\s*+$")
_NON_SPACE = re.compile(r"\S")
_FENCE = "```"
_SLICE = 1 << 16  # characters per slice of lines for _sub_lines
_WHITESPACE_LINE = re.compile(r"^[ \t]++$", re.MULTILINE)
_INDENT = re.compile(r"^([ \t]*+)[^ \t\n]", re.MULTILINE)

__all__ = ["ExtractMode", "extract_code"]


class _Block(NamedTuple):
    """A fenced block: its code is text[start:end] (dedented when the fence was indented)."""

    lang: str
    start: int
    end: int
    indented: bool
    closed: bool
    position: int

    @property
    def rank(self) -> tuple[bool, bool, int]:
        return (self.lang.lower() in PYTHON_TAGS, self.closed, self.position)

    def code(self, text: str) -> str:
        code = text[self.start : self.end]
        return _dedent(code) if self.indented else code


def extract_code(text: str, mode: ExtractMode = "robust") -> str | None:
    """The program in a model answer, or None when there is none (graded NO_CODE)."""
    if mode == "lcb":
        return _extract_lcb(text)
    if mode == "robust":
        return _extract_robust(text)
    raise ValueError(f"unknown extraction mode {mode!r}; expected 'lcb' or 'robust'")


def _extract_lcb(text: str) -> str | None:
    """The lines strictly between the last two lines containing ``` (LCB's rule), found from the
    end with rfind instead of splitting the whole answer into lines."""
    last = text.rfind(_FENCE)
    if last < 0:
        return None
    last_line_start = text.rfind("\n", 0, last) + 1
    previous = text.rfind(_FENCE, 0, last_line_start)
    if previous < 0:
        return None
    code_start = text.find("\n", previous) + 1  # the line after the previous fence line
    return text[code_start : max(code_start, last_line_start - 1)]


def _extract_robust(text: str) -> str | None:
    think_end = text.rfind("</think>")
    if think_end >= 0:
        best = _best_block(text, think_end + len("</think>"))
        if best is not None:
            return best.code(text)
    best = _best_block(text, 0)
    if best is None:  # fences not at line starts ("Sure! ```python"): LCB's any-line-containing rule
        code = _extract_lcb(text)
        return code if code and code.strip() else None
    return best.code(text)


def _best_block(text: str, start: int) -> _Block | None:
    """The best non-empty block of text[start:] (see the module doc for the order)."""
    best, best_rank = None, (False, False, -1)
    for block in _fenced_blocks(text, start):
        if _NON_SPACE.search(text, block.start, block.end):
            rank = block.rank
            if rank > best_rank:
                best, best_rank = block, rank
    return best


def _fence_lines(text: str, start: int) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of text[start:] that contains ```, in order: the only lines that
    can open or close a block."""
    found = text.find(_FENCE, start)
    while found >= 0:
        line_start = max(text.rfind("\n", start, found) + 1, start)
        line_end = text.find("\n", found)
        line_end = len(text) if line_end < 0 else line_end
        yield line_start, line_end
        found = text.find(_FENCE, line_end)


def _fenced_blocks(text: str, start: int = 0) -> Iterator[_Block]:
    """All fenced code blocks of text[start:] in order; the last one may be unterminated."""
    lines = _fence_lines(text, start)
    count = 0
    for line_start, line_end in lines:
        opening = _OPEN.match(text, line_start, line_end)
        if opening is None:
            continue
        body, width, closed, end = line_end + 1, len(opening["fence"]), False, len(text)
        blank_to: int | None = body  # the body is whitespace up to here; None: it is not blank
        for inner_start, inner_end in lines:
            closing = _CLOSE.match(text, inner_start, inner_end)
            if closing is not None and len(closing["fence"]) >= width:
                closed, end = True, inner_start - 1
                break
            if blank_to is not None and _NON_SPACE.search(text, blank_to, inner_start) is not None:
                blank_to = None
            reopened = _OPEN.match(text, inner_start, inner_end)
            if reopened is not None and reopened["lang"] and blank_to is not None:
                # "```python\n```python\n..." (a repeated opener): the block starts at the second one.
                opening, width = reopened, len(reopened["fence"])
                body = blank_to = inner_end + 1
                continue
            blank_to = None  # this line, part of the body, holds ```
        yield _Block(opening["lang"], body, max(body, end), bool(opening["indent"]), closed, count)
        count += 1


def _dedent(code: str) -> str:
    """`textwrap.dedent`, without its list of every line's indent (memory per line): the margin
    is the first line's indent, shrunk at each later line that does not start with it; the search
    for such a line resumes where the last one was found, so the scan is linear."""
    code = _sub_lines(_WHITESPACE_LINE, code)
    first = _INDENT.search(code)
    if first is None:
        return code
    margin, pos = first[1], first.end()
    while margin:
        stray = re.compile(f"^(?!{margin})([ \t]*+)[^ \t\n]", re.MULTILINE).search(code, pos)
        if stray is None:
            break
        margin, pos = os.path.commonprefix([margin, stray[1]]), stray.end()
    return _sub_lines(re.compile(f"^{margin}", re.MULTILINE), code) if margin else code


def _sub_lines(pattern: re.Pattern[str], text: str) -> str:
    """pattern.sub("", text) for a pattern that never spans lines, a slice of lines at a time:
    re.sub keeps one piece per match until it joins them, which on a whole answer would cost
    memory per line."""
    parts, start = [], 0
    while start < len(text):
        cut = text.find("\n", start + _SLICE)
        stop = len(text) if cut < 0 else cut + 1
        parts.append(pattern.sub("", text[start:stop]))
        start = stop
    return "".join(parts)
