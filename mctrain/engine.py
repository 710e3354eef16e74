"""What a run needs from the distributed engine, checked before the first rollout is wasted.

* Master weights: AdamW at lr 1e-6 on bf16 weights rounds nearly every update away (a bf16
  weight of 0.02 moves only by steps of ~1e-4), so the policy is loaded in float32 and bf16 is
  compute only (autocast, or DeepSpeed's bf16 mode, which keeps fp32 masters in its
  optimizer). `check_master_weights` refuses half-precision trainable weights anywhere else.
* Loadable saves: `RUN_DIR/final` and the snapshots must load with `from_pretrained`, vLLM and
  `microcoder eval`; FSDP's SHARDED_STATE_DICT and ZeRO-3 without 16-bit gathering write
  shards only, so `check_loadable_saves` refuses them at start.
* vLLM context: without `vllm_max_model_length` vLLM reserves the model's native context
  (262,144 tokens for Qwen3-4B-2507: ~36 GiB of KV cache for one sequence) and refuses to
  start at 0.3 memory utilisation; `vllm_context_length` derives it from the data.
* Grader size: one sandbox per core per process oversubscribes a node 8x under 8 processes;
  `grader_workers_per_process` splits the node's cores between its training processes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from typing import Any

from mceval.workers import default_workers
from mcgen.prompts import render_prompt

CONTEXT_ROUNDING = 256  # vLLM context rounded up to a multiple of this many tokens


def grader_workers_per_process(local_processes: int | None = None) -> int:
    """Usable physical cores of this process divided among the training processes on this node (at least 1)."""
    cores = default_workers()
    if local_processes is None:
        local_processes = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return max(1, cores // max(1, local_processes))


def check_master_weights(model: Any, accelerator: Any) -> None:
    """Refuse half-precision trainable weights unless DeepSpeed keeps fp32 master copies of them."""
    import torch
    from accelerate.utils import DistributedType

    if accelerator.distributed_type == DistributedType.DEEPSPEED:
        return
    half = sorted({str(p.dtype) for p in model.parameters() if p.requires_grad and p.dtype in (torch.bfloat16, torch.float16)})
    if half:
        raise ValueError(
            f"the policy's trainable weights are {', '.join(half)} and no engine keeps fp32 master weights here "
            f"({accelerator.distributed_type.value}): AdamW at a small learning rate rounds most updates away. Load "
            "the model in float32 (bf16=true still computes in bf16), or train under DeepSpeed (configs/accelerate/zero2.yaml)"
        )


def check_loadable_saves(accelerator: Any) -> None:
    """Refuse engine settings whose saved models `from_pretrained` / vLLM / `microcoder eval` cannot load."""
    state = accelerator.state
    fsdp = getattr(state, "fsdp_plugin", None)
    if fsdp is not None and "FULL_STATE_DICT" not in str(fsdp.state_dict_type):
        raise ValueError(
            f"fsdp_state_dict_type {fsdp.state_dict_type} saves shards that transformers, vLLM and `microcoder eval` "
            "cannot load: set fsdp_state_dict_type: FULL_STATE_DICT (configs/accelerate/fsdp2.yaml)"
        )
    deepspeed = getattr(state, "deepspeed_plugin", None)
    if deepspeed is not None and deepspeed.zero_stage == 3:
        zero = deepspeed.deepspeed_config.get("zero_optimization", {})
        if not zero.get("stage3_gather_16bit_weights_on_model_save", False):
            raise ValueError(
                "ZeRO-3 without zero3_save_16bit_model saves only partitioned weights that transformers, vLLM and "
                "`microcoder eval` cannot load: set zero3_save_16bit_model: true (configs/accelerate/zero3.yaml)"
            )


def longest_prompt_tokens(tokenizer: Any, prompts: Iterable[Sequence[dict]]) -> int:
    """Tokens in the longest chat prompt, rendered with the tokenizer's template (assistant turn opened)."""

    texts = [render_prompt(messages, tokenizer) for messages in prompts]
    if not texts:
        return 0
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"]
    return max(len(ids) for ids in encoded)


def vllm_context_length(config: Any, tokenizer: Any, prompts: Iterable[Sequence[dict]]) -> int:
    """vLLM's max model length for this run: the longest prompt plus the longest generation it will ask for.

    The longest generation is the largest of L_max over its schedule and the evaluation lengths.
    A context set in the recipe is checked instead of derived.
    """
    generation = int(config.lengths().maximum)
    if getattr(config, "lcb_eval_every", 0):
        generation = max([generation, *(int(t) for t in config.lcb_eval_max_tokens or ())])
    needed = longest_prompt_tokens(tokenizer, prompts) + generation
    if config.vllm_max_model_length is not None:
        if config.vllm_max_model_length < needed:
            raise ValueError(
                f"vllm_max_model_length={config.vllm_max_model_length} is shorter than the longest prompt plus the "
                f"longest generation ({needed} tokens): raise it or leave it unset to derive it"
            )
        return int(config.vllm_max_model_length)
    return int(math.ceil(needed / CONTEXT_ROUNDING) * CONTEXT_ROUNDING)
