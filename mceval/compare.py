"""Output comparison rules, decided in the grader process (never inside the sandbox).

Two modes, so MicroCoder's verdicts and LiveCodeBench's can be reported side by side.

Mode ``microcoder`` (default) — what an online judge with a token checker decides:

* Stdout: both outputs are split into whitespace-separated tokens (``str.split()``) and the two
  token sequences must have the same length and match token by token. Line structure is NOT
  significant: a newline is whitespace like a space, as in testlib's ``wcmp`` and AtCoder's default
  judge. So trailing spaces, ``\\r\\n`` line ends, trailing (or inner) blank lines and
  space-vs-newline separators are all accepted; missing, extra or reordered tokens are not.
* A token pair matches if the strings are identical. Words and integers are compared exactly and
  case-sensitively (``Yes`` != ``YES``, ``6`` != ``6.0``, ``010`` != ``10``).
* Float tolerance applies only where the EXPECTED token is float-like: a decimal literal with a
  ``.`` or an exponent (``0.5``, ``.5``, ``3.``, ``1e-9``, ``-2.5E+3``). The actual token must then be
  a decimal literal too (integer-like is fine: ``6`` for ``6.0``) and be within 1e-6 absolute OR
  1e-6 relative of the expected value. An integer-looking expected token stays exact even on a
  float problem: judges write float answers with a decimal point, and a blanket tolerance would
  "accept" ``104320140`` for ``104320141``. ``nan``/``inf``/``infinity`` are never float-like: they are
  words, compared exactly (a judge's expected output never relies on them, and accepting them as
  numbers would let ``nan`` slip through tolerance checks). Python-only spellings ``1_000`` and hex
  are not decimal literals. A literal that overflows a double matches only its identical string.
* Functional results (JSON text written by the sandboxed driver vs the expected JSON value) are
  compared structurally: lists match lists of the same length element-wise (a returned tuple is
  already a list in JSON); dicts need equal key sets and matching values; strings and ``None``
  exactly; ``bool`` is not a number (``True`` != ``1``); an expected int needs an int
  (``2.0`` != ``2``); an expected float accepts an int or float within the same 1e-6 abs-or-rel
  tolerance (NaN matches only NaN, infinities only the same infinity). Malformed actual JSON
  never matches.

Mode ``lcb`` — LiveCodeBench ``lcb_runner`` (testing_util.py) reproduced exactly:

* Stdout: ``[l.strip() for l in s.strip().split("\\n")]`` on both; the line counts must be equal;
  each line pair is equal as strings, or else both lines parse as whitespace-split lists of
  ``decimal.Decimal`` and those lists are exactly equal (``0.5`` == ``0.50`` but
  ``0.3333333333333333`` != ``0.333333333``; ``6`` == ``6.0``; ``1E1`` == ``10``).
* Functional: Python ``==`` between the decoded result (top-level tuple turned into a list, which
  JSON already did) and the decoded expected value, so ``True == 1`` and ``1 == 1.0`` pass and
  ``0.1 + 0.2`` != ``0.3`` fails. (Nested tuples, which LCB would compare unequal to lists, cannot
  be told apart after the driver's JSON serialisation; this is the one deliberate deviation.)

An expected output that is not valid JSON is a data error, not a verdict: ``judge_functional``
raises ``ValueError`` for it, so a broken dataset can never silently turn into WA or AC.
"""

from __future__ import annotations

import functools
import json
import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from mceval.types import Comparison

FLOAT_TOLERANCE = 1e-6

# A decimal literal: optional sign, digits with an optional fraction, optional exponent.
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FLOAT_MARK = re.compile(r"[.eE]")

__all__ = ["FLOAT_TOLERANCE", "judge_functional", "judge_stdout"]


def judge_stdout(actual: str, expected: str, mode: Comparison = "microcoder") -> bool:
    """Whether a program's stdout `actual` is accepted for the test's `expected` output."""
    if mode == "microcoder":
        return _tokens_match(actual, expected)
    if mode == "lcb":
        return _lcb_lines_match(actual, expected)
    raise ValueError(f"unknown comparison mode {mode!r}; expected 'microcoder' or 'lcb'")


def judge_functional(actual_json: str, expected_json: str, mode: Comparison = "microcoder") -> bool:
    """Whether a functional result (JSON text) is accepted for the expected JSON value."""
    if mode not in ("microcoder", "lcb"):
        raise ValueError(f"unknown comparison mode {mode!r}; expected 'microcoder' or 'lcb'")
    # Fast path for the common AC case: the sandbox's JSON text equals the expected value written
    # the same way, so both values are equal under either mode (NaN excepted: it is not == itself).
    if len(expected_json) <= _CANONICAL_MAX and actual_json == _canonical_json(expected_json) \
            and "NaN" not in actual_json:
        return True
    try:
        expected = json.loads(expected_json)
    except (json.JSONDecodeError, TypeError, RecursionError) as exc:
        raise ValueError(f"expected output is not valid JSON: {exc}") from exc
    try:
        actual = json.loads(actual_json)
    except (json.JSONDecodeError, TypeError, RecursionError):
        return False
    if mode == "lcb":
        return _lcb_equal(actual, expected)
    try:
        return _values_match(actual, expected)
    except RecursionError:  # nesting deeper than the interpreter's recursion limit: not a match
        return False


_CANONICAL_MAX = 4096  # longer expected outputs take the full path (and are not kept in the cache)


@functools.lru_cache(maxsize=4096)
def _canonical_json(expected_json: str) -> str | None:
    """The expected value serialised as the sandbox serialises results (json.dumps defaults);
    cached because every sample of a problem is judged against the same outputs."""
    try:
        return json.dumps(json.loads(expected_json), allow_nan=True)
    except (ValueError, TypeError, RecursionError):
        return None


# ----------------------------------------------------------------------------- microcoder


def _tokens_match(actual: str, expected: str) -> bool:
    """Token-stream comparison: same number of tokens, each pair matching (see module doc)."""
    got, want = actual.split(), expected.split()
    return len(got) == len(want) and all(_token_match(g, w) for g, w in zip(got, want))


def _token_match(actual: str, expected: str) -> bool:
    if actual == expected:
        return True
    if not _is_float_like(expected) or not _DECIMAL.fullmatch(actual):
        return False
    got, want = float(actual), float(expected)
    # A literal that overflows a double matches only its identical string (handled above).
    return math.isfinite(got) and math.isfinite(want) and _close(got, want)


def _is_float_like(token: str) -> bool:
    """A decimal literal written with a '.' or an exponent; never nan/inf (see module doc)."""
    return bool(_DECIMAL.fullmatch(token)) and bool(_FLOAT_MARK.search(token))


def _close(actual: float, expected: float) -> bool:
    """abs-or-rel tolerance on finite values; a non-finite value only matches itself."""
    if not (math.isfinite(actual) and math.isfinite(expected)):
        return actual == expected or (math.isnan(actual) and math.isnan(expected))
    diff = abs(actual - expected)
    return diff <= FLOAT_TOLERANCE or diff <= FLOAT_TOLERANCE * abs(expected)


def _values_match(actual: Any, expected: Any) -> bool:
    """Structural comparison of decoded JSON values (see module doc)."""
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int):
        return type(actual) is int and actual == expected
    if isinstance(expected, float):
        return type(actual) in (int, float) and _close(float(actual), expected)
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_values_match(a, e) for a, e in zip(actual, expected))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(_values_match(actual[k], v) for k, v in expected.items())
        )
    return False  # json.loads produces no other types


# ----------------------------------------------------------------------------- lcb


def _lcb_stripped_lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _lcb_decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(token) for token in line.split()]
    except (InvalidOperation, ValueError):
        return None


def _lcb_lines_match(actual: str, expected: str) -> bool:
    """LiveCodeBench grade_stdio: same line count; per line exact, else exact Decimal lists."""
    got, want = _lcb_stripped_lines(actual), _lcb_stripped_lines(expected)
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if g == w:
            continue
        g_dec, w_dec = _lcb_decimals(g), _lcb_decimals(w)
        if g_dec is None or w_dec is None:
            return False
        try:
            if g_dec != w_dec:
                return False
        except InvalidOperation:  # signalling NaN: LCB's comparison raises, which it grades as a failure
            return False
    return True


def _lcb_equal(actual: Any, expected: Any) -> bool:
    """LiveCodeBench grade_call_based: `prediction == gt_out` (tuples already lists via JSON)."""
    try:
        return bool(actual == expected)
    except RecursionError:
        return False
