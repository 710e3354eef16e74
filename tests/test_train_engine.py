"""What a run needs from the engine, checked at start (mctrain.engine): vLLM's context, master weights."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from mccore.schema import Problem, TestCase
from mcgen.prompts import build_chat_messages, render_prompt
from mcgen.tiny_model import build_tiny_model, build_tiny_tokenizer
from mctrain.config import MicroCoderGRPOConfig
from mctrain.engine import check_master_weights, longest_prompt_tokens, vllm_context_length

CPU = dict(use_cpu=True, bf16=False, output_dir="unused")


def _problem(words: int) -> Problem:
    return Problem(problem_id=f"p{words}", source="unit", statement="word " * words, tests=(TestCase("1\n", "1\n"),))


def test_vllm_context_is_the_longest_prompt_plus_the_longest_generation():
    """Without it vLLM reserves Qwen3-4B's native 262,144-token context and refuses to start at 0.3 memory."""
    tokenizer = build_tiny_tokenizer()
    prompts = [build_chat_messages(_problem(n)) for n in (10, 300, 40)]
    longest = len(tokenizer(render_prompt(prompts[1], tokenizer), add_special_tokens=False)["input_ids"])
    assert longest_prompt_tokens(tokenizer, prompts) == longest > 1500  # byte-level: one token per byte
    cfg = MicroCoderGRPOConfig(**CPU, max_completion_length=4096)
    assert vllm_context_length(cfg, tokenizer, prompts) == -(-(longest + 4096) // 256) * 256
    staged = MicroCoderGRPOConfig(**CPU, max_completion_length_schedule="4096@0,8192@260")
    assert vllm_context_length(staged, tokenizer, prompts) >= longest + 8192  # the longest stage
    evaluated = MicroCoderGRPOConfig(**CPU, lcb_eval_every=20, lcb_eval_max_tokens=[4096, 16384])
    assert vllm_context_length(evaluated, tokenizer, prompts) >= longest + 16384  # the 16K evaluation too
    fixed = MicroCoderGRPOConfig(**CPU, vllm_max_model_length=longest + 4096)
    assert vllm_context_length(fixed, tokenizer, prompts) == longest + 4096  # a recipe value is kept...
    short = MicroCoderGRPOConfig(**CPU, vllm_max_model_length=4096)
    with pytest.raises(ValueError, match=r"vllm_max_model_length=4096 is shorter than .*\(\d+ tokens\)"):
        vllm_context_length(short, tokenizer, prompts)  # ...and refused when too short, before vLLM starts


def test_half_precision_weights_are_refused_unless_deepspeed_keeps_masters():
    from accelerate.utils import DistributedType

    model, _ = build_tiny_model()
    check_master_weights(model, SimpleNamespace(distributed_type=DistributedType.MULTI_GPU))  # fp32: fine
    model.to(torch.bfloat16)
    for kind in (DistributedType.NO, DistributedType.MULTI_GPU, DistributedType.FSDP):
        with pytest.raises(ValueError, match="torch.bfloat16"):
            check_master_weights(model, SimpleNamespace(distributed_type=kind))
    check_master_weights(model, SimpleNamespace(distributed_type=DistributedType.DEEPSPEED))  # fp32 masters inside
