"""open-r1/codeforces: Codeforces problems with official tests.

The statement is assembled from its parts (description, input/output format, note), as on the
site. Problems our stdin grader cannot judge fairly are rejected with the reason, not kept:
interactive ones (`interaction_format`), file I/O (`input_mode` not stdio), ones that need a
special checker (`generated_checker`, i.e. several answers are accepted), and ones without tests.
`examples` become the public tests; official tests equal to an example are not repeated.
"""

from __future__ import annotations

from typing import Any

from mccore.schema import Problem, TestCase
from mcdata.adapters.base import RowError, difficulty_of, iso_date, parse_megabytes, parse_seconds, register, require
from mcdata.io import RowRef
from mcdata.licenses import upstream


def _statement(row: dict[str, Any]) -> str:
    parts = [require(row, "description").strip()]
    for title, field in (("Input", "input_format"), ("Output", "output_format"), ("Note", "note")):
        text = (row.get(field) or "").strip()
        if text:
            parts.append(f"{title}\n\n{text}")
    return "\n\n".join(parts)


def _pairs(value: Any, field: str, public: bool) -> list[TestCase]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise RowError(field, "expected a list of {input, output}")
    out = []
    for n, t in enumerate(value):
        if not isinstance(t, dict) or t.get("input") is None or t.get("output") is None:
            raise RowError(field, f"test {n} lacks input/output")
        out.append(TestCase(str(t["input"]), str(t["output"]), "stdin", public))
    return out


@register("codeforces", "open-r1/codeforces rows (description, examples, official_tests, checker flags)", "open-r1/codeforces")
def convert_codeforces(row: dict[str, Any], ref: RowRef) -> Problem:
    if (row.get("interaction_format") or "").strip():
        raise RowError("interaction_format", "interactive problem (needs an interactor)")
    if (row.get("input_mode") or "stdio") != "stdio":
        raise RowError("input_mode", f"file I/O problem ({row.get('input_mode')})")
    if (row.get("generated_checker") or "").strip():
        raise RowError("generated_checker", "needs a special checker (several correct answers)")
    examples = _pairs(row.get("examples"), "examples", True)
    seen = {(t.input, t.output) for t in examples}
    official = [t for t in _pairs(row.get("official_tests"), "official_tests", False) if (t.input, t.output) not in seen]
    if not official and not examples:
        raise RowError("official_tests", "no tests")
    stats: dict[str, Any] = {}
    if row.get("rating"):
        stats["cf_rating"] = row["rating"]
    if row.get("official_tests_complete") is False:
        stats["official_tests_complete"] = False
    problem_id = str(row.get("id") or f"{require(row, 'contest_id')}/{require(row, 'index')}")
    return Problem(
        problem_id=problem_id,
        source="codeforces",
        statement=_statement(row),
        tests=tuple(examples + official),
        title=str(row.get("title") or ""),
        platform="codeforces",
        contest_date=iso_date(row.get("contest_start")),
        difficulty=difficulty_of(None, row.get("rating")),
        time_limit_s=parse_seconds(row.get("time_limit")),
        memory_limit_mb=parse_megabytes(row.get("memory_limit")),
        license=upstream("open-r1/codeforces").license,
        stats=stats,
    )
