"""Stage 6, push: upload a staged dataset folder to the Hugging Face Hub in ONE commit.

Why not `Dataset.push_to_hub`: the folder is already in the Hub's layout (shards, card), and one
`create_commit` with explicit operations keeps the push atomic: the new shards, README.md,
build_report.json and stats.png land together, and remote `data/*.parquet` files that are not
part of this build are deleted in the same commit (otherwise `data/train-*` would mix builds).
The token comes from `token=`, else huggingface_hub's usual sources (HF_TOKEN, `hf auth login`);
HF_ENDPOINT selects the server.
"""

from __future__ import annotations

from pathlib import Path

# What a staged folder publishes; `.build/` (checkpoints) and hidden files never leave the machine.
PUBLISHED = ("README.md", "build_report.json", "stats.png")


def staged_files(folder: Path) -> list[str]:
    """Repo paths to upload; raises if the folder is not a finished build."""
    folder = Path(folder)
    if not (folder / "README.md").is_file():
        raise FileNotFoundError(f"{folder}: no README.md — not a dataset folder written by `microcoder build-dataset`")
    shards = sorted(p.relative_to(folder).as_posix() for p in (folder / "data").glob("*.parquet"))
    if not shards:
        raise FileNotFoundError(f"{folder}/data: no Parquet shards to push")
    return [name for name in PUBLISHED if (folder / name).is_file()] + shards


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
    try:
        remote = api.list_repo_files(repo_id, repo_type="dataset", revision=revision)
    except (EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError):
        remote = []  # a new, empty repo
    stale = [p for p in remote if p.startswith("data/") and p.endswith(".parquet") and p not in files]
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
