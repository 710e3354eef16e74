"""Training data: problems from a `build-dataset` output (local dir or Hub id) -> TRL prompt rows.

Each row carries the LiveCodeBench chat prompt (the same `mcgen.prompts.build_chat_messages`
the benchmark uses, so train and eval prompts agree) and a `problem_index` into the loaded
problem list: the reward looks the `Problem` (tests included) up by that index, so the tests
never travel through the dataloader, and the index is a stable per-prompt id for the
truncation-mask draw whatever the number of processes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from mccore.folder import require_complete
from mccore.hub import resolve_reference
from mccore.schema import Problem, SchemaError
from mcgen.prompt_styles import build_prompt


def load_problems(source: str | Path, split: str = "train", *, limit: int | None = None) -> list[Problem]:
    """Problems of one split of a `build-dataset` Parquet directory or Hub dataset id.

    Raises FileNotFoundError / ValueError naming the source, split, row and field on bad input.
    """
    import datasets

    source = str(source)
    local = Path(source).expanduser()
    if local.exists() and not local.is_dir():
        raise ValueError(f"--dataset {source}: is a file; expected a `microcoder build-dataset` output folder or a Hub id")
    where = resolve_reference(source, "--dataset")
    if isinstance(where, Path):
        require_complete(where)
    try:
        rows = datasets.load_dataset(str(where), split=split)
    except ValueError as exc:
        if "split" in str(exc).lower():
            raise ValueError(f"{source}: no split {split!r} ({exc})") from exc
        raise
    except (datasets.exceptions.DatasetNotFoundError, FileNotFoundError) as exc:
        raise FileNotFoundError(f"dataset not found: {source} ({exc})") from exc
    except ConnectionError as exc:  # the Hub went away between the check and the download
        raise FileNotFoundError(
            f"dataset {source} is not available: {exc}; pass a local `microcoder build-dataset` directory"
        ) from exc
    problems = []
    for i, row in enumerate(rows):
        if limit is not None and i >= limit:
            break
        try:
            problems.append(Problem.from_row(row))
        except SchemaError as exc:
            raise SchemaError(f"{source} [{split}], row {i}: {exc}") from exc
    if not problems:
        raise ValueError(f"{source} [{split}]: no problems")
    return problems


def prompt_dataset(problems: Sequence[Problem], style: str = "generic"):
    """A `datasets.Dataset` with columns prompt (chat messages, or a finished text for the hand-built
    styles), problem_index, problem_id. `style` is a `mcgen.prompt_styles` style."""
    import datasets

    columns = {
        "prompt": [build_prompt(p, style) for p in problems],
        "problem_index": list(range(len(problems))),
        "problem_id": [p.problem_id for p in problems],
    }
    # Fingerprint from the content we put in, instead of letting `datasets` dill-pickle the Arrow
    # table (slow, and it fails on some pyarrow/Python pairs: "Can't pickle MonthDayNano").
    digest = hashlib.sha256(json.dumps(columns, sort_keys=True).encode()).hexdigest()[:32]
    return datasets.Dataset(datasets.table.InMemoryTable.from_pydict(columns), fingerprint=digest)
