"""SandboxFusion's `POST /run_code`, for Python, on MicroCoder's sandbox.

Why: verl's SandboxFusion reward path and the `sandbox-fusion` client speak this protocol; serving
it lets them use MicroCoder's isolation by changing only their URL. `/run_code` runs ONE program
on one stdin and reports what it did (stdout, stderr, exit code, time); judging stays with the
caller, as with SandboxFusion. The grader's public API returns verdicts, never program output, so
this endpoint drives `mceval.sandbox.Sandbox` directly: a small pool of threads, each owning one
sandbox (a sandbox dies with the thread that started it).

The request and response follow SandboxFusion's field names and statuses: the response `status` is
Success (exit 0), Failed (anything else) or SandboxError (could not run: unsupported language,
`files`, or no sandbox); `run_result.status` is Finished, TimeLimitExceeded or Error. `run_timeout`
bounds the program's CPU (active) time; `memory_limit_MB` is honoured up to the server's limit;
`compile_timeout` has nothing to bound for Python.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any

from pydantic import BaseModel, Field

from mceval.sandbox import Limits, Observation, Sandbox

_log = logging.getLogger("mceval.service")


class RunCodeRequest(BaseModel):
    """SandboxFusion's run-code request (unknown fields are ignored, as there)."""

    code: str
    language: str
    stdin: str | None = None
    compile_timeout: float = 10.0
    run_timeout: float = Field(10.0, gt=0)
    memory_limit_MB: int = -1
    files: dict[str, str | None] = {}
    fetch_files: list[str] = []


def sandbox_error(message: str) -> dict[str, Any]:
    """SandboxFusion's answer when the code could not be run at all."""
    return {"status": "SandboxError", "message": message, "compile_result": None, "run_result": None,
            "executor_pod_name": None, "files": {}}


def unsupported(request: RunCodeRequest) -> str | None:
    """Why this server cannot run `request` (None: it can)."""
    if request.language != "python":
        return (f"language {request.language!r} is not supported by this server (MicroCoder runs python only); "
                "send it to a SandboxFusion server")
    if request.files or request.fetch_files:
        return "files and fetch_files are not supported by this server (the sandbox has no working directory to fill)"
    return None


def fusion_response(obs: Observation) -> dict[str, Any]:
    """The SandboxFusion response for what the sandbox observed."""
    run: dict[str, Any] = {"status": "Finished", "execution_time": round(obs.wall_s, 6), "cpu_time": round(obs.cpu_s, 6),
                           "return_code": 0, "stdout": obs.stdout.decode("utf-8", "replace"), "stderr": obs.stderr}
    if obs.oom_killed:
        run.update(return_code=-9, stderr=(obs.stderr + "\nmemory limit exceeded").strip())
    elif obs.status == "timeout":
        run.update(status="TimeLimitExceeded", return_code=None)
    elif obs.status == "exited":
        run.update(return_code=obs.exit_code)
    elif obs.status == "signaled":
        run.update(return_code=-int(obs.signal or 9))
    elif obs.status == "compile_error":  # python reports a SyntaxError at run time, exit code 1
        run.update(return_code=1, stderr=(obs.stderr + "\n" + obs.error).strip())
    elif obs.status == "output_limit":
        run.update(status="Error", return_code=None, stderr="output limit exceeded")
    elif obs.status != "ok":  # crashed (restarted) or anything new
        run.update(status="Error", return_code=None, stderr=f"{obs.status}: {obs.error}".strip())
    ok = run["status"] == "Finished" and run["return_code"] == 0
    return {"status": "Success" if ok else "Failed", "message": "", "compile_result": None, "run_result": run,
            "executor_pod_name": None, "files": {}}


class CodeRunner:
    """Runs single programs on `workers` sandboxes, started on first use, one thread each."""

    def __init__(self, workers: int, memory_mb: int, max_output_bytes: int, max_processes: int) -> None:
        self.workers = max(1, workers)
        self.memory_mb = memory_mb
        self.base = Limits(memory_bytes=memory_mb * 1024 * 1024, max_output=max_output_bytes,
                           max_processes=max_processes)
        self._jobs: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._sandboxes: list[Sandbox] = []
        self._lock = threading.Lock()
        self.waiting = 0  # programs queued, not yet picked up by a sandbox

    def run(self, code: str, stdin: str, time_s: float, memory_mb: int | None) -> Future[Observation]:
        """Queue one program; the Future holds its single observation."""
        self._start()
        memory = min(memory_mb, self.memory_mb) if memory_mb and memory_mb > 0 else self.memory_mb
        limits = Limits(time_s=time_s, memory_bytes=memory * 1024 * 1024, max_output=self.base.max_output,
                        max_processes=self.base.max_processes)
        future: Future[Observation] = Future()
        with self._lock:
            self.waiting += 1
        self._jobs.put((code, stdin, limits, future))
        return future

    @property
    def restarts(self) -> int:
        """Sandbox restarts so far (a crash or a wedge each)."""
        return sum(s.restarts for s in list(self._sandboxes))

    def _start(self) -> None:
        with self._lock:
            if self._threads:
                return
            for i in range(self.workers):
                thread = threading.Thread(target=self._work, args=(i,), name=f"mceval-run-code-{i}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self, i: int) -> None:
        sandbox: Sandbox | None = None
        while True:
            job = self._jobs.get()
            if job is None:
                break
            code, stdin, limits, future = job
            with self._lock:
                self.waiting -= 1
            try:
                if sandbox is None:
                    sandbox = Sandbox(name=f"mceval-run-code-{i}", limits=self.base)
                    self._sandboxes.append(sandbox)
                observations = sandbox.run(code, [stdin], None, limits, True)
                if not observations:
                    raise RuntimeError("the sandbox reported nothing for the program")
                future.set_result(observations[-1])
            except BaseException as exc:  # noqa: BLE001 - e.g. SandboxUnavailableError: the request's answer
                future.set_exception(exc)
        if sandbox is not None:
            sandbox.close()

    def close(self) -> None:
        """Stop the threads after the programs already queued; their sandboxes close with them."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()
