"""`--backend openai`: any OpenAI-compatible chat server (`vllm serve`, `transformers serve`, SGLang...).

Plain HTTP with the standard library: one request per sample (n=1, seed = prompt seed + sample
index) so per-sample token counts are exact and servers without `n` support work; a thread pool
keeps `concurrency` requests in flight; transient failures (connection errors, 408/429/5xx) are
retried with exponential backoff, other HTTP errors fail at once with the server's message.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Iterator, Sequence

from mceval.bench.backends.base import GenerationBackend, Messages, prompt_seed
from mceval.bench.types import Completion, SamplingConfig

RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
PROBE_TIMEOUT_S = 5.0


class ServerError(RuntimeError):
    """The server answered with an error that retrying will not fix, or kept failing."""


class OpenAIBackend(GenerationBackend):
    """Chat completions over HTTP; `model=None` asks the server (GET /v1/models) what it serves."""

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
    ) -> None:
        if not base_url:
            raise ValueError("--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1)")
        base_url = base_url.rstrip("/")
        if not base_url.endswith("/v1"):
            base_url += "/v1"
        self.base_url = base_url
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY", "EMPTY")
        self.concurrency = max(1, concurrency)
        self.max_retries = max_retries
        self.request_timeout_s = request_timeout_s
        self.backoff_s = backoff_s
        served = self._probe()
        self.model_id = model or self._first_served_model(served)

    # ------------------------------------------------------------------ HTTP
    def _request(self, method: str, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.api_key}"}
        url = f"{self.base_url}{path}"
        last_error = ""
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.request_timeout_s) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", "replace")[:500]
                last_error = f"HTTP {exc.code} from {url}: {body}"
                if exc.code not in RETRYABLE_STATUS:
                    raise ServerError(last_error) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError) as exc:
                last_error = f"{url}: {exc}"
        raise ServerError(f"giving up after {self.max_retries + 1} attempts: {last_error}")

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

    def _sample(self, messages: Messages, sampling: SamplingConfig, seed: int) -> Completion:
        payload = {
            "model": self.model_id,
            "messages": messages,
            "n": 1,
            "max_tokens": sampling.max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": seed,
        }
        reply = self._request("POST", "/chat/completions", payload)
        try:
            choice = reply["choices"][0]
            text = choice["message"].get("content") or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise ServerError(f"unexpected chat completion reply (no choices[0].message): {str(reply)[:300]}") from exc
        usage = reply.get("usage") or {}
        num_tokens = int(usage.get("completion_tokens") or 0)
        reason = "length" if choice.get("finish_reason") == "length" else "stop"
        return Completion(text=text, num_tokens=num_tokens, finish_reason=reason)

    # ------------------------------------------------------------------ generation
    def iter_generate(
        self, prompts: Sequence[Messages], sampling: SamplingConfig
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
