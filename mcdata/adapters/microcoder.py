"""Our own Parquet/JSONL schema (`mccore.schema`), so a built dataset can be re-processed."""

from __future__ import annotations

from typing import Any

from mccore.schema import Problem
from mcdata.adapters.base import register
from mcdata.io import RowRef


@register("microcoder", "MicroCoder-Dataset rows (this toolkit's own schema; re-processing a built dataset)")
def convert_microcoder(row: dict[str, Any], ref: RowRef) -> Problem:
    return Problem.from_row(row)
