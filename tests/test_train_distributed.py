"""1 vs 2 CPU processes (torchrun, gloo): the same recipe means the same training.

A rollout round is 4 prompts x 4 responses with 2 optimizer updates on any number of processes
(the layout derives the gradient accumulation: 4 on one process, 2 on two); the truncation mask
is decided on the gathered batch and keyed by (seed, round, prompt, response), and TRL's sampler
deals the same global batch to the ranks, so both runs make exactly the same decisions on exactly
the same samples and log the same rows. A grader that fails on one process stops both, together,
with one message, long before the distributed timeout.

Generation is replaced inside the worker (see tests/train_dist_worker.py) with fixed responses,
because a random model cannot produce correct-but-truncated or looping responses; the sampler,
sharding, DDP, grading and the mask itself are real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mccore.schema import Problem, arrow_schema
from mccore.schema import TestCase as ProblemTest

REPO = Path(__file__).resolve().parents[1]
WORKER = REPO / "tests" / "train_dist_worker.py"
sys.path.insert(0, str(REPO / "tests"))
import train_dist_worker as worker  # noqa: E402

NUM_PROBLEMS = 8
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]


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


def _run(cmd: list[str], cwd: Path, expect_rc: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300
    )
    if (proc.returncode == 0) != (expect_rc == 0):
        errors = "\n".join([line for line in proc.stdout.splitlines() if "rror" in line][-20:])
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{errors}\n{proc.stdout[-4000:]}")
    return proc


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return _write_dataset(tmp_path_factory.mktemp("dist") / "data")


@pytest.fixture(scope="module")
def runs(data):
    base = data.parent
    _run([sys.executable, str(WORKER), str(data), str(base / "one")], base)
    _run([*TORCHRUN, str(WORKER), str(data), str(base / "two")], base)
    return base / "one", base / "two"


@pytest.mark.slow
def test_one_and_two_processes_count_the_same_rounds_and_updates(runs):
    one, two = runs
    single = json.loads((one / "layout_rank0.json").read_text())
    pair = [json.loads((two / f"layout_rank{r}.json").read_text()) for r in (0, 1)]
    expected = {"rollouts": worker.ROLLOUTS, "optimizer_steps": worker.ROLLOUTS * worker.UPDATES}
    for layout in (single, *pair):
        assert {k: layout[k] for k in expected} == expected
    # The responses per update are the same (8); one process accumulates 4 micro-batches of 2, two processes 2.
    assert single["gradient_accumulation_steps"] == 4 and single["steps_per_generation"] == 8
    assert [p["gradient_accumulation_steps"] for p in pair] == [2, 2] and pair[0]["steps_per_generation"] == 4
    metrics_one, metrics_two = _rows(one / "metrics.jsonl"), _rows(two / "metrics.jsonl")
    for rows in (metrics_one, metrics_two):
        assert [(r["step"], r["optimizer_step"]) for r in rows] == [(1, 2), (2, 4)]
        assert [r["temperature"] for r in rows] == [1.0, 1.2]  # the schedule switches at round 1 in both
    for a, b in zip(metrics_one, metrics_two):
        for key in ("reward_mean", "masked_fraction", "masked_of_eligible", "truncation_rate", "diversity"):
            assert a[key] == pytest.approx(b[key]), key


@pytest.mark.slow
def test_two_processes_make_the_same_mask_decisions(runs):
    one, two = runs
    decisions_one = _rows(one / "mask_decisions.jsonl")
    decisions_two = _rows(two / "mask_decisions.jsonl")
    assert len(decisions_one) == worker.ROLLOUTS * worker.ROLLOUT_PROMPTS * worker.NUM_GENERATIONS
    assert decisions_two == decisions_one  # every field of every response, in the same order

    masked = 0
    for row in decisions_one:
        s = (row["prompt_index"] + row["response_index"]) % 4
        assert row["truncated"] == (s != 2), row
        assert row["verdict"] == {0: "AC", 1: "UNJUDGED", 2: "WA", 3: "UNJUDGED"}[s], row
        assert row["repetitive"] == (s == 3), row
        assert row["eligible"] == (s in (0, 1)), row
        assert row["masked"] == (s in (0, 1) and row["uniform"] < worker.RHO), row
        masked += row["masked"]
    eligible = sum(r["eligible"] for r in decisions_one)
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
    assert len(calls_one) == len(rank0) == len(rank1) == worker.ROLLOUTS  # one generation per round
    for whole, a, b in zip(calls_one, rank0, rank1):
        assert a + b == whole  # rank 0 gets the first half of the round's batch, rank 1 the rest
    decisions = _rows(two / "mask_decisions.jsonl")
    assert [r["prompt_index"] for r in decisions] == [k for call in calls_one for k, _ in call]


@pytest.mark.slow
def test_a_grader_failure_on_one_process_stops_both_with_one_message(data):
    base = data.parent / "fail"
    start = time.perf_counter()
    proc = _run([*TORCHRUN, str(WORKER), str(data), str(base), "fail"], data.parent, expect_rc=1)
    elapsed = time.perf_counter() - start
    assert proc.returncode != 0 and elapsed < 120  # nowhere near ddp_timeout (30 min)
    messages = [(base / f"error_rank{r}.txt").read_text() for r in (0, 1)]
    assert messages[0] == messages[1]
    assert "grading failed, stopping every process (process 1: grading" in messages[0]
    assert "failed 2 times" in messages[0] and "sandbox pool crashed" in messages[0]
