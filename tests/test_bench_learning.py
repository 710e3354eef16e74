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
    rows = [report["before"], report["train_set_before"], *report["arms"].values(),
            *(arm["train_set"] for arm in report["arms"].values())]
    for row in rows:
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
    # a phase interrupted mid-sampling resumes at the first problem it had not finished
    codes = out / "before_codes.jsonl"
    kept = codes.read_text().splitlines()[:1]
    codes.write_text(kept[0] + "\n" + '{"problem_id": "cut off mid-wri')
    (out / "eval_before.json").unlink()
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming: 1 of 2 problems already sampled" in resumed.stdout and "sampled 1/1 problems" in resumed.stdout
    before = json.loads((out / "eval_before.json").read_text())
    assert len(before) == report["heldout_problems"] and all(len(verdicts) == 2 for verdicts in before.values())
    lines = codes.read_text().splitlines()
    assert len(lines) == 3 and {json.loads(line)["problem_id"] for line in (lines[0], lines[2])} == set(before)
