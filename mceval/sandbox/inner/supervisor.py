"""The supervisor: runs the grader's jobs, one sample at a time. Standard library only.

It is the only process of the sandbox that holds sample data (code and test inputs; never
expected outputs). It lives outside the sandbox's pid namespace, so test code can neither see nor
signal it, and it never runs test code. Every test process is a fresh child the zygote forked
ahead; this process hands it the job (a memfd) and its pipes itself, and its stdout, stderr and
results come straight back here: no process that test code runs in ever held another sample's
data. It enforces the time limits on the whole process tree (see meter.py and `Clock`), caps output,
gives each sample a fresh scratch tmpfs, and streams raw observations to the grader. Bytes from a
child are never parsed beyond the flat frames of wire.py, so no output can make it fail.
"""

from __future__ import annotations

import fcntl
import marshal
import os
import select
import socket
import time

from .child import COMPILE_ERRORS, compile_solution
from .wire import (
    MalformedFrame,
    failure_fields,
    frame,
    recv_msg,
    send_msg,
    split_child_frames,
    write_all,
)
from .zygote import END, NEXT, REPLY

_PIPE_BYTES = 1 << 20  # stdout pipe size: a test rarely blocks on a full pipe while we are busy
_CLEANUP_TIMEOUT_S = 10.0  # longest wait for the zygote after a sample's replies are out


class Clock:
    """The time limits of one test (or of one functional test at a time, via `restart`):

    - CPU time of the whole process tree (the test cgroup, or the main process without one) over
      `limit` is TLE;
    - with run-queue accounting, ACTIVE time - wall time minus the time the tree spent runnable
      but waiting for a CPU - over `limit` is TLE: a program that sleeps or blocks past its limit
      fails, while one slowed only by a loaded machine does not; a backstop still ends any test
      after `load_factor * limit + 2` s of wall time;
    - without it, wall time over `wall_factor * limit + 2` s is TLE;
    - with `wall_clock` (the lcb profile: LiveCodeBench's alarm), wall time over `limit` is TLE,
      however loaded the machine (CPU time over `limit` still is).
    """

    def __init__(self, meter, limit: float, wall_factor: float, load_factor: float, wall_clock: bool = False) -> None:
        self.meter, self.limit = meter, limit
        factor = load_factor if meter.measures_wait else wall_factor
        self.wall_limit = limit if wall_clock else factor * limit + 2.0
        self.restart()

    def restart(self) -> None:
        self.t0 = time.monotonic()
        self.cpu0 = self.meter.cpu_us()
        self.wait0 = self.meter.wait_us() if self.meter.measures_wait else 0

    def cpu_s(self) -> float:
        return max(self.meter.cpu_us() - self.cpu0, 0) / 1e6

    def wait_s(self) -> float:
        return max(self.meter.wait_us() - self.wait0, 0) / 1e6 if self.meter.measures_wait else 0.0

    def exceeded(self, cpu_s: float, wall_s: float, wait_s: float) -> bool:
        if cpu_s > self.limit or wall_s > self.wall_limit:
            return True
        return self.meter.measures_wait and wall_s - wait_s > self.limit

    def check(self) -> float | None:
        """None when a limit is exceeded now; else how long to wait before checking again. The
        meters are read only once a limit could have been reached (most tests end before)."""
        limit, rate = self.limit, self.meter.max_cpus
        elapsed = time.monotonic() - self.t0
        cpu = self.cpu_s() if elapsed * rate >= limit else elapsed * rate
        if cpu > limit or elapsed > self.wall_limit:
            return None
        wait = min((limit - cpu) / rate, self.wall_limit - elapsed, 0.5)
        if self.meter.measures_wait:
            active = elapsed - self.wait_s() if elapsed >= limit else elapsed
            if active > limit:
                return None
            wait = min(wait, limit - active)
        return max(wait, 0.005)


class Child:
    """A test process as the supervisor sees it: its pid (in the sandbox), a pidfd, and the read
    ends of its result, stdout and stderr pipes."""

    def __init__(self, pid: int, pidfd: int, pipes: dict[int, str], cap: int) -> None:
        self.pid, self.pidfd, self.pipes, self.cap = pid, pidfd, pipes, cap
        self.bufs = {name: bytearray() for name in pipes.values()}
        self.out_total = 0

    def drain(self, fd: int) -> bool:
        """Read what `fd` holds now; False at EOF. Keeps stdout up to the output cap + 1 byte
        (more is an output-limit failure anyway) and the last 8 KiB of stderr."""
        cap = self.cap
        chunk = os.read(fd, 1 << 20)
        name = self.pipes[fd]
        if not chunk:
            del self.pipes[fd]
            os.close(fd)
            return False
        buf = self.bufs[name]
        if name == "out":
            self.out_total += len(chunk)
            if len(buf) <= cap:
                buf += chunk[: cap + 1 - len(buf)]
        else:
            buf += chunk
            if name == "err":
                del buf[:-8192]
        return True

    def close(self) -> None:
        for fd in [self.pidfd, *self.pipes]:
            os.close(fd)
        self.pipes = {}

    def stderr(self) -> str:
        return bytes(self.bufs["err"][-2000:]).decode("utf-8", "replace")


class Supervisor:
    """Serves the grader's channel: one job (sample, or the tests of it another worker did not
    take) at a time, its observations streamed back, then "done"."""

    def __init__(self, rfd: int, wfd: int, zygote: socket.socket, meter, scratch, ready: dict) -> None:
        self.rfd, self.wfd, self.zygote, self.meter, self.scratch = rfd, wfd, zygote, meter, scratch
        self.ready = ready
        self.devnull = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        self.next_child: tuple[int, int, socket.socket] | None = None
        self.take_next()  # the first test process, forked ahead
        self.held = b""  # a sample's last results, sent together with its "done"
        self.pending: Child | None = None  # a test being ended after its sample's replies (finish_later)
        self.job_id = None
        self.end = 0  # tests at index >= end are not to be run (early exit, or another worker took them)

    # ---- processes (through the zygote)
    def spawn(self, job: dict, stdin: bytes | None, cap: int) -> Child:
        """Start the test process the zygote forked ahead, handing it `job` (memfd), `stdin`
        (memfd; /dev/null if None) and its output pipes."""
        assert self.next_child is not None, "every test is ended (and the next one forked) before another starts"
        (pid, pidfd, sock), self.next_child = self.next_child, None
        job_fd = _memfd("job", marshal.dumps(job))
        in_fd = self.devnull if stdin is None else _memfd("stdin", stdin)
        res_r, res_w = os.pipe2(os.O_CLOEXEC)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        try:
            fcntl.fcntl(out_w, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except OSError:
            pass
        try:
            socket.send_fds(sock, [b"j"], [job_fd, in_fd, out_w, err_w, res_w])
        finally:
            sock.close()
            for fd in (job_fd, out_w, err_w, res_w) + (() if in_fd == self.devnull else (in_fd,)):
                os.close(fd)
        self.meter.attach(pid)
        return Child(pid, pidfd, {res_r: "res", out_r: "out", err_r: "err"}, cap)

    def take_next(self) -> tuple[int, int]:
        """Read the zygote's report: the test just ended (wait status, CPU microseconds of all its
        processes) and the next test process, forked ahead (kept in `next_child`)."""
        data, fds, _, _ = socket.recv_fds(self.zygote, REPLY.size, 2)
        if not data:
            raise EOFError("the zygote is gone")
        op, pid, status, cpu_us = REPLY.unpack(data)
        if op != NEXT or len(fds) != 2:
            for fd in fds:
                os.close(fd)
            raise OSError(f"unexpected zygote reply {op}")
        self.next_child = (pid, fds[0], socket.socket(fileno=fds[1]))
        return status, cpu_us

    def finish(self, child: Child) -> tuple[int, float]:
        """Kill and reap everything the test started; (wait status of its first process, CPU
        seconds of all its processes). Then a fresh scratch if this test touched it."""
        self.zygote.send(bytes([END]))
        return self._ended(child)

    def finish_later(self, child: Child) -> None:
        """Like `finish` for a test whose results are all sent: the zygote kills it now, and the
        rest waits until the sample's last replies are out (see `serve`), so the grader judges
        them meanwhile."""
        self.zygote.send(bytes([END]))
        self.pending = child

    def _ended(self, child: Child) -> tuple[int, float]:
        status, cpu_us = self.take_next()
        for fd in list(child.pipes):  # every writer is dead: drain to EOF
            while child.drain(fd):
                pass
        child.close()
        self.scratch.refresh()
        return status, cpu_us / 1e6

    # ---- control messages
    def poll_control(self) -> None:
        """Apply the grader's control messages for the current job: "stop" (early exit on a wrong
        answer) and "limit" (another worker took over tests `end`..). Stale ids are ignored."""
        while select.select([self.rfd], [], [], 0)[0]:
            msg, _ = recv_msg(self.rfd)
            if msg.get("job") != self.job_id:
                continue
            if msg.get("op") == "stop":
                self.end = 0
            elif msg.get("op") == "limit":
                self.end = min(self.end, int(msg.get("end", 0)))

    # ---- stdin programs: one fresh child per test
    def child_job(self, job: dict, cpu_rlimit_s: float, **extra) -> dict:
        """What a test child receives (marshalled): the compiled code, its limits, functional inputs."""
        return {"mode": job["mode"], "code": job["compiled"], "namespace": job["namespace"], "cpu_rlimit_s": cpu_rlimit_s,
                "memory_bytes": job["memory_bytes"], "max_output": job["max_output"],
                "max_processes": job["max_processes"], **extra}

    def clock(self, job: dict) -> Clock:
        return Clock(self.meter, job["time_limit"], job["wall_factor"], job["load_factor"], job.get("wall_clock", False))

    def run_stdin_test(self, job: dict, test_input: str, index: int) -> tuple[dict, bytes]:
        cap = job["max_output"]
        child = self.spawn(self.child_job(job, job["time_limit"]), test_input.encode("utf-8", "surrogateescape"), cap)
        clock = self.clock(job)
        status, exited_at = "ok", None
        while status == "ok" and exited_at is None:
            wait = clock.check()
            if wait is None:
                status = "timeout"
                break
            ready = select.select([*child.pipes, child.pidfd, self.rfd], [], [], wait)[0]
            if self.rfd in ready:
                self.poll_control()
                if index >= self.end:
                    status = "stopped"
            for fd in ready:
                if fd in child.pipes:
                    child.drain(fd)
            if child.out_total > cap:
                status = "output_limit"
            if child.pidfd in ready:
                exited_at = time.monotonic()
        wall = (exited_at or time.monotonic()) - clock.t0
        wait_s = clock.wait_s()
        wstatus, cpu = self.finish(child)
        stdout = bytes(child.bufs["out"])
        res = {"status": status, "cpu_s": cpu, "wall_s": wall, "stderr": child.stderr()}
        if child.out_total > cap:
            res["status"] = "output_limit"
        if res["status"] == "ok" and clock.exceeded(cpu, wall, wait_s):
            res["status"] = "timeout"
        if wstatus >= 0 and os.WIFSIGNALED(wstatus):
            res["signal"] = os.WTERMSIG(wstatus)
            if res["status"] == "ok":
                res["status"] = "timeout" if res["signal"] == 24 else "signaled"  # SIGXCPU: the rlimit backstop
        elif wstatus >= 0:
            res["exit_code"] = os.WEXITSTATUS(wstatus)
            if res["status"] == "ok" and res["exit_code"] != 0:
                res["status"] = "exited"
        return res, stdout

    # ---- functional programs: one child per sample runs the tests with a fresh Solution() each
    def run_functional(self, job: dict) -> None:
        """Run the sample's tests, starting a new child after a test that killed it when every
        test must run (early_exit off)."""
        start = 0
        while True:
            self.poll_control()
            if start >= self.end:
                return
            nxt = self._functional_child(job, start)
            if nxt is None:
                return
            start = nxt

    def _functional_child(self, job: dict, start: int) -> int | None:
        """Stream one child's results to the grader in batches while enforcing the per-test
        limits and the output cap. Returns the next test index to run in a fresh child, or None
        when the sample is over."""
        n, limit, cap = len(job["inputs"]), job["time_limit"], job["max_output"]
        early = job["early_exit"]
        total = limit * max(1, n - start + 1) + 1
        child = self.spawn(self.child_job(job, total, func_name=job["func_name"], inputs=job["inputs"][start:]),
                           None, cap)
        clock = self.clock(job)
        index, ready = start, False

        def fail(status: str, ended: tuple[int, float] | None = None, **extra) -> int | None:
            """Report a failure of test `index` that ends this child."""
            payload = dict(index=index if ready else -1, status=status, cpu_s=clock.cpu_s(),
                           wall_s=time.monotonic() - clock.t0, **extra)
            if ended is None:
                self.finish(child)
            payload["stderr"] = child.stderr()
            send_msg(self.wfd, {"op": "tests", "results": [payload]})
            return None if not ready or early else index + 1

        while True:
            wait = clock.check()
            if wait is None:
                return fail("timeout")
            ready_fds = select.select([*child.pipes, child.pidfd, self.rfd], [], [], wait)[0]
            if self.rfd in ready_fds:
                self.poll_control()
                if index >= self.end:
                    self.finish_later(child)
                    return None
            exited = child.pidfd in ready_fds
            for fd in ready_fds:
                if fd in child.pipes:  # after an exit, drain the pipes completely
                    while child.drain(fd) and exited and select.select([fd], [], [], 0)[0]:
                        pass
            if child.out_total > cap or len(child.bufs["res"]) > cap + 64:
                return fail("output_limit")
            try:
                frames = split_child_frames(child.bufs["res"], cap)
            except MalformedFrame as exc:  # garbage on the result pipe: this test failed
                return fail("ok", kind="exception", exc_type="", error=str(exc))
            results = [f for f in frames if f[0] != "ready"]
            if len(results) < len(frames):
                ready = True
                if not results:
                    clock.restart()
            batch, failed = [], False
            if results:
                cpu_now, wall_now = clock.cpu_s(), time.monotonic() - clock.t0
                late = clock.exceeded(cpu_now / len(results), wall_now / len(results),
                                      clock.wait_s() / len(results)) if max(cpu_now, wall_now) > limit else False
            for kind, payload in results:
                if index >= self.end:
                    break
                if not ready:  # the module failed on import, or has no entry point
                    self.finish(child)
                    send_msg(self.wfd, {"op": "tests", "results": [
                        {"index": -1, "status": "ok", "kind": kind, "cpu_s": cpu_now, **failure_fields(payload)}]})
                    return None
                item = {"index": index, "status": "timeout" if late else "ok", "kind": kind,
                        "cpu_s": cpu_now / len(results), "wall_s": wall_now / len(results)}
                if kind == "result":
                    item["result"] = payload.decode("utf-8", "replace")
                else:
                    item.update(failure_fields(payload))
                batch.append(item)
                index += 1
                if kind != "result" or late:
                    failed = True
                    if early:
                        break
            final = (failed and early) or index >= min(n, self.end)
            if batch:
                reply = frame({"op": "tests", "results": batch, "final": final})
                if final:  # goes out with "done" in one write: the grader wakes up once
                    self.held = reply
                else:
                    write_all(self.wfd, reply)
                clock.restart()
            if final:
                self.finish_later(child)
                return None
            if exited and "res" not in child.pipes.values():  # died mid-test, without a result
                ended = self.finish(child)
                wstatus = ended[0]
                if wstatus >= 0 and os.WIFSIGNALED(wstatus):
                    sig = os.WTERMSIG(wstatus)
                    return fail("timeout" if sig == 24 else "signaled", ended, signal=sig)
                return fail("exited", ended, exit_code=os.WEXITSTATUS(wstatus) if wstatus >= 0 else -1)

    # ---- main loop
    def serve(self) -> None:
        send_msg(self.wfd, self.ready)
        while True:
            try:
                job, _ = recv_msg(self.rfd)
            except EOFError:
                return
            op = job.get("op")
            if op in ("stop", "limit"):
                continue  # late control message for a job that already finished
            if op == "ping":
                send_msg(self.wfd, {"op": "pong"})
                continue
            if op != "sample":
                send_msg(self.wfd, {"op": "error", "error": f"unknown op {op!r}"})
                continue
            self.job_id, self.end = job.get("job"), len(job["inputs"])
            try:  # once per sample, here: test children receive the code object
                job["namespace"], job["compiled"] = compile_solution(job["code"], job["mode"] == "functional",
                                                                     job.get("profile", "microcoder"))
            except COMPILE_ERRORS as exc:
                send_msg(self.wfd, {"op": "test", "index": -1, "status": "compile_error",
                                    "error": f"{type(exc).__name__}: {exc}"[:2000]})
            else:
                if job["mode"] == "functional":
                    self.run_functional(job)
                else:
                    self.run_stdin_job(job)
            write_all(self.wfd, self.held + frame({"op": "done"}))
            self.held = b""
            if self.pending is not None:
                self._end_pending()

    def _end_pending(self) -> None:
        """Finish the test ended after its sample's replies. A failure here belongs to no test:
        the sample's results are complete, so the grader is told to run the next sample again on
        a fresh sandbox rather than charge it ("between")."""
        child, self.pending = self.pending, None
        self.zygote.settimeout(_CLEANUP_TIMEOUT_S)  # well under the grader's shortest watchdog
        try:
            self._ended(child)
        except BaseException as exc:  # noqa: BLE001
            send_msg(self.wfd, {"op": "error", "between": True, "error": f"cleanup after a sample failed: {exc!r}"})
            os._exit(73)
        finally:
            self.zygote.settimeout(None)

    def run_stdin_job(self, job: dict) -> None:
        for i, test_input in enumerate(job["inputs"]):
            self.poll_control()
            if i >= self.end:
                break
            res, stdout = self.run_stdin_test(job, test_input, i)
            if res["status"] == "stopped":
                break
            send_msg(self.wfd, {"op": "test", "index": i, **res}, stdout)
            if job["early_exit"] and res["status"] != "ok":
                break


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    write_all(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
