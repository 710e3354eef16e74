"""LiveCodeBench's chat prompt for code generation, reproduced exactly.

Why exactly: scores are only comparable with the public LiveCodeBench leaderboard if the
model sees the same text (lcb_runner `prompts/code_generation.py`, generic chat format).
The trainer builds its prompts with the same function, so train and eval prompts agree.
The prompts LiveCodeBench gives other model families are in `mcgen.prompt_styles`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from mccore.schema import Problem

SYSTEM_MESSAGE = (
    "You are an expert Python programmer. You will be given a question (problem specification) "
    "and will generate a correct Python program that matches the specification and passes all tests."
)

FORMAT_WITH_STARTER_CODE = (
    "You will use the following starter code to write the solution to the problem "
    "and enclose your code within delimiters."
)

FORMAT_WITHOUT_STARTER_CODE = (
    "Read the inputs from stdin solve the problem and write the answer to stdout "
    "(do not directly test on the sample inputs). Enclose your code within delimiters as follows. "
    "Ensure that when the python program runs, it reads the inputs, runs the algorithm and writes output to STDOUT."
)


def build_user_prompt(problem: Problem) -> str:
    """The user turn: question, format instruction with a fenced code skeleton, answer cue."""
    prompt = f"### Question:\n{problem.statement}\n\n"
    if problem.starter_code:
        prompt += f"### Format: {FORMAT_WITH_STARTER_CODE}\n"
        prompt += f"```python\n{problem.starter_code}\n```\n\n"
    else:
        prompt += f"### Format: {FORMAT_WITHOUT_STARTER_CODE}\n"
        prompt += "```python\n# YOUR CODE HERE\n```\n\n"
    prompt += "### Answer: (use the provided format with backticks)\n\n"
    return prompt


def build_chat_messages(problem: Problem) -> list[dict[str, str]]:
    """The LiveCodeBench chat prompt: a system message and one user message."""
    return [
        {"role": "system", "content": SYSTEM_MESSAGE},
        {"role": "user", "content": build_user_prompt(problem)},
    ]


def render_prompt(
    messages: Sequence[dict[str, Any]] | str, tokenizer, chat_template_kwargs: Mapping[str, Any] | None = None
) -> str:
    """The prompt text a local model sees: the tokenizer's chat template with the assistant
    turn opened. A template without a system role gets the system text prefixed to the user turn.
    A str is a finished prompt (a hand-built `mcgen.prompt_styles` text) and is returned as is.
    `chat_template_kwargs` go to the template (e.g. `enable_thinking=False` for Qwen3 hybrids)."""
    if isinstance(messages, str):
        return messages
    options = dict(chat_template_kwargs or {})
    messages = [dict(m) for m in messages]
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True, **options)
    except Exception as exc:  # jinja raises TemplateError for "system role not supported"
        if not messages or messages[0]["role"] != "system" or "system" not in str(exc).lower():
            raise
        system, rest = messages[0], messages[1:]
        rest[0] = {**rest[0], "content": system["content"] + "\n\n" + rest[0]["content"]}
        return tokenizer.apply_chat_template(rest, tokenize=False, add_generation_prompt=True, **options)
