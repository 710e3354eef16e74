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

The judge answers with ONE JSON object with exactly these five keys and integer scores 1-10; the
weighted mean is mapped to a difficulty score in [0, 1] (0 = trivial, 1 = hardest). Only that object
is read: it must be the end of the answer (reasoning before it and a ```json fence around it are
fine), with every key and nothing else. Free-text forms are not guessed at: "Implementation: 2
nested loops, so 4" would read as 2, and the prompt's own example would read as an answer, so the
example uses placeholders that are not valid JSON. An answer that does not parse is asked again once
with the parse error; one that still fails is recorded as unparseable (`JudgeParseError`), never guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mccore.schema import Problem


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
    """The chat prompt asking for one integer score per dimension as one JSON object."""
    statement = problem.statement
    if len(statement) > MAX_STATEMENT_CHARS:
        statement = statement[:MAX_STATEMENT_CHARS] + "\n[... statement truncated ...]"
    kind = "function completion (LeetCode style)" if problem.is_functional else "stdin/stdout program"
    rubric = "\n".join(f"- {d.name}: {d.rubric}" for d in dimensions)
    user = (
        f"### Problem ({kind})\n{statement}\n\n"
        f"### Task\nRate this problem on each dimension from {SCORE_MIN} (trivial) to {SCORE_MAX} (hardest "
        f"contest level):\n{rubric}\n\n"
        f"End your answer with exactly one JSON object with these {len(dimensions)} keys and an integer from "
        f"{SCORE_MIN} to {SCORE_MAX} for each, and no other keys:\n{answer_template(dimensions)}"
    )
    return [{"role": "system", "content": JUDGE_SYSTEM}, {"role": "user", "content": user}]


def answer_template(dimensions: Sequence[Dimension] = DIMENSIONS) -> str:
    """The answer shape with placeholders (`<1-10>`), which is not itself a parseable answer."""
    return "{" + ", ".join(f'"{d.name}": <{SCORE_MIN}-{SCORE_MAX}>' for d in dimensions) + "}"


def retry_messages(messages: list[dict[str, str]], answer: str, error: str,
                   dimensions: Sequence[Dimension] = DIMENSIONS) -> list[dict[str, str]]:
    """The conversation asking once more, with the reason the first answer could not be read."""
    return messages + [
        {"role": "assistant", "content": answer[-4000:]},
        {"role": "user", "content": f"Your answer could not be read ({error}). Reply with only the JSON object "
                                    f"{answer_template(dimensions)}, integers only."},
    ]


def _final_object(text: str) -> dict | None:
    """The JSON object the answer ends with (after an optional closing code fence), or None."""
    body = re.sub(r"\s*```\s*$", "", text.rstrip()).rstrip()
    if not body.endswith("}"):
        return None
    decoder = json.JSONDecoder()
    for match in reversed(list(re.finditer(r"\{", body))):
        try:
            obj, end = decoder.raw_decode(body, match.start())
        except json.JSONDecodeError:
            continue
        if end == len(body):
            return obj if isinstance(obj, dict) else None
        return None  # the last object that decodes does not end the answer
    return None


def parse_judge_scores(text: str, dimensions: Sequence[Dimension] = DIMENSIONS) -> dict[str, float]:
    """The judge's per-dimension scores from its answer's final JSON object; raises JudgeParseError when
    there is none, a key is missing or extra, or a score is not an integer in [1, 10]."""
    if not isinstance(text, str) or not text.strip():
        raise JudgeParseError("empty answer")
    answer = re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)
    answer = answer.split("</think>")[-1]  # an unclosed reasoning block before the answer
    obj = _final_object(answer)
    if obj is None:
        raise JudgeParseError("the answer does not end with a JSON object")
    names = [d.name for d in dimensions]
    missing = [n for n in names if n not in obj]
    extra = sorted(set(obj) - set(names))
    if missing or extra:
        raise JudgeParseError(f"keys must be exactly {names}" + (f"; missing {missing}" if missing else "")
                              + (f"; unexpected {extra}" if extra else ""))
    scores: dict[str, float] = {}
    for name in names:
        value = obj[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
            raise JudgeParseError(f"score for {name} is not an integer: {value!r}")
        if not SCORE_MIN <= value <= SCORE_MAX:
            raise JudgeParseError(f"scores outside [{SCORE_MIN}, {SCORE_MAX}]: {{{name!r}: {value}}}")
        scores[name] = float(value)
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
    retried: bool = False

    def stats(self) -> dict[str, Any]:
        if self.scores is None:
            return {"predict_status": "unparseable", "predict_error": self.error, "predict_raw": self.raw[:300],
                    "predict_retried": self.retried}
        stats = {"predict_status": "scored", "predict_scores": self.scores, "predict_difficulty": round(self.difficulty, 6)}
        if self.retried:
            stats["predict_retried"] = True
        return stats


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


def judge_problems(problems: Sequence[Problem], backend: Any, sampling: Any, *, retry: bool = True) -> list[JudgeScore]:
    """Ask the judge model (any `mcgen.backends` backend) about each problem; problems none of
    whose answers parse are asked once more with the parse error."""
    prompts = [build_judge_messages(p) for p in problems]
    answers = [[c.text for c in group] for group in backend.generate(prompts, sampling)]
    scores = [score_answers(group) for group in answers]
    failed = [i for i, s in enumerate(scores) if s.scores is None]
    if retry and failed:
        again = backend.generate(
            [retry_messages(prompts[i], answers[i][0] if answers[i] else "", scores[i].error or "") for i in failed], sampling
        )
        for i, group in zip(failed, again):
            second = score_answers([c.text for c in group])
            scores[i] = replace(second, retried=True) if second.scores is not None else replace(
                second, retried=True, error=f"{scores[i].error}; after asking again: {second.error}", raw=second.raw or scores[i].raw
            )
    return scores
