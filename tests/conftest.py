"""Shared test fixtures: the real reference data inside the repository, offline settings."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# Real upstream rows, trimmed and (for the big files) gzipped; each folder has its SOURCE.md.
# Tests read nothing outside the repository: .ci/run runs them from a copy with no neighbours.
REAL_DATA = Path(__file__).resolve().parent / "data"

# Tests never touch the network: the Hub is offline, and progress bars stay quiet in logs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder of real upstream data shipped with the tests (tests/data)."""
    return REAL_DATA


def read_text(path: Path) -> str:
    """A text file's content, gunzipped when its name ends in .gz."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8")


def read_json(path: Path):
    """A JSON file (optionally gzipped) parsed."""
    return json.loads(read_text(path))
