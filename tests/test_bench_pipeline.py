"""`microcoder eval --bench` end to end, offline on CPU, through the real CLI.

The tiny random Qwen2-style model (built from a config, tokenizer made in memory) generates on
the LiveCodeBench-format fixture in tests/fixtures/lcb (laid out like the Hub files); the real
sandboxed grader grades; every report file is checked. Nothing touches the network.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lcb"
GEN_ARGS = ["-n", "2", "--max-tokens", "24", "--temperature", "1.0", "--seed", "7", "--quiet"]


def _eval(*args: str):
    result = CliRunner().invoke(app, ["eval", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "run"
    result = _eval("--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--model", "tiny-random",
                   "--backend", "hf", "--comparison", "both", "--output", str(out), *GEN_ARGS)
    return out, result


def test_hf_pipeline_writes_every_report(first_run):
    out, result = first_run
    summary = json.loads((out / "summary.json").read_text())
    assert summary["num_problems"] == 6 and summary["num_samples"] == 12
    assert summary["model"] == "tiny-random" and summary["backend"] == "hf"
    assert summary["sampling"] == {"n": 2, "temperature": 1.0, "top_p": 0.95, "max_tokens": 24, "seed": 7}
    # A random byte-level model writes no code block: every sample is NO_CODE, pass@1 is exactly 0.
    assert summary["pass@1"] == 0.0
    assert summary["results"]["microcoder"]["verdicts"] == {"NO_CODE": 12}
    assert summary["by_platform"] == {"leetcode": 0.0}
    assert set(summary["by_difficulty"]) == {"easy", "medium", "hard"}
    assert set(summary["pass@k"]) == {"pass@1", "pass@2"}
    assert summary["counts"]["by_difficulty"] == {"easy": 2, "medium": 2, "hard": 2}
    assert summary["dates"]["contest_date_min"] >= "2025-01-05"
    assert summary["generation"]["generated_prompts"] == 6 and summary["generation"]["cached_prompts"] == 0
    responses = summary["responses"]
    assert responses["num_responses_with_token_counts"] == 12
    assert 0 < responses["max_tokens_seen"] <= 24 and 0.0 <= responses["truncation_rate"] <= 1.0
    assert "pass@1 0.0000 on 6 problems" in result.output

    samples = _jsonl(out / "samples.jsonl")
    assert len(samples) == 12 and {s["verdict"] for s in samples} == {"NO_CODE"}
    assert len(_jsonl(out / "comparison_lcb" / "samples.jsonl")) == 12

    eval_all = json.loads((out / "Scenario.codegeneration_2_1.0_eval_all.json").read_text())
    assert [len(row["output_list"]) for row in eval_all] == [2] * 6
    assert set(eval_all[0]) >= {"question_id", "question_content", "platform", "contest_date", "difficulty",
                                "output_list", "code_list", "graded_list", "pass@1", "metadata"}
    assert all(row["graded_list"] == [False, False] for row in eval_all)
    assert json.loads(eval_all[0]["metadata"][0])["error_code"] == -1

    problems = _jsonl(out / "problems.jsonl")
    assert len(problems) == 6 and all(len(p["num_tokens"]) == 2 for p in problems)
    truncated = sum(t for p in problems for t in p["truncated"])
    assert truncated / 12 == pytest.approx(responses["truncation_rate"])
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    generations = json.loads((out / "generations.json").read_text())
    assert [len(g["output_list"]) for g in generations] == [2] * 6


def test_rerun_generates_nothing_and_resume_reproduces(first_run, tmp_path):
    out, _ = first_run
    original = json.loads((out / "generations.json").read_text())

    # Same command again: everything comes from the cache.
    _eval("--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--model", "tiny-random",
          "--output", str(out), *GEN_ARGS)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generation"]["generated_prompts"] == 0 and summary["generation"]["cached_prompts"] == 6
    assert json.loads((out / "generations.json").read_text()) == original

    # An interrupted run: 3 prompts cached, the 4th torn mid-write. Resuming generates the other 3,
    # and per-prompt seeds make the result identical to the uninterrupted run.
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    lines = (out / "generations_cache.jsonl").read_text().splitlines()
    (resumed / "generations_cache.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][:40])
    _eval("--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--model", "tiny-random",
          "--output", str(resumed), *GEN_ARGS)
    summary = json.loads((resumed / "summary.json").read_text())
    assert summary["generation"]["generated_prompts"] == 3 and summary["generation"]["cached_prompts"] == 3
    assert json.loads((resumed / "generations.json").read_text()) == original

    # A different sampling config is a different cache key: nothing is reused.
    other = tmp_path / "other"
    other.mkdir()
    (other / "generations_cache.jsonl").write_text((out / "generations_cache.jsonl").read_text())
    result = _eval("--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--model", "tiny-random", "--difficulty", "easy",
          "--output", str(other), "-n", "2", "--max-tokens", "16", "--temperature", "1.0", "--seed", "7")
    assert json.loads((other / "summary.json").read_text())["generation"]["generated_prompts"] == 2
    assert "generating" in result.output and "tok/s" in result.output and "2/2" in result.output  # progress bar


def test_generations_file_grades_known_correct_programs(tmp_path):
    """--generations skips generation: accepted programs pass, broken ones do not, pass@k follows."""
    references = {g["question_id"]: g["code_list"][0] for g in json.loads((FIXTURE / "reference_generations.json").read_text())}
    entries = [{"question_id": qid, "code_list": [code, "class Solution:\n    pass\n"]} for qid, code in references.items()]
    generations = tmp_path / "gens.json"
    generations.write_text(json.dumps(entries))
    out = tmp_path / "out"
    # A generous CPU-time limit: these are accepted programs, a busy machine must not turn them into TLEs.
    result = _eval("--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--generations", str(generations),
                   "--comparison", "both", "--timeout", "20", "--output", str(out))
    summary = json.loads((out / "summary.json").read_text())
    # Rich progress bars (no --quiet): one per comparison mode, with the rate.
    assert "grading (microcoder)" in result.output and "grading (lcb)" in result.output and "samples/s" in result.output
    # The Rich table, once per comparison mode: the LiveCodeBench row holds easy/medium/hard/all pass@1 (%).
    assert result.output.count("comparison=microcoder") == 1 and result.output.count("comparison=lcb") == 1
    assert len(re.findall(r"LiveCodeBench\s*│\s*50\.0\s*│\s*50\.0\s*│\s*50\.0\s*│\s*50\.0\s*│\s*6", result.output)) == 2
    assert "12 samples · pass@2 100.0" in result.output
    assert summary["num_problems"] == 6
    assert summary["generation"]["ignored_entries"] == len(references) - 6  # entries outside the v6 slice
    samples = _jsonl(out / "samples.jsonl")
    details = [(s["question_id"], s["verdict"], s["tests"][-1:]) for s in samples]
    assert [s["passed"] for s in samples] == [True, False] * 6, details
    for mode in ("microcoder", "lcb"):
        rates = summary["results"][mode]
        assert rates["pass@1"] == 0.5 and rates["pass@k"]["pass@2"] == 1.0, mode
        assert rates["by_difficulty"] == {"easy": 0.5, "medium": 0.5, "hard": 0.5}
        assert rates["test_pass_fraction"] is None  # early exit: no fractional score
    assert summary["responses"] == {"num_responses_with_token_counts": 0}

    # Raw model outputs (output_list) are extracted first: prose around a fenced block still passes.
    raw = [{"question_id": qid, "output_list": [f"Here it is:\n```python\n{code}\n```\nDone."]}
           for qid, code in references.items()]
    generations.write_text(json.dumps(raw))
    result = _eval("--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--generations", str(generations),
                   "--extract", "lcb", "--timeout", "20", "--all-tests", "--memory-mb", "512",
                   "--output", str(tmp_path / "raw"), "--quiet")
    assert "tests passed per sample (all tests run): 1.0000" in result.output
    summary = json.loads((tmp_path / "raw" / "summary.json").read_text())
    assert summary["pass@1"] == 1.0 and summary["extract"] == "lcb", summary["results"]
    assert summary["results"]["microcoder"]["test_pass_fraction"] == 1.0
    assert summary["config"]["all_tests"] is True and summary["grader"]["microcoder"]["config"]["memory_mb"] == 512
    eval_all = json.loads((tmp_path / "raw" / "Scenario.codegeneration_1_0.2_eval_all.json").read_text())
    assert eval_all[0]["output_list"][0].startswith("Here it is:") and "```" not in eval_all[0]["code_list"][0]


def test_generations_file_missing_problems_is_a_clear_error(tmp_path):
    generations = tmp_path / "gens.json"
    generations.write_text(json.dumps([{"question_id": "3411", "code_list": ["pass"]}]))
    result = CliRunner().invoke(app, ["eval", "--bench", "lcb-v6", "--dataset-path", str(FIXTURE),
                                      "--generations", str(generations), "--output", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no generations for 5 of the 6 benchmark problems" in result.output


def test_unloadable_model_is_one_clear_line(tmp_path):
    """A wrong --model is a user error: one line and exit 2, not a transformers traceback."""
    (tmp_path / "empty").mkdir()
    for model, message in [(tmp_path / "missing", "does not exist"), (tmp_path / "empty", "has no config.json")]:
        result = CliRunner().invoke(app, ["eval", "--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--model", str(model),
                                          "-n", "1", "--output", str(tmp_path / "o"), "--quiet"])
        assert result.exit_code == 2 and f"model directory {model} {message}" in result.output, result.output
        assert "Traceback" not in result.output
