"""The small real model (SmolLM2-135M-Instruct, `--model smollm2-135m`) through `eval --bench`.

A random model only emits gibberish, so only a real one shows that the chat template, EOS handling,
truncation detection and code extraction work together: its answers contain code blocks, the
extracted code runs, and the verdicts are real judge verdicts, not NO_CODE. Generation on 2 CPU
cores is the cost, so the budget is 3 problems x 2 samples x 256 tokens.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from real_model_harness import LCB_FIXTURE, MICROCODER, REAL_MODEL_MARKS

from mcgen.gguf_model import SMOLLM_NAME, resolve_model

# LeetCode easy problems: SmolLM2 answers them in ~50-250 tokens, so most code blocks close within
# the budget (its stdin answers tend to loop until any budget that CPU generation can afford).
BUDGET = 256

pytestmark = REAL_MODEL_MARKS


def test_smollm_resolves_to_a_plain_loadable_folder() -> None:
    folder = Path(resolve_model(SMOLLM_NAME))
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "llama"
    tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text())
    assert "<|im_start|>" in (tokenizer_config.get("chat_template") or (folder / "chat_template.jinja").read_text())
    assert resolve_model(SMOLLM_NAME) == str(folder)  # converted once, then reused


def test_eval_bench_with_the_real_model(tmp_path: Path) -> None:
    out = tmp_path / "eval"
    result = subprocess.run(
        [MICROCODER, "eval", "--bench", "lcb", "--release-version", "release_v5", "--dataset-path", str(LCB_FIXTURE),
         "--difficulty", "easy", "--platform", "leetcode", "--model", SMOLLM_NAME, "--backend", "hf",
         "-n", "2", "--max-tokens", str(BUDGET), "--temperature", "0.7", "--output", str(out), "--quiet"],
        capture_output=True, text=True, timeout=1500,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    samples = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    generations = json.loads((out / "generations.json").read_text())
    assert summary["num_problems"] == len(generations) >= 2 and len(samples) == 2 * summary["num_problems"]

    outputs = [text for row in generations for text in row["output_list"]]
    assert sum("```" in text for text in outputs) >= len(outputs) // 2  # the chat template elicits code blocks
    verdicts = {row["verdict"] for row in samples}
    assert verdicts - {"NO_CODE"}, verdicts  # extracted code really ran: CE/RE/WA/AC, not all missing

    # a response ends either at EOS (stop) or at the token budget (length), and truncation is counted
    cache = [json.loads(line) for line in (out / "generations_cache.jsonl").read_text().splitlines()]
    completions = [c for row in cache for c in row.get("completions", [])]
    assert completions and all(c["num_tokens"] <= BUDGET for c in completions)
    assert {c["finish_reason"] for c in completions} <= {"stop", "length"}
    truncated = sum(c["finish_reason"] == "length" for c in completions) / len(completions)
    assert summary["responses"]["truncation_rate"] == pytest.approx(truncated)

    eval_all = json.loads(next(out.glob("livecodebench/*/*_eval_all.json")).read_text())
    assert len(eval_all) == summary["num_problems"]
    assert all(len(row["code_list"]) == len(row["graded_list"]) == 2 for row in eval_all)


def test_build_dataset_pass_rate_with_the_real_model(tmp_path: Path) -> None:
    """`--difficulty pass-rate` samples the real model through its chat template and grades every sample."""
    import pyarrow.parquet as pq

    out = tmp_path / "dataset"
    result = subprocess.run(
        [MICROCODER, "build-dataset", "--limit", "2", "--no-verify", "--difficulty", "pass-rate",
         "--model", SMOLLM_NAME, "-k", "2", "--max-tokens", "64", "--temperature", "0.8", "--pass-rate-band", "[0,1]",
         "--no-progress", "--output", str(out)],
        capture_output=True, text=True, timeout=1500,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [row for shard in sorted((out / "data").glob("*.parquet")) for row in pq.read_table(shard).to_pylist()]
    assert rows
    for row in rows:
        stats = json.loads(row["stats"]) if isinstance(row["stats"], str) else row["stats"]
        assert stats["pass_rate_k"] == 2 and 0 <= stats["pass_rate_solved"] <= 2
        assert stats["pass_rate"] == stats["pass_rate_solved"] / 2
    assert SMOLLM_NAME in (out / "README.md").read_text() or SMOLLM_NAME in (out / "build_report.json").read_text()
