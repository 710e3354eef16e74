"""Stage 5, write: Parquet shards in the layout `datasets.push_to_hub` uses.

Shards are `data/{split}-{i:05d}-of-{n:05d}.parquet`, zstd-compressed, every file following
`mccore.schema.arrow_schema()` (the `datasets` features travel in the schema metadata, so
`load_dataset` restores them exactly). Row groups are bounded by rows AND by uncompressed bytes
(default 64 MB): one row can hold megabytes of tests, and the Hub's viewer refuses row groups over
~300 MB. Shards close after `max_shard_bytes` uncompressed bytes. The shard count is only known at
the end, so shards are written under `.build/` first (each one atomically) and renamed into `data/`
when the stream ends; stale shards of an earlier build are removed then, so `data/` never mixes two
builds.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mccore.atomic import atomic_path
from mccore.schema import Problem, arrow_schema

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMG]?i?B?)\s*$", re.I)


def parse_size(text: str | int, what: str = "size") -> int:
    """'500MB' / '64MiB' / '1.5GB' / 1000 -> bytes (decimal units as the Hub counts, binary with 'i')."""
    if isinstance(text, int):
        value = text
    else:
        m = _SIZE.match(str(text))
        if not m:
            raise ValueError(f"{what} {text!r}: expected a size such as 500MB, 64MiB or 1GB")
        unit = m.group(2).upper().rstrip("B")
        base = 1024 if unit.endswith("I") else 1000
        value = int(float(m.group(1)) * base ** {"": 0, "K": 1, "M": 2, "G": 3}[unit.rstrip("I")])
    if value < 1:
        raise ValueError(f"{what} {text!r}: must be positive")
    return value


@dataclass
class WriteConfig:
    """> Parameters of the Parquet writer.

    max_shard_bytes: start a new shard after about this many uncompressed bytes
        (`datasets` pushes 500 MB shards; smaller ones download and resume in finer steps).
    row_group_rows / row_group_bytes: close a row group at this many rows or uncompressed bytes,
        whichever comes first (rows with big test lists stream well; the Hub viewer reads a row
        group at a time and refuses ones over ~300 MB).
    compression: Parquet codec.
    split: split name in the file names.
    """

    max_shard_bytes: int = 256 * 1024 * 1024
    row_group_rows: int = 100
    row_group_bytes: int = 64 * 1024 * 1024
    compression: str = "zstd"
    split: str = "train"

    def __post_init__(self) -> None:
        if self.max_shard_bytes < 1 or self.row_group_rows < 1 or self.row_group_bytes < 1:
            raise ValueError("max_shard_bytes, row_group_rows and row_group_bytes must be positive")


def row_bytes(problem: Problem) -> int:
    """Cheap size estimate of a row (the strings dominate)."""
    return (
        len(problem.statement)
        + sum(len(t.input) + len(t.output) for t in problem.tests)
        + sum(len(s) for s in problem.solutions)
        + len(problem.starter_code)
        + 256
    )


def write_parquet(path: Path, problems: Iterable[Problem], cfg: WriteConfig) -> int:
    """Write one Parquet file atomically; returns the row count."""
    schema = arrow_schema()
    rows = 0
    with atomic_path(path) as tmp:
        with pq.ParquetWriter(tmp, schema, compression=cfg.compression) as writer:
            for batch in row_groups(problems, cfg):
                writer.write_table(pa.Table.from_pylist([p.to_row() for p in batch], schema=schema))
                rows += len(batch)
            if rows == 0:
                writer.write_table(schema.empty_table())
    return rows


def row_groups(problems: Iterable[Problem], cfg: WriteConfig) -> Iterator[list[Problem]]:
    """Consecutive rows bounded by `row_group_rows` and `row_group_bytes` (a bigger row stands alone)."""
    batch: list[Problem] = []
    size = 0
    for problem in problems:
        nbytes = row_bytes(problem)
        if batch and (len(batch) >= cfg.row_group_rows or size + nbytes > cfg.row_group_bytes):
            yield batch
            batch, size = [], 0
        batch.append(problem)
        size += nbytes
    if batch:
        yield batch


def read_parquet(paths: Iterable[Path], batch_size: int = 64) -> Iterator[Problem]:
    """Problems back from Parquet files written by `write_parquet`, streaming."""
    for path in paths:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                yield Problem.from_row(row)


def count_rows(paths: Iterable[Path]) -> int:
    """Rows in Parquet files, from their footers (no data read)."""
    return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)


def uncompressed_bytes(paths: Iterable[Path]) -> int:
    """The data's uncompressed size (what the Hub's `num_bytes`/`dataset_size` mean), from the footers."""
    total = 0
    for path in paths:
        meta = pq.ParquetFile(path).metadata
        total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return total


def write_shards(problems: Iterable[Problem], out_dir: Path, cfg: WriteConfig) -> list[Path]:
    """Stream problems into `out_dir/data/{split}-XXXXX-of-NNNNN.parquet`; returns the shard paths."""
    staging = out_dir / ".build" / f"shards-{cfg.split}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    parts: list[Path] = []
    schema = arrow_schema()
    writer: pq.ParquetWriter | None = None
    tmp: Path | None = None
    size = 0

    def close_shard() -> None:
        nonlocal writer, tmp, size
        if writer is not None:
            writer.close()
            part = staging / f"part-{len(parts):05d}.parquet"
            os.replace(tmp, part)
            parts.append(part)
        writer, tmp, size = None, None, 0

    for batch in row_groups(problems, cfg):
        if writer is None:
            tmp = staging / f".part-{len(parts):05d}.tmp"
            writer = pq.ParquetWriter(tmp, schema, compression=cfg.compression)
        writer.write_table(pa.Table.from_pylist([p.to_row() for p in batch], schema=schema), row_group_size=len(batch))
        size += sum(row_bytes(p) for p in batch)
        if size >= cfg.max_shard_bytes:
            close_shard()
    close_shard()
    if not parts:  # an empty build still yields a loadable dataset
        part = staging / "part-00000.parquet"
        write_parquet(part, [], cfg)
        parts.append(part)
    data_dir = out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    final = [data_dir / f"{cfg.split}-{i:05d}-of-{len(parts):05d}.parquet" for i in range(len(parts))]
    for stale in data_dir.glob(f"{cfg.split}-*.parquet"):
        if stale not in final:
            stale.unlink()
    for part, target in zip(parts, final):
        os.replace(part, target)
    shutil.rmtree(staging, ignore_errors=True)
    return final


def remove_other_splits(out_dir: Path, splits: Iterable[str]) -> None:
    """Delete local shards of splits this build did not write (an earlier build's validation split)."""
    keep = tuple(f"{s}-" for s in splits)
    for shard in (out_dir / "data").glob("*.parquet"):
        if not shard.name.startswith(keep):
            shard.unlink()
