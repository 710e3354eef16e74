"""A real grading service on a loopback port, in this process, and the shared workload of the\nservice and Ray tests."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from mccore.schema import Problem
from mceval.leetcode_format import load_leetcodedataset
from mceval.service.settings import ServiceSettings


def reference_and_mutant_items(real_data: Path, problems: int, tests: int) -> list[tuple[Problem, str]]:
    """(problem, code) pairs from LeetCodeDataset (tests/data): each problem's reference solution
    (AC) and an always-wrong mutant of it (WA), on its first `tests` tests."""
    from leetcode_mutants import wrong_answer_suffix

    loaded, _ = load_leetcodedataset(real_data / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz",
                                     limit=problems)
    items = []
    for p in loaded:
        small = p.with_(tests=p.tests[:tests])
        items += [(small, p.solutions[0]), (small, p.solutions[0] + wrong_answer_suffix(p.func_name))]
    return items


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveService:
    """`microcoder eval serve` under uvicorn in a thread; `stop()` shuts it down gracefully."""

    def __init__(self, settings: ServiceSettings) -> None:
        import uvicorn

        from mceval.service.app import create_app

        self.settings = settings
        self.app = create_app(settings)
        self.url = f"http://{settings.host}:{settings.port}"
        config = uvicorn.Config(self.app, host=settings.host, port=settings.port, access_log=False,
                                log_level="warning", timeout_graceful_shutdown=settings.shutdown_timeout_s)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="test-service", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the grading service did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=120)


def post(url: str, payload: Any = None, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 120) -> tuple[int, dict[str, str], Any]:
    """(status, headers with lower-case names, parsed JSON body) of a POST; HTTP errors are returned."""
    body = data if data is not None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _lower(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _lower(exc.headers), json.loads(exc.read() or b"null")


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def gauge(metrics_text: str, name: str) -> float:
    """A gauge's value from /metrics' Prometheus text."""
    for line in metrics_text.splitlines():
        if line.startswith(f"mceval_{name} "):
            return float(line.split()[1])
    raise KeyError(name)
