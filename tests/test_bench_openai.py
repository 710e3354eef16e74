"""`--backend openai` against a REAL OpenAI-compatible HTTP server on 127.0.0.1.

The server is `transformers serve` (the `serve` extra) started by this module with the tiny random
model saved to a temp dir — offline, CPU. No part of the HTTP exchange is faked.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from mceval.bench import SamplingConfig, make_backend
from mceval.bench.backends.openai_compat import ServerError
from mceval.tiny_model import save_tiny_model

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lcb"
pytestmark = pytest.mark.slow  # starting the server takes ~10-30 s on the 2-core CI machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base_url, model_dir) of a running `transformers serve` pinned to the tiny model."""
    model_dir = save_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
    executable = Path(sys.executable).with_name("transformers")
    assert executable.exists(), f"{executable} missing: install the serve extra (pip install -e '.[serve]')"
    port = _free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    # One torch thread: the tiny model is several times faster so on a busy 2-core machine.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [str(executable), "serve", str(model_dir), "--host", "127.0.0.1", "--port", str(port), "--device", "cpu"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"transformers serve did not start: {Path(log.name).read_text()[-2000:]}")
        time.sleep(0.5)
    yield base_url, str(model_dir)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_backend_samples_n_completions_per_prompt(server):
    base_url, model_dir = server
    backend = make_backend("openai", base_url=base_url, concurrency=3)
    assert backend.model_id == model_dir  # discovered from GET /v1/models
    prompts = [[{"role": "user", "content": "Write a program."}], [{"role": "user", "content": "Sum two ints."}]]
    results = backend.generate(prompts, SamplingConfig(n=3, temperature=1.0, max_tokens=12))
    assert [len(r) for r in results] == [3, 3]
    for completion in (c for r in results for c in r):
        assert 1 <= completion.num_tokens <= 12  # usage.completion_tokens of one-sample requests
        assert completion.finish_reason in ("stop", "length")
        assert isinstance(completion.text, str)
    assert any(c.finish_reason == "length" and c.num_tokens == 12 for r in results for c in r)


def test_http_errors_fail_fast_with_the_servers_message(server):
    base_url, _ = server
    backend = make_backend("openai", base_url=base_url, model="no-such-model", max_retries=3, backoff_s=5)
    started = time.monotonic()
    with pytest.raises(ServerError, match="HTTP 4"):
        backend.generate([[{"role": "user", "content": "hi"}]], SamplingConfig(n=1, max_tokens=4))
    assert time.monotonic() - started < 5  # a 4xx is not retried


def test_cli_bench_through_openai_server(server, tmp_path):
    base_url, model_dir = server
    out = tmp_path / "out"
    args = ["eval", "--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--difficulty", "easy",
            "--backend", "openai", "--base-url", base_url, "--model", model_dir, "--concurrency", "4",
            "-n", "2", "--max-tokens", "16", "--temperature", "1.0", "--output", str(out), "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["backend"] == "openai" and summary["model"] == model_dir
    assert summary["num_problems"] == 2 and summary["num_samples"] == 4
    assert summary["generation"]["generated_prompts"] == 2
    assert 1 <= summary["responses"]["max_tokens_seen"] <= 16
    assert summary["pass@1"] == 0.0 and summary["results"]["microcoder"]["verdicts"] == {"NO_CODE": 4}
    # Resume: the cache answers, the server is not asked again.
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["generation"]["generated_prompts"] == 0
