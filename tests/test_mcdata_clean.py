"""Processing, dedup and decontamination on real problems (tests/data samples and the shipped
LiveCodeBench statements)."""

from __future__ import annotations

import json
import random

import pytest

from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.decontaminate import DecontamConfig, decontaminate, in_window
from mcdata.dedup import DedupConfig, dedup
from mcdata.pipeline import default_lcb_reference
from mcdata.process import ProcessConfig, cap_tests, process
from mcdata.report import BuildReport
from mcdata.schema import Problem, TestCase
from mcdata.text import normalise_statement


def real(real_data, spec: str) -> list[Problem]:
    return list(collect([SourceSpec.parse(spec.format(d=real_data))], CollectConfig(), BuildReport()))


@pytest.fixture(scope="module")
def contests(real_data) -> list[Problem]:
    return real(real_data, "deepcoder={d}/deepcoder-rllm-tests/code_contests_test.json.gz")


def test_cap_tests_keeps_public_and_largest_in_order():
    tests = tuple(TestCase("x" * n, "y", is_public=n in (1, 2)) for n in [1, 50, 2, 7, 90, 3, 60])
    kept = cap_tests(tests, 4)
    assert [len(t.input) for t in kept] == [1, 2, 90, 60]
    assert cap_tests(tests, None) == tests and cap_tests(tests, 10) == tests


def test_process_caps_real_problem_and_records_it(real_data):
    (big,) = [p for p in real(real_data, "codecontests={d}/sandboxfusion_samples/code_eval_code_contests.jsonl.gz") if len(p.tests) == 331]
    report = BuildReport()
    (out,) = process([big], ProcessConfig(max_tests=30), report)
    assert len(out.tests) == 30 and out.stats["tests_before_cap"] == 331
    sizes = sorted((len(t.input) + len(t.output) for t in big.tests), reverse=True)
    assert sorted((len(t.input) + len(t.output) for t in out.tests), reverse=True) == sizes[:30]


def test_normalise_statement():
    assert normalise_statement("a\u00a0b  \r\nc\r\n\r\n\r\n\r\nd\t \n") == "a b\nc\n\nd"


def test_process_rejects_short_statement():
    report = BuildReport()
    p = Problem("x", "apps", "   tiny  ", (TestCase("1", "1"),))
    assert list(process([p], ProcessConfig(), report)) == []
    assert report.rejections[0].field == "statement"


def perturb(text: str, seed: int) -> str:
    """A near copy: other whitespace, LaTeX dollars, one word changed, a sentence appended."""
    rng = random.Random(seed)
    words = text.split()
    i = rng.randrange(len(words))
    words[i] = words[i].upper() + "s"
    return "  ".join(words).replace("n", "$n$", 3) + "\nNote: read the input carefully."


def test_dedup_catches_exact_and_perturbed_duplicates(contests):
    base = contests[:40]
    exact = base[3].with_(problem_id="copy-exact", source="taco", statement=base[3].statement.replace(" ", "  ") + "\n")
    near = base[7].with_(problem_id="copy-near", source="taco", statement=perturb(base[7].statement, 0))
    alone = [p.problem_id for p in dedup(base, DedupConfig(), BuildReport())]
    report = BuildReport()
    kept = list(dedup(base + [exact, near], DedupConfig(), report))
    assert [p.problem_id for p in kept] == alone  # the injected copies change nothing else
    reasons = {r.problem_id: r for r in report.rejections if r.problem_id.startswith("copy-")}
    assert set(reasons) == {"copy-exact", "copy-near"}
    assert reasons["copy-exact"].kind == "exact duplicate"
    assert reasons["copy-near"].kind == "near duplicate" and reasons["copy-near"].detail["duplicate_of"] == f"deepcoder/{base[7].problem_id}"


def test_dedup_with_process_pool_matches_in_process(contests):
    base = contests[:60] + [contests[5].with_(problem_id="dup", statement=perturb(contests[5].statement, 1))]
    one = [p.problem_id for p in dedup(base, DedupConfig(workers=1, chunk_size=16), BuildReport())]
    two = [p.problem_id for p in dedup(base, DedupConfig(workers=2, chunk_size=16), BuildReport())]
    assert one == two and "dup" not in one


def test_easy_and_hard_versions_are_near_duplicates_at_default_threshold(contests):
    """Real case in the CodeContests test split: the easy and hard versions of one Codeforces problem
    differ in three lines (exact shingle Jaccard 0.89). The default 0.8 keeps only the first; 0.95 keeps both."""
    from mcdata.text import match_words, ngram_hashes

    report = BuildReport()
    list(dedup(contests, DedupConfig(), report))
    (pair,) = [r for r in report.rejections if r.kind == "near duplicate"]
    by_key = {f"{p.source}/{p.problem_id}": p for p in contests}
    a, b = (set(ngram_hashes(match_words(by_key[k].statement), 5).tolist()) for k in (f"deepcoder/{pair.problem_id}", pair.detail["duplicate_of"]))
    assert 0.85 < len(a & b) / len(a | b) < 0.9
    assert abs(pair.detail["jaccard"] - len(a & b) / len(a | b)) < 0.1  # the MinHash estimate
    assert "harder version" in by_key[f"deepcoder/{pair.problem_id}"].statement
    loose = BuildReport()
    list(dedup(contests, DedupConfig(threshold=0.95), loose))
    assert not loose.rejections


def lcb_rows() -> list[dict]:
    import gzip

    with gzip.open(default_lcb_reference(), "rt") as fh:
        return [json.loads(line) for line in fh]


def test_decontamination_removes_copied_lcb_statement_only(contests):
    rows = lcb_rows()
    victim = next(r for r in rows if r["question_id"] == "abc301_a")
    copied = Problem("copied", "taco", "Story time! " + victim["question_content"], (TestCase("1", "1"),))
    report = BuildReport()
    kept = list(decontaminate(contests + [copied], DecontamConfig(against=default_lcb_reference()), report))
    assert [r.problem_id for r in report.rejections] == ["copied"]  # no false positive on 165 real contest problems
    rej = report.rejections[0]
    assert rej.detail["lcb_question_id"] == "abc301_a" and rej.detail["coverage"] > 0.9 and rej.field == "statement"
    assert len(kept) == len(contests)
    assert report.notes["decontaminate"]["lcb_statements"] == 880


def test_any_ngram_mode_is_stricter(contests):
    """min_coverage=0 is open-r1's rule (any shared n-gram): it also hits boilerplate."""
    report = BuildReport()
    list(decontaminate(contests, DecontamConfig(against=default_lcb_reference(), min_coverage=0.0), report))
    assert len(report.rejections) > 0


def test_date_window(real_data):
    problems = real(real_data, "lcb={d}/sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl")
    dated = [p.with_(contest_date=d) for p, d in zip(problems, ["2023-08-21T00:00:00", "2024-08-01T00:00:00", None])]
    report = BuildReport()
    kept = list(decontaminate(dated, DecontamConfig(window_start="2024-08-01", window_end="2025-05-01"), report))
    assert [p.contest_date for p in kept] == ["2023-08-21T00:00:00", None]
    assert report.rejections[0].kind == "contest date in evaluation window"
    assert in_window("2025-05-01T00:00:00", "2024-08-01", "2025-05-01") is False
    assert in_window("2024-01-01T00:00:00", None, None) is False
