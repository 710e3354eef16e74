"""Reading raw rows from local files or the Hub, and writing files atomically.

Rows stream one at a time (JSONL line by line, Parquet batch by batch, Hub datasets with
`streaming=True`) so memory stays bounded whatever the input size. Each row comes with a
`RowRef` saying where it came from, so errors and rejections name the file and row.
A JSON array file is the one exception: `json` has no streaming parser, so it is read whole.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

LOCAL_SUFFIXES = (".jsonl", ".json", ".parquet", ".jsonl.gz", ".json.gz", ".ndjson")


@dataclass(frozen=True)
class RowRef:
    """Where a raw row lives: file (or Hub id) and 1-based row number in that file."""

    location: str
    row: int

    def __str__(self) -> str:
        return f"{self.location}, row {self.row}"


class RowReadError(ValueError):
    """A row that cannot even be parsed (bad JSON line, not an object)."""

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
    """The data files a local source names: the file itself, or every supported file under a folder."""
    if path.is_file():
        if _suffix(path) not in LOCAL_SUFFIXES:
            raise ValueError(f"{path}: unsupported file type (expected one of {', '.join(LOCAL_SUFFIXES)})")
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _suffix(p) in LOCAL_SUFFIXES and ".build" not in p.parts)
        if not files:
            raise FileNotFoundError(f"{path}: no data files ({', '.join(LOCAL_SUFFIXES)}) in this folder")
        return files
    raise FileNotFoundError(f"{path}: no such file or folder")


def _open_text(path: Path):
    if path.name.lower().endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return open(path, encoding="utf-8")


def read_text_file(path: str | Path) -> str:
    """A whole UTF-8 text file, gunzipped when its name ends in .gz (generations and problems files
    are often shipped compressed)."""
    with _open_text(Path(path)) as fh:
        return fh.read()


def iter_file_rows(path: Path) -> Iterator[tuple[RowRef, dict[str, Any] | RowReadError]]:
    """Rows of one local file. A row that cannot be parsed is yielded as a `RowReadError`, not raised,
    so the caller decides (reject and continue, or stop in strict mode)."""
    suffix = _suffix(path)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        n = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=256):
            for row in batch.to_pylist():
                n += 1
                yield RowRef(str(path), n), row
        return
    with _open_text(path) as fh:
        if suffix in (".json", ".json.gz"):
            head = fh.read(1)
            while head and head.isspace():
                head = fh.read(1)
            if head != "[" and head != "{":
                raise ValueError(f"{path}: not a JSON array or object")
            try:
                data = json.loads(head + fh.read())
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: invalid JSON: {exc}") from exc
            if isinstance(data, dict):  # {"data": [...]} / {"rows": [...]} wrappers
                lists = [v for v in data.values() if isinstance(v, list)]
                data = lists[0] if len(lists) == 1 else [data]
            for n, row in enumerate(data, start=1):
                ref = RowRef(str(path), n)
                yield ref, row if isinstance(row, dict) else RowReadError(ref, "row is not a JSON object")
            return
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            ref = RowRef(str(path), n)
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield ref, RowReadError(ref, f"invalid JSON: {exc.msg} at column {exc.colno}")
                continue
            yield ref, row if isinstance(row, dict) else RowReadError(ref, "row is not a JSON object")


@dataclass(frozen=True)
class HubSpec:
    """`owner/name[:config][@split]` — a Hub dataset read with `datasets.load_dataset(..., streaming=True)`."""

    repo_id: str
    config: str | None = None
    split: str = "train"

    @classmethod
    def parse(cls, text: str) -> "HubSpec":
        split = "train"
        if "@" in text:
            text, split = text.rsplit("@", 1)
        config = None
        if ":" in text:
            text, config = text.split(":", 1)
        return cls(text, config or None, split or "train")

    def __str__(self) -> str:
        return f"hf://{self.repo_id}" + (f":{self.config}" if self.config else "") + f"@{self.split}"


def looks_like_hub_id(text: str) -> bool:
    core = HubSpec.parse(text).repo_id
    parts = core.split("/")
    return len(parts) == 2 and all(parts) and not text.startswith((".", "/", "~"))


class HubReadError(ValueError):
    """A Hub dataset that cannot be opened or streamed (offline, missing, gated, wrong config/split)."""


def iter_hub_rows(spec: HubSpec) -> Iterator[tuple[RowRef, dict[str, Any]]]:
    """Stream a Hub dataset row by row (`datasets.load_dataset(..., streaming=True)`)."""
    from datasets import load_dataset
    from datasets.exceptions import DatasetsError

    try:
        ds = load_dataset(spec.repo_id, spec.config, split=spec.split, streaming=True)
        for n, row in enumerate(ds, start=1):
            yield RowRef(str(spec), n), dict(row)
    except (ConnectionError, OSError, DatasetsError, ValueError) as exc:
        raise HubReadError(f"{spec}: cannot read this Hub dataset: {exc}") from exc


def iter_rows(location: str | os.PathLike) -> Iterator[tuple[RowRef, dict[str, Any] | RowReadError]]:
    """Rows of a local file/folder, or of a Hub dataset id when no such local path exists."""
    path = Path(location).expanduser()
    if path.exists():
        for file in local_files(path):
            yield from iter_file_rows(file)
    elif looks_like_hub_id(str(location)):
        yield from iter_hub_rows(HubSpec.parse(str(location)))
    else:
        raise FileNotFoundError(f"{location}: no such file or folder, and not a Hub dataset id (owner/name)")


