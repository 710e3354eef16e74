"""MicroCoder-GRPO with the small REAL model (SmolLM2-135M-Instruct, `recipes/smollm2_cpu.yaml`).

The tiny random model never emits EOS on purpose and writes no code, so only a real model shows
that responses end at the chat template's EOS, that truncation is flagged exactly where the token
budget was hit, that the masking and metrics see those real lengths, and that the saved policy
loads back into `microcoder eval`. Two rounds of 2 prompts x 4 responses x 128 tokens on CPU.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from real_model_harness import LCB_FIXTURE, MICROCODER, REAL_MODEL_MARKS

from mctrain.metrics import read_metrics

REPO = Path(__file__).resolve().parents[1]
BUDGET = 128

pytestmark = REAL_MODEL_MARKS


def _run(*args: str, cwd: Path, timeout: float = 1800) -> subprocess.CompletedProcess:
    result = subprocess.run([MICROCODER, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_two_rounds_with_the_real_model(tmp_path: Path) -> None:
    dataset = tmp_path / "dataset"
    _run("build-dataset", "--no-verify", "--no-progress", "--output", str(dataset), cwd=tmp_path)
    run_dir = tmp_path / "run"
    _run("train", "--config", str(REPO / "recipes" / "smollm2_cpu.yaml"), "--dataset", str(dataset),
         "--output", str(run_dir), "--log-mask-decisions", "--set", f"max_completion_length={BUDGET}", cwd=tmp_path)

    rows = read_metrics(run_dir)
    assert [int(r["step"]) for r in rows] == [1, 2]
    decisions = [json.loads(line) for line in (run_dir / "mask_decisions.jsonl").read_text().splitlines()]
    assert len(decisions) == 2 * 2 * 4
    lengths = [d["num_tokens"] for d in decisions]
    assert all(0 < n <= BUDGET for n in lengths)
    # truncation is exactly "hit the budget without EOS"; a real model also stops on its own
    assert all(d["truncated"] == (d["num_tokens"] == BUDGET) for d in decisions)
    assert any(not d["truncated"] for d in decisions), lengths
    assert all(not d["masked"] or (d["truncated"] and d["eligible"]) for d in decisions)
    for row, step in zip(rows, (1, 2)):  # the metrics saw the same lengths
        mine = [d for d in decisions if d["step"] == step]
        assert row["masked_fraction"] == pytest.approx(sum(d["masked"] for d in mine) / len(mine))

    # the saved policy loads into `microcoder eval` like any local model
    final = run_dir / "final"
    assert (final / "config.json").is_file() and (final / "tokenizer_config.json").is_file()
    _run("eval", "--bench", "lcb", "--release-version", "release_v5", "--dataset-path", str(LCB_FIXTURE),
         "--platform", "codeforces", "--model", str(final), "-n", "1", "--max-tokens", "32", "--quiet",
         "--output", str(tmp_path / "eval"), cwd=tmp_path)
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary["num_problems"] >= 1 and summary["num_samples"] == summary["num_problems"]
