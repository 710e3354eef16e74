"""Pushing a staged folder to the Hub.

The network is replaced only at the HTTP boundary: a real HTTP server on 127.0.0.1 plays the Hub
(create repo, list files, validate the card, preupload, commit) and records every request, and
huggingface_hub's own client code talks to it (its endpoint constant points there, as HF_ENDPOINT
would). The real push test runs only when HF_TOKEN and MCDATA_HUB_TEST_REPO are set, and is
reported as skipped otherwise.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from mcdata.pipeline import BuildConfig, build_dataset
from mcdata.push import push_folder, staged_files


class FakeHub(BaseHTTPRequestHandler):
    """Just enough of the Hub's REST API for create_repo + list_repo_files + create_commit."""

    files: dict[str, bytes] = {}
    requests: list[tuple[str, str, dict, bytes]] = []
    commits: list[list[dict]] = []
    repos: list[dict] = []
    public = True  # the visibility repo_info reports for an existing repo

    def log_message(self, *args):  # keep test output quiet
        pass

    def _reply(self, status: int, payload) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        FakeHub.requests.append((self.command, self.path, dict(self.headers), body))
        return body

    def do_GET(self):
        self._record()
        if "/tree/" in self.path:
            self._reply(200, [{"type": "file", "path": p, "oid": "0" * 40, "size": len(b)} for p, b in sorted(FakeHub.files.items())])
        elif self.path.startswith("/api/datasets/") and self.path.count("/") in (4, 6):  # repo_info
            repo = "/".join(self.path.split("?")[0].split("/")[3:5])
            self._reply(200, {"id": repo, "private": not FakeHub.public, "sha": "0" * 40, "siblings": []})
        else:
            self._reply(404, {"error": f"unexpected GET {self.path}"})

    def do_POST(self):
        body = self._record()
        if self.path == "/api/repos/create":
            FakeHub.repos.append(json.loads(body))
            repo = f"{json.loads(body)['organization']}/{json.loads(body)['name']}"
            self._reply(200, {"url": f"http://127.0.0.1:{self.server.server_port}/datasets/{repo}"})
        elif self.path == "/api/validate-yaml":
            self._reply(200, {"errors": [], "warnings": []})
        elif "/preupload/" in self.path:
            files = json.loads(body)["files"]
            self._reply(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None} for f in files]})
        elif "/commit/" in self.path:
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            FakeHub.commits.append(lines)
            for item in lines:
                if item["key"] == "file":
                    FakeHub.files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                elif item["key"] == "deletedFile":
                    FakeHub.files.pop(item["value"]["path"])
            repo = self.path.split("/api/datasets/", 1)[1].split("/commit/", 1)[0]
            oid = f"{len(FakeHub.commits):040d}"
            url = f"http://127.0.0.1:{self.server.server_port}/datasets/{repo}/commit/{oid}"
            self._reply(200, {"commitUrl": url, "commitOid": oid, "pullRequestUrl": None})
        else:
            self._reply(404, {"error": f"unexpected POST {self.path}"})


@pytest.fixture
def hub(monkeypatch):
    from huggingface_hub import constants

    FakeHub.files = {"data/train-00000-of-00003.parquet": b"old", "data/train-00002-of-00003.parquet": b"old",
                     "data/validation-00000-of-00001.parquet": b"other split", "notes.txt": b"keep"}
    FakeHub.requests, FakeHub.commits, FakeHub.repos, FakeHub.public = [], [], [], True
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")  # mccore.hub's reachability check
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    yield FakeHub
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("staged") / "ds"
    build_dataset(BuildConfig(output=out, verify=None))
    return out


def test_push_is_one_commit_with_adds_and_stale_deletes(hub, staged, capsys):
    url = push_folder(staged, "alice/microcoder-test", private=True, token="hf_fake_token")
    assert "already exists and is PUBLIC; --private does not change an existing repo" in capsys.readouterr().err
    assert url.endswith("1".rjust(40, "0"))
    assert hub.repos == [{"name": "microcoder-test", "organization": "alice", "visibility": "private", "type": "dataset"}]
    (commit,) = hub.commits
    added = [c["value"]["path"] for c in commit if c["key"] == "file"]
    deleted = [c["value"]["path"] for c in commit if c["key"] == "deletedFile"]
    assert sorted(added) == sorted(staged_files(staged)) and "data/train-00000-of-00001.parquet" in added
    assert not any(p.startswith(".build") for p in added)
    assert sorted(deleted) == ["data/train-00000-of-00003.parquet", "data/train-00002-of-00003.parquet"]
    assert hub.files["data/train-00000-of-00001.parquet"] == (staged / "data/train-00000-of-00001.parquet").read_bytes()
    assert hub.files["README.md"] == (staged / "README.md").read_bytes() and hub.files["notes.txt"] == b"keep"
    assert hub.files["data/validation-00000-of-00001.parquet"] == b"other split"  # another split's shard stays
    commit_requests = [r for r in hub.requests if "/commit/" in r[1]]
    assert len(commit_requests) == 1 and commit_requests[0][1].startswith("/api/datasets/alice/microcoder-test/commit/main")
    repo_calls = [r for r in hub.requests if r[1].startswith(("/api/repos/", "/api/datasets/"))]
    assert [r[1].split("?")[0] for r in repo_calls] == [
        "/api/repos/create",
        "/api/datasets/alice/microcoder-test",  # repo_info: is the existing repo public?
        "/api/datasets/alice/microcoder-test/tree/main",
        "/api/datasets/alice/microcoder-test/preupload/main",
        "/api/datasets/alice/microcoder-test/commit/main",
    ]
    assert all({k.lower(): v for k, v in r[2].items()}.get("authorization") == "Bearer hf_fake_token" for r in repo_calls)


def test_cli_push_subcommand(hub, staged, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_env_token")
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(staged / "no-token-file"))
    result = CliRunner().invoke(cli.app, ["build-dataset", "push", str(staged), "bob/ds"])
    assert result.exit_code == 0, result.output
    assert len(hub.commits) == 1 and "bob/ds" in [r[1] for r in hub.requests if "/commit/" in r[1]][0]


def test_push_without_a_token_says_what_to_set_before_anything(hub, staged, monkeypatch, tmp_path):
    from huggingface_hub import constants

    from mcdata.command import BuildOptions, run_build
    from mcdata.push import check_push_ready

    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token-file"))
    with pytest.raises(ValueError, match="push to bob/ds needs a Hugging Face token: set HF_TOKEN"):
        check_push_ready("bob/ds")
    out = tmp_path / "never-built"
    with pytest.raises(ValueError, match="set HF_TOKEN"):
        run_build(BuildOptions(output=out, verify=False, progress=False, push_to_hub="bob/ds"))
    assert not out.exists() and hub.requests == []  # checked before the build started, nothing sent


def test_push_refuses_unfinished_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no README.md"):
        push_folder(tmp_path, "alice/x")
    result = CliRunner().invoke(cli.app, ["build-dataset", "push", str(tmp_path), "alice/x"])
    assert result.exit_code == 2 and "no README.md" in result.output


@pytest.mark.skipif(
    not (os.environ.get("HF_TOKEN") and os.environ.get("MCDATA_HUB_TEST_REPO")),
    reason="real Hub push needs HF_TOKEN and MCDATA_HUB_TEST_REPO (a dataset repo you own)",
)
def test_real_push_to_hub(staged, monkeypatch):
    from huggingface_hub import HfApi, constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    repo = os.environ["MCDATA_HUB_TEST_REPO"]
    url = push_folder(staged, repo, private=True)
    files = HfApi().list_repo_files(repo, repo_type="dataset")
    assert "README.md" in files and "data/train-00000-of-00001.parquet" in files and url
