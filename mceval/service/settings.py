"""Every option of the grading service, in one frozen dataclass the CLI fills."""

from __future__ import annotations

from dataclasses import dataclass, field

from mceval.types import GradeConfig


@dataclass(frozen=True)
class ServiceSettings:
    """How `microcoder eval serve` runs.

    Args:
        host, port: where to listen; localhost by default (expose it on purpose, with a token).
        grader: where grading runs (`mceval.pool` spec): local sandboxes, or a Ray cluster.
        config: the base grading config; a request may change the options in
            `mceval.batch_format.REQUEST_CONFIG_FIELDS`, never the worker count.
        token: shared secret; when set every endpoint but /health needs `Authorization: Bearer TOKEN`
            (or the path prefix /token/TOKEN/ for clients that cannot send headers).
        max_request_mb: larger request bodies get 413 before they are read.
        max_queue: samples admitted at once (queued or running); beyond it 429 with Retry-After.
        request_timeout_s: a request still waiting after this gets 504 (its samples finish anyway).
        max_configs: distinct grading configs kept warm (one grader each); another one gets 400.
        shutdown_timeout_s: how long a shutdown waits for requests in flight.
        run_code_workers: sandboxes for /run_code (default: the grader's worker count).
    """

    host: str = "127.0.0.1"
    port: int = 8080
    grader: str = "local"
    config: GradeConfig = field(default_factory=GradeConfig)
    token: str | None = None
    max_request_mb: float = 64.0
    max_queue: int = 20_000
    request_timeout_s: float = 600.0
    max_configs: int = 4
    shutdown_timeout_s: float = 600.0
    run_code_workers: int | None = None

    def __post_init__(self) -> None:
        checks = {"--port": (self.port, 0), "--max-request-mb": (self.max_request_mb, 0),
                  "--max-queue": (self.max_queue, 0), "--request-timeout": (self.request_timeout_s, 0),
                  "--max-configs": (self.max_configs, 0), "--shutdown-timeout": (self.shutdown_timeout_s, -1)}
        for name, (value, floor) in checks.items():
            if value <= floor:
                raise ValueError(f"{name} must be greater than {floor}, got {value}")
        if self.token is not None and not self.token.strip():
            raise ValueError("--token is empty; give a secret or leave it out")

    @property
    def max_request_bytes(self) -> int:
        return int(self.max_request_mb * 1024 * 1024)
