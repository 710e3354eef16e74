"""Processing, dedup and decontamination on real problems (tests/data samples and the shipped
LiveCodeBench reference): issue 11 §1 (checker-needing problems), §3 (dedup keeps distinct problems and
the better copy), §4 (decontamination follows its window, matches identifiers, parses dates) and §5
(per-test byte budget, upstream defects)."""

from __future__ import annotations

import json
import random
import re

import pytest
from conftest import read_json

from mccore.schema import Problem, TestCase
from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.decontaminate import DecontamConfig, decontaminate, in_window
from mcdata.dedup import DedupConfig, dedup, exact_key, group_duplicates
from mcdata.pipeline import BuildConfig, build_dataset, default_lcb_reference
from mcdata.process import ProcessConfig, cap_tests, process
from mcdata.report import BuildReport
from mcdata.text import normalise_statement
from mcdata.window import EvalWindow


def real(real_data, spec: str) -> list[Problem]:
    return list(collect([SourceSpec.parse(spec.format(d=real_data))], CollectConfig(), BuildReport()))


@pytest.fixture(scope="module")
def contests(real_data) -> list[Problem]:
    return real(real_data, "deepcoder={d}/deepcoder-rllm-tests/code_contests_test.json.gz")


@pytest.fixture(scope="module")
def codeelo(real_data) -> list[Problem]:
    return real(real_data, "deepcoder={d}/deepcoder-rllm-tests/codeforces_codeelo_test.json.gz")


# -------------------------------------------------------------------------------------------- process
def test_cap_tests_keeps_public_and_largest_in_order():
    tests = tuple(TestCase("x" * n, "y", is_public=n in (1, 2)) for n in [1, 50, 2, 7, 90, 3, 60])
    kept = cap_tests(tests, 4)
    assert [len(t.input) for t in kept] == [1, 2, 90, 60]
    assert cap_tests(tests, None) == tests and cap_tests(tests, 10) == tests


def test_process_caps_real_problem_and_records_it(real_data):
    (big,) = [p for p in real(real_data, "codecontests={d}/sandboxfusion_samples/code_eval_code_contests.jsonl.gz") if len(p.tests) == 331]
    report = BuildReport()
    (out,) = process([big], ProcessConfig(max_tests=30, needs_checker="flag"), report)
    assert len(out.tests) == 30 and out.stats["tests_before_cap"] == 331
    sizes = sorted((len(t.input) + len(t.output) for t in big.tests), reverse=True)
    assert sorted((len(t.input) + len(t.output) for t in out.tests), reverse=True) == sizes[:30]


def test_per_test_byte_budget_comes_before_the_count_cap(real_data):
    """The count cap keeps the LARGEST tests, so without a byte budget a 150 MB test would be kept."""
    (big,) = [p for p in real(real_data, "codecontests={d}/sandboxfusion_samples/code_eval_code_contests.jsonl.gz") if len(p.tests) == 331]
    sizes = sorted(len(t.input.encode()) + len(t.output.encode()) for t in big.tests)
    budget = sizes[-5]  # the four largest tests are over it
    (out,) = process([big], ProcessConfig(max_tests=30, max_test_bytes=budget - 1 if sizes[-5] > sizes[-6] else budget, needs_checker="flag"), BuildReport())
    assert max(len(t.input.encode()) + len(t.output.encode()) for t in out.tests) < sizes[-1]
    assert out.stats["tests_over_byte_cap"] >= 4 and len(out.tests) == 30
    report = BuildReport()
    assert list(process([big], ProcessConfig(max_test_bytes=1, needs_checker="flag"), report)) == []
    assert report.rejections[0].kind == "tests too large"


def test_normalise_statement():
    assert normalise_statement("a\u00a0b  \r\nc\r\n\r\n\r\n\r\nd\t \n") == "a b\nc\n\nd"


def test_process_rejects_short_statement():
    report = BuildReport()
    p = Problem("x", "apps", "   tiny  ", (TestCase("1", "1"),))
    assert list(process([p], ProcessConfig(), report)) == []
    assert report.rejections[0].field == "statement"


def test_multi_answer_and_interactive_problems_are_dropped_or_flagged(codeelo, contests):
    """Real CodeElo / CodeContests rows: "If there are multiple answers, print any of them" cannot be judged
    by one expected output; tolerance wording is kept (the comparator applies it)."""
    report = BuildReport()
    kept = list(process(codeelo + contests, ProcessConfig(), report))
    dropped = report.rejections_by("process")
    assert len(dropped) > 50 and all(r.reason.startswith("needs a checker") for r in dropped)
    assert {r.kind for r in dropped} == {"needs a checker (multi-answer)", "needs a checker (interactive)"}
    assert not any("print any of them" in p.statement.lower() for p in kept)
    assert any(p.stats.get("judge_tolerance") for p in kept)
    flagged = list(process(codeelo + contests, ProcessConfig(needs_checker="flag"), BuildReport()))
    assert len(flagged) == len(codeelo) + len(contests)
    assert sum("multi_answer" in p.stats.get("judge_needs", []) for p in flagged) == sum(r.kind.endswith("(multi-answer)") for r in dropped) + sum(
        "multi_answer" in (p.stats.get("judge_needs") or []) for p in kept)


def test_story_sentences_are_not_taken_for_multi_answer_wording():
    from mcdata.checks import judge_needs

    assert judge_needs("In one operation, you can choose any index i and add 1.") == []
    assert judge_needs("If there are several identical minima, Yelisey can choose any of them.") == []
    assert judge_needs("If there are multiple answers, print any of them.") == ["multi_answer"]
    assert judge_needs("You may return the answer in any order.") == ["multi_answer"]


def test_upstream_defects_are_flagged(real_data, codeelo):
    lcd = real(real_data, "leetcodedataset={d}/leetcodedataset/LeetCodeDataset-v0.3.1-test.jsonl.gz")[:40]
    out = list(process(lcd, ProcessConfig(needs_checker="flag"), BuildReport()))
    lost = [p for p in out if "lost_superscript" in p.stats.get("upstream_defects", [])]
    assert len(lost) > len(out) / 2
    assert all(re.search(r"(<=|≤|<) ?-?(10[2-9]|2(31|63))\b|-?10[2-9] ?<=", p.statement) for p in lost)
    # CodeElo: the tags block (a solution hint) leaves the statement; the stated limits fill the fields
    p = codeelo[0]
    assert "Tags:" not in p.statement and p.stats["tags"] == ["implementation", "sortings"]
    assert "tags_in_statement" in p.stats["upstream_defects"] and (p.time_limit_s, p.memory_limit_mb) == (1.0, 256)


# ---------------------------------------------------------------------------------------------- dedup
def perturb(text: str, seed: int) -> str:
    """A near copy: other whitespace, LaTeX dollars, one word changed, a sentence appended."""
    rng = random.Random(seed)
    words = text.split()
    i = rng.randrange(len(words))
    words[i] = words[i].upper() + "s"
    return "  ".join(words).replace("n", "$n$", 3) + "\nNote: read the input carefully."


def test_dedup_catches_exact_and_perturbed_duplicates(contests):
    base = contests[:40]
    exact = base[3].with_(problem_id="copy-exact", source="taco", statement=base[3].statement.replace(" ", "  ") + "\n",
                          tests=base[3].tests[:1])
    near = base[7].with_(problem_id="copy-near", source="taco", statement=perturb(base[7].statement, 0), tests=base[7].tests[:1])
    alone = [p.problem_id for p in dedup(base, DedupConfig(), BuildReport())]
    report = BuildReport()
    kept = list(dedup(base + [exact, near], DedupConfig(), report))
    assert [p.problem_id for p in kept] == alone  # the injected copies change nothing else
    reasons = {r.problem_id: r for r in report.rejections if r.problem_id.startswith("copy-")}
    assert set(reasons) == {"copy-exact", "copy-near"}
    assert reasons["copy-exact"].kind == "duplicate (same statement)"
    assert reasons["copy-near"].kind == "duplicate (near statement)" and reasons["copy-near"].detail["duplicate_of"] == f"deepcoder/{base[7].problem_id}"


def test_dedup_with_process_pool_matches_in_process(contests):
    base = contests[:60] + [contests[5].with_(problem_id="dup", statement=perturb(contests[5].statement, 1))]
    one = [p.problem_id for p in dedup(base, DedupConfig(workers=1, chunk_size=16), BuildReport())]
    two = [p.problem_id for p in dedup(base, DedupConfig(workers=2, chunk_size=16), BuildReport())]
    assert one == two and "dup" not in one


def test_easy_and_hard_versions_both_survive(contests):
    """Real case in the CodeContests test split: the easy and hard versions of one Codeforces problem
    share most of their statement (shingle Jaccard 0.89) but differ in constraints: two problems."""
    (hard,) = [p for p in contests if "harder version" in p.statement]
    easy = max((p for p in contests if p is not hard), key=lambda p: len(set(p.statement.split()) & set(hard.statement.split())))
    report = BuildReport()
    kept = list(dedup(contests, DedupConfig(), report))
    assert {hard.problem_id, easy.problem_id} <= {p.problem_id for p in kept}
    assert not report.rejections_by("dedup")


def test_deepcoder_test_files_keep_distinct_versions_and_drop_true_copies(contests, codeelo):
    """In the DeepCoder test files 27 problems used to be removed as near duplicates, 16 of them other
    versions ("This is the hard version ...") of a kept problem. Now only the 11 true copies go: same
    statement and same tests."""
    problems = contests + codeelo
    by_key = {f"{p.source}/{p.problem_id}": p for p in problems}
    report = BuildReport()
    list(dedup(problems, DedupConfig(), report))
    removed = report.rejections_by("dedup")
    assert len(removed) == 11
    for r in removed:
        copy, kept = by_key[f"{r.source}/{r.problem_id}"], by_key[r.detail["duplicate_of"]]
        assert copy.statement == kept.statement and set(copy.tests) == set(kept.tests)


def test_leetcode_ii_variants_are_not_duplicates(real_data):
    """All 13 near-duplicate removals in the LeetCodeDataset test split were distinct "...-ii" problems."""
    lcd = real(real_data, "leetcodedataset={d}/leetcodedataset/LeetCodeDataset-v0.3.1-test.jsonl.gz")
    report = BuildReport()
    assert len(list(dedup(lcd, DedupConfig(), report))) == len(lcd) and not report.rejections
    pairs = [(p, q) for p in lcd for q in lcd if q.title == p.title[:-1] + "ii" and p.title.endswith("-i")]
    assert len(pairs) >= 5


def rename_variables(text: str) -> str:
    """A copy with every one-letter math variable renamed ($n$ -> $q$ ...), as another site would write it."""
    names = dict(zip("nmkxyab", "qpzuvcd"))
    return re.sub(r"(?<![A-Za-z\\])([nmkxyab])(?![A-Za-z])", lambda m: names[m.group(1)], text)


def reword(text: str, seed: int) -> str:
    """A reworded copy: sentences in another order, common words swapped for synonyms."""
    rng = random.Random(seed)
    sentences = re.split(r"(?<=[.!?])\s+", text)
    rng.shuffle(sentences)
    swaps = {"given": "provided", "integer": "whole number", "print": "output", "find": "determine", "number": "count"}
    return " ".join(sentences).replace(" the ", " this ").translate({}) if not swaps else " ".join(
        " ".join(swaps.get(w, w) for w in s.split(" ")) for s in sentences)


def test_copies_with_reworded_statements_are_found_by_their_tests(contests):
    """Statement MinHash finds few renamed or reworded copies; identical test sets find them all."""
    originals = [p for p in contests if sum(len(t.input) + len(t.output) for t in p.tests) >= 64][:30]
    renamed = [p.with_(problem_id=f"renamed-{i}", source="taco", statement=rename_variables(p.statement)) for i, p in enumerate(originals)]
    reworded = [p.with_(problem_id=f"reworded-{i}", source="taco", statement=reword(p.statement, i)) for i, p in enumerate(originals)]
    report = BuildReport()
    kept = list(dedup(originals + renamed + reworded, DedupConfig(), report))
    assert [p.problem_id for p in kept] == [p.problem_id for p in originals]
    evidence = [r.detail["evidence"] for r in report.rejections_by("dedup")]
    assert sum(e.startswith("same tests") for e in evidence) >= 50
    # statements alone: the MinHash rule catches a minority of them
    text_only = BuildReport()
    untested = [p.with_(tests=(TestCase(f"{i}\n", f"{i}\n"),)) for i, p in enumerate(originals + renamed + reworded)]
    list(dedup(untested, DedupConfig(), text_only))
    assert len(text_only.rejections_by("dedup")) < 30


def _deepcoder_rows(problems: list[Problem], order: str) -> list[dict]:
    """Each real problem twice: a copy holding only its first test, and the full problem."""
    rows = []
    for p in problems:
        one = {"problem": p.statement, "tests": {"inputs": [p.tests[0].input], "outputs": [p.tests[0].output]}}
        full = {"problem": p.statement, "tests": {"inputs": [t.input for t in p.tests], "outputs": [t.output for t in p.tests]}}
        rows += [one, full] if order == "thin first" else [full, one]
    return rows


@pytest.mark.parametrize("order", ["thin first", "full first"])
def test_the_copy_with_more_tests_is_kept_wherever_it_comes(tmp_path, contests, order):
    """10 one-test copies listed before their full versions used to give 0 problems (the first copy was
    kept, then failed min-tests); now the full copy is kept in either order, and verification dropping
    a copy lets the next one in."""
    rich = [p for p in contests if len(p.tests) >= 6 and "multiple" not in p.statement.lower()
            and "any of them" not in p.statement.lower()][:10]
    assert len(rich) == 10
    path = tmp_path / "deepcoder_code_contests_copies.json"
    path.write_text(json.dumps(_deepcoder_rows(rich, order)))
    result = build_dataset(BuildConfig(output=tmp_path / "ds", sources=[f"deepcoder={path}"]))
    assert result.num_problems == 10
    counts = result.report.to_dict()["stages"]
    assert counts["verify"]["out"] == 10 and counts["dedup"] == {"in": 10, "out": 10, "per_source": {"deepcoder": {"in": 10, "out": 10}}}
    no_verify = build_dataset(BuildConfig(output=tmp_path / "nv", sources=[f"deepcoder={path}"], verify=None))
    assert no_verify.num_problems == 10 and no_verify.stats.tests == sum(min(len(p.tests), 30) for p in rich)


def test_groups_are_annotated_not_removed_in_the_clean_phase(contests):
    copy = contests[3].with_(problem_id="copy", source="taco")
    out = list(group_duplicates(contests[:5] + [copy], DedupConfig(), BuildReport()))
    assert len(out) == 6 and out[-1].stats["dup_group"] == f"deepcoder/{contests[3].problem_id}"
    assert exact_key(copy.statement) == exact_key(contests[3].statement)


def test_threshold_near_one_works():
    """`--near-dup-threshold 0.99` crashed inside datasketch (no band split with >= 2 bands)."""
    a = Problem("a", "apps", "Read n and print the sum of the first n odd numbers, one per line.", (TestCase("1", "1"),))
    out = list(dedup([a, a.with_(problem_id="b")], DedupConfig(threshold=0.99), BuildReport()))
    assert [p.problem_id for p in out] == ["a"]


# -------------------------------------------------------------------------------------- decontaminate
def lcb_rows() -> list[dict]:
    import gzip

    with gzip.open(default_lcb_reference()[0], "rt") as fh:
        return [json.loads(line) for line in fh]


def test_decontamination_removes_copied_lcb_statement_only(contests):
    rows = lcb_rows()
    victim = next(r for r in rows if r["question_id"] == "abc301_a")
    copied = Problem("copied", "taco", "Story time! " + victim["question_content"], (TestCase("1", "1"),))
    report = BuildReport()
    kept = list(decontaminate(contests + [copied], DecontamConfig(against=default_lcb_reference(), window_start=None), report))
    assert [r.problem_id for r in report.rejections] == ["copied"]  # no false positive on 165 real contest problems
    rej = report.rejections[0]
    assert rej.detail["lcb_question_id"] == "abc301_a" and rej.detail["coverage"] > 0.9 and rej.field == "statement"
    assert len(kept) == len(contests)
    assert report.notes["decontaminate"]["reference_statements_in_window"] == 880


def test_any_ngram_mode_is_stricter(contests):
    """min_coverage=0 is open-r1's rule (any shared n-gram): it also hits boilerplate."""
    report = BuildReport()
    list(decontaminate(contests, DecontamConfig(against=default_lcb_reference(), min_coverage=0.0, window_start=None), report))
    assert len(report.rejections) > 0


@pytest.fixture(scope="module")
def lcd_2023(real_data) -> list[Problem]:
    return real(real_data, "leetcodedataset={d}/leetcodedataset/LeetCodeDataset-v0.2.0-train.lcb-2023.jsonl.gz")


def test_lcb_problems_before_the_window_are_not_contamination(lcd_2023):
    """LeetCodeDataset train rows that LiveCodeBench holds from its 2023 contests: matching every reference
    statement regardless of date removed them; a 2024-08 window keeps them, a 2023 window removes them."""
    assert len(lcd_2023) == 12
    report = BuildReport()
    kept = list(decontaminate(lcd_2023, DecontamConfig(against=default_lcb_reference(), window_start="2024-08-01"), report))
    assert len(kept) == 12 and not report.rejections
    report = BuildReport()
    assert list(decontaminate(lcd_2023, DecontamConfig(against=default_lcb_reference(), window_start="2023-01-01"), report)) == []
    rules = sorted(r.detail["rule"] for r in report.rejections)
    assert rules == ["identifier"] * 12  # the slug matches first; 4 of them the n-gram rule also finds


def test_identifiers_catch_leetcode_rewordings_the_ngram_rule_misses(lcd_2023):
    report = BuildReport()
    text_only = DecontamConfig(against=default_lcb_reference(), window_start=None, match_ids=False)
    kept = list(decontaminate(lcd_2023, text_only, report))
    assert len(report.rejections) == 4 and len(kept) == 8  # LeetCode's own rewordings evade the n-grams
    assert {p.title for p in kept} >= {"minimize-string-length", "max-pair-sum-in-an-array"}
    report = BuildReport()
    assert list(decontaminate(kept, DecontamConfig(against=default_lcb_reference(), window_start=None), report)) == []
    assert all(r.detail["identifier"].startswith("leetcode:") for r in report.rejections)


def test_identifiers_of_the_other_platforms():
    from mcdata.identifiers import problem_keys, reference_keys

    apps = Problem("7", "apps", "x" * 30, (TestCase("1", "1"),), stats={"url": "https://codeforces.com/problemset/problem/1873/A"})
    cc = Problem("1873_A. Short Sort", "codecontests", "x" * 30, (TestCase("1", "1"),), platform="codeforces")
    r1 = Problem("1873/A", "codeforces", "x" * 30, (TestCase("1", "1"),), platform="codeforces")
    atcoder = Problem("9", "taco", "x" * 30, (TestCase("1", "1"),), stats={"url": "https://atcoder.jp/contests/abc301/tasks/abc301_a"})
    assert problem_keys(apps) == problem_keys(cc) == problem_keys(r1) == {"codeforces:1873A"}
    assert problem_keys(atcoder) == {"atcoder:abc301_a"}
    assert reference_keys({"platform": "codeforces", "question_id": "1873_A"}) == {"codeforces:1873A"}
    assert reference_keys({"platform": "leetcode", "question_id": "2727", "question_title": "number-of-senior-citizens"}) == {
        "leetcode:number-of-senior-citizens", "leetcode-id:2727"}


def test_date_window(real_data):
    problems = real(real_data, "lcb={d}/sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl")
    dated = [p.with_(contest_date=d) for p, d in zip(problems, ["2023-08-21T00:00:00", "2024-08-01", None])]
    report = BuildReport()
    kept = list(decontaminate(dated, DecontamConfig(window_start="2024-08-01", window_end="2025-05-01"), report))
    assert [p.contest_date for p in kept] == ["2023-08-21T00:00:00", None]  # "2024-08-01" is inside
    assert report.rejections[0].kind == "contest date in evaluation window"
    assert in_window("2025-05-01T00:00:00", "2024-08-01", "2025-05-01") is False
    assert in_window("2024/07/05", "2024-08-01", None) is False and in_window("2024/08/05", "2024-08-01", None)
    assert in_window("2024-01-01T00:00:00", None, None) is False


@pytest.mark.parametrize("text, message", [
    ("2024-13-01:", "unrecognised date '2024-13-01'"),
    ("someday:", "unrecognised date 'someday'"),
    ("2025-01-01:2024-01-01", "is not after start"),
])
def test_eval_window_is_validated_up_front(text, message):
    with pytest.raises(ValueError, match=message):
        EvalWindow.parse(text)
    assert str(EvalWindow.parse("2024-08-01:")) == "[2024-08-01, open)" and EvalWindow.parse("none").off


def test_reference_of_real_lcb_submissions_reads_dates(real_data):
    """LCB's published submission files carry statements and dates: they serve as a reference too."""
    path = real_data / "lcb_submissions/O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz"
    rows = read_json(path)
    late = sum(r["contest_date"] >= "2024-08-01" for r in rows)
    report = BuildReport()
    list(decontaminate([], DecontamConfig(against=str(path)), report))
    assert report.notes["decontaminate"]["reference_problems_in_window"] == late == report.notes["decontaminate"]["reference_statements_in_window"]
