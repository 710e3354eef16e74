"""`--backend openai`: any OpenAI-compatible server (`vllm serve`, SGLang, `transformers serve`...).

Plain HTTP with the standard library: one request per sample (n=1, seed = prompt seed + sample
index) so per-sample token counts are exact and servers without `n` support work; a thread pool
keeps `concurrency` requests in flight; transient failures (connection errors, timeouts,
408/429/5xx) are retried with exponential backoff, other HTTP errors fail at once with the
server's message. Chat prompts go to /chat/completions, finished texts (`mcgen.prompt_styles`) to
/completions. Every sampling value is sent (`openai_sampling_fields`, in the server's dialect), so
the server does not fill any from the model's generation config.

`request_timeout_s` bounds one request; with `stream=True` it bounds the wait for each streamed
chunk instead, so a long reasoning generation is never cut (and restarted) for taking long.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Iterator, Mapping, Sequence

from mcgen.backends.base import GenerationBackend, Prompt, prompt_seed
from mcgen.backends.sampling import SERVER_DEFAULT, SERVER_DIALECTS, ServerDialect, openai_sampling_fields
from mcgen.thinking import prompt_opens_thinking
from mcgen.types import Completion, SamplingConfig

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
PROBE_TIMEOUT_S = 5.0
_EXTRA_FIELDS = ("top_k", "min_p", "repetition_penalty", "generation_config", "chat_template_kwargs")


class ServerError(RuntimeError):
    """The server answered with an error that retrying will not fix, or kept failing."""


class OpenAIBackend(GenerationBackend):
    """Chat and text completions over HTTP; `model=None` asks the server (GET /v1/models) what it serves."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        *,
        api_key: str | None = None,
        concurrency: int = 8,
        max_retries: int = 5,
        request_timeout_s: float = 600.0,
        backoff_s: float = 1.0,
        dialect: ServerDialect = "vllm",
        stream: bool = False,
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1)")
        if dialect not in SERVER_DIALECTS:
            raise ValueError(f"--server-dialect must be one of {', '.join(SERVER_DIALECTS)}, got {dialect!r}")
        if request_timeout_s <= 0:
            raise ValueError(f"--request-timeout must be positive, got {request_timeout_s}")
        if chat_template_kwargs and dialect == "openai":
            raise ValueError("--chat-template-kwargs cannot be sent with --server-dialect openai (OpenAI's API has no such field)")
        base_url = base_url.rstrip("/")
        if not base_url.endswith("/v1"):
            base_url += "/v1"
        self.base_url = base_url
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY", "EMPTY")
        self.concurrency = max(1, concurrency)
        self.max_retries = max_retries
        self.request_timeout_s = request_timeout_s
        self.backoff_s = backoff_s
        self.dialect = dialect
        self.stream = stream
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        served = self._probe()
        self.model_id = model or self._first_served_model(served)
        self.served_model = self._served_entry(served)

    # ------------------------------------------------------------------ HTTP
    def _request(self, method: str, path: str, payload: dict | None = None) -> dict:
        """One request, retried on transient failures; a streamed reply is assembled into the shape
        of a plain one."""
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}
        url = f"{self.base_url}{path}"
        streamed = bool(payload and payload.get("stream"))
        last_error = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.request_timeout_s) as response:
                    if streamed:
                        return _assemble_stream(response)
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", "replace")[:500]
                last_error = f"HTTP {exc.code} from {url}: {body}{self._dialect_hint(exc.code, body)}"
                if exc.code not in RETRYABLE_STATUS:
                    raise ServerError(last_error) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError, json.JSONDecodeError) as exc:
                last_error = f"{url}: {exc}"
                if isinstance(exc, TimeoutError) or "timed out" in str(exc):
                    last_error += (f" (--request-timeout {self.request_timeout_s:g} s; a long generation needs a larger "
                                   "one, or --stream, which times out only when the server goes silent)")
        raise ServerError(f"giving up after {self.max_retries + 1} attempts: {last_error}")

    def _dialect_hint(self, status: int, body: str) -> str:
        if status in (400, 422) and any(name in body for name in _EXTRA_FIELDS):
            return (f" (sent with --server-dialect {self.dialect}; `transformers serve` needs --server-dialect "
                    "transformers, OpenAI's own API --server-dialect openai)")
        return ""

    def _probe(self, timeout_s: float = PROBE_TIMEOUT_S) -> dict | None:
        """Ask the server once, quickly, before any work: a wrong or dead --base-url is one clear
        line at once instead of minutes of retries. Returns /models when the server lists them."""
        request = urllib.request.Request(f"{self.base_url}/models", headers={"Authorization": f"Bearer {self.api_key}"})
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError:
            return None  # it answers; generation requests report their own errors
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServerError(f"--base-url {self.base_url}: no OpenAI-compatible server answers ({reason}); is it running?") from None

    def _first_served_model(self, served: dict | None) -> str:
        models = (served or self._request("GET", "/models")).get("data") or []
        if not models:
            raise ServerError(f"{self.base_url}/models lists no model; pass --model")
        return str(models[0]["id"])

    def _served_entry(self, served: dict | None) -> dict[str, Any]:
        """What the server says about the model (stable fields only), for the generation cache key."""
        for entry in (served or {}).get("data") or []:
            if isinstance(entry, dict) and entry.get("id") == self.model_id:
                return {k: entry[k] for k in ("id", "root", "owned_by", "max_model_len") if k in entry}
        return {}

    # ------------------------------------------------------------------ one sample
    def sampling_parameters(self, sampling: SamplingConfig) -> dict[str, Any]:
        fields = openai_sampling_fields(sampling, self.dialect, seed=None)
        fields["seed"] = "per sample, derived from --seed"
        if self.dialect == "openai":
            fields.update(top_k=SERVER_DEFAULT, min_p=SERVER_DEFAULT, repetition_penalty=SERVER_DEFAULT)
        return {"server_dialect": self.dialect, "stream": self.stream, **fields}

    def _payload(self, prompt: Prompt, sampling: SamplingConfig, seed: int) -> tuple[str, dict]:
        payload: dict[str, Any] = {"model": self.model_id, **openai_sampling_fields(sampling, self.dialect, seed)}
        if isinstance(prompt, str):
            path = "/completions"
            payload["prompt"] = prompt
            if self.dialect == "vllm":
                payload["add_special_tokens"] = False  # the text already holds its special tokens
        else:
            path = "/chat/completions"
            payload["messages"] = prompt
            if self.chat_template_kwargs:
                payload["chat_template_kwargs"] = self.chat_template_kwargs
        if self.stream:
            payload["stream"] = True
            payload["stream_options"] = {"include_usage": True}
        return path, payload

    def _sample(self, prompt: Prompt, sampling: SamplingConfig, seed: int) -> Completion:
        path, payload = self._payload(prompt, sampling, seed)
        reply = self._request("POST", path, payload)
        try:
            choice = reply["choices"][0]
            if isinstance(prompt, str):
                text, reasoning = choice.get("text") or "", None
            else:
                message = choice["message"]
                text = message.get("content") or ""
                reasoning = message.get("reasoning_content", message.get("reasoning"))
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ServerError(f"unexpected completion reply (no choices[0]): {str(reply)[:300]}") from exc
        usage = reply.get("usage") or {}
        return Completion(
            text=text,
            num_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            reasoning=None if reasoning is None else str(reasoning),
            thinking_prefilled=isinstance(prompt, str) and prompt_opens_thinking(prompt),
        )

    # ------------------------------------------------------------------ generation
    def iter_generate(
        self, prompts: Sequence[Prompt], sampling: SamplingConfig
    ) -> Iterator[tuple[int, list[Completion]]]:
        """Yield each prompt's n completions once all of them have arrived."""
        pending_counts = {i: sampling.n for i in range(len(prompts))}
        done: dict[int, list[Completion | None]] = {i: [None] * sampling.n for i in range(len(prompts))}
        jobs = ((i, k) for i in range(len(prompts)) for k in range(sampling.n))
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="openai-gen") as pool:
            in_flight: dict[Future, tuple[int, int]] = {}

            def submit_next() -> bool:
                job = next(jobs, None)
                if job is None:
                    return False
                i, k = job
                seed = prompt_seed(sampling.seed, prompts[i]) + k
                in_flight[pool.submit(self._sample, prompts[i], sampling, seed)] = job
                return True

            while len(in_flight) < 2 * self.concurrency and submit_next():
                pass
            try:
                while in_flight:
                    finished, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
                    for future in finished:
                        i, k = in_flight.pop(future)
                        done[i][k] = future.result()
                        pending_counts[i] -= 1
                        if pending_counts[i] == 0:
                            yield i, list(done.pop(i))  # type: ignore[arg-type]
                        submit_next()
            finally:
                for future in in_flight:
                    future.cancel()


def _assemble_stream(response) -> dict:
    """Read a server-sent-events reply to the end and return it in the non-streamed shape:
    `choices[0]` with the joined text (chat `message.content` and any reasoning, or completion
    `text`) and the last finish_reason, plus `usage` when the server sends it."""
    content: list[str] = []
    reasoning: list[str] = []
    finish_reason = None
    usage: dict = {}
    chat = False
    for raw in response:
        line = raw.decode("utf-8").strip()
        if not line.startswith("data:"):
            continue
        data = line[len("data:"):].strip()
        if data == "[DONE]":
            break
        event = json.loads(data)
        usage = event.get("usage") or usage
        for choice in event.get("choices") or []:
            delta = choice.get("delta")
            if delta is not None:
                chat = True
                content.append(delta.get("content") or "")
                piece = delta.get("reasoning_content", delta.get("reasoning"))
                if piece:
                    reasoning.append(piece)
            else:
                content.append(choice.get("text") or "")
            finish_reason = choice.get("finish_reason") or finish_reason
    choice: dict[str, Any] = {"finish_reason": finish_reason}
    if chat:
        choice["message"] = {"content": "".join(content)}
        if reasoning:
            choice["message"]["reasoning_content"] = "".join(reasoning)
    else:
        choice["text"] = "".join(content)
    return {"choices": [choice], "usage": usage}
