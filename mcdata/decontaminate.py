"""Stage 2c, decontaminate: remove problems that could leak the evaluation window into training.

Contamination is relative to a window: a model evaluated on LiveCodeBench problems from 2024-08
onwards may train on LCB problems from 2023 (DeepCoder's training split is exactly that). So the
reference (LiveCodeBench rows) is first cut to the problems inside `--eval-window` plus the undated
ones, and three rules run against that cut, each reported with its evidence:

1. Date: a problem whose own `contest_date` falls inside the window is dropped.
2. Identifier: a problem carrying the platform id of a reference problem (LeetCode slug, AtCoder
   task id, Codeforces contest+index; `mcdata.identifiers`) is dropped. This catches a judge's own
   rewordings, which text matching misses.
3. Text: a problem sharing long word n-grams (default n=10 content words: numbers and one-letter
   words, i.e. sample data and variable names, are skipped) with a reference statement is dropped
   when it covers at least `min_coverage` of that statement's n-grams. A single shared n-gram is
   weak evidence on competitive-programming text (Codeforces boilerplate is shared by thousands of
   unrelated problems); on the real samples copies cover 0.94-1.0 and the most boilerplate-heavy
   unrelated problems at most 0.08, hence the default 0.25. `min_coverage=0` gives open-r1's "any
   shared n-gram" rule. n-grams found in more than `max_reference_statements` statements are ignored.

The reference is read from files/folders of LCB rows (code_generation_lite `question_content`
rows, LCB submission files, SandboxFusion's repack, the shipped statement and id files) or a Hub
id; rows without a statement (the shipped release_v6 id list) serve rules 2 and the date facts.
`report.notes["decontaminate"]` records which reference, how many of its problems were in the
window and their date range, so the card can say what the build was checked against.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from mccore.schema import Problem
from mcdata.adapters.base import RowError, loads_lenient
from mcdata.identifiers import problem_keys, reference_keys
from mcdata.io import RowReadError, iter_rows
from mcdata.report import BuildReport
from mcdata.text import match_words, ngram_hashes
from mcdata.window import EvalWindow, parse_date

STAGE = "decontaminate"
_QUESTION = re.compile(r"### Question:\s*\n(.*?)\n+### (?:Format|Answer):", re.S)


@dataclass
class DecontamConfig:
    """> Parameters of the decontaminate stage.

    against: LiveCodeBench references (files, folders or Hub ids); empty turns rules 2 and 3 off.
    window_start / window_end: the evaluation window, dates, end exclusive (None: open). The default
        start, 2024-08-01, is the start of the LCB test window used by DeepCoder and Skywork-OR1 and
        precedes LCB v6 (2025-01..2025-04) — see reference-datasets.md §2.3. Both None: no window
        (the date rule is off and every reference problem is matched).
    ngram: content words per n-gram for the text rule.
    min_coverage: share of one reference statement's n-grams a problem must contain to be a copy
        (0: any single shared n-gram).
    max_reference_statements: ignore n-grams found in more than this many reference statements.
    match_ids: also match platform identifiers (rule 2).
    """

    against: tuple[str, ...] | list[str] | str | None = ()
    window_start: str | None = "2024-08-01"
    window_end: str | None = None
    ngram: int = 10
    min_coverage: float = 0.25
    max_reference_statements: int = 1
    match_ids: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.against, str):
            self.against = (self.against,)
        self.against = tuple(self.against or ())
        self.window  # validates the dates now
        if self.ngram < 1:
            raise ValueError(f"ngram must be >= 1, got {self.ngram}")
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"min_coverage must be in [0, 1], got {self.min_coverage}")

    @property
    def window(self) -> EvalWindow:
        return EvalWindow.of(self.window_start, self.window_end)


@dataclass
class LcbReference:
    """The reference problems inside the window: hashed statement n-grams as sorted numpy arrays for
    vectorised lookups, and platform ids.

    `keys[i]` is an n-gram hash found in the statement `question_ids[owners[i]]`; `totals[q]` is
    how many (kept) n-grams statement q has, the denominator of coverage.
    """

    keys: np.ndarray
    owners: np.ndarray
    totals: np.ndarray
    question_ids: list[str]
    ids: dict[str, str] = field(default_factory=dict)  # platform key -> question id
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def num_statements(self) -> int:
        return len(self.question_ids)


@dataclass
class _RefRow:
    qid: str
    date: datetime | None
    statement: str | None
    keys: set[str]


def _statement_of(row: dict) -> tuple[str, str | None]:
    if row.get("question_content"):
        return str(row.get("question_id") or ""), row["question_content"]
    if row.get("content"):
        m = _QUESTION.search(row["content"])
        labels = loads_lenient(row.get("labels") or "{}", "labels")
        qid = str(labels.get("task_id") or row.get("id") or "").rpartition("/")[2] if isinstance(labels, dict) else ""
        return qid, m.group(1) if m else row["content"]
    if row.get("question_id") and row.get("platform"):
        return str(row["question_id"]), None  # an id/date row without a statement
    raise RowError("question_content", "no statement and no question_id/platform in this row")


def _reference_rows(location: str) -> Iterator[_RefRow | None]:
    for where, row in iter_rows(location, format="lcb"):
        if isinstance(row, RowReadError):
            yield None
            continue
        try:
            qid, statement = _statement_of(row)
            date = parse_date(row.get("contest_date"), f"{location} row {where.row}")
        except (RowError, ValueError):
            yield None
            continue
        if not statement and not qid:
            yield None
            continue
        labels = loads_lenient(row.get("labels") or "{}", "labels") if row.get("labels") else {}
        platform = row.get("platform") or (str(labels.get("task_id", "")).partition("/")[0] if isinstance(labels, dict) else "")
        keys = reference_keys({**row, "platform": platform, "question_id": qid})
        yield _RefRow(qid or f"row{where.row}", date, statement, keys)


def content_words(text: str) -> list[str]:
    """Match words without numbers and one-letter words (sample data, variable names)."""
    return [w for w in match_words(text) if len(w) > 1 and not w.isdigit()]


def load_lcb_reference(
    locations: Iterable[str] | str, n: int, max_statements: int = 1, window: EvalWindow = EvalWindow()
) -> LcbReference:
    """Read the reference once, keeping problems inside `window` and undated ones; n-grams seen in
    more than `max_statements` distinct questions are dropped. The same question in several files
    (e.g. two models' submissions, or a statement file and an id list) counts once."""
    locations = [locations] if isinstance(locations, str) else list(locations)
    statements: dict[str, str] = {}
    dates: dict[str, datetime | None] = {}
    ids: dict[str, str] = {}
    rows = skipped = outside = 0
    for location in locations:
        for ref in _reference_rows(location):
            rows += 1
            if ref is None:
                skipped += 1
                continue
            dates.setdefault(ref.qid, ref.date)
            if dates[ref.qid] is not None and not window.off and not window.contains(dates[ref.qid]):
                outside += 1
                continue
            if ref.statement and ref.qid not in statements:
                statements[ref.qid] = ref.statement
            for key in ref.keys:
                ids.setdefault(key, ref.qid)
    if not dates:
        raise ValueError(f"{', '.join(locations)}: no LiveCodeBench problems found (rows need question_content or question_id/platform)")
    question_ids = list(statements)
    hashes = [ngram_hashes(content_words(statements[q]), n) for q in question_ids] or [np.empty(0, dtype=np.uint64)]
    every = np.concatenate(hashes)
    owner = np.repeat(np.arange(len(hashes)), [len(h) for h in hashes])
    keys, first, counts = np.unique(every, return_index=True, return_counts=True)
    keep = counts <= max_statements  # hashes are unique per statement, so counts = statements containing it
    keys, owners = keys[keep], owner[first[keep]]
    totals = np.bincount(owners, minlength=len(question_ids))
    known = [d for d in dates.values() if d is not None]
    in_window = [q for q, d in dates.items() if d is None or window.off or window.contains(d)]
    facts = {
        "reference_problems": len(dates),
        "reference_problems_in_window": len(in_window),
        "reference_statements_in_window": len(question_ids),
        "reference_ids_in_window": len(ids),
        "reference_rows_skipped": skipped,
        "reference_dates": [min(known).date().isoformat(), max(known).date().isoformat()] if known else None,
    }
    return LcbReference(keys, owners, totals, question_ids, ids, facts)


def lcb_overlap(statement: str, reference: LcbReference, n: int) -> tuple[str, float, str] | None:
    """(question id, coverage of its n-grams, one shared n-gram as text) of the best-matching statement."""
    words = content_words(statement)
    positions = ngram_hashes(words, n, unique=False)
    if not len(positions) or not len(reference.keys):
        return None
    idx = np.minimum(np.searchsorted(reference.keys, positions), len(reference.keys) - 1)
    found = reference.keys[idx] == positions
    if not found.any():
        return None
    owners = reference.owners[idx[found]]
    # count each distinct shared n-gram once
    distinct = np.unique(np.stack([positions[found], owners.astype(np.uint64)]), axis=1)[1].astype(np.int64)
    hits = np.bincount(distinct, minlength=len(reference.totals))
    coverage = hits / np.maximum(reference.totals, 1)
    best = int(np.argmax(coverage))
    at = int(np.flatnonzero(found)[np.flatnonzero(owners == best)[0]])
    return reference.question_ids[best], float(coverage[best]), " ".join(words[at : at + n])


def in_window(date: str | None, start: str | None, end: str | None) -> bool:
    """Whether a contest date falls in [start, end), compared as dates."""
    return EvalWindow.of(start, end).contains(date)


def decontaminate(problems: Iterable[Problem], cfg: DecontamConfig, report: BuildReport) -> Iterator[Problem]:
    window = cfg.window
    reference = (
        load_lcb_reference(cfg.against, cfg.ngram, cfg.max_reference_statements, window) if cfg.against else None
    )
    facts: dict[str, Any] = {"window": str(window), "ngram": cfg.ngram, "min_coverage": cfg.min_coverage,
                             "against": list(cfg.against)}
    if reference is not None:
        facts.update(reference.facts, lcb_ngrams=len(reference.keys))
    report.note(STAGE, **facts)
    for problem in problems:
        group = {"dup_group": problem.stats["dup_group"]} if "dup_group" in problem.stats else {}
        if window.contains(problem.contest_date):
            report.reject_problem(
                STAGE, problem, f"contest date {problem.contest_date} in evaluation window {window}",
                field="contest_date", detail={"rule": "date", **group}, kind="contest date in evaluation window",
            )
            continue
        if reference is None:
            yield problem
            continue
        if cfg.match_ids and (hit := _id_match(problem, reference)) is not None:
            key, qid = hit
            report.reject_problem(
                STAGE, problem, f"same problem as LiveCodeBench {qid} ({key}) in evaluation window {window}",
                field="problem_id", kind="identifier of a LiveCodeBench problem",
                detail={"rule": "identifier", "lcb_question_id": qid, "identifier": key, **group},
            )
            continue
        hit = lcb_overlap(problem.statement, reference, cfg.ngram)
        if hit is not None and hit[1] >= cfg.min_coverage and hit[1] > 0:
            qid, coverage, gram = hit
            report.reject_problem(
                STAGE, problem,
                f"shares {cfg.ngram}-grams with LiveCodeBench {qid} (covers {coverage:.0%} of its statement)",
                field="statement", kind="n-gram overlap with LiveCodeBench",
                detail={"rule": "ngram", "lcb_question_id": qid, "coverage": round(coverage, 4), "ngram": gram, **group},
            )
            continue
        yield problem


def _id_match(problem: Problem, reference: LcbReference) -> tuple[str, str] | None:
    for key in sorted(problem_keys(problem)):
        if key in reference.ids:
            return key, reference.ids[key]
    return None
