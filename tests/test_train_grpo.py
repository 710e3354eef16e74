"""End-to-end MicroCoder-GRPO rounds on CPU: tiny random Qwen2 model, real Parquet data, real grader.

Generation is replaced (the model instance's `generate`) ONLY where a test needs responses a
random model cannot write: a truncated correct program, a truncated repetition loop, a correct
program ending in EOS. Everything else is real: TRL's GRPOTrainer loop, the fused log-prob head,
the sandboxed grader running the extracted code against the tests, metrics.jsonl.
"""

from __future__ import annotations

import json
import math
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from mccore.schema import Problem, TestCase, arrow_schema
from mceval.types import GradeConfig
from mcgen.tiny_model import build_tiny_model, load_model_and_tokenizer
from mctrain.algo.advantages import group_advantages
from mctrain.algo.dapo import soft_overlong_penalty
from mctrain.config import CPU_SMOKE_ARGS, MicroCoderGRPOConfig
from mctrain.data import load_problems, prompt_dataset
from mctrain.metrics import REQUIRED_KEYS, read_metrics
from mctrain.reward import CodeReward
from mctrain.reward_funcs import extra_reward_funcs
from mctrain.train import run_training
from mctrain.trainer import MicroCoderGRPOTrainer

L_MAX = 96
M = 8
G = 6
CORRECT = "```python\nprint(sum(map(int, input().split())))\n```\n"
WRONG = "```python\nprint(0)\n```\n"
LCB_FIXTURE = "tests/fixtures/lcb"


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    """A Parquet dataset laid out like `build-dataset` output (data/train-*.parquet, our schema)."""
    root = tmp_path_factory.mktemp("dataset")
    problems = [
        Problem(
            problem_id=f"add-{i}",
            source="synthetic",
            statement=f"PROBLEM-{i}: read two integers and print their sum.",
            tests=(TestCase(f"{i} 2\n", f"{i + 2}\n", is_public=True), TestCase("10 -3\n", "7\n")),
            license="cc-by-4.0",
        )
        for i in range(2)
    ]
    (root / "data").mkdir()
    table = pa.Table.from_pylist([p.to_row() for p in problems], schema=arrow_schema())
    pq.write_table(table, root / "data" / "train-00000-of-00001.parquet")
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
        rollout_prompts=2,
        updates_per_rollout=2,
        max_completion_length=L_MAX,
        ctm_window_m=M,
        max_steps=1,
        learning_rate=0.1,
        seed=0,
        model_name_or_path="tiny-random",
    )
    base.update(kw)
    return MicroCoderGRPOConfig(**base)


def _ids(tokenizer, text):
    return tokenizer.encode(text, add_special_tokens=False)


def _truncated(tokenizer, text, fill="Now some more words about it. "):
    out = _ids(tokenizer, text)
    while len(out) < L_MAX:
        out += _ids(tokenizer, fill)
    return out[:L_MAX]


def _stopped(tokenizer, text):
    out = _ids(tokenizer, text) + [tokenizer.eos_token_id]
    return out + [tokenizer.pad_token_id] * (L_MAX - len(out))


def _scripted(tokenizer) -> list[list[int]]:
    """The G responses of every prompt, as exact token ids (byte-level tokenizer)."""
    loop = _truncated(tokenizer, CORRECT)[: L_MAX - 2 * M] + _ids(tokenizer, "abc") * 6  # period 3, not dividing m=8
    rows = [
        _truncated(tokenizer, CORRECT),  # 0 truncated after a complete block, AC, no loop -> masked at rho=1
        loop[:L_MAX],  # 1 truncated, AC, repetition loop of period 3           -> kept
        _stopped(tokenizer, CORRECT),  # 2 EOS, AC                                  -> kept
        _truncated(tokenizer, WRONG),  # 3 truncated, WA                             -> kept
        _truncated(tokenizer, "I am still thinking about "),  # 4 answer unfinished: UNJUDGED, not run -> masked
        _stopped(tokenizer, WRONG),  # 5 EOS, WA                                     -> kept
    ]
    assert all(len(r) == L_MAX for r in rows)
    return rows


def _patch_generate(model, rows):
    """Replace generation for this model instance only: row i of a batch gets response i % len(rows)."""

    def generate(input_ids=None, attention_mask=None, num_return_sequences=1, **kwargs):
        input_ids = input_ids.repeat_interleave(num_return_sequences, dim=0)
        completions = torch.tensor([rows[i % len(rows)] for i in range(input_ids.size(0))], dtype=input_ids.dtype)
        return torch.cat([input_ids, completions], dim=1)

    model.generate = generate


def _trainer(cfg, problems, model, tokenizer, **kw):
    reward = CodeReward(problems, mode=cfg.reward_mode, grade_config=GradeConfig(workers=2))
    trainer = MicroCoderGRPOTrainer(
        model, reward, cfg, prompt_dataset(problems), processing_class=tokenizer,
        extra_rewards=extra_reward_funcs(cfg), **kw,
    )
    captured = []
    original = trainer._generate_and_score_completions

    def capture(inputs):
        out = original(inputs)
        captured.append({k: (v.detach().clone() if isinstance(v, torch.Tensor) else v) for k, v in out.items()})
        captured[-1]["mask"] = trainer.last_mask
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
    _patch_generate(model, _scripted(tokenizer))
    cfg = _config(tmp_path, ctm_rho=rho, ctm_non_incorrect=non_incorrect)
    trainer, reward, captured = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    assert len(captured) == 1  # one rollout round: 2 prompts x G responses
    mask, advantages = captured[0]["mask"], captured[0]["advantages"]
    # The grader really ran the extracted code; the unfinished answer was never run.
    assert trainer.last_mask_keys["verdicts"] == ["AC", "AC", "AC", "WA", "UNJUDGED", "WA"] * 2
    assert sorted(set(trainer.last_mask_keys["prompt_indices"])) == [0, 1]
    assert mask.masked.tolist() == expected * 2
    assert mask.truncated.tolist() == [True, True, False, True, True, False] * 2
    assert mask.repetitive.tolist() == [False, True, False, False, False, False] * 2
    # Mask AFTER normalisation: rewards [1,1,1,0,0,0] -> ±0.5/(std+eps) for every unmasked response.
    full = torch.tensor(group_advantages(torch.tensor([1.0, 1, 1, 0, 0, 0] * 2).numpy(), G), dtype=advantages.dtype)
    expected_mask = torch.tensor(expected * 2)
    torch.testing.assert_close(advantages, torch.where(expected_mask, torch.zeros_like(full), full), rtol=1e-5, atol=1e-6)
    assert (advantages[~expected_mask] != 0).all()
    # The masked tokens stay in the token-mean denominator (the paper zeroes the advantage only).
    assert int(captured[0]["num_items_in_batch"]) == int(captured[0]["completion_mask"].sum())


def test_mask_all_removes_truncated_responses_from_the_loss(tmp_path, problems):
    """DeepCoder's overlong filtering: masked tokens leave the token-mean denominator too."""
    model, tokenizer = build_tiny_model(seed=0)
    rows = _scripted(tokenizer)
    _patch_generate(model, rows)
    trainer, reward, captured = _trainer(_config(tmp_path, truncation_masking="mask_all"), problems, model, tokenizer)
    with reward:
        trainer.train()
    out = captured[0]
    truncated = torch.tensor([True, True, False, True, True, False] * 2)
    assert out["mask"].masked.tolist() == truncated.tolist() and out["mask"].masked_of_eligible == 1.0
    assert (out["completion_mask"][truncated] == 0).all() and (out["completion_mask"][~truncated].sum(1) > 0).all()
    stopped_tokens = sum(len(_ids(tokenizer, t)) + 1 for t in (CORRECT, WRONG)) * 2
    assert int(out["num_items_in_batch"]) == stopped_tokens  # only the 4 EOS-terminated responses count


def test_all_masked_batch_leaves_weights_unchanged(tmp_path, problems):
    model, tokenizer = build_tiny_model(seed=0)
    rows = _scripted(tokenizer)
    every_truncated = [rows[0], rows[1], rows[0], rows[3], rows[4], rows[3]]
    _patch_generate(model, every_truncated)
    before = _params(model)
    cfg = _config(tmp_path, truncation_masking="mask_all", updates_per_rollout=1)
    trainer, reward, captured = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    assert captured[0]["mask"].masked.all() and (captured[0]["advantages"] == 0).all()
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters())

    # Control: the same batch without masking does move the weights (so the check above can fail).
    model2, _ = build_tiny_model(seed=0)
    _patch_generate(model2, every_truncated)
    cfg = _config(tmp_path, truncation_masking="none", updates_per_rollout=1, output_dir=str(tmp_path / "r2"))
    trainer2, reward2, _ = _trainer(cfg, problems, model2, tokenizer)
    with reward2:
        trainer2.train()
    assert sum(not torch.equal(before[n], p) for n, p in model2.named_parameters()) > 0


def test_temperature_change_resyncs_the_log_prob_head_and_keeps_autocast(tmp_path, problems):
    """After a staged switch the log-probs are log_softmax(logits / T_new), and generation still runs under
    accelerate's bf16 autocast (re-patching the head used to drop that wrapper: fp32 generation)."""
    model, tokenizer = build_tiny_model(seed=0)
    cfg = _config(
        tmp_path, bf16=True, temperature_schedule="0.7@0,1.9@1", max_steps=2, updates_per_rollout=1,
        max_completion_length=8, per_device_train_batch_size=4, num_generations=4, ctm_window_m=2,
    )
    trainer, reward, _ = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    assert trainer.temperature == 1.9 and trainer.generation_config.temperature == 1.9
    assert [r["temperature"] for r in read_metrics(cfg.output_dir)] == [0.7, 1.9]
    assert "_original_forward" in model.__dict__  # accelerate's mixed-precision wrapper is back
    seen = []
    hook = model.model.layers[0].mlp.down_proj.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    with torch.no_grad():
        model(input_ids=torch.tensor([[5, 6, 7]]))
    hook.remove()
    assert seen == [torch.bfloat16]

    ids = torch.randint(3, 200, (2, 12), generator=torch.Generator().manual_seed(0))
    mask = torch.ones_like(ids)
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", enabled=False):
        logps, _, _ = trainer._get_per_token_logps_and_entropies(model, ids, mask, logits_to_keep=5)
        logits = model._original_forward(input_ids=ids, attention_mask=mask).logits[:, -6:-1].float()
    targets = ids[:, -5:].unsqueeze(-1)
    new = torch.log_softmax(logits / 1.9, dim=-1).gather(-1, targets).squeeze(-1)
    old = torch.log_softmax(logits / 0.7, dim=-1).gather(-1, targets).squeeze(-1)
    torch.testing.assert_close(logps, new, rtol=2e-2, atol=2e-2)  # bf16 compute
    assert (logps - old).abs().max() > 0.1


def test_fp32_master_weights_learn_at_the_papers_learning_rate(tmp_path, problems):
    """A bf16 checkpoint is loaded in float32 and trained with bf16 autocast: one update at lr 1e-6 moves the
    weights. The same update applied to bf16 weights would be rounded away, so bf16 weights are refused."""
    from mctrain.train import load_policy

    tiny, tokenizer = build_tiny_model(seed=0)
    tiny.to(torch.bfloat16).save_pretrained(tmp_path / "bf16-model")
    tokenizer.save_pretrained(tmp_path / "bf16-model")
    model, tokenizer = load_policy(str(tmp_path / "bf16-model"))
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    _patch_generate(model, _scripted(tokenizer))
    before = _params(model)
    cfg = _config(tmp_path, bf16=True, learning_rate=1e-6, updates_per_rollout=1, truncation_masking="none")
    trainer, reward, _ = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    weight = "model.layers.0.self_attn.q_proj.weight"
    changed = (model.state_dict()[weight] != before[weight]).float().mean().item()
    assert changed > 0.9, changed
    rounded = (before[weight].bfloat16() + 1e-6).float() != before[weight].bfloat16().float()
    assert rounded.float().mean().item() < 0.05  # what the same step does to bf16 weights

    half, _ = build_tiny_model(seed=0)
    with pytest.raises(ValueError, match="no engine keeps fp32 master weights"):
        _trainer(_config(tmp_path, bf16=True), problems, half.to(torch.bfloat16), tokenizer)


def test_run_training_rounds_metrics_evaluation_and_snapshots(tmp_path, dataset_dir):
    """The real entry point: steps are rollout rounds; LiveCodeBench is evaluated before training and every
    round at two lengths with the rollout engine; snapshots and the final model load with eval's loader."""
    model, tokenizer = build_tiny_model(seed=0)
    _patch_generate(model, _scripted(tokenizer))
    cfg = _config(
        tmp_path, dataset=str(dataset_dir), max_steps=2, learning_rate=0.05, ctm_rho=0.5, report_to="tensorboard",
        lcb_eval_every=1, lcb_eval_dataset=LCB_FIXTURE, lcb_eval_max_problems=3, lcb_eval_n=2,
        lcb_eval_max_tokens=[64, 128], snapshot_steps=1, save_strategy="steps", save_steps=2,
    )
    result = run_training(cfg, resume=False, model=model, tokenizer=tokenizer)
    assert result.global_step == 2
    rows = read_metrics(result.run_dir)
    assert [r["step"] for r in rows] == [0, 1, 2] and [r["optimizer_step"] for r in rows] == [0, 2, 4]
    start, first, second = rows
    assert set(start) >= {"eval_lcb_64_pass_at_1", "eval_lcb_128_pass_at_1"} and "reward_mean" not in start
    for row in (first, second):
        missing = [k for k in REQUIRED_KEYS if row.get(k) is None]
        assert not missing, missing
        assert row["temperature"] == 1.2 and row["max_completion_length"] == L_MAX
        assert sum(row[f"verdict_{v}"] for v in ("AC", "WA", "UNJUDGED")) == 2 * G
        # the four scripted answers without EOS run past 64 tokens; the two EOS-terminated ones are complete
        assert row["eval_lcb_64_truncation_rate"] == pytest.approx(4 / 6)
        assert row["clip_region_fraction"] > 0  # the round's second update trains off-policy: the clip acts
        assert math.isfinite(row["diversity_windowed"])
    assert first["reward_mean"] == pytest.approx(0.5) and first["pass_rate"] == pytest.approx(0.5)
    eligible = _expected_draws(rho=0.5)
    assert first["masked_fraction"] == pytest.approx(sum(eligible) / 12)
    assert first["eligible_fraction"] == pytest.approx(4 / 12)
    assert first["masked_of_eligible"] == pytest.approx(sum(eligible) / 4)
    assert first["truncation_rate"] == pytest.approx(4 / 6) and first["response_length_max"] == L_MAX
    assert first["reward_time_s"] < first["grading_time_s"]  # grading overlapped the old-log-prob pass
    evals = [json.loads(line) for line in (result.run_dir / "eval_lcb.jsonl").read_text().splitlines()]
    assert [(e["step"], e["max_tokens"], e["num_problems"], e["n"]) for e in evals] == [
        (s, t, 3, 2) for s in (0, 1, 2) for t in (64, 128)
    ]
    saved = json.loads((result.run_dir / "run_config.json").read_text())
    assert saved["max_steps"] == 2 and saved["rollout_prompts"] == 2 and saved["ctm_rho"] == 0.5
    for directory in ("snapshots/rollout-000001", "snapshots/rollout-000002", "final"):
        loaded, _ = load_model_and_tokenizer(str(result.run_dir / directory))
        assert loaded.config.vocab_size == model.config.vocab_size
    assert (result.run_dir / "checkpoint-4").is_dir()  # resumable checkpoint after round 2 (4 optimizer updates)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(sorted(result.run_dir.rglob("events.out.tfevents.*"))[0].parent))
    events.Reload()
    for key in ("mc/masked_fraction", "mc/diversity", "mc/temperature", "clip_ratio/high_mean"):
        assert any(tag.endswith(key) for tag in events.Tags()["scalars"]), key


def _expected_draws(rho: float) -> list[bool]:
    """Round-0 draws (seed 0) of responses 0 and 4 (the eligible ones) of prompts 0 and 1."""
    from mctrain.algo.masking import mask_uniform

    return [mask_uniform(0, 0, p, r) < rho for p in (0, 1) for r in (0, 4)]


def _patch_generate_by_problem(model, tokenizer, responses):
    """Generation where prompt PROBLEM-k gets responses[k] (G texts), EOS-terminated, in copy order."""

    def generate(input_ids=None, attention_mask=None, **kwargs):
        copies: dict[int, int] = {}
        rows = []
        for prompt in input_ids.tolist():
            k = int(re.search(r"PROBLEM-(\d+)", tokenizer.decode(prompt, skip_special_tokens=True)).group(1))
            c = copies[k] = copies.get(k, -1) + 1
            rows.append(_stopped(tokenizer, responses[k][c % len(responses[k])]))
        return torch.cat([input_ids, torch.tensor(rows, dtype=input_ids.dtype)], dim=1)

    model.generate = generate


@pytest.mark.slow
def test_dapo_dynamic_sampling_and_soft_overlong_penalty(tmp_path, problems):
    """Problem 0's group is all correct (no gradient); dynamic sampling draws more prompts until each group kept
    has mixed scores. The soft overlong reward is added per response from its length."""
    model, tokenizer = build_tiny_model(seed=0)
    _patch_generate_by_problem(model, tokenizer, {0: [CORRECT] * G, 1: [CORRECT, WRONG] * (G // 2)})
    cfg = _config(
        tmp_path, dynamic_sampling=True, reward_funcs=["code", "soft_overlong"], overlong_buffer_length=80,
        truncation_masking="none", max_completion_length_schedule=f"{L_MAX}@0", updates_per_rollout=1,
    )
    trainer, reward, captured = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    out = captured[0]
    assert out["completion_ids"].size(0) == 2 * G
    groups = out["advantages"].view(2, G)
    assert (groups != 0).any(dim=1).all()  # every kept group carries a gradient
    row = read_metrics(cfg.output_dir)[0]
    assert row["ds_rounds"] >= 2 and row["ds_filler_groups"] == 0
    correct, wrong = (soft_overlong_penalty(len(_ids(tokenizer, t)) + 1, L_MAX, 80) for t in (CORRECT, WRONG))
    assert correct < wrong < 0  # both answers end inside the 80-token buffer, the longer one is punished more
    # each sampling round draws both problems: 6 + 3 correct answers and 3 wrong ones
    assert row["reward_soft_overlong"] == pytest.approx((9 * correct + 3 * wrong) / 12)


@pytest.mark.slow
def test_length_schedule_and_grpo_baseline_kl(tmp_path, problems):
    """The context-length schedule sets the sampler's cap per round; beta > 0 trains against a reference model."""
    from mctrain.train import load_policy

    tiny, tokenizer = build_tiny_model(seed=0)
    tiny.save_pretrained(tmp_path / "model")
    tokenizer.save_pretrained(tmp_path / "model")
    model, tokenizer = load_policy(str(tmp_path / "model"))
    cfg = _config(
        tmp_path, max_completion_length_schedule="8@0,12@1", max_steps=2, updates_per_rollout=1, beta=0.04,
        loss_type="grpo", epsilon_high=0.2, truncation_masking="none", per_device_train_batch_size=4,
        num_generations=4, ctm_window_m=2,
    )
    trainer, reward, captured = _trainer(cfg, problems, model, tokenizer)
    with reward:
        trainer.train()
    assert trainer.ref_model is not None and trainer.generation_config.max_new_tokens == 12
    assert [c["completion_ids"].size(1) <= cap for c, cap in zip(captured, (8, 12))] == [True, True]
    rows = read_metrics(cfg.output_dir)
    assert [r["max_completion_length"] for r in rows] == [8, 12]
    assert all(r["kl"] is not None and r["kl"] >= 0 for r in rows)


def test_vllm_is_correction_masked_share_is_measured_per_mode(tmp_path, problems):
    """The share TRL's vLLM importance-sampling correction drops (mask modes) or clips (truncate modes).

    vLLM is not installed here, so the ratio tensor TRL would put in the scored batch is given directly."""
    model, tokenizer = build_tiny_model(seed=0)
    trainer, reward, _ = _trainer(_config(tmp_path), problems, model, tokenizer)
    with reward:
        mask = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 0], [1, 1, 1]])
        trainer.vllm_importance_sampling_mode = "sequence_mask"  # TRL's default: whole responses dropped
        sequences = {"importance_sampling_ratio": torch.tensor([[0.0], [1.2], [0.0], [2.9]]), "completion_mask": mask}
        assert trainer._is_masked_fraction(sequences) == 0.5
        trainer.vllm_importance_sampling_mode = "token_mask"
        ratio = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
        tokens = {"importance_sampling_ratio": ratio, "completion_mask": mask}
        assert trainer._is_masked_fraction(tokens) == pytest.approx(3 / 9)  # padded positions do not count
        trainer.vllm_importance_sampling_mode = "sequence_truncate"
        trainer.vllm_importance_sampling_clip_max, trainer.vllm_importance_sampling_clip_min = 3.0, None
        clipped = {"importance_sampling_ratio": torch.tensor([[3.0], [1.1], [0.4], [3.0]]), "completion_mask": mask}
        assert trainer._is_masked_fraction(clipped) == 0.5
