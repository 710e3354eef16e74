"""The sandbox: the only place model-written code runs.

A `Sandbox` is one long-lived isolated fork-server (`mceval/executor.py`) per grading worker:
started once, reused for every sample, restarted only if it dies or stops answering. This side
(the grader's process) creates the cgroups, starts the executor, sends it code and test inputs,
and receives raw observations; it never sends expected outputs, and it keeps a watchdog on every
reply so a wedged sandbox is killed and replaced without losing the sample's result.

Isolation (see executor.py): mount/pid/net/ipc/uts namespaces, a read-only root holding only the
interpreter's install, a private tmpfs scratch dir, an unprivileged uid without capabilities,
a seccomp filter (x86_64) against namespace/mount/ptrace/BPF syscalls, rlimits per test, and - when running as root with cgroup v1 or v2 available - a memory + pids
cgroup per sandbox, so a fork bomb of big allocations cannot exhaust the machine. Without root the
executor uses a user namespace; if neither works, `SandboxUnavailableError` says why. Nothing ever
runs unsandboxed.
"""

from __future__ import annotations

import json
import os
import select
import site
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from mceval.executor import recv_msg, send_msg, split_frames

EXECUTOR = Path(__file__).with_name("executor.py")
# Server overhead on top of the per-test memory limit (the interpreter, preloaded modules, scratch).
_CGROUP_SLACK = 192 * 1024 * 1024
_RLIMIT_AS_SLACK = 256 * 1024 * 1024  # address space of the interpreter itself (libraries, arenas)


class SandboxUnavailableError(RuntimeError):
    """The machine cannot isolate untrusted code (no root and no user namespaces, ...)."""


class SandboxCrashed(RuntimeError):
    """The sandbox died or stopped answering; it has been killed and will be restarted."""


@dataclass(frozen=True)
class Limits:
    """Limits for one sample's tests. `time_s` is CPU time per test; the wall limit is
    `wall_factor * time_s + 2` so a loaded machine does not turn slow tests into TLEs (a program
    that sleeps or blocks still ends there)."""

    time_s: float = 6.0
    memory_bytes: int = 1024 * 1024 * 1024
    max_output: int = 64 * 1024 * 1024
    max_processes: int = 64
    wall_factor: float = 3.0


@dataclass
class Observation:
    """What the sandbox saw for one test. `status`: ok | exited | signaled | timeout |
    output_limit | compile_error | crashed; `kind` for functional tests: ready | result |
    exception | not_serialisable | no_entry."""

    index: int
    status: str
    stdout: bytes = b""
    result: str | None = None
    kind: str = ""
    exit_code: int | None = None
    signal: int | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0
    stderr: str = ""
    error: str = ""
    exc_type: str = ""
    oom_killed: bool = False
    extra: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------------- cgroups
class _Cgroup:
    """Per-sandbox memory + pids cgroup (v1 controllers or v2), created under our own cgroup."""

    def __init__(self, name: str, memory_bytes: int, max_pids: int) -> None:
        self.dirs: list[Path] = []
        self.procs: list[str] = []
        self.oom_file: Path | None = None
        self._oom_fd = -1
        self.version = 0
        root = Path("/sys/fs/cgroup")
        own = _own_cgroups()
        mem_v1, pids_v1 = root / "memory", root / "pids"
        if (mem_v1 / "memory.limit_in_bytes").exists() and (pids_v1 / "pids.max").exists() or \
                (mem_v1 / "memory.limit_in_bytes").exists() and (pids_v1 / "cgroup.procs").exists():
            mem = mem_v1 / own.get("memory", "/").lstrip("/") / name
            pids = pids_v1 / own.get("pids", "/").lstrip("/") / name
            for d in (mem, pids):
                _remove_stale(d.parent)
                d.mkdir(exist_ok=True)
                self.dirs.append(d)
            (mem / "memory.limit_in_bytes").write_text(str(memory_bytes))
            memsw = mem / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                memsw.write_text(str(memory_bytes))
            (pids / "pids.max").write_text(str(max_pids))
            self.procs = [str(mem / "cgroup.procs"), str(pids / "cgroup.procs")]
            self.oom_file = mem / "memory.oom_control"
            self.version = 1
        elif (root / "cgroup.controllers").exists():
            base = root / own.get("", "/").lstrip("/")
            enabled = (base / "cgroup.subtree_control").read_text().split()
            if not {"memory", "pids"} <= set(enabled):
                raise OSError(f"cgroup v2 controllers memory+pids not enabled in {base}")
            d = base / name
            _remove_stale(base)
            d.mkdir(exist_ok=True)
            self.dirs.append(d)
            (d / "memory.max").write_text(str(memory_bytes))
            if (d / "memory.swap.max").exists():
                (d / "memory.swap.max").write_text("0")
            (d / "pids.max").write_text(str(max_pids))
            self.procs = [str(d / "cgroup.procs")]
            self.oom_file = d / "memory.events"
            self.version = 2
        else:
            raise OSError("no usable cgroup hierarchy under /sys/fs/cgroup")

    def oom_kills(self) -> int:
        """The cgroup's OOM-kill count; read before and after every sample, so the file stays open
        (a pread at offset 0 regenerates it)."""
        if self.oom_file is None:
            return 0
        try:
            if self._oom_fd < 0:
                self._oom_fd = os.open(self.oom_file, os.O_RDONLY | os.O_CLOEXEC)
            for line in os.pread(self._oom_fd, 4096, 0).decode().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def remove(self) -> None:
        if self._oom_fd >= 0:
            os.close(self._oom_fd)
            self._oom_fd = -1
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def _remove_stale(parent: Path) -> None:
    """Remove empty cgroups left by graders that were killed (named mceval-<pid>-..., pid gone)."""
    try:
        for d in parent.glob("mceval-*-*"):
            pid = d.name.split("-")[1]
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                try:
                    d.rmdir()
                except OSError:
                    pass
    except OSError:
        pass


def _own_cgroups() -> dict[str, str]:
    """{controller: path} of this process (v2 under the key "")."""
    out: dict[str, str] = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for c in controllers.split(",") if controllers else [""]:
                out[c] = path
    except OSError:
        pass
    return out


def _interpreter_binds() -> list[str]:
    """Host paths the sandbox sees (read-only): system libraries and the interpreter's install."""
    paths = ["/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"]
    for p in (sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix):
        real = os.path.realpath(p)
        for q in (p, real):
            if q not in paths and not any(q == b or q.startswith(b.rstrip("/") + "/") for b in paths[:7]):
                paths.append(q)
    exe = os.path.realpath(sys.executable)
    if not any(exe.startswith(os.path.realpath(p).rstrip("/") + "/") for p in paths):
        paths.append(os.path.dirname(exe))
    return paths


_uid_lock = threading.Lock()
_uid_counter = 0


def _next_uid() -> int:
    """An unprivileged uid, unique per sandbox in this process and (almost surely) across processes,
    so rlimits counted per uid and kill(-1) never reach another sandbox."""
    global _uid_counter
    with _uid_lock:
        _uid_counter += 1
        return 0x2000_0000 + (os.getpid() % 0x100000) * 256 + _uid_counter % 256


# ------------------------------------------------------------------------------------------ sandbox
class Sandbox:
    """One isolated fork-server. It runs one sample at a time (`run()` from one thread); only
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
        self.cgroup: _Cgroup | None = None
        self.restarts = 0
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
        """Start the executor and wait until it is isolated and ready. The thread that calls this
        must outlive the sandbox: the executor is killed when it ends (PR_SET_PDEATHSIG follows
        the parent THREAD)."""
        self.spawn()
        self.wait_ready()

    def spawn(self) -> None:
        """Start the executor process (see `start`)."""
        if not sys.platform.startswith("linux"):
            raise SandboxUnavailableError("the mceval sandbox needs Linux namespaces")
        cg_name = f"mceval-{os.getpid()}-{self.uid & 0xFFFFFF:x}"
        procs: list[str] = []
        if os.geteuid() == 0:
            try:
                mem = self.limits.memory_bytes + _CGROUP_SLACK
                self.cgroup = _Cgroup(cg_name, mem, self.limits.max_processes + 8)
                procs = self.cgroup.procs
            except OSError:
                self.cgroup = None  # fall back to rlimits (RLIMIT_AS + RLIMIT_NPROC per uid)
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        cfg = {
            "rfd": req_r, "wfd": resp_w, "uid": self.uid, "grader_pid": os.getpid(),
            "binds": _interpreter_binds(), "scratch_bytes": 256 * 1024 * 1024,
            "cgroup_procs": procs, "preload": self.preload, "cpu": self.cpu,
            # `-S` (no site.main(): the project's editable-install hook would import pathlib & co into
            # the server, ~20 ms and more pages per fork); the sandbox gets site-packages plainly.
            "site_packages": [p for p in site.getsitepackages() if os.path.isdir(p)],
        }
        self._log = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-X", "frozen_modules=on", str(EXECUTOR), json.dumps(cfg)],
                pass_fds=(req_r, resp_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=self._log, close_fds=True, start_new_session=True,
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._wfd, self._rfd = req_w, resp_r

    def wait_ready(self) -> None:
        """Wait for the executor's "ready" (see `start`); a clear error when it cannot isolate."""
        try:
            msg = self._recv(self.startup_timeout_s)
        except SandboxCrashed as exc:
            log = self._read_log()
            self.close()
            raise SandboxUnavailableError(f"the sandbox did not start: {exc}. {log}".strip()) from None
        if msg.get("op") != "ready":
            self.close()
            raise SandboxUnavailableError(
                f"{msg.get('error', msg)}. The grader needs root, or unprivileged user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces > 0), to isolate code."
            )

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
                    self.proc.kill()  # pid 1 inside has PDEATHSIG=SIGKILL: the namespace goes with it
                except ProcessLookupError:
                    pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self.cgroup is not None:
            self._kill_cgroup()
            self.cgroup.remove()
            self.cgroup = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def _kill_cgroup(self) -> None:
        """Belt and braces: SIGKILL anything still listed in our cgroups."""
        assert self.cgroup is not None
        for _ in range(50):
            pids = []
            for procs in self.cgroup.procs:
                try:
                    pids += [int(p) for p in Path(procs).read_text().split()]
                except OSError:
                    pass
            if not pids:
                return
            for p in pids:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

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

    # ---- channel with a watchdog
    def _recv(self, timeout_s: float) -> dict:
        obj, _ = self._recv_blob(timeout_s)
        return obj

    def _recv_blob(self, timeout_s: float) -> tuple[dict, bytes]:
        ready, _, _ = select.select([self._rfd], [], [], max(timeout_s, 0.0))
        if not ready:
            raise SandboxCrashed(f"no reply within {timeout_s:.0f} s")
        try:
            return recv_msg(self._rfd, max_bytes=self.limits.max_output + (1 << 24))
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

    def begin(self, code: str, inputs: list[str], func_name: str | None, limits: Limits, early_exit: bool) -> int:
        """Send one sample's job and return its id; the replies are then read with `read_replies`
        and turned into observations by `absorb` (see `run` for the blocking loop)."""
        if not self.alive:
            self.restart()
        self._job_seq += 1
        job = {
            "op": "sample", "job": self._job_seq, "mode": "functional" if func_name else "stdin", "code": code,
            "inputs": inputs, "func_name": func_name, "time_limit": limits.time_s, "wall_factor": limits.wall_factor,
            "memory_bytes": limits.memory_bytes + _RLIMIT_AS_SLACK if limits.memory_bytes else 0,
            "max_output": limits.max_output, "max_processes": limits.max_processes, "early_exit": early_exit,
        }
        self._inbox.clear()
        self._oom_seen = self.cgroup.oom_kills() if self.cgroup else 0
        with self._wlock:
            send_msg(self._wfd, job)
        return self._job_seq

    def watchdog_s(self, limits: Limits) -> float:
        """Longest legitimate silence during a job: one test's wall limit plus the sandbox's own work."""
        return limits.wall_factor * limits.time_s + 2.0 + self.watchdog_slack_s

    @property
    def reply_fd(self) -> int:
        """Readable when replies are waiting (changes when the sandbox is restarted)."""
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
        except ValueError as exc:  # oversized or not JSON
            raise SandboxCrashed(f"malformed reply: {exc}") from None

    def absorb(self, msg: dict, blob: bytes) -> tuple[list[Observation], bool]:
        """The observations one reply carries, and whether it ends the job ("done"). A batch
        marked "final" already ended the sample inside: `Observation.extra["final"]` is set."""
        op = msg.get("op") if isinstance(msg, dict) else None
        if op == "done":
            return [], True
        if op == "error":
            raise SandboxCrashed(str(msg.get("error")))
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
            judge=None) -> list[Observation]:
        """Run one sample's tests in order, blocking, and return an `Observation` per test that ran.
        `judge(obs) -> bool` is called on every observation (the grader's verdict on a test,
        decided here, outside the sandbox); False with `early_exit` stops the sample. A sandbox
        that dies or wedges gives a `crashed` observation for the test in progress and is
        restarted: no result is lost."""
        observations: list[Observation] = []
        watchdog = self.watchdog_s(limits)
        stopped = False
        try:
            job_id = self.begin(code, inputs, func_name, limits, early_exit)
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
