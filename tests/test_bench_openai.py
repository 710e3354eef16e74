"""`--backend openai` against a REAL OpenAI-compatible HTTP server on 127.0.0.1.

The server is `transformers serve` (the `serve` extra) started by this module with the tiny random
model saved to a temp dir — offline, CPU. In front of it, a recording proxy keeps every request body
it forwards (and passes replies, streamed ones included, through unchanged), so the tests see what
the backend really sent and that the real server accepted it. No part of the HTTP exchange is faked.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from mccore.schema import Problem, TestCase
from mcgen.backends import make_backend
from mcgen.backends.openai_compat import ServerError
from mcgen.prompt_styles import build_prompt
from mcgen.tiny_model import save_tiny_model
from mcgen.types import SamplingConfig

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


class _Recorder:
    """A recording reverse proxy on 127.0.0.1: every request's path and JSON body is kept, the
    request goes on to the real server, and its reply (status, body, streamed or not) comes back."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/").removesuffix("/v1")
        self.requests: list[tuple[str, dict | None]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, body: bytes | None) -> None:
                recorder.requests.append((self.path, json.loads(body) if body else None))
                request = urllib.request.Request(recorder.upstream + self.path, data=body, method=self.command,
                                                 headers={"Content-Type": "application/json"})
                try:
                    reply = urllib.request.urlopen(request, timeout=120)
                except urllib.error.HTTPError as exc:
                    reply = exc
                with reply:
                    self.send_response(reply.status if hasattr(reply, "status") else reply.code)
                    self.send_header("Content-Type", reply.headers.get("Content-Type", "application/json"))
                    self.end_headers()
                    while chunk := reply.read1(65536) if hasattr(reply, "read1") else reply.read():
                        self.wfile.write(chunk)
                        self.wfile.flush()

            def do_GET(self):  # noqa: N802 (http.server's naming)
                self._forward(None)

            def do_POST(self):  # noqa: N802
                self._forward(self.rfile.read(int(self.headers["Content-Length"])))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def bodies(self, path: str) -> list[dict]:
        return [body for p, body in self.requests if p == path and body is not None]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder(server):
    proxy = _Recorder(server[0])
    yield proxy
    proxy.close()


STDIN = Problem(problem_id="abc1_a", source="lcb", statement="Print A+B.", tests=(TestCase("1 2\n", "3\n"),))


def test_backend_samples_n_completions_per_prompt(server):
    base_url, model_dir = server
    backend = make_backend("openai", base_url=base_url, concurrency=3, dialect="transformers")
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
    backend = make_backend("openai", base_url=base_url, model="no-such-model", max_retries=3, backoff_s=5,
                           dialect="transformers")
    started = time.monotonic()
    with pytest.raises(ServerError, match="HTTP 4"):
        backend.generate([[{"role": "user", "content": "hi"}]], SamplingConfig(n=1, max_tokens=4))
    assert time.monotonic() - started < 5  # a 4xx is not retried


def test_cli_bench_through_openai_server(server, tmp_path):
    base_url, model_dir = server
    out = tmp_path / "out"
    args = ["eval", "--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--difficulty", "easy",
            "--backend", "openai", "--base-url", base_url, "--model", model_dir, "--concurrency", "4",
            "--server-dialect", "transformers",
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


def test_request_bodies_carry_every_sampling_value(server, recorder):
    """What reaches the server: every sampling value (in `transformers serve`'s dialect), the chat
    template options, a per-sample seed; and the real server accepts all of it."""
    _, model_dir = server
    sampling = SamplingConfig(n=2, temperature=0.7, top_p=0.8, max_tokens=8, seed=1, top_k=20, min_p=0.05,
                              repetition_penalty=1.05, stop=("###",))
    backend = make_backend("openai", base_url=recorder.base_url, model=model_dir, dialect="transformers",
                           chat_template_kwargs={"enable_thinking": False})
    [completions] = backend.generate([build_prompt(STDIN, "generic")], sampling)
    assert len(completions) == 2 and all(c.num_tokens >= 1 for c in completions)
    bodies = recorder.bodies("/v1/chat/completions")
    assert len(bodies) == 2 and bodies[0]["seed"] != bodies[1]["seed"]
    for body in bodies:
        assert json.loads(body.pop("generation_config")) == {"top_k": 20, "min_p": 0.05, "repetition_penalty": 1.05}
        body.pop("seed")
        assert body == {"model": model_dir, "messages": build_prompt(STDIN, "generic"), "n": 1, "max_tokens": 8,
                        "temperature": 0.7, "top_p": 0.8, "stop": ["###"],
                        "chat_template_kwargs": {"enable_thinking": False}}


def test_vllm_dialect_rejected_by_transformers_serve_says_what_to_pass(server, recorder):
    backend = make_backend("openai", base_url=recorder.base_url, model=server[1], max_retries=2, backoff_s=5)
    with pytest.raises(ServerError, match="HTTP 422.*--server-dialect transformers"):
        backend.generate([build_prompt(STDIN, "generic")], SamplingConfig(n=1, max_tokens=4))
    [body] = recorder.bodies("/v1/chat/completions")  # a 4xx is not retried
    assert {"top_k": -1, "min_p": 0.0, "repetition_penalty": 1.0}.items() <= body.items()


def test_finished_text_prompts_go_to_the_completions_endpoint(server, recorder):
    """LiveCodeBench's hand-built prompts (CodeQwen's ChatML) are text, sent as is: no chat template."""
    backend = make_backend("openai", base_url=recorder.base_url, model=server[1], dialect="transformers")
    text = build_prompt(STDIN, "codeqwen")
    [completions] = backend.generate([text], SamplingConfig(n=1, temperature=1.0, max_tokens=6))
    assert completions[0].num_tokens >= 1
    [body] = recorder.bodies("/v1/completions")
    assert body["prompt"] == text and "messages" not in body and not recorder.bodies("/v1/chat/completions")


def test_streamed_replies_equal_plain_ones(server, recorder):
    """--stream reads the server's event stream; same seeds, same samples, same token counts."""
    sampling = SamplingConfig(n=2, temperature=1.0, max_tokens=12, seed=3)
    prompts = [build_prompt(STDIN, "generic"), build_prompt(STDIN, "codeqwen")]
    plain = make_backend("openai", base_url=recorder.base_url, model=server[1], dialect="transformers")
    streamed = make_backend("openai", base_url=recorder.base_url, model=server[1], dialect="transformers", stream=True)
    assert streamed.generate(prompts, sampling) == plain.generate(prompts, sampling)
    assert {body.get("stream") for _, body in recorder.requests if body} == {None, True}
    assert all(body["stream_options"] == {"include_usage": True} for _, body in recorder.requests if body and body.get("stream"))


def test_cache_key_names_the_server(server, recorder, tmp_path):
    """The same model behind another URL is another generation: the cache does not answer for it."""
    base_url, model_dir = server
    args = ["eval", "--bench", "lcb-v6", "--dataset-path", str(FIXTURE), "--difficulty", "hard", "--backend", "openai",
            "--model", model_dir, "--server-dialect", "transformers", "-n", "1", "--max-tokens", "4",
            "--output", str(tmp_path / "out"), "--quiet"]
    for url, generated in ((base_url, 2), (base_url, 0), (recorder.base_url, 2)):
        result = CliRunner().invoke(app, [*args, "--base-url", url])
        assert result.exit_code == 0, result.output
        summary = json.loads((tmp_path / "out" / "summary.json").read_text())
        assert summary["generation"]["generated_prompts"] == generated
    assert summary["generation"]["identity"]["model"]["base_url"] == recorder.base_url
    assert summary["sampling_parameters"]["server_dialect"] == "transformers"
    assert json.loads(summary["sampling_parameters"]["generation_config"]) == {"top_k": 0, "min_p": None,
                                                                               "repetition_penalty": 1.0}
