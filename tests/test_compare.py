"""Every comparison rule of mceval.compare, in both modes (see the module docstring)."""

from __future__ import annotations

import pytest

from mceval.compare import judge_functional, judge_stdout


# ----------------------------------------------------------------------------- microcoder stdout
@pytest.mark.parametrize(
    "actual, expected",
    [
        ("3\n", "3"),  # missing/extra final newline
        ("1 2 3   \n\n\n", "1 2 3\n"),  # trailing spaces and trailing blank lines
        ("1 2\r\n3\r\n", "1 2\n3\n"),  # CRLF line ends
        ("1\n2\n3", "1 2 3"),  # newline vs space separators (token judge)
        ("a\n\nb", "a\nb"),  # blank line inside output
        ("0.33333333", "0.333333333333"),  # |diff| < 1e-6
        ("6.06449510224598", "6.06449510224597979401"),  # abc375_b's recorded failure
        ("0.7500000000499999", "0.7500000000000000"),  # abc324_f's recorded failure
        ("1000000000.5", "1000000000.0"),  # relative 5e-10
        ("6", "6.0"),  # expected float-like, actual integer-like within tolerance
        ("100000", "1e5"),  # exponent makes the expected float-like
        ("-0.0000001", "0.0"),
        ("Yes 0.5", "Yes 0.50"),
        ("", ""),
        ("\n \n", ""),
    ],
)
def test_microcoder_stdout_accepts(actual: str, expected: str) -> None:
    assert judge_stdout(actual, expected, "microcoder")


@pytest.mark.parametrize(
    "actual, expected",
    [
        ("YES", "Yes"),  # case-sensitive words
        ("6.0", "6"),  # integers exact: expected integer, actual float
        ("104320140", "104320141"),  # abc340_e: no tolerance on integers
        ("010011110000001", "010011111000001"),  # abc380_c: binary string, exact
        ("010", "10"),
        ("0.3334", "0.3333"),  # off by 1e-4
        ("1 2", "1 2 3"),  # missing token
        ("1 2 3 4", "1 2 3"),  # extra token
        ("2 1", "1 2"),  # order matters (no set comparison)
        ("nan", "0.5"),  # actual must be a decimal literal
        ("inf", "1e400"),
        ("1e401", "1e400"),  # overflowing literals match only identically
        ("1_000.0", "1000.0"),  # Python-only spelling is not a decimal literal
        ("0x10", "16.0"),
        ("nan", "NaN"),  # nan/inf are words: exact, case-sensitive
        ("inf", "Infinity"),
        ("", "0"),
        ("0", ""),
    ],
)
def test_microcoder_stdout_rejects(actual: str, expected: str) -> None:
    assert not judge_stdout(actual, expected, "microcoder")


def test_microcoder_stdout_nan_words_match_only_themselves() -> None:
    assert judge_stdout("nan inf", "nan inf")
    assert judge_stdout("1e400", "1e400")


# ----------------------------------------------------------------------------- lcb stdout
@pytest.mark.parametrize(
    "actual, expected",
    [
        ("3\n", "3"),
        ("  1 2  \n 3 \n\n", "1 2\n3"),  # per-line strip and whole strip
        ("0.5", "0.50"),  # exact Decimal equality
        ("6", "6.0"),  # Decimal: 6 == 6.0 (lenient, a known LCB false positive)
        ("1E1", "10"),
        ("1  2", "1 2"),  # Decimal token lists equal despite inner spacing
    ],
)
def test_lcb_stdout_accepts(actual: str, expected: str) -> None:
    assert judge_stdout(actual, expected, "lcb")


@pytest.mark.parametrize(
    "actual, expected",
    [
        ("0.3333333333333333", "0.333333333"),  # no tolerance
        ("1\n2\n3", "1 2 3"),  # line counts must match
        ("a\n\nb", "a\nb"),  # blank line inside output counts as a line
        ("Yes", "YES"),
        ("1  a", "1 a"),  # not exact and not all decimals
    ],
)
def test_lcb_stdout_rejects(actual: str, expected: str) -> None:
    assert not judge_stdout(actual, expected, "lcb")


def test_lcb_stdout_nan_and_snan() -> None:
    assert judge_stdout("NaN", "NaN ", "lcb")  # identical after strip
    assert not judge_stdout("NaN 1", "nan  1", "lcb")  # Decimal NaN != NaN
    assert not judge_stdout("sNaN", "snan", "lcb")  # comparing a signalling NaN raises in LCB: failure


def test_modes_differ_where_documented() -> None:
    # lenient in lcb, strict in microcoder
    assert judge_stdout("6", "6.0", "lcb") and judge_stdout("6", "6.0", "microcoder")
    assert judge_stdout("6.0", "6", "lcb") and not judge_stdout("6.0", "6", "microcoder")
    # strict in lcb, accepted in microcoder
    assert not judge_stdout("0.1000000001", "0.1", "lcb") and judge_stdout("0.1000000001", "0.1", "microcoder")
    assert not judge_stdout("1 2", "1\n2", "lcb") and judge_stdout("1 2", "1\n2", "microcoder")


def test_unknown_mode_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown comparison mode"):
        judge_stdout("1", "1", "exact")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown comparison mode"):
        judge_functional("1", "1", "exact")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- functional
@pytest.mark.parametrize(
    "actual, expected",
    [
        ("[1, 2, 3]", "[1,2,3]"),
        ("[[1, 2], [3]]", "[[1,2],[3]]"),  # nested lists (tuples arrive as lists)
        ("0.30000000000000004", "0.3"),  # float tolerance where expected is a float
        ("[0.30000000000000004, 1]", "[0.3, 1]"),
        ("2", "2.0"),  # expected float accepts an int
        ('"abc"', '"abc"'),
        ("null", "null"),
        ("true", "true"),
        ('{"a": [1, 2.0000000001]}', '{"a": [1, 2.0]}'),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
    ],
)
def test_microcoder_functional_accepts(actual: str, expected: str) -> None:
    assert judge_functional(actual, expected, "microcoder")


@pytest.mark.parametrize(
    "actual, expected",
    [
        ("1", "true"),  # bool is not int
        ("true", "1"),
        ("false", "0"),
        ("2.0", "2"),  # expected int needs an int
        ("0.3001", "0.3"),
        ("[1, 2]", "[1, 2, 3]"),
        ("[2, 1]", "[1, 2]"),  # order matters
        ('"1"', "1"),
        ("null", "0"),
        ("[1]", "1"),
        ('{"a": 1}', '{"a": 1, "b": 2}'),
        ("-Infinity", "Infinity"),
        ("not json", "1"),  # malformed actual never matches
        ("", "[]"),
        ("true", "1.0"),  # bool is not a float either
    ],
)
def test_microcoder_functional_rejects(actual: str, expected: str) -> None:
    assert not judge_functional(actual, expected, "microcoder")


def test_lcb_functional_is_python_equality() -> None:
    assert judge_functional("true", "1", "lcb")  # True == 1 in Python
    assert judge_functional("1", "1.0", "lcb")
    assert judge_functional("[1, 2]", "[1,2]", "lcb")
    assert not judge_functional("0.30000000000000004", "0.3", "lcb")  # no tolerance
    assert not judge_functional("[2, 1]", "[1, 2]", "lcb")
    assert not judge_functional("garbage", "1", "lcb")


def test_identical_json_text_fast_path_agrees_with_the_full_comparison() -> None:
    """Equal text (as the sandbox writes results) is accepted without parsing, except NaN, which
    is not equal to itself under LiveCodeBench's Python equality."""
    assert judge_functional("[1, 2]", "[1,2]", "lcb") and judge_functional("[1, 2]", "[1,2]", "microcoder")
    assert not judge_functional("NaN", "NaN", "lcb")
    assert judge_functional("NaN", "NaN", "microcoder")
    assert judge_functional('{"b": 1, "a": 2}', '{"a": 2, "b": 1}', "microcoder")  # other key order: full path


def test_malformed_expected_json_is_a_data_error() -> None:
    for mode in ("microcoder", "lcb"):
        with pytest.raises(ValueError, match="expected output is not valid JSON"):
            judge_functional("1", "[1, 2", mode)  # type: ignore[arg-type]


def test_hostile_nesting_never_raises_from_the_actual_side() -> None:
    deep = "[" * 100_000 + "]" * 100_000  # deeper than json's recursion limit
    for mode in ("microcoder", "lcb"):
        assert not judge_functional(deep, "[[1]]", mode)  # type: ignore[arg-type]
        assert judge_functional("[[[[1]]]]", "[[[[1]]]]", mode)  # type: ignore[arg-type]
