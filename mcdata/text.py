"""Text normalisation shared by processing, dedup and decontamination.

Two levels: `normalise_statement` only cleans what a model should not see (CR line ends,
non-breaking spaces, trailing blanks, runs of blank lines) and keeps the text readable;
`match_words` is the aggressive form used only for comparisons (lower-case, LaTeX markup and
punctuation removed), so "$n$ ≤ 10^5" and "n <= 10^5" compare the same way.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import numpy as np

_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\t\f\v]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_WORD_OR_LATEX = re.compile(r"\\[a-z]+|([0-9a-z]+)")  # LaTeX commands match with an empty group
_WORD_CODES: dict[str, int] = {}  # word -> CRC-32, memoised: vocabularies are small next to token counts
_MULT = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime, as the rolling-hash multiplier


def normalise_statement(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def match_words(text: str) -> list[str]:
    """Lower-case alphanumeric words, LaTeX commands dropped: the unit of dedup and n-gram matching."""
    text = unicodedata.normalize("NFKC", text).lower()
    return list(filter(None, _WORD_OR_LATEX.findall(text)))


def word_ngrams(words: list[str], n: int) -> set[str]:
    """The n-grams as text (for reports); texts shorter than n give one n-gram of all their words."""
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def ngram_hashes(words: list[str], n: int, *, unique: bool = True) -> np.ndarray:
    """Distinct 64-bit hashes of the word n-grams (uint64, sorted), computed with numpy.

    Each word maps to its CRC-32, and an n-gram to a polynomial rolling hash of its n word codes,
    so the values are the same in every process (unlike Python's salted `hash`) and a statement's
    n-grams are hashed in a few vector operations instead of one string join per n-gram.
    `unique=False` keeps one hash per position (hash i is the n-gram starting at word i).
    """
    if not words:
        return np.empty(0, dtype=np.uint64)
    if len(_WORD_CODES) > 1_000_000:  # bound the per-process cache
        _WORD_CODES.clear()
    for w in set(words).difference(_WORD_CODES):
        _WORD_CODES[w] = zlib.crc32(w.encode("utf-8"))
    codes = np.fromiter(map(_WORD_CODES.__getitem__, words), dtype=np.uint64, count=len(words))
    n = min(n, len(codes))
    count = len(codes) - n + 1
    h = np.zeros(count, dtype=np.uint64)
    for j in range(n):  # wrapping uint64 arithmetic is the modulus
        h = h * _MULT + codes[j : j + count]
    return np.unique(h) if unique else h
