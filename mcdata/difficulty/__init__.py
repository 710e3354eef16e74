"""Difficulty filtering for MicroCoder-Dataset, two ways.

* Empirical (`pass_rate_filter`): grade k solutions per problem (sampled from a model or read from a
  rollouts file) and keep problems whose pass rate lies in a band.
* Predicted (`predict_filter`): the paper's predict-calibrate-select — an LLM judge scores five weighted
  dimensions, the score is calibrated against measured pass rates, the hardest are kept to a target mix.

Both are pipeline stages: ``stage(problems, cfg, report) -> Iterator[Problem]``.
"""

from mcdata.difficulty.calibrate import Calibration, fit_calibration, fit_isotonic, fit_logistic
from mcdata.difficulty.common import ModelConfig
from mcdata.difficulty.judge import DIMENSIONS, JudgeParseError, parse_judge_scores, weighted_difficulty
from mcdata.difficulty.pass_rate import PassRateBand, PassRateConfig, load_rollouts, pass_rate_filter
from mcdata.difficulty.predict import PredictConfig, predict_filter
from mcdata.difficulty.select import parse_mix, select_to_mix

__all__ = [
    "DIMENSIONS",
    "Calibration",
    "JudgeParseError",
    "ModelConfig",
    "PassRateBand",
    "PassRateConfig",
    "PredictConfig",
    "fit_calibration",
    "fit_isotonic",
    "fit_logistic",
    "load_rollouts",
    "parse_judge_scores",
    "parse_mix",
    "pass_rate_filter",
    "predict_filter",
    "select_to_mix",
    "weighted_difficulty",
]
