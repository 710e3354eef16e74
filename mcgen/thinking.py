"""`<think>` blocks: whether a prompt opens one, and whether an answer was cut off inside one.

Why: a reasoning model that spends its whole token budget thinking never writes its answer; the
share of such responses says whether `--max-tokens` is too small for the model, which a pass@1
alone cannot tell. Thinking is seen in three ways: the response holds the tags, the prompt itself
opened the block (thinking chat templates end with `<think>`), or the server returned the thinking
apart from the answer (vLLM's reasoning parser). A server that strips the tags without returning
the thinking leaves nothing to count; such responses are not counted.
"""

from __future__ import annotations

from typing import Any, Iterable

from mcgen.types import Completion

OPEN, CLOSE = "<think>", "</think>"


def prompt_opens_thinking(prompt_text: str) -> bool:
    """The rendered prompt ends inside a `<think>` block, so the response starts in it."""
    return prompt_text.rfind(OPEN) > prompt_text.rfind(CLOSE)


def thinks(completion: Completion) -> bool:
    """The response thought (or started to)."""
    return (completion.reasoning is not None or completion.thinking_prefilled
            or OPEN in completion.text or CLOSE in completion.text)


def cut_off_in_thinking(completion: Completion) -> bool:
    """The response hit the token budget before closing its thinking, i.e. before any answer."""
    if completion.finish_reason != "length":
        return False
    if completion.reasoning is not None and not completion.text.strip():
        return True
    opened, closed = completion.text.rfind(OPEN), completion.text.rfind(CLOSE)
    return opened > closed or (completion.thinking_prefilled and closed < 0)


def thinking_stats(completions: Iterable[Completion | None]) -> dict[str, Any]:
    """Counts for summary.json: responses that thought, and those cut off while thinking."""
    known = [c for c in completions if c is not None]
    thinking = [c for c in known if thinks(c)]
    cut = sum(cut_off_in_thinking(c) for c in thinking)
    return {
        "responses_with_thinking": len(thinking),
        "cut_off_in_thinking": cut,
        "cut_off_in_thinking_rate": cut / len(known) if known else None,
    }
