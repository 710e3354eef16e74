"""The whole `build-dataset` pipeline: the shipped-sample build, the staged folder loading with `datasets`
offline, Parquet layout, the card (what was verified, decontaminated against what, licenses), strict mode,
resuming an interrupted build, and the complete-or-visibly-not folder contract."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

import cli
from mccore.folder import IncompleteDatasetError, require_complete
from mccore.schema import Problem, arrow_schema, problem_features
from mcdata.pipeline import BuildConfig, build_dataset
from mcdata.report import RejectionError
from mcdata.write import WriteConfig


def rows_of(out: Path) -> list[Problem]:
    return [Problem.from_row(r) for s in sorted((out / "data").glob("*.parquet")) for r in pq.read_table(s).to_pylist()]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """`microcoder build-dataset` with no arguments, in a fresh working directory (verification included)."""
    cwd = tmp_path_factory.mktemp("cwd")
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli.app, ["build-dataset", "--no-progress"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return cwd / "out" / "dataset"


def test_no_argument_build_writes_dataset(built):
    shards = sorted((built / "data").glob("*.parquet"))
    assert [s.name for s in shards] == ["train-00000-of-00001.parquet"]
    report = json.loads((built / "build_report.json").read_text())
    stages = report["stages"]
    assert list(stages) == ["collect", "process", "decontaminate", "verify", "dedup"]
    assert stages["collect"]["in"] == 39
    # the three LiveCodeBench sample problems are from 2023, before the default window: they stay
    rows = rows_of(built)
    assert sorted(p.problem_id for p in rows if p.source == "lcb") == ["1873_A", "2727", "abc301_a"]
    notes = report["notes"]["decontaminate"]
    assert notes["window"] == "[2024-08-01, open)" and notes["reference_problems"] == 1055
    assert 0 < notes["reference_problems_in_window"] < 1055
    # every problem that entered a stage either left it or has a rejection
    for name, counts in stages.items():
        removed = sum(1 for r in report["rejections"] if r["stage"] == name)
        assert counts["in"] - counts["out"] == removed, name
    assert report["notes"]["write"]["problems"] == stages["dedup"]["out"] == len(rows) > 0
    assert not (built / ".build" / "shards-train").exists()


def test_build_report_publishes_no_local_paths(built):
    text = (built / "build_report.json").read_text()
    assert str(Path(cli.__file__).resolve().parent) not in text and "/tmp/" not in text
    assert ".../samples/apps_train_sample.jsonl" in text


def test_staged_folder_loads_with_datasets_offline(built):
    from datasets import load_dataset

    ds = load_dataset(str(built), split="train")
    assert ds.features == problem_features()
    report = json.loads((built / "build_report.json").read_text())
    assert len(ds) == report["notes"]["write"]["problems"]
    problems = [Problem.from_row(row) for row in ds]
    assert all(len(p.tests) >= 5 for p in problems)  # the verify stage's min-tests rule
    assert {p.stats["verify_status"] for p in problems} <= {"verified", "single_reference", "unverified"}


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
    report = json.loads((built / "build_report.json").read_text())
    assert meta["dataset_info"]["splits"][0]["num_examples"] == report["notes"]["write"]["problems"]
    # sizes as the Hub means them: uncompressed bytes, larger than the zstd files
    (shard,) = (built / "data").glob("*.parquet")
    assert meta["dataset_info"]["dataset_size"] > meta["dataset_info"]["download_size"] == shard.stat().st_size
    assert {"license", "task_categories", "size_categories", "pretty_name", "tags"} <= set(meta)
    assert "![difficulty, source and date histogram](stats.png)" in text
    assert (built / "stats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_card_and_report_say_what_was_verified_and_against_what(built):
    """Issue 9: 21 of the 22 rows used to be unverified and neither the console nor the card said so."""
    report = json.loads((built / "build_report.json").read_text())
    counts = report["notes"]["write"]["verify_status"]
    rows = rows_of(built)
    assert sum(counts.values()) == len(rows) and counts["unverified"] == sum(p.stats["verify_status"] == "unverified" for p in rows)
    text = (built / "README.md").read_text()
    assert f"**unverified**: {counts['unverified']} of {len(rows)} rows" in text and "KEPT UNVERIFIED" in text
    assert "lcb_statements.jsonl.gz, lcb_v6_problems.jsonl.gz — 1,055 LiveCodeBench problems dated 2023-05-07 to 2025-04-06" in text
    assert "release_v6" in text


def test_rows_carry_their_upstream_license(built):
    """The DeepCoder sample rows are CodeContests (CC-BY-4.0) and CodeElo (Apache-2.0), not MIT."""
    rows = rows_of(built)
    by_upstream = {(p.stats.get("upstream"), p.license) for p in rows if p.source == "deepcoder"}
    assert by_upstream <= {("CodeContests", "cc-by-4.0"), ("CodeElo", "apache-2.0")} and by_upstream
    assert {p.license for p in rows if p.source == "lcb"} == {"cc"}
    text = (built / "README.md").read_text()
    assert "[cc-by-4.0](https://creativecommons.org/licenses/by/4.0/)" in text and "[CodeContests](" in text
    assert "mit" not in {p.license for p in rows if p.source == "deepcoder"}


def test_many_shards_and_stale_shards_removed(tmp_path):
    out = tmp_path / "ds"
    small = BuildConfig(output=out, verify=None, write=WriteConfig(max_shard_bytes=20_000, row_group_rows=4))
    first = build_dataset(small)
    assert len(first.shards) > 2 and first.shards[-1].name == f"train-{len(first.shards) - 1:05d}-of-{len(first.shards):05d}.parquet"
    again = build_dataset(BuildConfig(output=out, verify=None))
    assert [p.name for p in (out / "data").glob("*.parquet")] == ["train-00000-of-00001.parquet"]
    assert again.num_problems == first.num_problems == sum(pq.ParquetFile(s).metadata.num_rows for s in again.shards)


def test_strict_mode_stops_at_a_bad_input_row_not_at_filtering(tmp_path, real_data):
    """Issue 11 §5: `--strict` used to fail the default build on ordinary filtering (a duplicate, a short test list)."""
    assert build_dataset(BuildConfig(output=tmp_path / "ds", verify=None, strict=True)).num_problems > 0
    lines = (real_data / "apps-coderl-sample/apps_train_sample.jsonl").read_text().splitlines()
    bad = tmp_path / "apps.jsonl"
    bad.write_text("\n".join([lines[0], "{truncated", lines[1]]) + "\n")
    with pytest.raises(RejectionError, match=rf"\[collect\] apps \({bad}\), row 2: invalid JSON"):
        build_dataset(BuildConfig(output=tmp_path / "s", sources=[f"apps={bad}"], verify=None, strict=True))


def test_interrupted_build_resumes_from_last_finished_chunk(tmp_path, monkeypatch):
    """Kill the verify phase in its third chunk; the rerun keeps the clean phase and the two finished
    chunks, redoes only the rest, and ends with the same dataset as an uninterrupted build."""
    import mcdata.verify as verify

    real = verify.verify_problems
    calls: list[int] = []
    crash = True

    def crashing(problems, cfg, report):
        chunk = list(problems)
        calls.append(len(chunk))
        if len(calls) == 3 and crash:
            raise KeyboardInterrupt("simulated kill")
        return real(chunk, cfg, report)

    monkeypatch.setattr(verify, "verify_problems", crashing)
    out = tmp_path / "ds"
    with pytest.raises(KeyboardInterrupt):
        build_dataset(BuildConfig(output=out, chunk_size=8))
    phase = out / ".build" / "2-verify"
    assert sorted(p.name for p in phase.iterdir() if p.suffix == ".parquet") == ["part-00000.parquet", "part-00001.parquet"]
    assert not list(phase.glob("*.tmp")) and not (out / "data").exists()

    crash = False
    calls.clear()
    resumed = build_dataset(BuildConfig(output=out, chunk_size=8))
    assert "clean" in resumed.resumed_phases
    assert len(calls) == 3  # chunks 3..5 of the 37 problems only
    fresh = build_dataset(BuildConfig(output=tmp_path / "fresh", chunk_size=8))
    untimed = lambda rows: [p.with_(stats={k: v for k, v in p.stats.items() if not k.endswith("time_s")}) for p in rows]  # noqa: E731
    assert untimed(rows_of(out)) == untimed(rows_of(tmp_path / "fresh"))
    assert resumed.report.to_dict()["stages"] == fresh.report.to_dict()["stages"]


def test_an_interrupted_rebuild_leaves_a_folder_that_is_refused_until_rerun(tmp_path, monkeypatch):
    """Issue 9: a finished folder, rebuilt with other settings and interrupted while writing shards, has
    shards and a report but no card: `require_complete` (what train and eval call) refuses it; the
    rerun repairs it."""
    import mcdata.pipeline as pipeline

    out = tmp_path / "ds"
    build_dataset(BuildConfig(output=out, verify=None))
    assert require_complete(out)
    real = pipeline.write_shards

    def dies_after_writing(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt("simulated kill after the shards")

    monkeypatch.setattr(pipeline, "write_shards", dies_after_writing)
    changed = BuildConfig(output=out, verify=None, write=WriteConfig(max_shard_bytes=20_000, row_group_rows=4))
    with pytest.raises(KeyboardInterrupt):
        build_dataset(changed)
    assert list((out / "data").glob("*.parquet")) and not (out / "README.md").exists()
    with pytest.raises(IncompleteDatasetError, match="rerun the same build-dataset command"):
        require_complete(out)
    monkeypatch.setattr(pipeline, "write_shards", real)
    build_dataset(changed)
    assert len(require_complete(out)) > 1 and (out / "README.md").is_file()


def test_changed_config_invalidates_checkpoints(tmp_path):
    out = tmp_path / "ds"
    build_dataset(BuildConfig(output=out, verify=None))
    assert build_dataset(BuildConfig(output=out, verify=None)).resumed_phases == ["clean", "dedup"]
    from mcdata.process import ProcessConfig

    assert build_dataset(BuildConfig(output=out, verify=None, process=ProcessConfig(max_tests=5))).resumed_phases == []


def test_output_that_is_a_file_is_refused_before_anything_is_written(tmp_path):
    target = tmp_path / "x.parquet"
    target.write_bytes(b"keep me")
    with pytest.raises(ValueError, match=r"--output .*x.parquet: is a file; give a folder"):
        build_dataset(BuildConfig(output=target, verify=None))
    assert target.read_bytes() == b"keep me" and list(tmp_path.iterdir()) == [target]


def test_help_lists_the_contract_options():
    result = CliRunner().invoke(cli.app, ["build-dataset", "--help"], env={"COLUMNS": "250", "TERMINAL_WIDTH": "250"})
    assert result.exit_code == 0
    for option in ("--source", "--output", "--decontaminate-against", "--min-tests", "--difficulty", "--push-to-hub",
                   "--strict", "--max-references", "--min-ref-pass-rate", "--single-reference", "--max-test-bytes",
                   "--max-shard-size", "--max-tokens", "--temperature", "--validation", "--export", "--needs-checker"):
        assert option in result.output, option
    assert "push" in result.output  # the `build-dataset push DIR REPO_ID` subcommand


def test_pass_rate_difficulty_through_the_cli(tmp_path, real_data):
    """`--difficulty pass-rate --rollouts FILE`: LiveCodeBench's published O1-Preview generations for the
    three SandboxFusion LCB problems are graded by the real grader; every pass rate is recorded."""
    out = tmp_path / "ds"
    args = [
        "build-dataset", "--no-progress", "-o", str(out), "--eval-window", "none", "--no-verify",
        "--decontaminate-against", "none",
        "-s", f"lcb={real_data / 'sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl'}",
        "--difficulty", "pass-rate", "-k", "1", "--pass-rate-band", "[0,1]",
        "--rollouts", str(real_data / "lcb_submissions/O1-Preview-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz"),
    ]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    rows = rows_of(out)
    assert sorted(p.problem_id for p in rows) == ["1873_A", "2727", "abc301_a"]
    assert all(any("pass" in key for key in p.stats) for p in rows)
    stages = json.loads((out / "build_report.json").read_text())["stages"]
    assert stages["pass_rate"] == {"in": 3, "out": 3, "per_source": {"lcb": {"in": 3, "out": 3}}}
    assert "text and identifier decontamination is OFF" in result.output


def test_speed_settings_do_not_invalidate_checkpoints(tmp_path):
    from mcdata.dedup import DedupConfig

    out = tmp_path / "ds"
    build_dataset(BuildConfig(output=out, verify=None))
    again = build_dataset(BuildConfig(output=out, verify=None, progress=True, dedup=DedupConfig(workers=2, chunk_size=7)))
    assert again.resumed_phases == ["clean", "dedup"]
