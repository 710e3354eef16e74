"""`microcoder`: one CLI for MicroCoder-Dataset, MicroCoder-Evaluator and MicroCoder-GRPO.

This module only parses options and calls one function of a subpackage per command; the
work lives in `mcdata`, `mceval` and `mctrain`. Heavy imports stay inside the commands so
`microcoder --help` is instant.
"""

from __future__ import annotations

import os
import sys

import typer

app = typer.Typer(
    name="microcoder",
    help="Build code-RL datasets, evaluate code LLMs on LiveCodeBench, train with MicroCoder-GRPO.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _fail(message: str, code: int = 2) -> None:
    """Print one clear line (no traceback unless MICROCODER_DEBUG=1) and exit non-zero."""
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _run(fn, *args, **kwargs):
    """Call a library function, turning expected user errors into one-line messages."""
    from mcdata.schema import SchemaError

    try:
        return fn(*args, **kwargs)
    except (FileNotFoundError, SchemaError, ValueError) as exc:
        if os.environ.get("MICROCODER_DEBUG") == "1":
            raise
        _fail(str(exc))


# ---------------------------------------------------------------- eval (mceval) --- BEGIN eval
@app.command("eval")
def eval_command() -> None:
    """Grade generations, or evaluate a checkpoint on LiveCodeBench (not built yet)."""
    _fail("`microcoder eval` is not built yet", code=3)
# ---------------------------------------------------------------- END eval


# ---------------------------------------------------------------- build-dataset (mcdata) --- BEGIN build-dataset
@app.command("build-dataset")
def build_dataset_command() -> None:
    """Build MicroCoder-Dataset into Parquet shards with a dataset card (not built yet)."""
    _fail("`microcoder build-dataset` is not built yet", code=3)
# ---------------------------------------------------------------- END build-dataset


# ---------------------------------------------------------------- train (mctrain) --- BEGIN train
@app.command("train")
def train_command() -> None:
    """Train with MicroCoder-GRPO on TRL (not built yet)."""
    _fail("`microcoder train` is not built yet", code=3)
# ---------------------------------------------------------------- END train


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
