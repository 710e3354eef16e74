"""What MicroCoder-GRPO's additions cost per training step, against plain TRL, on CPU.

Runs `mctrain.train.run_training` (conditional truncation masking, a staged temperature with a
log-prob head re-patch, per-step diversity, verdict gathering, metrics.jsonl, overlapped grading)
and a plain `trl.GRPOTrainer` with the SAME tiny model, data, reward (the real grader) and
GRPOConfig values, alternating the two a few times in this one process, and prints the ratio of
their mean step times. Target: ratio < 1.05 (the additions cost under 5%).

    .venv/bin/python benchmarks/bench_train.py            # ~2-4 minutes on 2 cores
    .venv/bin/python benchmarks/bench_train.py --steps 16 --repeats 5

Step time is measured between `on_step_end` callbacks, from the end of the first generation
cycle on (the first cycle starts the grader pool and warms caches), over whole cycles
(one generation step + its reuse steps), so both runs average the same mix of steps.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TARGET_RATIO = 1.05


def make_problems(n: int):
    """Simple stdin problems with real tests, so the grader does real work on any code it finds."""
    from mcdata.schema import Problem, TestCase

    return [
        Problem(
            problem_id=f"bench-{i}",
            source="bench",
            statement=f"Read an integer n and print n * {i + 2}.",
            tests=tuple(TestCase(f"{n}\n", f"{n * (i + 2)}\n") for n in (1, 5, -3)),
        )
        for i in range(n)
    ]


def common_args(out: str, a: argparse.Namespace) -> dict:
    """GRPOConfig values both runs share (MicroCoder's config changes some TRL defaults, so all are explicit)."""
    return dict(
        output_dir=out,
        use_cpu=True,
        bf16=False,
        gradient_checkpointing=False,
        report_to="none",
        save_strategy="no",
        disable_tqdm=True,
        logging_steps=1,
        max_steps=a.steps,
        per_device_train_batch_size=a.batch,
        gradient_accumulation_steps=1,
        steps_per_generation=a.steps_per_generation,
        num_generations=a.group,
        max_completion_length=a.completion_length,
        learning_rate=1e-5,
        temperature=1.0,
        beta=0.0,
        epsilon=0.2,
        epsilon_high=0.28,
        loss_type="dapo",
        seed=0,
    )


class StepTimer:
    """`on_step_end` timestamps, as a TrainerCallback (built lazily so importing this file is cheap)."""

    def __new__(cls):
        from transformers import TrainerCallback

        class _Timer(TrainerCallback):
            def __init__(self):
                self.stamps: list[float] = []

            def on_step_begin(self, args, state, control, **kwargs):
                if not self.stamps:
                    self.stamps.append(time.perf_counter())

            def on_step_end(self, args, state, control, **kwargs):
                self.stamps.append(time.perf_counter())

        return _Timer()


def mean_step_time(stamps: list[float], cycle: int) -> float:
    """Mean step time over whole generation cycles, skipping the first cycle."""
    durations = [b - a for a, b in zip(stamps, stamps[1:])][cycle:]
    whole = len(durations) - len(durations) % cycle
    if whole < cycle:
        raise SystemExit(f"too few steps to time: raise --steps above {2 * cycle}")
    return statistics.fmean(durations[:whole])


def run_plain(problems, a) -> float:
    from trl import GRPOConfig, GRPOTrainer

    from mceval.tiny_model import build_tiny_model
    from mctrain.data import prompt_dataset
    from mctrain.reward import CodeReward

    model, tokenizer = build_tiny_model(seed=0)
    timer = StepTimer()
    with tempfile.TemporaryDirectory() as out, CodeReward(problems) as reward:
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=[reward],
            args=GRPOConfig(**common_args(out, a)),
            train_dataset=prompt_dataset(problems),
            processing_class=tokenizer,
            callbacks=[timer],
        )
        trainer.train()
    return mean_step_time(timer.stamps, a.steps_per_generation)


def run_microcoder(problems, a) -> float:
    from mceval.tiny_model import build_tiny_model
    from mctrain.config import MicroCoderGRPOConfig
    from mctrain.train import run_training

    model, tokenizer = build_tiny_model(seed=0)
    timer = StepTimer()
    with tempfile.TemporaryDirectory() as out:
        config = MicroCoderGRPOConfig(
            **common_args(out, a),
            truncation_masking="conditional",
            ctm_rho=0.1,
            ctm_window_m=min(128, a.completion_length // 2),
            temperature_schedule=f"1.0@0,1.2@{a.steps // 2}",  # one re-patch of the log-prob head mid-run
            diversity_metric="distinct_ngram",
        )
        run_training(config, resume=False, problems=problems, model=model, tokenizer=tokenizer, callbacks=[timer])
    return mean_step_time(timer.stamps, a.steps_per_generation)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=12, help="optimizer steps per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each trainer, alternated")
    parser.add_argument("--batch", type=int, default=8, help="per-device batch (responses per step)")
    parser.add_argument("--group", type=int, default=4, help="G, responses per prompt")
    parser.add_argument("--steps-per-generation", type=int, default=2, help="updates per generation batch")
    parser.add_argument("--completion-length", type=int, default=64, help="max new tokens")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (same for both)")
    a = parser.parse_args()

    import logging
    import warnings

    import torch
    import transformers

    torch.set_num_threads(a.threads)
    transformers.logging.set_verbosity_error()
    logging.getLogger("mctrain").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    problems = make_problems(16)

    times: dict[str, list[float]] = {"plain TRL GRPOTrainer": [], "microcoder train": []}
    for r in range(a.repeats):
        for name, fn in (("plain TRL GRPOTrainer", run_plain), ("microcoder train", run_microcoder)):
            with contextlib.redirect_stdout(io.StringIO()):  # the trainers print every log dict
                t = fn(problems, a)
            times[name].append(t)
            print(f"repeat {r + 1}/{a.repeats}  {name:<22} {t * 1000:8.1f} ms/step", flush=True)

    plain = statistics.median(times["plain TRL GRPOTrainer"])
    ours = statistics.median(times["microcoder train"])
    ratio = ours / plain
    print()
    print(f"config: {a.steps} steps, batch {a.batch}, G={a.group}, {a.steps_per_generation} updates/generation, "
          f"{a.completion_length} new tokens, {a.threads} torch thread(s), tiny-random model, CPU")
    print(f"plain TRL GRPOTrainer  median {plain * 1000:8.1f} ms/step")
    print(f"microcoder train       median {ours * 1000:8.1f} ms/step")
    print(f"ratio microcoder/plain = {ratio:.3f}  (target < {TARGET_RATIO}: {'PASS' if ratio < TARGET_RATIO else 'FAIL'})")


if __name__ == "__main__":
    main()
