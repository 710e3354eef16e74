"""LeetCodeDataset (newfacade/LeetCodeDataset), v0.2 nested and v0.3 flat layouts.

The conversion of `input_output` ("nums = [1,2], k = 3") into LiveCodeBench's functional format
lives with the evaluator (`mceval.leetcode_format`), which grades these same rows; we reuse it so
both always agree.
"""

from __future__ import annotations

from typing import Any

from mccore.schema import Problem
from mcdata.adapters.base import register
from mcdata.io import RowRef
from mcdata.licenses import upstream
from mceval.leetcode_format import problem_from_leetcodedataset_row


@register("leetcodedataset", "LeetCodeDataset rows (task_id, problem_description/query, input_output, completion)", "newfacade/LeetCodeDataset")
def convert_leetcodedataset(row: dict[str, Any], ref: RowRef) -> Problem:
    return problem_from_leetcodedataset_row(row, where=str(ref)).with_(
        source="leetcodedataset", license=upstream("LeetCodeDataset").license
    )
