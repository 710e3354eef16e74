"""Stage 2b, dedup: find copies of the same problem, then keep the best copy.

Sources overlap heavily (TACO contains APPS and CodeContests material; DeepCoder re-packs TACO and
LCB), so one problem arrives with small edits, and sometimes reworded. But similar text is not the
same problem: a contest's easy and hard versions, or LeetCode's "…-ii" variants, share most of
their statement and differ in the constraints or the task. The tests are the evidence:

* two problems with identical or largely identical test sets (`test_threshold` Jaccard over
  (input, output) pairs) are copies, however their statements are worded;
* two problems with near-identical statements (MinHash-LSH over word shingles, `threshold`) or the
  same statement are copies;
* unless something says otherwise, for either kind: a test input with a different expected output,
  different constraint numbers, another function signature, or another declared version ("This is
  the hard version", a "-ii" title) mark different problems. Easy and hard versions often share
  their example tests, so shared tests alone do not overrule these.

Grouping happens in the clean phase (`group_duplicates`: every problem passes, copies are annotated
with `stats["dup_group"]` and the evidence). Choosing happens after verification
(`resolve_duplicates`): from each group the copy with the best verification status, then the most
tests, then the most references is kept, wherever it appeared in the input; a copy that verification
dropped does not compete, so the next copy takes its place. A group with any copy removed by
decontamination is removed whole. Memory: per problem a 32-bit MinHash signature (512 B), a
bottom-k sample of its test hashes and the test hashes themselves (8 B per test).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from mccore.schema import Problem
from mcdata.parallel import chunked, ordered_map
from mcdata.report import BuildReport
from mcdata.text import match_words, ngram_hashes

STAGE = "dedup"
_SEED = 1
_SAMPLE = 8  # bottom-k test hashes per problem in the candidate index
_SENTENCE_END = re.compile(r"[.\n]")
_CONSTRAINT = re.compile(r"<=|≤|\\le|<|at most|not exceed|up to", re.I)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_VERSION = re.compile(r"\b(easy|easier|simple|medium|hard|harder|extreme)\s+version\b", re.I)
_ROMAN_SUFFIX = re.compile(r"[-_ ](i{1,3}|iv|v|vi{0,3})$", re.I)


@dataclass
class DedupConfig:
    """> Parameters of the dedup stage.

    near: also match near-duplicate statements (MinHash LSH); exact statements always match.
    threshold: Jaccard similarity of statement shingles above which two statements are near copies
        (0.7-0.85 is common practice); a near copy with conflicting tests, other constraints or
        another function signature is kept as a different problem.
    test_threshold: Jaccard similarity of test sets above which two problems are copies whatever
        their statements say (needs `min_shared_test_bytes` of shared tests, so one trivial shared
        example like "1" -> "1" proves nothing).
    num_perm: MinHash permutations (accuracy vs. memory/time).
    shingle_words: words per shingle.
    workers: processes computing signatures (1: in this process).
    """

    near: bool = True
    threshold: float = 0.8
    test_threshold: float = 0.8
    min_shared_test_bytes: int = 32
    num_perm: int = 128
    shingle_words: int = 5
    workers: int = 1
    chunk_size: int = 512

    def __post_init__(self) -> None:
        for name in ("threshold", "test_threshold"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")


def exact_key(statement: str) -> str:
    return hashlib.sha1(" ".join(match_words(statement)).encode("utf-8")).hexdigest()


def _prehashed(value: int) -> int:
    """MinHash `hashfunc` for shingles that are already 32-bit hashes."""
    return value


def signatures(statements: list[str], num_perm: int, shingle_words: int) -> np.ndarray:
    """MinHash hash values, one row per statement (uint32; runs in worker processes).

    Shingles are hashed with numpy (`mcdata.text.ngram_hashes`, folded to 32 bits) and handed to
    datasketch's `MinHash.update_batch`, which applies its permutations; this avoids one SHA-1 call
    per shingle, the bulk of the cost with datasketch's default hash.
    """
    template = MinHash(num_perm, seed=_SEED)
    out = np.empty((len(statements), num_perm), dtype=np.uint32)
    for row, text in enumerate(statements):
        m = MinHash(num_perm, seed=_SEED, hashfunc=_prehashed, permutations=template.permutations, scheme=template.scheme)
        h = ngram_hashes(match_words(text), shingle_words)
        if len(h):
            m.update_batch(((h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).tolist())
        out[row] = m.hashvalues
    return out


def _statements(chunk: list[Problem], num_perm: int, shingle_words: int) -> np.ndarray:
    return signatures([p.statement for p in chunk], num_perm, shingle_words)


def lsh_index(threshold: float, num_perm: int) -> MinHashLSH:
    """datasketch picks bands/rows for the threshold; above ~0.95 it finds no split with >= 2 bands,
    so two bands are used (candidates are confirmed by the estimated Jaccard anyway)."""
    try:
        return MinHashLSH(threshold=threshold, num_perm=num_perm)
    except ValueError:
        return MinHashLSH(num_perm=num_perm, params=(2, num_perm // 2))


# ------------------------------------------------------------------------------------- evidence
def _norm(text: str) -> bytes:
    """Whitespace-insensitive form of a test value (copies re-wrap lines and trailing spaces)."""
    return " ".join(text.split()).encode("utf-8")


def _h(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


@dataclass
class Fingerprint:
    """What dedup remembers of a problem: its test hashes (input -> output), their sizes, its
    constraint numbers and its function signature."""

    key: str
    group: str
    tests: dict[int, int]  # input hash -> output hash
    pairs: np.ndarray  # sorted hashes of (input, output)
    pair_bytes: dict[int, int]
    constraints: frozenset[str]
    signature: tuple[str | None, int]
    variant: str | None  # "easy"/"hard" version, or a title's roman-numeral suffix ("-ii")


def constraint_numbers(statement: str) -> frozenset[str]:
    """Numbers in the constraint sentences ("1 <= n <= 2·10^5"): easy/hard versions differ here."""
    return frozenset(n for sentence in _SENTENCE_END.split(statement) if _CONSTRAINT.search(sentence)
                     for n in _NUMBER.findall(sentence))


def variant_of(problem: Problem) -> str | None:
    """The version a statement declares ("This is the hard version"), or a LeetCode-style "-ii" title."""
    if m := _VERSION.search(problem.statement[:400]):
        return m.group(1).lower()
    if m := _ROMAN_SUFFIX.search(problem.title.strip()):
        return m.group(1).lower()
    return None


def fingerprint(problem: Problem, key: str) -> Fingerprint:
    tests: dict[int, int] = {}
    pair_bytes: dict[int, int] = {}
    for t in problem.tests:
        i, o = _norm(t.input), _norm(t.output)
        tests[_h(i)] = _h(o)
        pair_bytes[_h(i + b"\x00" + o)] = len(i) + len(o)
    args = len(problem.tests[0].input.split("\n")) if problem.is_functional and problem.tests else 0
    return Fingerprint(
        key, key, tests, np.array(sorted(pair_bytes), dtype=np.uint64), pair_bytes,
        constraint_numbers(problem.statement), (problem.func_name, args), variant_of(problem),
    )


def tests_conflict(a: Fingerprint, b: Fingerprint) -> bool:
    """Some input has a different expected output in the two problems: different problems."""
    small, large = (a.tests, b.tests) if len(a.tests) <= len(b.tests) else (b.tests, a.tests)
    return any(i in large and large[i] != o for i, o in small.items())


def test_similarity(a: Fingerprint, b: Fingerprint) -> tuple[float, int]:
    """Jaccard of the (input, output) sets and the bytes the shared tests hold."""
    shared = np.intersect1d(a.pairs, b.pairs, assume_unique=True)
    union = len(a.pairs) + len(b.pairs) - len(shared)
    return (len(shared) / union if union else 0.0), sum(a.pair_bytes[int(h)] for h in shared)


def differs(a: Fingerprint, b: Fingerprint) -> str | None:
    """Why two similar problems are still different ones (None: nothing says so)."""
    if a.variant != b.variant and (a.variant or b.variant):
        return "another version of the problem"
    if a.signature != b.signature:
        return "different function signature"
    if tests_conflict(a, b):
        return "a test input with a different expected output"
    if a.constraints and b.constraints and a.constraints != b.constraints:
        return "different constraints"
    return None


class DuplicateIndex:
    """Every problem seen so far, findable by exact statement, near statement (LSH) and shared tests."""

    def __init__(self, cfg: DedupConfig) -> None:
        self.cfg = cfg
        self.exact: dict[str, list[str]] = {}
        self.lsh = lsh_index(cfg.threshold, cfg.num_perm) if cfg.near else None
        self.scheme = MinHash(cfg.num_perm, seed=_SEED).scheme
        self.sigs: dict[str, LeanMinHash] = {}
        self.by_test: dict[int, list[str]] = {}
        self.prints: dict[str, Fingerprint] = {}

    def find(self, fp: Fingerprint, digest: str, hashvalues: np.ndarray | None) -> tuple[str, str] | None:
        """(group, evidence) of the copy this problem is, or None; then remembers the problem."""
        found = self._match(fp, digest, hashvalues)
        if found is not None:
            fp.group = self.prints[found[0]].group
        self._add(fp, digest, hashvalues)
        return (fp.group, found[1]) if found is not None else None

    def _match(self, fp: Fingerprint, digest: str, hashvalues: np.ndarray | None) -> tuple[str, str] | None:
        candidates: list[tuple[float, str, str]] = []  # (strength, key, evidence)
        for other in self._test_candidates(fp):
            similarity, shared_bytes = test_similarity(fp, self.prints[other])
            if similarity >= self.cfg.test_threshold and shared_bytes >= self.cfg.min_shared_test_bytes:
                candidates.append((2.0 + similarity, other, f"same tests (Jaccard {similarity:.2f})"))
        for other in self.exact.get(digest, []):
            candidates.append((2.0, other, "same statement"))
        if self.lsh is not None and hashvalues is not None:
            sig = LeanMinHash(seed=_SEED, hashvalues=hashvalues, scheme=self.scheme)
            for other in self.lsh.query(sig):
                similarity = sig.jaccard(self.sigs[other])
                if similarity >= self.cfg.threshold:
                    candidates.append((similarity, other, f"near statement (Jaccard ~{similarity:.2f})"))
        for strength, other, evidence in sorted(candidates, key=lambda c: (-c[0], c[1])):
            if differs(fp, self.prints[other]) is None:
                return other, evidence
        return None

    def _test_candidates(self, fp: Fingerprint) -> list[str]:
        seen: dict[str, None] = {}
        for h in fp.pairs[:_SAMPLE].tolist():
            for other in self.by_test.get(h, ()):
                seen.setdefault(other)
        return list(seen)

    def _add(self, fp: Fingerprint, digest: str, hashvalues: np.ndarray | None) -> None:
        self.prints[fp.key] = fp
        self.exact.setdefault(digest, []).append(fp.key)
        for h in fp.pairs[:_SAMPLE].tolist():
            self.by_test.setdefault(h, []).append(fp.key)
        if self.lsh is not None and hashvalues is not None:
            sig = LeanMinHash(seed=_SEED, hashvalues=hashvalues, scheme=self.scheme)
            self.lsh.insert(fp.key, sig, check_duplication=False)
            self.sigs[fp.key] = sig


def problem_key(problem: Problem) -> str:
    return f"{problem.source}/{problem.problem_id}"


def group_duplicates(problems: Iterable[Problem], cfg: DedupConfig, report: BuildReport) -> Iterator[Problem]:
    """Annotate copies (`stats["dup_group"]` = the key of the group's first problem, `dup_evidence`);
    nothing is removed here (see `resolve_duplicates`)."""
    index = DuplicateIndex(cfg)
    sign = partial(_statements, num_perm=cfg.num_perm, shingle_words=cfg.shingle_words)
    if cfg.near:
        batches = ordered_map(sign, chunked(problems, cfg.chunk_size), cfg.workers)
    else:
        batches = ((chunk, None) for chunk in chunked(problems, cfg.chunk_size))
    groups = copies = 0
    for chunk, sigs in batches:
        for row, problem in enumerate(chunk):
            key = problem_key(problem)
            found = index.find(fingerprint(problem, key), exact_key(problem.statement), None if sigs is None else sigs[row])
            if found is None:
                groups += 1
                yield problem
                continue
            copies += 1
            group, evidence = found
            yield problem.with_(stats={**problem.stats, "dup_group": group, "dup_evidence": evidence})
    report.note(STAGE, groups=groups, copies_found=copies)


# ------------------------------------------------------------------------------------ choosing
_STATUS_RANK = {"verified": 3, "single_reference": 2, "unverified": 1}


def group_of(problem: Problem) -> str:
    return str(problem.stats.get("dup_group") or problem_key(problem))


def quality(problem: Problem) -> tuple[int, int, int]:
    """Which copy to keep: the best verification status, then the most tests, then the most references."""
    return (_STATUS_RANK.get(str(problem.stats.get("verify_status")), 0), len(problem.tests), len(problem.solutions))


@dataclass(frozen=True)
class Choice:
    """The copy kept for each group (by problem key), the evidence that joined each group, and the
    groups removed whole."""

    winners: dict[str, str]
    evidence: dict[str, str]
    contaminated: dict[str, str]


def choose_copies(problems: Iterable[Problem], contaminated_groups: dict[str, str]) -> Choice:
    """First pass over the survivors of the earlier stages: the best copy of every group, earliest on ties."""
    best: dict[str, tuple[tuple[int, int, int], int, str]] = {}
    evidence: dict[str, str] = {}
    for order, problem in enumerate(problems):
        group, rank = group_of(problem), quality(problem)
        if "dup_evidence" in problem.stats:
            evidence.setdefault(group, str(problem.stats["dup_evidence"]))
        if group not in best or (rank, -order) > (best[group][0], -best[group][1]):
            best[group] = (rank, order, problem_key(problem))
    return Choice({g: key for g, (_, _, key) in best.items()}, evidence, dict(contaminated_groups))


def resolve_duplicates(problems: Iterable[Problem], choice: Choice, report: BuildReport) -> Iterator[Problem]:
    """Second pass: keep each group's chosen copy; every other copy is recorded with the one kept."""
    for problem in problems:
        group = group_of(problem)
        key = problem_key(problem)
        if group in choice.contaminated:
            report.reject_problem(
                STAGE, problem, f"copy of {choice.contaminated[group]}, which decontamination removed",
                detail={"duplicate_of": choice.contaminated[group]}, kind="copy of a contaminated problem",
            )
            continue
        winner = choice.winners.get(group, key)
        if winner == key:
            stats = {k: v for k, v in problem.stats.items() if k not in ("dup_group", "dup_evidence")}
            yield problem.with_(stats=stats) if stats != problem.stats else problem
            continue
        evidence = problem.stats.get("dup_evidence") or choice.evidence.get(group, "same group")
        report.reject_problem(
            STAGE, problem, f"copy of {winner} ({evidence}); the kept copy has the better status/more tests/references",
            detail={"duplicate_of": winner, "evidence": evidence}, kind=f"duplicate ({str(evidence).split(' (')[0]})",
        )


def dedup(problems: Iterable[Problem], cfg: DedupConfig, report: BuildReport) -> Iterator[Problem]:
    """Group and choose in one go, for a stream that fits in memory (tests, small builds); the pipeline
    runs the two halves in different phases so that verification can drop a copy in between."""
    grouped = list(group_duplicates(problems, cfg, report))
    yield from resolve_duplicates(grouped, choose_copies(grouped, {}), report)

