"""`microcoder build-dataset` as a user runs it (the installed command in a subprocess): every mistake gets
one line naming what to fix, a non-zero exit and no traceback, before any work (issue 9); a good build says
on the console what it kept unverified. "No network" points the Hub at a closed local port (the outermost
boundary); the checks themselves are the real ones."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import REAL_DATA
from test_cli_user_errors import MICROCODER, _closed_port
from test_cli_user_errors import assert_one_line_error as one_line_error


def build_dataset(*args: str, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    full = dict(os.environ, MICROCODER_DEBUG="0", **(env or {}))
    for key in [k for k, v in full.items() if v is None]:
        full.pop(key)
    return subprocess.run([MICROCODER, "build-dataset", *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args, needles", [
    (["--limit", "-1"], ["--limit -1: must be >= 1"]),
    (["--difficulty", "pass_rate"], ["--difficulty 'pass_rate': choose one of none, pass-rate, predict"]),
    (["--no-reference", "kep"], ["--no-reference 'kep': choose one of keep, drop"]),
    (["--near-dup-threshold", "1.5"], ["--near-dup-threshold 1.5: must be in (0, 1]"]),
    (["--eval-window", "2024-13-01:"], ["--eval-window '2024-13-01:'", "unrecognised date"]),
    (["--max-shard-size", "big"], ["--max-shard-size 'big'", "500MB"]),
    (["--difficulty", "pass-rate"], ["--difficulty pass-rate needs --model NAME", "--rollouts FILE"]),
    (["--source", "tacoo=x.jsonl"], ["unknown source format 'tacoo'"]),
])
def test_nonsense_option_values_get_one_line_naming_the_option(tmp_path, args, needles):
    one_line_error(build_dataset("-o", str(tmp_path / "ds"), "--no-progress", *args, cwd=tmp_path), *needles)
    assert not (tmp_path / "ds").exists()


def test_a_source_in_the_wrong_format(tmp_path):
    """A CodeContests file read as APPS: every row fails; this used to write an empty shard and exit 0."""
    src = REAL_DATA / "sandboxfusion_samples/code_eval_code_contests.jsonl.gz"
    line = one_line_error(build_dataset("-s", f"apps={src}", "-o", str(tmp_path / "ds"), "--no-progress", cwd=tmp_path),
                          "0/20 rows parsed as apps — wrong format?")
    assert str(src) in line and not (tmp_path / "ds" / "README.md").exists()


def test_push_without_a_token_or_a_network(tmp_path):
    folder = tmp_path / "ds"
    assert build_dataset("-o", str(folder), "--no-verify", "--no-progress", cwd=tmp_path).returncode == 0
    port = _closed_port()
    offline_host = {"HF_HUB_OFFLINE": None, "HF_DATASETS_OFFLINE": None, "HF_ENDPOINT": f"http://127.0.0.1:{port}",
                    "HF_HOME": str(tmp_path / "hf-home")}
    no_token = one_line_error(build_dataset("push", str(folder), "me/ds", cwd=tmp_path, env={**offline_host, "HF_TOKEN": None}),
                              "needs a Hugging Face token: set HF_TOKEN")
    assert "me/ds" in no_token
    start = time.monotonic()
    one_line_error(build_dataset("push", str(folder), "me/ds", cwd=tmp_path, env={**offline_host, "HF_TOKEN": "hf_x"}),
                   "push to me/ds", f"127.0.0.1:{port}")
    assert time.monotonic() - start < 90  # a hang guard; the message shows the quick up-front check answered
    # --push-to-hub: the same line before the build starts, nothing written
    one_line_error(build_dataset("-o", str(tmp_path / "new"), "--push-to-hub", "me/ds", "--no-progress", cwd=tmp_path,
                                 env={**offline_host, "HF_TOKEN": None}), "set HF_TOKEN")
    assert not (tmp_path / "new").exists()


def test_default_build_says_what_it_kept_unverified(tmp_path):
    result = build_dataset("-o", str(tmp_path / "ds"), "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stderr.split())
    assert "verification of the" in out and "unverified" in out
    assert "kept UNVERIFIED (no reference solution; --no-reference drop removes them)" in out
