"""MicroCoderGRPOConfig: the paper's defaults, rollout layout, rejected combinations, recipes, accelerate configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mctrain.config import MicroCoderGRPOConfig
from mctrain.layout import RolloutLayout

REPO = Path(__file__).resolve().parents[1]
CPU = dict(use_cpu=True, bf16=False, output_dir="unused")


def test_defaults_are_the_papers_setting():
    cfg = MicroCoderGRPOConfig(**CPU, gradient_accumulation_steps=2)
    assert (cfg.truncation_masking, cfg.ctm_rho, cfg.ctm_window_m) == ("conditional", 0.1, 128)
    assert cfg.ctm_non_incorrect == "correct_or_unjudged"
    assert (cfg.beta, cfg.epsilon, cfg.epsilon_high, cfg.temperature) == (0.0, 0.2, 0.28, 1.2)
    assert cfg.mask_truncated_completions is False and cfg.logging_steps == 1
    assert cfg.ctm_repeat_rule == "any_period" and cfg.diversity_metric == "windowed_distinct"
    assert cfg.vllm_importance_sampling_correction is False  # not in the paper: an explicit choice
    # Several updates per rollout, so the importance ratio differs from 1 and the clip acts.
    assert cfg.updates_per_rollout == 4 and cfg.steps_per_generation == 4 * cfg.gradient_accumulation_steps


def test_rollout_layout_derives_accumulation_from_the_papers_numbers():
    """64 prompts x 8 responses, 4 updates: the same training on 1, 8 or 16 processes."""
    counts = {}
    for processes, micro in ((1, 8), (8, 8), (16, 4)):
        layout = RolloutLayout(64, 8, 4, processes, micro)
        assert layout.responses == 512 and layout.steps_per_generation == 4 * layout.gradient_accumulation_steps
        assert layout.gradient_accumulation_steps * micro * processes * 4 == 512  # every response, once per round
        counts[processes] = layout.gradient_accumulation_steps
    assert counts == {1: 16, 8: 2, 16: 2}
    with pytest.raises(ValueError, match="does not split over 16 processes"):
        RolloutLayout(64, 8, 64, 16, 1)  # 8 responses per update cannot go to 16 processes
    with pytest.raises(ValueError, match="not a multiple of per_device_train_batch_size=3"):
        RolloutLayout(64, 8, 4, 8, 3)
    with pytest.raises(ValueError, match="updates_per_rollout=5"):
        RolloutLayout(64, 8, 5, 1, 1)


def test_config_sets_trl_batch_sizes_from_the_rollout():
    cfg = MicroCoderGRPOConfig(**CPU, rollout_prompts=6, num_generations=4, updates_per_rollout=3,
                               per_device_train_batch_size=2)
    assert cfg.generation_batch_size == 24 and cfg.gradient_accumulation_steps == 4 and cfg.steps_per_generation == 12
    engine = cfg.engine_args()  # what TRL sees: optimizer updates
    assert (cfg.max_steps, cfg.logging_steps) == (-1, 1) and engine.logging_steps == 3
    cfg2 = MicroCoderGRPOConfig(**CPU, rollout_prompts=6, num_generations=4, updates_per_rollout=3,
                                per_device_train_batch_size=2, max_steps=10, save_steps=5, warmup_steps=2)
    engine = cfg2.engine_args()
    assert (engine.max_steps, engine.save_steps, engine.warmup_steps) == (30, 15, 6)
    assert engine.engine_args() is engine and cfg2.max_steps == 10  # converted once, the config untouched
    with pytest.raises(ValueError, match="gradient_accumulation_steps=2 conflicts with rollout_prompts=6"):
        MicroCoderGRPOConfig(**CPU, rollout_prompts=6, num_generations=4, updates_per_rollout=3,
                             per_device_train_batch_size=2, gradient_accumulation_steps=2)


def test_schedule_sets_the_initial_temperature():
    cfg = MicroCoderGRPOConfig(**CPU, temperature_schedule="0.6@0,1.2@50")
    assert cfg.temperature == 0.6


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"truncation_masking": "partial"}, "truncation_masking"),
        ({"ctm_non_incorrect": "wrong"}, "ctm_non_incorrect"),
        ({"ctm_rho": 1.5}, "ctm_rho"),
        ({"ctm_window_m": 0}, "ctm_window_m"),
        ({"reward_mode": "soft"}, "reward_mode"),
        ({"diversity_metric": "bleu"}, "diversity_metric"),
        ({"epsilon_high": 0.1}, "epsilon_high"),
        ({"mask_truncated_completions": True}, "mask_truncated_completions"),
        ({"updates_per_rollout": 0}, "updates_per_rollout"),
        ({"temperature_schedule": "0.6@5"}, "step 0"),
        ({"max_completion_length_schedule": "4096@0,8192.5@9"}, "whole number of tokens"),
        ({"ctm_repeat_rule": "fuzzy"}, "ctm_repeat_rule"),
        ({"num_iterations": 2}, "updates_per_rollout"),
        ({"generation_batch_size": 64}, "rollout_prompts"),
        ({"rollout_prompts": 5, "num_generations": 8, "per_device_train_batch_size": 8}, "per_device_train_batch_size=8"),
        ({"reward_funcs": ["soft_overlong", "code"]}, "must start with 'code'"),
        ({"reward_funcs": ["code", "length"]}, "neither built in"),
        ({"reward_funcs": ["code", "soft_overlong"], "overlong_buffer_length": 9000}, "overlong_buffer_length"),
        ({"reward_funcs": ["code"], "reward_weights": [1.0, 0.5]}, "reward_weights"),
        ({"grade_batch_timeout_s": 900}, "ddp_timeout"),
        ({"lcb_eval_max_tokens": [4096, 0]}, "lcb_eval_max_tokens"),
    ],
)
def test_impossible_combinations_are_rejected(changes, message):
    with pytest.raises(ValueError, match=message):
        MicroCoderGRPOConfig(**CPU, **changes)


def test_on_policy_setting_warns_that_the_clip_is_inactive():
    with pytest.warns(UserWarning, match="never acts"):
        MicroCoderGRPOConfig(**CPU, updates_per_rollout=1)


def test_misspelled_key_suggests_the_nearest_field():
    with pytest.raises(ValueError, match=r"^--set: unknown key 'learnig_rate'; did you mean 'learning_rate'\?$"):
        MicroCoderGRPOConfig.check_keys({"learnig_rate": 1e-6}, where="--set")
    with pytest.raises(ValueError, match=r"unknown key 'zzz'$"):
        MicroCoderGRPOConfig.check_keys({"zzz": 1})


def test_yaml_unknown_field_names_the_file_and_key(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("ctm_rho: 0.2\nctm_rhoo: 0.3\n")
    with pytest.raises(ValueError, match=r"r\.yaml.*ctm_rhoo"):
        MicroCoderGRPOConfig.from_yaml(recipe, **CPU)
    recipe.write_text("- not a mapping\n")
    with pytest.raises(ValueError, match="mapping"):
        MicroCoderGRPOConfig.from_yaml(recipe, **CPU)
    with pytest.raises(FileNotFoundError):
        MicroCoderGRPOConfig.from_yaml(tmp_path / "missing.yaml")


RECIPES = ("microcoder_grpo_qwen3_4b", "microcoder_grpo_qwen3_4b_8k", "grpo_baseline", "dapo_baseline",
           "overlong_filter_baseline", "tiny_smoke", "smollm2_cpu")


def test_recipes_load_and_baselines_differ_where_the_paper_says():
    cfgs = {p.stem: MicroCoderGRPOConfig.from_yaml(p, use_cpu=True) for p in sorted((REPO / "recipes").glob("*.yaml"))}
    assert sorted(cfgs) == sorted(RECIPES)
    paper = cfgs["microcoder_grpo_qwen3_4b"]
    assert paper.model_name_or_path == "Qwen/Qwen3-4B-Instruct-2507"
    assert (paper.max_completion_length, paper.temperature, paper.ctm_rho, paper.ctm_window_m) == (4096, 1.2, 0.1, 128)
    assert paper.beta == 0.0 and paper.epsilon_high > paper.epsilon and paper.truncation_masking == "conditional"
    assert (paper.rollout_prompts, paper.num_generations, paper.updates_per_rollout) == (64, 8, 4)
    assert paper.max_steps == 560 and paper.vllm_importance_sampling_correction is False
    assert paper.vllm_max_model_length == 12288  # checked at start against the longest prompt + 8K evaluation
    assert paper.lcb_eval_every > 0 and paper.lcb_eval_max_tokens == [4096, 8192] and paper.snapshot_steps > 0
    assert paper.save_total_limit is not None  # resumable checkpoints rotate; snapshots keep the curve
    eight_k = cfgs["microcoder_grpo_qwen3_4b_8k"]
    assert eight_k.max_completion_length == 8192 and eight_k.lcb_eval_max_tokens == [8192]
    grpo, dapo, deepcoder = cfgs["grpo_baseline"], cfgs["dapo_baseline"], cfgs["overlong_filter_baseline"]
    assert grpo.truncation_masking == "none" and grpo.beta > 0 and grpo.epsilon_high == grpo.epsilon
    assert grpo.loss_type == "grpo"
    assert dapo.truncation_masking == "none" and dapo.dynamic_sampling and dapo.reward_funcs == ["code", "soft_overlong"]
    assert (dapo.loss_type, dapo.beta, dapo.epsilon, dapo.epsilon_high) == ("dapo", 0.0, 0.2, 0.28)
    assert deepcoder.truncation_masking == "mask_all"
    for name in ("grpo_baseline", "dapo_baseline", "overlong_filter_baseline"):
        cfg = cfgs[name]  # the same rollout, length, temperature, data and evaluation as the paper's arm
        for key in ("rollout_prompts", "num_generations", "updates_per_rollout", "max_completion_length",
                    "temperature", "learning_rate", "max_steps", "lcb_eval_every", "lcb_eval_max_tokens", "seed"):
            assert getattr(cfg, key) == getattr(paper, key), (name, key)


def test_recipe_comments_launch_their_own_file():
    for path in sorted((REPO / "recipes").glob("*.yaml")):
        launched = [line for line in path.read_text().splitlines() if "--config recipes/" in line]
        assert launched and all(f"--config recipes/{path.name}" in line for line in launched), path.name


def test_accelerate_configs_parse_and_save_loadable_models():
    """Every shipped launch config saves a full model that from_pretrained / vLLM / `microcoder eval` load."""
    from types import SimpleNamespace

    from accelerate.commands.config.config_args import load_config_from_file

    from mctrain.engine import check_loadable_saves

    kinds = {path.stem: load_config_from_file(str(path)) for path in sorted((REPO / "configs" / "accelerate").glob("*.yaml"))}
    assert sorted(kinds) == ["fsdp2", "multi_gpu", "zero2", "zero3"]
    assert kinds["zero2"].deepspeed_config["zero_stage"] == 2 and kinds["zero3"].deepspeed_config["zero_stage"] == 3
    for name in ("zero2", "zero3"):
        assert kinds[name].deepspeed_config["deepspeed_multinode_launcher"] == "standard"
    assert kinds["zero3"].deepspeed_config["zero3_save_16bit_model"] is True
    assert kinds["fsdp2"].fsdp_config["fsdp_version"] == 2
    fsdp_type = kinds["fsdp2"].fsdp_config["fsdp_state_dict_type"]
    assert fsdp_type == "FULL_STATE_DICT"

    def accelerator(fsdp=None, zero=None):
        return SimpleNamespace(state=SimpleNamespace(fsdp_plugin=fsdp, deepspeed_plugin=zero))

    check_loadable_saves(accelerator(fsdp=SimpleNamespace(state_dict_type=fsdp_type)))
    with pytest.raises(ValueError, match="FULL_STATE_DICT"):
        check_loadable_saves(accelerator(fsdp=SimpleNamespace(state_dict_type="SHARDED_STATE_DICT")))
    gathered = {"zero_optimization": {"stage3_gather_16bit_weights_on_model_save": True}}
    check_loadable_saves(accelerator(zero=SimpleNamespace(zero_stage=3, deepspeed_config=gathered)))
    with pytest.raises(ValueError, match="zero3_save_16bit_model"):
        check_loadable_saves(accelerator(zero=SimpleNamespace(zero_stage=3, deepspeed_config={})))


def test_yaml_no_stays_a_string_so_trl_strategies_parse(tmp_path):
    """YAML 1.1 reads `no` as False; TRL's save_strategy needs the string "no"."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text("save_strategy: no\nuse_cpu: true\nbf16: false\n")
    config = MicroCoderGRPOConfig.from_yaml(recipe, output_dir=str(tmp_path / "run"))
    assert str(config.save_strategy.value if hasattr(config.save_strategy, "value") else config.save_strategy) == "no"
    assert config.use_cpu is True


def test_activation_checkpointing_is_off_on_cpu_and_for_the_tiny_model(monkeypatch):
    """TRL turns checkpointing on by default; on CPU (or for tiny-random) it only slows steps and warns."""
    import warnings

    import mctrain.config as config_module

    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # no "gradient_checkpointing is deprecated" either
        cpu = MicroCoderGRPOConfig(output_dir="unused", use_cpu=True)
    assert cpu.activation_checkpointing is False and cpu.gradient_checkpointing is False

    monkeypatch.setattr(config_module, "_has_accelerator", lambda: True)
    assert MicroCoderGRPOConfig(output_dir="unused", bf16=False).activation_checkpointing is True
    tiny = MicroCoderGRPOConfig(output_dir="unused", bf16=False, model_name_or_path="tiny-random")
    assert tiny.activation_checkpointing is False
    explicit = MicroCoderGRPOConfig(**CPU, activation_checkpointing=True)  # an explicit choice is kept
    assert explicit.activation_checkpointing is True and explicit.gradient_checkpointing is True
