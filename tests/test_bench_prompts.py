"""The prompts LiveCodeBench gives each model family (`--prompt-style`), byte for byte.

The digests below were computed by running LiveCodeBench's own `format_prompt_generation`
(lcb_runner/prompts/code_generation.py at commit 28fef95) on the 880 release_v5 problems of the
official O1-Mini eval_all file, one digest per style over every problem's prompt; our builder must
give the same bytes (Gemini's prompt, a plain string in LiveCodeBench, is one user message here).
The full texts of two small problems are spelled out as well, so a change shows what moved.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import read_json

from mccore.schema import Problem, TestCase
from mcgen.prompt_styles import LCB_STYLES, PROMPT_STYLES, TEXT_STYLES, build_prompt, resolve_prompt_style
from mcgen.prompts import SYSTEM_MESSAGE, build_chat_messages, render_prompt
from mcgen.tiny_model import build_tiny_tokenizer

LCB_DIGESTS = {
    "generic": "9bce02f3738086ebd74afc5b0be9a5baf6ed8687c5828ff5f3733c1adcb2579a",
    "codeqwen": "2548a46036a1d213caafa1f63d4694b62ade66c1863b7728bdd413205acc5d54",
    "qwq": "ab292b37643924e95ef739864a3cc77c4df94cac1718cbb00638be70e041bde7",
    "deepseek-r1": "ab49436e21ed0a60994a99a21ecd3694605a89857c9f45c34114b9338e7b0b72",
    "oai-reasoning": "9a235b93d4b280b909b6a01df839cc118cbdffefb067ccd7156a92be1f4d2042",
    "oai-reasoning-preview": "3f4a5fe615669d0da3ebf80bcf5ab74207213e70490e93778b6d03e911ee13ab",
    "gemini": "c36b999c09dee66675d62ad938338edfac078954c6a9d3e58a1784fa6fde8908",
    "base": "6ab114271e91a43e0c3b192271578189822c7e79f414f98057db0ab528143f2f",
}
STDIN = Problem(problem_id="abc1_a", source="lcb", statement="Print A+B.", tests=(TestCase("1 2\n", "3\n"),))
FUNCTIONAL = Problem(problem_id="1", source="lcb", statement="Add.", tests=(TestCase("1\n2", "3", "functional"),),
                     starter_code="class Solution:\n    def add(self, a: int, b: int) -> int:\n        ", func_name="add")
STDIN_FORMAT = ("Read the inputs from stdin solve the problem and write the answer to stdout (do not directly test on "
                "the sample inputs). Enclose your code within delimiters as follows. Ensure that when the python "
                "program runs, it reads the inputs, runs the algorithm and writes output to STDOUT.")


def test_every_style_matches_livecodebench_on_880_problems(real_data: Path) -> None:
    rows = read_json(real_data / "lcb_submissions" / "O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz")
    assert len(rows) == 880 and set(LCB_DIGESTS) == set(LCB_STYLES)
    for style, expected in LCB_DIGESTS.items():
        digest = hashlib.sha256()
        for row in rows:
            problem = Problem(problem_id=row["question_id"], source="lcb", statement=row["question_content"],
                              tests=(TestCase("1", "1"),), starter_code=row["starter_code"])
            digest.update(json.dumps(build_prompt(problem, style), ensure_ascii=False).encode())
            digest.update(b"\0")
        assert digest.hexdigest() == expected, style


def test_generic_style_is_the_trainers_chat_prompt() -> None:
    assert build_prompt(STDIN, "generic") == build_chat_messages(STDIN)
    assert build_prompt(FUNCTIONAL, "generic") == build_chat_messages(FUNCTIONAL)


def test_hand_built_texts_in_full() -> None:
    assert build_prompt(STDIN, "codeqwen") == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n\n"
        "You will be given a question (problem specification) and will generate a correct Python program that "
        "matches the specification and passes all tests. You will NOT return anything except for the program.\n\n"
        f"Question: Print A+B.\n\n{STDIN_FORMAT}\n```python\n# YOUR CODE HERE\n```\n\n<|im_end|>\n<|im_start|>assistant\n"
    )
    r1 = build_prompt(FUNCTIONAL, "deepseek-r1")
    assert r1.startswith("<｜begin▁of▁sentence｜>A conversation between User and Assistant.")
    assert r1.endswith(
        "<｜User｜>You will be given a question (problem specification) and will generate a correct Python program "
        "that matches the specification and passes all tests.\n\nQuestion: Add.\n\nYou will use the following "
        "starter code to write the solution to the problem and enclose your code within delimiters.\n```python\n"
        + FUNCTIONAL.starter_code + "\n```\n\n<｜Assistant｜>"
    )
    [oai] = build_prompt(STDIN, "oai-reasoning")
    assert oai["role"] == "user" and oai["content"].startswith(SYSTEM_MESSAGE + "\n\n### Question:\nPrint A+B.\n\n")
    assert "### Format: Implement a function called `main()`" in oai["content"]
    [oai] = build_prompt(FUNCTIONAL, "oai-reasoning")  # with starter code LCB keeps the generic format line
    assert oai["content"] == SYSTEM_MESSAGE + "\n\n" + build_chat_messages(FUNCTIONAL)[1]["content"]
    [gemini] = build_prompt(STDIN, "gemini")
    assert gemini["content"].startswith(SYSTEM_MESSAGE + " Do NOT use system calls like `exit`")
    base = build_prompt(FUNCTIONAL, "base")
    assert base.startswith("### Question\nYou are given a 0-indexed array of positive integers nums.")
    assert base.endswith("### Question\nAdd.\n\n### Starter Code\n" + FUNCTIONAL.starter_code + "\n\n### Answer\n\n")
    assert {s for s in PROMPT_STYLES if isinstance(build_prompt(STDIN, s), str)} == TEXT_STYLES


def test_system_prompt_replaces_each_styles_system_text() -> None:
    assert build_prompt(STDIN, "generic", "Be brief.")[0] == {"role": "system", "content": "Be brief."}
    assert [m["role"] for m in build_prompt(STDIN, "generic", "")] == ["user"]
    assert build_prompt(STDIN, "codeqwen", "Be brief.").startswith("<|im_start|>system\nBe brief.<|im_end|>\n")
    assert build_prompt(STDIN, "deepseek-r1", "Be brief.").startswith("<｜begin▁of▁sentence｜>Be brief.<｜User｜>")
    assert build_prompt(STDIN, "oai-reasoning", "Be brief.")[0]["content"].startswith("Be brief.\n\n### Question:")
    with pytest.raises(ValueError, match="--system-prompt does not apply to --prompt-style base"):
        build_prompt(STDIN, "base", "Be brief.")
    with pytest.raises(ValueError, match="--prompt-style must be"):
        build_prompt(STDIN, "llama")


@pytest.mark.parametrize("model, style", [
    ("Qwen/Qwen2.5-Coder-7B-Instruct", "codeqwen"),
    ("Qwen/Qwen2-72B-Instruct", "codeqwen"),
    ("/ckpt/Qwen3-4B-Instruct-2507", "codeqwen"),
    ("Qwen/Qwen3-235B-A22B", "codeqwen"),
    ("Qwen/Qwen3-4B-Base", "base"),
    ("Qwen/Qwen2.5-7B", "generic"),
    ("Qwen/QwQ-32B", "qwq"),
    ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "deepseek-r1"),
    ("deepseek-reasoner", "generic"),
    ("o3-mini-2025-01-31__high", "oai-reasoning"),
    ("o4-mini__low", "oai-reasoning"),
    ("o1-preview-2024-09-12", "oai-reasoning-preview"),
    ("o1-mini-2024-09-12", "oai-reasoning-preview"),
    ("gemini-1.5-pro-002", "gemini"),
    ("deepseek-ai/deepseek-coder-6.7b-base", "base"),
    ("meta-llama/Llama-3.1-8B-Instruct", "generic"),
    ("tiny-random", "generic"),
    (None, "generic"),
])
def test_auto_follows_livecodebenchs_model_list(model, style) -> None:
    assert resolve_prompt_style("auto", model)[0] == style
    assert resolve_prompt_style("generic", model) == ("generic", "--prompt-style")


THINKING_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "<|im_start|>assistant\n{% if enable_thinking is defined and not enable_thinking %}"
    "<think>\n\n</think>\n\n{% else %}<think>\n{% endif %}"
)


def test_chat_template_options_reach_the_template() -> None:
    tokenizer = build_tiny_tokenizer()
    tokenizer.chat_template = THINKING_TEMPLATE
    messages = build_chat_messages(STDIN)
    assert render_prompt(messages, tokenizer).endswith("<|im_start|>assistant\n<think>\n")
    assert render_prompt(messages, tokenizer, {"enable_thinking": False}).endswith("<think>\n\n</think>\n\n")
    text = build_prompt(STDIN, "codeqwen")
    assert render_prompt(text, tokenizer, {"enable_thinking": False}) == text  # a finished text is never templated

