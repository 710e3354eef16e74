"""Periodic held-out evaluation during training, through the benchmark's own code.

Every `heldout_eval_steps` optimizer steps, the policy being trained samples answers to a few
held-out problems with the benchmark's `hf` backend (`mceval.bench.backends`, same LiveCodeBench
prompt, same sampling config type), the answers are graded by the run's grader, and pass@1 is
added to that step's metrics.jsonl row (`heldout_pass_at_1`) and to RUN_DIR/heldout_eval.jsonl.

Kept small on purpose: it runs on the main process with the unwrapped model, so it suits
replicated (DDP) or ZeRO-1/2 training; under ZeRO-3 / FSDP evaluate saved checkpoints with
`microcoder eval --bench` instead. Other ranks simply wait for the next collective.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Sequence

from transformers import TrainerCallback

from mcdata.schema import Problem

HELDOUT_FILE = "heldout_eval.jsonl"


class HeldOutEvalCallback(TrainerCallback):
    """Evaluate pass@1 on held-out problems every `every` steps (main process only)."""

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        every: int,
        reward: Any,
        tokenizer: Any,
        sampling: Any,
        run_dir: str | Path,
        metrics: Any = None,
    ) -> None:
        if every < 1:
            raise ValueError(f"heldout_eval_steps must be >= 1, got {every}")
        self.problems = list(problems)
        self.every = every
        self.reward = reward
        self.tokenizer = tokenizer
        self.sampling = sampling
        self.path = Path(run_dir) / HELDOUT_FILE
        self.metrics = metrics

    @classmethod
    def from_config(cls, config: Any, *, reward: Any, tokenizer: Any, metrics: Any = None) -> "HeldOutEvalCallback":
        """Held-out problems: split `heldout_eval_split` of the training dataset, first `heldout_eval_problems`."""
        from mceval.bench.types import SamplingConfig
        from mctrain.data import load_problems

        problems = load_problems(config.dataset, config.heldout_eval_split, limit=config.heldout_eval_problems)
        sampling = SamplingConfig(
            n=config.heldout_eval_n,
            temperature=config.heldout_eval_temperature,
            max_tokens=config.heldout_eval_max_tokens or config.max_completion_length,
            seed=config.seed,
        )
        return cls(
            problems, every=config.heldout_eval_steps, reward=reward, tokenizer=tokenizer, sampling=sampling,
            run_dir=config.output_dir, metrics=metrics,
        )

    def evaluate(self, model: Any) -> dict[str, Any]:
        """Sample, grade, and summarise; the model is left in the mode it was in."""
        from mceval.bench.backends import make_backend
        from mceval.extract import extract_code
        from mceval.prompts import build_chat_messages

        start = time.perf_counter()
        was_training = model.training
        model.eval()
        try:
            backend = make_backend("hf", model=model, tokenizer=self.tokenizer)
            prompts = [build_chat_messages(p) for p in self.problems]
            samples = dict(backend.iter_generate(prompts, self.sampling))
        finally:
            model.train(was_training)
        items = [
            (problem, extract_code(c.text, self.reward.extract_mode))
            for i, problem in enumerate(self.problems)
            for c in samples[i]
        ]
        results = self.reward.grader().grade(items)
        n = self.sampling.n
        per_problem = [sum(r.passed for r in results[i * n : (i + 1) * n]) / n for i in range(len(self.problems))]
        flat = [c for i in range(len(self.problems)) for c in samples[i]]
        return {
            "heldout_pass_at_1": sum(per_problem) / len(per_problem),
            "heldout_response_length_mean": sum(c.num_tokens for c in flat) / len(flat),
            "heldout_truncation_rate": sum(c.finish_reason == "length" for c in flat) / len(flat),
            "heldout_eval_time_s": time.perf_counter() - start,
        }

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step % self.every or not state.is_world_process_zero or model is None:
            return
        unwrapped = getattr(model, "module", model)
        summary = self.evaluate(unwrapped)
        row = {"step": state.global_step, "num_problems": len(self.problems), "n": self.sampling.n, **summary}
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if self.metrics is not None:
            self.metrics.add_extra(state.global_step, summary)
