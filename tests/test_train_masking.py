"""Engine-free MicroCoder-GRPO pieces: truncation masking, repetition test, answer completeness, advantages."""

from __future__ import annotations

import numpy as np
import pytest

from mctrain.algo.advantages import apply_mask, group_advantages
from mctrain.algo.answer import answer_unfinished
from mctrain.algo.masking import decide_mask, is_non_incorrect, is_truncated, mask_uniform, truncation_mask
from mctrain.algo.repetition import is_repetitive, smallest_period

EOS, PAD = 0, 1
STOP = [EOS, PAD]
M = 3
# One group of 6 responses (token ids), each case the paper's rule distinguishes:
RESPONSES = [
    [5, 6, 7, 8, 9, 10, 11, 12],  # 0 truncated, correct, not repeating   -> masked (if the draw fires)
    [5, 6, 7, 8, 9, 7, 8, 9],  # 1 truncated, correct, last 3 == previous 3 -> never (loop)
    [5, 6, 7, EOS],  # 2 stopped at EOS, correct                   -> never (not truncated)
    [5, 6, 7, 8, 9, 10, 11, 13],  # 3 truncated, wrong answer                 -> never (incorrect)
    [5, 6, 7, 8, 9, 10, 11, 14],  # 4 truncated, answer unfinished          -> only with correct_or_unjudged
    [5, 6, EOS],  # 5 stopped, wrong
]
VERDICTS = ["AC", "AC", "AC", "WA", "UNJUDGED", "WA"]


def _mask(**kw):
    args = dict(stop_ids=STOP, window=M, rho=1.0, group_size=6, seed=0, step=0)
    args.update(kw)
    return truncation_mask(RESPONSES, VERDICTS, **args)


def test_repetition_window_exact():
    assert is_repetitive([1, 2, 3, 1, 2, 3], window=3)
    assert not is_repetitive([1, 2, 3, 1, 2, 4], window=3)
    assert not is_repetitive([1, 2, 1, 2], window=3)  # shorter than 2m: cannot tell, not a loop
    assert is_repetitive([9, 9, 4, 4], window=1)
    with pytest.raises(ValueError):
        is_repetitive([1], window=0)


@pytest.mark.parametrize("period", [1, 2, 3, 5, 7, 12, 17, 37, 100, 128])
def test_loops_of_any_period_up_to_m_are_repetitive(period):
    """The paper's literal test only sees periods dividing m=128; the default sees every period <= m."""
    prefix = list(range(1000, 1300))  # 300 distinct tokens of real content before the loop
    loop = [2000 + i for i in range(period)]
    ids = prefix + loop * (600 // period + 1)
    assert is_repetitive(ids, 128)
    assert is_repetitive(ids, 128, rule="literal") == (128 % period == 0)
    assert smallest_period(ids[-256:]) == period


def test_content_and_longer_periods_are_not_loops():
    content = list(range(400))
    assert not is_repetitive(content, 128) and not is_repetitive(content, 128, rule="literal")
    long_period = list(range(300)) * 3  # period 300 > m: outside what the test looks for
    assert not is_repetitive(long_period, 128)
    short_echo = content + [7, 7, 7, 7]  # a brief echo at the end is not 2m tokens of loop
    assert not is_repetitive(short_echo, 128)
    with pytest.raises(ValueError, match="rule"):
        is_repetitive(content, 4, rule="fuzzy")


@pytest.mark.parametrize(
    "text, unfinished",
    [
        ("```python\nprint(1)\n```\nThis reads n and", False),  # cut in the prose after a complete block
        ("```python\nprint(1)\n```\n", False),
        ("Here is the code:\n```python\nfor i in range(", True),  # cut mid-expression
        ("```python\nprint(1)\n```\nA faster version:\n```python\nimport sys\n", True),  # second draft cut
        ("Let me think about the constraints first", True),  # never reached a code block
        ("<think>\nWe need ```python\nprint(1)\n```\n", True),  # still thinking
        ("<think>plan</think>\n```python\nprint(2)\n```", False),
        ("<think>draft ```python\nx=1\n```</think> Finally the answer is", True),  # no block after thinking
    ],
)
def test_answer_completeness_decides_unjudged_without_running(text, unfinished):
    assert answer_unfinished(text) is unfinished


def test_truncated_and_non_incorrect_rules():
    assert is_truncated([3, 4], STOP) and not is_truncated([3, EOS], STOP) and not is_truncated([3, PAD], STOP)
    verdicts = ("AC", "WA", "UNJUDGED", "NO_CODE", "CE", "TLE", "SOME_NEW_VERDICT")
    assert [is_non_incorrect(v, "correct") for v in verdicts] == [True] + [False] * 6
    # a judged program that failed to compile is incorrect; only an unfinished answer is "unjudged"
    assert [is_non_incorrect(v, "correct_or_unjudged") for v in verdicts] == [True, False, True] + [False] * 4
    with pytest.raises(ValueError):
        is_non_incorrect("AC", "maybe")


def test_conditional_mask_rho_one_masks_exactly_the_qualifying_responses():
    m = _mask(mode="conditional", non_incorrect="correct_or_unjudged")
    assert m.masked.tolist() == [True, False, False, False, True, False]
    assert m.eligible.tolist() == m.masked.tolist() and m.masked_of_eligible == 1.0
    assert m.truncated.tolist() == [True, True, False, True, True, False]
    assert m.repetitive.tolist() == [False, True, False, False, False, False]
    m = _mask(mode="conditional", non_incorrect="correct")
    assert m.masked.tolist() == [True, False, False, False, False, False]


def test_rho_zero_masks_nothing_and_baseline_modes():
    none = _mask(mode="conditional", rho=0.0)
    assert not none.masked.any() and none.eligible.sum() == 2 and none.masked_of_eligible == 0.0
    assert not _mask(mode="none").masked.any() and _mask(mode="none").masked_of_eligible is None
    assert _mask(mode="mask_all").masked.tolist() == [True, True, False, True, True, False]
    assert np.isnan(_mask(mode="mask_all").uniform).all()


def test_bernoulli_draw_is_a_pure_function_of_its_keys():
    u = mask_uniform(7, 3, 11, 2)
    assert u == mask_uniform(7, 3, 11, 2) and 0.0 <= u < 1.0
    assert len({mask_uniform(7, 3, 11, r) for r in range(8)}) == 8
    assert mask_uniform(8, 3, 11, 2) != u and mask_uniform(7, 4, 11, 2) != u
    # Empirical rate matches rho (10,000 draws: within 0.02 of 0.1).
    draws = np.array([mask_uniform(0, s, p, r) for s in range(25) for p in range(50) for r in range(8)])
    assert abs((draws < 0.1).mean() - 0.1) < 0.02


def test_mask_depends_on_prompt_identity_not_on_batch_position():
    """Same responses in another batch order (as another process count would give) -> same decisions."""
    truncated, ok, rep = [True] * 8, [True] * 8, [False] * 8
    prompts = [4, 4, 4, 4, 9, 9, 9, 9]
    a = decide_mask(truncated, ok, rep, rho=0.5, seed=3, step=2, prompt_indices=prompts, group_size=4)
    swapped = prompts[4:] + prompts[:4]
    b = decide_mask(truncated, ok, rep, rho=0.5, seed=3, step=2, prompt_indices=swapped, group_size=4)
    assert a.masked[:4].tolist() == b.masked[4:].tolist() and a.masked[4:].tolist() == b.masked[:4].tolist()
    assert a.uniform[:4].tolist() == b.uniform[4:].tolist()


def test_decide_mask_validates_inputs():
    with pytest.raises(ValueError, match="truncation_masking"):
        decide_mask([True], [True], [False], mode="sometimes")
    with pytest.raises(ValueError, match="ctm_rho"):
        decide_mask([True], [True], [False], rho=1.5)
    with pytest.raises(ValueError, match="verdicts"):
        truncation_mask([[1]], ["AC", "WA"], stop_ids=STOP)


def test_group_advantages_exact_values():
    # Group [1,1,1,0,0,0]: mean 0.5, unbiased std sqrt(0.3); TRL's eps 1e-4.
    adv = group_advantages(np.array([1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0], dtype=float), 6)
    a = 0.5 / (np.sqrt(0.3) + 1e-4)
    np.testing.assert_allclose(adv[:6], [a, a, a, -a, -a, -a])
    mean, std = 1 / 6, np.std([1, 0, 0, 0, 0, 0], ddof=1)
    np.testing.assert_allclose(adv[6:], [(1 - mean) / (std + 1e-4)] + [-mean / (std + 1e-4)] * 5)
    np.testing.assert_allclose(group_advantages(np.array([1.0, 0.0]), 2, scale="none"), [0.5, -0.5])
    assert group_advantages(np.ones(4), 2).tolist() == [0.0] * 4  # zero-variance groups carry no signal
    with pytest.raises(ValueError):
        group_advantages(np.ones(5), 2)


def test_mask_is_applied_after_normalisation():
    """Masked responses still shape their group's mean/std; only their own advantage becomes 0."""
    rewards = np.array([1, 1, 1, 0, 0, 0], dtype=float)
    masked = _mask(mode="conditional").masked  # responses 0 and 4
    after = apply_mask(group_advantages(rewards, 6), masked)
    a = 0.5 / (np.sqrt(0.3) + 1e-4)
    np.testing.assert_allclose(after, [0.0, a, a, -a, 0.0, -a])
    # Masking BEFORE (dropping them from the statistics) would give different values: [1,1,0,0] -> ±0.866.
    before = group_advantages(np.array([1, 1, 0, 0], dtype=float), 4)
    assert not np.allclose(np.abs(before), a)
    # Token-level advantages (B, T) are masked per row.
    np.testing.assert_allclose(apply_mask(np.ones((2, 3)), np.array([True, False])), [[0, 0, 0], [1, 1, 1]])
