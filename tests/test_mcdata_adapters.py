"""Every collection adapter on the real samples in tests/data (or, where a format has no sample
there — TACO, deepmind/code_contests, open-r1/codeforces — on tiny rows shaped like the real ones,
field for field as in reference-datasets.md §1), plus bad input: per-row rejections in lenient mode,
errors naming file/row/field in strict mode."""

from __future__ import annotations

import base64
import json
import zlib
from collections import Counter
from pathlib import Path

import pytest
from conftest import read_json

from mccore.schema import Problem
from mcdata.collect import CollectConfig, SourceSpec, collect
from mcdata.report import BuildReport, RejectionError


def run(spec: str, strict: bool = False, limit: int | None = None) -> tuple[list[Problem], BuildReport]:
    report = BuildReport(strict=strict)
    return list(collect([SourceSpec.parse(spec)], CollectConfig(limit_per_source=limit), report)), report


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_apps_real_sample(real_data):
    problems, report = run(f"apps={real_data / 'apps-coderl-sample/apps_train_sample.jsonl'}")
    assert not report.rejections
    by_id = {p.problem_id: p for p in problems}
    assert sorted(by_id) == ["1", "111", "2287", "2404", "4184"]
    p = by_id["2287"]
    assert (p.func_name, p.platform, p.difficulty, len(p.tests), len(p.solutions)) == (None, "atcoder", "hard", 3, 10)
    assert p.tests[0].testtype == "stdin" and p.tests[0].input.startswith("5\n")
    lc = by_id["2404"]  # LeetCode row: class Solution starter, outputs not wrapped
    assert lc.func_name == "findKthPositive" and lc.tests[0].input == "[2, 3, 4, 7, 11]\n5" and lc.tests[0].output == "9"
    cw = by_id["4184"]  # Codewars row: top-level function, outputs wrapped as [x]
    assert cw.stats["unwrapped_outputs"] and cw.stats["solution_shim"]
    assert [t.output for t in cw.tests][:2] in (["false", "false"], ["false", "true"], ["true", "false"], ["true", "true"])
    assert cw.starter_code.startswith("class Solution:\n    def is_prime(self, ")
    assert all("class Solution" in s for s in cw.solutions) and len(cw.solutions) == 8


def test_apps_codewars_shim_really_runs(real_data):
    """The rewritten Codewars reference must be callable the way the grader calls it."""
    problems, _ = run(f"apps={real_data / 'apps-coderl-sample/apps_train_sample.jsonl'}")
    cw = next(p for p in problems if p.problem_id == "4184")
    namespace: dict = {}
    exec(cw.solutions[0], namespace)  # trusted: a reference solution from the sample, in the test process
    for test in cw.tests:
        args = [json.loads(line) for line in test.input.split("\n")]
        assert getattr(namespace["Solution"](), "is_prime")(*args) == json.loads(test.output)


def test_taco_real_shaped_row(tmp_path):
    """No TACO sample in tests/data: one row with TACO's fields (APPS layout + source/date/limits)."""
    row = {
        "question": "Given N, print N squared.\n\nInput\nOne integer N.\n\nOutput\nN*N.",
        "solutions": json.dumps(["n=int(input())\nprint(n*n)"]),
        "starter_code": "",
        "input_output": json.dumps({"inputs": ["2\n", "3\n"], "outputs": ["4\n", "9\n"]}),
        "difficulty": "MEDIUM_HARD",
        "raw_tags": "['Math']",
        "name": "square",
        "source": "codeforces",
        "tags": "['Mathematics']",
        "skill_types": "[]",
        "url": "https://codeforces.com/problemset/problem/1/A",
        "Expected Auxiliary Space": None,
        "time_limit": "2 seconds",
        "date": "2019-05-04",
        "picture_num": "0",
        "memory_limit": "256 megabytes",
        "Expected Time Complexity": None,
    }
    problems, report = run(f"taco={write_jsonl(tmp_path / 'taco.jsonl', [row])}")
    (p,) = problems
    assert (p.source, p.platform, p.difficulty, p.contest_date) == ("taco", "codeforces", "hard", "2019-05-04T00:00:00")
    assert (p.time_limit_s, p.memory_limit_mb, p.title) == (2.0, 256, "square")
    assert [t.output for t in p.tests] == ["4\n", "9\n"] and p.stats["source_difficulty"] == "MEDIUM_HARD"


def test_codecontests_sandboxfusion_real(real_data):
    problems, report = run(f"codecontests={real_data / 'sandboxfusion_samples/code_eval_code_contests.jsonl.gz'}")
    assert len(problems) == 20 and not report.rejections
    assert sum(len(p.tests) for p in problems) == 2233  # SOURCE.md: 2,233 tests in total
    assert Counter(p.platform for p in problems) == {"codeforces": 17, "codechef": 3}
    assert all(p.license == "cc-by-4.0" and p.tests[0].testtype == "stdin" for p in problems)


def test_codecontests_deepmind_real_shaped_row(tmp_path):
    """deepmind/code_contests layout (no sample file here): public/private/generated tests, Python 3 solutions."""
    row = {
        "name": "1548_A. Web of Lies",
        "description": "There are n nobles, numbered from 1 to n. Print the answer for each query.",
        "public_tests": {"input": ["4 3\n"], "output": ["2\n"]},
        "private_tests": {"input": ["1 0\n"], "output": ["1\n"]},
        "generated_tests": {"input": ["2 0\n", "3 0\n"], "output": ["2\n", "3\n"]},
        "source": 2,
        "difficulty": 7,
        "solutions": {"language": [2, 3, 1], "solution": ["int main(){}", "print(2)", "print 2"]},
        "cf_contest_id": 1548,
        "cf_index": "A",
        "cf_rating": 1400,
        "time_limit": {"seconds": 2, "nanos": 0},
        "memory_limit_bytes": 256000000,
    }
    (p,) = run(f"codecontests={write_jsonl(tmp_path / 'cc.jsonl', [row])}")[0]
    assert [t.is_public for t in p.tests] == [True, False, False, False]
    assert p.solutions == ("print(2)",)  # only language 3 = PYTHON3
    assert (p.platform, p.difficulty, p.time_limit_s, p.memory_limit_mb) == ("codeforces", "medium", 2.0, 244)


def test_deepcoder_both_test_shapes_real(real_data):
    folder = real_data / "deepcoder-rllm-tests"
    cc, report = run(f"deepcoder={folder / 'code_contests_test.json.gz'}")
    assert len(cc) == 165 and sum(len(p.tests) for p in cc) == 1837 and not report.rejections  # TACO-dict shape
    cf, report = run(f"deepcoder={folder / 'codeforces_codeelo_test.json.gz'}")
    assert len(cf) == 408 and sum(len(p.tests) for p in cf) == 468 and not report.rejections  # LCB-list shape
    assert Counter(len(p.tests) for p in cf)[1] == 378


def test_deepcoder_functional_lcb_shape(tmp_path):
    """DeepCoder's lcbv5 rows: LCB test list with testtype functional + metadata.func_name."""
    row = {
        "problem": "Return the sum of the array nums.",
        "tests": json.dumps([{"input": "[1, 2]", "output": "3", "testtype": "functional"}]),
        "metadata": json.dumps({"func_name": "total"}),
        "starter_code": "class Solution:\n    def total(self, nums: List[int]) -> int:\n        ",
    }
    (p,) = run(f"deepcoder={write_jsonl(tmp_path / 'd.jsonl', [row])}")[0]
    assert p.func_name == "total" and p.tests[0].testtype == "functional"


def test_lcb_sandboxfusion_real(real_data):
    problems, report = run(f"lcb={real_data / 'sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl'}")
    by_id = {p.problem_id: p for p in problems}
    assert sorted(by_id) == ["1873_A", "2727", "abc301_a"] and not report.rejections
    assert [len(by_id[q].tests) for q in ("1873_A", "2727", "abc301_a")] == [5, 14, 15]
    seniors = by_id["2727"]
    assert seniors.func_name == "countSeniors" and seniors.platform == "leetcode"
    assert seniors.starter_code.startswith("class Solution:\n    def countSeniors(self, details: List[str]) -> int:")
    assert json.loads(seniors.tests[0].input)[0] == "7868190130M7522"
    assert by_id["1873_A"].statement.startswith("There are three cards") and "### Format" not in by_id["1873_A"].statement


def test_lcb_code_generation_lite_rows(real_data, tmp_path):
    """Real code_generation_lite rows: statements/dates from LCB's published submissions, tests from the
    SandboxFusion copy of the same problems, assembled with the evaluator's own row writer."""
    from mceval.lcb_format import problem_to_lcb_row

    sf, _ = run(f"lcb={real_data / 'sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl'}")
    meta = {
        r["question_id"]: r
        for r in read_json(real_data / "lcb_submissions/O1-Mini-2024-09-12_N1_codegeneration_1_0.2_eval_all.json.gz")
    }
    rows = []
    for p in sf:
        m = meta[p.problem_id]
        p = p.with_(statement=m["question_content"], title=m["question_title"], contest_date=m["contest_date"])
        rows.append(problem_to_lcb_row(p))
    problems, report = run(f"lcb={write_jsonl(tmp_path / 'test6.jsonl', rows)}")
    assert not report.rejections and len(problems) == 3
    dates = {p.problem_id: p.contest_date for p in problems}
    assert dates["1873_A"] == "2023-08-21T00:00:00" and all(p.source == "lcb" for p in problems)


def test_leetcodedataset_real(real_data):
    path = real_data / "leetcodedataset/LeetCodeDataset-v0.3.1-test.jsonl.gz"
    problems, report = run(f"leetcodedataset={path}", limit=40)  # 40 of 228 rows keeps the test budget
    assert len(problems) + len(report.rejections) == 40  # nothing lost silently
    assert len(problems) > 25
    assert all(r.reason and r.location == str(path) for r in report.rejections)
    p = problems[0]
    assert p.func_name and p.contest_date >= "2024-08-04" and p.solutions and p.platform == "leetcode"
    assert p.tests[0].testtype == "functional"


def test_codeforces_real_shaped_rows(tmp_path):
    """open-r1/codeforces layout (no sample in tests/data): a normal problem, an interactive one and one
    needing a checker; the last two are rejected with their reason."""
    base = {
        "id": "1999/A", "contest_id": "1999", "index": "A", "contest_start": 1722600000, "title": "Sum",
        "time_limit": 1.0, "memory_limit": 256.0, "description": "Given a and b, print a+b.",
        "input_format": "Two integers a and b.", "output_format": "Their sum.", "interaction_format": None,
        "note": None, "examples": [{"input": "1 2\n", "output": "3\n"}], "rating": 800, "tags": ["math"],
        "official_tests": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10\n"}],
        "official_tests_complete": True, "input_mode": "stdio", "generated_checker": None, "executable": True,
    }
    rows = [base, {**base, "id": "1999/B", "interaction_format": "Ask queries ? x"}, {**base, "id": "1999/C", "generated_checker": "def check(): ..."}]
    problems, report = run(f"codeforces={write_jsonl(tmp_path / 'cf.jsonl', rows)}")
    (p,) = problems
    assert [t.is_public for t in p.tests] == [True, False]  # the example is not repeated
    assert "Input\n\nTwo integers" in p.statement and p.contest_date == "2024-08-02T12:00:00"
    assert (p.difficulty, p.time_limit_s, p.memory_limit_mb) == ("easy", 1.0, 256)
    assert sorted(r.field for r in report.rejections) == ["generated_checker", "interaction_format"]


def test_microcoder_roundtrip(tmp_path, real_data):
    from mcdata.write import WriteConfig, write_parquet

    problems, _ = run(f"apps={real_data / 'apps-coderl-sample/apps_train_sample.jsonl'}")
    path = tmp_path / "train.parquet"
    write_parquet(path, problems, WriteConfig())
    again, report = run(f"microcoder={path}")
    assert again == problems and not report.rejections


# ------------------------------------------------------------------------------------------ bad input


def test_bad_rows_become_rejections_naming_file_row_field(tmp_path, real_data):
    lines = (real_data / "apps-coderl-sample/apps_train_sample.jsonl").read_text().splitlines()
    broken = json.loads(lines[1])
    broken["input_output"] = "{not json"
    no_tests = json.loads(lines[2])
    no_tests["input_output"] = json.dumps({"inputs": [], "outputs": []})
    path = tmp_path / "apps.jsonl"
    path.write_text("\n".join([lines[0], "{truncated", json.dumps(broken), json.dumps(no_tests), lines[3]]) + "\n")
    problems, report = run(f"apps={path}")
    assert [p.problem_id for p in problems] == ["1", "2404"]
    got = [(r.row, r.field, r.location) for r in report.rejections]
    assert got == [(2, None, str(path)), (3, "input_output", str(path)), (4, "input_output", str(path))]
    assert "invalid JSON" in report.rejections[0].reason and "no tests" in report.rejections[2].reason
    assert report.to_dict()["stages"]["collect"]["in"] == 5


def test_strict_mode_raises_with_file_row_field(tmp_path, real_data):
    lines = (real_data / "apps-coderl-sample/apps_train_sample.jsonl").read_text().splitlines()
    bad = json.loads(lines[0])
    bad["input_output"] = json.dumps({"inputs": ["1\n", "2\n"], "outputs": ["1\n"]})
    path = write_jsonl(tmp_path / "apps.jsonl", [json.loads(lines[1]), bad])
    with pytest.raises(RejectionError) as err:
        run(f"apps={path}", strict=True)
    assert str(path) in str(err.value) and "row 2" in str(err.value) and "'input_output'" in str(err.value)


def test_undecodable_test_encoding_is_rejected(tmp_path, real_data):
    rows = [json.loads(l) for l in (real_data / "sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl").read_text().splitlines()]
    rows[0]["test"] = "not base64 !!"
    # a pickle that asks for a global (os.system) must be refused, not executed
    evil = b"cos\nsystem\n(S'echo pwned'\ntR."
    rows[1]["test"] = base64.b64encode(zlib.compress(evil)).decode()
    problems, report = run(f"lcb={write_jsonl(tmp_path / 'lcb.jsonl', rows)}")
    assert [p.problem_id for p in problems] == ["abc301_a"]
    assert [r.field for r in report.rejections] == ["test", "test"]
    assert "refusing to load global os.system" in report.rejections[1].reason


def test_unknown_format_and_missing_path():
    with pytest.raises(ValueError, match="unknown source format 'tacoo'"):
        SourceSpec.parse("tacoo=x")
    with pytest.raises(ValueError, match="FORMAT=PATH_OR_HUB_ID"):
        SourceSpec.parse("just-a-path")
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        run("apps=./no/such/file.jsonl")


def test_hub_specs_pin_revision_files_and_default_splits():
    from mcdata.hubsource import HubSpec, raw_patterns
    from mcdata.io import looks_like_hub_id

    spec = HubSpec.parse("agentica-org/DeepCoder-Preview-Dataset:taco@train#5c9d3b1")
    assert (spec.repo_id, spec.config, spec.split, spec.revision) == ("agentica-org/DeepCoder-Preview-Dataset", "taco", "train", "5c9d3b1")
    assert HubSpec.parse("codeparrot/apps/test.jsonl").data_files == "test.jsonl"
    assert looks_like_hub_id("codeparrot/apps") and not looks_like_hub_id("./local/file.jsonl")
    # LiveCodeBench has only a test split; script-based repos are read from their raw files
    assert HubSpec.parse("livecodebench/code_generation_lite").split_for("lcb") == "test"
    assert raw_patterns(HubSpec.parse("codeparrot/apps@test"), "apps") == ("test.jsonl",)
    assert raw_patterns(HubSpec.parse("BAAI/TACO"), "taco") == ("train/*.arrow",)
    assert raw_patterns(HubSpec.parse("livecodebench/code_generation_lite:release_v2"), "lcb") == ("test.jsonl", "test2.jsonl")
    assert raw_patterns(HubSpec.parse("deepmind/code_contests"), "codecontests") is None  # Parquet: `datasets` streams it


def test_hub_sources_fail_in_one_clear_error_offline(monkeypatch):
    """Tests run offline: a script-based repo (raw files) and a Parquet repo (`datasets`) must each end in
    one error naming the source, not an uncaught `datasets` error."""
    from mcdata.hubsource import HubReadError

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    with pytest.raises(HubReadError, match=r"hf://codeparrot/apps@train: cannot download train.jsonl"):
        run("apps=codeparrot/apps")
    with pytest.raises(HubReadError, match=r"hf://deepmind/code_contests@train: cannot read this Hub dataset"):
        run("codecontests=deepmind/code_contests")


def test_unreachable_hub_fails_within_seconds(monkeypatch, tmp_path):
    """No network: the Hub endpoint is a closed local port (the outermost boundary); one line names the host."""
    import socket
    import time

    from mcdata.hubsource import HubReadError

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    start = time.monotonic()
    with pytest.raises(HubReadError, match=rf"DeepCoder-Preview-Dataset:taco@train: cannot reach .*127.0.0.1:{port}"):
        run("deepcoder=agentica-org/DeepCoder-Preview-Dataset:taco")
    assert time.monotonic() - start < 15


# ------------------------------------------------------------------------------------- licenses, ids
def test_rows_are_labelled_with_their_upstream_license(real_data, tmp_path):
    """DeepCoder re-packs other sets: its CodeContests rows are CC-BY-4.0, its CodeElo rows Apache-2.0."""
    folder = real_data / "deepcoder-rllm-tests"
    cc, _ = run(f"deepcoder={folder / 'code_contests_test.json.gz'}", limit=5)
    elo, _ = run(f"deepcoder={folder / 'codeforces_codeelo_test.json.gz'}", limit=5)
    assert {(p.license, p.stats["upstream"]) for p in cc} == {("cc-by-4.0", "CodeContests")}
    assert {(p.license, p.stats["upstream"], p.platform) for p in elo} == {("apache-2.0", "CodeElo", "codeforces")}
    lcd, _ = run(f"leetcodedataset={real_data / 'leetcodedataset/LeetCodeDataset-v0.2.0-train.first40.jsonl.gz'}", limit=3)
    lcb, _ = run(f"lcb={real_data / 'sandboxfusion_samples/code_eval_live_code_bench_v1.jsonl'}")
    assert {p.license for p in lcd} == {"mit"} and {p.license for p in lcb} == {"cc"}


def test_same_id_in_two_splits_is_two_problems(tmp_path, real_data):
    """APPS train and test both number their problems 0-4999: another split's problem 1 is renamed."""
    lines = (real_data / "apps-coderl-sample/apps_train_sample.jsonl").read_text().splitlines()
    (tmp_path / "train.jsonl").write_text(lines[0] + "\n" + lines[1] + "\n")
    other = json.loads(lines[2])
    other["problem_id"] = json.loads(lines[0])["problem_id"]
    (tmp_path / "test.jsonl").write_text(json.dumps(other) + "\n" + lines[1] + "\n")
    problems, report = run(f"apps={tmp_path}")
    # test.jsonl is read first (file order); train's problems with the same ids are renamed
    assert [p.problem_id for p in problems] == ["1", "111", "1@train", "111@train"]
    assert {p.stats.get("upstream_id") for p in problems if "@" in p.problem_id} == {"1", "111"}
    assert not report.rejections
    # the same row twice in one file is a duplicate row
    (tmp_path / "test.jsonl").write_text(lines[0] + "\n" + lines[0] + "\n")
    problems, report = run(f"apps={tmp_path / 'test.jsonl'}")
    assert len(problems) == 1 and report.rejections[0].kind == "duplicate row"


# ------------------------------------------------------------------------------ files as users have them
def test_utf8_bom_and_utf16_files_read_every_row(tmp_path, real_data):
    text = (real_data / "apps-coderl-sample/apps_train_sample.jsonl").read_text()
    (tmp_path / "bom.jsonl").write_bytes("\ufeff".encode() + text.encode())
    (tmp_path / "utf16.jsonl").write_bytes(text.encode("utf-16"))
    for name in ("bom.jsonl", "utf16.jsonl"):
        problems, report = run(f"apps={tmp_path / name}")
        assert [p.problem_id for p in problems] == ["1", "111", "2287", "2404", "4184"] and not report.rejections, name


def test_a_latin1_row_is_rejected_naming_file_and_row(tmp_path, real_data):
    lines = (real_data / "apps-coderl-sample/apps_train_sample.jsonl").read_text().splitlines()
    bad = json.loads(lines[1])
    bad["question"] = bad["question"] + " caf\u00e9"
    path = tmp_path / "latin1.jsonl"
    latin1 = json.dumps(bad).encode().replace(b"caf\\u00e9", b"caf\xe9")  # the one non-ASCII character, in Latin-1
    path.write_bytes((lines[0] + "\n").encode() + latin1 + b"\n")
    problems, report = run(f"apps={path}")
    assert [p.problem_id for p in problems] == ["1"]
    (rejection,) = report.rejections
    assert (rejection.row, rejection.location) == (2, str(path)) and "not UTF-8 text (byte 0xe9" in rejection.reason


def test_truncated_gzip_names_the_file(tmp_path, real_data):
    from mccore.textfile import InputFileError

    data = (real_data / "leetcodedataset/LeetCodeDataset-v0.2.0-train.first40.jsonl.gz").read_bytes()
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=rf"{path}: truncated or corrupt compressed file .* after row \d+"):
        run(f"leetcodedataset={path}")


def test_a_built_dataset_folder_is_read_through_its_shards(tmp_path):
    from mcdata.pipeline import BuildConfig, build_dataset

    out = tmp_path / "ds"
    built = build_dataset(BuildConfig(output=out, verify=None))
    problems, report = run(f"microcoder={out}")
    assert len(problems) == built.num_problems and not report.rejections  # build_report.json is not a row


def test_a_source_none_of_whose_rows_parses_is_a_wrong_format(real_data):
    from mcdata.collect import SourceFormatError

    with pytest.raises(SourceFormatError, match=r"0/20 rows parsed as apps — wrong format\? \(first error: field 'question'"):
        run(f"apps={real_data / 'sandboxfusion_samples/code_eval_code_contests.jsonl.gz'}")
    with pytest.raises(ValueError, match="limit_per_source must be >= 1"):
        CollectConfig(limit_per_source=-1)
