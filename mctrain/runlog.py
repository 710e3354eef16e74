"""RUN_DIR/metrics.jsonl: its name and its one reader.

Kept free of heavy imports (no transformers, no matplotlib) so that `microcoder train plot`
and the metrics callback share the same strict reader without slowing each other's start.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.jsonl"


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a metrics.jsonl file (or of RUN_DIR/metrics.jsonl), each with a numeric ``step``.

    A malformed line is an error naming the file and line, except a cut-off last line, which is
    what a file still being written (or a crashed run) leaves: it is skipped with a warning.
    """
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no metrics file at {path} (is {path.parent} a `microcoder train` run directory?)")
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                logger.warning("%s line %d is incomplete (run still writing, or cut off); skipped", path, number)
                continue
            raise ValueError(f"{path} line {number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("step"), (int, float)):
            raise ValueError(f"{path} line {number}: expected an object with a numeric 'step'")
        rows.append(row)
    return rows
