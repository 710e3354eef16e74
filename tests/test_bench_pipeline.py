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
MC_FILES = "livecodebench/grading-microcoder_comparison-microcoder_extract-robust"
LCB_FILES = "livecodebench/grading-microcoder_comparison-lcb_extract-robust"
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
    assert summary["sampling"] == {"n": 2, "temperature": 1.0, "top_p": 0.95, "max_tokens": 24, "seed": 7, "top_k": 0,
                                   "min_p": 0.0, "repetition_penalty": 1.0, "stop": []}
    # what generate() really received: every value explicit, so the model's generation config changes nothing
    assert summary["sampling_parameters"] == {"max_new_tokens": 24, "num_return_sequences": 2, "do_sample": True,
                                              "repetition_penalty": 1.0, "temperature": 1.0, "top_p": 0.95, "top_k": 0,
                                              "min_p": None}
    assert summary["prompt"]["style"] == "generic" and summary["prompt"]["why"].startswith("auto:")
    assert (summary["grading_profile"], summary["extract"], summary["truncation_policy"]) == (
        "microcoder", "robust", "cut-answer-fails")
    assert [f["name"] for f in summary["dataset_files"]] == ["test6.jsonl"]
    assert len(summary["dataset_files"][0]["sha256"]) == 64 and summary["dataset"]["path"] == str(FIXTURE)
    assert summary["responses"]["thinking"] == {"responses_with_thinking": 0, "cut_off_in_thinking": 0,
                                                "cut_off_in_thinking_rate": 0.0}
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
    assert {(s["grading_profile"], s["comparison"], s["extract"]) for s in samples} == {("microcoder", "microcoder", "robust")}
    lcb_samples = _jsonl(out / "comparison_lcb" / "samples.jsonl")
    assert len(lcb_samples) == 12 and {s["comparison"] for s in lcb_samples} == {"lcb"}

    # LiveCodeBench's three files, once per comparison, in folders that say what produced them
    assert not list(out.glob("*_eval_all.json"))  # nothing at the top that could pass for the official file
    for folder, mode in ((MC_FILES, "microcoder"), (LCB_FILES, "lcb")):
        assert summary["files"]["livecodebench"][mode]["eval_all"] == f"{folder}/Scenario.codegeneration_2_1.0_eval_all.json"
        eval_all = json.loads((out / folder / "Scenario.codegeneration_2_1.0_eval_all.json").read_text())
        assert [row["question_id"] for row in eval_all] == sorted(row["question_id"] for row in eval_all)
        assert [len(row["output_list"]) for row in eval_all] == [2] * 6
        assert set(eval_all[0]) >= {"question_id", "question_content", "platform", "contest_id", "contest_date",
                                    "difficulty", "output_list", "code_list", "graded_list", "pass@1", "metadata"}
        assert eval_all[0]["contest_id"] == "leetcode-2025-01-05" and eval_all[0]["contest_date"] == "2025-01-05T00:00:00"
        assert all(row["graded_list"] == [False, False] for row in eval_all)
        assert eval_all[0]["grading"]["comparison"] == mode
        missing_code = json.loads(eval_all[0]["metadata"][0])
        assert missing_code["error_code"] == -4 and {"inputs", "expected", "error"} <= set(missing_code)
        generations_file = json.loads((out / folder / "Scenario.codegeneration_2_1.0.json").read_text())
        assert [r["question_id"] for r in generations_file] == [r["question_id"] for r in eval_all]
        metrics, results, metadata = json.loads((out / folder / "Scenario.codegeneration_2_1.0_eval.json").read_text())
        assert metrics["pass@1"] == 0.0 and set(metrics["detail"]) == {"pass@1"} and metrics["grading"]["comparison"] == mode
        assert results["0"] == [[-4], [-4]] and metadata[0] == eval_all[0]["metadata"]

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
    # no --temperature: LiveCodeBench's file name cannot state one
    folder = tmp_path / "raw" / "livecodebench" / "grading-microcoder_comparison-microcoder_extract-lcb"
    eval_all = json.loads((folder / "Scenario.codegeneration_1_unknown_eval_all.json").read_text())
    assert eval_all[0]["output_list"][0].startswith("Here it is:") and "```" not in eval_all[0]["code_list"][0]


def test_generations_file_missing_problems_count_as_failures(tmp_path):
    """LiveCodeBench requires a generation for every problem: by default a missing one counts as
    failed samples (said on the console); `skip` averages over the others; `error` stops."""
    references = {g["question_id"]: g["code_list"][0] for g in json.loads((FIXTURE / "reference_generations.json").read_text())}
    generations = tmp_path / "gens.json"
    generations.write_text(json.dumps([{"question_id": "3411", "code_list": [references["3411"]] * 2}]))
    common = ["--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--generations", str(generations),
              "--timeout", "20", "--quiet"]
    result = _eval(*common, "--temperature", "0.7", "--output", str(tmp_path / "fail"))
    assert "5 of 6 problems have no generations" in result.output and "counted as failures" in result.output
    summary = json.loads((tmp_path / "fail" / "summary.json").read_text())
    assert summary["num_problems"] == 6 and summary["num_samples"] == 12 and summary["pass@1"] == pytest.approx(1 / 6)
    assert summary["results"]["microcoder"]["verdicts"] == {"AC": 2, "NO_CODE": 10}
    assert summary["missing_generations"] == "fail" and len(summary["generation"]["problems_without_generations"]) == 5
    # the real temperature of the file names LiveCodeBench's files
    assert (tmp_path / "fail" / MC_FILES / "Scenario.codegeneration_2_0.7_eval_all.json").is_file()

    _eval(*common, "--missing-generations", "skip", "--output", str(tmp_path / "skip"))
    summary = json.loads((tmp_path / "skip" / "summary.json").read_text())
    assert summary["num_problems"] == 1 and summary["num_problems_selected"] == 6 and summary["pass@1"] == 1.0

    result = CliRunner().invoke(app, ["eval", *common, "--missing-generations", "error", "--output", str(tmp_path / "o")])
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


def test_cache_never_answers_for_another_model_or_backend(tmp_path):
    """The cache key names the model's files, the dtype and the backend: a checkpoint retrained into
    the same folder regenerates, the same checkpoint again does not; --no-cache always regenerates."""
    from mcgen.tiny_model import save_tiny_model

    model = save_tiny_model(tmp_path / "ckpt", seed=1)
    args = ["--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--difficulty", "easy", "--model", str(model),
            "--output", str(tmp_path / "out"), "-n", "1", "--max-tokens", "6", "--quiet"]

    def generated(*extra: str) -> int:
        _eval(*args, *extra)
        return json.loads((tmp_path / "out" / "summary.json").read_text())["generation"]["generated_prompts"]

    assert generated() == 2
    assert generated() == 0
    save_tiny_model(model, seed=2)  # retrained in place
    assert generated() == 2
    assert generated("--dtype", "float32") == 2  # another dtype is another generation
    assert generated("--no-cache") == 2
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    identity = summary["generation"]["identity"]
    assert identity["backend"] == "hf" and identity["model"]["kind"] == "local" and len(identity["model"]["digest"]) == 64


def test_prompt_styles_through_the_pipeline(tmp_path):
    """A hand-built text reaches the model as is; base-model answers are graded whole (LiveCodeBench's
    GenericBase rule), so a random model's bytes are run (a compile or runtime error), not NO_CODE."""
    args = ["--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--difficulty", "easy", "--model", "tiny-random",
            "-n", "1", "--max-tokens", "8", "--quiet"]
    _eval(*args, "--prompt-style", "base", "--output", str(tmp_path / "base"))
    summary = json.loads((tmp_path / "base" / "summary.json").read_text())
    assert summary["prompt"] == {"style": "base", "why": "--prompt-style", "system_prompt": None, "chat_template_kwargs": {}}
    assert summary["extract"] == "whole-response" and "NO_CODE" not in summary["results"]["microcoder"]["verdicts"]
    assert (tmp_path / "base" / "livecodebench" / "grading-microcoder_comparison-microcoder_extract-whole-response").is_dir()

    _eval(*args, "--prompt-style", "codeqwen", "--stop", "###", "--output", str(tmp_path / "qwen"))
    summary = json.loads((tmp_path / "qwen" / "summary.json").read_text())
    assert summary["prompt"]["style"] == "codeqwen" and summary["sampling"]["stop"] == ["###"]
    assert summary["sampling_parameters"]["stop_strings"] == ["###"]

    result = CliRunner().invoke(app, ["eval", *args, "--prompt-style", "codeqwen", "--chat-template-kwargs",
                                      '{"enable_thinking": false}', "--output", str(tmp_path / "bad")])
    assert result.exit_code == 2 and "--chat-template-kwargs needs a chat prompt" in result.output
    result = CliRunner().invoke(app, ["eval", *args, "--chat-template-kwargs", "[1]", "--output", str(tmp_path / "bad")])
    assert result.exit_code == 2 and "--chat-template-kwargs must be a JSON object" in result.output
