"""One process of the 1-vs-2-process training run of tests/test_train_distributed.py.

Run as ``python tests/train_dist_worker.py DATA_DIR RUN_DIR [fail]`` (one process) or under
``torchrun --nproc_per_node 2`` (gloo on CPU). The same recipe either way: a rollout round of 4
prompts x 4 responses, 2 optimizer updates per round, micro-batch 2 per process; the layout
derives the gradient accumulation (4 on one process, 2 on two). ``fail`` makes process 1's
grader fail on every batch: all processes must stop together with one message.

Generation is replaced (``GenerationMixin.generate``) because a random model cannot produce
the cases masking is about: a response's content is fixed by its problem k and its copy c
within the prompt's group, scenario ``(k + c) % 4``:

    0: correct code, then filler up to the cap  -> truncated, AC, not a loop  (maskable)
    1: prose without code up to the cap         -> truncated, NO_CODE          (maskable)
    2: wrong code, then EOS                     -> stopped, WA
    3: "ab" repeated up to the cap              -> truncated, NO_CODE, a loop

Everything else is real: TRL's sampler and data sharding, the grader, the mask draw, DDP.
Each process also writes RUN_DIR/generate_rank{R}.jsonl: per generate call, the world size, the
process-group backend and the (problem, copy) pairs it generated; RUN_DIR/layout_rank{R}.json:
the derived layout and the counts reached; RUN_DIR/error_rank{R}.txt: the error it stopped with.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

MAX_TOKENS = 64
WINDOW_M = 8
ROLLOUT_PROMPTS = 4
NUM_GENERATIONS = 4
UPDATES = 2
MICRO_BATCH = 2
ROLLOUTS = 2
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


def _fail_grading_here() -> None:
    """Every grading batch of this process fails, as a crashed sandbox pool would."""
    from concurrent.futures import Future

    import mceval.grader

    def submit(self, items, on_result=None):
        future = Future()
        future.set_exception(RuntimeError("sandbox pool crashed"))
        return future

    mceval.grader.Grader.submit = submit


def main(data_dir: str, run_dir: str, mode: str = "") -> None:
    import torch
    import transformers.generation.utils as generation_utils

    from mcgen.tiny_model import build_tiny_tokenizer
    from mctrain.config import CPU_SMOKE_ARGS, MicroCoderGRPOConfig
    from mctrain.reward import GradingFailed
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
    if mode == "fail" and rank == 1:
        _fail_grading_here()
    config = MicroCoderGRPOConfig(
        model_name_or_path="tiny-random",
        dataset=data_dir,
        output_dir=run_dir,
        **CPU_SMOKE_ARGS,
        rollout_prompts=ROLLOUT_PROMPTS,
        num_generations=NUM_GENERATIONS,
        updates_per_rollout=UPDATES,
        per_device_train_batch_size=MICRO_BATCH,
        max_completion_length=MAX_TOKENS,
        max_steps=ROLLOUTS,
        learning_rate=1e-3,
        temperature_schedule="1.0@0,1.2@1",
        truncation_masking="conditional",
        ctm_rho=RHO,
        ctm_window_m=WINDOW_M,
        grade_workers=1,
        grade_retries=1,
        seed=0,
    )
    layout = {"gradient_accumulation_steps": config.gradient_accumulation_steps,
              "steps_per_generation": config.steps_per_generation}
    try:
        result = run_training(config, resume=False, log_mask_decisions=True)
        layout.update(rollouts=result.global_step, optimizer_steps=result.optimizer_steps)
        (Path(run_dir) / f"layout_rank{rank}.json").write_text(json.dumps(layout))
    except GradingFailed as exc:
        (Path(run_dir) / f"error_rank{rank}.txt").write_text(str(exc))
        raise SystemExit(3)
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()  # else rank 1 aborts at exit


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main(*sys.argv[1:4])
