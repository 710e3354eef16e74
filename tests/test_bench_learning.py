"""The learning benchmark's plumbing end to end with the tiny model: probe, select, evaluate, train
both arms through the real CLI, evaluate again, report with intervals and plots. (The real run uses
SmolLM2 and takes about an hour; its figures are in the README.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_learning_benchmark_plumbing(tmp_path: Path) -> None:
    out = tmp_path / "learning"
    command = [sys.executable, str(REPO / "benchmarks" / "bench_learning.py"), "--output", str(out),
               "--model", "tiny-random", "--candidates", "4", "--probe-k", "2", "--band", "0,1", "--eval-n", "2",
               "--rounds", "1", "--group", "2", "--prompts-per-round", "1", "--max-tokens", "8"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert set(report["arms"]) == {"microcoder", "grpo"} and report["heldout_problems"] == 2
    assert len(report["probe_pass_rates"]) == 4 and len(report["train_problems"]) == 2
    for row in [report["before"], *report["arms"].values()]:
        low, high = row["ci95"]
        assert 0 <= low <= row["pass@1"] <= high <= 1
    for arm in ("microcoder", "grpo"):
        run_config = json.loads((out / "runs" / arm / "run_config.json").read_text())
        config = run_config.get("config", run_config)
        assert config["prompt_style"] == "plain" and config["model_name_or_path"] == "tiny-random"
    grpo = json.loads((out / "runs" / "grpo" / "run_config.json").read_text())
    grpo = grpo.get("config", grpo)
    assert grpo["truncation_masking"] == "none" and grpo["beta"] > 0  # the baseline recipe's algorithm
    assert (out / "learning.png").stat().st_size > 0 and (out / "curves.png").stat().st_size > 0
    # a second run resumes every phase from the cache
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "sampled" not in again.stdout
