"""The whole `build-dataset` pipeline: the shipped-sample build through the real CLI, the staged folder
loading with `datasets` offline, Parquet layout, the card, strict mode and resuming an interrupted build."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

import cli
from mcdata.pipeline import BuildConfig, build_dataset
from mcdata.report import RejectionError
from mcdata.schema import Problem, arrow_schema, problem_features
from mcdata.write import WriteConfig


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """`microcoder build-dataset` with no arguments, in a fresh working directory (verification included)."""
    cwd = tmp_path_factory.mktemp("cwd")
    runner = CliRunner()
    import os

    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(cli.app, ["build-dataset", "--no-progress"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return cwd / "out" / "dataset"


def test_no_argument_build_writes_dataset(built):
    shards = sorted((built / "data").glob("*.parquet"))
    assert [s.name for s in shards] == ["train-00000-of-00001.parquet"]
    report = json.loads((built / "build_report.json").read_text())
    stages = report["stages"]
    assert list(stages) == ["collect", "process", "dedup", "decontaminate", "verify"]
    assert stages["collect"]["in"] == 39
    # the three LiveCodeBench sample problems are removed as copies of LCB statements, with the evidence
    decon = [r for r in report["rejections"] if r["stage"] == "decontaminate"]
    assert sorted(r["problem_id"] for r in decon) == ["1873_A", "2727", "abc301_a"]
    assert all(r["detail"]["coverage"] > 0.9 for r in decon)
    # every problem that entered a stage either left it or has a rejection
    for name, counts in stages.items():
        removed = sum(1 for r in report["rejections"] if r["stage"] == name)
        assert counts["in"] - counts["out"] == removed, name
    assert report["notes"]["write"]["problems"] == stages["verify"]["out"] > 0
    assert not (built / ".build" / "shards").exists()


def test_staged_folder_loads_with_datasets_offline(built):
    from datasets import load_dataset

    ds = load_dataset(str(built), split="train")
    assert ds.features == problem_features()
    report = json.loads((built / "build_report.json").read_text())
    assert len(ds) == report["notes"]["write"]["problems"]
    problems = [Problem.from_row(row) for row in ds]
    assert all(len(p.tests) >= 5 for p in problems)  # the verify stage's min-tests rule
    assert all("verify_status" in json.dumps(p.stats) or p.stats for p in problems)


def test_parquet_layout(built):
    (shard,) = (built / "data").glob("*.parquet")
    meta = pq.ParquetFile(shard).metadata
    assert pq.read_schema(shard).equals(arrow_schema(), check_metadata=False)
    assert b"huggingface" in pq.read_schema(shard).metadata  # features travel with the file
    assert all(meta.row_group(i).num_rows <= WriteConfig().row_group_rows for i in range(meta.num_row_groups))
    assert meta.row_group(0).column(0).compression == "ZSTD"


def test_dataset_card(built):
    text = (built / "README.md").read_text()
    assert text.startswith("---\n")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["configs"] == [{"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*"}]}]
    names = [f["name"] for f in meta["dataset_info"]["features"]]
    assert names == list(problem_features())
    assert meta["dataset_info"]["splits"][0]["num_examples"] == json.loads((built / "build_report.json").read_text())["notes"]["write"]["problems"]
    assert {"license", "task_categories", "size_categories", "pretty_name", "tags"} <= set(meta)
    assert "![difficulty, source and date histogram](stats.png)" in text
    assert (built / "stats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_many_shards_and_stale_shards_removed(tmp_path):
    out = tmp_path / "ds"
    small = BuildConfig(output=out, verify=None, write=WriteConfig(max_shard_bytes=20_000, row_group_rows=4))
    first = build_dataset(small)
    assert len(first.shards) > 2 and first.shards[-1].name == f"train-{len(first.shards) - 1:05d}-of-{len(first.shards):05d}.parquet"
    again = build_dataset(BuildConfig(output=out, verify=None))
    assert [p.name for p in (out / "data").glob("*.parquet")] == ["train-00000-of-00001.parquet"]
    assert again.num_problems == first.num_problems == sum(pq.ParquetFile(s).metadata.num_rows for s in again.shards)


def test_strict_mode_stops_at_first_rejection(tmp_path):
    with pytest.raises(RejectionError, match=r"\[decontaminate\] lcb, row 1873_A, field 'statement'"):
        build_dataset(BuildConfig(output=tmp_path / "ds", verify=None, strict=True))
    result = CliRunner().invoke(cli.app, ["build-dataset", "--strict", "--no-verify", "--no-progress", "-o", str(tmp_path / "c")])
    assert result.exit_code == 2 and "Error: [decontaminate]" in result.output


def test_cli_rejects_unknown_format(tmp_path):
    result = CliRunner().invoke(cli.app, ["build-dataset", "--source", "tacoo=x.jsonl", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "unknown source format 'tacoo'" in result.output


def test_interrupted_build_resumes_from_last_finished_chunk(tmp_path, monkeypatch):
    """Kill the verify phase in its third chunk; the rerun keeps the clean phase and the two finished
    chunks, redoes only the rest, and ends with the same dataset as an uninterrupted build."""
    import mcdata.verify as verify

    real = verify.verify_problems
    calls: list[int] = []

    def crashing(problems, cfg, report):
        chunk = list(problems)
        calls.append(len(chunk))
        if len(calls) == 3 and crash:
            raise KeyboardInterrupt("simulated kill")
        return real(chunk, cfg, report)

    monkeypatch.setattr(verify, "verify_problems", crashing)
    out = tmp_path / "ds"
    crash = True
    with pytest.raises(KeyboardInterrupt):
        build_dataset(BuildConfig(output=out, chunk_size=8))
    phase = out / ".build" / "2-verify"
    assert sorted(p.name for p in phase.iterdir() if p.suffix == ".parquet") == ["part-00000.parquet", "part-00001.parquet"]
    assert not list(phase.glob("*.tmp")) and not (out / "data").exists()

    crash = False
    calls.clear()
    resumed = build_dataset(BuildConfig(output=out, chunk_size=8))
    assert "clean" in resumed.resumed_phases
    assert len(calls) == 3  # chunks 3..5 of the 36 problems only
    fresh = build_dataset(BuildConfig(output=tmp_path / "fresh", chunk_size=8))
    read = lambda r: [Problem.from_row(x) for s in r.shards for x in pq.read_table(s).to_pylist()]  # noqa: E731
    assert read(resumed) == read(fresh)
    assert resumed.report.to_dict()["stages"] == fresh.report.to_dict()["stages"]


def test_changed_config_invalidates_checkpoints(tmp_path):
    out = tmp_path / "ds"
    build_dataset(BuildConfig(output=out, verify=None))
    assert build_dataset(BuildConfig(output=out, verify=None)).resumed_phases == ["clean"]
    from mcdata.process import ProcessConfig

    assert build_dataset(BuildConfig(output=out, verify=None, process=ProcessConfig(max_tests=5))).resumed_phases == []


def test_help_lists_the_contract_options():
    result = CliRunner().invoke(cli.app, ["build-dataset", "--help"], env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    assert result.exit_code == 0
    for option in ("--source", "--output", "--decontaminate-against", "--min-tests", "--difficulty", "--push-to-hub", "--strict"):
        assert option in result.output
    assert "push" in result.output  # the `build-dataset push DIR REPO_ID` subcommand


def test_pass_rate_difficulty_through_the_cli(tmp_path, real_data):
    """`--difficulty pass-rate --rollouts FILE`: LiveCodeBench's published O1-Preview generations for the
    three SandboxFusion LCB problems are graded by the real grader; every pass rate is recorded."""
    out = tmp_path / "ds"
    args = [
        "build-dataset", "--no-progress", "-o", str(out), "--eval-window", "none", "--no-verify",
        "-s", f"lcb={real_data / 'sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl'}",
        "--difficulty", "pass-rate", "-k", "1", "--pass-rate-band", "[0,1]",
        "--rollouts", str(real_data / "lcb_submissions/O1-Preview-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz"),
    ]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    rows = [Problem.from_row(r) for s in sorted((out / "data").glob("*.parquet")) for r in pq.read_table(s).to_pylist()]
    assert sorted(p.problem_id for p in rows) == ["1873_A", "2727", "abc301_a"]
    assert all(any("pass" in key for key in p.stats) for p in rows)
    stages = json.loads((out / "build_report.json").read_text())["stages"]
    assert stages["pass_rate"] == {"in": 3, "out": 3, "per_source": {"lcb": {"in": 3, "out": 3}}}


def test_speed_settings_do_not_invalidate_checkpoints(tmp_path):
    from mcdata.dedup import DedupConfig

    out = tmp_path / "ds"
    build_dataset(BuildConfig(output=out, verify=None))
    again = build_dataset(BuildConfig(output=out, verify=None, progress=True, dedup=DedupConfig(workers=2, chunk_size=7)))
    assert again.resumed_phases == ["clean"]
