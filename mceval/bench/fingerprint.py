"""What identifies the model behind a generation, for the generation cache key.

Why: the cache is keyed on what decides a sample. The model's name is not enough: a checkpoint
retrained into the same folder, or a Hub repo that moved on, would silently reuse the old
generations. A local folder is fingerprinted by its files (relative path, size, modification time,
and the content of its small config files), without reading the weights; a Hub id by the commit
it resolves to (the local cache first, the Hub when reachable); built-in names by themselves.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from mccore.hub import hub_offline

log = logging.getLogger(__name__)

BUILTIN_MODELS = ("tiny-random", "smollm2-135m")
_SMALL_FILE = 1 << 20  # config/tokenizer files are hashed by content; weights by size and mtime


def folder_fingerprint(folder: Path) -> str:
    """A digest of a model folder that changes when any of its files is rewritten."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        if stat.st_size <= _SMALL_FILE and path.suffix in (".json", ".jinja", ".txt", ".model"):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def hub_commit(repo_id: str) -> str | None:
    """The commit a Hub model id resolves to: the cached snapshot's, else the Hub's (when it
    answers within seconds), else None."""
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(repo_id, "config.json")
        if isinstance(cached, str) and "/snapshots/" in cached:
            return Path(cached).parent.name
    except Exception as exc:  # noqa: BLE001 - a malformed id or cache: no fingerprint, not a crash
        log.debug("no cached snapshot for %s: %s", repo_id, exc)

    if hub_offline():
        return None
    try:
        from huggingface_hub import HfApi

        return HfApi().model_info(repo_id, timeout=5).sha
    except Exception as exc:  # noqa: BLE001 - unreachable or unknown: the loader reports it
        log.debug("no Hub commit for %s: %s", repo_id, exc)
        return None


def model_fingerprint(model: str | None) -> dict[str, Any]:
    """{"kind": "builtin" | "local" | "hub", ...} for a --model value of the hf or vllm backend."""
    if not model or model in BUILTIN_MODELS:
        return {"kind": "builtin", "name": model}
    path = Path(model).expanduser()
    if path.is_file():  # a *.gguf file
        stat = path.stat()
        return {"kind": "local", "path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if path.is_dir():
        return {"kind": "local", "path": str(path.resolve()), "digest": folder_fingerprint(path)}
    return {"kind": "hub", "id": model, "commit": hub_commit(model)}


def server_fingerprint(base_url: str, served: dict[str, Any]) -> dict[str, Any]:
    """A server-side model: its URL and what /models says about it (a checkpoint swapped behind
    the same served name cannot be seen from here)."""
    return {"kind": "server", "base_url": base_url, "served": json.loads(json.dumps(served, sort_keys=True))}
