"""Export a build in the layout verl / rllm trainers read: a chat prompt plus the tests as a JSON string.

Why: trainers outside this toolkit do not know the `Problem` schema. verl's RL data files hold one row
per prompt with `data_source`, `prompt` (chat messages), `ability`, `reward_model` (`style`, and the
`ground_truth` the reward function receives) and `extra_info`; rllm's code rewards read the tests as a
JSON list of `{input, output, testtype}` with `metadata.func_name` for functional problems. One file
per split, `verl/{split}.parquet`, carries both: `reward_model.ground_truth` is the APPS-style
`{"inputs", "outputs", "fn_name"}` JSON, `extra_info.tests` the rllm-style list. The prompt is the
evaluator's LiveCodeBench prompt, so training and evaluation see problems the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mccore.atomic import atomic_path
from mccore.schema import Problem
from mcgen.prompts import build_chat_messages

_MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
SCHEMA = pa.schema([
    ("data_source", pa.string()),
    ("prompt", pa.list_(_MESSAGE)),
    ("ability", pa.string()),
    ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
    ("extra_info", pa.struct([
        ("split", pa.string()), ("index", pa.int64()), ("problem_id", pa.string()), ("source", pa.string()),
        ("difficulty", pa.string()), ("func_name", pa.string()), ("tests", pa.string()), ("license", pa.string()),
    ])),
])


def verl_row(problem: Problem, split: str, index: int) -> dict[str, Any]:
    ground_truth = {
        "inputs": [t.input for t in problem.tests],
        "outputs": [t.output for t in problem.tests],
        "fn_name": problem.func_name,
    }
    tests = [{"input": t.input, "output": t.output, "testtype": t.testtype} for t in problem.tests]
    return {
        "data_source": f"microcoder/{problem.source}",
        "prompt": build_chat_messages(problem),
        "ability": "code",
        "reward_model": {"style": "rule", "ground_truth": json.dumps(ground_truth)},
        "extra_info": {
            "split": split, "index": index, "problem_id": problem.problem_id, "source": problem.source,
            "difficulty": problem.difficulty, "func_name": problem.func_name, "tests": json.dumps(tests),
            "license": problem.license,
        },
    }


def write_verl(problems: Iterable[Problem], path: Path, split: str, batch_rows: int = 100) -> Path:
    """Write one split in the verl layout, atomically; returns the path."""
    with atomic_path(path) as tmp:
        with pq.ParquetWriter(tmp, SCHEMA, compression="zstd") as writer:
            batch: list[dict[str, Any]] = []
            for index, problem in enumerate(problems):
                batch.append(verl_row(problem, split, index))
                if len(batch) >= batch_rows:
                    writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA))
                    batch = []
            writer.write_table(pa.Table.from_pylist(batch, schema=SCHEMA) if batch else SCHEMA.empty_table())
    return path
