"""What the service counts, exposed as Prometheus text on /metrics and as JSON on /health."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping

from mceval.types import SampleResult, Verdict


class Metrics:
    """Counters since start: requests by endpoint and HTTP status, samples by verdict."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.verdicts: Counter[str] = Counter({v.value: 0 for v in Verdict})

    def request(self, endpoint: str, status: int) -> None:
        with self._lock:
            self.requests[(endpoint, status)] += 1

    def results(self, results: Iterable[SampleResult]) -> None:
        with self._lock:
            for result in results:
                self.verdicts[result.verdict.value] += 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            return {"verdicts": dict(self.verdicts),
                    "requests": {f"{endpoint} {status}": n for (endpoint, status), n in sorted(self.requests.items())}}

    def prometheus(self, gauges: Mapping[str, float]) -> str:
        """The Prometheus text exposition: `gauges` (current values) plus the counters."""
        lines = []
        for name, value in gauges.items():
            lines += [f"# TYPE mceval_{name} gauge", f"mceval_{name} {value:g}"]
        with self._lock:
            lines.append("# TYPE mceval_samples_total counter")
            lines += [f'mceval_samples_total{{verdict="{v}"}} {n}' for v, n in sorted(self.verdicts.items())]
            lines.append("# TYPE mceval_requests_total counter")
            lines += [f'mceval_requests_total{{endpoint="{e}",status="{s}"}} {n}'
                      for (e, s), n in sorted(self.requests.items())]
        return "\n".join(lines) + "\n"
