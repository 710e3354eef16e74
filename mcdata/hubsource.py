"""Hub datasets as build sources: `owner/name[/PATH_IN_REPO][:config][@split][#revision]`.

Why a module of its own: several of the standard code-RL sources (codeparrot/apps, BAAI/TACO,
livecodebench/code_generation_lite) are script-based repos, and `datasets` >= 4 refuses to run
loading scripts. For those the raw data files are downloaded with `huggingface_hub` (the HF cache
first, so an offline machine with a warm cache works) and read like local files, as the LCB
benchmark does. Other repos stream through `datasets.load_dataset(..., streaming=True)`. Every
source can pin a revision (`#<commit or tag>`) and name files inside the repo (`/PATH` or a glob),
and each adapter has its own default split (LiveCodeBench has only `test`). An unreachable Hub
fails in one line within seconds (`mccore.hub.check_hub_reachable`), not after minutes of retries.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mccore.hub import HubUnreachableError, check_hub_reachable, hub_offline
from mcdata.io import RowReadError, RowRef, iter_file_rows
from mceval.bench.lcb_data import version_files

# Adapters whose usual Hub repo has no `train` split.
DEFAULT_SPLITS: dict[str, str] = {"lcb": "test"}

# Script-based repos: raw files per split (globs inside the repo). LiveCodeBench's configs are version tags.
RAW_LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "codeparrot/apps": {"train": ("train.jsonl",), "test": ("test.jsonl",)},
    "BAAI/TACO": {"train": ("train/*.arrow",), "test": ("test/*.arrow",)},
    "livecodebench/code_generation_lite": {"test": ("test*.jsonl",)},
}


class HubReadError(ValueError):
    """A Hub dataset that cannot be opened or streamed (offline, missing, gated, wrong config/split)."""


@dataclass(frozen=True)
class HubSpec:
    """A Hub source: repo, optional files inside it, config, split (None: the adapter's default), revision."""

    repo_id: str
    config: str | None = None
    split: str | None = None
    revision: str | None = None
    data_files: str | None = None

    @classmethod
    def parse(cls, text: str) -> "HubSpec":
        text, _, revision = text.partition("#")
        split = None
        if "@" in text:
            text, split = text.rsplit("@", 1)
        config = None
        if ":" in text:
            text, config = text.split(":", 1)
        owner, _, rest = text.partition("/")
        name, _, data_files = rest.partition("/")
        return cls(f"{owner}/{name}", config or None, split or None, revision or None, data_files or None)

    def split_for(self, format: str | None) -> str:
        return self.split or DEFAULT_SPLITS.get(format or "", "train")

    def describe(self, format: str | None = None) -> str:
        path = f"/{self.data_files}" if self.data_files else ""
        config = f":{self.config}" if self.config else ""
        revision = f"#{self.revision}" if self.revision else ""
        return f"hf://{self.repo_id}{path}{config}@{self.split_for(format)}{revision}"

    def __str__(self) -> str:
        return self.describe()


def raw_patterns(spec: HubSpec, format: str | None) -> tuple[str, ...] | None:
    """The repo files to read directly (a script-based repo, or files named in the spec); None: use `datasets`."""
    if spec.data_files:
        return (spec.data_files,)
    layout = RAW_LAYOUTS.get(spec.repo_id)
    if layout is None:
        return None
    if spec.repo_id == "livecodebench/code_generation_lite" and spec.config:
        return tuple(version_files(spec.config))
    split = spec.split_for(format)
    if split not in layout:
        raise HubReadError(f"{spec.describe(format)}: no split {split!r} (this repo has {', '.join(sorted(layout))})")
    return layout[split]


def _check_reachable(spec: HubSpec, format: str | None) -> None:
    if hub_offline():
        return
    try:
        check_hub_reachable(f"--source {format or ''}={spec.describe(format)}")
    except HubUnreachableError as exc:
        raise HubReadError(str(exc)) from None


def download_raw(spec: HubSpec, patterns: tuple[str, ...], format: str | None) -> list[tuple[str, Path]]:
    """(repo path, local path) of the files matching `patterns`, from the HF cache or the Hub."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    kwargs: dict[str, Any] = dict(repo_id=spec.repo_id, repo_type="dataset", revision=spec.revision, allow_patterns=list(patterns))
    try:
        root = Path(snapshot_download(local_files_only=True, **kwargs))
        files = _matching(root, patterns)
    except (LocalEntryNotFoundError, OSError, ValueError):
        files = []
    if not files:
        _check_reachable(spec, format)
        try:
            root = Path(snapshot_download(**kwargs))
        except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as exc:
            raise HubReadError(f"{spec.describe(format)}: cannot download {', '.join(patterns)}: {exc}") from None
        files = _matching(root, patterns)
    if not files:
        raise HubReadError(f"{spec.describe(format)}: no file in the repo matches {', '.join(patterns)}")
    return files


def _matching(root: Path, patterns: tuple[str, ...]) -> list[tuple[str, Path]]:
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return [(name, root / name) for name in found if any(fnmatch.fnmatch(name, pat) for pat in patterns)]


def iter_hub_rows(spec: HubSpec, format: str | None = None) -> Iterator[tuple[RowRef, dict[str, Any] | RowReadError]]:
    """Stream a Hub source row by row (raw files for script-based repos, else `datasets` streaming)."""
    patterns = raw_patterns(spec, format)
    if patterns is not None:
        for repo_path, local in download_raw(spec, patterns, format):
            where = f"hf://{spec.repo_id}/{repo_path}"
            for ref, row in iter_file_rows(local):
                ref = RowRef(where, ref.row)
                yield ref, RowReadError(ref, row.reason) if isinstance(row, RowReadError) else row
        return
    yield from _stream_with_datasets(spec, format)


def _stream_with_datasets(spec: HubSpec, format: str | None) -> Iterator[tuple[RowRef, dict[str, Any]]]:
    from datasets import load_dataset

    _check_reachable(spec, format)
    where = spec.describe(format)
    try:
        ds = load_dataset(spec.repo_id, spec.config, split=spec.split_for(format), streaming=True, revision=spec.revision)
        for n, row in enumerate(ds, start=1):
            yield RowRef(where, n), dict(row)
    except HubReadError:
        raise
    except Exception as exc:  # noqa: BLE001 - `datasets` raises many types (RuntimeError for scripts, HTTP, FileNotFound, ...)
        hint = ""
        if "script" in str(exc).lower():
            hint = " (a loading-script repo: name its data files, e.g. owner/name/train.jsonl)"
        raise HubReadError(f"{where}: cannot read this Hub dataset: {type(exc).__name__}: {str(exc)[:200]}{hint}") from None
