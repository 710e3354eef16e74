"""`microcoder train` through the real CLI: a dataset built by `microcoder build-dataset` from the
shipped samples, the tiny random model, checkpoints, resume, and the `plot` subcommand. Error paths
go through the installed `.venv/bin/microcoder`: exit code, one line, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from mctrain.metrics import REQUIRED_KEYS, read_metrics

runner = CliRunner()
MICROCODER = Path(sys.executable).with_name("microcoder")
TINY = [
    "--model", "tiny-random", "--num-generations", "2", "--max-completion-length", "8",
    "--set", "use_cpu=true", "--set", "per_device_train_batch_size=2", "--set", "max_train_problems=2",
    "--set", "ctm_window_m=2", "--set", "save_strategy=steps", "--set", "rollout_prompts=1",
    "--set", "save_steps=1", "--set", "updates_per_rollout=2", "--set", "per_device_train_batch_size=1",
]


def _microcoder(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(MICROCODER), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def built_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("built") / "dataset"
    result = runner.invoke(cli.app, ["build-dataset", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert list((out / "data").glob("train-*.parquet"))
    return out


def test_train_help_lists_subcommands():
    result = runner.invoke(cli.app, ["train", "--help"])
    assert result.exit_code == 0
    for word in ("--config", "--dataset", "--model", "--output", "--max-steps", "calibrate-temperature", "plot"):
        assert word in result.output


def test_train_without_dataset_fails_clearly(tmp_path):
    result = runner.invoke(cli.app, ["train", "--model", "tiny-random", "--output", str(tmp_path / "r")])
    assert result.exit_code != 0
    assert "--dataset" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "someone/not-a-dataset"], "dataset someone/not-a-dataset is not available"),  # offline Hub id
        (["--dataset", "/nonexistent/dataset"], "--dataset /nonexistent/dataset: no such folder"),
        (["--set", "dataset_split=validation"], "no split 'validation'"),
        (["--model", "/nonexistent/model"], "model directory /nonexistent/model does not exist"),
    ],
)
def test_unavailable_data_or_model_is_a_one_line_error(tmp_path, built_dataset, args, message):
    result = runner.invoke(cli.app, ["train", "--dataset", str(built_dataset), "--output", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_bad_override_names_the_field(tmp_path, built_dataset):
    result = runner.invoke(
        cli.app, ["train", "--dataset", str(built_dataset), "--output", str(tmp_path), "--set", "ctm_rhoo=0.3"]
    )
    assert result.exit_code != 0 and "unknown key 'ctm_rhoo'; did you mean 'ctm_rho'?" in result.output
    result = runner.invoke(
        cli.app, ["train", "--dataset", str(built_dataset), "--output", str(tmp_path), "--truncation-masking", "half"]
    )
    assert result.exit_code != 0 and "truncation_masking" in result.output


def test_misspelled_set_key_is_one_line_with_a_suggestion(tmp_path):
    proc = _microcoder("train", "--dataset", str(tmp_path), "--set", "learnig_rate=1e-6", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == "Error: --set: unknown key 'learnig_rate'; did you mean 'learning_rate'?"


def test_output_that_is_a_file_is_refused_before_anything_is_written(tmp_path, built_dataset):
    blocker = tmp_path / "taken"
    blocker.write_text("keep me\n")
    proc = _microcoder("train", "--dataset", str(built_dataset), "--output", str(blocker), *TINY, cwd=tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(blocker) in lines[0] and "file" in lines[0]
    assert blocker.read_text() == "keep me\n" and sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
    # The library refuses it too (Python callers, and a path under a file).
    from mctrain.train import check_output_dir, train_main

    with pytest.raises(ValueError, match=r"taken is a file, not a directory"):
        check_output_dir(blocker / "run")
    with pytest.raises(ValueError, match=r"--output .*taken"):
        train_main(None, {"output_dir": str(blocker), "dataset": str(built_dataset)})


@pytest.mark.slow
def test_train_resumes_and_plots(tmp_path, built_dataset):
    run_dir = tmp_path / "run"
    args = ["train", "--dataset", str(built_dataset), "--output", str(run_dir), *TINY]
    first = runner.invoke(cli.app, [*args, "--max-steps", "2"])
    assert first.exit_code == 0, first.output
    # checkpoints every round: 2 optimizer updates per round
    assert (run_dir / "checkpoint-4").is_dir() and (run_dir / "final" / "config.json").is_file()
    assert [r["step"] for r in read_metrics(run_dir)] == [1, 2]
    # the progress bar and the save leave no line unfinished: the summary starts and ends its own line
    assert re.search(r"^trained 2 rollout rounds; metrics: \S+metrics\.jsonl$", first.output, re.MULTILINE)
    assert first.output.endswith("\n")

    second = runner.invoke(cli.app, [*args, "--max-steps", "3"])  # picks up checkpoint-4
    assert second.exit_code == 0, second.output
    assert "trained 3 rollout rounds" in second.output
    rows = read_metrics(run_dir)
    assert [r["step"] for r in rows] == [1, 2, 3]
    for row in rows:
        assert all(row.get(k) is not None for k in REQUIRED_KEYS), row

    plotted = runner.invoke(cli.app, ["train", "plot", str(run_dir)])
    assert plotted.exit_code == 0, plotted.output
    png = run_dir / "training_curves.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_calibrate_temperature_subcommand(tmp_path, built_dataset):
    out = tmp_path / "cal"
    result = runner.invoke(
        cli.app,
        [
            "train", "calibrate-temperature", "--dataset", str(built_dataset), "--output", str(out),
            "--temperatures", "0.6,1.8", "--num-prompts", "1", "--num-generations", "2", "--max-tokens", "4",
            "--target", "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "selected temperature: 0.6" in result.output  # random bytes are diverse at any temperature
    assert "ETA" in result.output
    assert (out / "calibration.json").is_file() and (out / "calibration.png").is_file()
    bad = runner.invoke(cli.app, ["train", "calibrate-temperature", "--dataset", str(built_dataset), "--temperatures", "a,b"])
    assert bad.exit_code != 0 and "--temperatures" in bad.output
