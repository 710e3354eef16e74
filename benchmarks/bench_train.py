"""What MicroCoder-GRPO's additions cost per training step, against plain TRL, on CPU.

Runs `mctrain.train.run_training` (conditional truncation masking with the any-period loop test,
a staged temperature with a log-prob head re-patch, the length schedule, per-round diversity in
three metrics, verdict gathering and counts, the collective grading-failure check, metrics.jsonl,
overlapped grading) and a plain `trl.GRPOTrainer` with the SAME tiny model, data, reward (the real
grader) and batch layout (MicroCoder's rollout round of prompts x G with U updates is TRL's
generation batch with U steps per generation), alternating the two a few times in this one
process. Target: the additions cost under 5%. Three figures, because a shared 2-core machine
makes wall time noisy:

* wall ratio: microcoder / plain mean step time, median over back-to-back pairs;
* CPU ratio: the same with this process's CPU time (grading runs in the grader's processes);
* additions share: wall time spent inside MicroCoder's own code (masking, diversity, metrics,
  temperature re-patch, metrics.jsonl) over the run's wall time - the direct measure.

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
    from mccore.schema import Problem, TestCase

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
    from mctrain.config import CPU_SMOKE_ARGS

    return dict(
        **CPU_SMOKE_ARGS,
        output_dir=out,
        per_device_train_batch_size=a.batch,
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
    """`on_step_end` wall and CPU timestamps, as a TrainerCallback (built lazily: cheap import)."""

    def __new__(cls):
        from transformers import TrainerCallback

        class _Timer(TrainerCallback):
            def __init__(self):
                self.wall: list[float] = []
                self.cpu: list[float] = []

            def _stamp(self):
                self.wall.append(time.perf_counter())
                self.cpu.append(time.process_time())

            def on_step_begin(self, args, state, control, **kwargs):
                if not self.wall:
                    self._stamp()

            def on_step_end(self, args, state, control, **kwargs):
                self._stamp()

        return _Timer()


def mean_step_time(stamps: list[float], cycle: int) -> float:
    """Mean step time over whole generation cycles, skipping the first cycle."""
    durations = [b - a for a, b in zip(stamps, stamps[1:])][cycle:]
    whole = len(durations) - len(durations) % cycle
    if whole < cycle:
        raise SystemExit(f"too few steps to time: raise --steps above {2 * cycle}")
    return statistics.fmean(durations[:whole])


def summary(timer, cycle: int, additions_s: float = 0.0) -> dict[str, float]:
    """Per-step wall and CPU seconds (after warm-up) and the additions' share of the whole run's wall time."""
    total = timer.wall[-1] - timer.wall[0]
    return {
        "wall": mean_step_time(timer.wall, cycle),
        "cpu": mean_step_time(timer.cpu, cycle),
        "additions_share": additions_s / total if total > 0 else 0.0,
    }


def run_plain(problems, a) -> float:
    from trl import GRPOConfig, GRPOTrainer

    from mcgen.tiny_model import build_tiny_model
    from mctrain.data import prompt_dataset
    from mctrain.reward import CodeReward

    model, tokenizer = build_tiny_model(seed=0)
    timer = StepTimer()
    with tempfile.TemporaryDirectory() as out, CodeReward(problems) as reward:
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=[reward],
            args=GRPOConfig(
                **common_args(out, a), logging_steps=a.steps_per_generation, max_steps=a.steps, gradient_accumulation_steps=1,
                steps_per_generation=a.steps_per_generation,
            ),
            train_dataset=prompt_dataset(problems),
            processing_class=tokenizer,
            callbacks=[timer],
        )
        trainer.train()
    return summary(timer, a.steps_per_generation)


def run_microcoder(problems, a) -> dict[str, float]:
    from mcgen.tiny_model import build_tiny_model
    from mctrain.config import MicroCoderGRPOConfig
    from mctrain.metrics import MetricsJsonlCallback
    from mctrain.train import run_training
    from mctrain.trainer import MicroCoderGRPOTrainer, _RoundHooks

    # Time the code MicroCoder adds on top of TRL: the per-response facts, masking + diversity + metrics,
    # the log-prob head re-patch, the length schedule, the failure check after the reward gather, the
    # per-round hooks, the metrics.jsonl writer. A share of wall time, so busy CPUs scale both sides alike.
    spent = [0.0]
    originals = [
        (MicroCoderGRPOTrainer, "_rows"),
        (MicroCoderGRPOTrainer, "_mask_and_log"),
        (MicroCoderGRPOTrainer, "set_temperature"),
        (MicroCoderGRPOTrainer, "set_max_completion_length"),
        (_RoundHooks, "on_step_end"),
        (MetricsJsonlCallback, "on_log"),
    ]
    saved = [(owner, name, owner.__dict__[name]) for owner, name in originals]

    def timed(fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - start

        return wrapper

    model, tokenizer = build_tiny_model(seed=0)
    timer = StepTimer()
    try:
        for owner, name, fn in saved:
            setattr(owner, name, timed(fn))
        with tempfile.TemporaryDirectory() as out:
            rounds = a.steps // a.steps_per_generation
            config = MicroCoderGRPOConfig(
                **common_args(out, a),
                rollout_prompts=a.batch * a.steps_per_generation // a.group,  # TRL's generation batch, in prompts
                updates_per_rollout=a.steps_per_generation,
                max_steps=rounds,
                truncation_masking="conditional",
                ctm_rho=0.1,
                ctm_window_m=min(128, a.completion_length // 2),
                temperature_schedule=f"1.0@0,1.2@{rounds // 2}",  # one re-patch of the log-prob head mid-run
                max_completion_length_schedule=f"{a.completion_length}@0",
                diversity_metric="windowed_distinct",
            )
            run_training(config, resume=False, problems=problems, model=model, tokenizer=tokenizer, callbacks=[timer])
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)
    return summary(timer, a.steps_per_generation, spent[0])


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

    names = ("plain TRL GRPOTrainer", "microcoder train")
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for r in range(a.repeats):
        for name, fn in zip(names, (run_plain, run_microcoder)):
            with contextlib.redirect_stdout(io.StringIO()):  # the trainers print every log dict
                res = fn(problems, a)
            results[name].append(res)
            print(f"repeat {r + 1}/{a.repeats}  {name:<22} wall {res['wall'] * 1000:8.1f} ms/step"
                  f"   cpu {res['cpu'] * 1000:8.1f} ms/step", flush=True)

    def median(name: str, key: str) -> float:
        return statistics.median(x[key] for x in results[name])

    # Paired ratios (each repeat runs both back to back), so slow phases of a shared machine cancel.
    wall_ratio = statistics.median(m["wall"] / p["wall"] for p, m in zip(*results.values()))
    cpu_ratio = statistics.median(m["cpu"] / p["cpu"] for p, m in zip(*results.values()))
    share = median(names[1], "additions_share")
    print()
    print(f"config: {a.steps} steps, batch {a.batch}, G={a.group}, {a.steps_per_generation} updates/generation, "
          f"{a.completion_length} new tokens, {a.threads} torch thread(s), tiny-random model, CPU")
    for name in names:
        wall, cpu = median(name, "wall") * 1000, median(name, "cpu") * 1000
        print(f"{name:<22} median wall {wall:8.1f} ms/step   cpu {cpu:8.1f} ms/step")
    verdict = lambda x: "PASS" if x < TARGET_RATIO else "FAIL"  # noqa: E731
    print(f"step-time ratio microcoder/plain (median of paired runs): wall {wall_ratio:.3f} [{verdict(wall_ratio)}]"
          f"   cpu {cpu_ratio:.3f} [{verdict(cpu_ratio)}]   target < {TARGET_RATIO}")
    print(f"time inside MicroCoder's additions: {share * 100:.2f}% of the microcoder run's wall time "
          f"[{verdict(1 + share)}]")


if __name__ == "__main__":
    main()
