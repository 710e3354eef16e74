"""`MicroCoderGRPOTrainer`: TRL's GRPOTrainer with MicroCoder-GRPO's three changes.

Features and their flags (`MicroCoderGRPOConfig`):

* Conditional truncation masking (`truncation_masking`, `ctm_rho`, `ctm_window_m`,
  `ctm_non_incorrect`): after TRL's group normalisation, the advantages of the chosen
  truncated responses are zeroed (`mctrain.algo.masking`), decided on the batch gathered
  over all processes and keyed by (seed, step, prompt, response), then sliced per rank.
* Diversity-determined temperature (`temperature_schedule`, `diversity_metric`): at each
  generation boundary the schedule's temperature is applied to the sampler AND to the fused
  log-prob head TRL 1.16 builds at init with the temperature baked in (reference-trainers
  §1.4); the per-group diversity of every generation batch is logged.
* No KL + clip-high: configuration only (β=0, ε/ε_high, several updates per generation
  batch); TRL's loss does the asymmetric clip and logs the clip fractions.

Every run writes RUN_DIR/metrics.jsonl (`mctrain.metrics`). The reward is
`mctrain.reward.CodeReward`: grading is submitted as soon as generation
returns, so it overlaps the old-log-prob forward pass. Overridden TRL hooks (signatures pinned
by tests/test_train_trl_contract.py): `_generate`, `_calculate_rewards`,
`_generate_and_score_completions`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from accelerate.utils import gather_object
from trl import GRPOTrainer
from trl.trainer.utils import add_fused_lm_head

from mctrain.algo.diversity import mean_group_diversity
from mctrain.algo.masking import TruncationMask, decide_mask, is_non_incorrect, is_truncated
from mctrain.algo.repetition import is_repetitive
from mctrain.algo.temperature import TemperatureSchedule
from mctrain.config import MicroCoderGRPOConfig
from mctrain.metrics import MetricsJsonlCallback
from mctrain.reward import CodeReward, completion_text

MASK_LOG_FILE = "mask_decisions.jsonl"


class MicroCoderGRPOTrainer(GRPOTrainer):
    """GRPOTrainer + conditional truncation masking + temperature schedule + MicroCoder metrics.

    Args:
        model: the policy (a `PreTrainedModel` or a name TRL can load).
        reward: the code reward; its per-response verdicts define "non-incorrect".
        args: the run configuration.
        train_dataset: rows with `prompt` and `problem_index` (see `mctrain.data.prompt_dataset`).
        log_mask_decisions: also write every response's mask decision to RUN_DIR/mask_decisions.jsonl.
        **kwargs: passed to `GRPOTrainer` (processing_class, callbacks, eval_dataset, peft_config, ...).
    """

    def __init__(
        self,
        model: Any,
        reward: CodeReward,
        args: MicroCoderGRPOConfig,
        train_dataset: Any = None,
        *,
        log_mask_decisions: bool = False,
        **kwargs: Any,
    ) -> None:
        if not isinstance(args, MicroCoderGRPOConfig):
            raise TypeError(f"args must be a MicroCoderGRPOConfig, got {type(args).__name__}")
        if not isinstance(reward, CodeReward):
            raise TypeError(f"reward must be a CodeReward (its verdicts drive the masking), got {type(reward).__name__}")
        super().__init__(model=model, reward_funcs=[reward], args=args, train_dataset=train_dataset, **kwargs)
        self.metrics_callback = MetricsJsonlCallback(args.output_dir)  # RUN_DIR/metrics.jsonl, one row per step
        self.add_callback(self.metrics_callback)
        self.code_reward = reward
        self.temperature_schedule = TemperatureSchedule.parse(args.temperature_schedule or args.temperature)
        self.log_mask_decisions = log_mask_decisions
        self.last_mask: TruncationMask | None = None
        self.last_mask_keys: dict[str, Any] = {}
        self._batch_inputs: list[dict] | None = None
        self._generation_time = 0.0
        self._reward_time = 0.0
        self._grading_time = 0.0
        self._verdicts: list[str] = []
        self._completion_ids: list[list[int]] = []
        self._completions: list[Any] = []

    # ------------------------------------------------------------------ temperature
    def set_temperature(self, temperature: float) -> None:
        """Sample AND score at `temperature` from now on.

        TRL 1.16 divides the logits by the temperature inside a fused LM head patched onto the
        model at init; changing only the sampler would leave the loss's log-probs at the old
        temperature. So the head is re-patched with the new value (instance forward dropped
        first, so the patch wraps the model's original forward, not the old patch).
        """
        temperature = float(temperature)
        if temperature == self.temperature:
            return
        self.temperature = temperature
        if self.use_vllm:
            self.vllm_generation.temperature = temperature  # read on every generate call
        else:
            self.generation_config.temperature = temperature
            self.generation_kwargs["temperature"] = temperature  # overrides model.generation_config at generate
        for model, outputs in ((self.model, ("log_probs", "entropy")), (self.ref_model, ("log_probs",))):
            if model is None:
                continue
            base = self.accelerator.unwrap_model(model)
            if hasattr(base, "get_base_model"):  # PEFT: the head was patched on the base model
                base = base.get_base_model()
            base.__dict__.pop("forward", None)
            add_fused_lm_head(
                base, temperature=temperature, cast_lm_head_to_fp32=self.args.cast_lm_head_to_fp32, outputs=outputs
            )

    # ------------------------------------------------------------------ TRL hooks
    def _generate_and_score_completions(self, inputs):
        training = self.model.training
        if training:
            # Only here, at a generation boundary: buffered rollouts are always scored at the T they were sampled at.
            self.set_temperature(self.temperature_schedule.at(self.state.global_step))
        self._batch_inputs = inputs
        self._generation_time = self._reward_time = self._grading_time = 0.0
        try:
            output = super()._generate_and_score_completions(inputs)
        finally:
            self._batch_inputs = None
        if training:
            self._mask_and_log(output, inputs)
        return output

    def _generate(self, prompts):
        start = time.perf_counter()
        result = super()._generate(prompts)
        self._generation_time = time.perf_counter() - start
        completion_ids, completions = result[1], result[3]
        self._completion_ids = completion_ids
        self._completions = completions
        inputs = self._batch_inputs
        if inputs is not None and len(inputs) == len(completions) and "problem_index" in inputs[0]:
            # Start grading now: it runs in the grader's processes while TRL computes old log-probs.
            self.code_reward.submit([x["problem_index"] for x in inputs], completions)
        return result

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        start = time.perf_counter()
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._reward_time = time.perf_counter() - start
        self._grading_time = self.code_reward.timings.grade_s
        self._verdicts = gather_object([r.verdict.value for r in self.code_reward.last_results])
        return rewards_per_func

    # ------------------------------------------------------------------ masking + metrics
    def _mask_and_log(self, output: dict, inputs: list[dict]) -> None:
        args: MicroCoderGRPOConfig = self.args
        device = self.accelerator.device
        stop_ids = [*self.eos_token_ids, self._tokenizer.pad_token_id]
        local_ids = self._completion_ids
        local = torch.tensor(
            [
                [is_truncated(ids, stop_ids), is_repetitive(ids, args.ctm_window_m), int(x["problem_index"])]
                for ids, x in zip(local_ids, inputs)
            ],
            dtype=torch.long,
            device=device,
        )
        gathered = self.accelerator.gather(local).cpu()
        verdicts = self._verdicts
        step = self.state.global_step
        mask = decide_mask(
            gathered[:, 0].bool().numpy(),
            [is_non_incorrect(v, args.ctm_non_incorrect) for v in verdicts],
            gathered[:, 1].bool().numpy(),
            mode=args.truncation_masking,
            rho=args.ctm_rho,
            seed=args.seed,
            step=step,
            prompt_indices=gathered[:, 2].tolist(),
            group_size=self.num_generations,
        )
        self.last_mask = mask
        self.last_mask_keys = {"step": step, "prompt_indices": gathered[:, 2].tolist(), "verdicts": list(verdicts)}

        # Apply to this rank's slice: masked responses keep their tokens (and their place in the
        # group statistics already computed), only their advantage becomes 0.
        n_local = len(local_ids)
        start = self.accelerator.process_index * n_local
        local_mask = torch.as_tensor(mask.masked[start : start + n_local], device=output["advantages"].device)
        advantages = output["advantages"]
        shape = (-1,) + (1,) * (advantages.dim() - 1)
        output["advantages"] = advantages.masked_fill(local_mask.view(shape), 0.0)

        texts = gather_object([completion_text(c) for c in self._completions])
        metrics = self._metrics["train"]
        metrics["mc/masked_fraction"].append(mask.masked_fraction)
        metrics["mc/temperature"].append(self.temperature)
        metrics["mc/diversity"].append(mean_group_diversity(texts, self.num_generations, args.diversity_metric))
        metrics["mc/pass_rate"].append(sum(v == "AC" for v in verdicts) / max(1, len(verdicts)))
        metrics["mc/generation_time_s"].append(self._generation_time)
        metrics["mc/reward_time_s"].append(self._reward_time)
        metrics["mc/grading_time_s"].append(self._grading_time)
        if self.log_mask_decisions and self.accelerator.is_main_process:
            self._write_mask_decisions(mask, step, gathered[:, 2].tolist(), verdicts)

    def _write_mask_decisions(self, mask: TruncationMask, step: int, prompt_indices: list[int], verdicts: list[str]):
        path = Path(self.args.output_dir) / MASK_LOG_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        group = self.num_generations
        with open(path, "a", encoding="utf-8") as f:
            for i, prompt_index in enumerate(prompt_indices):
                f.write(
                    json.dumps(
                        {
                            "step": step,
                            "prompt_index": prompt_index,
                            "response_index": i % group,
                            "verdict": verdicts[i],
                            "truncated": bool(mask.truncated[i]),
                            "non_incorrect": bool(mask.non_incorrect[i]),
                            "repetitive": bool(mask.repetitive[i]),
                            "uniform": None if mask.uniform[i] != mask.uniform[i] else float(mask.uniform[i]),
                            "masked": bool(mask.masked[i]),
                        }
                    )
                    + "\n"
                )
