"""Responses that hit the token budget: what they are graded on (`--truncation-policy`) and how
many were cut off while still thinking (summary.json `responses.thinking`)."""

from __future__ import annotations

import pytest

from mceval.bench.truncation import ends_inside_code_block, graded_code
from mcgen.thinking import cut_off_in_thinking, prompt_opens_thinking, thinking_stats
from mcgen.types import Completion

DRAFT = "First try:\n```python\nprint(1)\n```\nBetter:\n```python\nprint(2"  # cut inside the final block
DONE = "```python\nprint(2)\n```\nThat's it, and the explanation goes on and on"


def test_ends_inside_code_block():
    assert ends_inside_code_block(DRAFT)
    assert not ends_inside_code_block(DONE)
    assert ends_inside_code_block("```python\n```python\nx = 1\n")  # a repeated opener keeps the block open
    assert not ends_inside_code_block("````\n```\nstill inside\n````\n")  # a shorter fence does not close
    assert not ends_inside_code_block("no code at all")


@pytest.mark.parametrize("policy, draft_code, done_code", [
    ("cut-answer-fails", None, "print(2)"),
    ("earlier-draft", "print(1)", "print(2)"),
    ("truncated-fails", None, None),
])
def test_policies_on_truncated_answers(policy, draft_code, done_code):
    cut = Completion(DRAFT, 100, "length")
    assert graded_code(DRAFT, cut, "robust", policy) == draft_code
    assert graded_code(DONE, Completion(DONE, 100, "length"), "robust", policy) == done_code
    # finished answers, answers from a generations file (no finish reason) and LCB's extraction are untouched
    assert graded_code(DRAFT, Completion(DRAFT, 100, "stop"), "robust", policy) == "print(1)"
    assert graded_code(DRAFT, None, "robust", policy) == "print(1)"
    assert graded_code(DRAFT, cut, "lcb", policy) == "Better:"


def test_cut_inside_thinking_gets_no_code():
    thinking = "<think>\nMaybe:\n```python\nprint(0)\n```\nor rather"
    assert graded_code(thinking, Completion(thinking, 50, "length"), "robust", "cut-answer-fails") is None
    assert graded_code(thinking, Completion(thinking, 50, "length"), "robust", "earlier-draft") == "print(0)"
    prefilled = "Maybe:\n```python\nprint(0)\n```\nor rather"  # the chat template opened <think>
    assert graded_code(prefilled, Completion(prefilled, 50, "length", thinking_prefilled=True), "robust") is None


def test_thinking_counts():
    completions = [
        Completion("<think>long thought", 10, "length"),                       # cut inside the tags
        Completion("thought</think>```python\nx\n```", 10, "length"),          # answered, then cut
        Completion("still thinking", 10, "length", thinking_prefilled=True),  # the prompt opened <think>
        Completion("", 10, "length", reasoning="server-side thought"),         # vLLM reasoning parser
        Completion("<think>t</think>answer", 5, "stop"),
        Completion("plain answer", 10, "length"),
        None,                                                                  # read from a generations file
    ]
    assert [cut_off_in_thinking(c) for c in completions[:-1]] == [True, False, True, True, False, False]
    assert thinking_stats(completions) == {"responses_with_thinking": 5, "cut_off_in_thinking": 3,
                                           "cut_off_in_thinking_rate": 0.5}
    assert thinking_stats([None]) == {"responses_with_thinking": 0, "cut_off_in_thinking": 0,
                                      "cut_off_in_thinking_rate": None}
    assert prompt_opens_thinking("<|im_start|>assistant\n<think>\n")
    assert not prompt_opens_thinking("<|im_start|>assistant\n<think>\n\n</think>\n\n")
