"""The tiny model, the LiveCodeBench prompt, the hf backend and the generation cache, one by one."""

from __future__ import annotations

import json

import pytest

from mccore.schema import Problem, TestCase
from mceval.bench.cache import GenerationCache, cache_key
from mcgen.backends import make_backend, prompt_seed
from mcgen.prompts import SYSTEM_MESSAGE, build_chat_messages, render_prompt
from mcgen.tiny_model import build_tiny_model, build_tiny_tokenizer, save_tiny_model
from mcgen.types import Completion, SamplingConfig

STDIN = Problem(problem_id="abc1_a", source="lcb", statement="Print A+B.", tests=(TestCase("1 2\n", "3\n"),))
FUNCTIONAL = Problem(problem_id="1", source="lcb", statement="Add.", tests=(TestCase("1\n2", "3", "functional"),),
                     starter_code="class Solution:\n    def add(self, a: int, b: int) -> int:\n        ", func_name="add")


def test_prompts_are_livecodebench_exactly():
    system, user = build_chat_messages(STDIN)
    assert system == {"role": "system", "content": SYSTEM_MESSAGE}
    assert SYSTEM_MESSAGE.startswith("You are an expert Python programmer.")
    assert user["content"] == (
        "### Question:\nPrint A+B.\n\n### Format: Read the inputs from stdin solve the problem and write the answer "
        "to stdout (do not directly test on the sample inputs). Enclose your code within delimiters as follows. "
        "Ensure that when the python program runs, it reads the inputs, runs the algorithm and writes output to "
        "STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n### Answer: (use the provided format with backticks)\n\n"
    )
    user = build_chat_messages(FUNCTIONAL)[1]["content"]
    assert user == (
        "### Question:\nAdd.\n\n### Format: You will use the following starter code to write the solution to the "
        "problem and enclose your code within delimiters.\n```python\n" + FUNCTIONAL.starter_code + "\n```\n\n"
        "### Answer: (use the provided format with backticks)\n\n"
    )


def test_tiny_tokenizer_round_trips_and_has_a_chat_template(tmp_path):
    tokenizer = build_tiny_tokenizer()
    text = "héllo ✓ \t\n```python\nprint(1)\n```"
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text
    rendered = render_prompt(build_chat_messages(STDIN), tokenizer)
    assert rendered.startswith("<|im_start|>system\n" + SYSTEM_MESSAGE + "<|im_end|>\n<|im_start|>user\n### Question:")
    assert rendered.endswith("<|im_start|>assistant\n")
    ids = tokenizer(rendered, add_special_tokens=False)["input_ids"]
    assert ids[0] == tokenizer.convert_tokens_to_ids("<|im_start|>") and tokenizer.decode(ids) == rendered
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|endoftext|>"

    from transformers import AutoModelForCausalLM, AutoTokenizer

    directory = save_tiny_model(tmp_path / "tiny", seed=3)
    model, _ = build_tiny_model(seed=3)
    loaded = AutoModelForCausalLM.from_pretrained(directory)
    assert all((a == b).all() for a, b in zip(model.state_dict().values(), loaded.state_dict().values()))
    assert render_prompt(build_chat_messages(STDIN), AutoTokenizer.from_pretrained(directory)) == rendered


def test_hf_backend_seeds_per_prompt_and_stops_at_eos():
    model, tokenizer = build_tiny_model(seed=0)
    backend = make_backend("hf", model=model, tokenizer=tokenizer)
    sampling = SamplingConfig(n=3, temperature=1.0, max_tokens=12, seed=5)
    a, b = build_chat_messages(STDIN), build_chat_messages(FUNCTIONAL)
    first = backend.generate([a, b], sampling)
    assert [len(x) for x in first] == [3, 3]
    # A prompt gets the same samples wherever it sits in the batch (resume-safe); another seed differs.
    assert backend.generate([b], sampling)[0] == first[1]
    other = backend.generate([b], SamplingConfig(n=3, temperature=1.0, max_tokens=12, seed=6))[0]
    assert other != first[1]
    for completion in first[0] + first[1]:
        assert 1 <= completion.num_tokens <= 12
        assert completion.finish_reason == "stop" or completion.num_tokens == 12  # "length" only at the budget
    greedy = backend.generate([a], SamplingConfig(n=2, temperature=0.0, max_tokens=8))[0]
    assert greedy[0] == greedy[1]

    # eos handling: when the model always says eos, it stops at once with one token counted.
    eos = tokenizer.eos_token_id

    def always_eos(module, inputs, logits):
        logits[..., eos] += 1e4
        return logits

    hook = backend.model.lm_head.register_forward_hook(always_eos)
    try:
        stopped = backend.generate([a], SamplingConfig(n=2, temperature=1.0, max_tokens=8))[0]
    finally:
        hook.remove()
    assert stopped == [Completion("", 1, "stop")] * 2


def test_sampling_config_rejects_bad_values():
    for bad in ({"n": 0}, {"temperature": -1}, {"top_p": 0}, {"max_tokens": 0}):
        with pytest.raises(ValueError):
            SamplingConfig(**bad)
    with pytest.raises(ValueError, match="unknown backend"):
        make_backend("tgi")  # type: ignore[arg-type]
    assert prompt_seed(0, [{"role": "user", "content": "x"}]) != prompt_seed(1, [{"role": "user", "content": "x"}])


def test_cache_survives_a_torn_line_and_keys_on_everything(tmp_path):
    messages = build_chat_messages(STDIN)
    sampling = SamplingConfig(n=1, max_tokens=10)
    key = cache_key("m", messages, sampling)
    assert key != cache_key("m2", messages, sampling)
    assert key != cache_key("m", build_chat_messages(FUNCTIONAL), sampling)
    assert key != cache_key("m", messages, SamplingConfig(n=1, max_tokens=11))
    assert key != cache_key("m", messages, SamplingConfig(n=1, max_tokens=10, top_k=20))
    assert key == cache_key("m", messages, sampling, {}) != cache_key("m", messages, sampling, {"backend": "vllm"})
    assert cache_key("m", "<|im_start|>user\nhi", sampling) != cache_key("m", [{"role": "user", "content": "hi"}], sampling)
    path = tmp_path / "cache.jsonl"
    cache = GenerationCache(path)
    cache.put(key, "abc1_a", [Completion("```python\nprint(3)\n```", 9, "stop")])
    with path.open("a") as fh:
        fh.write('{"key": "torn", "completions": [{"te')  # a crash mid-write
    reloaded = GenerationCache(path)
    assert len(reloaded) == 1 and reloaded.get(key) == [Completion("```python\nprint(3)\n```", 9, "stop")]
    reloaded.put("k2", "x", [Completion("a", 1, "length")])
    lines = path.read_text().splitlines()
    assert json.loads(lines[-1])["key"] == "k2"  # appended on a fresh line, after the torn one
    assert len(GenerationCache(path)) == 2


def test_openai_backend_retries_transient_server_errors():
    """Retry policy only: a stdlib HTTP server on 127.0.0.1 answers 503 twice, then a chat completion.
    (The backend against a real OpenAI-compatible server is tests/test_bench_openai.py.)"""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    calls = []

    class Flaky(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(body)
            if len(calls) <= 2:
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"busy")
                return
            reply = {"choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "length"}],
                     "usage": {"completion_tokens": 4}}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        backend = make_backend("openai", base_url=f"http://127.0.0.1:{server.server_port}", model="m",
                               max_retries=3, backoff_s=0.01)
        [[completion]] = backend.generate([[{"role": "user", "content": "hi"}]], SamplingConfig(n=1, max_tokens=4))
        assert completion == Completion("ok", 4, "length")
        assert len(calls) == 3
        assert calls[-1]["model"] == "m" and calls[-1]["max_tokens"] == 4 and calls[-1]["n"] == 1
        calls.clear()
        backend = make_backend("openai", base_url=f"http://127.0.0.1:{server.server_port}/v1", model="m",
                               max_retries=1, backoff_s=0.01)
        with pytest.raises(Exception, match="giving up after 2 attempts: HTTP 503"):
            backend.generate([[{"role": "user", "content": "hi"}]], SamplingConfig(n=1, max_tokens=4))
    finally:
        server.shutdown()
        server.server_close()


def test_openai_request_timeout_and_streaming():
    """A stdlib server on 127.0.0.1 that takes 1.5 s per answer: a plain request with a 0.5 s timeout
    gives up naming --request-timeout; a streamed one, whose chunks come every 0.3 s, completes."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            if not body.get("stream"):
                time.sleep(1.5)
                data = json.dumps({"choices": [{"message": {"content": "late"}, "finish_reason": "stop"}]}).encode()
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            events = [{"choices": [{"delta": {"role": "assistant", "reasoning_content": "hmm"}}]}]
            events += [{"choices": [{"delta": {"content": piece}, "finish_reason": None}]} for piece in ("a", "b", "c")]
            events += [{"choices": [{"delta": {}, "finish_reason": "length"}]}, {"choices": [], "usage": {"completion_tokens": 7}}]
            for event in events:
                time.sleep(0.3)
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")

        def do_GET(self):  # noqa: N802
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    prompt = [{"role": "user", "content": "hi"}]
    try:
        plain = make_backend("openai", base_url=url, model="m", request_timeout_s=0.5, max_retries=1, backoff_s=0.01)
        with pytest.raises(Exception, match=r"giving up after 2 attempts.*--request-timeout 0.5 s.*--stream"):
            plain.generate([prompt], SamplingConfig(n=1, max_tokens=4))
        streamed = make_backend("openai", base_url=url, model="m", request_timeout_s=0.5, stream=True)
        started = time.monotonic()
        [[completion]] = streamed.generate([prompt], SamplingConfig(n=1, max_tokens=7))
        assert time.monotonic() - started > 1.5  # longer than the timeout, never silent for that long
        assert completion == Completion("abc", 7, "length", reasoning="hmm")
    finally:
        server.shutdown()
        server.server_close()
