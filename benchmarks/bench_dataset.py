"""Throughput of collect + process + dedup + decontaminate (the "clean" phase of build-dataset).

Synthesises N problems from the real samples in tests/data (or --data DIR) (DeepCoder's CodeContests/CodeElo test
files and SandboxFusion's CodeContests rows): every real problem is replicated with its words
shuffled within sentences and a random identifier appended, and the identifier appended to its
tests too, so replicas are distinct problems for MinHash and for the test-set comparison, plus 5%
near copies (one word changed) and 2% exact copies (with the tests of the problem they copy) that
dedup must remove. Rows
are written as a DeepCoder JSONL file and read back through the real adapter, so file parsing is
timed too. Decontamination runs against the shipped LiveCodeBench reference (release_v5 statements,
release_v6 ids). The clean phase only groups copies; choosing the copy to keep is timed with it.

    .venv/bin/python benchmarks/bench_dataset.py [--sizes 2500 5000 10000] [--workers 1]

Prints problems/s per size and the time ratio against the smallest size (ideal = size ratio).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mcdata.collect import CollectConfig, SourceSpec, collect  # noqa: E402
from mcdata.decontaminate import DecontamConfig  # noqa: E402
from mcdata.dedup import DedupConfig, choose_copies, resolve_duplicates  # noqa: E402
from mcdata.pipeline import BuildConfig, clean_stream, default_lcb_reference  # noqa: E402
from mcdata.report import BuildReport  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def real_problems(data: Path = DATA):
    specs = [
        f"deepcoder={data / 'deepcoder-rllm-tests'}",
        f"codecontests={data / 'sandboxfusion_samples/code_eval_code_contests.jsonl.gz'}",
    ]
    return list(collect([SourceSpec.parse(s) for s in specs], CollectConfig(), BuildReport()))


def shuffled(statement: str, rng: random.Random) -> str:
    sentences = statement.split(". ")
    out = []
    for s in sentences:
        words = s.split(" ")
        rng.shuffle(words)
        out.append(" ".join(words))
    return ". ".join(out) + f"\n\nVariant {rng.getrandbits(48):x}."


def synthesise(n: int, base, path: Path, seed: int = 0) -> dict[str, int]:
    rng = random.Random(seed)
    made = {"distinct": 0, "near": 0, "exact": 0}
    previous: list[tuple[str, dict]] = []
    with path.open("w") as fh:
        for i in range(n):
            src = base[i % len(base)]
            roll = rng.random()
            if previous and roll < 0.02:
                (statement, tests), kind = rng.choice(previous), "exact"
            elif previous and roll < 0.07:
                statement, tests = rng.choice(previous)
                words = statement.split(" ")
                words[rng.randrange(len(words))] = "changed"
                statement, kind = " ".join(words), "near"
            else:
                statement, kind = shuffled(src.statement, rng), "distinct"
                tag = statement.rsplit(" ", 1)[-1]
                tests = {"inputs": [f"{t.input}\n{tag}" for t in src.tests], "outputs": [f"{t.output}\n{tag}" for t in src.tests]}
                previous.append((statement, tests))
                if len(previous) > 200:
                    previous.pop(0)
            made[kind] += 1
            fh.write(json.dumps({"problem": statement, "tests": tests}) + "\n")
    return made


def run_once(path: Path, workers: int) -> tuple[float, BuildReport, int]:
    cfg = BuildConfig(
        output=path.parent / "unused",
        sources=[f"deepcoder={path}"],
        dedup=DedupConfig(workers=workers),
        decontaminate=DecontamConfig(against=default_lcb_reference()),
        verify=None,
    )
    report = BuildReport()
    start, cpu = time.perf_counter(), time.process_time()
    cleaned = list(clean_stream([SourceSpec.parse(s) for s in cfg.sources], cfg, report))
    kept = sum(1 for _ in resolve_duplicates(cleaned, choose_copies(cleaned, {}), report))
    return time.perf_counter() - start, time.process_time() - cpu, report, kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2500, 5000, 10000])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA, help="folder laid out like tests/data (e.g. a fuller copy)")
    args = parser.parse_args()
    base = real_problems(args.data)
    print(f"{len(base)} real problems as seeds; workers={args.workers}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"synth-{n}.jsonl"
            made = synthesise(n, base, path)
            seconds, cpu, report, kept = run_once(path, args.workers)
            rows.append((n, seconds, cpu, kept, made, report.reasons()))
    n0, t0, c0 = rows[0][0], rows[0][1], rows[0][2]
    # CPU time is the steadier figure on a shared machine; wall time includes waiting for the cores.
    print(f"{'problems':>9} {'wall s':>7} {'cpu s':>7} {'problems/s':>10} {'per cpu s':>9} {'wall ratio':>10} {'cpu ratio':>9} {'ideal':>6}  kept")
    for n, seconds, cpu, kept, made, removed in rows:
        print(
            f"{n:>9} {seconds:>7.2f} {cpu:>7.2f} {n / seconds:>10.0f} {n / cpu:>9.0f} {seconds / t0:>10.2f} {cpu / c0:>9.2f} {n / n0:>6.2f}  {kept}"
        )
    for n, seconds, cpu, kept, made, removed in rows:
        flat = {f"{stage}:{k}": v for stage, kinds in removed.items() for k, v in kinds.items()}
        print(f"{n}: synthesised {made}; removed {flat}")


if __name__ == "__main__":
    main()
