"""Output diversity of the G responses sampled for one prompt, as a number in [0, 1].

MicroCoder-GRPO picks its training temperature from "response diversity" (paper §1.3, the
DDT rule) but never defines the metric, so we offer three; the trainer logs the first two
every step side by side and the configured one as ``diversity``:

* ``windowed_distinct`` (DEFAULT): distinct-4 made independent of response length. Plain
  distinct-n falls as responses grow even when the text is equally varied (0.98 -> 0.83 from
  200 to 6,000 words of the same random text: a long text repeats 4-grams by chance), and
  response length grows under MicroCoder-GRPO, so plain distinct-n would report a diversity
  collapse that is only a length change. This metric pools the G responses window by window
  (words 0-255 of every response together, then 256-511, ...), so each pool is the same size
  whatever the length, and sums distinct-4 over the pools; G copies of one response still
  score 1/G, as with plain distinct-n.
* ``distinct_ngram``: the POLARIS distinct-n ratio. All G responses are split on
  whitespace, every run of ``n=4`` consecutive tokens is collected over the whole group, and
  the score is ``|unique 4-grams| / |all 4-grams|``. G identical responses score about 1/G,
  G responses sharing no 4-gram score 1, and repetition loops inside one response lower it.
* ``edit_distance``: the mean pairwise normalised edit distance between the *code* of the
  responses (code blocks only, comments dropped, compared as lexical tokens so layout and
  whitespace do not count), i.e. how different the programs are, ignoring the prose.

Why a distinct-n family: it is the one published diversity-for-temperature recipe (POLARIS
sweeps T offline and matches a distinct-4 level, which is what our calibration does); it lies
in [0, 1] and rises with the temperature, like the paper's plotted diversity (whose definition
the paper does not give); and it is linear in the text length, so computing it on every group
of every step costs nothing next to generation. The rarefied form is the default because the
calibration compares temperatures whose responses differ in length, and training compares
steps whose responses grow. (A rarefied distinct-n, the expected distinct share of a fixed-size
random sample of the pooled 4-grams, is length-robust too but blind to G identical long responses:
their pooled grams look rich, so it is not offered.) Edit distance is quadratic in length and in G, so it
is bounded here (``max_tokens`` per program, ``max_pairs`` pairs chosen deterministically);
use it when you care about distinct *solutions* rather than distinct wording. Measured cost
on 2 busy CPU cores, 64 groups of 8 responses of 3,000 words: distinct-n about 1 s, edit
distance about 35 s at the default bounds (lower ``max_pairs`` / ``max_tokens`` for less).

Engine-free: plain Python and NumPy, no torch or TRL.
"""

from __future__ import annotations

import io
import itertools
import random
import re
import tokenize
from collections.abc import Iterator, Sequence
from typing import Literal

import numpy as np

DiversityMetric = Literal["windowed_distinct", "distinct_ngram", "edit_distance"]
DIVERSITY_METRICS: tuple[str, ...] = ("windowed_distinct", "distinct_ngram", "edit_distance")
DIVERSITY_WINDOW = 256  # words per aligned window of `windowed_distinct`

_FENCE = re.compile(r"```[^\n`]*\n(.*?)(?:```|\Z)", re.DOTALL)
_LEXICAL_TOKEN = re.compile(r"\w+|[^\w\s]")


def _ngrams(texts: Sequence[str], n: int) -> Iterator[tuple[str, ...]]:
    """Whitespace-token n-grams of every text; a text shorter than n tokens is one gram."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    for text in texts:
        tokens = text.split()
        if len(tokens) < n:
            yield tuple(tokens)
        else:
            yield from zip(*(tokens[i:] for i in range(n)))  # the n-grams, without slicing copies


def distinct_ngram_ratio(texts: Sequence[str], n: int = 4) -> float:
    """Unique n-grams over all n-grams of whitespace tokens, pooled over ``texts`` (POLARIS).

    A text shorter than ``n`` tokens counts as a single gram (its whole token tuple, possibly
    empty), so short answers still count: identical ones as duplicates, different ones as
    distinct. Returns 0.0 for an empty list.

    >>> distinct_ngram_ratio(["a b c d e", "a b c d f"])  # grams: abcd, bcde, abcd, bcdf
    0.75
    """
    unique: set[tuple[str, ...]] = set()
    total = 0
    for gram in _ngrams(texts, n):
        unique.add(gram)
        total += 1
    return len(unique) / total if total else 0.0


def windowed_distinct_ngram(texts: Sequence[str], n: int = 4, window: int = DIVERSITY_WINDOW) -> float:
    """Distinct-n over position-aligned windows: the k-th ``window`` words of every text are pooled together.

    Each pool holds at most G x ``window`` words however long the responses are, so the chance
    repeats of a long text do not pull the score down; G identical responses still score 1/G
    in every pool, and a loop inside a window still lowers it. Unique grams are summed over the
    pools and divided by all grams. Texts no longer than one window give plain distinct-n.

    >>> windowed_distinct_ngram(["a b c d e", "a b c d f"])  # one window: the plain ratio
    0.75
    >>> windowed_distinct_ngram(["a b c d e f g h"] * 2, window=4)  # identical responses: 1/G per pool
    0.5
    """
    if window < n:
        raise ValueError(f"diversity window ({window}) must be at least n ({n})")
    tokenized = [text.split() for text in texts]
    longest = max((len(tokens) for tokens in tokenized), default=0)
    unique = total = 0
    for start in range(0, max(longest, 1), window):
        pieces = [tokens[start : start + window] for tokens in tokenized]
        grams = list(_ngrams([" ".join(p) for p in pieces if p or start == 0], n))
        unique += len(set(grams))
        total += len(grams)
    return unique / total if total else 0.0


def normalize_code(text: str) -> str:
    """The code of a response with comments removed and whitespace collapsed to single spaces.

    Code means the contents of the fenced blocks (all of them, in order; an unterminated last
    fence counts, since truncated responses are common); a response without a fence is taken
    as code as-is. Comments are found with Python's tokenizer, so a ``#`` inside a string
    survives; code the tokenizer cannot finish (truncated, not Python) keeps the comments it
    had not reached yet.
    """
    blocks = _FENCE.findall(text)
    code = "\n".join(blocks) if blocks else text
    comments: list[tuple[int, int]] = []  # (1-based row, col) where a comment starts
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                comments.append(tok.start)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    lines = code.split("\n")
    for row, col in comments:
        lines[row - 1] = lines[row - 1][:col]
    return " ".join(" ".join(lines).split())


def code_tokens(text: str, max_tokens: int = 512) -> list[str]:
    """The first ``max_tokens`` lexical tokens (identifiers, numbers, single symbols) of the code."""
    return _LEXICAL_TOKEN.findall(normalize_code(text))[:max_tokens]


def normalized_edit_distance(a: Sequence, b: Sequence) -> float:
    """Levenshtein distance between two sequences divided by the longer length (0.0 if both empty).

    Row-by-row dynamic programme in NumPy: the insertion chain within a row is a running
    minimum of ``row - j`` plus ``j``, so each row is a handful of vector operations.
    """
    if not a and not b:
        return 0.0
    if not a or not b:
        return 1.0
    vocab: dict = {}
    xa = np.array([vocab.setdefault(t, len(vocab)) for t in a], dtype=np.int64)
    xb = np.array([vocab.setdefault(t, len(vocab)) for t in b], dtype=np.int64)
    ramp = np.arange(len(xb) + 1, dtype=np.int64)
    prev = ramp.copy()
    for i, token in enumerate(xa, start=1):
        cur = np.empty_like(prev)
        cur[0] = i
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (xb != token))
        prev = np.minimum.accumulate(cur - ramp) + ramp
    return float(prev[-1]) / max(len(xa), len(xb))


def pairwise_edit_diversity(
    texts: Sequence[str], max_tokens: int = 512, max_pairs: int = 32, seed: int = 0
) -> float:
    """Mean normalised edit distance over pairs of responses' code tokens.

    Cost is bounded: programs are cut to ``max_tokens`` tokens and at most ``max_pairs`` pairs
    are compared, drawn with a fixed ``seed`` so the same texts always give the same score.
    Fewer than two texts have no pairs and score 0.0.
    """
    programs = [code_tokens(t, max_tokens) for t in texts]
    pairs = list(itertools.combinations(range(len(programs)), 2))
    if not pairs:
        return 0.0
    if len(pairs) > max_pairs:
        pairs = sorted(random.Random(seed).sample(pairs, max_pairs))
    return sum(normalized_edit_distance(programs[i], programs[j]) for i, j in pairs) / len(pairs)


def group_diversity(texts: Sequence[str], metric: DiversityMetric = "windowed_distinct") -> float:
    """Diversity in [0, 1] of one prompt's G responses with the named metric (defaults above)."""
    if not texts:
        raise ValueError("group_diversity needs at least one response")
    if metric == "windowed_distinct":
        return windowed_distinct_ngram(texts)
    if metric == "distinct_ngram":
        return distinct_ngram_ratio(texts)
    if metric == "edit_distance":
        return pairwise_edit_diversity(texts)
    raise ValueError(f"unknown diversity metric {metric!r}; choose one of {DIVERSITY_METRICS}")


def mean_group_diversity(
    texts: Sequence[str], group_size: int, metric: DiversityMetric = "windowed_distinct"
) -> float:
    """Average `group_diversity` over consecutive groups of ``group_size`` responses.

    TRL lays out a generation batch as the G responses of prompt 0, then of prompt 1, ...;
    this is the per-step "diversity" the paper plots (one value per step, mean over prompts).
    """
    if group_size < 1 or len(texts) % group_size:
        raise ValueError(f"{len(texts)} responses do not split into groups of {group_size}")
    groups = [texts[i : i + group_size] for i in range(0, len(texts), group_size)]
    if not groups:
        raise ValueError("mean_group_diversity needs at least one group")
    return sum(group_diversity(g, metric) for g in groups) / len(groups)
