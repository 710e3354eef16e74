"""Stage 6, push: upload a staged dataset folder to the Hugging Face Hub in ONE commit.

Why not `Dataset.push_to_hub`: the folder is already in the Hub's layout (shards, card), and one
`create_commit` with explicit operations keeps the push atomic: the new shards, README.md,
build_report.json and stats.png land together, and remote shards of the splits being uploaded that
are not part of this build are deleted in the same commit (otherwise `data/train-*` would mix
builds). Shards of other splits on the Hub are left alone. The token comes from `token=`, else
huggingface_hub's usual sources (HF_TOKEN, `hf auth login`); HF_ENDPOINT selects the server.
`check_push_ready` runs before a build that will push: no token, offline mode or an unreachable Hub
fail in one line within seconds instead of after the build.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mccore.folder import require_complete
from mccore.hub import HUB_ID, check_hub_reachable, hub_endpoint, hub_offline

# What a staged folder publishes; `.build/` (checkpoints) and hidden files never leave the machine.
PUBLISHED = ("README.md", "build_report.json", "stats.png")


def staged_files(folder: Path) -> list[str]:
    """Repo paths to upload; raises if the folder is not a finished build."""
    folder = Path(folder)
    if not (folder / "README.md").is_file():
        raise FileNotFoundError(f"{folder}: no README.md — not a finished dataset folder written by `microcoder build-dataset`")
    require_complete(folder)
    shards = sorted(p.relative_to(folder).as_posix() for p in (folder / "data").glob("*.parquet"))
    if not shards:
        raise FileNotFoundError(f"{folder}/data: no Parquet shards to push")
    exports = sorted(p.relative_to(folder).as_posix() for p in (folder / "verl").glob("*.parquet"))
    return [name for name in PUBLISHED if (folder / name).is_file()] + shards + exports


def check_push_ready(repo_id: str, token: str | None = None) -> None:
    """Raise ValueError/ConnectionError (one line) unless a push to `repo_id` can start: a token is set,
    offline mode is off and the Hub answers."""
    from huggingface_hub import get_token


    if not HUB_ID.match(repo_id):
        raise ValueError(f"push to {repo_id!r}: expected a Hub dataset repo id owner/name")
    if hub_offline():
        raise ValueError(f"cannot push to {repo_id}: HF_HUB_OFFLINE is set (unset it to reach {hub_endpoint()})")
    if not (token or get_token()):
        raise ValueError(f"push to {repo_id} needs a Hugging Face token: set HF_TOKEN (or run `hf auth login`)")
    check_hub_reachable(f"push to {repo_id}")


def _split_of(path: str) -> str:
    return path.rsplit("/", 1)[-1].split("-", 1)[0]


def push_folder(
    folder: str | Path,
    repo_id: str,
    *,
    private: bool = False,
    token: str | None = None,
    commit_message: str | None = None,
    revision: str | None = None,
) -> str:
    """Create the dataset repo if needed and commit the folder; returns the commit URL."""
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    folder = Path(folder)
    files = staged_files(folder)
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    if private:
        _warn_if_public(api, repo_id)
    try:
        remote = api.list_repo_files(repo_id, repo_type="dataset", revision=revision)
    except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
        remote = []  # a new, empty repo
    splits = {_split_of(p) for p in files if p.startswith("data/")}
    stale = [
        p for p in remote
        if p.startswith("data/") and p.endswith(".parquet") and p not in files and _split_of(p) in splits
    ]
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(folder / name)) for name in files]
    operations += [CommitOperationDelete(path_in_repo=p) for p in stale]
    info = api.create_commit(
        repo_id,
        operations,
        commit_message=commit_message or f"Upload MicroCoder-Dataset build ({len(files)} files, {len(stale)} stale shards removed)",
        repo_type="dataset",
        revision=revision,
    )
    return info.commit_url


def _warn_if_public(api, repo_id: str) -> None:
    """`private=True` only applies when the repo is created; an existing public repo stays public: say so."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        is_private = api.repo_info(repo_id, repo_type="dataset").private
    except HfHubHTTPError:
        return
    if is_private is False:
        print(f"note: {repo_id} already exists and is PUBLIC; --private does not change an existing repo "
              "(change its visibility in the repo settings)", file=sys.stderr)
