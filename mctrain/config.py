"""`MicroCoderGRPOConfig`: TRL's GRPOConfig plus the MicroCoder-GRPO switches, flat and documented.

One dataclass is the API, the YAML recipe and the CLI overrides (TRL style). The defaults are
the paper's setting (reference-paper.md §1): conditional truncation masking with ρ=0.1 and
m=128, training temperature 1.2, no KL (β=0, so no reference model is loaded) and an
asymmetric clip 0.2 / 0.28 with several optimizer updates per generation batch, so the
importance ratio actually moves away from 1 and the clip can act. The GRPO and DAPO baselines
are one flag away (recipes/grpo_baseline.yaml, recipes/dapo_baseline.yaml).

> Parameters added by MicroCoder (everything else is `trl.GRPOConfig`)

- Data and model: `model_name_or_path` (a Hub id, a local dir, or ``tiny-random``),
  `dataset` (a `build-dataset` Parquet dir or Hub id), `dataset_split`, `max_train_problems`.
- Truncation masking: `truncation_masking` none | mask_all | conditional, `ctm_rho` (ρ),
  `ctm_window_m` (m), `ctm_non_incorrect` correct | correct_or_unjudged.
- Temperature: `temperature_schedule` (e.g. "0.6@0,1.2@50"; overrides `temperature`),
  `diversity_metric` distinct_ngram | edit_distance (logged every step).
- Clip: `updates_per_generation` optimizer updates per generation batch (verl's
  train_batch_size / ppo_mini_batch_size); TRL's `epsilon` / `epsilon_high` / `beta`.
- Reward: `reward_mode` binary | fraction, `extract_mode`, `grade_*` (the grader's limits).
- Held-out evaluation: `heldout_eval_steps`, `heldout_eval_split`, `heldout_eval_problems`,
  `heldout_eval_max_tokens`, `heldout_eval_n`, `heldout_eval_temperature`.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from trl import GRPOConfig

from mceval.tiny_model import TINY_MODEL_NAME as TINY_MODEL
from mctrain.algo.masking import NON_INCORRECT_MODES, TRUNCATION_MASKING_MODES


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
DIVERSITY_METRICS = ("distinct_ngram", "edit_distance")
EXTRACT_MODES = ("robust", "lcb")
PAPER_MODEL = "Qwen/Qwen3-4B-Instruct-2507"


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

    # ---- conditional truncation masking (paper §1.2)
    truncation_masking: str = field(
        default="conditional",
        metadata={"help": "none (GRPO) | mask_all (DAPO/DeepCoder overlong filtering) | conditional (MicroCoder)."},
    )
    ctm_rho: float = field(default=0.1, metadata={"help": "ρ: probability a qualifying truncated response is masked."})
    ctm_window_m: int = field(
        default=128, metadata={"help": "m: a truncated response whose last m tokens repeat the previous m is a loop."}
    )
    ctm_non_incorrect: str = field(
        default="correct_or_unjudged",
        metadata={"help": "Which truncated responses may be masked: correct | correct_or_unjudged (no code / CE)."},
    )

    # ---- diversity-determined temperature (paper §1.3)
    temperature_schedule: str | None = field(
        default=None,
        metadata={"help": "Staged temperature 'T@STEP,...' e.g. '0.6@0,1.2@50'; None keeps `temperature`."},
    )
    diversity_metric: str = field(
        default="distinct_ngram", metadata={"help": "Per-group diversity logged each step: distinct_ngram | edit_distance."}
    )

    # ---- no KL + clip-high (paper §1.4)
    updates_per_generation: int = field(
        default=4,
        metadata={
            "help": "Optimizer updates per generation batch (sets steps_per_generation = this x "
            "gradient_accumulation_steps). Above 1 the ratio differs from 1, so the clip acts."
        },
    )

    # ---- reward
    reward_mode: str = field(default="binary", metadata={"help": "binary (1 iff all tests pass) | fraction of tests passed."})
    extract_mode: str = field(default="robust", metadata={"help": "Code extraction: robust | lcb."})
    grade_timeout_s: float | None = field(default=None, metadata={"help": "Per-test time limit; None: the problem's."})
    grade_memory_mb: int = field(default=1024, metadata={"help": "Memory limit of each graded program."})
    grade_workers: int | None = field(default=None, metadata={"help": "Grader processes; None: one per core."})
    grade_comparison: str = field(default="microcoder", metadata={"help": "Output comparison: microcoder | lcb."})

    # ---- held-out evaluation through the benchmark code
    heldout_eval_steps: int = field(default=0, metadata={"help": "Evaluate every N steps (0: never)."})
    heldout_eval_split: str = field(default="test", metadata={"help": "Split of `dataset` held out for evaluation."})
    heldout_eval_problems: int = field(default=32, metadata={"help": "Problems per held-out evaluation."})
    heldout_eval_max_tokens: int | None = field(
        default=None, metadata={"help": "Generation cap of the evaluation; None: max_completion_length."}
    )
    heldout_eval_n: int = field(default=4, metadata={"help": "Samples per held-out problem (pass@1 over them)."})
    heldout_eval_temperature: float = field(
        default=0.2, metadata={"help": "Held-out sampling temperature (LiveCodeBench's 0.2; 0: greedy)."}
    )

    # ---- TRL defaults changed to the paper's setting
    temperature: float = field(default=1.2, metadata={"help": "Sampling AND log-prob temperature (paper: 1.2)."})
    beta: float = field(default=0.0, metadata={"help": "KL weight; 0 loads no reference model (paper: 0)."})
    epsilon: float = field(default=0.2, metadata={"help": "Lower clip ε."})
    epsilon_high: float | None = field(default=0.28, metadata={"help": "Upper clip ε_high (clip-high, DAPO: 0.28)."})
    loss_type: str = field(default="dapo", metadata={"help": "TRL loss aggregation (dapo: token mean over the batch)."})
    num_generations: int | None = field(default=8, metadata={"help": "G, responses per prompt."})
    max_completion_length: int | None = field(default=4096, metadata={"help": "L_max (paper: 4K or 8K)."})
    logging_steps: float = field(default=1, metadata={"help": "Log (and write metrics.jsonl) every N steps."})
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
        if self.temperature_schedule:
            from mctrain.algo.temperature import TemperatureSchedule

            # TRL builds its sampler and log-prob head from `temperature` at init: start at stage 0.
            self.temperature = TemperatureSchedule.parse(self.temperature_schedule).at(0)
        if self.steps_per_generation is None and self.generation_batch_size is None:
            self.steps_per_generation = self.updates_per_generation * self.gradient_accumulation_steps
        super().__post_init__()
        if self.steps_per_generation == self.gradient_accumulation_steps and self.num_iterations == 1:
            warnings.warn(
                "one optimizer update per generation batch (updates_per_generation=1, num_iterations=1): the "
                "importance ratio is exactly 1, so the clip (clip-high included) never acts",
                stacklevel=3,  # the caller of the dataclass __init__
            )

    def _check_microcoder_fields(self) -> None:
        """Reject impossible or contradictory settings, naming the fields."""
        choices = {
            "truncation_masking": TRUNCATION_MASKING_MODES,
            "ctm_non_incorrect": NON_INCORRECT_MODES,
            "reward_mode": REWARD_MODES,
            "diversity_metric": DIVERSITY_METRICS,
            "extract_mode": EXTRACT_MODES,
            "grade_comparison": ("microcoder", "lcb"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not 0.0 <= self.ctm_rho <= 1.0:
            raise ValueError(f"ctm_rho must be in [0, 1], got {self.ctm_rho}")
        if self.ctm_window_m < 1:
            raise ValueError(f"ctm_window_m must be >= 1, got {self.ctm_window_m}")
        if self.updates_per_generation < 1:
            raise ValueError(f"updates_per_generation must be >= 1, got {self.updates_per_generation}")
        if self.mask_truncated_completions and self.truncation_masking != "none":
            raise ValueError(
                "mask_truncated_completions=True (TRL's overlong filter) and truncation_masking="
                f"{self.truncation_masking!r} both mask truncated responses: use truncation_masking=mask_all "
                "(or conditional) and leave mask_truncated_completions=False"
            )
        if self.epsilon_high is not None and self.epsilon_high < self.epsilon:
            raise ValueError(f"epsilon_high ({self.epsilon_high}) must be >= epsilon ({self.epsilon}) for clip-high")
        if self.temperature_schedule and self.use_vllm and self.vllm_mode == "server":
            pass  # the server reads the temperature per request, so staged schedules work there too
        if (
            self.truncation_masking == "conditional"
            and self.max_completion_length is not None
            and 2 * self.ctm_window_m > self.max_completion_length
        ):
            warnings.warn(
                f"ctm_window_m={self.ctm_window_m} needs responses of 2*m tokens but max_completion_length="
                f"{self.max_completion_length}: no truncated response can be detected as a repetition loop",
                stacklevel=4,  # the caller of the dataclass __init__
            )
        if self.heldout_eval_steps < 0:
            raise ValueError(f"heldout_eval_steps must be >= 0, got {self.heldout_eval_steps}")
        if self.heldout_eval_steps and not self.dataset:
            raise ValueError("heldout_eval_steps needs `dataset` (its heldout_eval_split holds the held-out problems)")

    # ------------------------------------------------------------------ YAML recipes
    @classmethod
    def field_names(cls) -> set[str]:
        return {f.name for f in dataclasses.fields(cls) if f.init}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], *, where: str = "config") -> "MicroCoderGRPOConfig":
        """Build from a mapping, naming the source and the key of any unknown field."""
        unknown = sorted(set(values) - cls.field_names())
        if unknown:
            raise ValueError(
                f"{where}: unknown field(s) {unknown}: not a MicroCoderGRPOConfig or GRPOConfig field "
                "(see mctrain/config.py)"
            )
        return cls(**dict(values))

    @classmethod
    def from_yaml(cls, path: str | Path | None, **overrides: Any) -> "MicroCoderGRPOConfig":
        """Load a YAML recipe (None: the paper's defaults), then apply `overrides` (CLI wins)."""
        values: dict[str, Any] = {}
        if path is not None:
            import yaml

            path = Path(path)
            if not path.is_file():
                raise FileNotFoundError(f"recipe not found: {path}")
            try:
                loaded = load_yaml(path.read_text()) or {}
            except yaml.YAMLError as exc:
                raise ValueError(f"{path}: not valid YAML: {exc}") from exc
            if not isinstance(loaded, dict):
                raise ValueError(f"{path}: a recipe is a mapping of config fields, got {type(loaded).__name__}")
            values.update(loaded)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values, where=str(path) if path is not None else "overrides")
