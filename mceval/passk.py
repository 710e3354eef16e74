"""Unbiased pass@k estimator (Chen et al., 2021 — the Codex paper), as LiveCodeBench reports it.

With n samples of which c are correct, pass@k = 1 - C(n-c, k) / C(n, k): the probability that at
least one of k samples drawn without replacement is correct. Computed as a running product so that
large n never builds huge binomials.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["mean_pass_at_k", "pass_at_k", "reportable_ks"]


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k of the n samples (c of them correct) is correct."""
    if not (0 <= c <= n) or not (1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:  # every k-subset contains a correct sample
        return 1.0
    all_wrong = 1.0
    for i in range(n - c + 1, n + 1):
        all_wrong *= 1.0 - k / i
    return 1.0 - all_wrong


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float:
    """pass@k averaged over problems given (n, c) per problem; k must not exceed any n."""
    values = [pass_at_k(n, c, k) for n, c in counts]
    if not values:
        raise ValueError("pass@k of zero problems is undefined")
    return sum(values) / len(values)


def reportable_ks(sample_counts: Sequence[int]) -> list[int]:
    """Every k with k <= n for all problems (LiveCodeBench reports only those)."""
    return list(range(1, min(sample_counts) + 1)) if sample_counts else []
