"""Empirical pass-rate filtering: real LiveCodeBench submissions (o1-mini / o1-preview code) and
LeetCodeDataset references graded in the real sandbox against LeetCodeDataset tests, and the tiny random
model sampled through the real hf backend."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from conftest import read_json

from mccore.schema import Problem
from mcdata.difficulty import ModelConfig, PassRateBand, PassRateConfig, load_rollouts, pass_rate_filter
from mcdata.report import BuildReport

MINI = "O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz"
PREVIEW = "O1-Preview-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz"


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def test_band_notation():
    default = PassRateBand.parse("[0,1)")
    assert 0.0 in default and 0.5 in default and 1.0 not in default
    open_band = PassRateBand.parse("(0, 1)")
    assert 0.0 not in open_band and 0.99 in open_band
    r1 = PassRateBand.parse("(0.1,0.9]")
    assert 0.1 not in r1 and 0.9 in r1 and str(r1) == "(0.1,0.9]"
    for bad in ("0,1", "[1,0]", "[0,2)", "[a,b]"):
        with pytest.raises(ValueError):
            PassRateBand.parse(bad)
    with pytest.raises(ValueError, match="interval"):
        PassRateConfig(band="0-1")


def test_load_rollouts_reads_the_lcb_format_and_names_bad_rows(real_data, tmp_path):
    rollouts = load_rollouts(real_data / "lcb_submissions" / MINI)
    assert len(rollouts) == 880
    assert all(len(codes) == 1 for codes in rollouts.values())
    assert "class Solution" in rollouts["3517"][0]  # a LeetCode problem's extracted code
    raw = tmp_path / "raw.jsonl"
    raw.write_text(
        json.dumps({"question_id": "a", "output_list": ["Here:\n```python\nprint(1)\n```", "no code at all"]}) + "\n"
        + json.dumps({"question_id": "a", "code_list": ["print(2)", ""]}) + "\n"
    )
    assert load_rollouts(raw) == {"a": ["print(1)", None, "print(2)", None]}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"question_id": "a", "code_list": []}, {"id": "b"}]))
    with pytest.raises(ValueError, match=r"bad.json: row 1: field 'question_id' missing"):
        load_rollouts(bad)
    bad.write_text(json.dumps([{"question_id": "a", "codes": []}]))
    with pytest.raises(ValueError, match=r"row 0: needs a list field 'code_list' or 'output_list'"):
        load_rollouts(bad)


@pytest.fixture(scope="module")
def leetcode(real_data) -> dict[str, Problem]:
    """LeetCodeDataset problems keyed by title slug (LCB and LeetCodeDataset number problems differently)."""
    from mceval.leetcode_format import problem_from_leetcodedataset_row

    path = real_data / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz"
    wanted = {"shortest-distance-after-road-addition-queries-i", "find-the-count-of-good-integers",
              "find-maximum-removals-from-source-string", "maximum-xor-score-subarray-queries",
              "find-the-k-th-character-in-string-game-i"}
    problems = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            row = json.loads(line)
            if row["task_id"] in wanted:
                problems[row["task_id"]] = problem_from_leetcodedataset_row(row, where=f"{path}:{i}")
    assert set(problems) == wanted
    return problems


def test_rollouts_file_with_mixed_results(leetcode, real_data, tmp_path):
    """Rollouts = o1-mini's and o1-preview's real LiveCodeBench submissions plus the dataset's reference,
    graded against LeetCodeDataset's tests: 3/3, 2/3, 0/2 (only two given), 1/3 (raw outputs, code
    extracted) and one problem with no rollouts at all."""
    subs = {}
    for name in (MINI, PREVIEW):
        for row in read_json(real_data / "lcb_submissions" / name):
            if row["platform"] == "leetcode":
                subs.setdefault(_slug(row["question_title"]), []).append(row)

    def codes(slug):
        return [r["code_list"][0] for r in subs[slug]]

    rows = [
        {"question_id": leetcode[s].problem_id, "code_list": codes(s) + [leetcode[s].solutions[0]]}
        for s in ("shortest-distance-after-road-addition-queries-i", "find-the-count-of-good-integers")
    ]
    rows.append({"question_id": leetcode["find-maximum-removals-from-source-string"].problem_id,
                 "code_list": codes("find-maximum-removals-from-source-string")})
    slug = "maximum-xor-score-subarray-queries"
    rows.append({"question_id": leetcode[slug].problem_id,
                 "output_list": [r["output_list"][0] for r in subs[slug]]
                 + [f"The answer:\n```python\n{leetcode[slug].solutions[0]}\n```"]})
    path = tmp_path / "rollouts.json"
    path.write_text(json.dumps(rows))

    order = ["shortest-distance-after-road-addition-queries-i", "find-the-count-of-good-integers",
             "find-maximum-removals-from-source-string", "maximum-xor-score-subarray-queries",
             "find-the-k-th-character-in-string-game-i"]
    problems = [leetcode[s] for s in order]
    report = BuildReport()
    kept = list(pass_rate_filter(problems, PassRateConfig(k=3, rollouts=str(path), workers=2, batch_size=2), report))

    rates = {p.problem_id: (p.stats["pass_rate_solved"], p.stats["pass_rate_k"]) for p in kept}
    ids = [p.problem_id for p in problems]
    assert rates == {ids[1]: (2, 3), ids[2]: (0, 2), ids[3]: (1, 3)}
    assert kept[0].stats["pass_rate"] == pytest.approx(2 / 3, abs=1e-6)
    assert all(p.stats["pass_rate_source"] == "rollouts.json" for p in kept)
    rejected = {r.problem_id: r for r in report.rejections_by("pass_rate")}
    assert set(rejected) == {ids[0], ids[4]}
    assert rejected[ids[0]].reason == "pass rate 3/3 outside band [0,1)"
    assert rejected[ids[0]].detail["pass_rate"] == 1.0
    assert rejected[ids[4]].reason == "no solutions for this problem in rollouts.json"
    assert report.notes["pass_rate"] == {"band": "[0,1)", "k": 3, "source": "rollouts.json"}

    # problems absent from the file can be passed through, flagged
    report = BuildReport()
    (missing,) = pass_rate_filter([problems[4]], PassRateConfig(rollouts=str(path), missing="keep"), report)
    assert missing.stats["pass_rate_status"] == "missing" and report.rejections == []


def test_tiny_random_model_solves_nothing_and_the_band_decides(leetcode):
    """k samples from the tiny random model through the real hf backend, graded for real: 0/k each.
    The default band keeps never-solved problems; "(0,1)" removes them. Statements are shortened to keep
    the CPU generation quick (the tiny tokenizer is character-level)."""
    problems = [leetcode[s] for s in ("find-the-k-th-character-in-string-game-i", "find-the-count-of-good-integers")]
    problems = [p.with_(statement=p.statement[:300]) for p in problems]
    model = ModelConfig(backend="hf", model="tiny-random", max_tokens=24, temperature=1.0)
    report = BuildReport()
    kept = list(pass_rate_filter(problems, PassRateConfig(k=2, model=model, workers=2), report))
    assert [p.problem_id for p in kept] == [p.problem_id for p in problems]
    for p in kept:
        assert (p.stats["pass_rate"], p.stats["pass_rate_solved"], p.stats["pass_rate_k"]) == (0.0, 0, 2)
        assert p.stats["pass_rate_source"] == "tiny-random"
    report = BuildReport()
    assert list(pass_rate_filter(problems, PassRateConfig(k=2, band="(0,1)", model=model, workers=2), report)) == []
    assert [r.reason for r in report.rejections] == ["pass rate 0/2 outside band (0,1)"] * 2


def test_one_backend_per_model_across_stage_calls():
    """The pipeline calls a stage once per checkpoint chunk: the model must load once, not per chunk."""
    from mcdata.difficulty.common import _BACKENDS, close_backends, shared_backend

    first = shared_backend(ModelConfig(backend="hf", model="tiny-random", max_tokens=8))
    again = shared_backend(ModelConfig(backend="hf", model="tiny-random", max_tokens=64, temperature=0.0))
    assert first is again  # sampling settings are per call, not part of the model's identity
    close_backends()
    assert _BACKENDS == {}


def test_rollouts_are_matched_on_source_and_id(real_data, tmp_path):
    """Issue 11 §2: an APPS problem numbered 2727 was graded with the code LiveCodeBench's 2727 got. A rollouts
    row without a source serves an id only one source uses; a row naming its source serves that source only."""
    from mcdata.collect import CollectConfig, SourceSpec, collect

    specs = [f"lcb={real_data / 'sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl'}",
             f"apps={real_data / 'apps-coderl-sample/apps_train_sample.jsonl'}"]
    problems = list(collect([SourceSpec.parse(s) for s in specs], CollectConfig(), BuildReport()))
    lcb = {p.problem_id: p for p in problems if p.source == "lcb"}
    apps_2727 = next(p for p in problems if p.problem_id == "1").with_(problem_id="2727")  # APPS numbers 0-4999 too
    pool = [lcb["2727"], lcb["abc301_a"], apps_2727]
    rollouts = str(real_data / "lcb_submissions" / PREVIEW)

    report = BuildReport()
    out = {(p.source, p.problem_id): p for p in pass_rate_filter(pool, PassRateConfig(k=1, rollouts=rollouts, missing="keep", band="[0,1]", workers=2), report)}
    assert out[("lcb", "abc301_a")].stats["pass_rate_k"] == 1  # a unique id: used
    assert out[("lcb", "2727")].stats["pass_rate_status"] == "ambiguous_id"  # shared with APPS: used for neither
    assert out[("apps", "2727")].stats["pass_rate_status"] == "ambiguous_id"
    assert report.notes["pass_rate"]["ambiguous_id_examples"] == ["2727"]

    row = next(r for r in read_json(real_data / "lcb_submissions" / PREVIEW) if r["question_id"] == "2727")
    named = tmp_path / "named.json"
    named.write_text(json.dumps([{"question_id": "2727", "source": "lcb", "code_list": row["code_list"]}]))
    report = BuildReport()
    out = {(p.source, p.problem_id): p for p in pass_rate_filter(pool, PassRateConfig(k=1, rollouts=str(named), band="[0,1]", workers=2), report)}
    assert set(out) == {("lcb", "2727")} and out[("lcb", "2727")].stats["pass_rate_solved"] == int(row["graded_list"][0])
    assert {r.problem_id: r.kind for r in report.rejections} == {"abc301_a": "no rollouts", "2727": "no rollouts"}
