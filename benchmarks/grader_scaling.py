"""Where the sandboxes' CPU goes as their number grows: the measurement behind the default worker count.

For each sandbox count N, grade the RL-style workload of `bench_grader.py` (3 samples x 8 tests per
LeetCode problem) with `Grader(workers=N)` in a fresh child process run under `perf stat` (software
counters, inherited by every sandbox process, switched on only while the batch is graded: start-up
is not counted), and report per sample: CPU time of all sandbox processes (task-clock minus the
grader process's own CPU), page faults, context switches and CPU migrations, plus wall time. With `--profile`, `perf record` (cpu-clock sampling, inherited) also
splits the sandboxes' CPU into kernel vs user time and names the top kernel symbols, so a growth
can be pinned on page faults / fork / exit (kernel) or on slower user code (caches).

    .venv/bin/python benchmarks/grader_scaling.py [--counts 1,2,4,8,16] [--repeat 2] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVENTS = "task-clock,page-faults,context-switches,cpu-migrations"


def child(workers: int) -> None:
    """Grade the workload once with `workers` sandboxes; print wall and own-process CPU as JSON."""
    sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]
    from bench_grader import DATA, MUTANT, load_problems

    import mceval
    from mceval import GradeConfig

    samples = []
    for p in load_problems(DATA):
        small = p.with_(tests=p.tests[:8])
        ref = p.solutions[0]
        samples += [(small, ref + "\n# 0\n"), (small, ref + "\n# 1\n"), (small, ref + MUTANT.format(name=p.func_name))]
    ctl, ack = (int(x) for x in os.environ["MC_PERF_CTL"].split(","))

    def perf(command: bytes) -> None:  # perf's --control protocol: a command, then wait for "ack"
        os.write(ctl, command + b"\n")
        os.read(ack, 16)

    with mceval.Grader(GradeConfig(workers=workers)) as grader:
        grader.grade(samples[:workers])  # start the sandboxes
        perf(b"enable")
        cpu0, start = time.process_time(), time.perf_counter()
        results = grader.grade(samples)
        wall, own = time.perf_counter() - start, time.process_time() - cpu0
        perf(b"disable")
    print(json.dumps({"samples": len(samples), "wall_s": wall, "grader_cpu_s": own,
                      "accepted": sum(r.passed for r in results)}))


def _under_perf(perf_args: list[str], workers: int) -> subprocess.CompletedProcess:
    """Run the child under `perf ...` with counting off until the child says "enable"."""
    ctl_r, ctl_w = os.pipe()
    ack_r, ack_w = os.pipe()
    env = {**os.environ, "MC_PERF_CTL": f"{ctl_w},{ack_r}"}
    try:
        done = subprocess.run(["perf", *perf_args, "-D", "-1", "--control", f"fd:{ctl_r},{ack_w}", sys.executable,
                               __file__, "--child", str(workers)], capture_output=True, text=True,
                              env=env, pass_fds=(ctl_r, ctl_w, ack_r, ack_w))
        if done.returncode:
            raise SystemExit(f"the run with {workers} sandboxes failed: {done.stderr.strip()[-800:]}")
        return done
    finally:
        for fd in (ctl_r, ctl_w, ack_r, ack_w):
            os.close(fd)


def measure(workers: int) -> dict:
    """One run under perf stat, counting only while the batch is graded."""
    with tempfile.NamedTemporaryFile("r", suffix=".csv") as out:
        done = _under_perf(["stat", "-x,", "-o", out.name, "-e", EVENTS], workers)
        counters = {}
        for line in out.read().splitlines():
            parts = line.split(",")
            if len(parts) > 3 and parts[0].replace(".", "").isdigit():
                counters[parts[2]] = float(parts[0])
    row = json.loads(done.stdout.strip().splitlines()[-1])
    return {**row, **counters}


def profile(workers: int) -> dict:
    """Where one run's CPU samples fall: the kernel's share, and the top symbols (k: kernel)."""
    with tempfile.TemporaryDirectory() as tmp:
        data = str(Path(tmp) / "perf.data")
        _under_perf(["record", "-q", "-e", "cpu-clock", "-F", "499", "-o", data], workers)
        report = lambda sort: subprocess.run(  # noqa: E731
            ["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort, "--percent-limit", "1"],
            capture_output=True, text=True).stdout
        kernel = sum(float(m.group(1)) for m in re.finditer(r"^\s+([\d.]+)%\s+\[kernel", report("dso"), re.M))
        symbols = [f"{m.group(1)}% {m.group(3)}{' (k)' if m.group(2) == 'k' else ''}"
                   for m in re.finditer(r"^\s+([\d.]+)%\s+\[([k.])\]\s+(\S+)", report("sym"), re.M)]
    return {"kernel_share_pct": round(kernel, 1), "top": symbols[:5]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--counts", default="1,2,4,8,16")
    ap.add_argument("--repeat", type=int, default=2, help="runs per count; the one with the least sandbox CPU is kept")
    ap.add_argument("--profile", action="store_true", help="also sample where the CPU goes (perf record)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    print(f"cpus: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}")
    print(f"{'sandboxes':>9} {'wall s':>7} {'sandbox CPU ms/sample':>21} {'faults/sample':>13} "
          f"{'ctx sw/sample':>13} {'migrations':>10}")
    for workers in [int(x) for x in args.counts.split(",")]:
        runs = [measure(workers) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["task-clock"])
        n = best["samples"]
        sandbox_ms = best["task-clock"] - best["grader_cpu_s"] * 1000
        print(f"{workers:9d} {best['wall_s']:7.2f} {sandbox_ms / n:21.2f} {best['page-faults'] / n:13.0f} "
              f"{best['context-switches'] / n:13.1f} {best['cpu-migrations']:10.0f}", flush=True)
        if args.profile:
            print("          ", json.dumps(profile(workers)), flush=True)
    print("sandbox CPU = perf task-clock of the whole process tree while the batch is graded, minus the grader "
          "process's own CPU in that time.")


if __name__ == "__main__":
    main()
