"""Correctness of the bounded-cost comparison and extraction paths (issue 10 §2 and §4).

Results only, no timings (those are in benchmarks/bench_judge_bounds.py): the streaming token and
line comparison agrees with the plain definitions on outputs that span many slices; number
recognition agrees with the regex it replaced; every value a sample can produce gives a bool;
adversarial inputs at small sizes give the right answers.
"""

from __future__ import annotations

import random
import re

import pytest

import mceval.compare as compare
from mceval.compare import MAX_JSON_DEPTH, judge_functional, judge_stdout
from mcgen.extract import extract_code

MODES = ("microcoder", "lcb")


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of a few characters, so short outputs cross many slice boundaries."""
    monkeypatch.setattr(compare, "_SLICE", 5)


# ----------------------------------------------------------------------------- stdout, streaming
ATOMS = ["1", "1.0", "0.5", ".5", "6", "6.0", "1e5", "NaN", "sNaN", "Yes", "-0", "٣", "1_0", "x" * 9]
SEPARATORS = [" ", "\n", "  ", " \n ", "\t", "\r\n", "\x1c", "\xa0", "\n\n"]


def _plain_tokens(actual: str, expected: str) -> bool:
    """The microcoder rule written as its definition (whole-output split)."""
    got, want = actual.split(), expected.split()
    return len(got) == len(want) and all(compare._token_match(g, w) for g, w in zip(got, want))


def _plain_lines(actual: str, expected: str) -> bool:
    """LiveCodeBench's grade_stdio written as its definition (lists of Decimal per line)."""
    from decimal import Decimal, InvalidOperation

    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.strip().split("\n")]

    got, want = lines(actual), lines(expected)
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        if g == w:
            continue
        try:
            if [Decimal(t) for t in g.split()] != [Decimal(t) for t in w.split()]:
                return False
        except (InvalidOperation, ValueError):
            return False
    return True


def _random_output(rnd: random.Random) -> str:
    return rnd.choice(["", " ", "\n"]) + "".join(rnd.choice(ATOMS) + rnd.choice(SEPARATORS)
                                                for _ in range(rnd.randint(0, 12)))


def test_streaming_comparison_agrees_with_the_definitions(small_slices: None) -> None:
    rnd = random.Random(10)
    seen = {True: 0, False: 0}
    for _ in range(3000):
        expected = _random_output(rnd)
        actual = expected.replace("1.0", "1").replace(".5", "0.5") if rnd.random() < 0.5 else _random_output(rnd)
        got = judge_stdout(actual, expected, "microcoder")
        assert got == _plain_tokens(actual, expected), (actual, expected)
        assert judge_stdout(actual, expected, "lcb") == _plain_lines(actual, expected), (actual, expected)
        seen[got] += 1
    assert seen[True] > 100 and seen[False] > 100  # both outcomes exercised


def test_mismatch_or_tolerance_at_a_slice_boundary(small_slices: None) -> None:
    expected = " ".join(["0.5"] * 40)
    assert judge_stdout(expected.replace("0.5", "0.5000001"), expected)
    assert not judge_stdout(expected + " 1", expected) and not judge_stdout(expected, expected + "\n1")
    assert not judge_stdout(expected[:-3] + "0.6", expected)
    lines = "\n".join(["1 2"] * 30)
    assert judge_stdout("\n\n  " + lines + "  \n\n", lines, "lcb")
    assert not judge_stdout(lines + "\n\n1 2", lines, "lcb")  # a blank line inside counts


def test_lcb_never_skips_a_nan_pair_inside_a_differing_line(small_slices: None) -> None:
    """Equal tokens are not always equal Decimals: NaN != NaN, and text that is no number fails."""
    assert not judge_stdout("NaN 1", "NaN 1.0", "lcb")
    assert not judge_stdout("abc 1", "abc 1.0", "lcb")
    assert judge_stdout("2 1", "2 1.0", "lcb") and judge_stdout("NaN 1", "NaN 1", "lcb")


def test_decimal_literal_recognition_matches_the_old_regex() -> None:
    pattern = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
    rnd = random.Random(3)
    alphabet = "0123456789..eE+-x٣ "
    for _ in range(20000):
        token = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 7)))
        assert compare._all_decimal([token]) == bool(pattern.fullmatch(token)), token


@pytest.mark.parametrize("mode", MODES)
def test_long_digit_runs_with_a_bad_suffix(mode: str) -> None:
    run = "1" * 50_000
    assert not judge_stdout(run + "x", "1.5", mode)
    assert not judge_stdout(run + ".5e", run + ".5", mode)
    assert judge_stdout(run + ".5", run + ".5", mode)
    assert judge_stdout(" ".join(["7"] * 50_000) + "\n", " ".join(["7"] * 50_000), mode)


# ----------------------------------------------------------------------------- functional values
BIG = "1" + "0" * 5000 + "1"  # over the int-string limit


@pytest.mark.parametrize("mode", MODES)
def test_big_integers_compare_exactly(mode: str) -> None:
    assert judge_functional(BIG, BIG, mode)
    assert judge_functional(f"[{BIG}, -{BIG}]", f"[{BIG},-{BIG}]", mode)
    assert judge_functional(f'{{"a": [{BIG}, 1]}}', f'{{"a": [{BIG}, 1]}}', mode)
    assert not judge_functional(BIG[:-1] + "2", BIG, mode)
    assert not judge_functional(f"-{BIG}", BIG, mode)
    assert not judge_functional("1", BIG, mode) and not judge_functional(BIG, "1", mode)
    assert not judge_functional(BIG, "1e308", mode) and not judge_functional(BIG, "Infinity", mode)
    assert not judge_functional(f"{BIG}.0", BIG, mode)  # a float is not the int


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("actual", [str(10 ** 400), str(-(10 ** 400)), str(2 ** 1024), "1e400", "-1e400", "NaN",
                                    "Infinity", "-Infinity", "0", "-0", "true", "null", BIG])
@pytest.mark.parametrize("expected", ["1.5", "1e308", "1.7976931348623157e308", "NaN", "Infinity", "-0.0", "0",
                                      "[1.5]", '{"a": 1.5}', BIG])
def test_any_number_against_any_expected_value_is_a_bool(mode: str, actual: str, expected: str) -> None:
    verdict = judge_functional(actual, expected, mode)
    assert verdict in (True, False)
    assert judge_functional(f"[{actual}]", f"[{expected}]", mode) is verdict  # NaN too: nesting changes nothing


def test_ints_beyond_the_double_range_against_floats() -> None:
    top = "1.7976931348623157e308"  # the largest double
    assert judge_functional(str(2 ** 1024), top)  # 2**1024 is within 1e-7 relative of it
    assert not judge_functional(str(-(2 ** 1024)), top)
    assert not judge_functional(str(10 ** 400), top) and not judge_functional(str(10 ** 400), "1.5")
    assert judge_functional(str(10 ** 300), "1e300") and not judge_functional(str(10 ** 300), "1e300", "lcb")


@pytest.mark.parametrize("mode", MODES)
def test_odd_json_never_raises(mode: str) -> None:
    for actual in ['{"a": 1, "a": 2}', '"\\ud800"', "[1,]", "1 2", "[" * 50 + "]" * 49, "\x00", "[1e99999]",
                   '{"a": [1.5], "b": {"c": null}}', "  [1.5]  ", "-", "01"]:
        assert judge_functional(actual, '{"a": 2}', mode) in (True, False)
    assert judge_functional('{"a": 1, "a": 2}', '{"a": 2}', mode)  # the last duplicate wins, as in json
    assert judge_functional("  [1.5]  ", "[1.5]", mode)


@pytest.mark.parametrize("mode", MODES)
def test_nesting_deeper_than_the_cap(mode: str) -> None:
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    shallow = "[" * 100 + "1" + "]" * 100
    assert judge_functional(shallow, shallow.replace(" ", ""), mode)
    assert not judge_functional(deep, "[" * 600 + "]" * 600, mode)
    with pytest.raises(ValueError, match="nested deeper"):
        judge_functional(deep, deep, mode)
    # brackets inside strings do not nest
    text = '["' + "[" * (2 * MAX_JSON_DEPTH) + '"]'
    assert judge_functional(text, text.replace('"]', '" ]'), mode)


def test_a_result_far_longer_than_the_expected_value_is_rejected_unparsed(monkeypatch) -> None:
    real = compare._loads

    def short_only(text: str) -> object:
        assert len(text) < 1000, "parsed a result that cannot match"
        return real(text)

    monkeypatch.setattr(compare, "_loads", short_only)
    assert not judge_functional("[" + "0, " * 100_000 + "0]", "[0, 0]")
    assert not judge_functional("[" + "[], " * 100_000 + "[]]", "[[], []]", "lcb")


@pytest.mark.parametrize("mode", MODES)
def test_values_that_could_match_are_never_cut_by_the_length_bound(mode: str) -> None:
    """Worst-case encodings of a matching value: escaped non-BMP strings, ints for floats,
    floats for ints and bools (lcb)."""
    emoji = "\U0001F600" * 500
    assert judge_functional(json_dumps_ascii([emoji, {emoji: emoji}]), f'["{emoji}", {{"{emoji}": "{emoji}"}}]', mode)
    assert judge_functional(str(10 ** 308) + ".0", "1e308", mode)
    assert judge_functional(str(int(1.5e300)), "1.5e300", mode)
    if mode == "lcb":
        assert judge_functional("[1.0, 1.0, 100000000000000000000.0]", "[1, true, 100000000000000000000]", mode)


def json_dumps_ascii(value: object) -> str:
    import json

    return json.dumps(value)  # the sandbox's encoding: non-ASCII escaped, surrogate pairs for non-BMP


# ----------------------------------------------------------------------------- extraction


@pytest.mark.parametrize("line", ["a" * 50_000 + "`", " " * 50_000 + "`", "py " + "x " * 25_000 + "`"])
def test_extraction_of_a_long_line_after_a_fence(line: str) -> None:
    text = "```" + line + "\nprint(1)\n```"
    assert extract_code(text, "lcb") == "print(1)"
    assert extract_code(text, "robust") == "print(1)"  # the long line opens no block: LCB's fallback


def test_many_repeated_openers_inside_a_longer_fence() -> None:
    """A ```` block holding thousands of ```python lines: each is a body line (the body is not blank)."""
    body = "\n".join(["x = 1", "```python"] * 5000)
    text = "````python\n" + body + "\n````"
    assert extract_code(text, "robust") == body


def test_lcb_extraction_matches_its_line_definition_on_random_answers() -> None:
    def plain(text: str) -> str | None:
        lines = text.split("\n")
        fences = [i for i, line in enumerate(lines) if "```" in line]
        return "\n".join(lines[fences[-2] + 1 : fences[-1]]) if len(fences) >= 2 else None

    rnd = random.Random(5)
    parts = ["```", "x```y", "````", "code", "", " ", "``", "a`b"]
    for _ in range(5000):
        text = "\n".join(rnd.choice(parts) for _ in range(rnd.randint(0, 8)))
        assert extract_code(text, "lcb") == plain(text), text


def test_robust_extraction_after_think_starts_mid_line() -> None:
    assert extract_code("<think>```python\ndraft()\n```</think>```python\nfinal()\n```") == "final()"
    assert extract_code("```python\na()\n```\n</think>\n   ```python\n   b()\n   ```") == "b()"


def test_dedent_matches_textwrap_across_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    import textwrap

    import mcgen.extract as extract

    monkeypatch.setattr(extract, "_SLICE", 3)
    rnd = random.Random(4)
    parts = ["", " ", "  ", "\t", " \t", "\t ", "x", "\r", "y z"]
    for _ in range(20000):
        code = "\n".join("".join(rnd.choice(parts) for _ in range(rnd.randint(0, 4))) for _ in range(rnd.randint(0, 8)))
        assert extract._dedent(code) == textwrap.dedent(code), code


def test_nesting_depth_follows_strings_across_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Brackets inside strings never count, even where a string crosses a slice boundary."""
    monkeypatch.setattr(compare, "_DEPTH_SLICE", 7)
    inside = '"' + "[" * 3000 + '\\"[' + '"'
    assert not compare._too_deep("[" * 10 + inside + ", " + inside + "]" * 10)
    assert not compare._too_deep("[" * 600 + ", ".join([inside] * 3) + "]" * 600)
    assert compare._too_deep('["a", ' + "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1) + "]")
    assert not compare._too_deep('["' + "[" * 5000)  # never closed: left to the decoder, which rejects it
    assert judge_functional('["' + "[" * 5000 + '"]', '["' + "[" * 5000 + '"]', "microcoder")
