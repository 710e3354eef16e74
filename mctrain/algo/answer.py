"""Did a response ever reach a complete final answer? Decided from its text, without running it.

Why: a truncated response's verdict otherwise depends on where the cut lands. Cut
mid-expression, the extracted code does not compile (CE, "unjudged", maskable); cut after a
complete line it may run and fail (WA, incorrect); cut inside a second draft, the extractor
grades the earlier complete draft instead. So a truncated response whose final answer is
unfinished is "unjudged" by structure, and is never run:

* it is still inside a ``<think>`` block (an opened tag with no closing tag after it);
* its answer (the text after the last ``</think>``, or all of it) has no code block at all;
* its last code fence was opened and never closed.

A response whose last code block is closed is complete, even if the cut landed in the prose
after it: that block is its answer and is graded normally.
"""

from __future__ import annotations

import re

UNJUDGED = "UNJUDGED"  # verdict of a truncated response whose final answer was never finished

_FENCE = re.compile(r"^[ \t]*```", re.MULTILINE)
_THINK_OPEN, _THINK_CLOSE = "<think>", "</think>"


def answer_unfinished(text: str) -> bool:
    """True when the final answer was never completed (see the module docstring).

    >>> answer_unfinished("```python\\nprint(1)\\n```\\nThe idea is"), answer_unfinished("```python\\nprint(1")
    (False, True)
    >>> answer_unfinished("<think>first I will"), answer_unfinished("Let me think about the input")
    (True, True)
    """
    opened, closed = text.rfind(_THINK_OPEN), text.rfind(_THINK_CLOSE)
    if opened > closed:
        return True
    answer = text[closed + len(_THINK_CLOSE) :] if closed >= 0 else text
    fences = len(_FENCE.findall(answer))
    return fences == 0 or fences % 2 == 1
