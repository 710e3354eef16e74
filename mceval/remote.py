"""`RemoteGrader`: the `Grader` API over HTTP, against a `microcoder eval serve` service.

Why: GPU nodes train while CPU nodes grade. The trainer keeps calling `submit`/`grade`; each
call becomes one `POST /grade` request carrying the whole batch (the verdicts are decided on the
server with the full test suites). A busy server answers 429 with Retry-After: the client waits
and retries within `max_wait_s`, so back-pressure slows the caller instead of failing it.
Standard library only (urllib), so a trainer image needs nothing more.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from mceval.batch_format import encode_batch, result_from_row
from mceval.grader import GradeItem, ItemLike, _normalise
from mceval.pool import FutureGrader
from mceval.types import GradeConfig, SampleResult

_log = logging.getLogger("mceval.remote")


class RemoteGraderError(RuntimeError):
    """The service refused or failed a batch; the message is the server's, in one line."""


class RemoteGrader(FutureGrader):
    """Grades through a grading service at `url` (http://HOST:PORT).

    Args:
        url: the service's base URL.
        config: grading options sent with every batch (the server's workers grade them).
        token: the service's bearer token, if it was started with one.
        request_timeout_s: the longest wait for one request's answer.
        max_wait_s: how long 429 (server busy) answers are retried before giving up.
        concurrency: batches in flight at once (each is one request).
    """

    def __init__(self, url: str, config: GradeConfig = GradeConfig(), *, token: str | None = None,
                 request_timeout_s: float = 3600.0, max_wait_s: float = 600.0, concurrency: int = 16) -> None:
        self.url = url.rstrip("/")
        self.config = config
        self.token = token
        self.request_timeout_s = request_timeout_s
        self.max_wait_s = max_wait_s
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mceval-remote")

    def submit(self, items: Sequence[ItemLike], on_result: Callable[[SampleResult], None] | None = None
               ) -> Future[list[SampleResult]]:
        """Send the batch in the background; the Future holds the results in input order."""
        normalised = _normalise(items)  # the same checks as Grader.submit, raised here
        future: Future[list[SampleResult]] = Future()
        if not normalised:
            future.set_result([])
            return future

        def run() -> None:
            try:
                results = self._grade_now(normalised)
            except BaseException as exc:  # noqa: BLE001 - delivered through the Future
                future.set_exception(exc)
                return
            if on_result is not None:
                for result in results:
                    on_result(result)
            future.set_result(results)

        self._pool.submit(run)
        return future

    def _grade_now(self, items: list[GradeItem]) -> list[SampleResult]:
        body = json.dumps(encode_batch(items, self.config)).encode()
        rows = self._post("/grade", body)["rows"]
        if len(rows) != len(items):
            raise RemoteGraderError(f"{self.url}: {len(rows)} rows for {len(items)} samples")
        return [result_from_row(row) for row in rows]

    def _post(self, path: str, body: bytes) -> dict[str, Any]:
        """POST with retries on 429 (server busy) until `max_wait_s`; any other failure is one line."""
        deadline = time.monotonic() + self.max_wait_s
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        while True:
            request = urllib.request.Request(self.url + path, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.request_timeout_s) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as exc:
                detail = _detail(exc)
                wait = _retry_after(exc)
                if exc.code == 429 and time.monotonic() + wait < deadline:
                    _log.info("grading service busy (%s); retrying in %.0f s", detail, wait)
                    time.sleep(wait)
                    continue
                raise RemoteGraderError(f"{self.url}{path}: HTTP {exc.code}: {detail}") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                raise RemoteGraderError(f"{self.url}{path}: cannot reach the grading service: {reason}") from None

    def close(self) -> None:
        """Wait for the batches in flight, then stop the client's threads."""
        self._pool.shutdown(wait=True)


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read() or b"{}")
    except (ValueError, OSError):
        return exc.reason or "error"
    return str(data.get("detail") or data.get("message") or data)[:300]


def _retry_after(exc: urllib.error.HTTPError) -> float:
    try:
        return max(0.1, float(exc.headers.get("Retry-After", "1")))
    except (TypeError, ValueError):
        return 1.0
