"""pass@k estimator against brute-force enumeration of all k-subsets."""

from __future__ import annotations

from itertools import combinations

import pytest

from mceval.passk import mean_pass_at_k, pass_at_k, reportable_ks


def _brute_force(n: int, c: int, k: int) -> float:
    samples = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(any(samples[i] for i in s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 9))
def test_matches_brute_force(n: int) -> None:
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(_brute_force(n, c, k), abs=1e-12), (n, c, k)


def test_pass_at_1_is_the_fraction_correct() -> None:
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(200, 0, 100) == 0.0
    assert pass_at_k(200, 200, 1) == 1.0


def test_large_n_is_stable() -> None:
    value = pass_at_k(1000, 1, 500)
    assert value == pytest.approx(0.5)


@pytest.mark.parametrize("n, c, k", [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6)])
def test_invalid_arguments(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match="pass@k needs"):
        pass_at_k(n, c, k)


def test_mean_and_reportable_ks() -> None:
    assert mean_pass_at_k([(2, 1), (2, 2)], 1) == pytest.approx(0.75)
    assert reportable_ks([3, 5, 4]) == [1, 2, 3]
    assert reportable_ks([]) == []
    with pytest.raises(ValueError):
        mean_pass_at_k([], 1)
