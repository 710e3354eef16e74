"""`microcoder train plot`: metrics.jsonl -> training-curve PNG (mctrain.plot)."""

from __future__ import annotations

import json

import pytest

from mctrain.plot import PANELS, _panel_keys, plot_run, plot_runs, read_metrics

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _write_run(run_dir, rows, tail: str = ""):
    run_dir.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r) + "\n" for r in rows) + tail
    (run_dir / "metrics.jsonl").write_text(text)
    return run_dir


def _rows(n=6, temp_switch=3):
    return [
        {
            "step": s,
            "reward_mean": 0.1 * s,
            "pass_rate": 0.05 * s,
            "response_length_mean": 100.0 + s,
            "response_length_max": 128,
            "truncation_rate": 0.5,
            "masked_fraction": 0.1,
            "diversity": 0.7,
            "temperature": 0.6 if s < temp_switch else 1.2,
            "clip_high_fraction": 0.01,
            "step_time_s": 1.0,
            "reward_time_s": 0.2,
        }
        for s in range(1, n + 1)
    ]


def test_plot_run_writes_png_with_expected_panels(tmp_path):
    rows = _rows()
    rows.append({"step": 6, "eval_pass_at_1": 0.25, "eval_runtime_s": 30.0})  # a periodic evaluation row
    run = _write_run(tmp_path / "run", rows)
    out = plot_run(run)
    assert out == run / "training_curves.png"
    assert out.read_bytes().startswith(PNG_MAGIC) and out.stat().st_size > 10_000
    runs = [read_metrics(run / "metrics.jsonl")]
    drawn = {p.title: _panel_keys(p, runs) for p in PANELS}
    assert drawn["Accuracy / reward"] == ["reward_mean", "pass_rate", "eval_pass_at_1"]
    assert drawn["Clipped ratios"] == ["clip_high_fraction"]  # unlogged clip keys left out
    assert drawn["Step time"] == ["step_time_s", "reward_time_s"]
    assert not list(run.glob(".*tmp"))  # atomic write leaves no temp file


def test_plot_runs_overlays_and_custom_output(tmp_path):
    a = _write_run(tmp_path / "grpo", _rows(temp_switch=99))
    b = _write_run(tmp_path / "microcoder", _rows())
    out = plot_runs([a, b], tmp_path / "cmp" / "curves.png", labels=["GRPO", "MicroCoder-GRPO"])
    assert out.read_bytes().startswith(PNG_MAGIC)
    with pytest.raises(ValueError, match="2 labels for 1 runs"):
        plot_runs([a], tmp_path / "x.png", labels=["a", "b"])


def test_read_metrics_errors_name_file_and_line(tmp_path):
    run = _write_run(tmp_path / "bad", _rows(2), tail="{not json}\n" + json.dumps({"step": 3}) + "\n")
    with pytest.raises(ValueError, match=r"metrics.jsonl line 3: not JSON"):
        read_metrics(run / "metrics.jsonl")
    run = _write_run(tmp_path / "nostep", [{"reward_mean": 1.0}])
    with pytest.raises(ValueError, match="line 1: expected an object with a numeric 'step'"):
        read_metrics(run / "metrics.jsonl")
    with pytest.raises(FileNotFoundError, match="no metrics file"):
        plot_run(tmp_path / "missing")


def test_live_run_cut_off_last_line_is_skipped(tmp_path):
    run = _write_run(tmp_path / "live", _rows(3), tail='{"step": 4, "reward_')
    assert [r["step"] for r in read_metrics(run / "metrics.jsonl")] == [1, 2, 3]
    assert plot_run(run).is_file()


def test_nothing_known_to_plot_is_an_error(tmp_path):
    run = _write_run(tmp_path / "odd", [{"step": 1, "something_else": 2.0}])
    with pytest.raises(ValueError, match="nothing to plot"):
        plot_run(run)


def test_cli_train_plot(tmp_path):
    """`microcoder train plot RUN_DIR [RUN_DIR ...]` through the real Typer app."""
    from typer.testing import CliRunner

    from cli import app

    a = _write_run(tmp_path / "a", _rows())
    b = _write_run(tmp_path / "b", _rows())
    result = CliRunner().invoke(app, ["train", "plot", str(a)])
    assert result.exit_code == 0, result.output
    assert (a / "training_curves.png").read_bytes().startswith(PNG_MAGIC)
    result = CliRunner().invoke(app, ["train", "plot", str(a), str(b), "-o", str(tmp_path / "cmp.png")])
    assert result.exit_code == 0 and (tmp_path / "cmp.png").is_file(), result.output
    result = CliRunner().invoke(app, ["train", "plot", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "no metrics file" in result.output
