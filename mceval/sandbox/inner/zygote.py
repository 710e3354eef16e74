"""The zygote: pid 1 of the sandbox's pid namespace, the process every test child is forked from.
Standard library only.

It is pristine by construction: after preloading modules it only ever receives one request from
the supervisor, a single byte, "end": kill and reap everything the test started, then fork the
next test process ahead of its job. It never holds code, inputs, outputs or even a test's
descriptors (each test process gets those from the supervisor itself), and nothing a test does
reaches it: no descriptor of its channel survives into a child; as pid 1 it has no signal
handlers, so the kernel drops every signal sent to it from inside; it is not dumpable. So a
child forked from it can find no trace of any other sample in its memory, however it searches.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import struct

from .child import Namespaces, start

END = 2  # the one request (one byte): end the running test
READY, NEXT = 4, 5  # replies; each but READY carries the next test process's pidfd and socket
REPLY = struct.Struct("<BiiQ")  # op, pid of the next test process, wait status, CPU microseconds
N_FDS = 5  # job memfd, stdin, stdout, stderr, result pipe


class Zygote:
    def __init__(self, sock: socket.socket, oom: tuple[int, bytes], spaces: Namespaces) -> None:
        self.sock = sock
        self.oom_fd, self.oom_base = oom
        self.spaces = spaces
        self.main = 0  # the next (or running) test's first process
        self.cpu_base = 0

    def serve(self) -> None:
        """Fork the first test process ahead, then, on every "end", kill and reap the test and
        fork the next one ahead: the fork happens while the grader judges, not once a job comes."""
        self.sock.send(REPLY.pack(READY, os.getpid(), os.getuid(), 0))
        self.send_next(0, 0)
        while True:
            try:
                data = self.sock.recv(16)
            except InterruptedError:
                continue
            if not data:
                os._exit(0)  # the supervisor is gone
            status = kill_all(self.main)
            self.send_next(status, max(_children_cpu_us() - self.cpu_base, 0))

    def send_next(self, status: int, cpu_us: int) -> None:
        """Report the test just ended (wait status, CPU of all its processes) together with the
        next test process: forked now, it waits for its descriptors on a socket of its own."""
        self.cpu_base = _children_cpu_us()
        theirs, ours = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = self.fork()
        if pid == 0:
            self.sock.close()
            theirs.close()
            wait_for_job(ours, self.spaces)  # never returns
        ours.close()
        self.main = pid
        pidfd = os.pidfd_open(pid)
        try:
            socket.send_fds(self.sock, [REPLY.pack(NEXT, pid, status, cpu_us)], [pidfd, theirs.fileno()])
        finally:
            os.close(pidfd)
            theirs.close()

    def fork(self) -> int:
        """fork() a test child whose OOM score is 1000, so the OOM killer picks it, never us. The
        kernel copies the score at fork, so we lend it ours around the call: the child needs no
        /proc write of its own (that cost ~0.3 ms a fork)."""
        if self.oom_fd < 0:
            return os.fork()
        try:
            os.write(self.oom_fd, b"1000")
        except OSError:
            return os.fork()
        try:
            pid = os.fork()
        finally:
            if os.getpid() == 1:  # not in the child
                os.write(self.oom_fd, self.oom_base)
        return pid


def wait_for_job(sock: socket.socket, spaces: Namespaces) -> None:
    """A test process forked ahead: wait for its descriptors, then start. Never returns."""
    try:
        _, fds, _, _ = socket.recv_fds(sock, 16, N_FDS)
    except BaseException:  # noqa: BLE001
        fds = []
    if len(fds) != N_FDS:
        os._exit(0)  # the supervisor is gone (or sent nonsense): nothing to run
    sock.close()
    start(fds, spaces)


def kill_all(main: int) -> int:
    """Kill and reap every process but us; the wait status of `main` (-1 if it was not seen).
    Only as pid 1 of the sandbox's own pid namespace: anywhere else kill(-1) reaches every
    process the uid may signal."""
    if os.getpid() != 1:
        raise RuntimeError("kill_all() refused: not pid 1 of a sandbox pid namespace")
    status = -1
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            pid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            return status
        except InterruptedError:
            continue
        if pid == main:
            status = st


def _children_cpu_us() -> int:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return int((usage.ru_utime + usage.ru_stime) * 1_000_000)
