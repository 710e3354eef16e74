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
  ``0.1 + 0.2`` != ``0.3`` fails; NaN equals nothing, nested or not. (Nested tuples, which LCB
  would compare unequal to lists, cannot be told apart after the driver's JSON serialisation;
  this is the one deliberate deviation.)

Integers are compared exactly whatever their length: a JSON integer longer than the interpreter's
int-string limit (4,300 digits by default) is kept as its canonical text, so the grader never
lifts that process-wide limit. An int against a float never overflows: an int beyond the double
range is compared exactly with the float. JSON nested deeper than ``MAX_JSON_DEPTH`` never matches.

An expected output that is not valid JSON is a data error, not a verdict: ``judge_functional``
raises ``ValueError`` for it, so a broken dataset can never silently turn into WA or AC (the grader
reports it as a judge error, JE). Nothing on the ACTUAL side raises: any output, however large,
malformed or hostile, is accepted or rejected.

Cost: both functions are linear in the sizes of the two outputs and hold a bounded slice of them at
a time. Outputs are read in slices of about ``_SLICE`` characters cut at whitespace (tokens) or
newlines (lines) and compared slice against slice in C; only differing pairs reach Python code.
Numbers are recognised with ``str`` methods, never a backtracking regex. A functional result longer
than any JSON text that could equal the expected value is rejected unparsed, so parsing costs memory
in proportion to the EXPECTED value, never to what a program printed
(``benchmarks/bench_judge_bounds.py`` measures this at the output cap).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from itertools import accumulate, chain, compress, repeat
from operator import eq, le, mul, ne, not_, sub
from typing import Any

from mceval.types import Comparison

FLOAT_TOLERANCE = 1e-6
MAX_JSON_DEPTH = 1000  # deeper results never match; deeper expected values are data errors

_SLICE = 1 << 16  # characters of an output handled at once (a longer token or line: all of it)
_SPACE = re.compile(r"\s")  # the characters str.split() and str.strip() treat as whitespace
_NON_SPACE = re.compile(r"\S")
_CANONICAL_MAX = 4096  # longer expected outputs take the full path (and are not kept in the cache)

__all__ = ["FLOAT_TOLERANCE", "MAX_JSON_DEPTH", "judge_functional", "judge_stdout"]


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
    expected, longest = _expected_value(expected_json)
    if len(actual_json) > longest or _too_deep(actual_json):
        return False  # no JSON text this long (or this deep) can equal the expected value
    try:
        actual = _loads(actual_json)
    except (ValueError, TypeError, RecursionError):
        return False  # malformed actual JSON never matches
    if mode == "lcb":
        return _lcb_equal(actual, expected)
    return _values_match(actual, expected)


# ----------------------------------------------------------------------------- streaming


def _streams_match(got: Iterator[list[str]], want: Iterator[list[str]],
                   lists_match: Callable[[list[str], list[str]], bool]) -> bool:
    """Two streams of items (given in batches) have equally many items, and `lists_match` holds
    for every pair of equally long, aligned runs of them."""
    a: list[str] = []
    b: list[str] = []
    i = j = 0
    while True:
        a, i = _refill(got, a, i)
        b, j = _refill(want, b, j)
        if not a or not b:
            return not a and not b
        n = min(len(a) - i, len(b) - j)
        if not lists_match(a[i : i + n], b[j : j + n]):
            return False
        i, j = i + n, j + n


def _refill(batches: Iterator[list[str]], batch: list[str], pos: int) -> tuple[list[str], int]:
    """The current batch and position, moved on to the next non-empty batch when used up ([]
    when the stream is over)."""
    while pos >= len(batch):
        following = next(batches, None)
        if following is None:
            return [], 0
        batch, pos = following, 0
    return batch, pos


def _differing(got: list[str], want: list[str]) -> tuple[list[str], list[str]]:
    """The pairs of two aligned lists that differ as strings (selected in C)."""
    mask = list(map(ne, got, want))
    return list(compress(got, mask)), list(compress(want, mask))


def _token_batches(text: str) -> Iterator[list[str]]:
    """`text.split()`, a slice at a time: slices end at a whitespace character, so no token is
    cut, and a slice holds at most _SLICE characters plus one token."""
    start, end = 0, len(text)
    while start < end:
        cut = start + _SLICE
        space = _SPACE.search(text, cut, end) if cut < end else None
        stop = space.start() if space else end
        yield text[start:stop].split()
        start = stop


# ----------------------------------------------------------------------------- microcoder

# A decimal literal: optional sign, digits with an optional fraction, optional exponent. Possessive
# quantifiers (no backtracking into a digit run) keep fullmatch linear; the old greedy form
# `\d+\.?\d*` was quadratic on a long digit run with a bad suffix.
_DECIMAL = re.compile(r"[+-]?+(?:\d++(?:\.\d*+)?+|\.\d++)(?:[eE][+-]?+\d++)?+")
_ASCII_DECIMAL = re.compile(_DECIMAL.pattern.replace(r"\d", "[0-9]"))  # the same on ASCII text, 3x faster
_FLOAT_MARK = re.compile(r"[.eE]")


def _tokens_match(actual: str, expected: str) -> bool:
    """Token-stream comparison: same number of tokens, each pair matching (see module doc)."""
    return actual == expected or _streams_match(_token_batches(actual), _token_batches(expected), _token_lists_match)


def _token_lists_match(got: list[str], want: list[str]) -> bool:
    """Aligned token runs: equal, or every differing pair within tolerance (checked in C over
    the whole run, no Python call per token)."""
    if got == want:
        return True
    got, want = _differing(got, want)
    if not (all(map(_FLOAT_MARK.search, want)) and _all_decimal(want) and _all_decimal(got)):
        return False
    actual, expected = list(map(float, got)), list(map(float, want))
    # A literal that overflows a double matches only its identical string (equal pairs are gone).
    if not (all(map(math.isfinite, actual)) and all(map(math.isfinite, expected))):
        return False
    bounds = map(max, repeat(FLOAT_TOLERANCE), map(mul, repeat(FLOAT_TOLERANCE), map(abs, expected)))
    return all(map(le, map(abs, map(sub, actual, expected)), bounds))


def _all_decimal(tokens: list[str]) -> bool:
    """Every token is a decimal literal (str.isascii is O(1): it reads a flag)."""
    pattern = _ASCII_DECIMAL if all(map(str.isascii, tokens)) else _DECIMAL
    return all(map(pattern.fullmatch, tokens))


def _token_match(actual: str, expected: str) -> bool:
    """One token pair (the definition `_token_lists_match` applies to whole runs)."""
    return _token_lists_match([actual], [expected])


def _close(actual: float, expected: float) -> bool:
    """abs-or-rel tolerance on finite values; a non-finite value only matches itself."""
    if not (math.isfinite(actual) and math.isfinite(expected)):
        return actual == expected or (math.isnan(actual) and math.isnan(expected))
    diff = abs(actual - expected)
    return diff <= FLOAT_TOLERANCE or diff <= FLOAT_TOLERANCE * abs(expected)


def _int_close(actual: int, expected: float) -> bool:
    """An int within tolerance of a float; exact (no OverflowError) beyond the double range."""
    if not math.isfinite(expected):
        return False  # an int is never NaN or infinite
    try:
        return _close(float(actual), expected)
    except OverflowError:  # |actual| >= 2**1024: only relative tolerance can hold; a large float is integral
        return abs(actual - int(expected)) <= FLOAT_TOLERANCE * abs(expected)


def _values_match(actual: Any, expected: Any) -> bool:
    """Structural comparison of decoded JSON values (see module doc); iterative, so nesting
    costs no recursion."""
    pending: list[Iterator[tuple[Any, Any]]] = [iter(((actual, expected),))]
    while pending:
        pair = next(pending[-1], None)
        if pair is None:
            pending.pop()
            continue
        got, want = pair
        if type(want) is list:
            if type(got) is not list or len(got) != len(want):
                return False
            pending.append(zip(got, want))
        elif type(want) is dict:
            if type(got) is not dict or got.keys() != want.keys():
                return False
            pending.append(zip(map(got.__getitem__, want), want.values()))
        elif not _scalar_match(got, want):
            return False
    return True


def _scalar_match(actual: Any, expected: Any) -> bool:
    kind = type(expected)
    if kind is float:
        if type(actual) is float:
            return _close(actual, expected)
        return type(actual) is int and _int_close(actual, expected)
    # bool, None, str, int and long ints: the same type and an equal value
    return kind in (bool, type(None), str, int, _LongInt) and type(actual) is kind and actual == expected


# ----------------------------------------------------------------------------- JSON decoding


class _LongInt:
    """A JSON integer too long for int() under the interpreter's int-string limit, kept as its
    text. JSON integers have no leading zeros and such a long one is never -0, so the text is
    canonical: equal texts are equal integers. It equals no int (those are shorter) and no float
    (beyond the double range)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return type(other) is _LongInt and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"_LongInt({len(self.text)} characters)"


def _parse_int(text: str) -> int | _LongInt:
    try:
        return int(text)
    except ValueError:  # over the int-string limit
        return _LongInt(text)


# Every NaN decoded is a new float: json's shared NaN constant would make [NaN] == [NaN] true by
# identity in lcb mode, where LiveCodeBench compares against the program's own (distinct) NaN.
_DECODE = json.JSONDecoder(parse_constant=float).decode
_DECODE_LONG = json.JSONDecoder(parse_constant=float, parse_int=_parse_int).decode


def _loads(text: str) -> Any:
    """json.loads, keeping integers over the int-string limit as _LongInt (C speed otherwise)."""
    try:
        return _DECODE(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer over the int-string limit: parse again, keeping it as text
        return _DECODE_LONG(text)


@functools.lru_cache(maxsize=4096)
def _canonical_json(expected_json: str) -> str | None:
    """The expected value serialised as the sandbox serialises results (json.dumps defaults);
    cached because every sample of a problem is judged against the same outputs."""
    try:
        return json.dumps(json.loads(expected_json), allow_nan=True)
    except (ValueError, TypeError, RecursionError):
        return None


def _expected_value(expected_json: str) -> tuple[Any, int]:
    """The decoded expected value and the longest result text that could equal it; small
    outputs are cached (every sample of a problem meets the same ones)."""
    if len(expected_json) <= _CANONICAL_MAX:
        return _cached_expected_value(expected_json)
    return _decode_expected(expected_json)


@functools.lru_cache(maxsize=4096)
def _cached_expected_value(expected_json: str) -> tuple[Any, int]:
    return _decode_expected(expected_json)


def _decode_expected(expected_json: str) -> tuple[Any, int]:
    if _too_deep(expected_json):
        raise ValueError(f"expected output is not valid JSON: nested deeper than {MAX_JSON_DEPTH}")
    try:
        value = _loads(expected_json)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ValueError(f"expected output is not valid JSON: {exc}") from exc
    # A text as long as the expected one's passes too (it may repeat a key, which decoding drops).
    return value, max(_longest_match(value), 2 * len(expected_json))


# Longest canonical JSON text of a value that can equal an expected scalar, in either mode: a
# string's characters escaped (a surrogate pair is 12 characters), an int written as a float
# (lcb: 1 == 1.0 == true), and for a float an int within tolerance (up to 309 digits).
_STRING_CHAR, _NUMBER, _FLOAT = 12, 26, 330


def _longest_match(value: Any) -> int:
    """An upper bound on the length of any result text (the sandbox writes canonical JSON:
    ", " and ": " separators) that either mode could accept for `value`, plus slack."""
    total, pending = 64, [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is list:
            total += 2 + 2 * len(item)
            pending.extend(item)
        elif kind is dict:
            total += 2 + 6 * len(item) + _STRING_CHAR * sum(map(len, item))
            pending.extend(item.values())
        elif kind is str:
            total += 2 + _STRING_CHAR * len(item)
        elif kind is int:
            total += _NUMBER + item.bit_length() // 3
        elif kind is _LongInt:
            total += _NUMBER + len(item.text)
        else:  # float, bool, None
            total += _FLOAT
    return total


def _too_deep(text: str) -> bool:
    """Whether JSON text nests deeper than MAX_JSON_DEPTH, decided before parsing: the C
    decoder's recursion is bounded only by the recursion limit, which a host program may have
    raised past what the thread's stack holds. Counting brackets settles most texts; otherwise
    brackets outside strings are followed a slice at a time (slices end between strings)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    data = text.encode("utf-8", "surrogatepass")
    depth = pos = 0
    while pos < len(data):
        end = _COMPLETE_STRINGS.match(data, pos, pos + _DEPTH_SLICE).end()
        if end == pos:  # a string longer than a slice starts here: skip it whole
            string = _JSON_STRING.match(data, pos)
            if string is None:
                return False  # never closed: not JSON, which the decoder will say
            pos = string.end()
            continue
        brackets = _JSON_STRING.sub(b"", data[pos:end]).translate(_AS_PARENTHESES, _NOT_BRACKETS)
        depth = _deepest(brackets, depth)
        if depth > MAX_JSON_DEPTH:
            return True
        pos = end
    return False


def _deepest(brackets: bytes, depth: int) -> int:
    """The depth after `brackets` ("(" and ")" only) starting at `depth`, or a depth over the
    limit as soon as one is reached. Only a piece that could reach past the limit is walked."""
    step = MAX_JSON_DEPTH // 2
    for start in range(0, len(brackets), step):
        piece = brackets[start : start + step]
        opened = piece.count(b"(")
        if depth + opened > MAX_JSON_DEPTH:
            deepest = max(accumulate(map(_NESTING.__getitem__, piece), initial=depth))
            if deepest > MAX_JSON_DEPTH:
                return deepest
        depth += 2 * opened - len(piece)
    return depth


_DEPTH_SLICE = 1 << 20
# Possessive quantifiers throughout: linear, no backtracking.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_COMPLETE_STRINGS = re.compile(rb'(?:[^"]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)  # stops before a cut string
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")
_NESTING = [0] * 256  # the change of depth at each byte of `brackets`
_NESTING[ord("(")], _NESTING[ord(")")] = 1, -1


# ----------------------------------------------------------------------------- lcb


def _lcb_lines_match(actual: str, expected: str) -> bool:
    """LiveCodeBench grade_stdio: same line count; per line exact, else exact Decimal lists."""
    return actual == expected or _streams_match(_lcb_line_batches(actual), _lcb_line_batches(expected),
                                                _lcb_line_lists_match)


def _lcb_line_batches(text: str) -> Iterator[list[str]]:
    """`[line.strip() for line in text.strip().split("\\n")]`, a slice at a time (cut at newlines)."""
    found = _NON_SPACE.search(text)
    if found is None:
        yield [""]
        return
    start, end = found.start(), _content_end(text)
    while start < end:
        cut = text.find("\n", start + _SLICE, end) if start + _SLICE < end else -1
        stop = end if cut < 0 else cut
        yield list(map(str.strip, text[start:stop].split("\n")))
        start = stop + 1


def _content_end(text: str) -> int:
    """len(text.rstrip()) without copying the text."""
    end = len(text)
    while end > 0:
        start = max(0, end - _SLICE)
        kept = text[start:end].rstrip()
        if kept:
            return start + len(kept)
        end = start
    return 0


def _lcb_line_lists_match(got: list[str], want: list[str]) -> bool:
    """Aligned runs of lines: equal, or each differing pair has equally many tokens and all of
    them are exactly equal Decimals (LCB builds the two Decimal lists; comparing pairwise, lazily,
    gives the same verdict). A line longer than a slice is compared a slice at a time."""
    if got == want:
        return True
    got, want = _differing(got, want)
    if max(map(len, got)) + max(map(len, want)) > _SLICE:
        return all(map(_lcb_line_match, got, want))
    if _one_token_each(got) and _one_token_each(want):  # the common shape: the lines are the tokens
        return _decimals_equal(got, want)
    got_tokens, want_tokens = list(map(str.split, got)), list(map(str.split, want))
    if list(map(len, got_tokens)) != list(map(len, want_tokens)):
        return False
    return _decimals_equal(list(chain.from_iterable(got_tokens)), list(chain.from_iterable(want_tokens)))


def _one_token_each(lines: list[str]) -> bool:
    """Every (stripped) line is one token: none is empty and none holds whitespace (checked in C
    on the lines joined by a separator that is not whitespace)."""
    return all(lines) and _SPACE.search("\0".join(lines)) is None


def _lcb_line_match(actual: str, expected: str) -> bool:
    """One (long) differing line pair, its tokens read a slice at a time."""
    return _streams_match(_token_batches(actual), _token_batches(expected), _decimals_equal)


def _decimals_equal(got: list[str], want: list[str]) -> bool:
    """Every pair exactly equal as Decimals. A token that is no number fails, and so does a
    signalling NaN (LCB's comparison raises, which it grades as a failure). Equal strings are
    equal Decimals unless they are no number or NaN (not equal to itself): plain digit runs, the
    common case, are settled in C; other equal tokens are parsed."""
    unequal = list(map(ne, got, want))
    same = list(compress(got, map(not_, unequal)))
    try:
        if not all(map(str.isdecimal, same)) and not all(map(_is_number, map(Decimal, same))):
            return False
        return all(map(eq, map(Decimal, compress(got, unequal)), map(Decimal, compress(want, unequal))))
    except (InvalidOperation, ValueError):
        return False


def _is_number(value: Decimal) -> bool:
    return not value.is_nan()


def _lcb_equal(actual: Any, expected: Any) -> bool:
    """LiveCodeBench grade_call_based: `prediction == gt_out` (tuples already lists via JSON)."""
    try:
        return bool(actual == expected)
    except RecursionError:
        return False
