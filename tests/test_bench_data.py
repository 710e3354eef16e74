"""Loading LiveCodeBench: version tags, LiveCodeBench's filters, the HF-cache path, offline errors.

The fixture in tests/fixtures/lcb is laid out like the Hub repo, so both `--dataset-path` and a
Hugging Face cache built from it (offline) go through the real loading code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mceval.bench.lcb_data import (
    BenchDataError,
    ProblemFilter,
    load_lcb_benchmark,
    resolve_bench_version,
    version_files,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "lcb"


def _ids(problems) -> list[str]:
    return [p.problem_id for p in problems]


def test_version_tags_map_to_hub_files():
    assert version_files("release_v1") == ["test.jsonl"]
    assert version_files("release_v6") == [f"test{s}.jsonl" for s in ("", "2", "3", "4", "5", "6")]
    assert version_files("release_latest") == version_files("release_v6")
    assert version_files("v6") == ["test6.jsonl"]
    assert version_files("v2_v4") == ["test2.jsonl", "test3.jsonl", "test4.jsonl"]
    for bad in ("v7", "release_v0", "v4_v2", "latest"):
        with pytest.raises(ValueError):
            version_files(bad)
    assert resolve_bench_version("lcb-v6") == "v6"
    assert resolve_bench_version("lcb", "release_v5") == "release_v5"
    assert resolve_bench_version("lcb") == "release_v6"
    with pytest.raises(ValueError, match="conflicts"):
        resolve_bench_version("lcb-v6", "release_v5")


def test_fixture_slices_load_like_the_hub_files():
    v6 = load_lcb_benchmark("lcb-v6", FIXTURE)
    assert len(v6) == 6 and {p.platform for p in v6} == {"leetcode"}
    assert all(p.func_name and p.public_tests and len(p.tests) > len(p.public_tests) for p in v6)
    release = load_lcb_benchmark("release_v6", FIXTURE)
    assert len(release) == 22 and len({p.problem_id for p in release}) == 22
    # Cumulative releases contain the earlier ones, in file order.
    assert _ids(load_lcb_benchmark("release_v5", FIXTURE)) == _ids(release)[:16]
    stdin = next(p for p in release if p.problem_id == "abc301_a")
    assert stdin.func_name is None and stdin.platform == "atcoder" and len(stdin.tests) == 15  # decoded private tests


def test_filters_follow_livecodebench():
    release = load_lcb_benchmark("release_v6", FIXTURE)
    # Inclusive on both ends, compared as datetimes (abc374_c is dated 2024-10-05T00:00:00).
    window = load_lcb_benchmark("release_v6", FIXTURE, start_date="2024-10-05", end_date="2024-11-09")
    assert _ids(window) == ["abc374_c", "abc379_c"] + [p.problem_id for p in window[2:]]
    assert all("2024-10-05" <= p.contest_date[:10] <= "2024-11-09" for p in window)
    expected = [p.problem_id for p in release if "2024-10-05" <= p.contest_date[:10] <= "2024-11-09"]
    assert _ids(window) == expected
    atcoder = load_lcb_benchmark("release_v6", FIXTURE, platform="AtCoder")
    assert atcoder and all(p.platform == "atcoder" for p in atcoder)
    assert len(atcoder) == sum(p.platform == "atcoder" for p in release)
    mixed = load_lcb_benchmark("release_v6", FIXTURE, platform="leetcode,codeforces", difficulty="easy")
    assert {(p.platform, p.difficulty) for p in mixed} == {("leetcode", "easy"), ("codeforces", "easy")}
    assert load_lcb_benchmark("v6", FIXTURE, start_date="2026-01-01") == []
    with pytest.raises(ValueError, match="--end-date must be YYYY-MM-DD"):
        ProblemFilter(end_date="2025/01/01")


def test_dataset_path_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(BenchDataError, match="is not a directory"):
        load_lcb_benchmark("v6", tmp_path / "nope")
    shutil.copy(FIXTURE / "test6.jsonl", tmp_path / "test6.jsonl")
    with pytest.raises(BenchDataError, match="lacks test.jsonl, test2.jsonl"):
        load_lcb_benchmark("release_v2", tmp_path)
    lines = (FIXTURE / "test6.jsonl").read_text().splitlines()
    row = json.loads(lines[1])
    row["private_test_cases"] = "not base64 at all!"
    (tmp_path / "test6.jsonl").write_text("\n".join([lines[0], json.dumps(row)]) + "\n")
    with pytest.raises(ValueError, match=r"test6\.jsonl: line 2.*private_test_cases"):
        load_lcb_benchmark("v6", tmp_path)
    (tmp_path / "test6.jsonl").write_text(lines[0] + "\n{broken\n")
    with pytest.raises(ValueError, match=r"test6\.jsonl: line 2: malformed JSON"):
        load_lcb_benchmark("v6", tmp_path)


def _fake_hub_cache(hf_home: Path, files: list[str]) -> None:
    """The layout huggingface_hub uses for a cached dataset file (refs/main -> snapshots/<commit>/file)."""
    repo = hf_home / "hub" / "datasets--livecodebench--code_generation_lite"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    for name in files:
        shutil.copy(FIXTURE / name, snapshot / name)


def _offline(hf_home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1"}
    env.pop("HF_HUB_CACHE", None)
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_offline_without_cache_says_what_to_download(tmp_path):
    """HF_HUB_OFFLINE=1 and an empty HF cache: one clear line, exit 2, no traceback (real CLI, subprocess)."""
    result = _offline(tmp_path / "hf", "cli.py", "eval", "--bench", "lcb-v6", "--model", "tiny-random",
                      "--output", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "hf download livecodebench/code_generation_lite test6.jsonl --repo-type dataset" in result.stderr
    assert "--dataset-path" in result.stderr


def test_offline_with_cached_hub_files_loads_them(tmp_path):
    """The Hub code path (hf_hub_download) served from the HF cache, offline."""
    _fake_hub_cache(tmp_path / "hf", ["test5.jsonl", "test6.jsonl"])
    script = ("from mceval.bench.lcb_data import load_lcb_benchmark as f;"
              "print([p.problem_id for p in f('v5_v6')])")
    result = _offline(tmp_path / "hf", "-c", script)
    assert result.returncode == 0, result.stderr
    expected = [json.loads(line)["question_id"] for name in ("test5.jsonl", "test6.jsonl")
                for line in (FIXTURE / name).read_text().splitlines()]
    assert result.stdout.strip() == repr(expected)
    # release_v6 needs test.jsonl too, which is not cached: the message lists what is missing.
    result = _offline(tmp_path / "hf", "-c", "from mceval.bench.lcb_data import load_lcb_benchmark as f; f('release_v6')")
    assert result.returncode == 1 and "BenchDataError" in result.stderr and "test.jsonl" in result.stderr


def test_revision_picks_the_datasets_commit_and_files_are_hashed(tmp_path):
    """--revision reads another snapshot of the Hub dataset (here from the offline HF cache); every
    file is recorded with its size, SHA-256 and the commit it came from."""
    _fake_hub_cache(tmp_path / "hf", ["test6.jsonl"])  # main -> 000...0
    older = "1" * 40
    snapshot = tmp_path / "hf" / "hub" / "datasets--livecodebench--code_generation_lite" / "snapshots" / older
    snapshot.mkdir()
    (snapshot / "test6.jsonl").write_text("".join((FIXTURE / "test6.jsonl").read_text().splitlines(keepends=True)[:2]))
    script = ("import json, sys; from mceval.bench.lcb_data import file_record, load_lcb_benchmark, locate_lcb_files;"
              "rev = sys.argv[1] or None;"
              "print(json.dumps([[p.problem_id for p in load_lcb_benchmark('v6', revision=rev)],"
              " [file_record(p) for p in locate_lcb_files('v6', revision=rev)]]))")
    latest = _offline(tmp_path / "hf", "-c", script, "")
    pinned = _offline(tmp_path / "hf", "-c", script, older)
    assert latest.returncode == 0 and pinned.returncode == 0, latest.stderr + pinned.stderr
    (latest_ids, [latest_file]), (pinned_ids, [pinned_file]) = json.loads(latest.stdout), json.loads(pinned.stdout)
    assert len(latest_ids) == 6 and pinned_ids == latest_ids[:2]
    assert latest_file["commit"] == "0" * 40 and pinned_file["commit"] == older
    assert pinned_file["sha256"] == hashlib.sha256((snapshot / "test6.jsonl").read_bytes()).hexdigest()
    assert latest_file["name"] == "test6.jsonl" and latest_file["bytes"] == (FIXTURE / "test6.jsonl").stat().st_size


def test_revision_does_not_apply_to_a_local_folder(tmp_path):
    from mceval.bench.config import BenchConfig

    with pytest.raises(ValueError, match="--revision picks the Hub dataset's commit"):
        BenchConfig(output_dir=str(tmp_path), dataset_path=str(FIXTURE), revision="main", model="tiny-random")
