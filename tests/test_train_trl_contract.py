"""Fails loudly when the pinned TRL changes what MicroCoderGRPOTrainer relies on.

The trainer overrides private GRPOTrainer hooks and re-patches TRL's fused log-prob head; those
are not public API and move between TRL minors. If this test fails after a TRL upgrade, re-read
mctrain/trainer.py against the new grpo_trainer.py before changing the recorded values.
"""

from __future__ import annotations

import inspect
import re

import trl
from trl import GRPOTrainer
from trl.trainer import utils as trl_utils

PINNED_VERSION = "1.16.0"
RECORDED_SIGNATURES = {
    "_generate": "(self, prompts: list)",
    "_calculate_rewards": "(self, inputs, prompts, completions, completion_ids_list)",
    "_generate_and_score_completions": (
        "(self, inputs: list[dict[str, torch.Tensor | typing.Any]]) -> dict[str, torch.Tensor | typing.Any]"
    ),
}
RECORDED_FUSED_HEAD = (
    "(model: transformers.modeling_utils.PreTrainedModel, temperature: float = 1.0, "
    "cast_lm_head_to_fp32: bool = False, outputs: tuple[str, ...] = ('log_probs',)) -> None"
)


def _source(fn) -> str:
    return re.sub(r"\s+", " ", inspect.getsource(fn))


def test_trl_version_is_pinned():
    assert trl.__version__ == PINNED_VERSION, f"mctrain is written against trl=={PINNED_VERSION}, found {trl.__version__}"


def test_overridden_hooks_keep_their_signatures():
    for name, recorded in RECORDED_SIGNATURES.items():
        assert str(inspect.signature(getattr(GRPOTrainer, name))) == recorded, name


def test_generate_returns_ids_and_completions_where_the_trainer_reads_them():
    # MicroCoderGRPOTrainer._generate reads result[1] (completion ids) and result[3] (completions).
    assert "return prompt_ids, completion_ids, tool_mask, completions, logprobs, extra_fields, images, tool_images" in (
        _source(GRPOTrainer._generate)
    )


def test_fused_head_bakes_the_temperature_at_init():
    # The pitfall set_temperature() works around: the log-prob temperature is captured at init.
    assert str(inspect.signature(trl_utils.add_fused_lm_head)) == RECORDED_FUSED_HEAD
    init = _source(GRPOTrainer.__init__)
    assert "add_fused_lm_head( self.model.get_base_model() if is_peft_model(self.model) else self.model, " in init
    assert "temperature=self.temperature" in init
    assert "model.forward = types.MethodType(_fused_forward, model)" in _source(trl_utils.add_fused_lm_head)


def test_advantages_and_logged_metric_names_still_exist():
    score = _source(GRPOTrainer._generate_and_score_completions)
    assert '"advantages": advantages' in score and "process_slice = slice(" in score
    assert 'self._metrics[mode]["reward"]' in score
    loss = _source(GRPOTrainer._compute_loss)
    for name in ("clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean", '"entropy"'):
        assert name in loss, name
    generate = _source(GRPOTrainer._generate)
    for name in ("completions/mean_length", "completions/max_length", "completions/clipped_ratio"):
        assert name in generate, name
    assert '"step_time"' in _source(GRPOTrainer.training_step)


def test_sampler_fields_the_trainer_sets_are_read_on_every_generation():
    # set_temperature / the length schedule / the evaluation set these; TRL must read them per call.
    from trl.generation.vllm_generation import VLLMGeneration

    vllm = _source(VLLMGeneration.generate)
    for read in ("temperature = self.temperature", "top_p = self.top_p", "max_completion_length = self.max_completion_length"):
        assert read in vllm, read
    single = _source(GRPOTrainer._generate_single_turn)
    assert "generation_config=self.generation_config" in single and "generation_kwargs=self.generation_kwargs" in single
    generate = _source(GRPOTrainer._generate)
    assert 'num_generations = self.num_generations if mode == "train" else self.num_generations_eval' in generate
    assert str(inspect.signature(GRPOTrainer.log)) == "(self, logs: dict[str, float], start_time: float | None = None) -> None"


def test_vllm_is_correction_is_on_by_default_in_trl_and_masks_whole_sequences():
    # Why MicroCoderGRPOConfig sets it off explicitly: not in the paper, and it drops long responses.
    from trl import GRPOConfig

    fields = GRPOConfig.__dataclass_fields__
    assert fields["vllm_importance_sampling_correction"].default is True
    assert fields["vllm_importance_sampling_mode"].default == "sequence_mask"
    score = _source(GRPOTrainer._generate_and_score_completions)
    assert 'output["importance_sampling_ratio"] = vllm_importance_sampling_ratio' in score
    assert "invalid_mis_mask, value=0.0" in score
    assert "num_items_in_batch = self.accelerator.gather(loss_mask.sum()).sum()" in score


def test_accelerate_mixed_precision_wrapper_is_what_set_temperature_restores():
    from accelerate import Accelerator

    prepare = _source(Accelerator.prepare_model)
    assert "model._original_forward = model.forward" in prepare
    assert "model.forward = MethodType(convert_outputs_to_fp32(model.forward.__func__), model)" in prepare
