"""Order-preserving parallel map over a stream, with a bounded number of chunks in flight.

Used for CPU-heavy pure functions (MinHash signatures). Memory stays bounded: at most
`workers * 2` chunks are pending at any time, whatever the length of the stream.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def ordered_map(fn: Callable[[list[T]], R], chunks: Iterable[list[T]], workers: int) -> Iterator[tuple[list[T], R]]:
    """Yield (chunk, fn(chunk)) in input order; `workers <= 1` runs in this process."""
    if workers <= 1:
        for chunk in chunks:
            yield chunk, fn(chunk)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(fn, chunk)))
            if len(pending) >= 2 * workers:
                done_chunk, future = pending.popleft()
                yield done_chunk, future.result()
        while pending:
            done_chunk, future = pending.popleft()
            yield done_chunk, future.result()
