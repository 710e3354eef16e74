"""One process of the 1-vs-2-process training run of tests/test_train_distributed.py.

Run as ``python tests/train_dist_worker.py DATA_DIR RUN_DIR`` (one process) or under
``torchrun --nproc_per_node 2`` (gloo on CPU). Same global batch either way: 8 responses per
process per optimizer step divided by the world size.

Generation is replaced (``GenerationMixin.generate``) because a random model cannot produce
the cases masking is about: a response's content is fixed by its problem k and its copy c
within the prompt's group, scenario ``(k + c) % 4``:

    0: correct code, then filler up to the cap  -> truncated, AC, not a loop  (maskable)
    1: prose without code up to the cap         -> truncated, NO_CODE          (maskable)
    2: wrong code, then EOS                     -> stopped, WA
    3: "ab" repeated up to the cap              -> truncated, NO_CODE, a loop

Everything else is real: TRL's sampler and data sharding, the grader, the mask draw, DDP.
Each process also writes RUN_DIR/generate_rank{R}.jsonl: per generate call, the world size, the
process-group backend and the (problem, copy) pairs it generated.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

MAX_TOKENS = 64
WINDOW_M = 8
GLOBAL_BATCH = 8
NUM_GENERATIONS = 4
MAX_STEPS = 4
RHO = 0.5


def scenario_text(k: int, c: int) -> tuple[str, bool]:
    """(text, ends_with_eos) of copy c of problem k's response."""
    s = (k + c) % 4
    if s == 0:
        filler = " ".join(str(i * i) for i in range(3, 60))
        return f"```python\nprint(int(input()) * {k + 2})\n```\n{filler}", False
    if s == 1:
        return "Let me think about the input format " + " ".join(str(7 * i) for i in range(40)), False
    if s == 2:
        return "```python\nprint(0)\n```", True
    return "ab" * MAX_TOKENS, False


def main(data_dir: str, run_dir: str) -> None:
    import torch
    import transformers.generation.utils as generation_utils

    from mceval.tiny_model import build_tiny_tokenizer
    from mctrain.config import CPU_SMOKE_ARGS, MicroCoderGRPOConfig
    from mctrain.train import run_training

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    tokenizer = build_tiny_tokenizer()
    record = Path(run_dir) / f"generate_rank{rank}.jsonl"
    record.parent.mkdir(parents=True, exist_ok=True)

    def fake_generate(self, input_ids=None, attention_mask=None, **kwargs):
        copies: dict[int, int] = {}
        rows, pairs = [], []
        for prompt in input_ids.tolist():
            k = int(re.search(r"PROBLEM-(\d+)", tokenizer.decode(prompt, skip_special_tokens=True)).group(1))
            c = copies.get(k, 0)
            copies[k] = c + 1
            text, eos = scenario_text(k, c)
            ids = tokenizer.encode(text, add_special_tokens=False)[:MAX_TOKENS]
            if eos:
                ids = ids[: MAX_TOKENS - 1] + [tokenizer.eos_token_id]
            rows.append(ids + [tokenizer.pad_token_id] * (MAX_TOKENS - len(ids)))
            pairs.append([k, c])
        dist = torch.distributed
        ddp = dist.is_available() and dist.is_initialized()
        line = {
            "world": dist.get_world_size() if ddp else 1,
            "backend": dist.get_backend() if ddp else None,
            "pairs": pairs,
        }
        with open(record, "a") as f:
            f.write(json.dumps(line) + "\n")
        completion = torch.tensor(rows, dtype=input_ids.dtype, device=input_ids.device)
        return torch.cat([input_ids, completion], dim=1)

    generation_utils.GenerationMixin.generate = fake_generate
    config = MicroCoderGRPOConfig(
        model_name_or_path="tiny-random",
        dataset=data_dir,
        output_dir=run_dir,
        **CPU_SMOKE_ARGS,
        per_device_train_batch_size=GLOBAL_BATCH // world,
        gradient_accumulation_steps=1,
        updates_per_generation=2,
        num_generations=NUM_GENERATIONS,
        max_completion_length=MAX_TOKENS,
        max_steps=MAX_STEPS,
        logging_steps=1,
        learning_rate=1e-3,
        temperature_schedule="1.0@0,1.2@2",
        truncation_masking="conditional",
        ctm_rho=RHO,
        ctm_window_m=WINDOW_M,
        grade_workers=1,
        seed=0,
    )
    try:
        run_training(config, resume=False, log_mask_decisions=True)
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()  # else rank 1 aborts at exit


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main(*sys.argv[1:3])
