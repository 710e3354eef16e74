"""Load and faults: concurrent trainers sending RL-sized batches to the grading service and to the
Ray pool, with sandboxes killed mid-run, against the in-process `Grader` measured in the same run.

Workload: LeetCodeDataset v0.3.1-test (tests/data), RL-sized batches of 8 problems x 4 samples
(two reference solutions, two always-wrong mutants; first 8 tests each); expected verdicts come
from an in-process grading before the clock starts. Each of `--clients` threads sends `--batches`
batches one after another; every request goes to 127.0.0.1 only, and the run stops at
`--deadline` seconds whatever happens. During each run a killer SIGKILLs a sandbox every
`--kill-every` seconds (at most `--kills`), as the OOM killer or a crash would.

Reported per target: throughput (samples/s), batch latency p50/p99, peak memory (PSS of the
grader's process tree: the service process, or this process with its sandboxes / Ray's
processes), 429 answers, and that every sample got exactly one row with the expected verdict;
samples that were running in a killed sandbox are counted apart ("charged to a crash": RE/TLE
with the sandbox's restart message, as the in-process grader reports them too).

    .venv/bin/python benchmarks/bench_service_load.py [--clients 4] [--batches 6] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "benchmarks"), str(REPO / "tests")]

from bench_grader import DATA, load_problems  # noqa: E402
from leetcode_mutants import wrong_answer_suffix  # noqa: E402

import mceval  # noqa: E402
from mceval import GradeConfig, GradeItem  # noqa: E402
from mceval.pool import open_grader  # noqa: E402

SANDBOX_MARK = b"mceval/sandbox/inner/launch.py"
CRASH_MARKS = ("sandbox crashed", "stopped answering")


# ------------------------------------------------------------------ process trees: memory and crashes
def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            children.setdefault(_parent(int(entry)), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Watch:
    """Samples the tree's PSS (peak kept) and kills one of its sandboxes every `every` seconds."""

    def __init__(self, root: int, every: float, kills: int) -> None:
        self.root, self.every, self.kills_left = root, every, kills
        self.peak, self.killed = 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_kill = time.monotonic() + self.every
        while not self._stop.wait(0.25):
            pids = _tree(self.root)
            self.peak = max(self.peak, sum(_pss_bytes(p) for p in pids))
            if self.kills_left and time.monotonic() >= next_kill:
                next_kill += self.every
                # the sandbox's supervisor (its zygote and test processes, forked from it, share its command line)
                sandboxes = [p for p in pids if SANDBOX_MARK in _cmdline(p) and SANDBOX_MARK not in _cmdline(_parent(p))]
                if sandboxes:
                    try:
                        os.kill(random.choice(sandboxes), signal.SIGKILL)
                        self.killed += 1
                        self.kills_left -= 1
                    except ProcessLookupError:
                        pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


# ------------------------------------------------------------------ the load
def batches(count: int, seed: int = 0) -> list[list[GradeItem]]:
    problems = [p for p in load_problems(DATA)]
    rng = random.Random(seed)
    out = []
    for b in range(count):
        picked = rng.sample(problems, 8)
        batch = []
        for p in picked:
            small = p.with_(tests=p.tests[:8])
            ref, wrong = p.solutions[0], p.solutions[0] + wrong_answer_suffix(p.func_name)
            batch += [(small, ref + f"\n# {b} 0\n"), (small, ref + f"\n# {b} 1\n"), (small, wrong), (small, wrong + "\n#")]
        out.append([GradeItem(p, c, i) for i, (p, c) in enumerate(batch)])
    return out


def run_load(name: str, grade: Callable[[list[GradeItem]], list], work: list[list[list[GradeItem]]],
             expected: list[list[str]], watch: Watch, deadline_s: float) -> dict:
    """Each client thread grades its batches in turn; returns the figures for `name`."""
    latencies, outcome = [], {"rows": 0, "right": 0, "crash": 0, "wrong": 0, "missing": 0, "errors": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline_s

    def client(mine: list[int]) -> None:
        for b in mine:
            if time.monotonic() > stop_at:
                return
            started = time.perf_counter()
            try:
                results = grade(work_flat[b])
            except Exception as exc:  # noqa: BLE001 - counted and shown, the run goes on
                with lock:
                    outcome["errors"] += 1
                print(f"  {name}: batch {b} failed: {exc}", flush=True)
                continue
            elapsed = time.perf_counter() - started
            keys = [(r.question_id, r.sample_index) for r in results]
            want = [(i.problem.problem_id, i.sample_index) for i in work_flat[b]]
            with lock:
                latencies.append(elapsed)
                outcome["rows"] += len(results)
                outcome["missing"] += len(want) - len(set(keys) & set(want)) + (len(keys) - len(set(keys)))
                for result, verdict in zip(results, expected[b]):
                    if result.verdict.value == verdict:
                        outcome["right"] += 1
                    elif any(mark in t.message for t in result.tests for mark in CRASH_MARKS):
                        outcome["crash"] += 1
                    else:
                        outcome["wrong"] += 1
                        print(f"  {name}: {result.question_id}#{result.sample_index} got {result.verdict.value}, "
                              f"expected {verdict}: {[(t.index, t.verdict.value, t.message[:120]) for t in result.tests][-2:]}",
                              flush=True)

    work_flat = [batch for client_batches in work for batch in client_batches]
    ids = iter(range(len(work_flat)))
    plan = [[next(ids) for _ in client_batches] for client_batches in work]
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(mine,)) for mine in plan]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    watch.stop()
    latencies.sort()
    return {"name": name, "samples": outcome["rows"], "wall_s": wall, "samples_per_s": outcome["rows"] / wall,
            "p50_s": statistics.median(latencies) if latencies else float("nan"),
            "p99_s": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else float("nan"),
            "peak_mib": watch.peak / 2**20, "killed": watch.killed, **outcome}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(workers: int, max_queue: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "microcoder"), "eval", "serve", "--port", str(port),
                               "--workers", str(workers), "--max-queue", str(max_queue)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/health", timeout=1).read()
            return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the grading service did not start")


def count_429(url: str) -> int:
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    return sum(int(line.split()[-1]) for line in text.splitlines() if 'status="429"' in line)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--batches", type=int, default=6, help="batches per client")
    ap.add_argument("--workers", type=int, default=2, help="sandboxes (service, in-process) / CPUs per Ray node x 2 nodes")
    ap.add_argument("--max-queue", type=int, default=64, help="the service's bound (small, so 429s happen)")
    ap.add_argument("--kill-every", type=float, default=2.0)
    ap.add_argument("--kills", type=int, default=4)
    ap.add_argument("--deadline", type=float, default=300.0)
    ap.add_argument("--skip-ray", action="store_true")
    args = ap.parse_args()

    work_all = batches(args.clients * args.batches)
    work = [work_all[c * args.batches:(c + 1) * args.batches] for c in range(args.clients)]
    config = GradeConfig(workers=args.workers)
    with mceval.Grader(config) as grader:
        expected = [[r.verdict.value for r in grader.grade(batch)] for batch in work_all]
    print(f"cpus {os.cpu_count()}  clients {args.clients} x {args.batches} batches x {len(work_all[0])} samples  "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []

    with mceval.Grader(config) as grader:  # the baseline: a trainer's own in-process grader
        grader.grade(work_all[0][:args.workers])
        rows.append(run_load("in-process Grader", grader.grade, work, expected,
                             Watch(os.getpid(), args.kill_every, args.kills), args.deadline))

    server, url = start_service(args.workers, args.max_queue)
    try:
        remote = open_grader(url, config)
        remote.grade(work_all[0][:args.workers])  # warm the service's sandboxes
        rows.append(run_load("service (HTTP)", remote.grade, work, expected,
                             Watch(server.pid, args.kill_every, args.kills), args.deadline))
        rows[-1]["http_429"] = count_429(url)
        remote.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)

    if not args.skip_ray:
        import ray
        from ray.cluster_utils import Cluster

        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "object_store_memory": 80 << 20})
        for _ in range(2):
            cluster.add_node(num_cpus=max(1, args.workers // 2), object_store_memory=80 << 20)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False)
        try:
            with open_grader("ray", GradeConfig()) as pool:
                pool.grade(work_all[0][:4])
                rows.append(run_load("Ray pool (2 nodes)", pool.grade, work, expected,
                                     Watch(os.getpid(), args.kill_every, args.kills), args.deadline))
                rows[-1]["requeued"] = pool.requeued
        finally:
            ray.shutdown()
            cluster.shutdown()

    base = rows[0]["samples_per_s"]
    print(f"\n{'target':20} {'samples':>7} {'samples/s':>9} {'vs in-proc':>10} {'p50 s':>6} {'p99 s':>6} "
          f"{'peak MiB':>8} {'killed':>6} {'right':>5} {'crash':>5} {'wrong':>5} {'missing':>7} {'errors':>6} extra")
    for r in rows:
        extra = {k: r[k] for k in ("http_429", "requeued") if k in r}
        print(f"{r['name']:20} {r['samples']:7d} {r['samples_per_s']:9.1f} {r['samples_per_s'] / base:9.2f}x "
              f"{r['p50_s']:6.2f} {r['p99_s']:6.2f} {r['peak_mib']:8.0f} {r['killed']:6d} {r['right']:5d} "
              f"{r['crash']:5d} {r['wrong']:5d} {r['missing']:7d} {r['errors']:6d} {extra or ''}")
    print("\nright: the expected verdict; crash: a non-AC row for a sample running in a killed sandbox (its restart "
          "message says so); wrong/missing/errors must be 0: every sample got exactly one correct row.\n"
          f"peak MiB: PSS of the grader's process tree. Load average now: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
