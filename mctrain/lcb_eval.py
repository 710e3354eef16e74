"""LiveCodeBench accuracy during training: the paper's curves (LCB v6 pass@1 against rollout round).

Every `lcb_eval_every` rollouts (and before the first one), every process samples its share of
the LiveCodeBench problems with the trainer's own rollout engine (`GRPOTrainer._generate`: vLLM
colocated or server when the run uses it, else HF generate with TRL's ZeRO-3 / FSDP parameter
gathering), at each evaluation length (e.g. 4K and 8K), with the evaluation sampling settings
(LiveCodeBench's T=0.2, top_p=0.95) applied to the sampler only. Each process grades its share
with the run's grader; the results are gathered, and the main process writes one row per length
to RUN_DIR/eval_lcb.jsonl and adds ``eval_lcb_<tokens>_pass_at_1`` (and lengths, truncation) to
that round's metrics.jsonl row, so `microcoder train plot` draws them beside the training curves.

Prompts are LiveCodeBench's (`mcgen.prompts.build_chat_messages`, the same as
`microcoder eval --bench`); extraction is the run's `extract_mode`.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mccore.schema import Problem
from mceval.bench.lcb_data import load_lcb_benchmark
from mcgen.extract import extract_code
from mcgen.prompts import build_chat_messages

EVAL_FILE = "eval_lcb.jsonl"


def load_eval_problems(config: Any) -> list[Problem]:
    """The LiveCodeBench problems of the run's evaluation settings (local folder or the Hub's files)."""

    problems = load_lcb_benchmark(
        config.lcb_eval_version,
        dataset_path=config.lcb_eval_dataset,
        start_date=config.lcb_eval_start_date,
        end_date=config.lcb_eval_end_date,
    )
    if config.lcb_eval_max_problems is not None:
        problems = problems[: config.lcb_eval_max_problems]
    if not problems:
        raise ValueError(f"LiveCodeBench {config.lcb_eval_version}: no problems left after the date filters")
    return problems


def metric_prefix(max_tokens: int) -> str:
    return f"eval_lcb_{max_tokens}"


class LiveCodeBenchEval:
    """Runs the evaluation on every process of a `MicroCoderGRPOTrainer`; results on the main process."""

    def __init__(
        self, trainer: Any, problems: Sequence[Problem], *, lengths: Sequence[int], n: int, temperature: float,
        top_p: float, run_dir: str | Path,
    ) -> None:
        self.trainer = trainer
        self.problems = list(problems)
        self.lengths = [int(t) for t in lengths]
        self.n = n
        self.temperature = temperature
        self.top_p = top_p
        self.path = Path(run_dir) / EVAL_FILE

    def _shard(self) -> list[int]:
        """This process's problem indices; the list is padded by repeating the last problem so shards are equal."""
        world, rank = self.trainer.accelerator.num_processes, self.trainer.accelerator.process_index
        per = -(-len(self.problems) // world)
        padded = list(range(len(self.problems))) + [len(self.problems) - 1] * (per * world - len(self.problems))
        return padded[rank * per : (rank + 1) * per]

    def _sample_and_grade(self, shard: list[int], max_tokens: int) -> list[tuple[int, bool, int, bool]]:
        """(problem, passed, tokens, truncated) per sample of this shard."""
        from mctrain.reward import completion_text

        trainer = self.trainer
        prompts = [build_chat_messages(self.problems[i]) for i in shard for _ in range(self.n)]
        with trainer.evaluation_sampling(self.temperature, self.top_p, max_tokens, self.n):
            _, completion_ids, _, completions, *_ = trainer._generate(prompts)
        stop = {*trainer.eos_token_ids, trainer._tokenizer.pad_token_id}
        owners = [i for i in shard for _ in range(self.n)]
        items = [
            (self.problems[i], extract_code(completion_text(c), trainer.code_reward.extract_mode))
            for i, c in zip(owners, completions)
        ]
        results = trainer.code_reward.grade_programs(items)
        return [
            (i, r.passed, len(ids), len(ids) >= max_tokens and int(ids[-1]) not in stop)
            for i, r, ids in zip(owners, results, completion_ids)
        ]

    def summarise(self, samples: Sequence[tuple[int, bool, int, bool]], max_tokens: int) -> dict[str, Any]:
        """pass@1 (mean over problems of the share of passing samples), lengths, truncation, by difficulty."""
        kept = list(samples)[: len(self.problems) * self.n]  # the padding (repeats of the last problem) is last
        per_problem: dict[int, list[bool]] = defaultdict(list)
        for problem, passed, _, _ in kept:
            per_problem[problem].append(passed)
        score = {p: sum(v) / len(v) for p, v in per_problem.items()}
        by_difficulty: dict[str, list[float]] = defaultdict(list)
        for p, value in score.items():
            by_difficulty[str(self.problems[p].difficulty or "unknown")].append(value)
        prefix = metric_prefix(max_tokens)
        return {
            f"{prefix}_pass_at_1": sum(score.values()) / len(score),
            f"{prefix}_response_length_mean": sum(s[2] for s in kept) / len(kept),
            f"{prefix}_truncation_rate": sum(s[3] for s in kept) / len(kept),
            "by_difficulty": {k: sum(v) / len(v) for k, v in sorted(by_difficulty.items())},
        }

    def run(self, rollout: int) -> dict[str, float]:
        """Evaluate at every length (all processes must call this); the metrics on the main process, {} elsewhere."""
        from accelerate.utils import gather_object

        from mctrain.reward import GradingFailed

        metrics: dict[str, float] = {}
        shard = self._shard()
        for max_tokens in self.lengths:
            start = time.perf_counter()
            error, samples = None, []
            try:
                samples = self._sample_and_grade(shard, max_tokens)
            except GradingFailed as exc:
                error = str(exc)
            gathered = gather_object([(self.trainer.accelerator.process_index, error, samples)])
            failures = [f"process {rank}: {err}" for rank, err, _ in gathered if err]
            if failures:
                raise GradingFailed(f"LiveCodeBench evaluation at rollout {rollout} failed ({'; '.join(failures)})")
            if not self.trainer.accelerator.is_main_process:
                continue
            summary = self.summarise([s for _, _, part in sorted(gathered) for s in part], max_tokens)
            by_difficulty = summary.pop("by_difficulty")
            self._append(rollout, max_tokens, summary, by_difficulty, time.perf_counter() - start)
            metrics.update(summary)
        return metrics

    def _append(self, rollout: int, max_tokens: int, summary: dict, by_difficulty: dict, seconds: float) -> None:
        prefix = metric_prefix(max_tokens) + "_"
        row = {
            "step": rollout, "max_tokens": max_tokens, "num_problems": len(self.problems), "n": self.n,
            **{k.removeprefix(prefix): v for k, v in summary.items()}, "pass_at_1_by_difficulty": by_difficulty,
            "eval_time_s": seconds,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())
