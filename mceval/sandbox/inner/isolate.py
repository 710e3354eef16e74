"""Entering the sandbox: namespaces, the filesystem view, dropping privileges, the seccomp filter.
Standard library only (runs in the sandbox's own processes).

The supervisor (see launch.py) calls `enter_namespaces()`: it then lives in new mount, net, ipc and
uts namespaces, and its next child - the zygote - is pid 1 of a new pid namespace. The zygote calls
`build_root()` and `lock_down()`: a fresh read-only root holding only what `mceval.sandbox.binds`
chose, a new /proc, then no capabilities, an unprivileged uid, `no_new_privs` and the filter. The
supervisor stays outside that pid namespace (test code can neither see nor signal it) and keeps
the one privilege it needs, CAP_SYS_ADMIN, to give every sample a fresh scratch tmpfs.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
CAP_SYS_ADMIN = 21
_SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
# Scratch mounts: a fresh tmpfs each, capped in bytes and in inodes so that tearing one down takes
# bounded time whatever a test created in it.
SCRATCH_INODES = 16384
SHM_BYTES = 64 * 1024 * 1024

_libc = ctypes.CDLL(None, use_errno=True)


def check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    check(_libc.mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def prctl(option: int, arg: int) -> None:
    check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def die_with_parent(parent: int) -> None:
    """SIGKILL when the parent goes (set again after every credential change, which clears it)."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(70)  # the parent died before the setting took effect


# ------------------------------------------------------------------------------------ namespaces
def _write_id_maps(inner: int, outer_uid: int, outer_gid: int) -> None:
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{inner} {outer_uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{inner} {outer_gid} 1")


def has_capability(cap: int) -> bool:
    return bool(held_capabilities() >> cap & 1)


# How the zygote drops privileges (see `drop_to_unprivileged`), decided by `enter_namespaces`.
PRIVILEGED, USERNS_MAPPED, USERNS_SINGLE = "privileged", "userns-mapped", "userns-single"
SANDBOX_ID = 1000  # the test processes' uid/gid inside a user namespace


def enter_namespaces(uid: int) -> str:
    """New mount/net/ipc/uts namespaces for this process (the pid namespace comes later, see
    `new_pid_namespace`). Privileged (root with CAP_SYS_ADMIN) when possible, else inside a new
    user namespace - the case of root without CAP_SYS_ADMIN in a container. Returns the mode
    (PRIVILEGED, ...); raises OSError with one line saying what to enable when nothing works."""
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    privileged_error = "not root"
    if os.geteuid() == 0 and has_capability(CAP_SYS_ADMIN):
        if _libc.unshare(flags) == 0:
            return PRIVILEGED
        privileged_error = os.strerror(ctypes.get_errno())
    elif os.geteuid() == 0:
        privileged_error = "root without CAP_SYS_ADMIN"
    outer_uid, outer_gid = os.geteuid(), os.getegid()
    mapper = _MapWriter(uid) if outer_uid == 0 else None
    if _libc.unshare(CLONE_NEWUSER) != 0:
        err = os.strerror(ctypes.get_errno())
        if mapper is not None:
            mapper.cancel()
        raise OSError(errno.EPERM, (
            f"cannot isolate code: privileged namespaces unavailable ({privileged_error}) and user namespaces "
            f"refused ({err}); run as root with CAP_SYS_ADMIN, or allow unprivileged user namespaces "
            "(sysctl user.max_user_namespaces>0 and kernel.unprivileged_userns_clone=1; in a container, a "
            "seccomp profile that permits unshare/clone with CLONE_NEWUSER)"))
    if mapper is not None:
        mapper.write()
    else:
        _write_id_maps(0, outer_uid, outer_gid)
    check(_libc.unshare(flags), "unshare(mount+net+ipc+uts namespaces) in a user namespace")
    return USERNS_MAPPED if mapper is not None else USERNS_SINGLE


def new_pid_namespace() -> None:
    """Our NEXT child is pid 1 of a new pid namespace, and so is every later one's ancestor there:
    the children forked before this call (the scratch helper) stay outside, invisible to tests."""
    check(_libc.unshare(CLONE_NEWPID), "unshare(pid namespace)")


class _MapWriter:
    """Root without CAP_SYS_ADMIN: a helper left outside the new user namespace maps its uid 0 to
    root (the supervisor keeps reading the host's files) AND its uid SANDBOX_ID to the sandbox's
    unprivileged `uid` - which needs CAP_SETUID outside, so it cannot be done from inside. Test
    processes then never run as the host's root, even without capabilities (root's DAC rights on
    /proc/sysrq-trigger and the like stay out of reach)."""

    def __init__(self, uid: int) -> None:
        self.go_r, self.go_w = os.pipe()
        self.done_r, self.done_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the helper: never returns into the caller's code
            try:
                os.close(self.go_w)
                os.close(self.done_r)
                ok = b"0"
                if os.read(self.go_r, 1) == b"x":
                    target = os.getppid()
                    for kind in ("uid", "gid"):
                        with open(f"/proc/{target}/{kind}_map", "w") as f:
                            f.write(f"0 0 1\n{SANDBOX_ID} {uid} 1\n")
                    ok = b"1"
                os.write(self.done_w, ok)
            except BaseException as exc:  # noqa: BLE001 - the caller sees "0" or EOF and reports it
                try:
                    os.write(2, f"sandbox id map failed: {exc}\n".encode())
                except OSError:
                    pass
            finally:
                os._exit(0)
        os.close(self.go_r)
        os.close(self.done_w)

    def write(self) -> None:
        os.write(self.go_w, b"x")
        ok = os.read(self.done_r, 1)
        self.cancel()
        if ok != b"1":
            raise OSError(errno.EPERM, "cannot isolate code as root without CAP_SYS_ADMIN: mapping the sandbox to an "
                                       "unprivileged uid needs CAP_SETUID and CAP_SETGID (or run with CAP_SYS_ADMIN)")

    def cancel(self) -> None:
        for fd in (self.go_w, self.done_r):
            try:
                os.close(fd)
            except OSError:
                pass
        os.waitpid(self.pid, 0)


# ----------------------------------------------------------------------------------- filesystem
def open_bind_sources(binds: list[dict]) -> dict[str, int | str]:
    """Pin each bind source (in the new mount namespace: a bind's source must belong to it) before
    the new root covers /tmp: an O_PATH fd still reaches a source under /tmp. Root-level symlinks (/lib -> usr/lib on
    merged-/usr systems) are kept as their link text."""
    sources: dict[str, int | str] = {}
    for entry in binds:
        if entry["kind"] != "bind" or not os.path.exists(entry["source"]):
            continue
        src = entry["source"]
        if os.path.islink(src) and os.path.dirname(src) == "/":
            sources[entry["path"]] = os.readlink(src)
        else:
            sources[entry["path"]] = os.open(src, os.O_PATH | os.O_CLOEXEC)
    return sources


def _bind_ro(src: str, dst: str) -> None:
    mount(src, dst, None, MS_BIND | MS_REC)
    mount(None, dst, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _mount_point(path: str, directory: bool) -> None:
    if directory:
        os.makedirs(path, exist_ok=True)
    elif not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "wb").close()


def mount_scratch(path: str, size: int) -> None:
    """A fresh, empty tmpfs at `path`, sticky and world-writable like /tmp."""
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},nr_inodes={SCRATCH_INODES},mode=1777")


def build_root(root: str, binds: list[dict], sources: dict[str, int | str], scratch_bytes: int) -> None:
    """Populate `root` (a fresh tmpfs) with the chosen read-only binds, empty read-only tmpfs
    "masks" over folders inside them that must stay hidden (site-packages holding other packages'
    files), a minimal /dev, scratch /tmp and /dev/shm, and a /proc of the new pid namespace.
    Entries come sorted by path, so a mask is mounted before the binds placed inside it."""
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    masks = []
    for entry in binds:
        path, dst = entry["path"], root + entry["path"]
        if entry["kind"] == "mask":
            if os.path.isdir(dst):
                mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0755")
                masks.append(dst)
            continue
        source = sources.get(path)
        if source is None:
            continue
        if isinstance(source, str):
            os.symlink(source, dst)
            continue
        _mount_point(dst, os.path.isdir(f"/proc/self/fd/{source}"))
        _bind_ro(f"/proc/self/fd/{source}", dst)
        os.close(source)
    for dst in masks:
        mount(None, dst, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.makedirs(root + "/tmp", exist_ok=True)
    mount_scratch(root + "/tmp", scratch_bytes)
    os.makedirs(root + "/dev/shm", exist_ok=True)
    mount_scratch(root + "/dev/shm", SHM_BYTES)
    for dev in ("null", "zero", "urandom", "random", "full"):
        if os.path.exists("/dev/" + dev):
            open(f"{root}/dev/{dev}", "wb").close()
            mount("/dev/" + dev, f"{root}/dev/{dev}", None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    os.makedirs(root + "/proc", exist_ok=True)
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def pivot_root(root: str) -> None:
    """Make `root` the root of the mount namespace (of every process in it: the supervisor too)
    and drop the old one; the root tmpfs becomes read-only."""
    nr = _SYS_PIVOT_ROOT.get(os.uname().machine)
    if nr is None:
        raise OSError(errno.ENOSYS, f"pivot_root syscall number unknown for {os.uname().machine}")
    os.chdir(root)
    check(_libc.syscall(nr, b".", b"."), "pivot_root")
    check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def set_hostname(name: str) -> None:
    check(_libc.sethostname(name.encode(), len(name)), "sethostname")


def make_mounts_private() -> None:
    mount(None, "/", None, MS_REC | MS_PRIVATE)


def replace_scratch(path: str, size: int) -> None:
    """Detach the scratch tmpfs at `path` with everything in it and mount an empty one: no walk
    of the old tree, so no tree a test built (deeper than PATH_MAX, without permissions, full of
    inodes) can stop it, and the kernel frees it in time bounded by the mount's caps."""
    check(_libc.umount2(path.encode(), MNT_DETACH), f"umount {path}")
    mount_scratch(path, size)


# --------------------------------------------------------------------------------- privileges
def keep_only_capabilities(keep: int) -> None:
    """Set the effective, permitted and inheritable capability sets to the `keep` bitmask (low 32
    capabilities) and clear the ambient set."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)(keep, keep, 0, 0, 0, 0)  # effective, permitted, inheritable x 2 words
    check(_libc.capset(header, data), "capset")
    check(_libc.prctl(47, 4, 0, 0, 0), "clear ambient capabilities")  # PR_CAP_AMBIENT_CLEAR_ALL


def close_all_but(keep: set[int]) -> None:
    """Close every descriptor of this process except `keep`."""
    low = 0
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, 1 << 16)


def drop_to_unprivileged(uid: int, mode: str, nest: bool = True) -> None:
    """No capabilities, the test processes' unprivileged uid, no way back (no_new_privs), not
    dumpable (same-uid test processes cannot ptrace this process or read its memory). With only
    one id mapped (USERNS_SINGLE) the zygote (`nest`) also enters a nested user namespace."""
    if mode == USERNS_SINGLE:
        if nest:
            # A nested user namespace owns nothing mounted above it, so even "root" in it cannot
            # undo the read-only mounts; map inner uid 1000 to us and lose every capability over
            # our mounts.
            check(_libc.unshare(CLONE_NEWUSER), "unshare(nested user namespace)")
            _write_id_maps(SANDBOX_ID, 0, 0)
    else:
        inner = uid if mode == PRIVILEGED else SANDBOX_ID
        os.setgroups([])
        os.setresgid(inner, inner, inner)
        os.setresuid(inner, inner, inner)
    keep_only_capabilities(0)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_DUMPABLE, 0)
    if held_capabilities():
        raise OSError(errno.EPERM, f"capabilities still held after dropping privileges: {held_capabilities():#x}")


def held_capabilities() -> int:
    """The effective | permitted capability bits of this process (capget: /proc/self does not
    exist for the supervisor, which is outside the sandbox's pid namespace)."""
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    check(_libc.capget(header, data), "capget")
    return data[0] | data[1] | (data[3] | data[4]) << 32


# ------------------------------------------------------------------------------------ seccomp
# Syscalls no test needs, which only widen the kernel's attack surface or outlive a sample:
# new namespaces (a user namespace would hand out capabilities again), mounts, ptrace and
# cross-process memory access, BPF, io_uring, keyrings, module loading, and System V IPC and POSIX
# message queues (objects of the IPC namespace that would survive into the next sample).
# x86_64 numbers; elsewhere the filter is skipped.
_DENIED_X86_64 = {
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "keyctl": 250, "add_key": 248, "request_key": 249, "kexec_load": 246, "kexec_file_load": 320,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442, "swapon": 167,
    "swapoff": 168, "reboot": 169, "acct": 163, "quotactl": 179, "open_by_handle_at": 304,
    "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66,
    "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240,
    "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245,
}
_SYS_CLONE, _SYS_CLONE3, _SYS_SOCKET = 56, 435, 41
_AF_UNIX = 1
_NS_FLAGS = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | 0x02000000


def install_seccomp() -> None:
    """A filter, inherited by every test process, that fails the syscalls above with EPERM, clone()
    with namespace flags too, socket(AF_UNIX) (no unix socket on any host path can be connected to;
    socketpair() stays), and clone3 with ENOSYS so libc falls back to clone."""
    if os.uname().machine != "x86_64":
        return
    BPF_LD_W_ABS, BPF_JEQ_K, BPF_JSET_K, BPF_RET_K, BPF_JGE_K = 0x20, 0x15, 0x45, 0x06, 0x35
    ALLOW, ERRNO = 0x7FFF0000, 0x00050000
    AUDIT_ARCH_X86_64 = 0xC000003E
    deny = (BPF_RET_K, 0, 0, ERRNO | errno.EPERM)
    prog: list[tuple[int, int, int, int]] = [
        (BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (BPF_JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        deny,  # another ABI (i386 via int 0x80): refuse everything
        (BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        (BPF_JGE_K, 0, 1, 0x40000000),  # the x32 ABI
        deny,
        (BPF_JEQ_K, 0, 1, _SYS_CLONE3),
        (BPF_RET_K, 0, 0, ERRNO | errno.ENOSYS),
    ]
    for nr in _DENIED_X86_64.values():
        prog += [(BPF_JEQ_K, 0, 1, nr), deny]
    prog += [
        (BPF_JEQ_K, 0, 4, _SYS_SOCKET),
        (BPF_LD_W_ABS, 0, 0, 16),  # low half of args[0]: the address family
        (BPF_JEQ_K, 0, 1, _AF_UNIX),
        deny,
        (BPF_RET_K, 0, 0, ALLOW),
        (BPF_JEQ_K, 0, 4, _SYS_CLONE),
        (BPF_LD_W_ABS, 0, 0, 16),  # low half of args[0]: the clone flags
        (BPF_JSET_K, 0, 1, _NS_FLAGS),
        deny,
        (BPF_RET_K, 0, 0, ALLOW),
        (BPF_RET_K, 0, 0, ALLOW),
    ]

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(prog))(*[SockFilter(*ins) for ins in prog])
    fprog = SockFprog(len(prog), filters)
    PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
    check(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "seccomp filter")
