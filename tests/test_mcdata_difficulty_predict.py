"""Predict-calibrate-select (issue 11 §2): the strict judge-answer parser and its one retry, the calibration
fits, the selection (the target mix caps the easy share; hard and medium problems are kept), the calibration
subset sampled across sources, then the whole judge path on the tiny random model and over HTTP."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from conftest import read_json

from mccore.schema import Problem
from mccore.schema import TestCase as Case
from mcdata.difficulty import (
    DIMENSIONS, JudgeParseError, ModelConfig, PredictConfig, fit_isotonic, fit_logistic, parse_judge_scores, parse_mix,
    predict_filter, weighted_difficulty,
)
from mcdata.difficulty.judge import build_judge_messages, score_answers
from mcdata.difficulty.select import Candidate, bucket_of, quotas, select_to_mix
from mcdata.report import BuildReport

NAMES = [d.name for d in DIMENSIONS]
ANSWER = {"algorithmic_thinking": 8, "mathematical_depth": 3, "data_structures": 5, "implementation": 6, "constraints": 7}


# ------------------------------------------------------------------------------------------- parser
def test_weights_sum_to_one_and_difficulty_spans_unit_interval():
    assert sum(d.weight for d in DIMENSIONS) == pytest.approx(1.0)
    assert len(DIMENSIONS) == 5
    assert weighted_difficulty({n: 1 for n in NAMES}) == 0.0
    assert weighted_difficulty({n: 10 for n in NAMES}) == 1.0
    # 0.3*8 + 0.2*3 + 0.15*5 + 0.2*6 + 0.15*7 = 6.0 -> (6 - 1) / 9
    assert weighted_difficulty(ANSWER) == pytest.approx(5 / 9)


def test_parses_plain_json():
    assert parse_judge_scores(json.dumps(ANSWER)) == {k: float(v) for k, v in ANSWER.items()}


def test_parses_the_object_the_answer_ends_with():
    decoy = json.dumps({n: 1 for n in NAMES})
    text = (
        f"<think>maybe {decoy}? no, harder.</think>\nThe problem needs a segment tree.\n"
        f"```json\n{json.dumps(ANSWER, indent=2)}\n```"
    )
    assert parse_judge_scores(text)["algorithmic_thinking"] == 8.0
    # an unclosed reasoning block ends at </think>
    assert parse_judge_scores(f"{decoy} hmm </think> {json.dumps(ANSWER)}")["constraints"] == 7.0
    assert parse_judge_scores(f"first guess {decoy}, final answer: {json.dumps(ANSWER)}")["constraints"] == 7.0


@pytest.mark.parametrize(
    "text, message",
    [
        # the misreadings: free text is never guessed at
        ("Implementation: 2 nested loops, so 4", "does not end with a JSON object"),
        ("Algorithmic thinking score: 8", "does not end with a JSON object"),
        (f"{json.dumps(ANSWER)} That is my answer.", "does not end with a JSON object"),
        ("", "empty"),
        ("!!##$$ 3 3 3 {{ [", "does not end with a JSON object"),
        (json.dumps({k: v for k, v in ANSWER.items() if k != "constraints"}), "missing \\['constraints'\\]"),
        (json.dumps({**ANSWER, "comment": "hard"}), "unexpected \\['comment'\\]"),
        (json.dumps({**ANSWER, "implementation": 11}), "outside"),
        (json.dumps({**ANSWER, "implementation": 0}), "outside"),
        (json.dumps({**ANSWER, "implementation": "7/10"}), "not an integer"),
        (json.dumps({**ANSWER, "implementation": 6.5}), "not an integer"),
        (json.dumps({"Algorithmic Thinking": 8, **{k: v for k, v in ANSWER.items() if k != "algorithmic_thinking"}}), "missing"),
    ],
)
def test_unparseable_answers_raise(text, message):
    with pytest.raises(JudgeParseError, match=message):
        parse_judge_scores(text)


def test_the_prompt_example_is_not_a_parseable_answer():
    """A judge that repeats the prompt's example used to be read as scoring every dimension 5."""
    from mcdata.difficulty.judge import answer_template

    problem = Problem("p1", "test", "Read n and print n squared. " * 3, (Case("1\n", "1\n"),))
    prompt = build_judge_messages(problem)[-1]["content"]
    assert answer_template() in prompt
    with pytest.raises(JudgeParseError):
        parse_judge_scores(answer_template())


def test_score_answers_averages_parseable_samples_and_records_failures():
    other = {n: 2 for n in NAMES}
    score = score_answers([json.dumps(ANSWER), "garbage", json.dumps(other)])
    assert score.scores["algorithmic_thinking"] == 5.0
    assert score.error is None
    failed = score_answers(["garbage", ""])
    assert failed.scores is None and failed.difficulty is None
    assert failed.stats()["predict_status"] == "unparseable"
    assert "empty answer" in failed.error and "does not end with a JSON object" in failed.error


def test_judge_prompt_names_every_dimension_and_truncates_long_statements():
    problem = Problem("p1", "test", "x" * 20000, (Case("1\n", "1\n"),))
    messages = build_judge_messages(problem)
    user = messages[-1]["content"]
    assert all(name in user for name in NAMES)
    assert "statement truncated" in user and len(user) < 10000
    assert "stdin/stdout" in user


# -------------------------------------------------------------------------------------- calibration
def test_isotonic_pools_adjacent_violators_exactly():
    fit = fit_isotonic([0.1, 0.2, 0.3, 0.4, 0.5], [0.9, 0.6, 0.8, 0.3, 0.1])
    assert fit.knots_y == pytest.approx((0.9, 0.7, 0.7, 0.3, 0.1))
    assert fit.predict(0.25) == pytest.approx(0.7)
    assert fit.predict(0.45) == pytest.approx(0.2)  # linear between fitted points
    assert fit.predict(0.0) == pytest.approx(0.9) and fit.predict(1.0) == pytest.approx(0.1)  # flat outside
    # weights: the violating pair pools to (0.6*1 + 0.8*3) / 4; equal x values become one point
    weighted = fit_isotonic([0.1, 0.2, 0.3, 0.3], [0.9, 0.6, 0.8, 0.8], [1, 1, 2, 1])
    assert weighted.knots_x == (0.1, 0.2, 0.3)
    assert weighted.knots_y == pytest.approx((0.9, 0.75, 0.75))
    assert fit_isotonic([0.5, 0.1], [0.2, 0.4]).knots_y == pytest.approx((0.4, 0.2))  # unsorted input


def test_logistic_recovers_the_generating_curve():
    x = np.linspace(0, 1, 11)
    y = 1 / (1 + np.exp(-(2.0 - 6.0 * x)))
    fit = fit_logistic(x, y, weights=np.full(11, 16))
    assert fit.intercept == pytest.approx(2.0, abs=1e-6)
    assert fit.slope == pytest.approx(-6.0, abs=1e-6)
    assert fit.predict(0.5) == pytest.approx(1 / (1 + np.exp(1.0)), abs=1e-7)


def test_calibration_rejects_bad_input():
    with pytest.raises(ValueError, match="pass rates in"):
        fit_isotonic([0.1, 0.2], [0.5, 1.5])
    with pytest.raises(ValueError, match="equal-length"):
        fit_logistic([0.1, 0.2], [0.5])


# ---------------------------------------------------------------------------------------- selection
def test_parse_mix_and_buckets():
    assert parse_mix("easy=1,medium=2,hard=2") == {"easy": 0.2, "medium": 0.4, "hard": 0.4}
    assert parse_mix("hard=1") == {"easy": 0.0, "medium": 0.0, "hard": 1.0}
    with pytest.raises(ValueError, match="unknown bucket"):
        parse_mix("trivial=1")
    with pytest.raises(ValueError, match="BUCKET=SHARE"):
        parse_mix("easy:0.5")
    assert [bucket_of(r) for r in (0.7, 0.69, 0.31, 0.3, 0.0)] == ["easy", "medium", "medium", "hard", "hard"]


def test_selection_caps_the_easy_share_and_keeps_every_hard_and_medium_problem():
    rates = {"easy": [0.95, 0.9, 0.85, 0.8, 0.75, 0.72, 0.99, 0.98, 0.97, 0.71],
             "medium": [0.5, 0.6, 0.4, 0.35, 0.65, 0.45], "hard": [0.1, 0.2, 0.0, 0.3]}
    candidates = [Candidate(f"{b}{i}", r, b) for b, rs in rates.items() for i, r in enumerate(rs)]
    chosen, quota = select_to_mix(candidates, parse_mix("easy=0.2,medium=0.4,hard=0.4"))
    # 10 medium + hard kept; easy <= 0.2 of the total -> 0.25 * 10 = 2, the hardest easy ones first
    assert quota == {"easy": 2, "medium": 6, "hard": 4}
    assert chosen == {f"medium{i}" for i in range(6)} | {f"hard{i}" for i in range(4)} | {"easy9", "easy5"}
    capped, quota = select_to_mix(candidates, parse_mix("easy=0.2,medium=0.4,hard=0.4"), max_total=5)
    assert quota == {"easy": 0, "medium": 1, "hard": 4} and "medium3" in capped  # hardest buckets first


def test_few_or_no_easy_problems_keep_every_hard_one():
    """The issue's pools: 31/93/63 kept 31/62/62 (hard problems thrown away) and 0 easy kept nothing."""
    mix = parse_mix("easy=0.2,medium=0.4,hard=0.4")
    assert quotas({"easy": 31, "medium": 93, "hard": 63}, mix) == {"easy": 31, "medium": 93, "hard": 63}
    assert quotas({"easy": 0, "medium": 93, "hard": 63}, mix) == {"easy": 0, "medium": 93, "hard": 63}
    assert quotas({"easy": 40, "medium": 30, "hard": 30}, mix) == {"easy": 15, "medium": 30, "hard": 30}
    assert quotas({"easy": 7, "medium": 5, "hard": 2}, parse_mix("hard=1")) == {"easy": 0, "medium": 0, "hard": 2}
    from mcdata.difficulty.select import dropped_reasons

    assert dropped_reasons({"easy": 40, "medium": 30, "hard": 30}, {"easy": 15, "medium": 30, "hard": 30}, mix) == {
        "easy": "25 dropped: easy share capped at 20% of the selection"}


def test_calibration_subset_is_stratified_by_source():
    """The first N problems of the stream all came from the first source; the subset follows the shares."""
    from mcdata.difficulty.predict import _Scored, calibration_subset

    scored = {str(i): _Scored(0.5, "apps" if i < 300 else "lcb" if i < 400 else "taco", str(i)) for i in range(410)}
    subset = calibration_subset(scored, 41)
    by_source = Counter(scored[k].source for k in subset)
    assert by_source == {"apps": 30, "lcb": 10, "taco": 1}
    assert subset != [str(i) for i in range(41)] and subset == calibration_subset(scored, 41)  # fixed, not stream order
    scored["5"] = _Scored(None, "apps", "5")  # unparseable: never measured
    assert "5" not in calibration_subset(scored, 410)


def test_a_model_must_be_named():
    from mcdata.difficulty import PassRateConfig

    with pytest.raises(ValueError, match="predict needs a judge model"):
        PredictConfig()
    with pytest.raises(ValueError, match="--model tiny-random"):
        PassRateConfig()
    assert PassRateConfig(model=ModelConfig(model="tiny-random")).model.model == "tiny-random"


# ------------------------------------------------------------------------- the judge on a tiny model
def _problems(n: int) -> list[Problem]:
    return [
        Problem(f"p{i}", "test", f"Read an integer and print it plus {i}.", (Case("1\n", f"{1 + i}\n"),))
        for i in range(n)
    ]


def test_tiny_model_judge_answers_are_kept_flagged_or_dropped():
    """The real hf backend with the tiny random model: its output is noise, so every problem is asked once
    more and then kept flagged 'unparseable' (the default) or, if asked, dropped with a recorded reason."""
    judge = ModelConfig(backend="hf", model="tiny-random", temperature=0.0, max_tokens=24)
    report = BuildReport()
    with pytest.warns(UserWarning, match="min_calibration_points"):
        kept = list(predict_filter(_problems(3), PredictConfig(judge=judge, batch_size=2), report))
    assert [p.problem_id for p in kept] == ["p0", "p1", "p2"] and report.rejections == []
    for p in kept:
        assert p.stats["predict_status"] == "unparseable" and p.stats["predict_retried"] is True
        assert "after asking again" in p.stats["predict_error"] and isinstance(p.stats["predict_raw"], str)
    assert report.notes["predict"]["unparseable"] == 3

    report = BuildReport()
    with pytest.warns(UserWarning):
        assert list(predict_filter(_problems(2), PredictConfig(judge=judge, unparseable="drop"), report)) == []
    assert [r.reason.startswith("judge answer unparseable") for r in report.rejections_by("predict")] == [True, True]


# ------------------------------------------------- the whole stage against an OpenAI-compatible server
class _ScriptedJudge:
    """A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol. It stands in for the
    judge LLM only (the outermost boundary): each statement carries "[level L]" and the answer scores every
    dimension L, wrapped in reasoning text so the real parser does real work. "[sloppy L]" answers in free
    text first ("Implementation: 2 nested loops, so 4") and with the JSON object when asked again;
    "[garbage]" never answers usably."""

    def __enter__(self) -> str:
        import re
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._reply({"object": "list", "data": [{"id": "scripted-judge", "object": "model"}]})

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                statement = request["messages"][1]["content"]
                retry = len(request["messages"]) > 2
                found = re.search(r"\[(level|sloppy) (\d+)\]", statement)
                if found and (found.group(1) == "level" or retry):
                    level = int(found.group(2))
                    text = f"Let me think about it.\n```json\n{json.dumps({n: level for n in NAMES})}\n```"
                else:
                    text = "Algorithmic thinking score: 8\nImplementation: 2 nested loops, so 4"
                self._reply({"choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                          "finish_reason": "stop"}], "usage": {"completion_tokens": 20}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_predict_calibrate_select_end_to_end_over_http():
    """Levels 1..10 give judge difficulties (L-1)/9. Five problems carry measured pass rates
    (L1: 1.0, L4: 0.5, L6: 0.75, L8: 0.25, L10: 0.0); the isotonic fit pools L4/L6 to 0.625, so the
    predicted pass rates are L1 1.0, L2 0.875, L3 0.75 (easy), L4-L6 0.625, L7 0.4375 (medium), L8 0.25,
    L9 0.125, L10 0.0 (hard). L11 answers in free text first and is scored 9 (hard) on the retry; L12 never
    answers usably and is kept, flagged. The mix 0.2/0.4/0.4 caps the easy share: all 4 medium and 4 hard
    stay, and easy <= 0.25 * 8 -> 2, the hardest easy ones (L2, L3)."""
    measured = {1: 1.0, 4: 0.5, 6: 0.75, 8: 0.25, 10: 0.0}
    problems = [
        Problem(f"L{level}", "test", f"Print the answer. [level {level}]", (Case("1\n", "1\n"),),
                stats={"pass_rate": measured[level], "pass_rate_k": 4} if level in measured else {})
        for level in range(1, 11)
    ]
    problems.append(Problem("L11", "test", "Print the answer. [sloppy 9]", (Case("1\n", "1\n"),)))
    problems.append(Problem("L12", "test", "Print the answer. [garbage]", (Case("1\n", "1\n"),)))
    report = BuildReport()
    with _ScriptedJudge() as base_url:
        cfg = PredictConfig(judge=ModelConfig(backend="openai", base_url=base_url, temperature=0.0), batch_size=4)
        kept = list(predict_filter(problems, cfg, report))
    assert [p.problem_id for p in kept] == ["L2", "L3", "L4", "L5", "L6", "L7", "L8", "L9", "L10", "L11", "L12"]
    by_id = {p.problem_id: p for p in kept}
    assert by_id["L7"].stats["predict_pass_rate"] == pytest.approx(0.4375)
    assert by_id["L7"].stats["predict_bucket"] == "medium"
    assert by_id["L3"].stats["predict_bucket"] == "easy"
    assert by_id["L9"].stats["predict_scores"] == {n: 9.0 for n in NAMES}
    assert by_id["L9"].stats["predict_difficulty"] == pytest.approx(8 / 9, abs=1e-6)
    assert by_id["L9"].stats["predict_calibration"] == "isotonic"
    assert by_id["L11"].stats["predict_retried"] is True and by_id["L11"].stats["predict_scores"] == {n: 9.0 for n in NAMES}
    assert by_id["L12"].stats["predict_status"] == "unparseable" and "predict_bucket" not in by_id["L12"].stats
    rejected = {r.problem_id: r for r in report.rejections_by("predict")}
    assert set(rejected) == {"L1"}
    assert rejected["L1"].reason.startswith("not selected: easy bucket, 1 dropped: easy share capped at 20%")
    notes = report.notes["predict"]
    assert notes["calibration"]["knots_y"] == pytest.approx([1.0, 0.625, 0.625, 0.25, 0.0])
    assert notes["selected"] == {"easy": 2, "medium": 4, "hard": 4} and notes["available"] == {"easy": 3, "medium": 4, "hard": 4}


def test_calibration_subset_measured_from_a_rollouts_file(real_data, tmp_path):
    """Pass rates for calibration come from grading a rollouts file for real (o1-mini, o1-preview LiveCodeBench
    submissions + the reference) on LeetCodeDataset problems: 3/3, 2/3, 1/3 and 0/2 at judge levels 2, 4, 7
    and 9; a fifth problem (level 3) has no rollouts and is only predicted: between the level-2 and level-4
    points, 0.8333 (easy). Mix 1:2:1 over easy 2 / medium 2 / hard 1 keeps 4: the easy problem at level 2
    goes."""
    import gzip
    import re

    from mcdata.difficulty import PassRateConfig
    from mceval.leetcode_format import problem_from_leetcodedataset_row

    levels = {"shortest-distance-after-road-addition-queries-i": 2, "find-the-k-th-character-in-string-game-i": 3,
              "find-the-count-of-good-integers": 4, "maximum-xor-score-subarray-queries": 7,
              "find-maximum-removals-from-source-string": 9}
    path = real_data / "leetcodedataset" / "LeetCodeDataset-v0.3.1-test.jsonl.gz"
    problems = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            row = json.loads(line)
            if row["task_id"] in levels:
                p = problem_from_leetcodedataset_row(row, where=f"{path}:{i}")
                problems[row["task_id"]] = p.with_(statement=f"{p.statement}\n[level {levels[row['task_id']]}]")
    codes: dict[str, list[str]] = {}
    for name in ("O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz",
                 "O1-Preview-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz"):
        for row in read_json(real_data / "lcb_submissions" / name):
            slug = re.sub(r"[^a-z0-9]+", "-", row["question_title"].lower()).strip("-")
            codes.setdefault(slug, []).append(row["code_list"][0])
    rollouts = [
        {"question_id": problems[s].problem_id,
         "code_list": codes[s] + ([] if s == "find-maximum-removals-from-source-string" else [problems[s].solutions[0]])}
        for s in levels if s != "find-the-k-th-character-in-string-game-i"
    ]
    rollouts_path = tmp_path / "rollouts.json"
    rollouts_path.write_text(json.dumps(rollouts))

    report = BuildReport()
    with _ScriptedJudge() as base_url:
        cfg = PredictConfig(
            judge=ModelConfig(backend="openai", base_url=base_url, temperature=0.0),
            calibration=PassRateConfig(k=3, rollouts=str(rollouts_path), workers=2),
            min_calibration_points=4,
            target_mix="easy=1,medium=2,hard=1",
        )
        kept = list(predict_filter(list(problems.values()), cfg, report))
    by_slug = {p.title: p for p in kept}
    assert set(by_slug) == set(levels) - {"shortest-distance-after-road-addition-queries-i"}
    assert by_slug["find-the-count-of-good-integers"].stats["pass_rate_solved"] == 2
    assert by_slug["find-maximum-removals-from-source-string"].stats["pass_rate_k"] == 2
    unmeasured = by_slug["find-the-k-th-character-in-string-game-i"]
    assert "pass_rate" not in unmeasured.stats
    assert unmeasured.stats["predict_pass_rate"] == pytest.approx(5 / 6, abs=1e-6)
    assert unmeasured.stats["predict_bucket"] == "easy"
    assert report.notes["predict"]["calibration"]["num_points"] == 4
    (rejected,) = report.rejections_by("predict")
    assert rejected.detail["pass_rate"] == 1.0 and rejected.detail["predict_bucket"] == "easy"
