"""Statement checks: what a problem needs from the judge, and defects the upstream text carries.

Why: a test holds ONE expected output, so problems that accept several answers ("if there are
multiple answers, print any of them", "return the answer in any order") or talk to the judge
(interactive problems) reward correct programs as wrong; they need a checker we do not have. Output
with a stated tolerance ("absolute or relative error") is fine: the evaluator's comparator applies
one. Upstream defects are recorded so they are never passed on silently: LeetCode constraints whose
superscripts were lost in scraping ("1 <= n <= 105" meaning 10^5), CodeElo statements that append
the problem's tags (a solution hint) and its limits, and statements that are not in English.

The patterns were read off the real DeepCoder/CodeElo, CodeContests and LeetCodeDataset rows in
tests/data; each is phrased as an instruction to the solver so that a story sentence ("Alice can
choose any of them") does not count.
"""

from __future__ import annotations

import re

_MULTI_ANSWER = [
    re.compile(p, re.I)
    for p in (
        r"\byou (?:may|can|are allowed to|should)\s+(?:print|output|return|give)\s+any\b",
        r"\b(?:multiple|several|many|more than one)\b[^.\n]{0,120}\byou (?:may|can)\s+(?:choose|pick)\s+any\b",
        r"(?:^|[.;:,!?]\s*|\n\s*)(?:then\s+|otherwise,?\s+)?(?:print|output|return)\s+any\b",
        r"\b(?:find|reconstruct|construct|restore)\s+any\s+(?:such|suitable|valid|correct|possible|one)\b",
        r"—\s*any\s+(?:suitable|valid|such|correct|possible)\b",
        r"\b(?:print|output|return)\b[^.\n]{0,100}\bin any order\b",
    )
]
_ANY = re.compile(r"\bany\b", re.I)
_INTERACTIVE = re.compile(r"interactive problem|^interaction[ \t]*$", re.I | re.M)
_TOLERANCE = re.compile(r"\b(?:absolute|relative)\s+(?:or\s+(?:absolute|relative)\s+)?error\b", re.I)
# "<= 105", "-109 <= x", "< 107", "<= 231 - 1": 10^k and 2^k with the caret lost (LeetCode scrapes).
_POWER_LOOKALIKE = re.compile(r"(?<![\d.^{])(?:10[2-9]|101[0-8]|2(?:31|32|63|64))(?![\d.])")
_COMPARISON_BEFORE = re.compile(r"(?:<=|≤|<)\s*-?$")
_COMPARISON_AFTER = re.compile(r"^\s*(?:<=|≤)")
_TAGS_BLOCK = re.compile(r"\n+Tags:\s*\n\s*(\[[^\]\n]*\])\s*(?=\n|$)")
_TIME_LIMIT = re.compile(r"^\s*Time Limit:\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|seconds?)\s*$", re.I | re.M)
_MEMORY_LIMIT = re.compile(r"^\s*Memory Limit:\s*(\d+(?:\.\d+)?)\s*(MB|megabytes|KB|GB)\s*$", re.I | re.M)


def judge_needs(statement: str) -> list[str]:
    """What a single-answer stdin/return-value test cannot judge: "multi_answer", "interactive"."""
    needs = []
    # every multi-answer pattern has the word "any": only the text around each one is searched
    windows = (statement[max(0, m.start() - 160): m.end() + 60] for m in _ANY.finditer(statement))
    if any(p.search(window) for window in windows for p in _MULTI_ANSWER):
        needs.append("multi_answer")
    if _INTERACTIVE.search(statement):
        needs.append("interactive")
    return needs


def has_tolerance(statement: str) -> bool:
    """The statement accepts answers within an error bound (the comparator handles this)."""
    return "error" in statement.lower() and bool(_TOLERANCE.search(statement))


def lost_superscript(statement: str) -> bool:
    """A bound such as "<= 105" or "-109 <=" (10^5, 10^9 as scraped without the caret)."""
    for m in _POWER_LOOKALIKE.finditer(statement):
        if _COMPARISON_BEFORE.search(statement[max(0, m.start() - 6): m.start()]) or _COMPARISON_AFTER.match(statement[m.end(): m.end() + 6]):
            return True
    return False


def upstream_defects(statement: str) -> list[str]:
    """Known scrape defects in the text: "lost_superscript", "tags_in_statement", "non_english"."""
    defects = []
    if lost_superscript(statement):
        defects.append("lost_superscript")
    if "Tags:" in statement and _TAGS_BLOCK.search(statement):
        defects.append("tags_in_statement")
    if not is_english(statement):
        defects.append("non_english")
    return defects


_LATIN = re.compile(r"[A-Za-z]")
_LETTER = re.compile(r"[^\W\d_]")


def is_english(statement: str) -> bool:
    """Most letters are Latin and common English function words occur (LaTeX and numbers aside); the
    first 4,000 characters decide."""
    head = statement[:4000]
    letters = len(_LETTER.findall(head))
    if not letters:
        return False
    latin = len(_LATIN.findall(head)) / letters
    words = re.findall(r"[a-z]+", head.lower())
    common = sum(w in {"the", "of", "and", "is", "a", "to", "in", "you", "given", "each"} for w in words)
    return latin >= 0.8 and common >= min(3, max(1, len(words) // 20))


def split_tags(statement: str) -> tuple[str, list[str]]:
    """Remove a CodeElo-style "Tags:\\n['dp', ...]" block (a hint about the solution); returns the
    statement without it and the tags."""
    match = _TAGS_BLOCK.search(statement) if "Tags:" in statement else None
    if not match:
        return statement, []
    tags = re.findall(r"'([^']*)'|\"([^\"]*)\"", match.group(1))
    return statement[: match.start()] + statement[match.end():], [a or b for a, b in tags]


def stated_limits(statement: str) -> tuple[float | None, int | None]:
    """Time (s) and memory (MB) limits written into the statement ("Time Limit: 1000 ms")."""
    time_s = memory_mb = None
    if m := _TIME_LIMIT.search(statement):
        time_s = float(m.group(1)) / (1000 if m.group(2).lower().startswith("m") else 1)
    if m := _MEMORY_LIMIT.search(statement):
        unit = m.group(2).upper()
        memory_mb = int(float(m.group(1)) * {"MB": 1, "MEGABYTES": 1, "KB": 1 / 1024, "GB": 1024}[unit])
    return time_s or None, memory_mb or None
