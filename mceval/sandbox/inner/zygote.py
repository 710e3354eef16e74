"""The zygote: pid 1 of the sandbox's pid namespace, the process every test child is forked from.
Standard library only.

It is pristine by construction: after preloading modules it only ever receives fixed-size
requests from the supervisor - "spawn" (with the descriptors the new child will use) and "end"
(kill and reap everything the test started) - never code, inputs or outputs, and nothing a test
does reaches it (no descriptor of its channel survives into a child; as pid 1 it has no signal
handlers, so the kernel drops every signal sent to it from inside; it is not dumpable). So a child
forked from it can find no trace of any other sample in its memory, however it searches.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import struct

from .child import Namespaces, start

SPAWN, END = 1, 2  # requests (one byte; "spawn" carries five descriptors)
SPAWNED, ENDED, FAILED, READY = 1, 2, 3, 4  # replies
REPLY = struct.Struct("<BiiQ")  # op, pid, wait status, CPU microseconds of the whole test
N_FDS = 5


class Zygote:
    def __init__(self, sock: socket.socket, oom: tuple[int, bytes], spaces: Namespaces) -> None:
        self.sock = sock
        self.oom_fd, self.oom_base = oom
        self.spaces = spaces
        self.main = 0  # the running test's first process
        self.cpu_base = 0

    def serve(self) -> None:
        self.sock.send(REPLY.pack(READY, os.getpid(), os.getuid(), 0))
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, 16, N_FDS)
            except InterruptedError:
                continue
            if not data:
                os._exit(0)  # the supervisor is gone
            if data[0] == SPAWN and len(fds) == N_FDS:
                self.spawn(fds)
            else:
                for fd in fds:
                    os.close(fd)
                self.end()

    def spawn(self, fds: list[int]) -> None:
        self.cpu_base = _children_cpu_us()
        try:
            pid = self.fork()
        except OSError:
            pid = -1
        if pid == 0:
            self.sock.close()
            start(fds, self.spaces)  # never returns
        for fd in fds:
            os.close(fd)
        if pid < 0:
            self.sock.send(REPLY.pack(FAILED, 0, 0, 0))
            return
        self.main = pid
        pidfd = os.pidfd_open(pid)
        try:
            socket.send_fds(self.sock, [REPLY.pack(SPAWNED, pid, 0, 0)], [pidfd])
        finally:
            os.close(pidfd)

    def end(self) -> None:
        """SIGKILL every process of the test (all but us, pid 1: daemons and fork bombs included),
        reap them, and report the first process's wait status and the CPU time of all of them."""
        status = kill_all(self.main)
        self.sock.send(REPLY.pack(ENDED, self.main, status, max(_children_cpu_us() - self.cpu_base, 0)))
        self.main = 0

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
