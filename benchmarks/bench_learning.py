"""Does MicroCoder-GRPO make a real model better? A learning benchmark on CPU.

The model is SmolLM2-135M-Instruct (`smollm2-135m`, the small real model the repository installs).
GRPO learns only from groups with mixed rewards, so the problems are chosen by measuring first:

1. probe    k samples per candidate problem (easy, real, with tests) -> its pass rate
2. select   candidates whose pass rate lies in --band, split alternately (ordered by pass rate) into a
            training set and a held-out set of the same kind
3. before   held-out pass@1 of the base model, --eval-n samples per problem
4. train    `microcoder train` on the training set, one run per arm, the same budget: `microcoder`
            (the paper recipe's algorithm settings) and `grpo` (recipes/grpo_baseline.yaml's)
5. after    held-out pass@1 of each arm's RUN_DIR/final, the same samples per problem (and pass@1 on
            the training problems themselves, before and after: did training raise what it optimised?)
6. report   pass@1 with 95% bootstrap intervals (problems and samples resampled), the paired
            change, the training curves (`microcoder train plot`) and a bar chart

Prompts are the `plain` style (the I/O format stated plainly) in every phase, training included.
Every phase is cached in --output, so an interrupted run resumes. Nothing is downloaded.

    .venv/bin/python benchmarks/bench_learning.py --output runs/learning            # in-repo problems
    .venv/bin/python benchmarks/bench_learning.py --data ../shared/data --output runs/learning
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import yaml

import mceval
from mccore.schema import Problem, SchemaError
from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.report import BuildReport
from mceval.leetcode_format import UnsupportedProblem, problem_from_leetcodedataset_row
from mcgen.backends.hf import HFBackend
from mcgen.extract import extract_code
from mcgen.prompt_styles import build_prompt
from mcgen.types import SamplingConfig

MICROCODER = str(Path(sys.executable).parent / "microcoder")
PROMPT_STYLE = "plain"
# The settings that make an arm what it is; data, rollout layout, length and temperature stay shared.
ALGORITHM_KEYS = ("truncation_masking", "ctm_rho", "ctm_non_incorrect", "ctm_repeat_rule", "beta", "epsilon",
                  "epsilon_high", "loss_type", "reward_funcs", "dynamic_sampling")
ARM_RECIPES = {"microcoder": "microcoder_grpo_qwen3_4b.yaml", "grpo": "grpo_baseline.yaml"}


# ------------------------------------------------------------------------------------ candidates
def candidate_problems(data: Path, limit: int) -> list[Problem]:
    """Easy real problems with tests: LeetCodeDataset train rows (functional) and APPS introductory rows."""
    problems: list[Problem] = []
    for path in sorted((data / "leetcodedataset").glob("*train*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                try:  # rows the functional format cannot express, or with upstream data errors, are skipped
                    problem = problem_from_leetcodedataset_row(json.loads(line), where=f"{path.name}: line {number}")
                except (SchemaError, UnsupportedProblem):
                    continue
                if problem.difficulty == "easy":
                    problems.append(problem)
    apps = data / "apps-coderl-sample" / "apps_train_sample.jsonl"
    if apps.is_file():
        problems += [p for p in collect([SourceSpec.parse(f"apps={apps}")], CollectConfig(), BuildReport())
                     if p.difficulty == "easy"]
    unique = {(p.source, p.problem_id): p for p in problems}  # the same row may sit in two files
    return list(unique.values())[:limit]


# ------------------------------------------------------------------------------------ sampling
def sample_and_grade(model: str, problems: Sequence[Problem], n: int, args: argparse.Namespace,
                     seed: int, codes_file: Path) -> dict[str, list[str]]:
    """{problem_id: [verdict per sample]} for n samples of each problem from `model`.

    The extracted code of each problem is appended to `codes_file` as soon as it is sampled, so an
    interrupted phase resumes at the first problem it had not finished (sampling is the slow part).
    """
    codes: dict[str, list[str]] = {}
    if codes_file.is_file():
        for line in codes_file.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # the line in flight when the run stopped
                continue
            codes[row["problem_id"]] = row["codes"]
    todo = [p for p in problems if p.problem_id not in codes]
    if codes:
        print(f"  resuming: {len(problems) - len(todo)} of {len(problems)} problems already sampled", flush=True)
    if todo:
        backend = HFBackend(model, seed=seed)
        sampling = SamplingConfig(n=n, temperature=args.temperature, top_p=1.0, max_tokens=args.max_tokens, seed=seed)
        started = time.perf_counter()
        try:
            prompts = [build_prompt(p, PROMPT_STYLE) for p in todo]
            with open(codes_file, "a", encoding="utf-8") as sink:
                if codes_file.stat().st_size and not codes_file.read_bytes().endswith(b"\n"):
                    sink.write("\n")  # end the line cut off by the interruption before appending
                for done, (index, completions) in enumerate(backend.iter_generate(prompts, sampling), 1):
                    problem_codes = [extract_code(c.text) for c in completions]
                    codes[todo[index].problem_id] = problem_codes
                    sink.write(json.dumps({"problem_id": todo[index].problem_id, "codes": problem_codes}) + "\n")
                    sink.flush()
                    print(f"  sampled {done}/{len(todo)} problems ({time.perf_counter() - started:.0f} s)", flush=True)
        finally:
            backend.close()
    items = [(p, code) for p in problems for code in codes[p.problem_id]]
    owners = [p.problem_id for p in problems for _ in codes[p.problem_id]]
    verdicts: dict[str, list[str]] = defaultdict(list)
    for owner, result in zip(owners, mceval.grade(items, mceval.GradeConfig())):
        verdicts[owner].append(result.verdict.value)
    return dict(verdicts)


def cached(path: Path, make):
    """The JSON at `path`, computing and writing it (atomically) the first time."""
    if path.is_file():
        return json.loads(path.read_text())
    value = make()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=1))
    tmp.replace(path)
    return value


# ------------------------------------------------------------------------------------ statistics
def pass_at_1(verdicts: dict[str, list[str]]) -> float:
    rates = [sum(v == "AC" for v in vs) / len(vs) for vs in verdicts.values()]
    return sum(rates) / len(rates)


def bootstrap(before: dict[str, list[str]], after: dict[str, list[str]] | None, draws: int = 2000,
              seed: int = 0) -> tuple[float, float]:
    """95% interval of pass@1 (or, with `after`, of after - before, paired by problem): problems are
    resampled, then each problem's samples, so both sources of noise are in the width."""
    rng = random.Random(seed)
    ids = sorted(before)
    values = []
    for _ in range(draws):
        chosen = [rng.choice(ids) for _ in ids]

        def rate(table: dict[str, list[str]]) -> float:
            total = 0.0
            for pid in chosen:
                samples = table[pid]
                total += sum(rng.choice(samples) == "AC" for _ in samples) / len(samples)
            return total / len(chosen)

        values.append(rate(after) - rate(before) if after is not None else rate(before))
    values.sort()
    return values[int(0.025 * draws)], values[int(0.975 * draws) - 1]


# ------------------------------------------------------------------------------------ training
def arm_overrides(arm: str) -> list[str]:
    """`--set` options carrying the arm recipe's algorithm settings (its own keys, then its base's)."""
    path = REPO / "recipes" / ARM_RECIPES[arm]
    settings: dict[str, Any] = {}
    while path is not None:
        data = yaml.safe_load(path.read_text())
        for key in ALGORITHM_KEYS:
            if key in data and key not in settings:
                settings[key] = data[key]
        path = REPO / "recipes" / data["base_recipe"] if data.get("base_recipe") else None
    return [option for key, value in settings.items() for option in ("--set", f"{key}={json.dumps(value)}")]


def train_arm(arm: str, dataset: Path, run_dir: Path, args: argparse.Namespace) -> Path:
    if (run_dir / "final" / "config.json").is_file():
        return run_dir / "final"
    command = [
        MICROCODER, "train", "--config", str(REPO / "recipes" / "smollm2_cpu.yaml"), "--dataset", str(dataset),
        "--output", str(run_dir), "--model", args.model, "--max-steps", str(args.rounds),
        "--learning-rate", str(args.learning_rate), "--temperature", str(args.temperature),
        "--max-completion-length", str(args.max_tokens), "--num-generations", str(args.group),
        "--set", f"prompt_style={PROMPT_STYLE}", "--set", f"rollout_prompts={args.prompts_per_round}",
        "--set", f"per_device_train_batch_size={max(1, args.prompts_per_round * args.group // 2)}",
        "--set", "updates_per_rollout=2",
        "--set", f"max_train_problems={args.train_size}", *arm_overrides(arm),
    ]
    print(f"  {' '.join(command[1:])}", flush=True)
    subprocess.run(command, check=True)
    return run_dir / "final"


def build_training_set(problems: Sequence[Problem], out: Path) -> Path:
    """A real `build-dataset` folder of the training problems (no verification: the probe graded them)."""
    dataset = out / "dataset"
    if (dataset / "README.md").is_file():
        return dataset
    rows = out / "train_problems.jsonl"
    rows.write_text("".join(json.dumps(p.to_row()) + "\n" for p in problems))
    subprocess.run([MICROCODER, "build-dataset", "-s", f"microcoder={rows}", "--no-verify", "--min-tests", "1",
                    "--decontaminate-against", "none", "--eval-window", "none", "--no-progress", "--output",
                    str(dataset)], check=True)
    return dataset


# ------------------------------------------------------------------------------------ report
def plot_bars(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["base model", *(f"after {arm}" for arm in report["arms"])]
    values = [report["before"]["pass@1"], *(report["arms"][a]["pass@1"] for a in report["arms"])]
    lows = [report["before"]["ci95"][0], *(report["arms"][a]["ci95"][0] for a in report["arms"])]
    highs = [report["before"]["ci95"][1], *(report["arms"][a]["ci95"][1] for a in report["arms"])]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(labels, [100 * v for v in values], yerr=[[100 * (v - lo) for v, lo in zip(values, lows)],
                                                   [100 * (hi - v) for v, hi in zip(values, highs)]], capsize=6,
           color=["#999999", "#1f77b4", "#ff7f0e"][: len(labels)])
    ax.set_ylabel("held-out pass@1 (%)")
    ax.set_title(f"{report['model']}: {report['heldout_problems']} held-out problems x {report['eval_n']} samples")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "runs" / "learning")
    parser.add_argument("--data", type=Path, default=REPO / "tests" / "data", help="folder laid out like tests/data")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--candidates", type=int, default=60, help="easy problems to probe")
    parser.add_argument("--probe-k", type=int, default=8, help="samples per candidate for its pass rate")
    parser.add_argument("--band", default="0.05,0.6", help="pass rates a training/held-out problem may have")
    parser.add_argument("--eval-n", type=int, default=16, help="held-out samples per problem, before and after")
    parser.add_argument("--rounds", type=int, default=30, help="rollout rounds per arm")
    parser.add_argument("--prompts-per-round", type=int, default=2)
    parser.add_argument("--group", type=int, default=8, help="responses per prompt (G)")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--learning-rate", type=float, default=1e-5)
    parser.add_argument("--arms", default="microcoder,grpo")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    low, high = (float(x) for x in args.band.split(","))
    started = time.perf_counter()

    candidates = candidate_problems(args.data, args.candidates)
    by_id = {p.problem_id: p for p in candidates}
    print(f"probe: {len(candidates)} candidates x {args.probe_k} samples", flush=True)
    probe = cached(out / "probe.json", lambda: sample_and_grade(args.model, candidates, args.probe_k, args, args.seed,
                                                              out / "probe_codes.jsonl"))
    rates = {pid: sum(v == "AC" for v in vs) / len(vs) for pid, vs in probe.items()}
    chosen = sorted((pid for pid, r in rates.items() if low <= r <= high), key=lambda pid: (rates[pid], pid))
    train_ids, heldout_ids = chosen[0::2], chosen[1::2]
    print(f"select: {len(chosen)} of {len(rates)} in [{low}, {high}] -> {len(train_ids)} train, {len(heldout_ids)} held out",
          flush=True)
    if not train_ids or not heldout_ids:
        raise SystemExit(f"too few problems in the band [{low}, {high}]: widen --band or probe more --candidates "
                         f"(pass rates: {sorted(rates.values())})")
    args.train_size = len(train_ids)
    heldout = [by_id[pid] for pid in heldout_ids]

    print("before: base model on the held-out problems", flush=True)
    before = cached(out / "eval_before.json", lambda: sample_and_grade(args.model, heldout, args.eval_n, args, args.seed + 1,
                                                                   out / "before_codes.jsonl"))
    train_problems = [by_id[pid] for pid in train_ids]
    # The training problems themselves, before and after: did training raise what it optimised?
    train_before = cached(out / "train_eval_before.json",
                          lambda: sample_and_grade(args.model, train_problems, args.eval_n, args, args.seed + 1,
                                                   out / "train_before_codes.jsonl"))
    dataset = build_training_set(train_problems, out)
    arms: dict[str, Any] = {}
    for arm in [a for a in args.arms.split(",") if a]:
        print(f"train: {arm}", flush=True)
        final = train_arm(arm, dataset, out / "runs" / arm, args)
        after = cached(out / f"eval_after_{arm}.json",
                       lambda: sample_and_grade(str(final), heldout, args.eval_n, args, args.seed + 1,
                                                        out / f"after_{arm}_codes.jsonl"))
        train_after = cached(out / f"train_eval_after_{arm}.json",
                             lambda: sample_and_grade(str(final), train_problems, args.eval_n, args, args.seed + 1,
                                                      out / f"train_after_{arm}_codes.jsonl"))
        metrics = [json.loads(line) for line in (out / "runs" / arm / "metrics.jsonl").read_text().splitlines()]
        arms[arm] = {"pass@1": pass_at_1(after), "ci95": bootstrap(after, None), "change": pass_at_1(after) - pass_at_1(before),
                     "change_ci95": bootstrap(before, after), "train_reward_first": metrics[0].get("reward_mean"),
                     "train_reward_last": metrics[-1].get("reward_mean"),
                     "train_set": {"pass@1": pass_at_1(train_after), "ci95": bootstrap(train_after, None),
                                   "change": pass_at_1(train_after) - pass_at_1(train_before),
                                   "change_ci95": bootstrap(train_before, train_after)}}
    report = {
        "model": args.model, "candidates": len(candidates), "probe_k": args.probe_k, "band": [low, high],
        "probe_pass_rates": rates, "train_problems": train_ids, "heldout_problems": len(heldout_ids),
        "eval_n": args.eval_n, "rounds": args.rounds, "prompts_per_round": args.prompts_per_round, "group": args.group,
        "max_tokens": args.max_tokens, "temperature": args.temperature, "learning_rate": args.learning_rate,
        "before": {"pass@1": pass_at_1(before), "ci95": bootstrap(before, None)},
        "train_set_before": {"pass@1": pass_at_1(train_before), "ci95": bootstrap(train_before, None)}, "arms": arms,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    (out / "report.json").write_text(json.dumps(report, indent=1))
    plot_bars(report, out / "learning.png")
    subprocess.run([MICROCODER, "train", "plot", *(str(out / "runs" / a) for a in arms), "-o", str(out / "curves.png")],
                   check=True)
    print(f"\nheld-out pass@1 ({len(heldout_ids)} problems x {args.eval_n}): base {100 * report['before']['pass@1']:.1f}% "
          f"[{100 * report['before']['ci95'][0]:.1f}, {100 * report['before']['ci95'][1]:.1f}]")
    for arm, row in arms.items():
        print(f"  {arm:<10} {100 * row['pass@1']:.1f}% [{100 * row['ci95'][0]:.1f}, {100 * row['ci95'][1]:.1f}]  change "
              f"{100 * row['change']:+.1f} pts [{100 * row['change_ci95'][0]:+.1f}, {100 * row['change_ci95'][1]:+.1f}]; "
              f"train reward {row['train_reward_first']} -> {row['train_reward_last']}")
        seen = row["train_set"]
        print(f"  {'':<10} on its training problems: {100 * report['train_set_before']['pass@1']:.1f}% -> "
              f"{100 * seen['pass@1']:.1f}%, change {100 * seen['change']:+.1f} pts "
              f"[{100 * seen['change_ci95'][0]:+.1f}, {100 * seen['change_ci95'][1]:+.1f}]")
    print(f"report: {out / 'report.json'}, {out / 'learning.png'}, {out / 'curves.png'}")


if __name__ == "__main__":
    main()
