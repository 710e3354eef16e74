"""The grading service's FastAPI application: endpoints over warm graders.

    POST /run_code   SandboxFusion-compatible: run one Python program (see `run_code`)
    POST /grade      the native batch: problems + samples in, samples.jsonl rows out (`batch_format`)
    GET  /health     liveness and the current load, as JSON (open without the token)
    GET  /metrics    Prometheus text: queue, in-flight samples, verdict counts, sandbox restarts

Graders are opened once per distinct grading config (normally one: the trainer's) and stay warm;
work is admitted under a bound (`admission`) and every failure is logged in one line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, replace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from mceval.batch_format import decode_batch, request_config, sample_row
from mceval.pool import GraderLike, open_grader, parse_spec, sandbox_restarts
from mceval.service.admission import Admission
from mceval.service.guard import GuardMiddleware
from mceval.service.metrics import Metrics
from mceval.service.run_code import CodeRunner, RunCodeRequest, fusion_response, sandbox_error, unsupported
from mceval.service.settings import ServiceSettings
from mceval.types import GradeConfig
from mceval.workers import default_workers

_log = logging.getLogger("mceval.service")


class ServiceState:
    """The warm graders, the /run_code runner, the admission bound and the counters."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        local = parse_spec(settings.grader)[0] == "local"
        # A local grader gets one sandbox per physical core; on Ray, None sizes each node on its own.
        self.workers = settings.config.workers or default_workers()
        self.base = replace(settings.config, workers=self.workers if local else settings.config.workers)
        self.admission = Admission(settings.max_queue)
        self.metrics = Metrics()
        self.runner = CodeRunner(settings.run_code_workers or self.workers, self.base.memory_mb,
                                 self.base.max_output_bytes, self.base.max_processes)
        self._graders: dict[GradeConfig, GraderLike] = {}
        self._lock = threading.Lock()
        self.started = time.time()

    def grader_for(self, config: GradeConfig) -> GraderLike:
        """The warm grader for `config`, opened on first use; too many distinct configs is an error."""
        with self._lock:
            grader = self._graders.get(config)
            if grader is None:
                if len(self._graders) >= self.settings.max_configs:
                    raise ValueError(f"this service already keeps {len(self._graders)} grading configs warm "
                                     f"(--max-configs {self.settings.max_configs}); send one of those configs")
                grader = self._graders[config] = open_grader(self.settings.grader, config)
            return grader

    def sandbox_restarts(self) -> int:
        """Restarts of every local sandbox (the graders' and /run_code's)."""
        with self._lock:
            graders = list(self._graders.values())
        return self.runner.restarts + sum(sandbox_restarts(g) for g in graders)

    def gauges(self) -> dict[str, float]:
        in_flight = self.admission.in_flight
        sandboxes = self.workers * max(1, len(self._graders))
        return {"in_flight_samples": in_flight, "queue_samples": max(0, in_flight - sandboxes) + self.runner.waiting,
                "max_queue_samples": self.settings.max_queue, "sandbox_restarts": self.sandbox_restarts(),
                "workers": self.workers, "warm_configs": len(self._graders), "uptime_seconds": time.time() - self.started}

    def close(self) -> None:
        with self._lock:
            graders, self._graders = list(self._graders.values()), {}
        for grader in graders:
            grader.close()
        self.runner.close()


def create_app(settings: ServiceSettings) -> FastAPI:
    """The application; its lifespan closes the graders once the requests in flight are answered."""
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(state.close)

    app = FastAPI(title="MicroCoder grading service", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.service = state
    app.add_middleware(GuardMiddleware, token=settings.token, max_bytes=settings.max_request_bytes)

    def fail(endpoint: str, status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        _log.warning("POST %s: HTTP %d: %s", endpoint, status, message)
        state.metrics.request(endpoint, status)
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    async def wait(future: Any) -> Any:
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), settings.request_timeout_s)

    @app.post("/run_code")
    async def run_code(request: RunCodeRequest) -> JSONResponse:
        reason = unsupported(request)
        if reason is not None:
            _log.warning("POST /run_code: %s", reason)
            state.metrics.request("/run_code", 200)
            return JSONResponse(sandbox_error(reason))
        retry = state.admission.try_admit(1)
        if retry is not None:
            return fail("/run_code", 429, f"server busy: {state.admission.in_flight} samples in flight",
                        {"Retry-After": f"{retry:.0f}"})
        future = state.runner.run(request.code, request.stdin or "", request.run_timeout, request.memory_limit_MB)
        future.add_done_callback(lambda _f: state.admission.release(1))
        try:
            obs = await wait(future)
        except TimeoutError:
            return fail("/run_code", 504, f"no result within --request-timeout {settings.request_timeout_s:g} s")
        except Exception as exc:  # noqa: BLE001 - SandboxFusion's error form, one line
            _log.warning("POST /run_code: sandbox error: %s", exc)
            state.metrics.request("/run_code", 200)
            return JSONResponse(sandbox_error(f"{type(exc).__name__}: {exc}"))
        state.metrics.request("/run_code", 200)
        return JSONResponse(fusion_response(obs))

    @app.post("/grade")
    async def grade(request: Request) -> JSONResponse:
        started = time.perf_counter()
        try:
            body = await request.body()
            payload = await run_in_threadpool(json.loads, body)
            items = await run_in_threadpool(decode_batch, payload)
            config = request_config(payload, state.base)
        except (ValueError, TypeError, RecursionError) as exc:
            return fail("/grade", 400, f"bad request: {exc}")
        retry = state.admission.try_admit(len(items))
        if retry is not None:
            busy = f"server busy: {state.admission.in_flight} samples in flight, {len(items)} more exceed --max-queue"
            status = 429 if len(items) <= settings.max_queue else 413
            if status == 413:
                busy = f"a batch of {len(items)} samples exceeds --max-queue {settings.max_queue}; split it"
            return fail("/grade", status, busy, {"Retry-After": f"{retry:.0f}"} if status == 429 else None)
        try:
            future = state.grader_for(config).submit(items)
        except ValueError as exc:
            state.admission.release(len(items))
            return fail("/grade", 400, str(exc))
        except Exception as exc:  # noqa: BLE001
            state.admission.release(len(items))
            return fail("/grade", 503, f"{type(exc).__name__}: {exc}")
        future.add_done_callback(lambda _f: state.admission.release(len(items)))
        try:
            results = await wait(future)
        except TimeoutError:
            return fail("/grade", 504, f"{len(items)} samples not graded within --request-timeout "
                                       f"{settings.request_timeout_s:g} s")
        except Exception as exc:  # noqa: BLE001 - e.g. no sandbox on this machine
            return fail("/grade", 503, f"grading failed: {type(exc).__name__}: {exc}")
        state.metrics.results(results)
        rows = await run_in_threadpool(
            lambda: [sample_row(item.problem, int(item.sample_index or 0), r) for item, r in zip(items, results)])
        state.metrics.request("/grade", 200)
        return JSONResponse({"rows": rows, "config": asdict(config),
                             "grade_s": round(time.perf_counter() - started, 4)})

    @app.get("/health")
    async def health() -> dict[str, Any]:
        gauges = await run_in_threadpool(state.gauges)  # a Ray backend asks its nodes
        return {"status": "ok", "grader": settings.grader, **gauges, **state.metrics.snapshot()}

    @app.get("/metrics")
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(state.metrics.prometheus(await run_in_threadpool(state.gauges)))

    return app
