"""The grader's side of one sandbox: start it, send it jobs, read its observations, watch it.

A `Sandbox` is one long-lived isolated supervisor + zygote pair (see inner/) per grading worker:
started once, reused for every sample, restarted only if it dies or stops answering. This side
creates the cgroups, starts the sandbox, sends it code and test inputs, and receives raw
observations; it never sends expected outputs, and it keeps a watchdog on every reply so a wedged
sandbox is killed and replaced without losing the sample's result.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from . import binds
from .cgroups import SandboxCgroups
from .inner.wire import recv_msg, send_msg, split_frames
from .records import Limits, Observation, SandboxCleanupFailed, SandboxCrashed, SandboxUnavailableError

LAUNCH = Path(__file__).with_name("inner") / "launch.py"
# Sandbox overhead on top of the per-test memory limit (interpreters, preloaded modules, buffers).
_CGROUP_SLACK = 192 * 1024 * 1024
_RLIMIT_AS_SLACK = 256 * 1024 * 1024  # address space of the interpreter itself (libraries, arenas)
SCRATCH_BYTES = 256 * 1024 * 1024

_uid_lock = threading.Lock()
_uid_counter = 0


def _next_uid() -> int:
    """An unprivileged uid, unique per sandbox in this process and (almost surely) across processes,
    so rlimits counted per uid and kill(-1) never reach another sandbox."""
    global _uid_counter
    with _uid_lock:
        _uid_counter += 1
        return 0x2000_0000 + (os.getpid() % 0x100000) * 256 + _uid_counter % 256


class Sandbox:
    """One isolated sandbox. It runs one sample at a time (`run()` from one thread); only
    `control()` may be called from other threads."""

    def __init__(self, name: str = "mceval", limits: Limits | None = None, startup_timeout_s: float = 60.0,
                 preload: tuple[str, ...] = (), watchdog_slack_s: float = 15.0, wait: bool = True,
                 cpu: int | None = None) -> None:
        self.name = name
        self.watchdog_slack_s = watchdog_slack_s
        self.limits = limits or Limits()
        self.startup_timeout_s = startup_timeout_s
        self.preload = list(preload)
        self.cpu = cpu  # pin the sandbox (and its test processes) to this CPU; None: no pinning
        self.proc: subprocess.Popen | None = None
        self.cgroup: SandboxCgroups | None = None
        self.restarts = 0
        self.generation = 0  # bumped at every start: a restarted sandbox has a new channel
        self.info: dict = {}  # the sandbox's "ready" message (meter kind, user namespace, ...)
        self._wfd = self._rfd = -1
        self._log: tempfile._TemporaryFileWrapper | None = None
        self.uid = _next_uid()
        self._wlock = threading.Lock()  # other grader threads send control messages (stop / limit)
        self._job_seq = 0
        self._inbox = bytearray()  # replies read but not yet complete
        self._oom_seen = 0  # the cgroup's OOM-kill count when last read
        self.spawn()
        if wait:  # wait=False lets a pool spawn many sandboxes, then wait for them all at once
            self.wait_ready()

    # ---- lifecycle
    def start(self) -> None:
        """Start the sandbox and wait until it is isolated and ready. The thread that calls this
        must outlive the sandbox: it is killed when that thread ends (PR_SET_PDEATHSIG follows
        the parent THREAD)."""
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the sandbox's process (see `start`)."""
        if not sys.platform.startswith("linux"):
            raise SandboxUnavailableError("the mceval sandbox needs Linux namespaces")
        self.cgroup = None
        if os.geteuid() == 0:
            try:
                self.cgroup = SandboxCgroups(f"mceval-{os.getpid()}-{self.uid & 0xFFFFFF:x}",
                                             self.limits.memory_bytes + _CGROUP_SLACK, self.limits.max_processes + 8)
            except OSError:
                self.cgroup = None  # no cgroups: rlimits (RLIMIT_AS + RLIMIT_NPROC per uid) only
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        plan = binds.plan()
        cfg = {
            "rfd": req_r, "wfd": resp_w, "uid": self.uid, "grader_pid": os.getpid(), "binds": plan,
            "scratch_bytes": SCRATCH_BYTES, "preload": self.preload, "cpu": self.cpu,
            "cgroup": self.cgroup.launch_config() if self.cgroup else
            {"join": [], "test_procs": [], "meter": [], "max_cpus": None},
            "executable": os.path.realpath(sys.executable),
            "site_packages": [binds.SITE] if any(e["path"].startswith(binds.SITE + "/") for e in plan) else [],
        }
        self._log = tempfile.TemporaryFile()
        try:
            # -S: no site.main() (the project's editable-install hook would import pathlib & co
            # into the sandbox, more pages per fork); the sandbox configures sys.path itself.
            # The configuration goes through stdin, not argv: tests can read /proc/1/cmdline.
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-X", "frozen_modules=on", str(LAUNCH)],
                pass_fds=(req_r, resp_w), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=self._log, close_fds=True, start_new_session=True,
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            )
            assert self.proc.stdin is not None
            try:
                with self.proc.stdin:
                    self.proc.stdin.write(json.dumps(cfg).encode())
            except OSError:
                pass  # it died at once: wait_ready() reports why, from its log
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._wfd, self._rfd = req_w, resp_r
        self._inbox.clear()
        self.generation += 1

    def wait_ready(self) -> None:
        """Wait for the sandbox's "ready"; a clear error when it cannot isolate."""
        try:
            msg = self._recv(self.startup_timeout_s)
        except SandboxCrashed as exc:
            log = self._read_log()
            self.close()
            raise SandboxUnavailableError(f"the sandbox did not start: {exc}. {log}".strip()) from None
        if msg.get("op") != "ready":
            self.close()
            raise SandboxUnavailableError(str(msg.get("error", msg)))
        self.info = msg

    def _read_log(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0)
            return self._log.read()[-2000:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def close(self) -> None:
        with self._wlock:
            for fd in (self._wfd, self._rfd):
                if fd >= 0:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self._wfd = self._rfd = -1
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.kill()  # the zygote has PDEATHSIG=SIGKILL: the namespace goes with it
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.close()
        self.restarts += 1
        self.start()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def zygote_pid(self) -> int | None:
        """The host pid of the sandbox's pid 1, the zygote (for diagnostics and tests)."""
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                children = f.read().split()
            for pid in children:
                with open(f"/proc/{pid}/status") as f:
                    nspid = next(line.split()[1:] for line in f if line.startswith("NSpid:"))
                if nspid[-1] == "1" and len(nspid) > 1:
                    return int(pid)
        except (OSError, StopIteration):
            pass
        return None

    @property
    def measures_wait(self) -> bool:
        """Whether tests are timed by active time (run-queue wait measured; see Limits)."""
        return self.info.get("meter") == "cgroup"

    # ---- channel with a watchdog
    def _recv(self, timeout_s: float) -> dict:
        ready, _, _ = select.select([self._rfd], [], [], max(timeout_s, 0.0))
        if not ready:
            raise SandboxCrashed(f"no reply within {timeout_s:.0f} s")
        try:
            return recv_msg(self._rfd, max_bytes=self.limits.max_output + (1 << 24))[0]
        except (EOFError, OSError, ValueError) as exc:
            raise SandboxCrashed(f"channel broken: {exc}") from None

    # ---- running a sample
    def control(self, job_id: int, op: str, **fields) -> None:
        """Thread-safe control message for a running job: "stop", or "limit" with `end` (run only
        the tests before `end`). A message for a job that already ended is ignored inside."""
        with self._wlock:
            if self._wfd >= 0:
                try:
                    send_msg(self._wfd, {"op": op, "job": job_id, **fields})
                except OSError:
                    pass  # the sandbox died; the reader notices and restarts it

    def begin(self, code: str, inputs: list[str], func_name: str | None, limits: Limits, early_exit: bool,
              profile: str = "microcoder") -> int:
        """Send one sample's job and return its id; the replies are then read with `read_replies`
        and turned into observations by `absorb` (see `run` for the blocking loop). `profile`
        "lcb" runs the program as LiveCodeBench does (inner/lcb.py)."""
        if not self.alive:
            self.restart()
        self._job_seq += 1
        job = {
            "op": "sample", "job": self._job_seq, "mode": "functional" if func_name else "stdin", "code": code,
            "inputs": inputs, "func_name": func_name, "time_limit": limits.time_s, "wall_factor": limits.wall_factor,
            "load_factor": limits.load_factor, "wall_clock": limits.wall_clock, "profile": profile,
            "memory_bytes": limits.memory_bytes + _RLIMIT_AS_SLACK if limits.memory_bytes else 0,
            "max_output": limits.max_output, "max_processes": limits.max_processes, "early_exit": early_exit,
        }
        self._oom_seen = self.cgroup.oom_kills() if self.cgroup else 0
        with self._wlock:
            send_msg(self._wfd, job)
        return self._job_seq

    def watchdog_s(self, limits: Limits) -> float:
        """Longest legitimate silence during a job: one test's wall limit plus the sandbox's own work."""
        factor = limits.load_factor if self.measures_wait else limits.wall_factor
        return factor * limits.time_s + 2.0 + self.watchdog_slack_s

    @property
    def reply_fd(self) -> int:
        """Readable when replies are waiting (a restarted sandbox has a new one; see `generation`)."""
        return self._rfd

    def read_replies(self) -> list[tuple[dict, bytes]]:
        """Read what the channel holds now (call when `reply_fd` is readable) and return the
        complete messages; a closed channel or an oversized message raises `SandboxCrashed`."""
        try:
            data = os.read(self._rfd, 1 << 20)
        except OSError as exc:
            raise SandboxCrashed(f"channel broken: {exc}") from None
        if not data:
            raise SandboxCrashed("channel closed")
        self._inbox += data
        try:
            return [(json.loads(raw), blob) for raw, blob in
                    split_frames(self._inbox, self.limits.max_output + (1 << 24))]
        except (ValueError, RecursionError) as exc:  # oversized or not JSON
            raise SandboxCrashed(f"malformed reply: {exc}") from None

    def absorb(self, msg: dict, blob: bytes) -> tuple[list[Observation], bool]:
        """The observations one reply carries, and whether it ends the job ("done"). A batch
        marked "final" already ended the sample inside: `Observation.extra["final"]` is set."""
        op = msg.get("op") if isinstance(msg, dict) else None
        if op == "done":
            return [], True
        if op == "error":
            raise (SandboxCleanupFailed if msg.get("between") else SandboxCrashed)(str(msg.get("error")))
        batch = msg.get("results") if op == "tests" else [msg]
        if not isinstance(batch, list):
            raise SandboxCrashed(f"malformed reply {op!r}")
        out = []
        for item in batch:
            obs = self._observation(item, blob if op == "test" else b"")
            if obs.status not in ("ok", "compile_error") and self.cgroup is not None:
                now = self.cgroup.oom_kills()
                obs.oom_killed = now > self._oom_seen
                self._oom_seen = now
            if msg.get("final"):
                obs.extra["final"] = True
            out.append(obs)
        return out, False

    def crashed(self, exc: BaseException, index: int) -> Observation:
        """The observation for test `index` when the sandbox died or wedged; restarts it."""
        log = self._read_log()
        self.restart()
        return Observation(index=index, status="crashed", error=f"{exc} {log[-300:]}".strip())

    def run(self, code: str, inputs: list[str], func_name: str | None, limits: Limits, early_exit: bool,
            judge=None, profile: str = "microcoder") -> list[Observation]:
        """Run one sample's tests in order, blocking, and return an `Observation` per test that ran.
        `judge(obs) -> bool` is called on every observation (the grader's verdict on a test,
        decided here, outside the sandbox); False with `early_exit` stops the sample. A sandbox
        that dies or wedges gives a `crashed` observation for the test in progress and is
        restarted: no result is lost."""
        observations: list[Observation] = []
        try:
            return self._run_once(code, inputs, func_name, limits, early_exit, judge, observations, profile)
        except SandboxCleanupFailed:  # the previous sample's cleanup: not this one's fault
            if observations:
                raise
            self.restart()
            return self._run_once(code, inputs, func_name, limits, early_exit, judge, observations, profile)

    def _run_once(self, code: str, inputs: list[str], func_name: str | None, limits: Limits, early_exit: bool,
                  judge, observations: list[Observation], profile: str) -> list[Observation]:
        watchdog = self.watchdog_s(limits)
        stopped = False
        try:
            job_id = self.begin(code, inputs, func_name, limits, early_exit, profile)
            while True:
                if not select.select([self._rfd], [], [], watchdog)[0]:
                    raise SandboxCrashed(f"no reply within {watchdog:.0f} s")
                for msg, blob in self.read_replies():
                    batch, done = self.absorb(msg, blob)
                    for obs in batch:
                        observations.append(obs)
                        keep_going = judge(obs) if judge is not None else True
                        if not keep_going and early_exit and not stopped and not obs.extra.get("final"):
                            stopped = True
                            self.control(job_id, "stop")
                    if done:
                        return observations
        except SandboxCleanupFailed:
            raise
        except (SandboxCrashed, OSError) as exc:
            crash = self.crashed(exc, max((o.index for o in observations), default=-1) + 1)
            observations.append(crash)
            if judge is not None:
                judge(crash)
            return observations

    @staticmethod
    def _observation(msg: dict, stdout: bytes) -> Observation:
        try:
            return Observation(
                index=int(msg.get("index", -1)), status=str(msg.get("status")), stdout=stdout,
                result=msg.get("result"), kind=str(msg.get("kind", "")), exit_code=msg.get("exit_code"),
                signal=msg.get("signal"), cpu_s=float(msg.get("cpu_s", 0.0)),
                wall_s=float(msg.get("wall_s", 0.0)), stderr=str(msg.get("stderr", "")),
                error=str(msg.get("error", "")), exc_type=str(msg.get("exc_type", "")),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise SandboxCrashed(f"malformed observation: {exc}") from None
