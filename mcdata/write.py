"""Stage 5, write: Parquet shards in the layout `datasets.push_to_hub` uses.

Shards are `data/train-{i:05d}-of-{n:05d}.parquet`, zstd-compressed, every file following
`mcdata.schema.arrow_schema()` (the `datasets` features travel in the schema metadata, so
`load_dataset` restores them exactly). Row groups are small (default 100 rows) because a row
can hold megabytes of tests, and the Hub's viewer and streaming readers read a row group at a
time. The shard count is only known at the end, so shards are written under `.build/` first
(each one atomically) and renamed into `data/` when the stream ends; stale shards of an earlier
build are removed then, so `data/` never mixes two builds.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from mcdata.atomic import atomic_path
from mcdata.schema import Problem, arrow_schema


@dataclass
class WriteConfig:
    """> Parameters of the Parquet writer.

    max_shard_bytes: start a new shard after about this many uncompressed bytes
        (`datasets` pushes 500 MB shards; smaller ones download and resume in finer steps).
    row_group_rows: rows per Parquet row group (small: rows with big test lists stream well).
    compression: Parquet codec.
    split: split name in the file names.
    """

    max_shard_bytes: int = 256 * 1024 * 1024
    row_group_rows: int = 100
    compression: str = "zstd"
    split: str = "train"


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
            for batch in _row_groups(problems, cfg.row_group_rows):
                writer.write_table(pa.Table.from_pylist([p.to_row() for p in batch], schema=schema))
                rows += len(batch)
            if rows == 0:
                writer.write_table(schema.empty_table())
    return rows


def _row_groups(problems: Iterable[Problem], size: int) -> Iterator[list[Problem]]:
    batch: list[Problem] = []
    for problem in problems:
        batch.append(problem)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_parquet(paths: Iterable[Path], batch_size: int = 64) -> Iterator[Problem]:
    """Problems back from Parquet files written by `write_parquet`, streaming."""
    for path in paths:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                yield Problem.from_row(row)


def write_shards(problems: Iterable[Problem], out_dir: Path, cfg: WriteConfig) -> list[Path]:
    """Stream problems into `out_dir/data/{split}-XXXXX-of-NNNNN.parquet`; returns the shard paths."""
    staging = out_dir / ".build" / "shards"
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

    for batch in _row_groups(problems, cfg.row_group_rows):
        if writer is None:
            tmp = staging / f".part-{len(parts):05d}.tmp"
            writer = pq.ParquetWriter(tmp, schema, compression=cfg.compression)
        writer.write_table(pa.Table.from_pylist([p.to_row() for p in batch], schema=schema))
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
