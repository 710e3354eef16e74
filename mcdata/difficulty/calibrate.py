"""Calibrate judge difficulty scores against measured pass rates (numpy only).

Why: a judge's 1-10 scale means nothing in itself; what matters is how often the target model solves
a problem. The paper calibrates predicted scores against a thinking model's empirical pass rates on a
subset. We fit a monotone map difficulty -> pass rate on the problems that have both, then apply it
to every scored problem:

* ``isotonic`` (default): pool-adjacent-violators, a non-increasing step fit (harder never means a higher
  predicted pass rate), linear between fitted points, flat beyond them. No shape assumption; needs a
  few dozen points to be smooth.
* ``logistic``: pass rate = sigmoid(a + b * difficulty), fit by Newton's method on the binomial
  likelihood (each point weighted by its k). Smooth and extrapolates; assumes an S-shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

CalibrationMethod = Literal["isotonic", "logistic"]


@dataclass(frozen=True)
class Calibration:
    """A fitted map from judge difficulty (0..1) to predicted pass rate (0..1)."""

    method: CalibrationMethod
    knots_x: tuple[float, ...] = ()
    knots_y: tuple[float, ...] = ()
    intercept: float = 0.0
    slope: float = 0.0
    num_points: int = 0

    def predict(self, difficulty: float | Sequence[float]) -> np.ndarray | float:
        x = np.asarray(difficulty, dtype=float)
        if self.method == "isotonic":
            y = np.interp(x, self.knots_x, self.knots_y)
        else:
            y = 1.0 / (1.0 + np.exp(-(self.intercept + self.slope * x)))
        return float(y) if y.ndim == 0 else y

    def to_dict(self) -> dict:
        data = {"method": self.method, "num_points": self.num_points}
        if self.method == "isotonic":
            data.update(knots_x=list(self.knots_x), knots_y=list(self.knots_y))
        else:
            data.update(intercept=self.intercept, slope=self.slope)
        return data


def _check(x: Sequence[float], y: Sequence[float], w: Sequence[float] | None) -> tuple[np.ndarray, ...]:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=float)
    if not (x.shape == y.shape == w.shape) or x.ndim != 1 or len(x) == 0:
        raise ValueError(f"calibration needs equal-length 1-D inputs, got {x.shape}, {y.shape}, {w.shape}")
    if np.any((y < 0) | (y > 1)) or np.any(w <= 0):
        raise ValueError("calibration needs pass rates in [0, 1] and positive weights")
    return x, y, w


def fit_isotonic(
    difficulty: Sequence[float], pass_rate: Sequence[float], weights: Sequence[float] | None = None
) -> Calibration:
    """Weighted non-increasing least-squares fit (pool adjacent violators)."""
    x, y, w = _check(difficulty, pass_rate, weights)
    order = np.argsort(x, kind="stable")
    x, y, w = x[order], y[order], w[order]
    # Equal x values first become one point (their weighted mean), so the fit is a function of x.
    ux, inverse = np.unique(x, return_inverse=True)
    uw = np.bincount(inverse, weights=w)
    uy = np.bincount(inverse, weights=w * y) / uw
    # Blocks of [mean, weight, count]; merge while a block predicts a higher rate than the one before it.
    blocks: list[list[float]] = []
    for value, weight in zip(uy, uw):
        blocks.append([value, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    fitted = np.concatenate([[v] * int(n) for v, _, n in blocks])
    return Calibration("isotonic", tuple(ux.tolist()), tuple(fitted.tolist()), num_points=len(x))


def fit_logistic(
    difficulty: Sequence[float],
    pass_rate: Sequence[float],
    weights: Sequence[float] | None = None,
    *,
    ridge: float = 1e-9,
    max_iter: int = 100,
    tol: float = 1e-12,
) -> Calibration:
    """Maximum-likelihood sigmoid(a + b*x) for fractional outcomes, by Newton's method.

    `ridge` keeps the Hessian invertible when the points are perfectly separated (the fit is then
    steep but finite)."""
    x, y, w = _check(difficulty, pass_rate, weights)
    design = np.stack([np.ones_like(x), x], axis=1)  # [N, 2]
    beta = np.zeros(2)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(design @ beta)))
        gradient = design.T @ (w * (y - p)) - ridge * beta
        hessian = (design * (w * p * (1 - p))[:, None]).T @ design + ridge * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    return Calibration("logistic", intercept=float(beta[0]), slope=float(beta[1]), num_points=len(x))


def fit_calibration(
    method: CalibrationMethod, difficulty: Sequence[float], pass_rate: Sequence[float], weights: Sequence[float] | None = None
) -> Calibration:
    if method == "isotonic":
        return fit_isotonic(difficulty, pass_rate, weights)
    if method == "logistic":
        return fit_logistic(difficulty, pass_rate, weights)
    raise ValueError(f"unknown calibration method {method!r}; choose 'isotonic' or 'logistic'")
