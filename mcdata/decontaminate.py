"""Stage 2c, decontaminate: remove problems that could leak LiveCodeBench into training.

Two independent rules, each reported with its evidence:
1. Date: a problem whose `contest_date` falls inside the evaluation window [start, end) is
   dropped (LiveCodeBench's own guarantee is temporal: problems released after a model's cutoff).
   Undated problems are left to rule 2.
2. Text: a problem sharing long word n-grams (default n=10 content words: numbers and
   one-letter words, i.e. sample data and variable names, are skipped) with a LiveCodeBench
   statement is dropped; the matched question id, an n-gram and the overlap are recorded.
   A single shared n-gram is weak evidence on competitive-programming text: Codeforces
   boilerplate ("it is guaranteed that the sum of n over all test cases does not exceed ...")
   is shared by thousands of unrelated problems. So a problem counts as a copy when it covers at
   least `min_coverage` of one LCB statement's n-grams. On the real samples copies of LCB
   statements cover 0.94-1.0 and the most boilerplate-heavy unrelated Codeforces problems
   cover at most 0.08, hence the default 0.25. `min_coverage=0` gives the plain "any shared
   n-gram" rule of open-r1's decontaminate.py. n-grams that occur in more than
   `max_reference_statements` LCB statements are boilerplate and ignored in both modes.

The reference is read from a folder/file of LCB rows (code_generation_lite `question_content`
rows, LCB submission files, or SandboxFusion's repack) or a Hub id, statements and dates only —
test cases are not needed, so files without them (e.g. published submissions) also serve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from typing import Iterable, Iterator

from mcdata.adapters.base import RowError, iso_date, loads_lenient
from mcdata.io import RowReadError, iter_rows
from mcdata.report import BuildReport
from mcdata.schema import Problem
from mcdata.text import match_words, ngram_hashes

STAGE = "decontaminate"
_QUESTION = re.compile(r"### Question:\s*\n(.*?)\n+### (?:Format|Answer):", re.S)


@dataclass
class DecontamConfig:
    """> Parameters of the decontaminate stage.

    against: LiveCodeBench rows to match statements against (folder, file or Hub id); None
        skips the text rule.
    window_start / window_end: the evaluation window, ISO dates, end exclusive (None: open).
        The default start, 2024-08-01, is the start of the LCB test window used by DeepCoder and
        Skywork-OR1, and precedes LCB v6 (2025-01..2025-04) — see reference-datasets.md §2.3.
        Set window_start to None to turn the date rule off.
    ngram: content words per n-gram for the text rule.
    min_coverage: share of one LCB statement's n-grams a problem must contain to be a copy
        (0: any single shared n-gram).
    max_reference_statements: ignore n-grams found in more than this many LCB statements.
    """

    against: str | None = None
    window_start: str | None = "2024-08-01"
    window_end: str | None = None
    ngram: int = 10
    min_coverage: float = 0.25
    max_reference_statements: int = 1


@dataclass
class LcbReference:
    """Hashed n-grams of LiveCodeBench statements, as sorted numpy arrays for vectorised lookups.

    `keys[i]` is an n-gram hash found in the statement `question_ids[owners[i]]`; `totals[q]` is
    how many (kept) n-grams statement q has, the denominator of coverage.
    """

    keys: np.ndarray
    owners: np.ndarray
    totals: np.ndarray
    question_ids: list[str]
    num_statements: int = 0
    skipped_rows: int = 0


def _statement_of(row: dict) -> tuple[str, str]:
    if row.get("question_content"):
        return str(row.get("question_id") or ""), row["question_content"]
    if row.get("content"):
        m = _QUESTION.search(row["content"])
        labels = loads_lenient(row.get("labels") or "{}", "labels")
        qid = str(labels.get("task_id") or row.get("id") or "").rpartition("/")[2] if isinstance(labels, dict) else ""
        return qid, m.group(1) if m else row["content"]
    raise RowError("question_content", "no statement in this row")


def content_words(text: str) -> list[str]:
    """Match words without numbers and one-letter words (sample data, variable names)."""
    return [w for w in match_words(text) if len(w) > 1 and not w.isdigit()]


def load_lcb_reference(location: str, n: int, max_statements: int = 1) -> LcbReference:
    """Read LCB statements once; n-grams seen in more than `max_statements` distinct questions are dropped."""
    question_ids: list[str] = []
    hashes: list[np.ndarray] = []
    skipped = 0
    for where, row in iter_rows(location):
        if isinstance(row, RowReadError):
            skipped += 1
            continue
        try:
            qid, statement = _statement_of(row)
        except RowError:
            skipped += 1
            continue
        qid = qid or f"row{where.row}"
        if qid in question_ids:  # the same question in several files (e.g. two models' submissions)
            continue
        question_ids.append(qid)
        hashes.append(ngram_hashes(content_words(statement), n))
    if not question_ids:
        raise ValueError(f"{location}: no LiveCodeBench statements found (rows need question_content)")
    every = np.concatenate(hashes)
    owner = np.repeat(np.arange(len(hashes)), [len(h) for h in hashes])
    keys, first, counts = np.unique(every, return_index=True, return_counts=True)
    keep = counts <= max_statements  # hashes are unique per statement, so counts = statements containing it
    keys, owners = keys[keep], owner[first[keep]]
    totals = np.bincount(owners, minlength=len(question_ids))
    return LcbReference(keys, owners, totals, question_ids, len(question_ids), skipped)


def lcb_overlap(statement: str, reference: LcbReference, n: int) -> tuple[str, float, str] | None:
    """(question id, coverage of its n-grams, one shared n-gram as text) of the best-matching LCB statement."""
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
    if not date or not start:
        return False
    return date >= (iso_date(start) or "") and (end is None or date < (iso_date(end) or ""))


def decontaminate(problems: Iterable[Problem], cfg: DecontamConfig, report: BuildReport) -> Iterator[Problem]:
    reference = load_lcb_reference(cfg.against, cfg.ngram, cfg.max_reference_statements) if cfg.against else None
    facts = {"window_start": cfg.window_start, "window_end": cfg.window_end, "ngram": cfg.ngram, "min_coverage": cfg.min_coverage}
    if reference is not None:
        facts.update(
            against=cfg.against, lcb_statements=reference.num_statements, lcb_rows_skipped=reference.skipped_rows,
            lcb_ngrams=len(reference.keys),
        )
    report.note(STAGE, **facts)
    window = f"[{cfg.window_start}, {cfg.window_end or 'open'})"
    for problem in problems:
        if in_window(problem.contest_date, cfg.window_start, cfg.window_end):
            report.reject_problem(
                STAGE, problem, f"contest date {problem.contest_date} in evaluation window {window}",
                field="contest_date", detail={"rule": "date"}, kind="contest date in evaluation window",
            )
            continue
        if reference is not None:
            hit = lcb_overlap(problem.statement, reference, cfg.ngram)
            if hit is not None and hit[1] >= cfg.min_coverage and hit[1] > 0:
                qid, coverage, gram = hit
                report.reject_problem(
                    STAGE, problem,
                    f"shares {cfg.ngram}-grams with LiveCodeBench {qid} (covers {coverage:.0%} of its statement)",
                    field="statement", kind="n-gram overlap with LiveCodeBench",
                    detail={"rule": "ngram", "lcb_question_id": qid, "coverage": round(coverage, 4), "ngram": gram},
                )
                continue
        yield problem
