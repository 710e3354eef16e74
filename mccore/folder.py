"""What a finished `build-dataset` folder looks like, so readers can refuse a half-written one.

The build writes the dataset card (README.md) last and removes an earlier card before it starts
writing, so a folder with build artefacts but no card is an interrupted build. `train` and `eval`
call `require_complete` before reading; rerunning the same build finishes the folder.
"""

from __future__ import annotations

from pathlib import Path

CARD_NAME = "README.md"
REPORT_NAME = "build_report.json"
WORK_DIR_NAME = ".build"


class IncompleteDatasetError(ValueError):
    """A dataset folder that an interrupted build left unfinished, or that holds no data."""


def parquet_files(folder: Path) -> list[Path]:
    """The folder's Parquet shards: `data/*.parquet` (the Hub layout), else top-level ones."""
    return sorted((folder / "data").glob("*.parquet")) or sorted(folder.glob("*.parquet"))


def require_complete(folder: Path) -> list[Path]:
    """Return the shards of a finished dataset folder; raise IncompleteDatasetError otherwise."""
    built_here = (folder / REPORT_NAME).exists() or (folder / WORK_DIR_NAME).exists()
    if built_here and not (folder / CARD_NAME).is_file():
        raise IncompleteDatasetError(
            f"{folder}: unfinished `microcoder build-dataset` folder (no {CARD_NAME} dataset card: the build was "
            "interrupted); rerun the same build-dataset command to finish it"
        )
    shards = parquet_files(folder)
    if not shards:
        raise IncompleteDatasetError(f"{folder}: no Parquet files (expected data/*.parquet from `microcoder build-dataset`)")
    return shards
