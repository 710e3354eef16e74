"""Reading raw rows from local files or the Hub.

Rows stream one at a time (JSONL line by line, Parquet batch by batch, Hub datasets with
`streaming=True`) so memory stays bounded whatever the input size. Each row comes with a
`RowRef` saying where it came from, so errors and rejections name the file and row.
A JSON array file is the one exception: `json` has no streaming parser, so it is read whole.

Files as users have them: UTF-8 with or without a byte-order mark, UTF-16 with one; a line that is
not UTF-8 becomes a rejected row naming the file and row; a truncated or corrupt `.gz` stops the
build with one error naming the file and the last row read. A folder written by
`microcoder build-dataset` is read through its Parquet shards only (never its report or card).
"""

from __future__ import annotations

import codecs
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mccore.folder import REPORT_NAME, WORK_DIR_NAME, require_complete
from mccore.hub import looks_like_local_path
from mccore.textfile import ARCHIVE_ERRORS, InputFileError, archive_error, open_raw, read_text_file, text_encoding

LOCAL_SUFFIXES = (".jsonl", ".json", ".parquet", ".jsonl.gz", ".json.gz", ".ndjson", ".arrow")
# Files a build writes next to its data; a folder source never reads them as rows.
NOT_DATA = {"build_report.json", "README.md", "stats.png", "dataset_infos.json"}


@dataclass(frozen=True)
class RowRef:
    """Where a raw row lives: file (or Hub id) and 1-based row number in that file."""

    location: str
    row: int

    def __str__(self) -> str:
        return f"{self.location}, row {self.row}"


class RowReadError(ValueError):
    """A row that cannot even be parsed (bad JSON line, not an object, not UTF-8)."""

    def __init__(self, ref: RowRef, reason: str) -> None:
        self.ref = ref
        self.reason = reason
        super().__init__(f"{ref}: {reason}")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suffix in sorted(LOCAL_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return path.suffix.lower()


def local_files(path: Path) -> list[Path]:
    """The data files a local source names: the file itself, the shards of a built dataset folder, or
    every supported file under any other folder (hidden files, `.build/` and build outputs skipped)."""
    if path.is_file():
        if _suffix(path) not in LOCAL_SUFFIXES:
            raise ValueError(f"{path}: unsupported file type (expected one of {', '.join(LOCAL_SUFFIXES)})")
        return [path]
    if path.is_dir():
        if (path / REPORT_NAME).exists() or (path / WORK_DIR_NAME).exists():
            return require_complete(path)  # a built dataset: its shards, and only a finished one
        files = sorted(
            p for p in path.rglob("*")
            if p.is_file() and _suffix(p) in LOCAL_SUFFIXES and p.name not in NOT_DATA
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not files:
            raise FileNotFoundError(f"{path}: no data files ({', '.join(LOCAL_SUFFIXES)}) in this folder")
        return files
    raise FileNotFoundError(f"{path}: no such file or folder")


def _jsonl_rows(path: Path) -> Iterator[tuple[RowRef, dict[str, Any] | RowReadError]]:
    n = 0
    try:
        with open_raw(path) as fh:
            head = fh.peek(4)[:4] if hasattr(fh, "peek") else b""
            if text_encoding(head) == "utf-16":
                lines: Any = io.TextIOWrapper(fh, encoding="utf-16")
            else:
                lines = fh
            for n, line in enumerate(lines, start=1):
                ref = RowRef(str(path), n)
                if isinstance(line, bytes):
                    if n == 1 and line.startswith(codecs.BOM_UTF8):
                        line = line[len(codecs.BOM_UTF8):]
                    try:
                        line = line.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        yield ref, RowReadError(ref, f"not UTF-8 text (byte 0x{line[exc.start]:02x} at column {exc.start + 1}); re-save the file as UTF-8")
                        continue
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield ref, RowReadError(ref, f"invalid JSON: {exc.msg} at column {exc.colno}")
                    continue
                yield ref, row if isinstance(row, dict) else RowReadError(ref, "row is not a JSON object")
    except ARCHIVE_ERRORS as exc:
        raise archive_error(path, exc, f"row {n}") from None
    except UnicodeDecodeError as exc:  # inside a UTF-16 file
        raise InputFileError(f"{path}: not valid UTF-16 text after row {n} ({exc.reason})") from None


def _json_rows(path: Path) -> Iterator[tuple[RowRef, dict[str, Any] | RowReadError]]:
    text = read_text_file(path).lstrip()
    if not text.startswith(("[", "{")):
        raise InputFileError(f"{path}: not a JSON array or object")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: invalid JSON: {exc}") from None
    if isinstance(data, dict):  # {"data": [...]} / {"rows": [...]} wrappers
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else [data]
    for n, row in enumerate(data, start=1):
        ref = RowRef(str(path), n)
        yield ref, row if isinstance(row, dict) else RowReadError(ref, "row is not a JSON object")


def _parquet_rows(path: Path) -> Iterator[tuple[RowRef, dict[str, Any]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 0
    try:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
            for row in batch.to_pylist():
                n += 1
                yield RowRef(str(path), n), row
    except (pa.ArrowException, OSError) as exc:
        raise InputFileError(f"{path}: unreadable Parquet file after row {n} ({exc})") from None


def _arrow_rows(path: Path) -> Iterator[tuple[RowRef, dict[str, Any]]]:
    """An Arrow stream file as `datasets.save_to_disk` writes it (TACO ships its data this way)."""
    import pyarrow as pa

    n = 0
    try:
        with pa.memory_map(str(path)) as source:
            for batch in pa.ipc.open_stream(source):
                for row in batch.to_pylist():
                    n += 1
                    yield RowRef(str(path), n), row
    except (pa.ArrowException, OSError) as exc:
        raise InputFileError(f"{path}: unreadable Arrow file after row {n} ({exc})") from None


def iter_file_rows(path: Path) -> Iterator[tuple[RowRef, dict[str, Any] | RowReadError]]:
    """Rows of one local file. A row that cannot be parsed is yielded as a `RowReadError`, not raised,
    so the caller decides (reject and continue, or stop in strict mode); a file that cannot be read at
    all raises InputFileError naming it."""
    suffix = _suffix(path)
    if suffix == ".parquet":
        yield from _parquet_rows(path)
    elif suffix == ".arrow":
        yield from _arrow_rows(path)
    elif suffix in (".json", ".json.gz"):
        yield from _json_rows(path)
    else:
        yield from _jsonl_rows(path)


def looks_like_hub_id(text: str) -> bool:
    from mcdata.hubsource import HubSpec

    core = HubSpec.parse(text).repo_id
    parts = core.split("/")
    return len(parts) == 2 and all(parts) and not text.startswith((".", "/", "~"))


def iter_rows(location: str | os.PathLike, *, format: str | None = None) -> Iterator[tuple[RowRef, dict[str, Any] | RowReadError]]:
    """Rows of a local file/folder, or of a Hub dataset id when no such local path exists. `format`
    (the adapter name) picks the Hub layout of sources whose loading scripts no longer run."""
    path = Path(location).expanduser()
    if path.exists():
        for file in local_files(path):
            yield from iter_file_rows(file)
        return

    text = str(location)
    if looks_like_local_path(text.split("@", 1)[0].split(":", 1)[0].split("#", 1)[0]) or not looks_like_hub_id(text):
        raise FileNotFoundError(f"{location}: no such file or folder, and not a Hub dataset id (owner/name)")
    from mcdata.hubsource import HubSpec, iter_hub_rows

    yield from iter_hub_rows(HubSpec.parse(text), format)

