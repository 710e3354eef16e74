"""`MicroCoderGRPOConfig`: TRL's GRPOConfig plus the MicroCoder-GRPO switches, flat and documented.

One dataclass is the API, the YAML recipe and the CLI overrides (TRL style). The defaults are
the paper's setting (reference-paper.md §1): conditional truncation masking with ρ=0.1 and
m=128, training temperature 1.2, no KL (β=0, so no reference model is loaded) and an
asymmetric clip 0.2 / 0.28 with several optimizer updates per rollout, so the importance
ratio actually moves away from 1 and the clip can act. The GRPO, DAPO and overlong-filtering
baselines are recipes (recipes/*.yaml).

A step is a rollout round. ``max_steps``, ``logging_steps``, ``save_steps``,
``snapshot_steps``, ``warmup_steps`` (when >= 1), ``lcb_eval_every`` and every schedule count
rollout rounds, and metrics.jsonl has one row per round, on any number of processes. A round
is ``rollout_prompts`` prompts x ``num_generations`` responses, trained with
``updates_per_rollout`` optimizer updates (mini-batches); `mctrain.layout.RolloutLayout`
derives TRL's gradient accumulation from these, the process count and the micro-batch, or
refuses a layout that cannot honour them. The trainer hands TRL a copy with the step counts in
optimizer updates (`engine_args`).

> Parameters added by MicroCoder (everything else is `trl.GRPOConfig`)

- Data and model: `model_name_or_path`, `dataset`, `dataset_split`, `max_train_problems`.
- Rollout: `rollout_prompts` (R), `num_generations` (G), `updates_per_rollout` (U).
- Truncation masking: `truncation_masking` none | mask_all | conditional, `ctm_rho` (ρ),
  `ctm_window_m` (m), `ctm_repeat_rule` any_period | literal, `ctm_non_incorrect`.
- Staged schedules: `temperature_schedule`, `max_completion_length_schedule`;
  `diversity_metric` (the logged ``diversity``).
- Rewards and DAPO: `reward_funcs` (``code`` first, then ``soft_overlong`` or ``module:function``),
  `overlong_buffer_length`, `overlong_penalty_factor`, `dynamic_sampling`, `dynamic_sampling_max_rounds`.
- Grading: `reward_mode`, `extract_mode`, `grader` (here, a Ray cluster or a grading service),
  `grade_*` (limits, workers per process, retries, wait bound).
- LiveCodeBench evaluation during training: `lcb_eval_*`.
- Checkpoints: `snapshot_steps` (model-only snapshots kept for the learning curve).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trl import GRPOConfig

from mceval.pool import parse_spec
from mcgen.prompt_styles import PROMPT_STYLES
from mcgen.tiny_model import TINY_MODEL_NAME as TINY_MODEL
from mctrain.algo.diversity import DIVERSITY_METRICS
from mctrain.algo.masking import NON_INCORRECT_MODES, TRUNCATION_MASKING_MODES
from mctrain.algo.repetition import REPEAT_RULES
from mctrain.algo.schedule import LengthSchedule
from mctrain.layout import RolloutLayout


def load_yaml(text: str) -> Any:
    """Parse recipe YAML with YAML 1.2 booleans: only true/false are bools.

    PyYAML follows YAML 1.1, where `no`, `off`, `yes`, `on` are booleans too, which turns
    TRL's `save_strategy: no` into False and fails validation.
    """
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _Loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    return yaml.load(text, Loader=_Loader)


def _has_accelerator() -> bool:
    """True when torch sees a GPU (CUDA/ROCm, XPU, MPS, ...)."""
    import torch

    accelerator = getattr(torch, "accelerator", None)
    if accelerator is not None:
        return bool(accelerator.is_available())
    return bool(torch.cuda.is_available())


# TrainingArguments of an offline CPU smoke run (tests, benchmarks/bench_train.py): no GPU, no mixed
# precision, no activation recompute, no reporting, no checkpoints, no tqdm. Valid for plain GRPOConfig too.
CPU_SMOKE_ARGS: dict[str, Any] = {
    "use_cpu": True,
    "bf16": False,
    "activation_checkpointing": False,
    "report_to": "none",
    "save_strategy": "no",
    "disable_tqdm": True,
}

REWARD_MODES = ("binary", "fraction")
EXTRACT_MODES = ("robust", "lcb")
BUILTIN_REWARDS = ("code", "soft_overlong")
PAPER_MODEL = "Qwen/Qwen3-4B-Instruct-2507"
# Fields counted in rollout rounds here and in optimizer updates by TRL / transformers.
ROLLOUT_COUNTED_FIELDS = ("max_steps", "logging_steps", "save_steps", "eval_steps", "warmup_steps")


@dataclass
class MicroCoderGRPOConfig(GRPOConfig):
    """Configuration of a MicroCoder-GRPO run; see the module docstring for the added fields."""

    # ---- data and model
    model_name_or_path: str = field(
        default=PAPER_MODEL,
        metadata={"help": "Policy to train: a Hub id, a local directory, or `tiny-random` (offline smoke runs)."},
    )
    dataset: str | None = field(
        default=None,
        metadata={"help": "Training problems: a `microcoder build-dataset` output directory or a Hub dataset id."},
    )
    dataset_split: str = field(default="train", metadata={"help": "Split of `dataset` to train on."})
    max_train_problems: int | None = field(
        default=None, metadata={"help": "Keep only the first N problems (smoke runs); None keeps all."}
    )

    # ---- the rollout round (paper: train_batch_size 64, G not published, mini-batches not published)
    rollout_prompts: int | None = field(
        default=None,
        metadata={
            "help": "Prompts per rollout round (verl's train_batch_size; paper: 64). None: derived TRL-style from "
            "per_device_train_batch_size x processes x gradient_accumulation_steps x updates_per_rollout / G, "
            "which changes with the process count."
        },
    )
    updates_per_rollout: int = field(
        default=4,
        metadata={
            "help": "Optimizer updates (mini-batches) per rollout round (train_batch_size / ppo_mini_batch_size). "
            "Above 1 the importance ratio differs from 1, so the clip acts."
        },
    )

    # ---- conditional truncation masking (paper §1.2)
    truncation_masking: str = field(
        default="conditional",
        metadata={"help": "none (GRPO/DAPO) | mask_all (DeepCoder overlong filtering) | conditional (MicroCoder)."},
    )
    ctm_rho: float = field(default=0.1, metadata={"help": "ρ: probability an eligible truncated response is masked."})
    ctm_window_m: int = field(default=128, metadata={"help": "m: the longest loop period the repetition test looks for."})
    ctm_repeat_rule: str = field(
        default="any_period",
        metadata={"help": "any_period (last 2m tokens repeat with a period <= m) | literal (last m == previous m)."},
    )
    ctm_non_incorrect: str = field(
        default="correct_or_unjudged",
        metadata={"help": "Which truncated responses may be masked: correct | correct_or_unjudged (answer unfinished)."},
    )

    # ---- staged schedules and diversity (paper §1.3, §5.2)
    temperature_schedule: str | None = field(
        default=None,
        metadata={"help": "Staged temperature 'T@ROLLOUT,...' e.g. '0.6@0,1.2@140'; None keeps `temperature`."},
    )
    max_completion_length_schedule: str | None = field(
        default=None,
        metadata={"help": "Staged L_max 'TOKENS@ROLLOUT,...' e.g. '4096@0,8192@260'; None keeps max_completion_length."},
    )
    prompt_style: str = field(
        default="generic",
        metadata={"help": "Training prompt: LiveCodeBench's `generic` chat prompt (what eval --bench uses by default), "
                  "another `mcgen.prompt_styles` style, or `plain` (ours: the I/O format stated plainly, for small models)."},
    )
    diversity_metric: str = field(
        default="windowed_distinct",
        metadata={"help": "The logged `diversity`: windowed_distinct (length-robust) | distinct_ngram | edit_distance."},
    )

    # ---- rewards, DAPO pieces
    reward_funcs: list[str] = field(
        default_factory=lambda: ["code"],
        metadata={
            "help": "Reward functions, summed with `reward_weights`: `code` (the grader; always first), "
            "`soft_overlong` (DAPO's length penalty), or `package.module:function` (TRL's reward signature)."
        },
    )
    overlong_buffer_length: int = field(default=1024, metadata={"help": "L_cache of `soft_overlong`, in tokens."})
    overlong_penalty_factor: float = field(default=1.0, metadata={"help": "Penalty at L_max of `soft_overlong`."})
    dynamic_sampling: bool = field(
        default=False,
        metadata={"help": "DAPO dynamic sampling: sample more prompts until every group in the rollout has mixed scores."},
    )
    dynamic_sampling_max_rounds: int = field(
        default=10, metadata={"help": "Sampling rounds per rollout before uninformative groups fill the rest."}
    )

    # ---- grading
    reward_mode: str = field(default="binary", metadata={"help": "binary (1 iff all tests pass) | fraction of tests passed."})
    extract_mode: str = field(default="robust", metadata={"help": "Code extraction: robust | lcb."})
    grade_timeout_s: float | None = field(default=None, metadata={"help": "Per-test time limit; None: the problem's."})
    grade_memory_mb: int = field(default=1024, metadata={"help": "Memory limit of each graded program."})
    grade_workers: int | None = field(
        default=None, metadata={"help": "Sandboxes per training process; None: usable cores / processes on this node."}
    )
    grade_comparison: str = field(default="microcoder", metadata={"help": "Output comparison: microcoder | lcb."})
    grader: str = field(
        default="local",
        metadata={"help": "Where rewards are graded: local (this node's sandboxes) | ray | ray://ADDRESS (one grader "
                          "per Ray node, each node's cores split between the training processes) | http://HOST:PORT "
                          "(a `microcoder eval serve` service on CPU nodes)."},
    )
    grade_retries: int = field(default=2, metadata={"help": "Retries of a failed grading batch (fresh sandboxes)."})
    grade_batch_timeout_s: float = field(
        default=500.0,
        metadata={"help": "Longest wait for one grading batch; with retries it must stay below ddp_timeout."},
    )

    # ---- LiveCodeBench evaluation during training (paper: LCB v6 accuracy vs step at 4K and 8K)
    lcb_eval_every: int = field(default=0, metadata={"help": "Evaluate on LiveCodeBench every N rollouts (0: never)."})
    lcb_eval_on_start: bool = field(default=True, metadata={"help": "Also evaluate before the first rollout."})
    lcb_eval_dataset: str | None = field(
        default=None,
        metadata={"help": "Folder laid out like livecodebench/code_generation_lite (test*.jsonl); None: the Hub's."},
    )
    lcb_eval_version: str = field(default="v6", metadata={"help": "LiveCodeBench version tag (v6: the paper's slice)."})
    lcb_eval_start_date: str | None = field(default=None, metadata={"help": "Keep problems from YYYY-MM-DD on."})
    lcb_eval_end_date: str | None = field(default=None, metadata={"help": "Keep problems up to YYYY-MM-DD."})
    lcb_eval_max_problems: int | None = field(default=None, metadata={"help": "Evaluate the first N problems only."})
    lcb_eval_max_tokens: list[int] | None = field(
        default=None, metadata={"help": "Evaluation lengths, e.g. [4096, 8192]; None: [max_completion_length]."}
    )
    lcb_eval_n: int = field(default=1, metadata={"help": "Samples per problem (pass@1 is their mean)."})
    lcb_eval_temperature: float = field(default=0.2, metadata={"help": "Sampling temperature (LiveCodeBench: 0.2)."})
    lcb_eval_top_p: float = field(default=0.95, metadata={"help": "Nucleus top_p (LiveCodeBench: 0.95)."})

    # ---- checkpoints
    snapshot_steps: int = field(
        default=0,
        metadata={
            "help": "Save a loadable model-only snapshot (RUN_DIR/snapshots/rollout-N) every N rollouts, never "
            "deleted (the learning curve); checkpoint-* are for resuming and obey save_total_limit. 0: none."
        },
    )

    # ---- TRL / transformers fields with the paper's defaults or rollout units
    max_steps: int = field(default=-1, metadata={"help": "Rollout rounds to train (-1: num_train_epochs)."})
    logging_steps: float = field(default=1, metadata={"help": "Write a metrics row every N rollouts."})
    save_steps: float = field(default=500, metadata={"help": "Resumable checkpoint every N rollouts."})
    temperature: float = field(default=1.2, metadata={"help": "Sampling AND log-prob temperature (paper: 1.2)."})
    beta: float = field(default=0.0, metadata={"help": "KL weight; 0 loads no reference model (paper: 0)."})
    epsilon: float = field(default=0.2, metadata={"help": "Lower clip ε."})
    epsilon_high: float | None = field(default=0.28, metadata={"help": "Upper clip ε_high (clip-high, DAPO: 0.28)."})
    loss_type: str = field(default="dapo", metadata={"help": "TRL loss aggregation (dapo: token mean over the batch)."})
    num_generations: int | None = field(default=8, metadata={"help": "G, responses per prompt."})
    max_completion_length: int | None = field(default=4096, metadata={"help": "L_max (paper: 4K or 8K)."})
    vllm_importance_sampling_correction: bool = field(
        default=False,
        metadata={
            "help": "TRL's vLLM-vs-trainer importance-sampling correction (not in the paper; with the default "
            "sequence_mask mode it drops whole long responses). Its masked fraction is logged when on."
        },
    )
    bf16: bool | None = field(default=None, metadata={"help": "bf16 mixed precision; None: on when CUDA is available."})
    activation_checkpointing: bool | None = field(
        default=None,
        metadata={
            "help": "Recompute activations in the backward pass to save accelerator memory; None: on when a GPU "
            "is present and the model is not tiny-random (on CPU it only slows the step down)."
        },
    )
    gradient_checkpointing: bool | None = field(
        default=None,
        metadata={"help": "Deprecated alias of `activation_checkpointing` (transformers 5); None: follow it."},
    )
    output_dir: str | None = field(default="runs/microcoder-grpo", metadata={"help": "RUN_DIR."})

    def __post_init__(self) -> None:
        self._check_microcoder_fields()
        if self.bf16 is None and not self.fp16:
            import torch

            self.bf16 = bool(torch.cuda.is_available())
        if self.use_cpu or not _has_accelerator():
            self.dataloader_pin_memory = False  # pinned memory only serves host-to-GPU copies
        if self.activation_checkpointing is None and self.gradient_checkpointing is None:
            # TRL turns it on by default; on CPU or for the tiny model it costs time and saves nothing.
            self.activation_checkpointing = (
                _has_accelerator() and not self.use_cpu and self.model_name_or_path != TINY_MODEL
            )
        # TRL builds its sampler and generation config at init: start at stage 0 of each schedule.
        if self.temperature_schedule:
            from mctrain.algo.temperature import TemperatureSchedule

            self.temperature = TemperatureSchedule.parse(self.temperature_schedule).at(0)
        if self.max_completion_length_schedule:
            self.max_completion_length = LengthSchedule.parse(self.max_completion_length_schedule).at(0)
        self._set_rollout_batch()
        super().__post_init__()
        self._derive_layout()
        if self.updates_per_rollout == 1:
            warnings.warn(
                "one optimizer update per rollout (updates_per_rollout=1): the importance ratio is exactly 1, so the "
                "clip (clip-high included) never acts",
                stacklevel=3,  # the caller of the dataclass __init__
            )

    # ------------------------------------------------------------------ rollout layout
    def _set_rollout_batch(self) -> None:
        """Tell TRL the rollout size before it derives its batch sizes."""
        if self.generation_batch_size is not None or self.steps_per_generation is not None:
            raise ValueError(
                "generation_batch_size / steps_per_generation are derived here: set rollout_prompts (prompts per "
                "rollout) and updates_per_rollout instead"
            )
        if self.rollout_prompts is None:
            self.steps_per_generation = self.updates_per_rollout * self.gradient_accumulation_steps
            return
        processes = int(os.environ.get("WORLD_SIZE", "1"))
        layout = RolloutLayout(
            self.rollout_prompts, self.num_generations, self.updates_per_rollout, processes,
            self.per_device_train_batch_size,
        )  # raises, naming the numbers, before TRL's own less specific check
        if self.gradient_accumulation_steps not in (1, layout.gradient_accumulation_steps):
            raise ValueError(
                f"gradient_accumulation_steps={self.gradient_accumulation_steps} conflicts with rollout_prompts="
                f"{self.rollout_prompts}: it is derived ({layout.describe()}); leave it unset"
            )
        self.generation_batch_size = layout.responses

    def _derive_layout(self) -> None:
        """Check the layout on the real process count and set TRL's gradient accumulation from it."""
        micro, processes = self.per_device_train_batch_size, self.world_size
        if self.rollout_prompts is None:
            responses = micro * processes * self.steps_per_generation
            self.rollout_prompts = responses // self.num_generations
        layout = RolloutLayout(self.rollout_prompts, self.num_generations, self.updates_per_rollout, processes, micro)
        self.gradient_accumulation_steps = layout.gradient_accumulation_steps
        self.steps_per_generation = layout.steps_per_generation
        if self.dynamic_sampling and self.rollout_prompts % processes:
            raise ValueError(
                f"dynamic_sampling keeps each prompt's group on one process: rollout_prompts={self.rollout_prompts} "
                f"must be a multiple of the {processes} processes"
            )
        if getattr(self, "hf_deepspeed_config", None) is not None:
            self.hf_deepspeed_config.trainer_config_process(self)  # it read the accumulation steps already
        self.layout = layout

    def engine_args(self) -> "MicroCoderGRPOConfig":
        """A copy for TRL / transformers: step counts in optimizer updates instead of rollout rounds."""
        if getattr(self, "_engine_view", False):
            return self
        engine = copy.copy(self)
        for name in ROLLOUT_COUNTED_FIELDS:
            value = getattr(self, name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1:
                setattr(engine, name, int(round(value)) * self.updates_per_rollout)
        engine._engine_view = True
        return engine

    # ------------------------------------------------------------------ validation
    def lengths(self) -> LengthSchedule:
        """The L_max schedule (constant when none is set)."""
        return LengthSchedule.parse(self.max_completion_length_schedule or self.max_completion_length)

    def _check_choices(self) -> None:
        choices = {
            "truncation_masking": TRUNCATION_MASKING_MODES,
            "ctm_non_incorrect": NON_INCORRECT_MODES,
            "ctm_repeat_rule": REPEAT_RULES,
            "reward_mode": REWARD_MODES,
            "diversity_metric": DIVERSITY_METRICS,
            "extract_mode": EXTRACT_MODES,
            "grade_comparison": ("microcoder", "lcb"),
            "prompt_style": PROMPT_STYLES,
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")

        parse_spec(self.grader)  # a bad spec is a config error now, not a failure at the first reward
        for name, low in (("updates_per_rollout", 1), ("rollout_prompts", 1), ("dynamic_sampling_max_rounds", 1),
                          ("lcb_eval_n", 1), ("lcb_eval_every", 0), ("snapshot_steps", 0), ("grade_retries", 0)):
            value = getattr(self, name)
            if value is not None and value < low:
                raise ValueError(f"{name} must be >= {low}, got {value}")
        if not 0.0 <= self.ctm_rho <= 1.0:
            raise ValueError(f"ctm_rho must be in [0, 1], got {self.ctm_rho}")
        if self.ctm_window_m < 1:
            raise ValueError(f"ctm_window_m must be >= 1, got {self.ctm_window_m}")

    def _check_rewards(self) -> None:
        funcs = list(self.reward_funcs)
        if not funcs or funcs[0] != "code" or funcs.count("code") != 1:
            raise ValueError(f"reward_funcs must start with 'code' (the grader) exactly once, got {funcs}")
        for name in funcs:
            if name not in BUILTIN_REWARDS and ":" not in name:
                raise ValueError(f"reward_funcs: {name!r} is neither built in {BUILTIN_REWARDS} nor 'module:function'")
        if self.reward_weights is not None and len(self.reward_weights) != len(funcs):
            raise ValueError(f"reward_weights has {len(self.reward_weights)} entries for {len(funcs)} reward_funcs")
        if "soft_overlong" in funcs:
            shortest = min(int(v) for _, v in self.lengths().stages)
            if not 1 <= self.overlong_buffer_length <= shortest:
                raise ValueError(
                    f"overlong_buffer_length={self.overlong_buffer_length} must be in [1, max_completion_length="
                    f"{shortest}] for the soft_overlong reward"
                )

    def _check_microcoder_fields(self) -> None:
        """Reject impossible or contradictory settings, naming the fields."""
        self._check_choices()
        self._check_rewards()
        if self.num_iterations != 1:
            raise ValueError(
                f"num_iterations={self.num_iterations}: several passes over a rollout are set here with "
                "updates_per_rollout (one pass, that many mini-batches); leave num_iterations at 1"
            )
        if self.mask_truncated_completions:
            raise ValueError(
                "mask_truncated_completions=True is TRL's overlong filter: use truncation_masking=mask_all (same "
                "filter, logged and composable with the other modes) and leave mask_truncated_completions=False"
            )
        if self.epsilon_high is not None and self.epsilon_high < self.epsilon:
            raise ValueError(f"epsilon_high ({self.epsilon_high}) must be >= epsilon ({self.epsilon}) for clip-high")
        if self.grade_batch_timeout_s * (self.grade_retries + 1) >= self.ddp_timeout:
            raise ValueError(
                f"grade_batch_timeout_s={self.grade_batch_timeout_s:g} x {self.grade_retries + 1} tries must stay below "
                f"ddp_timeout={self.ddp_timeout}, or the other processes time out first; lower one or raise ddp_timeout"
            )
        if self.lcb_eval_max_tokens is not None and (
            not self.lcb_eval_max_tokens or any(int(t) < 1 for t in self.lcb_eval_max_tokens)
        ):
            raise ValueError(f"lcb_eval_max_tokens must be a list of positive token counts, got {self.lcb_eval_max_tokens}")
        if self.truncation_masking == "mask_all" and self.loss_type in ("grpo", "sapo", "luspo"):
            warnings.warn(
                f"truncation_masking=mask_all with loss_type={self.loss_type!r}: the filtered responses leave the "
                "token sums, but this loss still averages over every response, so they dilute it (use dapo or bnpo "
                "to drop them from the normaliser too)",
                stacklevel=4,
            )
        shortest = min(int(v) for _, v in self.lengths().stages) if self.max_completion_length else None
        if self.truncation_masking == "conditional" and shortest is not None and 2 * self.ctm_window_m > shortest:
            warnings.warn(
                f"ctm_window_m={self.ctm_window_m} needs responses of 2*m tokens but max_completion_length="
                f"{shortest}: no truncated response can be detected as a repetition loop",
                stacklevel=4,  # the caller of the dataclass __init__
            )

    # ------------------------------------------------------------------ YAML recipes
    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls) if f.init}

    @classmethod
    def check_keys(cls, keys: Any, *, where: str = "config") -> None:
        """Raise one line per unknown key, suggesting the nearest field name."""
        names = cls.field_names()
        problems = []
        for key in sorted(set(keys) - names):
            close = difflib.get_close_matches(key, names, n=1, cutoff=0.75)
            problems.append(f"unknown key {key!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        if problems:
            raise ValueError(f"{where}: " + "; ".join(problems))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, where: str = "config") -> "MicroCoderGRPOConfig":
        """Build from a mapping, naming the source and the key of any unknown field."""
        cls.check_keys(values, where=where)
        return cls(**dict(values))

    @classmethod
    def read_recipe(cls, path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
        """A recipe's values; ``base_recipe: FILE`` (relative to the recipe) is read first, then overridden."""
        import yaml

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"recipe not found: {path}")
        if path.resolve() in _seen:
            raise ValueError(f"{path}: base_recipe loop through {', '.join(str(p) for p in _seen)}")
        try:
            loaded = load_yaml(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: a recipe is a mapping of config fields, got {type(loaded).__name__}")
        base = loaded.pop("base_recipe", None)
        cls.check_keys(loaded, where=str(path))
        values = cls.read_recipe(path.parent / str(base), (*_seen, path.resolve())) if base else {}
        values.update(loaded)
        return values

    @classmethod
    def from_yaml(cls, path: str | Path | None, **overrides: Any) -> "MicroCoderGRPOConfig":
        """Load a YAML recipe (None: the paper's defaults), then apply `overrides` (CLI wins)."""
        values = cls.read_recipe(path) if path is not None else {}
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values, where=str(path) if path is not None else "overrides")
