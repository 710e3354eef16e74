"""LiveCodeBench `code_generation_lite` data: which files make a version, where they come from,
and LiveCodeBench's own filters (contest date window, platform, difficulty).

The Hub dataset's loading script no longer runs on current `datasets`, so the raw
`test*.jsonl` files are fetched with `huggingface_hub.hf_hub_download` into the normal HF cache
(or read from `--dataset-path DIR` laid out like the Hub repo). Rows are filtered on their cheap
fields before the (large, compressed) private tests are decoded by `mceval.lcb_format`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mccore.hub import HubUnreachableError, check_hub_reachable, hub_offline
from mccore.schema import Problem, SchemaError

log = logging.getLogger(__name__)

LCB_REPO_ID = "livecodebench/code_generation_lite"
LCB_FILES: tuple[str, ...] = ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl", "test6.jsonl")
# Rows each file adds (the Hub release notes); a downloaded file with another count is reported.
LCB_FILE_ROWS: dict[str, int] = dict(zip(LCB_FILES, (400, 111, 101, 101, 167, 175)))
LATEST_VERSION = 6

# `--bench` names: `lcb-v6` is the 175-problem v6 slice the MicroCoder paper reports;
# `lcb` takes the version from --release-version.
BENCH_VERSIONS: dict[str, str | None] = {"lcb": None, **{f"lcb-v{i}": f"v{i}" for i in range(1, LATEST_VERSION + 1)}}


class BenchDataError(FileNotFoundError):
    """The benchmark files are missing or unusable; the message says what to download and where."""


def version_files(version: str) -> list[str]:
    """Files of a LiveCodeBench version tag, as in its loading script: `release_vN` (cumulative
    test.jsonl..testN.jsonl), `release_latest`, `vN` (the single file N), `vX_vY` (files X..Y)."""
    tag = version.strip()
    if tag == "release_latest":
        tag = f"release_v{LATEST_VERSION}"
    if m := re.fullmatch(r"release_v(\d+)", tag):
        first, last = 1, int(m[1])
    elif m := re.fullmatch(r"v(\d+)", tag):
        first = last = int(m[1])
    elif m := re.fullmatch(r"v(\d+)_v(\d+)", tag):
        first, last = int(m[1]), int(m[2])
    else:
        raise ValueError(
            f"unknown LiveCodeBench version {version!r}; use release_v1..release_v{LATEST_VERSION}, "
            f"release_latest, v1..v{LATEST_VERSION} or vX_vY"
        )
    if not 1 <= first <= last <= LATEST_VERSION:
        raise ValueError(f"LiveCodeBench version {version!r} is out of range 1..{LATEST_VERSION}")
    return list(LCB_FILES[first - 1 : last])


def resolve_bench_version(bench: str, release_version: str | None = None) -> str:
    """The version tag for `--bench NAME [--release-version TAG]`."""
    if bench not in BENCH_VERSIONS:
        raise ValueError(f"unknown benchmark {bench!r}; choose one of {sorted(BENCH_VERSIONS)}")
    implied = BENCH_VERSIONS[bench]
    if implied and release_version and release_version != implied:
        raise ValueError(f"--bench {bench} means version {implied}; it conflicts with --release-version {release_version}")
    version = release_version or implied or f"release_v{LATEST_VERSION}"
    version_files(version)  # validate early
    return version


@dataclass(frozen=True)
class ProblemFilter:
    """LiveCodeBench's filters: contest date inside [start_date, end_date] (inclusive, YYYY-MM-DD,
    compared with the row's `contest_date` as datetimes like `lcb_runner`), platform and difficulty
    (case-insensitive; several values comma-separated)."""

    start_date: str | None = None
    end_date: str | None = None
    platform: str | None = None
    difficulty: str | None = None

    def __post_init__(self) -> None:
        for name in ("start_date", "end_date"):
            value = getattr(self, name)
            if value is not None:
                try:
                    datetime.strptime(value, "%Y-%m-%d")
                except ValueError:
                    raise ValueError(f"--{name.replace('_', '-')} must be YYYY-MM-DD, got {value!r}") from None

    @staticmethod
    def _choices(value: str | None) -> set[str] | None:
        return {v.strip().lower() for v in value.split(",") if v.strip()} if value else None

    def accepts(self, contest_date: str | None, platform: str | None, difficulty: str | None) -> bool:
        """Whether a row passes every filter; a row without a date fails any date filter."""
        if self.start_date or self.end_date:
            if not contest_date:
                return False
            when = datetime.fromisoformat(contest_date)
            if self.start_date and when < datetime.strptime(self.start_date, "%Y-%m-%d"):
                return False
            if self.end_date and when > datetime.strptime(self.end_date, "%Y-%m-%d"):
                return False
        platforms = self._choices(self.platform)
        if platforms and (platform or "").lower() not in platforms:
            return False
        difficulties = self._choices(self.difficulty)
        if difficulties and (difficulty or "").lower() not in difficulties:
            return False
        return True

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _offline_message(files: Sequence[str], cause: Exception) -> str:
    names = " ".join(files)
    why = cause.reason if isinstance(cause, HubUnreachableError) else f"{type(cause).__name__}; HF_HUB_OFFLINE may be set"
    return (
        f"LiveCodeBench {names}: not in the Hugging Face cache and not downloadable ({why}); download once with "
        f"`hf download {LCB_REPO_ID} {names} --repo-type dataset`, or pass --dataset-path DIR holding "
        f"{', '.join(LCB_FILES)} as on the Hub"
    )


def locate_lcb_files(version: str, dataset_path: str | Path | None = None, revision: str | None = None) -> list[Path]:
    """Local paths of the version's files: from `dataset_path`, else from the HF cache (downloading
    them when the Hub is reachable). Missing files raise BenchDataError with instructions."""
    files = version_files(version)
    if dataset_path is not None:
        root = Path(dataset_path)
        if not root.is_dir():
            raise BenchDataError(f"--dataset-path {root} is not a directory")
        missing = [f for f in files if not (root / f).is_file()]
        if missing:
            raise BenchDataError(
                f"--dataset-path {root} lacks {', '.join(missing)} needed by LiveCodeBench {version} "
                f"(files must be named as on the Hub: {', '.join(LCB_FILES)})"
            )
        return [root / f for f in files]

    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    paths = []
    hub_checked = False
    for index, name in enumerate(files):
        try:  # the cache first: no network round trip when the files are already here
            paths.append(Path(hf_hub_download(LCB_REPO_ID, name, repo_type="dataset", revision=revision,
                                              local_files_only=True)))
            continue
        except LocalEntryNotFoundError:
            pass
        try:
            if not hub_checked and not hub_offline():  # one quick check instead of minutes of retries
                check_hub_reachable(f"LiveCodeBench ({LCB_REPO_ID})")
                hub_checked = True
            paths.append(Path(hf_hub_download(LCB_REPO_ID, name, repo_type="dataset", revision=revision)))
        except (LocalEntryNotFoundError, HfHubHTTPError, OSError) as exc:
            raise BenchDataError(_offline_message(files[index:], exc)) from None
    return paths


def load_lcb_benchmark(
    version: str = "v6",
    dataset_path: str | Path | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    platform: str | None = None,
    difficulty: str | None = None,
    *,
    revision: str | None = None,
) -> list[Problem]:
    """The problems of a LiveCodeBench version after filtering, in file order.

    `version` is a tag (`v6`, `release_v5`, ...) or a `--bench` name (`lcb-v6`)."""
    from mceval.lcb_format import iter_lcb_rows, problem_from_lcb_row

    if version in BENCH_VERSIONS:
        version = resolve_bench_version(version)
    keep = ProblemFilter(start_date, end_date, platform, difficulty)
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in locate_lcb_files(version, dataset_path, revision):
        rows = 0
        for where, row in iter_lcb_rows(path):  # names file and line on malformed JSON
            rows += 1
            if not isinstance(row, dict):
                raise SchemaError(f"{where}: expected a JSON object per line")
            for field in ("question_id", "platform", "contest_date"):
                if field not in row:
                    raise SchemaError(f"{where}: missing field {field!r}")
            if not keep.accepts(row.get("contest_date"), row.get("platform"), row.get("difficulty")):
                continue
            qid = str(row["question_id"])
            if qid in seen:
                raise SchemaError(f"{where}: duplicate question_id {qid!r} (first seen at {seen[qid]})")
            seen[qid] = where
            problem = problem_from_lcb_row(row, where=where)
            if row.get("contest_id") not in (None, ""):  # LiveCodeBench's result files carry it
                problem = dataclasses.replace(problem, stats={**problem.stats, "contest_id": str(row["contest_id"])})
            problems.append(problem)
        expected = LCB_FILE_ROWS.get(path.name)
        if dataset_path is None and expected is not None and rows != expected:
            log.warning("%s has %d rows, the Hub release notes say %d", path, rows, expected)
    return problems


def file_record(path: Path) -> dict[str, object]:
    """What summary.json records about one data file: name, size, SHA-256 and, for a file from the
    HF cache, the dataset commit it came from (its snapshot folder), so a score names its data."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    record: dict[str, object] = {"name": path.name, "bytes": path.stat().st_size, "sha256": digest.hexdigest()}
    if path.parent.parent.name == "snapshots":
        record["commit"] = path.parent.name
    return record
