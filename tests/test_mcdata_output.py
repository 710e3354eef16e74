"""What a build writes, as users and other tools meet it (issue 11 §5, issue 9): row groups bounded by
bytes, shard sizes, a validation split, the verl/rllm export, and live progress bars with totals."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from mccore.schema import Problem
from mcdata import progress
from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.pipeline import BuildConfig, build_dataset
from mcdata.report import BuildReport
from mcdata.write import WriteConfig, parse_size, row_bytes, write_parquet


@pytest.fixture(scope="module")
def contests(real_data) -> list[Problem]:
    spec = SourceSpec.parse(f"codecontests={real_data / 'sandboxfusion_samples/code_eval_code_contests.jsonl.gz'}")
    return list(collect([spec], CollectConfig(), BuildReport()))


def test_row_groups_are_bounded_by_bytes(tmp_path, contests):
    """One row group reached 360 MB uncompressed, over the Hub viewer's limit: groups close by bytes too."""
    budget = 2 * sorted(row_bytes(p) for p in contests)[len(contests) // 2]  # twice the median row
    path = tmp_path / "part.parquet"
    assert write_parquet(path, contests, WriteConfig(row_group_rows=100, row_group_bytes=budget)) == len(contests)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups >= 5
    sizes = [sum(row_bytes(p) for p in contests[start:start + meta.row_group(i).num_rows])
             for i, start in enumerate(_starts(meta))]
    assert all(size <= budget or meta.row_group(i).num_rows == 1 for i, size in enumerate(sizes))


def _starts(meta) -> list[int]:
    out, at = [], 0
    for i in range(meta.num_row_groups):
        out.append(at)
        at += meta.row_group(i).num_rows
    return out


def test_sizes_parse_like_the_hub_writes_them():
    assert parse_size("500MB") == 500_000_000 and parse_size("64MiB") == 64 * 1024 * 1024 and parse_size("1.5GB") == 1_500_000_000
    for bad in ("big", "0MB", "-1"):
        with pytest.raises(ValueError):
            parse_size(bad, "--max-shard-size")


def test_validation_split_and_verl_export(tmp_path):
    out = tmp_path / "ds"
    result = build_dataset(BuildConfig(output=out, verify=None, validation=5, export=("verl",)))
    assert result.stats.by_split == {"train": result.num_problems - 5, "validation": 5}
    names = sorted(p.name for p in (out / "data").glob("*.parquet"))
    assert names == ["train-00000-of-00001.parquet", "validation-00000-of-00001.parquet"]
    meta = yaml.safe_load((out / "README.md").read_text().split("---\n")[1])
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*"},
                                                {"split": "validation", "path": "data/validation-*"}]
    assert meta["configs"][1] == {"config_name": "verl", "data_files": [{"split": "train", "path": "verl/train.parquet"},
                                                                         {"split": "validation", "path": "verl/validation.parquet"}]}
    from datasets import load_dataset

    ds = load_dataset(str(out))
    assert {k: len(v) for k, v in ds.items()} == {"train": result.num_problems - 5, "validation": 5}
    # the verl layout: chat prompt, tests as a JSON string the reward function parses
    rows = pq.read_table(out / "verl" / "train.parquet").to_pylist()
    assert len(rows) == result.num_problems - 5
    by_id = {Problem.from_row(r).problem_id: Problem.from_row(r) for r in pq.read_table(out / "data" / names[0]).to_pylist()}
    for row in rows:
        problem = by_id[row["extra_info"]["problem_id"]]
        truth = json.loads(row["reward_model"]["ground_truth"])
        assert truth["inputs"] == [t.input for t in problem.tests] and truth["fn_name"] == problem.func_name
        assert [m["role"] for m in row["prompt"]] == ["system", "user"] and problem.statement[:200] in row["prompt"][1]["content"]
        assert row["ability"] == "code" and json.loads(row["extra_info"]["tests"])[0]["output"] == problem.tests[0].output
    # the same build without the options removes the extra split and the export
    build_dataset(BuildConfig(output=out, verify=None))
    assert sorted(p.name for p in (out / "data").glob("*.parquet")) == ["train-00000-of-00001.parquet"] and not (out / "verl").exists()


def test_validation_hold_out_does_not_depend_on_input_order(contests):
    from mcdata.pipeline import validation_keys

    forward = validation_keys(contests, 0.25, len(contests))
    assert len(forward) == 5 and forward == validation_keys(list(reversed(contests)), 0.25, len(contests))


def test_verify_shows_a_bar_with_total_done_and_rate(real_data):
    """`--difficulty pass-rate` sat on a frozen spinner ("pass rates 22/?"); phases now count against a total."""
    from mcdata.verify import VerifyConfig, verify_problems

    spec = SourceSpec("apps", str(real_data / "apps-coderl-sample" / "apps_train_sample.jsonl"))
    problems = list(collect([spec], CollectConfig(), BuildReport()))
    with progress.live(True):
        with progress.phase("verify", len(problems), True):
            list(verify_problems(problems, VerifyConfig(min_tests=1, workers=2), BuildReport()))
            (bar_task,) = progress._LIVE.get().tasks
    assert (bar_task.description, bar_task.total, bar_task.completed) == ("verify", 5, 5)
    assert bar_task.finished and bar_task.elapsed > 0


def test_stage_without_a_display_is_quiet_unless_asked(capsys):
    with progress.stage_task("x", 3, enabled=False) as advance:
        advance(3)
    assert capsys.readouterr().err == "" and not progress.in_phase()


def test_card_is_the_last_file_written(tmp_path, monkeypatch):
    """The card goes last, after the report: if the card cannot be written, the folder has no card."""
    import mcdata.pipeline as pipeline

    order: list[str] = []
    real_card = pipeline.write_card
    monkeypatch.setattr(pipeline, "write_card", lambda *a, **k: (order.append("card"), real_card(*a, **k))[1])
    real_shards = pipeline.write_shards
    monkeypatch.setattr(pipeline, "write_shards", lambda *a, **k: (order.append("shards"), real_shards(*a, **k))[1])
    build_dataset(BuildConfig(output=tmp_path / "ds", verify=None))
    assert order == ["shards", "card"] and Path(tmp_path / "ds" / "README.md").is_file()
