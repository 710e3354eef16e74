"""Code extraction: LiveCodeBench's rule reproduced on its own published outputs, and the robust mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import read_json

from mcgen.extract import extract_code

SUBMISSIONS = ("O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz", "O1-Preview-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz")


@pytest.mark.parametrize("name", SUBMISSIONS)
def test_lcb_mode_reproduces_lcb_code_list(real_data: Path, name: str) -> None:
    """On 880 real O1 answers, `lcb` mode extracts exactly what LiveCodeBench stored in code_list."""
    rows = read_json(real_data / "lcb_submissions" / name)
    assert len(rows) == 880
    for row in rows:
        extracted = extract_code(row["output_list"][0], "lcb")
        assert (extracted or "") == row["code_list"][0], row["question_id"]


def test_robust_mode_recovers_code_lcb_loses(real_data: Path) -> None:
    """O1-Mini 3637 opens ```python twice and ends with ``` twice: LCB extracts nothing, robust gets the class."""
    rows = read_json(real_data / "lcb_submissions" / SUBMISSIONS[0])
    row = next(r for r in rows if r["question_id"] == "3637")
    assert row["code_list"][0] == ""
    code = extract_code(row["output_list"][0], "robust")
    assert code is not None and code.startswith("class Solution:") and "```" not in code
    compile(code, "<answer>", "exec")


LCB_CASES = [
    ("no fences at all", None),
    ("```python\nprint(1)", None),  # a single fence line
    ("```python\nprint(1)\n```", "print(1)"),
    ("```python\nprint(1)\n```\nUsage:\n```\nsolve()\n```", "solve()"),  # last two fences win
    ("```python\na\n```\ntext\n```python\nb", "text"),  # odd number of fences: wrong span, as in LCB
    ("x = '```' \nprint(2)\n```", "print(2)"),  # any line containing ``` is a fence
]


@pytest.mark.parametrize("text, expected", LCB_CASES)
def test_lcb_mode(text: str, expected: str | None) -> None:
    assert extract_code(text, "lcb") == expected


ROBUST_CASES = [
    ("no fences at all", None),
    ("```python\n\n```", None),  # empty block
    ("```python\nprint(1)\n```", "print(1)"),
    # a later non-python example block does not beat the python solution
    ("```python\nprint(1)\n```\nExample:\n```\n3 4\n```", "print(1)"),
    ("```py\na = 1\n```\n```python\nb = 2\n```", "b = 2"),  # the last python block
    ("```\nx = 1\n```\n```text\nhi\n```", "hi"),  # no python block: the last fenced block
    # truncated final block: the complete earlier draft wins
    ("```python\ndraft()\n```\nBetter:\n```python\ndef final(", "draft()"),
    ("Answer:\n```python\nprint(3)\n", "print(3)\n"),  # unterminated and nothing else: used
    ("```python\n```python\nprint(4)\n```\n```", "print(4)"),  # repeated opener
    ("<think>\n```python\ndraft()\n```\n</think>\n```python\nfinal()\n```", "final()"),
    ("<think>\n```python\ndraft()\n```\n</think>\nThe answer is above.", "draft()"),
    ("1. Code:\n   ```python\n   def f():\n       return 1\n   ```", "def f():\n    return 1"),  # dedent
    ("````python\nprint('```')\n````", "print('```')"),  # longer fence contains a shorter one
    ("```Python\r\nprint(5)\r\n```\r\n", "print(5)\r"),  # CRLF answers
    ("```python\nprint(1)\n```\n```cpp\nint main(){}\n```", "print(1)"),
    ("Sure! ```python\nprint(6)\n```", "print(6)"),  # opener not at a line start: LCB's rule as fallback
    ("Sure! ```python\n\n```", None),
]


@pytest.mark.parametrize("text, expected", ROBUST_CASES)
def test_robust_mode(text: str, expected: str | None) -> None:
    assert extract_code(text, "robust") == expected
    assert extract_code(text) == expected  # robust is the default


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown extraction mode"):
        extract_code("```\nx\n```", "strict")  # type: ignore[arg-type]
