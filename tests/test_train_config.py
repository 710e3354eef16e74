"""MicroCoderGRPOConfig: the paper's defaults, rejected combinations, recipes, accelerate configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mctrain.config import MicroCoderGRPOConfig

REPO = Path(__file__).resolve().parents[1]
CPU = dict(use_cpu=True, bf16=False, output_dir="unused")


def test_defaults_are_the_papers_setting():
    cfg = MicroCoderGRPOConfig(**CPU, gradient_accumulation_steps=2)
    assert (cfg.truncation_masking, cfg.ctm_rho, cfg.ctm_window_m) == ("conditional", 0.1, 128)
    assert cfg.ctm_non_incorrect == "correct_or_unjudged"
    assert (cfg.beta, cfg.epsilon, cfg.epsilon_high, cfg.temperature) == (0.0, 0.2, 0.28, 1.2)
    assert cfg.mask_truncated_completions is False and cfg.logging_steps == 1
    # Several updates per generation batch, so the importance ratio differs from 1 and the clip acts.
    assert cfg.steps_per_generation == 4 * cfg.gradient_accumulation_steps


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
        ({"updates_per_generation": 0}, "updates_per_generation"),
        ({"temperature_schedule": "0.6@5"}, "step 0"),
    ],
)
def test_impossible_combinations_are_rejected(changes, message):
    with pytest.raises(ValueError, match=message):
        MicroCoderGRPOConfig(**CPU, **changes)


def test_on_policy_setting_warns_that_the_clip_is_inactive():
    with pytest.warns(UserWarning, match="never acts"):
        MicroCoderGRPOConfig(**CPU, updates_per_generation=1)


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


def test_recipes_load_and_baselines_differ_in_the_algorithm_only():
    cfgs = {p.stem: MicroCoderGRPOConfig.from_yaml(p, use_cpu=True) for p in sorted((REPO / "recipes").glob("*.yaml"))}
    paper = cfgs["microcoder_grpo_qwen3_4b"]
    assert paper.model_name_or_path == "Qwen/Qwen3-4B-Instruct-2507"
    assert (paper.max_completion_length, paper.temperature, paper.ctm_rho, paper.ctm_window_m) == (4096, 1.2, 0.1, 128)
    assert paper.beta == 0.0 and paper.epsilon_high > paper.epsilon
    assert paper.generation_batch_size // paper.num_generations == 64  # prompts per rollout batch
    assert cfgs["microcoder_grpo_qwen3_4b_8k"].max_completion_length == 8192
    assert cfgs["dapo_baseline"].truncation_masking == "mask_all"
    assert cfgs["grpo_baseline"].truncation_masking == "none"
    for name in ("dapo_baseline", "grpo_baseline"):
        assert cfgs[name].generation_batch_size == paper.generation_batch_size
        assert cfgs[name].max_completion_length == paper.max_completion_length


def test_accelerate_configs_parse():
    from accelerate.commands.config.config_args import load_config_from_file

    kinds = {}
    for path in sorted((REPO / "configs" / "accelerate").glob("*.yaml")):
        kinds[path.stem] = load_config_from_file(str(path))
    assert kinds["zero2"].deepspeed_config["zero_stage"] == 2
    assert kinds["zero3"].deepspeed_config["zero_stage"] == 3
    assert kinds["fsdp2"].fsdp_config["fsdp_version"] == 2


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
