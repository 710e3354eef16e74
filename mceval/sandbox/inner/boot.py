"""The start of a sandbox: the supervisor's set-up, then the zygote's. Standard library only.

The launching process becomes the supervisor (supervisor.py). It joins the sandbox's cgroups,
opens what the sandbox will show, enters new namespaces (isolate.py), and forks the zygote
(zygote.py), which moves into the test cgroups, builds the sandbox's root, drops every privilege,
preloads modules and serves forks. Before that the supervisor forks the one helper that keeps
CAP_SYS_ADMIN (scratch.py); then it drops every privilege itself and serves the grader's jobs.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys

from . import child, isolate, meter, scratch, supervisor, wire, zygote


def boot(cfg: dict) -> None:
    """Run the sandbox described by `cfg` (see mceval.sandbox.host); never returns."""
    try:
        setup = _prepare(cfg)
    except BaseException as exc:  # noqa: BLE001 - report the reason to the grader, then exit
        _fail(cfg, "sandbox set-up failed", exc, 71)
    _serve(cfg, setup)


def _fail(cfg: dict, what: str, exc: BaseException, status: int) -> None:
    """Tell the grader why, in one line, and exit."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
    try:
        wire.send_msg(cfg["wfd"], {"op": "error", "error": f"{what}: {reason}"})
    finally:
        os._exit(status)


def _prepare(cfg: dict) -> dict:
    """Everything done with the host's view: cgroups joined, descriptors pinned, namespaces entered."""
    isolate.die_with_parent(cfg["grader_pid"])
    cg = cfg["cgroup"]
    for path in cg["join"]:
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    test_procs = [os.open(p, os.O_WRONLY | os.O_CLOEXEC) for p in cg["test_procs"]]
    meter_fds = [os.open(p, os.O_RDONLY | os.O_CLOEXEC) for p in cg["meter"]]
    mode = isolate.enter_namespaces(cfg["uid"])
    isolate.die_with_parent(cfg["grader_pid"])  # entering a user namespace cleared it
    # The one helper that keeps CAP_SYS_ADMIN (scratch.py): in our mount namespace, outside the
    # pid namespace test processes will live in.
    fresh = scratch.Scratch([("/tmp", cfg["scratch_bytes"]), ("/dev/shm", isolate.SHM_BYTES)])
    isolate.new_pid_namespace()
    sources = isolate.open_bind_sources(cfg["binds"])  # in the new mount namespace: bind sources
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    return {"test_procs": test_procs, "meter_fds": meter_fds, "sources": sources, "mode": mode, "scratch": fresh,
            "ours": ours, "theirs": theirs}


def _serve(cfg: dict, setup: dict) -> None:
    """The supervisor: fork the zygote, wait until it is ready, then serve the grader."""
    pid = os.fork()
    if pid == 0:
        _zygote(cfg, setup)  # never returns
    setup["theirs"].close()
    for fd in setup["test_procs"]:
        os.close(fd)
    try:
        data = setup["ours"].recv(zygote.REPLY.size)
        if not data:
            raise OSError("the zygote exited during set-up (see the sandbox log)")
        op, zpid, zuid, _ = zygote.REPLY.unpack(data)
        if op != zygote.READY:
            raise OSError("the zygote failed to start")
        os.chdir("/")  # the zygote's pivot_root moved our root; leave the old tree behind
        fresh = setup["scratch"]
        fresh.start()
        # Batch scheduling, like the test processes: a result a test writes does not preempt it
        # to wake us, so results arrive in fewer, larger batches (fewer wake-ups here and in the
        # grader); the zygote stays normal, to answer the moment we wait for it.
        try:
            os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        except OSError:
            pass
        if cfg.get("cpu") is not None:
            try:
                os.sched_setaffinity(0, {int(cfg["cpu"])})
            except OSError:
                pass
        # We compile untrusted code and read what tests write: as the test processes' own uid
        # (so the pipes we make are theirs to reopen), no capabilities, the same syscall filter.
        isolate.drop_to_unprivileged(cfg["uid"], setup["mode"], nest=False)
        isolate.die_with_parent(cfg["grader_pid"])  # dropping privileges cleared it
        isolate.install_seccomp()
        fds = setup["meter_fds"]
        if len(fds) == 2:
            gauge = meter.CgroupMeter(fds[0], fds[1], cfg["cgroup"]["max_cpus"] or float(os.cpu_count() or 1))
        else:
            gauge = meter.ProcMeter()
        ready = {"op": "ready", "pid": zpid, "uid": zuid, "meter": gauge.kind, "mode": setup["mode"]}
        sup = supervisor.Supervisor(cfg["rfd"], cfg["wfd"], setup["ours"], gauge, fresh, ready)
    except BaseException as exc:  # noqa: BLE001
        _fail(cfg, "sandbox set-up failed", exc, 71)
    try:
        sup.serve()
    except BaseException as exc:  # noqa: BLE001 - the grader restarts the sandbox
        _fail(cfg, "supervisor failed", exc, 72)
    os._exit(0)


def _zygote(cfg: dict, setup: dict) -> None:
    """The zygote's start: isolate, lock down, preload, serve. Never returns."""
    sock = setup["theirs"]
    try:
        setup["ours"].close()
        setup["scratch"].forget()
        for fd in setup["meter_fds"] + [cfg["rfd"], cfg["wfd"]]:
            os.close(fd)
        isolate.prctl(isolate.PR_SET_PDEATHSIG, signal.SIGKILL)
        # Into the test cgroups: every test process is born there (no migration per test), and
        # their CPU time, run-queue wait and quota are counted together. Our own work happens
        # between tests, outside the supervisor's measurements.
        for fd in setup["test_procs"]:
            os.write(fd, b"0")
            os.close(fd)
        isolate.make_mounts_private()
        root = "/tmp"  # a tmpfs mounted over /tmp in our private mount namespace becomes the new root
        isolate.build_root(root, cfg["binds"], setup["sources"], cfg["scratch_bytes"])
        isolate.pivot_root(root)
        isolate.set_hostname("sandbox")
        oom = _oom_handle(setup["mode"] == isolate.PRIVILEGED)
        isolate.drop_to_unprivileged(cfg["uid"], setup["mode"])
        isolate.prctl(isolate.PR_SET_PDEATHSIG, signal.SIGKILL)  # dropping privileges cleared it
        isolate.install_seccomp()
        _configure_interpreter(cfg)
        # No handlers at all in pid 1: the kernel then drops every signal sent from inside the
        # namespace, so test code cannot interrupt or kill the zygote.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        spaces = child.Namespaces()
        # Move everything loaded so far out of the collector's reach: a collection in a forked child
        # would otherwise write to every inherited object and copy all their pages (slow forks).
        gc.collect()
        gc.freeze()
        server = zygote.Zygote(sock, oom, spaces)
    except BaseException as exc:  # noqa: BLE001 - the supervisor reports that the zygote failed
        print(f"sandbox zygote set-up failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        os._exit(71)
    server.serve()
    os._exit(0)


def _oom_handle(privileged: bool) -> tuple[int, bytes]:
    """Our /proc/self/oom_score_adj, opened while we still may (once we are not dumpable, /proc/self
    belongs to root), and our own score: -1000 as root, so an OOM kill picks a test process."""
    fd, base = -1, b"0"
    try:
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        if privileged:
            os.write(fd, b"-1000")
            base = b"-1000"
    except OSError:
        pass
    return fd, base


PRELOAD = ("array bisect collections copy dataclasses datetime decimal enum fractions functools heapq io "
           "itertools json math operator random re statistics string traceback typing").split()


def _configure_interpreter(cfg: dict) -> None:
    """The interpreter state test children start from, as a fresh `python` would have it."""
    os.environ.clear()
    os.environ.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME="/tmp", LANG="C.UTF-8", TMPDIR="/tmp",
                      OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    sys.set_int_max_str_digits(0)
    sys.executable = cfg["executable"]
    sys.path[:] = [p for p in sys.path if os.path.isdir(p) or p.endswith(".zip")] + cfg["site_packages"]
    # Started with -S: the builtins site.main() would have added (exit/quit, help, copyright).
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()
    for name in PRELOAD + list(cfg.get("preload", [])):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - optional libraries may be absent
            pass
    if cfg.get("cpu") is not None:  # one CPU for the zygote and its test processes (inherited)
        try:
            os.sched_setaffinity(0, {int(cfg["cpu"])})
        except OSError:
            pass
