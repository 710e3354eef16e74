"""`MicroCoderGRPOTrainer`: TRL's GRPOTrainer with MicroCoder-GRPO's changes and the paper's baselines.

Features and their flags (`MicroCoderGRPOConfig`):

* Rollout rounds (`rollout_prompts`, `num_generations`, `updates_per_rollout`): TRL gets a copy
  of the config with step counts in optimizer updates (`engine_args`); schedules, logging,
  evaluation and snapshots run per round.
* Truncation masking (`truncation_masking`, `ctm_*`): after TRL's group normalisation the
  chosen truncated responses get advantage 0 (conditional) or leave the loss, tokens and all
  (mask_all), decided on the batch gathered over all processes and keyed by (seed, round,
  prompt, response), then sliced per rank.
* Staged temperature and length (`temperature_schedule`, `max_completion_length_schedule`): at
  each generation boundary the sampler AND the fused log-prob head TRL 1.16 builds with the
  temperature baked in (reference-trainers §1.4) are updated, keeping accelerate's
  mixed-precision wrapper; diversity is logged every round.
* DAPO pieces (`dynamic_sampling`, `reward_funcs: [code, soft_overlong]`).
* LiveCodeBench evaluation with the rollout engine (`lcb_eval_*`) and model snapshots.
* Grading failures: every process checks after each reward gather and all stop together.

Overridden TRL hooks (signatures pinned by tests/test_train_trl_contract.py): `_generate`,
`_calculate_rewards`, `_generate_and_score_completions`, `log`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import MethodType
from typing import Any

import torch
from accelerate.utils import gather_object
from transformers import TrainerCallback
from trl import GRPOTrainer
from trl.trainer.utils import add_fused_lm_head

from mceval.types import Verdict
from mctrain.algo.answer import UNJUDGED
from mctrain.algo.dapo import informative_groups, pick_groups
from mctrain.algo.diversity import distinct_ngram_ratio, mean_group_diversity, windowed_distinct_ngram
from mctrain.algo.masking import DROPS_TOKENS, TruncationMask, decide_mask, is_non_incorrect, is_truncated
from mctrain.algo.repetition import is_repetitive
from mctrain.algo.schedule import LengthSchedule
from mctrain.algo.temperature import TemperatureSchedule
from mctrain.config import MicroCoderGRPOConfig
from mctrain.engine import check_loadable_saves, check_master_weights
from mctrain.metrics import MetricsJsonlCallback
from mctrain.reward import CodeReward, GradingFailed, completion_text, reward_of
from mctrain.rollout_batch import RolloutRows, concat_batches, endless_shuffle, is_correction_hits, select_rows

MASK_LOG_FILE = "mask_decisions.jsonl"
SNAPSHOT_DIR = "snapshots"
LAST_VALUE_METRICS = ("mc/temperature", "mc/max_completion_length")  # logged as set, never averaged over rounds
KNOWN_VERDICTS = (*(v.value for v in Verdict), UNJUDGED)


class MicroCoderGRPOTrainer(GRPOTrainer):
    """GRPOTrainer + truncation masking + staged schedules + DAPO pieces + LiveCodeBench evaluation.

    Args:
        model: the policy (a `PreTrainedModel` or a name TRL can load), float32 weights.
        reward: the code reward; its per-response verdicts define "non-incorrect".
        args: the run configuration, in rollout rounds.
        train_dataset: rows with `prompt` and `problem_index` (see `mctrain.data.prompt_dataset`).
        extra_rewards: reward functions after the code reward (`mctrain.reward_funcs`).
        eval_problems: LiveCodeBench problems for the evaluation (needs `lcb_eval_every`).
        log_mask_decisions: also write every response's mask decision to RUN_DIR/mask_decisions.jsonl.
        **kwargs: passed to `GRPOTrainer` (processing_class, callbacks, peft_config, ...).
    """

    def __init__(
        self,
        model: Any,
        reward: CodeReward,
        args: MicroCoderGRPOConfig,
        train_dataset: Any = None,
        *,
        extra_rewards: Sequence[Any] = (),
        eval_problems: Sequence[Any] = (),
        log_mask_decisions: bool = False,
        **kwargs: Any,
    ) -> None:
        if not isinstance(args, MicroCoderGRPOConfig):
            raise TypeError(f"args must be a MicroCoderGRPOConfig, got {type(args).__name__}")
        if not isinstance(reward, CodeReward):
            raise TypeError(f"reward must be a CodeReward (its verdicts drive the masking), got {type(reward).__name__}")
        reward.defer_errors = True  # every process learns of a failure at the next collective (_calculate_rewards)
        super().__init__(
            model=model, reward_funcs=[reward, *extra_rewards], args=args.engine_args(), train_dataset=train_dataset,
            **kwargs,
        )
        check_master_weights(self.model, self.accelerator)
        check_loadable_saves(self.accelerator)
        self.code_reward = reward
        reward.stop_ids = {*self.eos_token_ids, self._tokenizer.pad_token_id}
        self.updates_per_rollout = args.updates_per_rollout
        self.temperature_schedule = TemperatureSchedule.parse(args.temperature_schedule or args.temperature)
        self.length_schedule = LengthSchedule.parse(args.max_completion_length_schedule or args.max_completion_length)
        self.metrics_callback = MetricsJsonlCallback(args.output_dir, args.updates_per_rollout)
        self.add_callback(self.metrics_callback)
        self.lcb_eval = None
        if args.lcb_eval_every:
            from mctrain.lcb_eval import LiveCodeBenchEval

            if not eval_problems:
                raise ValueError("lcb_eval_every is set but no LiveCodeBench problems were given (eval_problems)")
            self.lcb_eval = LiveCodeBenchEval(
                self, eval_problems, lengths=args.lcb_eval_max_tokens or [args.max_completion_length], n=args.lcb_eval_n,
                temperature=args.lcb_eval_temperature, top_p=args.lcb_eval_top_p, run_dir=args.output_dir,
            )
        self.add_callback(_RoundHooks(self))
        self.log_mask_decisions = log_mask_decisions
        self.last_mask: TruncationMask | None = None
        self.last_mask_keys: dict[str, Any] = {}
        self._batch_inputs: list[dict] | None = None
        self._times = {"generation": 0.0, "reward": 0.0, "grading": 0.0}
        self._completion_ids: list[list[int]] = []
        self._completions: list[Any] = []
        self._extra_prompts: Iterator[int] | None = None

    @property
    def rollout(self) -> int:
        """Completed rollout rounds."""
        return self.state.global_step // self.updates_per_rollout

    # ------------------------------------------------------------------ sampler, temperature, length
    def _set_sampler(self, **values: Any) -> dict[str, Any]:
        """Set temperature / top_p / max_tokens of whichever sampler runs; returns the previous values."""
        previous = {}
        for name, value in values.items():
            if self.use_vllm:
                attr = {"max_tokens": "max_completion_length"}.get(name, name)
                previous[name] = getattr(self.vllm_generation, attr)
                setattr(self.vllm_generation, attr, value)  # read on every generate call
            else:
                attr = {"max_tokens": "max_new_tokens"}.get(name, name)
                previous[name] = getattr(self.generation_config, attr)
                setattr(self.generation_config, attr, value)
                self.generation_kwargs[attr] = value  # overrides model.generation_config at generate
        return previous

    @contextlib.contextmanager
    def evaluation_sampling(self, temperature: float, top_p: float, max_tokens: int, n: int):
        """Sample with the evaluation's settings (sampler only; the log-prob head is untouched), then restore."""
        previous = self._set_sampler(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
        saved_n, saved_length, training = self.num_generations_eval, self.max_completion_length, self.model.training
        self.num_generations_eval, self.max_completion_length = n, max_tokens
        self.model.eval()
        try:
            yield
        finally:
            self.model.train(training)
            self.num_generations_eval, self.max_completion_length = saved_n, saved_length
            self._set_sampler(**previous)
            self._metrics["eval"].clear()  # TRL's eval-mode length metrics of these samples are not training metrics

    def set_max_completion_length(self, tokens: int) -> None:
        """Generate up to `tokens` from now on (the length schedule; rewards that use L_max follow)."""
        tokens = int(tokens)
        if tokens == self.max_completion_length:
            return
        self.max_completion_length = tokens
        self._set_sampler(max_tokens=tokens)
        for func in self.reward_funcs:
            if hasattr(func, "max_completion_length"):
                func.max_completion_length = tokens

    def set_temperature(self, temperature: float) -> None:
        """Sample AND score at `temperature` from now on.

        TRL 1.16 divides the logits by the temperature inside a fused LM head patched onto the
        model at init; changing only the sampler would leave the loss's log-probs at the old
        temperature. So the head is re-patched with the new value on the model's own forward,
        and accelerate's mixed-precision wrapper, when there was one, is put back around it.
        """
        temperature = float(temperature)
        if temperature == self.temperature:
            return
        self.temperature = temperature
        self._set_sampler(temperature=temperature)
        for model, outputs in ((self.model, ("log_probs", "entropy")), (self.ref_model, ("log_probs",))):
            if model is not None:
                self._repatch_log_prob_head(model, outputs)

    def _repatch_log_prob_head(self, model: Any, outputs: tuple[str, ...]) -> None:
        base = self.accelerator.unwrap_model(model)
        if hasattr(base, "get_base_model"):  # PEFT: the head was patched on the base model
            base = base.get_base_model()
        wrapped = base.__dict__.pop("_original_forward", None) is not None
        base.__dict__.pop("forward", None)
        add_fused_lm_head(base, temperature=self.temperature, cast_lm_head_to_fp32=self.args.cast_lm_head_to_fp32, outputs=outputs)
        if wrapped and self.accelerator.native_amp:
            from accelerate.utils import convert_outputs_to_fp32
            from accelerate.utils.modeling import get_mixed_precision_context_manager

            autocast = get_mixed_precision_context_manager(self.accelerator.native_amp, self.accelerator.autocast_handler)
            base._original_forward = base.forward
            base.forward = MethodType(convert_outputs_to_fp32(autocast(base.forward.__func__)), base)

    # ------------------------------------------------------------------ TRL hooks
    def _generate_and_score_completions(self, inputs):
        if not self.model.training:
            return super()._generate_and_score_completions(inputs)
        # Only here, at a generation boundary: buffered rollouts are always scored at the T they were sampled at.
        self.set_temperature(self.temperature_schedule.at(self.rollout))
        self.set_max_completion_length(self.length_schedule.at(self.rollout))
        self._times = {"generation": 0.0, "reward": 0.0, "grading": 0.0}  # summed over dynamic sampling's rounds
        output, rows = self._score(inputs)
        if self.args.dynamic_sampling:
            output, rows = self._keep_informative(output, rows)
        self._mask_and_log(output, rows)
        return output

    def _score(self, inputs: list[dict]) -> tuple[dict, RolloutRows]:
        """TRL's generate-and-score of one batch, plus this process's per-response facts."""
        self._batch_inputs = inputs
        try:
            output = super()._generate_and_score_completions(inputs)
        finally:
            self._batch_inputs = None
        return output, self._rows(inputs)

    def _rows(self, inputs: list[dict]) -> RolloutRows:
        """This process's per-response facts of the batch just scored."""
        return RolloutRows(
            [int(x["problem_index"]) for x in inputs], [list(map(int, ids)) for ids in self._completion_ids],
            [completion_text(c) for c in self._completions], list(self.code_reward.last_verdicts),
            [reward_of(r, self.code_reward.mode) for r in self.code_reward.last_results],
        )

    def _generate(self, prompts):
        start = time.perf_counter()
        result = super()._generate(prompts)
        self._times["generation"] += time.perf_counter() - start
        completion_ids, completions = result[1], result[3]
        self._completion_ids, self._completions = completion_ids, completions
        inputs = self._batch_inputs
        if inputs is not None and len(inputs) == len(completions) and "problem_index" in inputs[0]:
            # Start grading now: it runs in the grader's processes while TRL computes old log-probs.
            stop = self.code_reward.stop_ids
            truncated = [is_truncated(ids, stop) for ids in completion_ids]
            self.code_reward.submit([x["problem_index"] for x in inputs], completions, truncated)
        return result

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        start = time.perf_counter()
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._times["reward"] += time.perf_counter() - start
        self._times["grading"] += self.code_reward.timings.grade_s
        # The gather above reached every process, failed or not: now they all stop together, or none does.
        errors = gather_object([self.code_reward.error])
        failed = [f"process {rank}: {error}" for rank, error in enumerate(errors) if error]
        if failed:
            raise GradingFailed(f"grading failed, stopping every process ({'; '.join(failed)})")
        return rewards_per_func

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        metrics = self._metrics["train"]
        for key in LAST_VALUE_METRICS:  # the value in force at the logged round, not a mean across stages
            if metrics.get(key):
                metrics[key] = metrics[key][-1:]
        super().log(logs, start_time)

    # ------------------------------------------------------------------ dynamic sampling (DAPO)
    def _next_prompts(self) -> list[dict]:
        """This process's share of `rollout_prompts` more prompts, G copies each (same draw on every process)."""
        if self._extra_prompts is None:
            self._extra_prompts = endless_shuffle(len(self.train_dataset), self.args.seed + 7919)
        total, world = self.args.rollout_prompts, self.accelerator.num_processes
        drawn = [next(self._extra_prompts) for _ in range(total)]
        mine = drawn[self.accelerator.process_index * total // world : (self.accelerator.process_index + 1) * total // world]
        return [self.train_dataset[i] for i in mine for _ in range(self.num_generations)]

    def _keep_informative(self, output: dict, rows: RolloutRows) -> tuple[dict, RolloutRows]:
        """Sample more prompt groups until every process has its share of groups with mixed scores."""
        group = self.num_generations
        needed = len(rows.scores) // group
        parts = [(output, rows)]
        informative = [informative_groups(rows.scores, group)]
        while len(parts) < self.args.dynamic_sampling_max_rounds:
            short = max(0, needed - sum(map(sum, informative)))
            if not self._any_process(short > 0):
                break
            part = self._score(self._next_prompts())
            parts.append(part)
            informative.append(informative_groups(part[1].scores, group))
        picked, filler = pick_groups(informative, needed)
        outputs, kept = [], RolloutRows()
        for index, (part_output, part_rows) in enumerate(parts):
            members = [g * group + k for r, g in picked if r == index for k in range(group)]
            if members:
                outputs.append(select_rows(part_output, members))
                kept.extend(part_rows.take(members))
        merged = concat_batches(outputs, self._tokenizer.pad_token_id)
        metrics = self._metrics["train"]
        sampled = sum(len(x) for x in informative)
        metrics["mc/ds/rounds"].append(float(len(parts)))
        metrics["mc/ds/informative_fraction"].append(self._global_mean(sum(map(sum, informative)), sampled))
        metrics["mc/ds/filler_groups"].append(self._global_mean(filler, 1) * self.accelerator.num_processes)
        return merged, kept

    def _any_process(self, flag: bool) -> bool:
        return bool(self.accelerator.gather(torch.tensor([int(flag)], device=self.accelerator.device)).sum().item())

    def _global_mean(self, total: float, count: float) -> float:
        both = self.accelerator.gather(torch.tensor([float(total), float(count)], device=self.accelerator.device))
        both = both.view(-1, 2).sum(dim=0)
        return float(both[0] / both[1]) if both[1] > 0 else 0.0

    # ------------------------------------------------------------------ masking + metrics
    def _mask_and_log(self, output: dict, rows: RolloutRows) -> None:
        mask, verdicts, prompt_indices = self._decide_mask(rows)
        n_local = len(rows.problem_index)
        start = self.accelerator.process_index * n_local
        local_mask = torch.as_tensor(mask.masked[start : start + n_local], device=output["advantages"].device)
        advantages = output["advantages"]
        output["advantages"] = advantages.masked_fill(local_mask.view((-1,) + (1,) * (advantages.dim() - 1)), 0.0)
        if self.args.truncation_masking in DROPS_TOKENS:  # DeepCoder overlong filtering: out of the loss entirely
            output["completion_mask"] = output["completion_mask"] * (~local_mask).unsqueeze(1).to(output["completion_mask"].dtype)
        if self.args.truncation_masking in DROPS_TOKENS or self.args.dynamic_sampling:
            output["num_items_in_batch"] = self.accelerator.gather(output["completion_mask"].sum()).sum()
        self._log_round(output, rows, mask, verdicts)
        if self.log_mask_decisions and self.accelerator.is_main_process:
            self._write_mask_decisions(mask, self.rollout, prompt_indices, verdicts)

    def _decide_mask(self, rows: RolloutRows) -> tuple[TruncationMask, list[str], list[int]]:
        """The mask on the batch gathered over every process (same decision whatever the process count)."""
        args: MicroCoderGRPOConfig = self.args
        stop = self.code_reward.stop_ids
        local = []
        for ids, index in zip(rows.completion_ids, rows.problem_index):
            truncated = is_truncated(ids, stop)  # the loop test only matters for truncated responses
            local.append([truncated, truncated and is_repetitive(ids, args.ctm_window_m, args.ctm_repeat_rule), index, len(ids)])
        gathered = self.accelerator.gather(torch.tensor(local, dtype=torch.long, device=self.accelerator.device)).cpu()
        verdicts = gather_object(list(rows.verdicts))
        prompt_indices = gathered[:, 2].tolist()
        self.last_lengths = gathered[:, 3].tolist()
        mask = decide_mask(
            gathered[:, 0].bool().numpy(),
            [is_non_incorrect(v, args.ctm_non_incorrect) for v in verdicts],
            gathered[:, 1].bool().numpy(),
            mode=args.truncation_masking,
            rho=args.ctm_rho,
            seed=args.seed,
            step=self.rollout,
            prompt_indices=prompt_indices,
            group_size=self.num_generations,
        )
        self.last_mask = mask
        self.last_mask_keys = {"step": self.rollout, "prompt_indices": prompt_indices, "verdicts": list(verdicts)}
        return mask, verdicts, prompt_indices

    def _log_round(self, output: dict, rows: RolloutRows, mask: TruncationMask, verdicts: list[str]) -> None:
        metrics = self._metrics["train"]
        texts = gather_object(list(rows.texts))
        group = self.num_generations
        metrics["mc/masked_fraction"].append(mask.masked_fraction)
        metrics["mc/eligible_fraction"].append(float(mask.eligible.mean()) if mask.eligible.size else 0.0)
        metrics["mc/masked_of_eligible"].append(float("nan") if mask.masked_of_eligible is None else mask.masked_of_eligible)
        truncated = int(mask.truncated.sum())
        metrics["mc/repetitive_of_truncated"].append(float(mask.repetitive.sum()) / truncated if truncated else float("nan"))
        counts = Counter(verdicts)
        for verdict in sorted(set(KNOWN_VERDICTS) | set(counts)):
            metrics[f"mc/verdict/{verdict}"].append(float(counts.get(verdict, 0)))
        metrics["mc/pass_rate"].append(counts.get("AC", 0) / max(1, len(verdicts)))
        metrics["mc/temperature"].append(self.temperature)
        metrics["mc/max_completion_length"].append(float(self.max_completion_length))
        metrics["mc/diversity"].append(mean_group_diversity(texts, group, self.args.diversity_metric))
        groups = [texts[i : i + group] for i in range(0, len(texts), group)]
        metrics["mc/diversity/distinct4"].append(sum(map(distinct_ngram_ratio, groups)) / len(groups))
        metrics["mc/diversity/windowed"].append(sum(map(windowed_distinct_ngram, groups)) / len(groups))
        for name, seconds in self._times.items():
            metrics[f"mc/{name}_time_s"].append(seconds)
        if self.use_vllm and self.vllm_importance_sampling_correction and "importance_sampling_ratio" in output:
            metrics["mc/is_masked_fraction"].append(self._is_masked_fraction(output))

    def _is_masked_fraction(self, output: dict) -> float:
        """Share of responses (sequence modes) or tokens (token modes) TRL's IS correction zeroed or clipped."""
        hit, valid = is_correction_hits(
            output["importance_sampling_ratio"], output["completion_mask"], self.vllm_importance_sampling_mode,
            self.vllm_importance_sampling_clip_min, self.vllm_importance_sampling_clip_max,
        )
        return self._global_mean(hit, valid)

    def _write_mask_decisions(self, mask: TruncationMask, step: int, prompt_indices: list[int], verdicts: list[str]):
        path = Path(self.args.output_dir) / MASK_LOG_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        group = self.num_generations
        with open(path, "a", encoding="utf-8") as f:
            for i, prompt_index in enumerate(prompt_indices):
                row = {
                    "step": step + 1,  # the round's `step` in metrics.jsonl
                    "prompt_index": prompt_index, "response_index": i % group, "verdict": verdicts[i],
                    "truncated": bool(mask.truncated[i]), "non_incorrect": bool(mask.non_incorrect[i]),
                    "repetitive": bool(mask.repetitive[i]), "eligible": bool(mask.eligible[i]),
                    "uniform": None if mask.uniform[i] != mask.uniform[i] else float(mask.uniform[i]),
                    "masked": bool(mask.masked[i]), "num_tokens": int(self.last_lengths[i]),
                }
                f.write(json.dumps(row) + "\n")

    # ------------------------------------------------------------------ per-round work outside the update
    def evaluate_lcb(self) -> None:
        """LiveCodeBench at the current round (every process); the numbers join that round's metrics row."""
        values = self.lcb_eval.run(self.rollout)
        if not self.accelerator.is_main_process:
            return
        if self.rollout == 0:
            self.metrics_callback.write_row({"step": 0, "optimizer_step": 0, **values})
        else:
            self.metrics_callback.add_extra(self.rollout, values)

    def save_snapshot(self) -> Path:
        """A loadable model (+ tokenizer) at RUN_DIR/snapshots/rollout-N; every process must call this."""
        directory = Path(self.args.output_dir) / SNAPSHOT_DIR / f"rollout-{self.rollout:06d}"
        self.save_model(str(directory))
        if self.accelerator.is_main_process:
            self.processing_class.save_pretrained(str(directory))
        return directory


class _RoundHooks(TrainerCallback):
    """Evaluation and snapshots at rollout boundaries, run on every process (both use collectives)."""

    def __init__(self, trainer: MicroCoderGRPOTrainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, args, state, control, **kwargs):
        trainer = self.trainer
        if trainer.lcb_eval is not None and args.lcb_eval_on_start and state.global_step == 0:
            trainer.evaluate_lcb()

    def on_step_end(self, args, state, control, **kwargs):
        trainer = self.trainer
        if state.global_step % trainer.updates_per_rollout:
            return  # inside a round
        rollout = trainer.rollout
        every = args.lcb_eval_every
        if trainer.lcb_eval is not None and (rollout % every == 0 or state.global_step >= state.max_steps):
            trainer.evaluate_lcb()
        if args.snapshot_steps and rollout % args.snapshot_steps == 0:
            trainer.save_snapshot()
