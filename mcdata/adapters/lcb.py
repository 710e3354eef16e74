"""LiveCodeBench rows, in two layouts.

- `livecodebench/code_generation_lite` rows (`question_content`, `public_test_cases`,
  `private_test_cases`, `metadata`, ...): converted by the evaluator's own loader,
  `mceval.lcb_format.problem_from_lcb_row`, so the dataset and the evaluator agree exactly.
- SandboxFusion's repack (`content` = LCB prompt around the question, `test` =
  base64(zlib(pickle({"input_output": JSON}))), `labels` JSON with `task_id` "platform/question_id").
  The pickle holds a plain dict; it is loaded with an unpickler that refuses every global, so a
  hostile payload cannot import or call anything.
"""

from __future__ import annotations

import base64
import binascii
import io
import pickle
import re
import zlib
from typing import Any

from mccore.schema import Problem, TestCase
from mcdata.adapters.base import RowError, difficulty_of, loads_lenient, platform_of, register, require, stdin_tests
from mcdata.io import RowRef
from mcdata.licenses import upstream
from mceval.lcb_format import problem_from_lcb_row


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: D401 - pickle hook
        raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")


def decode_sandboxfusion_test(text: str) -> dict[str, Any]:
    try:
        payload = _NoGlobals(io.BytesIO(zlib.decompress(base64.b64decode(text, validate=True)))).load()
    except (binascii.Error, zlib.error, pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise RowError("test", f"undecodable test encoding: {exc}") from None
    if not isinstance(payload, dict) or "input_output" not in payload:
        raise RowError("test", "decoded payload lacks input_output")
    io_spec = loads_lenient(payload["input_output"], "test")
    if not isinstance(io_spec, dict):
        raise RowError("test", "input_output is not an object")
    return io_spec


_QUESTION = re.compile(r"### Question:\s*\n(.*?)\n+### (?:Format|Answer):", re.S)
_STARTER = re.compile(r"```python\n(class Solution.*?)```", re.S)


def _sandboxfusion(row: dict[str, Any]) -> Problem:
    content = require(row, "content")
    m = _QUESTION.search(content)
    statement = m.group(1).strip() if m else content
    labels = loads_lenient(row.get("labels") or "{}", "labels")
    task_id = str(labels.get("task_id") or row.get("id") or "")
    platform, _, question_id = task_id.rpartition("/")
    if not question_id:
        raise RowError("labels", "no task_id")
    io_spec = decode_sandboxfusion_test(require(row, "test"))
    fn_name = io_spec.get("fn_name") or None
    if fn_name:
        # LCB functional inputs are already one JSON value per line: keep them verbatim.
        ins, outs = io_spec.get("inputs") or [], io_spec.get("outputs") or []
        if len(ins) != len(outs):
            raise RowError("test", f"{len(ins)} inputs but {len(outs)} outputs")
        tests = [TestCase(str(i), str(o), "functional") for i, o in zip(ins, outs)]
        starter_match = _STARTER.search(content)
        starter = starter_match.group(1).rstrip() + "\n        " if starter_match else ""
    else:
        tests = stdin_tests(io_spec.get("inputs"), io_spec.get("outputs"), "test")
        starter = ""
    if not tests:
        raise RowError("test", "no tests")
    return Problem(
        problem_id=question_id,
        source="lcb",
        statement=statement,
        tests=tuple(tests),
        starter_code=starter,
        func_name=fn_name,
        platform=platform_of(platform),
        difficulty=difficulty_of(labels.get("difficulty")),
        license=upstream("LiveCodeBench").license,
    )


@register("lcb", "LiveCodeBench rows (code_generation_lite layout, or SandboxFusion's content/test/labels repack)", "livecodebench/code_generation_lite")
def convert_lcb(row: dict[str, Any], ref: RowRef) -> Problem:
    if "question_content" in row:
        return problem_from_lcb_row(row, where=str(ref)).with_(source="lcb", license=upstream("LiveCodeBench").license)
    if "content" in row and "test" in row:
        return _sandboxfusion(row)
    raise RowError(None, "neither code_generation_lite (question_content, *_test_cases) nor SandboxFusion (content, test) layout")


__all__ = ["convert_lcb", "decode_sandboxfusion_test"]
