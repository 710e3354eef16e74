"""Shared test fixtures: where the real reference data lives, offline settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# CI clones the repo with a copy of shared/ beside it; sessions have it at ../shared too.
SHARED_DATA = Path(os.environ.get("MICROCODER_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))

# Tests never touch the network: the Hub is offline, and progress bars stay quiet in logs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder (../shared/data); a missing folder is an error, never a skip."""
    if not SHARED_DATA.is_dir():
        raise FileNotFoundError(
            f"reference data not found at {SHARED_DATA}; set MICROCODER_SHARED_DATA to the shared/data folder"
        )
    return SHARED_DATA
