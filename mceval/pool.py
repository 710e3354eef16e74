"""Choose where grading runs from one spec string: this process, a Ray cluster, or a grading service.

Every caller (the trainer's reward, `microcoder eval`, the dataset builder, the grading service)
opens its grader here, so one option - `--grader SPEC` or a config field - moves grading off the
machine without touching the caller:

    local                     `mceval.Grader`: sandboxes in this process's machine (the default)
    ray                       `mceval.ray_pool.RayGrader` on the cluster `ray.init()` finds
                              (RAY_ADDRESS, or the one this process already joined)
    ray://auto                the Ray cluster this node belongs to
    ray://HOST:PORT           a Ray cluster through Ray Client
    http(s)://HOST:PORT       `mceval.remote.RemoteGrader`: a `microcoder eval serve` service
                              (bearer token from MICROCODER_GRADER_TOKEN)

All of them have `Grader`'s API: `submit(items, on_result) -> Future`, `grade(items)`, `close()`,
and the context-manager protocol; results come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol

from mceval.grader import Grader, ItemLike
from mceval.types import GradeConfig, SampleResult

TOKEN_ENV = "MICROCODER_GRADER_TOKEN"
SPEC_HELP = "local | ray | ray://auto | ray://HOST:PORT | http://HOST:PORT (a `microcoder eval serve` service)"


class GraderLike(Protocol):
    """What every backend offers (the public surface of `mceval.Grader`)."""

    def submit(self, items: Sequence[ItemLike], on_result: Callable[[SampleResult], None] | None = None
               ) -> Future[list[SampleResult]]: ...

    def grade(self, items: Sequence[ItemLike], *, progress: bool = False) -> list[SampleResult]: ...

    def close(self) -> None: ...

    def __enter__(self) -> "GraderLike": ...

    def __exit__(self, *exc: object) -> None: ...


class FutureGrader:
    """Base of the non-local backends: `grade`, the context manager and `close` from `submit`."""

    def submit(self, items: Sequence[ItemLike], on_result: Callable[[SampleResult], None] | None = None
               ) -> Future[list[SampleResult]]:
        raise NotImplementedError

    def grade(self, items: Sequence[ItemLike], *, progress: bool = False) -> list[SampleResult]:
        """Grade and wait; the same progress display as `Grader.grade`, which only needs `submit`."""
        return Grader.grade(self, items, progress=progress)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release the backend's resources (nothing by default)."""

    def __enter__(self) -> "FutureGrader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def parse_spec(spec: str | None) -> tuple[str, str | None]:
    """(kind, address) of a grader spec: kind is local, ray or http; raises ValueError in one line."""
    text = (spec or "local").strip()
    if text == "local":
        return "local", None
    if text == "ray":
        return "ray", None
    if text.startswith("ray://"):
        rest = text.removeprefix("ray://")
        if not rest:
            raise ValueError(f"--grader {spec!r}: give ray://auto or ray://HOST:PORT")
        return "ray", "auto" if rest == "auto" else text
    if text.startswith(("http://", "https://")):
        if not text.split("://", 1)[1].strip("/"):
            raise ValueError(f"--grader {spec!r}: give http://HOST:PORT")
        return "http", text.rstrip("/")
    raise ValueError(f"--grader must be one of {SPEC_HELP}; got {spec!r}")


def open_grader(spec: str | None, config: GradeConfig = GradeConfig(), *, share: int = 1) -> GraderLike:
    """A grader for `spec` (see the module docstring); the caller closes it (or uses `with`).

    `share`: how many graders of this job use the same Ray cluster at once (a trainer's processes);
    each Ray node's CPUs are split between them unless `config.workers` sets the size per node."""
    kind, address = parse_spec(spec)
    if kind == "local":
        return Grader(config)
    if kind == "ray":
        from mceval.ray_pool import RayGrader

        return RayGrader(config, address=address, share=share)
    from mceval.remote import RemoteGrader

    return RemoteGrader(address or "", config, token=os.environ.get(TOKEN_ENV) or None)


def sandbox_restarts(grader: Any) -> int:
    """Sandbox restarts so far: the backend's own count where it keeps one (`RayGrader`), else
    the sum over a local `Grader`'s sandboxes; 0 for a remote service (it reports its own)."""
    own = getattr(grader, "sandbox_restarts", None)
    if callable(own):
        return int(own())
    return sum(getattr(s, "restarts", 0) for s in getattr(grader, "_sandboxes", None) or ())
