"""A 2-process CPU run (torchrun, gloo) makes exactly the 1-process run's masking decisions on
exactly the same samples: the truncation mask is decided on the gathered batch and keyed by
(seed, step, prompt, response), and TRL's sampler deals the same global batch to the ranks.

Generation is replaced inside the worker (see tests/train_dist_worker.py) with fixed responses,
because a random model cannot produce correct-but-truncated or looping responses; the sampler,
sharding, DDP, grading and the mask itself are real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mcdata.schema import Problem, arrow_schema
from mcdata.schema import TestCase as ProblemTest

REPO = Path(__file__).resolve().parents[1]
WORKER = REPO / "tests" / "train_dist_worker.py"
sys.path.insert(0, str(REPO / "tests"))
import train_dist_worker as worker  # noqa: E402

NUM_PROBLEMS = 8


def _write_dataset(folder: Path) -> Path:
    problems = [
        Problem(
            problem_id=f"p{k}",
            source="unit",
            statement=f"PROBLEM-{k}: read an integer n and print n * {k + 2}.",
            tests=(ProblemTest("3\n", f"{3 * (k + 2)}\n"), ProblemTest("-5\n", f"{-5 * (k + 2)}\n")),
        )
        for k in range(NUM_PROBLEMS)
    ]
    folder.mkdir(parents=True)
    table = pa.Table.from_pylist([p.to_row() for p in problems], schema=arrow_schema())
    pq.write_table(table, folder / "train-00000.parquet")
    return folder


def _run(cmd: list[str], cwd: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300
    )
    if proc.returncode != 0:
        errors = "\n".join([line for line in proc.stdout.splitlines() if "rror" in line][-20:])
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{errors}\n{proc.stdout[-4000:]}")


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("dist")
    data = _write_dataset(base / "data")
    _run([sys.executable, str(WORKER), str(data), str(base / "one")], base)
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
          str(WORKER), str(data), str(base / "two")], base)
    return base / "one", base / "two"


@pytest.mark.slow
def test_two_processes_make_the_same_mask_decisions(runs):
    one, two = runs
    decisions_one = _rows(one / "mask_decisions.jsonl")
    decisions_two = _rows(two / "mask_decisions.jsonl")
    steps = worker.MAX_STEPS // 2  # two optimizer updates per generation batch
    per_batch = worker.GLOBAL_BATCH * 2
    assert len(decisions_one) == steps * per_batch
    assert decisions_two == decisions_one  # every field of every response, in the same order

    masked = 0
    for row in decisions_one:
        s = (row["prompt_index"] + row["response_index"]) % 4
        assert row["truncated"] == (s != 2), row
        assert row["verdict"] == {0: "AC", 1: "NO_CODE", 2: "WA", 3: "NO_CODE"}[s], row
        assert row["repetitive"] == (s == 3), row
        assert row["masked"] == (s in (0, 1) and row["uniform"] < worker.RHO), row
        masked += row["masked"]
    eligible = sum((r["prompt_index"] + r["response_index"]) % 4 in (0, 1) for r in decisions_one)
    assert 0 < masked < eligible  # the ρ draw really decides


@pytest.mark.slow
def test_two_processes_share_the_batch_of_one(runs):
    one, two = runs
    logs_one = _rows(one / "generate_rank0.jsonl")
    logs0, logs1 = _rows(two / "generate_rank0.jsonl"), _rows(two / "generate_rank1.jsonl")
    assert {(x["world"], x["backend"]) for x in logs_one} == {(1, None)}
    assert {(x["world"], x["backend"]) for x in logs0 + logs1} == {(2, "gloo")}  # real 2-process DDP on CPU
    calls_one = [x["pairs"] for x in logs_one]
    rank0, rank1 = [x["pairs"] for x in logs0], [x["pairs"] for x in logs1]
    assert len(calls_one) == len(rank0) == len(rank1) == worker.MAX_STEPS // 2
    for whole, a, b in zip(calls_one, rank0, rank1):
        assert a + b == whole  # rank 0 gets the first half of the global batch, rank 1 the rest
        assert not {k for k, _ in a} & {k for k, _ in b}  # a prompt's group stays on one rank here
    # each rank's samples are the prompt ids the mask log records, in gathered order
    decisions = _rows(two / "mask_decisions.jsonl")
    assert [r["prompt_index"] for r in decisions] == [k for call in calls_one for k, _ in call]
    assert not (two / "generate_rank2.jsonl").exists()


@pytest.mark.slow
def test_two_processes_log_the_same_metrics(runs):
    one, two = runs
    metrics_one, metrics_two = _rows(one / "metrics.jsonl"), _rows(two / "metrics.jsonl")
    assert [r["step"] for r in metrics_one] == [r["step"] for r in metrics_two] == list(range(1, worker.MAX_STEPS + 1))
    for a, b in zip(metrics_one, metrics_two):
        for key in ("reward_mean", "masked_fraction", "truncation_rate", "diversity", "temperature"):
            assert a[key] == pytest.approx(b[key]), key
