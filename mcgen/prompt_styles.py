"""The prompt LiveCodeBench gives each model family, reproduced text for text (`--prompt-style`).

Why: LiveCodeBench does not prompt every model alike (lcb_runner `prompts/code_generation.py` and
`lm_styles.py`, commit 28fef95), and a score is only comparable with its leaderboard when the model
saw the same text. A prompt is either chat messages (the model's chat template renders them) or a
finished text (LiveCodeBench writes the whole prompt itself, special tokens included, and no
template is applied):

  generic                system + user messages (LCB's OpenAIChat, LLaMa3, Mistral ... styles)
  codeqwen               hand-built ChatML text, "Question: ", no "### Answer" (Qwen2, 2.5, 3)
  qwq                    the same with QwQ's system message (QwQ-32B)
  deepseek-r1            hand-built text with R1's own preamble (DeepSeek-R1 and its distills)
  oai-reasoning          one user message asking for a `main()` (o1, o3, o4 with an effort level)
  oai-reasoning-preview  one user message, the generic question (o1-preview, o1-mini)
  gemini                 one user message with Gemini's system text (Gemini 1.5)
  base                   one-shot text for base models (LCB's GenericBase; the answer is the whole output)
  plain                  OURS, not LiveCodeBench's: one user message stating the I/O format plainly, for
                         small models that the LiveCodeBench texts confuse (benchmarks/bench_learning.py)

`auto` picks the style LiveCodeBench assigns to the model's name; names it does not list get `generic`.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal, Union

from mccore.schema import Problem
from mcgen.prompts import FORMAT_WITH_STARTER_CODE, FORMAT_WITHOUT_STARTER_CODE, SYSTEM_MESSAGE, build_user_prompt

Messages = list[dict[str, str]]
Prompt = Union[Messages, str]
PromptStyle = Literal[
    "generic", "codeqwen", "qwq", "deepseek-r1", "oai-reasoning", "oai-reasoning-preview", "gemini", "base", "plain"
]
LCB_STYLES: tuple[str, ...] = (  # reproduced from LiveCodeBench
    "generic", "codeqwen", "qwq", "deepseek-r1", "oai-reasoning", "oai-reasoning-preview", "gemini", "base"
)
PROMPT_STYLES: tuple[str, ...] = (*LCB_STYLES, "plain")
TEXT_STYLES = frozenset({"codeqwen", "qwq", "deepseek-r1", "base"})  # finished text: no chat template

# ---------------------------------------------------------------------------- LiveCodeBench's texts
SYSTEM_MESSAGE_GEMINI = (
    SYSTEM_MESSAGE + " Do NOT use system calls like `exit` in the generated program. "
    "Ensure that the first code block contains the solution."
)
CODEQWEN_SYSTEM = "You are a helpful assistant."
QWQ_SYSTEM = "You are a helpful and harmless assistant. You are Qwen developed by Alibaba. You should think step-by-step."
DEEPSEEK_R1_SYSTEM = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. "
    "The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, "
    "respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>."
)
_TASK = ("You will be given a question (problem specification) and will generate a correct Python program that "
         "matches the specification and passes all tests.")
_ONLY_PROGRAM = " You will NOT return anything except for the program."
FORMAT_MAIN_FUNCTION = (
    "Implement a function called `main()` which orchastrates the solution by reading inputs from stdin and writing "
    "the answer to stdout. Feel free to use additional functions as necessary. Next do NOT forget to call `main` "
    "function at the end of the program otherwise you will not be awarded any points."
)
_R1_BOS, _R1_USER, _R1_ASSISTANT = "<｜begin▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>"


def _code_skeleton(problem: Problem) -> str:
    return f"```python\n{problem.starter_code or '# YOUR CODE HERE'}\n```\n\n"


def _format_line(problem: Problem) -> str:
    return FORMAT_WITH_STARTER_CODE if problem.starter_code else FORMAT_WITHOUT_STARTER_CODE


def _chatml(system: str, problem: Problem, only_program: bool) -> str:
    """LCB's CodeQwen / QwQ text: ChatML written by hand (the system turn, a blank line, then the task)."""
    return (
        f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n\n"
        f"{_TASK}{_ONLY_PROGRAM if only_program else ''}\n\n"
        f"Question: {problem.statement}\n\n{_format_line(problem)}\n{_code_skeleton(problem)}"
        "<|im_end|>\n<|im_start|>assistant\n"
    )


def _deepseek_r1(system: str, problem: Problem) -> str:
    return (f"{_R1_BOS}{system}{_R1_USER}{_TASK}\n\nQuestion: {problem.statement}\n\n"
            f"{_format_line(problem)}\n{_code_skeleton(problem)}{_R1_ASSISTANT}")


def _oai_reasoning_question(problem: Problem) -> str:
    """The generic user prompt with the stdin format replaced by LCB's `main()` instruction."""
    if problem.starter_code:
        return build_user_prompt(problem)
    return (f"### Question:\n{problem.statement}\n\n### Format: {FORMAT_MAIN_FUNCTION}\n"
            "```python\n# YOUR CODE HERE\n```\n\n### Answer: (use the provided format with backticks)\n\n")


@lru_cache(maxsize=1)
def _few_shot() -> dict:
    return json.loads((Path(__file__).with_name("lcb_base_fewshot.json")).read_text(encoding="utf-8"))


def _base(problem: Problem) -> str:
    """LCB's GenericBase text: one solved example of the same kind, then the question, then "### Answer"."""
    example = _few_shot()["functional" if problem.starter_code else "stdin"]

    def block(question: str, starter: str, answer: str) -> str:
        text = f"### Question\n{question}\n\n"
        if problem.starter_code:  # LCB tests the asked problem, for the example too
            text += f"### Starter Code\n{starter}\n\n"
        return text + f"### Answer\n\n{answer}" + ("\n\n" if answer else "")

    return (block(example["question"], example.get("sample_code", ""), example["answer"])
            + block(problem.statement, problem.starter_code, ""))


PLAIN_STDIN = ("Write a Python 3 program that reads the input from standard input with input() (print no prompt "
               "text) and prints only the answer. Reply with one ```python code block and nothing else.")
PLAIN_FUNCTIONAL = "Complete this Python code. Reply with one ```python code block and nothing else."


def _plain(problem: Problem) -> str:
    """Our plain wording: the statement, then the I/O contract in one sentence (no LCB headings)."""
    if problem.starter_code:
        return f"{problem.statement.strip()}\n\n{PLAIN_FUNCTIONAL}\n```python\n{problem.starter_code}\n```"
    return f"{problem.statement.strip()}\n\n{PLAIN_STDIN}"


def _user_only(system: str, separator: str, question: str) -> Messages:
    return [{"role": "user", "content": f"{system}{separator}{question}" if system else question}]


def build_prompt(problem: Problem, style: str = "generic", system_prompt: str | None = None) -> Prompt:
    """The prompt LiveCodeBench gives `problem` under `style`. `system_prompt` replaces the style's
    system text ("" removes a chat system message); the base style has none."""
    if style not in PROMPT_STYLES:
        raise ValueError(f"--prompt-style must be auto or one of {', '.join(PROMPT_STYLES)}, got {style!r}")

    def system(default: str) -> str:
        return default if system_prompt is None else system_prompt

    if style == "generic":
        text = system(SYSTEM_MESSAGE)
        head = [{"role": "system", "content": text}] if text else []
        return head + [{"role": "user", "content": build_user_prompt(problem)}]
    if style == "oai-reasoning":
        return _user_only(system(SYSTEM_MESSAGE), "\n\n", _oai_reasoning_question(problem))
    if style == "oai-reasoning-preview":
        return _user_only(system(SYSTEM_MESSAGE), "\n\n", build_user_prompt(problem))
    if style == "gemini":
        return _user_only(system(SYSTEM_MESSAGE_GEMINI), "\n", build_user_prompt(problem))
    if style == "codeqwen":
        return _chatml(system(CODEQWEN_SYSTEM), problem, only_program=True)
    if style == "qwq":
        return _chatml(system(QWQ_SYSTEM), problem, only_program=False)
    if style == "deepseek-r1":
        return _deepseek_r1(system(DEEPSEEK_R1_SYSTEM), problem)
    if style == "plain":
        return _user_only(system(""), "\n\n", _plain(problem))
    if system_prompt is not None:
        raise ValueError("--system-prompt does not apply to --prompt-style base (a one-shot text without a system turn)")
    return _base(problem)


# ---------------------------------------------------------------------------- auto
_QWEN = re.compile(r"^qwen(2|2\.5)-.*instruct|^qwen3-(?!.*base)")
_OAI_PREVIEW = re.compile(r"^o1-(preview|mini)")
_OAI_REASONING = re.compile(r"^o[134](-|_|$)")


def resolve_prompt_style(requested: str, model: str | None) -> tuple[str, str]:
    """(style, why): `auto` maps the model's name (its last path part) to the style LiveCodeBench's
    `lm_styles.py` gives that family; any other value is checked and returned."""
    if requested != "auto":
        if requested not in PROMPT_STYLES:
            raise ValueError(f"--prompt-style must be auto or one of {', '.join(PROMPT_STYLES)}, got {requested!r}")
        return requested, "--prompt-style"
    name = (model or "").rstrip("/").rsplit("/", 1)[-1].lower()
    if "deepseek-r1" in name:
        return "deepseek-r1", "auto: LiveCodeBench prompts DeepSeek-R1 and its distills with its DeepSeekR1 style"
    if "qwq" in name:
        return "qwq", "auto: LiveCodeBench prompts QwQ with its QwQ style"
    if _QWEN.search(name):
        return "codeqwen", "auto: LiveCodeBench prompts Qwen2/2.5/3 instruct models with its CodeQwenInstruct style"
    if _OAI_PREVIEW.search(name):
        return "oai-reasoning-preview", "auto: LiveCodeBench prompts o1-preview/o1-mini with its OpenAIReasonPreview style"
    if _OAI_REASONING.search(name):
        return "oai-reasoning", "auto: LiveCodeBench prompts OpenAI reasoning models with its OpenAIReason style"
    if name.startswith("gemini-1.5"):
        return "gemini", "auto: LiveCodeBench prompts Gemini 1.5 with its Gemini style"
    if name.endswith(("-base", "_base")):
        return "base", "auto: LiveCodeBench prompts base models with its GenericBase style"
    return "generic", "auto: LiveCodeBench's generic chat prompt (no family-specific style for this name)"


def is_text_prompt(prompt: Prompt) -> bool:
    """A finished text (sent as is) rather than chat messages (rendered by the chat template)."""
    return isinstance(prompt, str)
