"""Back-pressure: a bounded count of admitted samples, and how long a refused client should wait.

Why: a trainer that sends rollouts faster than the graders finish them must be slowed down, not
buffered in the server's memory. Work is admitted only while the samples queued or running stay
under the limit; a refused request gets 429 with a Retry-After estimated from the recent
completion rate (the time the excess takes to drain), clamped to 1-30 s; with too little history
for a rate (fewer recent completions than the excess) it says 1 s.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque


class Admission:
    """Samples admitted and not yet finished, bounded by `limit`."""

    window_s = 30.0  # completions counted for the drain-rate estimate

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self._lock = threading.Lock()
        self._done: deque[tuple[float, int]] = deque()  # (time, samples) of recent completions

    def try_admit(self, n: int) -> float | None:
        """Admit `n` samples (None), or refuse and say after how many seconds to retry."""
        with self._lock:
            if self.in_flight + n <= self.limit:
                self.in_flight += n
                return None
            excess = self.in_flight + n - self.limit
            seen = sum(k for _, k in self._done)
            rate = self._rate()
        if seen < excess or rate <= 0:
            return 1.0
        return float(min(30, max(1, math.ceil(excess / rate))))

    def release(self, n: int) -> None:
        """`n` admitted samples finished (or failed)."""
        now = time.monotonic()
        with self._lock:
            self.in_flight = max(0, self.in_flight - n)
            self._done.append((now, n))
            while self._done and self._done[0][0] < now - self.window_s:
                self._done.popleft()

    def _rate(self) -> float:
        """Samples finished per second over the window (caller holds the lock)."""
        if not self._done:
            return 0.0
        span = max(time.monotonic() - self._done[0][0], 1.0)
        return sum(n for _, n in self._done) / span
