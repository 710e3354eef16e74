"""Exact values of the diversity metrics (mctrain.algo.diversity), and the length-robust one's point."""

from __future__ import annotations

import random

import pytest

from mctrain.algo.diversity import (
    code_tokens,
    distinct_ngram_ratio,
    group_diversity,
    mean_group_diversity,
    normalize_code,
    normalized_edit_distance,
    pairwise_edit_diversity,
    windowed_distinct_ngram,
)


def _levenshtein(a, b) -> int:
    """Textbook O(len(a)*len(b)) reference used to check the vectorised version."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def test_distinct_ngram_exact_values():
    # grams: (a b c d) (b c d e) | (a b c d) (b c d f): 3 unique of 4
    assert distinct_ngram_ratio(["a b c d e", "a b c d f"]) == 0.75
    # G identical responses with all-distinct grams inside score 1/G
    assert distinct_ngram_ratio(["x y z w v"] * 4) == 0.25
    # a repetition loop inside one response lowers the score: 6 grams, 4 unique
    assert distinct_ngram_ratio(["a b c d a b c d a"]) == pytest.approx(4 / 6)
    # whitespace-only tokenisation: newlines and runs of spaces do not matter
    assert distinct_ngram_ratio(["a  b\nc d"], n=4) == 1.0
    assert distinct_ngram_ratio(["a b c d", "a\tb c  d"]) == 0.5


def test_distinct_ngram_short_and_empty_texts():
    # shorter than n: the whole token tuple is one gram
    assert distinct_ngram_ratio(["yes", "yes", "no"]) == pytest.approx(2 / 3)
    assert distinct_ngram_ratio(["", ""]) == 0.5
    assert distinct_ngram_ratio([]) == 0.0
    with pytest.raises(ValueError):
        distinct_ngram_ratio(["a"], n=0)


def test_normalize_code_strips_comments_and_layout_keeps_strings():
    text = "Here is my solution:\n```python\nx = '# not a comment'  # a comment\n\nif x:\n    y = 1\n```\nDone."
    assert normalize_code(text) == "x = '# not a comment' if x: y = 1"
    # several blocks are joined; a truncated (unterminated) last block still counts
    assert normalize_code("```\na = 1\n```\ntext\n```python\nb = 2 # tail") == "a = 1 b = 2"
    # no fence: the text is the code; where the tokenizer gives up (bad dedent on line 3),
    # comments before that point are gone and later ones are kept rather than guessed at
    assert normalize_code("if x:\n        a = 1 # c1\n    b = 2 # c2\n") == "if x: a = 1 b = 2 # c2"


def test_code_tokens_lexical_and_capped():
    assert code_tokens("```py\nprint(a+1)  # hi\n```") == ["print", "(", "a", "+", "1", ")"]
    assert code_tokens("a b c d e", max_tokens=3) == ["a", "b", "c"]


def test_normalized_edit_distance_matches_reference():
    assert normalized_edit_distance("kitten", "sitting") == pytest.approx(3 / 7)
    assert normalized_edit_distance("", "") == 0.0
    assert normalized_edit_distance("", "abc") == 1.0
    assert normalized_edit_distance("abc", "abc") == 0.0
    rng = random.Random(7)
    for _ in range(30):
        a = [rng.choice("abc") for _ in range(rng.randint(1, 40))]
        b = [rng.choice("abc") for _ in range(rng.randint(1, 40))]
        assert normalized_edit_distance(a, b) == pytest.approx(_levenshtein(a, b) / max(len(a), len(b)))


def test_pairwise_edit_diversity_exact_and_bounded():
    same = "```python\nprint(1)\n```"
    commented = "```python\nprint(1)   # same program, other comment\n```"
    other = "```python\nprint(2)\n```"
    assert pairwise_edit_diversity([same, commented]) == 0.0
    # tokens print ( 1 ) vs print ( 2 ): 1 of 4 differs; pairs (s,c)=0, (s,o)=.25, (c,o)=.25
    assert pairwise_edit_diversity([same, commented, other]) == pytest.approx(0.5 / 3)
    assert pairwise_edit_diversity([same]) == 0.0
    # many pairs: capped, deterministic, still in [0, 1]
    texts = [f"x = {i} + {i % 3}" for i in range(20)]
    first = pairwise_edit_diversity(texts, max_pairs=10)
    assert first == pairwise_edit_diversity(texts, max_pairs=10)
    assert 0.0 < first <= 1.0


def test_group_diversity_dispatch_and_errors():
    texts = ["a b c d e", "a b c d f"]
    assert group_diversity(texts) == 0.75  # distinct_ngram is the default
    assert group_diversity(texts, "edit_distance") == pytest.approx(0.2)  # 1 of 5 tokens differs
    with pytest.raises(ValueError, match="unknown diversity metric"):
        group_diversity(texts, "bleu")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        group_diversity([])


def test_mean_group_diversity_averages_consecutive_groups():
    texts = ["a b c d"] * 2 + ["a b c d", "e f g h"]
    assert mean_group_diversity(texts, group_size=2) == pytest.approx((0.5 + 1.0) / 2)
    with pytest.raises(ValueError, match="groups of 3"):
        mean_group_diversity(texts, group_size=3)


def test_windowed_distinct_is_length_robust_where_plain_distinct_is_not():
    """Longer text of the same kind repeats 4-grams by chance: plain distinct-4 falls with length alone."""
    rng = random.Random(0)
    words = " ".join(rng.choices([f"w{i}" for i in range(12)], k=6000)).split()
    short, long = [" ".join(words[:200])], [" ".join(words)]
    assert distinct_ngram_ratio(short) - distinct_ngram_ratio(long) > 0.1  # 0.995 -> 0.87
    assert abs(windowed_distinct_ngram(short) - windowed_distinct_ngram(long)) < 0.02
    # a collapse still shows at any length: G copies of one response score 1/G, as with plain distinct-4
    for text in (short, long):
        assert windowed_distinct_ngram(text * 8) == pytest.approx(windowed_distinct_ngram(text) / 8)


def test_windowed_distinct_exact_values():
    assert windowed_distinct_ngram(["a b c d e", "a b c d f"]) == 0.75  # one window: the plain ratio
    # window 4: pools [abcd, abcd] (1 unique of 2 grams) and [efgh, efgh] (1 of 2)
    assert windowed_distinct_ngram(["a b c d e f g h"] * 2, window=4) == 0.5
    # a loop inside a window lowers it: pool 1 "a b c d a b c d" has 5 grams, 4 unique
    assert windowed_distinct_ngram(["a b c d a b c d"], window=8) == pytest.approx(4 / 5)
    assert windowed_distinct_ngram([]) == 0.0
    assert group_diversity(["a b c d e", "a b c d f"]) == 0.75  # the default metric
    with pytest.raises(ValueError):
        windowed_distinct_ngram(["a"], window=2)
