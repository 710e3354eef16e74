"""Every mistake a user makes gets one clear line, a non-zero exit and no traceback (issue 9).

Each case runs the installed `microcoder` command in a subprocess, as a user would. Where a case
needs "no network", the Hub endpoint is pointed at a closed local port (HF_ENDPOINT): the network
is replaced only at that outermost boundary, and the check is the real one.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REAL_DATA

MICROCODER = str(Path(sys.executable).parent / "microcoder")
LCB_FIXTURE = Path(__file__).parent / "fixtures" / "lcb"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def microcoder(*args: str, cwd: Path, online: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the CLI; `online=True` lifts offline mode but points the Hub at a closed port."""
    env = dict(os.environ, MICROCODER_DEBUG="0")
    if online:  # no offline flags, an empty HF cache, and a Hub that refuses connections
        env.pop("HF_HUB_OFFLINE", None)
        env.pop("HF_DATASETS_OFFLINE", None)
        env["HF_ENDPOINT"] = f"http://127.0.0.1:{_closed_port()}"
        env["HF_HOME"] = str(cwd / ".hf-home")
    return subprocess.run([MICROCODER, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit non-zero, exactly one non-empty line on stderr naming every needle, no traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """A real (unverified, fast) build of the shipped samples."""
    out = tmp_path_factory.mktemp("ds") / "dataset"
    result = microcoder("build-dataset", "--no-verify", "--no-progress", "--output", str(out), cwd=out.parent)
    assert result.returncode == 0, result.stderr
    return out


# ------------------------------------------------------------------ --output that cannot be a folder
@pytest.mark.parametrize(
    "command",
    [
        ["eval", "--problems", "p.jsonl", "--generations", "g.json", "--output", "{file}"],
        ["eval", "--bench", "lcb-v6", "--model", "tiny-random", "--output", "{file}/sub"],
        ["build-dataset", "--output", "{file}"],
        ["train", "--dataset", "x", "--model", "tiny-random", "--output", "{file}"],
        ["train", "calibrate-temperature", "--dataset", "x", "--output", "{file}"],
        ["train", "plot", ".", "-o", "{file}/curves.png"],
    ],
    ids=["eval", "eval-bench", "build-dataset", "train", "calibrate", "plot"],
)
def test_output_that_is_a_file(tmp_path: Path, command: list[str]) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    args = [part.replace("{file}", str(blocker)) for part in command]
    line = assert_one_line_error(microcoder(*args, cwd=tmp_path), str(blocker))
    assert "file" in line
    assert blocker.read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_plot_output_that_is_a_folder(tmp_path: Path) -> None:
    assert_one_line_error(microcoder("train", "plot", ".", "-o", str(tmp_path), cwd=tmp_path), "is a folder")


# ------------------------------------------------------------------ no network, local-looking paths
def test_bench_data_offline_fails_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    result = microcoder("eval", "--bench", "lcb-v6", "--model", "tiny-random", "--output", "out", cwd=tmp_path, online=True)
    assert_one_line_error(result, "test6.jsonl", "cannot reach", "--dataset-path")
    assert time.monotonic() - started < 90  # a hang guard; "fast" is shown by the message (the probe, not retries)


def test_hub_model_offline_fails_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    result = microcoder("eval", "--bench", "lcb-v6", "--dataset-path", str(LCB_FIXTURE), "--model", "someorg/some-model",
                        "--output", "out", cwd=tmp_path, online=True)
    assert_one_line_error(result, "someorg/some-model", "cannot reach")
    assert time.monotonic() - started < 90  # a hang guard; "fast" is shown by the message (the probe, not retries)


def test_train_hub_dataset_offline_fails_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    result = microcoder("train", "--dataset", "someorg/some-dataset", "--model", "tiny-random", "--output", "run",
                        cwd=tmp_path, online=True)
    assert_one_line_error(result, "someorg/some-dataset", "cannot reach")
    assert time.monotonic() - started < 90  # a hang guard; "fast" is shown by the message (the probe, not retries)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("ref", ["out/nodataset", "./x", "../nothing-here"])
def test_local_looking_dataset_is_never_a_hub_id(tmp_path: Path, ref: str) -> None:
    (tmp_path / "out").mkdir()
    started = time.monotonic()
    result = microcoder("train", "--dataset", ref, "--model", "tiny-random", "--output", "run", cwd=tmp_path, online=True)
    assert_one_line_error(result, ref, "no such folder")
    assert time.monotonic() - started < 90  # a hang guard; "fast" is shown by the message (the probe, not retries)


def test_unreachable_base_url_is_checked_before_starting(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    started = time.monotonic()
    result = microcoder("eval", "--bench", "lcb-v6", "--dataset-path", str(LCB_FIXTURE), "--backend", "openai",
                        "--base-url", url, "--model", "m", "--output", "out", "--quiet", cwd=tmp_path)
    assert_one_line_error(result, url, "is it running")
    assert time.monotonic() - started < 90  # a hang guard; the message shows the up-front probe answered


# ------------------------------------------------------------------ the project's own Parquet
def _reference_generations(dataset: Path, path: Path) -> Path:
    import pyarrow.parquet as pq

    rows = [row for shard in sorted((dataset / "data").glob("*.parquet")) for row in pq.read_table(shard).to_pylist()]
    path.write_text(json.dumps([{"question_id": r["problem_id"], "code_list": ["print(input())"]} for r in rows]))
    return path


def test_eval_reads_the_projects_own_dataset(dataset: Path, tmp_path: Path) -> None:
    gens = _reference_generations(dataset, tmp_path / "gens.json")
    shard = sorted((dataset / "data").glob("*.parquet"))[0]
    for problems in (dataset, shard):
        out = tmp_path / problems.name
        result = microcoder("eval", "--problems", str(problems), "--generations", str(gens), "--output", str(out),
                            "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        summary = json.loads((out / "summary.json").read_text())
        rows = (out / "samples.jsonl").read_text().splitlines()
        assert summary["num_problems"] == len(rows) == len(json.loads(gens.read_text())) > 10


def test_unfinished_dataset_folder_is_refused(dataset: Path, tmp_path: Path) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    (broken / "README.md").unlink()  # what an interrupted build leaves: shards and report, no card
    gens = _reference_generations(dataset, tmp_path / "gens.json")
    for args in (["train", "--dataset", str(broken), "--model", "tiny-random", "--output", str(tmp_path / "run")],
                 ["eval", "--problems", str(broken), "--generations", str(gens), "--output", str(tmp_path / "ev")]):
        assert_one_line_error(microcoder(*args, cwd=tmp_path), str(broken), "unfinished", "rerun")


# ------------------------------------------------------------------ interrupted eval says it resumed
def test_resumed_eval_says_so(tmp_path: Path) -> None:
    problems = REAL_DATA / "sandboxfusion_samples" / "code_eval_live_code_bench_v1.jsonl"
    from mcdata.collect import CollectConfig, SourceSpec, collect
    from mcdata.report import BuildReport
    from mceval.evaluate import PARTIAL_FILE, _fingerprint, load_generations

    loaded = list(collect([SourceSpec.parse(f"lcb={problems}")], CollectConfig(), BuildReport()))
    problems_file = tmp_path / "problems.jsonl"
    problems_file.write_text("".join(json.dumps(p.to_row()) + "\n" for p in loaded))
    gens = tmp_path / "gens.json"
    gens.write_text(json.dumps([{"question_id": p.problem_id, "code_list": ["print(1)", "print(2)"]} for p in loaded]))
    out = tmp_path / "out"
    first = microcoder("eval", "--problems", str(problems_file), "--generations", str(gens), "--output", str(out), "--quiet",
                       cwd=tmp_path)
    assert first.returncode == 0 and "resuming" not in first.stderr, first.stderr
    rows = (out / "samples.jsonl").read_text().splitlines()

    from mceval.lcb_format import load_lcb_problems
    from mceval.types import GradeConfig

    again = load_lcb_problems(problems_file)
    fingerprint = _fingerprint(again, load_generations(gens, [p.problem_id for p in again]), GradeConfig())
    (out / PARTIAL_FILE).write_text(json.dumps({"fingerprint": fingerprint}) + "\n" + "\n".join(rows[:4]) + "\n")
    second = microcoder("eval", "--problems", str(problems_file), "--generations", str(gens), "--output", str(out), "--quiet",
                        cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert f"reused 4 of {len(rows)} samples" in second.stderr


# ------------------------------------------------------------------ small things
def test_version_and_help_conventions(tmp_path: Path) -> None:
    version = microcoder("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("microcoder ")
    bare_train = microcoder("train", cwd=tmp_path)
    assert "Usage: microcoder train" in bare_train.stdout + bare_train.stderr and "Traceback" not in bare_train.stderr
    push_help = microcoder("build-dataset", "push", "--help", cwd=tmp_path).stdout
    assert "FOLDER REPO_ID" in push_help and "{" not in push_help.splitlines()[0]
    assert "<bool>" not in push_help and "--private" in push_help
    assert "RUN_DIR..." in microcoder("train", "plot", "--help", cwd=tmp_path).stdout


def test_summary_has_no_rounding_noise() -> None:
    from mceval.evaluate import tidy_floats

    noisy = {"pass@1": 0.1 + 0.2 + 0.19999999999999996, "by": [{"x": 0.49999999999999994}], "n": 3}
    assert tidy_floats(noisy) == {"pass@1": 0.5, "by": [{"x": 0.5}], "n": 3}


@pytest.mark.slow
def test_ctrl_c_is_one_line_and_the_rerun_resumes(tmp_path: Path) -> None:
    import signal

    from mcdata.collect import CollectConfig, SourceSpec, collect
    from mcdata.report import BuildReport

    source = REAL_DATA / "sandboxfusion_samples" / "code_eval_live_code_bench_v1.jsonl"
    loaded = list(collect([SourceSpec.parse(f"lcb={source}")], CollectConfig(), BuildReport()))
    problems_file = tmp_path / "problems.jsonl"
    problems_file.write_text("".join(json.dumps(p.to_row()) + "\n" for p in loaded))
    gens = tmp_path / "gens.json"  # quick samples first, then one that spins until its time limit
    gens.write_text(json.dumps([{"question_id": p.problem_id, "code_list": [f"print({i})" for i in range(8)] + ["while True: pass"]}
                                for p in loaded]))
    args = [MICROCODER, "eval", "--problems", str(problems_file), "--generations", str(gens), "--output", str(tmp_path / "out"),
            "--quiet", "--workers", "1", "--timeout", "8"]  # the same job both times, or nothing may be reused
    process = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    partial = tmp_path / "out" / "samples.partial.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not partial.exists() or len(partial.read_text().splitlines()) < 9):
        # header + the first problem's 8 quick samples: its spinning sample is now running for 8 s
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if line.strip()] == [
        "interrupted: rerun the same command to resume where it stopped"]
    rerun = subprocess.run(args, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "resuming: reused" in rerun.stderr and "of 27 samples" in rerun.stderr
