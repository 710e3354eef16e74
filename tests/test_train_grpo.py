"""End-to-end MicroCoder-GRPO steps on CPU: tiny random Qwen2 model, real Parquet data, real grader.

Generation is replaced (the model instance's `generate`) ONLY in the tests that need responses a
random model cannot write: a truncated correct program, a truncated repetition loop, a correct
program ending in EOS. Everything else is real: TRL's GRPOTrainer loop, the fused log-prob head,
the sandboxed grader running the extracted code against the tests, metrics.jsonl.
"""

from __future__ import annotations

import json
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from mcdata.schema import Problem, TestCase, arrow_schema
from mceval.tiny_model import build_tiny_model
from mctrain.algo.advantages import group_advantages
from mctrain.config import CPU_SMOKE_ARGS, MicroCoderGRPOConfig
from mctrain.data import load_problems, prompt_dataset
from mctrain.metrics import REQUIRED_KEYS, read_metrics
from mctrain.reward import CodeReward
from mctrain.train import run_training
from mctrain.trainer import MicroCoderGRPOTrainer
from mceval.types import GradeConfig

L_MAX = 96
M = 8
G = 6
CORRECT = "```python\nprint(sum(map(int, input().split())))\n```\n"
WRONG = "```python\nprint(0)\n```\n"


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    """A Parquet dataset laid out like `build-dataset` output (data/train-*.parquet, our schema)."""
    root = tmp_path_factory.mktemp("dataset")
    problems = [
        Problem(
            problem_id=f"add-{i}",
            source="synthetic",
            statement=f"Read two integers and print their sum ({i}).",
            tests=(TestCase(f"{i} 2\n", f"{i + 2}\n", is_public=True), TestCase("10 -3\n", "7\n")),
            license="cc-by-4.0",
        )
        for i in range(2)
    ]
    (root / "data").mkdir()
    table = pa.Table.from_pylist([p.to_row() for p in problems], schema=arrow_schema())
    pq.write_table(table, root / "data" / "train-00000-of-00001.parquet")
    held_out = problems[0].with_(problem_id="add-held-out", statement="Print a + b.")
    test_table = pa.Table.from_pylist([held_out.to_row()], schema=arrow_schema())
    pq.write_table(test_table, root / "data" / "test-00000-of-00001.parquet")
    return root


@pytest.fixture(scope="module")
def problems(dataset_dir):
    return load_problems(dataset_dir, "train")


def _config(tmp_path, **kw) -> MicroCoderGRPOConfig:
    base = dict(
        **CPU_SMOKE_ARGS,
        output_dir=str(tmp_path / "run"),
        per_device_train_batch_size=G,
        num_generations=G,
        max_completion_length=L_MAX,
        ctm_window_m=M,
        max_steps=1,
        updates_per_generation=2,
        learning_rate=0.1,
        seed=0,
        model_name_or_path="tiny-random",
    )
    base.update(kw)
    return MicroCoderGRPOConfig(**base)


def _scripted(tokenizer) -> list[list[int]]:
    """The G responses of every prompt, as exact token ids (byte-level tokenizer)."""
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id

    def ids(text):
        return tokenizer.encode(text, add_special_tokens=False)

    def truncated(text, fill="Now some more words about it. "):
        out = ids(text)
        while len(out) < L_MAX:
            out += ids(fill)
        return out[:L_MAX]

    def stopped(text):
        out = ids(text) + [eos]
        return out + [pad] * (L_MAX - len(out))

    loop = truncated(CORRECT)[: L_MAX - 2 * M] + ids("abcdefgh") * 2  # last 8 == previous 8
    rows = [
        truncated(CORRECT),  # 0 truncated, AC, no loop            -> masked at rho=1
        loop,  # 1 truncated, AC, repetition loop                  -> kept
        stopped(CORRECT),  # 2 EOS, AC                               -> kept
        truncated(WRONG),  # 3 truncated, WA                         -> kept
        truncated("I am still thinking about "),  # 4 truncated, NO_CODE -> masked (correct_or_unjudged)
        stopped(WRONG),  # 5 EOS, WA                                  -> kept
    ]
    assert all(len(r) == L_MAX for r in rows)
    return rows


def _patch_generate(model, rows):
    """Replace generation for this model instance only: row i of a batch gets response i % G."""

    def generate(input_ids=None, attention_mask=None, num_return_sequences=1, **kwargs):
        input_ids = input_ids.repeat_interleave(num_return_sequences, dim=0)
        completions = torch.tensor([rows[i % len(rows)] for i in range(input_ids.size(0))], dtype=input_ids.dtype)
        return torch.cat([input_ids, completions], dim=1)

    model.generate = generate


def _trainer(cfg, problems, model, tokenizer, **kw):
    reward = CodeReward(problems, mode=cfg.reward_mode, grade_config=GradeConfig(workers=2))
    trainer = MicroCoderGRPOTrainer(model, reward, cfg, prompt_dataset(problems), processing_class=tokenizer, **kw)
    captured = []
    original = trainer._generate_and_score_completions

    def capture(inputs):
        out = original(inputs)
        captured.append({"advantages": out["advantages"].detach().clone(), "mask": trainer.last_mask})
        return out

    trainer._generate_and_score_completions = capture
    return trainer, reward, captured


def _params(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize(
    "rho, non_incorrect, expected",
    [
        (1.0, "correct_or_unjudged", [True, False, False, False, True, False]),
        (1.0, "correct", [True, False, False, False, False, False]),
        (0.0, "correct_or_unjudged", [False] * G),
    ],
)
def test_conditional_masking_zeroes_exactly_the_expected_advantages(tmp_path, problems, rho, non_incorrect, expected):
    model, tokenizer = build_tiny_model(seed=0)
    rows = _scripted(tokenizer)
    _patch_generate(model, rows)
    cfg = _config(tmp_path, ctm_rho=rho, ctm_non_incorrect=non_incorrect, per_device_train_batch_size=G)
    trainer, reward, captured = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    assert len(captured) == 1  # one generation batch: 2 prompts x G responses
    mask = captured[0]["mask"]
    advantages = captured[0]["advantages"]
    # The grader really ran the extracted code: verdicts per scripted response, for both prompts.
    assert trainer.last_mask_keys["verdicts"] == ["AC", "AC", "AC", "WA", "NO_CODE", "WA"] * 2
    assert sorted(set(trainer.last_mask_keys["prompt_indices"])) == [0, 1]
    assert mask.masked.tolist() == expected * 2
    assert mask.truncated.tolist() == [True, True, False, True, True, False] * 2
    assert mask.repetitive.tolist() == [False, True, False, False, False, False] * 2
    # Mask AFTER normalisation: rewards [1,1,1,0,0,0] -> ±0.5/(std+eps) for every unmasked response.
    full = torch.tensor(group_advantages(torch.tensor([1.0, 1, 1, 0, 0, 0] * 2).numpy(), G), dtype=advantages.dtype)
    expected_mask = torch.tensor(expected * 2)
    expected_adv = torch.where(expected_mask, torch.zeros_like(full), full)
    torch.testing.assert_close(advantages, expected_adv, rtol=1e-5, atol=1e-6)
    assert (advantages[~expected_mask] != 0).all()


def test_all_masked_batch_leaves_weights_unchanged(tmp_path, problems):
    model, tokenizer = build_tiny_model(seed=0)
    rows = _scripted(tokenizer)
    every_truncated = [rows[0], rows[1], rows[0], rows[3], rows[4], rows[3]]
    _patch_generate(model, every_truncated)
    before = _params(model)
    cfg = _config(tmp_path, truncation_masking="mask_all", updates_per_generation=1)
    trainer, reward, captured = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    assert captured[0]["mask"].masked.all()
    assert (captured[0]["advantages"] == 0).all()
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters())

    # Control: the same batch without masking does move the weights (so the check above can fail).
    model2, _ = build_tiny_model(seed=0)
    _patch_generate(model2, every_truncated)
    cfg = _config(tmp_path, truncation_masking="none", updates_per_generation=1, output_dir=str(tmp_path / "r2"))
    trainer2, reward2, _ = _trainer(cfg, problems, model2, tokenizer)
    with reward2:
        trainer2.train()
    changed = sum(not torch.equal(before[n], p) for n, p in model2.named_parameters())
    assert changed > 0


def test_temperature_change_resyncs_the_log_prob_head(tmp_path, problems):
    """After a staged switch, the trainer's log-probs are log_softmax(logits / T_new), not T_old."""
    model, tokenizer = build_tiny_model(seed=0)
    cfg = _config(
        tmp_path,
        temperature_schedule="0.7@0,1.9@1",
        max_steps=2,
        updates_per_generation=1,
        max_completion_length=8,
        per_device_train_batch_size=4,
        num_generations=4,
    )
    trainer, reward, captured = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    assert trainer.temperature == 1.9 and trainer.generation_config.temperature == 1.9
    rows = read_metrics(cfg.output_dir)
    assert [r["temperature"] for r in rows] == [0.7, 1.9]

    ids = torch.randint(3, 200, (2, 12), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    model.eval()
    with torch.no_grad():
        logps, _, _ = trainer._get_per_token_logps_and_entropies(model, ids, mask, logits_to_keep=5)
        logits = model(input_ids=ids, attention_mask=mask).logits[:, -6:-1]
    targets = ids[:, -5:].unsqueeze(-1)
    new = torch.log_softmax(logits / 1.9, dim=-1).gather(-1, targets).squeeze(-1)
    old = torch.log_softmax(logits / 0.7, dim=-1).gather(-1, targets).squeeze(-1)
    torch.testing.assert_close(logps, new, rtol=1e-4, atol=1e-5)
    assert (logps - old).abs().max() > 1e-3


def test_run_training_writes_metrics_and_clip_fractions(tmp_path, dataset_dir):
    """The real entry point on the Parquet dir; scripted responses give the rewards variance (a
    random model never writes a correct program), so the policy moves and the clip can act."""
    model, tokenizer = build_tiny_model(seed=0)
    _patch_generate(model, _scripted(tokenizer))
    cfg = _config(
        tmp_path, dataset=str(dataset_dir), max_steps=2, updates_per_generation=2, learning_rate=0.05, ctm_rho=0.5,
        heldout_eval_steps=2, heldout_eval_n=2, report_to="tensorboard",
    )
    result = run_training(cfg, resume=False, model=model, tokenizer=tokenizer)
    assert result.global_step == 2
    rows = read_metrics(result.run_dir)
    assert [r["step"] for r in rows] == [1, 2]
    for row in rows:
        missing = [k for k in REQUIRED_KEYS if row.get(k) is None]
        assert not missing, missing
        assert 0.0 <= row["clip_high_fraction"] <= 1.0 and row["temperature"] == 1.2
    first, second = rows
    assert first["reward_mean"] == pytest.approx(0.5) and first["pass_rate"] == pytest.approx(0.5)
    expected_masked = _expected_draws(rho=0.5)
    assert 0 < sum(expected_masked) < 4  # the keyed draws fire for some qualifying responses, not all
    assert first["masked_fraction"] == pytest.approx(sum(expected_masked) / 12)
    assert first["truncation_rate"] == pytest.approx(4 / 6) and first["response_length_max"] == L_MAX
    assert first["reward_time_s"] > 0.0 and first["generation_time_s"] > 0.0 and math.isfinite(first["diversity"])
    # Grading was submitted when generation ended and overlapped the old-log-prob pass, so the
    # step waited less than grading took.
    assert first["reward_time_s"] < first["grading_time_s"]
    assert first["reward_time_share"] == pytest.approx(first["reward_time_s"] / first["step_time_s"])
    # Step 2 trains on step 1's rollouts after one update: nothing generated or graded, the ratio moved.
    assert second["rollout_step"] == 1 and second["reward_time_s"] == 0.0 and second["generation_time_s"] == 0.0
    assert second["clip_region_fraction"] > 0.0
    assert first["clip_region_fraction"] == 0.0  # first update: ratio exactly 1
    saved = json.loads((result.run_dir / "run_config.json").read_text())
    assert saved["truncation_masking"] == "conditional" and saved["ctm_rho"] == 0.5
    # Held-out evaluation at step 2 through the benchmark's hf backend: both scripted samples
    # (responses 0 and 1: correct programs) pass the held-out problem's tests.
    assert "heldout_pass_at_1" not in first and second["heldout_pass_at_1"] == 1.0
    held = [json.loads(line) for line in (result.run_dir / "heldout_eval.jsonl").read_text().splitlines()]
    assert [(h["step"], h["num_problems"], h["n"], h["heldout_pass_at_1"]) for h in held] == [(2, 1, 2, 1.0)]
    # report_to=tensorboard: MicroCoder's per-step metrics reach TensorBoard through TRL's logging.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    event_files = sorted(result.run_dir.rglob("events.out.tfevents.*"))
    assert event_files, "no TensorBoard event file under RUN_DIR"
    events = EventAccumulator(str(event_files[0].parent))
    events.Reload()
    scalars = events.Tags()["scalars"]
    for key in ("mc/masked_fraction", "mc/diversity", "mc/temperature", "clip_ratio/high_mean"):
        assert any(tag.endswith(key) for tag in scalars), (key, scalars)


def _expected_draws(rho: float) -> list[bool]:
    """Step-0 draws (seed 0) of responses 0 and 4 (the qualifying ones) of prompts 0 and 1."""
    from mctrain.algo.masking import mask_uniform

    return [mask_uniform(0, 0, p, r) < rho for p in (0, 1) for r in (0, 4)]
