#!/usr/bin/env bash
# One-time set-up on a fresh machine: a venv in .venv with the CPU build of torch pinned
# (so pip never pulls a multi-GB CUDA build) and the project with its training and test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[train,serve,dev]"
