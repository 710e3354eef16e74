"""Rows in / out per `build-dataset` stage on real data: the README's before/after figures.

Runs `microcoder build-dataset` (as a subprocess, from this checkout or from `--checkout DIR`, e.g. an
older revision exported with `git archive`) on four builds over a folder laid out like tests/data
(`--data`, default tests/data; the README used the fuller /work/shared/data copy):

  default      no arguments: the shipped samples
  real         every real source in the folder (LeetCodeDataset test + train, DeepCoder CodeContests and
               CodeElo test files, APPS sample, SandboxFusion CodeContests and LCB rows)
  leetcode     LeetCodeDataset v0.3.1 test, no window and no reference (every problem reaches verification)
  deepcoder    DeepCoder's CodeContests + CodeElo test files, `--min-tests 1` (dedup and checker flags)

and prints one markdown table per build (stage, in, out, main removal reasons) plus the verification
status of the rows written. `--legacy` runs a checkout from before issue 11 with the same intent: it
had no `--decontaminate-against none` (no reference was its default with `--source`) and no default
reference with `--source` (the `real` build is given its shipped release_v5 statements explicitly).

    .venv/bin/python benchmarks/dataset_stages.py [--data DIR] [--checkout DIR [--legacy]] [--builds default real]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _first(folder: Path, *names: str) -> Path:
    """The first of several file names that exists (tests/data gzips what the fuller copy keeps plain)."""
    for name in names:
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{folder}: none of {names}")


def builds(data: Path) -> dict[str, list[str]]:
    lcd = data / "leetcodedataset"
    dc = data / "deepcoder-rllm-tests"
    sf = data / "sandboxfusion_samples"
    train = _first(lcd, "LeetCodeDataset-v0.2.0-train.jsonl.gz", "LeetCodeDataset-v0.2.0-train.first40.jsonl.gz")
    cc = _first(dc, "code_contests_test.json", "code_contests_test.json.gz")
    elo = _first(dc, "codeforces_codeelo_test.json", "codeforces_codeelo_test.json.gz")
    return {
        "default": [],
        "real": [
            "-s", f"leetcodedataset={lcd / 'LeetCodeDataset-v0.3.1-test.jsonl.gz'}", "-s", f"leetcodedataset={train}",
            "-s", f"deepcoder={cc}", "-s", f"deepcoder={elo}",
            "-s", f"apps={data / 'apps-coderl-sample/apps_train_sample.jsonl'}",
            "-s", f"codecontests={_first(sf, 'code_eval_code_contests.jsonl', 'code_eval_code_contests.jsonl.gz')}",
            "-s", f"lcb={sf / 'code_eval_live_code_bench_v1.jsonl'}",
        ],
        "leetcode": ["-s", f"leetcodedataset={lcd / 'LeetCodeDataset-v0.3.1-test.jsonl.gz'}", "--eval-window", "none",
                     "--decontaminate-against", "none"],
        "deepcoder": ["-s", f"deepcoder={cc}", "-s", f"deepcoder={elo}", "--min-tests", "1"],
    }


def legacy(name: str, args: list[str], checkout: Path) -> list[str]:
    """The same build for a checkout from before issue 11 (see the module docstring)."""
    if "--decontaminate-against" in args:
        at = args.index("--decontaminate-against")
        args = args[:at] + args[at + 2:]
    if name == "real":
        args = args + ["--decontaminate-against", str(checkout / "mcdata" / "samples" / "lcb_statements.jsonl.gz")]
    return args


def run(checkout: Path, args: list[str], out: Path, extra: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    command = [sys.executable, "-c", "import cli; cli.app()", "build-dataset", "--no-progress", "-o", str(out), *args, *extra]
    result = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"build failed ({' '.join(args)}):\n{result.stderr[-2000:]}")
    return json.loads((out / "build_report.json").read_text())


def statuses(out: Path) -> Counter:
    import pyarrow.parquet as pq

    counts: Counter = Counter()
    for shard in sorted((out / "data").glob("*.parquet")):
        for stats in pq.read_table(shard, columns=["stats"]).column("stats").to_pylist():
            counts[json.loads(stats).get("verify_status", "not verified")] += 1
    return counts


def table(report: dict) -> str:
    lines = ["| stage | in | out | removed (main reasons) |", "|---|---:|---:|---|"]
    for name, counts in report["stages"].items():
        reasons = report.get("rejection_counts", {}).get(name, {})
        top = ", ".join(f"{n} {kind}" for kind, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
        lines.append(f"| {name} | {counts['in']} | {counts['out']} | {counts['in'] - counts['out']}{': ' + top if top else ''} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to run (a checkout or an exported revision)")
    parser.add_argument("--legacy", action="store_true", help="the checkout predates issue 11's options")
    parser.add_argument("--builds", nargs="+", default=["default", "real", "leetcode", "deepcoder"])
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more build-dataset options for every build")
    args = parser.parse_args()
    plan = builds(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.builds:
            out = Path(tmp) / name
            build_args = legacy(name, plan[name], args.checkout) if args.legacy else plan[name]
            report = run(args.checkout, build_args, out, args.extra)
            print(f"### {name}\n\n{table(report)}\n\nwritten rows by verify_status: {dict(statuses(out))}\n")


if __name__ == "__main__":
    main()
