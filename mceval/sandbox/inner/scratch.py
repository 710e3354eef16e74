"""The sandbox's scratch folders (/tmp, /dev/shm): a fresh tmpfs whenever a test changed one.
Standard library only (runs in the supervisor and its helper).

Mounting needs CAP_SYS_ADMIN, which the supervisor - the process that reads test output and
compiles untrusted code - must not keep. So before dropping its privileges it forks a helper that
keeps only that capability and does one thing: on a one-byte request it detaches a scratch tmpfs
and mounts an empty one (isolate.replace_scratch). It never sees sample data and lives, like the
supervisor, outside the sandbox's pid namespace.
"""

from __future__ import annotations

import os
import signal

from . import isolate


def signature(path: str) -> tuple:
    """What any change to a fresh, empty tmpfs alters: entries, space, the folder's own
    metadata (mode, owner, times; ctime moves on any change) and attributes."""
    st, vfs = os.stat(path), os.statvfs(path)
    return (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, st.st_ctime_ns, vfs.f_ffree, vfs.f_bfree,
            tuple(os.listxattr(path)))


class Scratch:
    """The scratch folders and the privileged helper that replaces them. Created after entering
    the new mount namespace and before the pid namespace (so the helper stays out of it); the
    folders exist once the zygote has built the root (`start`)."""

    def __init__(self, folders: list[tuple[str, int]]) -> None:
        self.folders = folders
        self.fresh: list[tuple] = []
        self._requests_r, self._requests_w = os.pipe()
        self._replies_r, self._replies_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            self._serve()  # never returns
        os.close(self._requests_r)
        os.close(self._replies_w)

    def _serve(self) -> None:
        """The helper: CAP_SYS_ADMIN only, one request at a time, exit when the supervisor goes."""
        try:
            isolate.close_all_but({2, self._requests_r, self._replies_w})
            isolate.prctl(isolate.PR_SET_PDEATHSIG, signal.SIGKILL)
            isolate.keep_only_capabilities(1 << isolate.CAP_SYS_ADMIN)
            while True:
                request = os.read(self._requests_r, 1)
                if not request or request[0] >= len(self.folders):
                    break
                path, size = self.folders[request[0]]
                try:
                    isolate.replace_scratch(path, size)
                    reply = b"\0"
                except OSError:
                    reply = b"\1"
                os.write(self._replies_w, reply)
        finally:
            os._exit(0)

    def forget(self) -> None:
        """In a process forked from the supervisor (the zygote): drop our ends of the helper's pipes."""
        os.close(self._requests_w)
        os.close(self._replies_r)

    def start(self) -> None:
        """Remember the folders' state while they are empty."""
        self.fresh = [signature(path) for path, _ in self.folders]

    def refresh(self) -> None:
        """Replace every scratch folder a test changed in any way; raises OSError if the helper
        cannot (the supervisor then fails and the grader restarts the sandbox)."""
        for i, (path, _) in enumerate(self.folders):
            if signature(path) != self.fresh[i]:
                os.write(self._requests_w, bytes([i]))
                if os.read(self._replies_r, 1) != b"\0":
                    raise OSError(f"could not replace the scratch tmpfs at {path}")
                self.fresh[i] = signature(path)
