"""Predicted difficulty: an LLM judge scores each problem on five weighted dimensions.

The MicroCoder dataset paper scores problems with an LLM on "five weighted dimensions (e.g. Algorithmic
Thinking, Implementation)" but does not publish the other three names, the weights or the prompt. Our
choice, documented here and in the README, covers what makes a contest problem hard for a model:

====================  ======  =============================================================
dimension             weight  what a high score means
====================  ======  =============================================================
algorithmic_thinking  0.30    needs a non-obvious insight or a combination of techniques
mathematical_depth    0.20    needs number theory, combinatorics, probability, geometry, proofs
data_structures       0.15    needs advanced structures (segment trees, DSU, tries, ...)
implementation        0.20    long, intricate, edge-case-heavy code
constraints           0.15    tight limits: the naive approach is far too slow or large
====================  ======  =============================================================

The judge answers with a JSON object of integer scores 1-10; the weighted mean is mapped to a
difficulty score in [0, 1] (0 = trivial, 1 = hardest). The parser accepts the usual ways models
deviate (reasoning before the answer, ``<think>`` blocks, code fences, "7/10", keys with spaces or
capitals, a "Name: score" list) and raises `JudgeParseError` for anything else, so a garbled answer is
recorded as unparseable, never guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Sequence

from mcdata.schema import Problem


@dataclass(frozen=True)
class Dimension:
    name: str
    weight: float
    rubric: str


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("algorithmic_thinking", 0.30, "how deep and non-obvious the key algorithmic insight is"),
    Dimension("mathematical_depth", 0.20, "how much mathematics (number theory, combinatorics, probability, geometry, proof) is needed"),
    Dimension("data_structures", 0.15, "how advanced the data structures required are"),
    Dimension("implementation", 0.20, "how long, intricate and edge-case-heavy a correct implementation is"),
    Dimension("constraints", 0.15, "how tight the limits are: how far the naive approach is from fast enough"),
)
SCORE_MIN, SCORE_MAX = 1, 10
MAX_STATEMENT_CHARS = 8000

JUDGE_SYSTEM = (
    "You are an experienced competitive programming coach. You rate how hard a programming problem is "
    "for a strong programmer, without solving it."
)


class JudgeParseError(ValueError):
    """The judge's answer does not contain a score for every dimension."""


def build_judge_messages(problem: Problem, dimensions: Sequence[Dimension] = DIMENSIONS) -> list[dict[str, str]]:
    """The chat prompt asking for one integer score per dimension as a JSON object."""
    statement = problem.statement
    if len(statement) > MAX_STATEMENT_CHARS:
        statement = statement[:MAX_STATEMENT_CHARS] + "\n[... statement truncated ...]"
    kind = "function completion (LeetCode style)" if problem.is_functional else "stdin/stdout program"
    rubric = "\n".join(f"- {d.name}: {d.rubric}" for d in dimensions)
    example = json.dumps({d.name: 5 for d in dimensions})
    user = (
        f"### Problem ({kind})\n{statement}\n\n"
        f"### Task\nRate this problem on each dimension from {SCORE_MIN} (trivial) to {SCORE_MAX} (hardest "
        f"contest level):\n{rubric}\n\n"
        f"Answer with only a JSON object with integer scores, like:\n{example}"
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def _number(value: Any) -> float | None:
    """7, 7.5, "7", "7/10" -> 7.0 ...; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:/\s*10)?\s*", value)
        return float(match.group(1)) if match else None
    return None


def _json_objects(text: str) -> list[dict]:
    """Every JSON object that starts at some '{' in the text (nested ones included)."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"\{", text):
        try:
            obj, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            found.append(obj)
    return found


def _from_mapping(obj: dict, dimensions: Sequence[Dimension]) -> dict[str, float] | None:
    by_key = {_key(str(k)): v for k, v in obj.items()}
    scores = {d.name: _number(by_key.get(_key(d.name))) for d in dimensions}
    return scores if all(v is not None for v in scores.values()) else None  # type: ignore[return-value]


def _from_lines(text: str, dimensions: Sequence[Dimension]) -> dict[str, float] | None:
    """'Algorithmic Thinking: 7', '**implementation** - 6/10' ...; the last mention of each dimension wins."""
    scores: dict[str, float] = {}
    for d in dimensions:
        words = r"[\s_\-]*".join(map(re.escape, d.name.split("_")))
        pattern = rf"{words}\W{{0,6}}?\s*[:=\-]?\s*\**\s*(\d+(?:\.\d+)?)\s*(?:/\s*10)?"
        hits = re.findall(pattern, text, flags=re.IGNORECASE)
        if not hits:
            return None
        scores[d.name] = float(hits[-1])
    return scores


def parse_judge_scores(text: str, dimensions: Sequence[Dimension] = DIMENSIONS) -> dict[str, float]:
    """The judge's per-dimension scores from its answer; raises JudgeParseError when any is missing or
    outside [1, 10]. The last complete JSON object wins (models often restate the answer at the end)."""
    if not isinstance(text, str) or not text.strip():
        raise JudgeParseError("empty answer")
    answer = re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)
    answer = answer.split("</think>")[-1]  # an unclosed reasoning block before the answer
    scores = None
    for obj in reversed(_json_objects(answer)):
        scores = _from_mapping(obj, dimensions)
        if scores is not None:
            break
    if scores is None:
        scores = _from_lines(answer, dimensions)
    if scores is None:
        raise JudgeParseError(f"no score for every dimension ({', '.join(d.name for d in dimensions)})")
    bad = {k: v for k, v in scores.items() if not SCORE_MIN <= v <= SCORE_MAX}
    if bad:
        raise JudgeParseError(f"scores outside [{SCORE_MIN}, {SCORE_MAX}]: {bad}")
    return scores


def weighted_difficulty(scores: dict[str, float], dimensions: Sequence[Dimension] = DIMENSIONS) -> float:
    """The weighted mean of the scores mapped to [0, 1]: 0 when every score is 1, 1 when every score is 10."""
    total = sum(d.weight for d in dimensions)
    mean = sum(d.weight * scores[d.name] for d in dimensions) / total
    return (mean - SCORE_MIN) / (SCORE_MAX - SCORE_MIN)


@dataclass(frozen=True)
class JudgeScore:
    """One problem's judgement: the scores (None when unparseable), the difficulty, and why it failed."""

    scores: dict[str, float] | None
    difficulty: float | None
    error: str | None = None
    raw: str = ""

    def stats(self) -> dict[str, Any]:
        if self.scores is None:
            return {"predict_status": "unparseable", "predict_error": self.error, "predict_raw": self.raw[:300]}
        return {"predict_status": "scored", "predict_scores": self.scores, "predict_difficulty": round(self.difficulty, 6)}


def score_answers(answers: Sequence[str], dimensions: Sequence[Dimension] = DIMENSIONS) -> JudgeScore:
    """Average the parseable answers of one problem (several judge samples smooth out noise)."""
    parsed, errors = [], []
    for answer in answers:
        try:
            parsed.append(parse_judge_scores(answer, dimensions))
        except JudgeParseError as exc:
            errors.append(str(exc))
    if not parsed:
        return JudgeScore(None, None, error="; ".join(sorted(set(errors))) or "no answer", raw=answers[0] if answers else "")
    scores = {d.name: sum(p[d.name] for p in parsed) / len(parsed) for d in dimensions}
    return JudgeScore(scores, weighted_difficulty(scores, dimensions))


def judge_problems(problems: Sequence[Problem], backend: Any, sampling: Any) -> list[JudgeScore]:
    """Ask the judge model (any `mceval.bench.backends` backend) about each problem."""
    prompts = [build_judge_messages(p) for p in problems]
    completions = backend.generate(prompts, sampling)
    return [score_answers([c.text for c in group]) for group in completions]
