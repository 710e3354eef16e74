"""`run_training(config) -> RunResult`: what `microcoder train` calls.

Steps: load the problems -> build prompts -> load the policy (or the tiny random model) ->
open the grader -> train with `MicroCoderGRPOTrainer`, resuming from the newest checkpoint in
RUN_DIR when there is one -> save the final model. Scale-out is TRL's: launch the same command
under `accelerate launch --config_file configs/accelerate/...` (DeepSpeed ZeRO-2/3, FSDP2) and
set `use_vllm` for vLLM rollouts.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from mcdata.atomic import atomic_write_json
from mcdata.schema import Problem
from mctrain.config import TINY_MODEL, MicroCoderGRPOConfig, load_yaml

RUN_CONFIG_FILE = "run_config.json"
FINAL_MODEL_DIR = "final"


@dataclass
class RunResult:
    """Where a run's outputs are and how far it got."""

    run_dir: Path
    global_step: int
    metrics_path: Path
    final_model_dir: Path | None
    resumed_from: str | None
    train_runtime_s: float
    last_metrics: dict[str, Any]


def load_policy(name: str, *, seed: int = 0, trust_remote_code: bool = False):
    """(model, tokenizer): `tiny-random` builds the offline tiny Qwen2 model, else from_pretrained."""
    if name == TINY_MODEL:
        from mceval.tiny_model import build_tiny_model

        return build_tiny_model(seed=seed)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if name.startswith((".", "/", "~")) and not Path(name).expanduser().is_dir():
        raise FileNotFoundError(f"model directory {name} does not exist")
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(name, dtype="auto", trust_remote_code=trust_remote_code)
    except OSError as exc:
        raise FileNotFoundError(f"cannot load model {name!r}: {exc}") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return model, tokenizer


def _last_checkpoint(run_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(run_dir)) if run_dir.is_dir() else None


def _grade_config(config: MicroCoderGRPOConfig):
    from mceval.types import GradeConfig

    return GradeConfig(
        timeout_s=config.grade_timeout_s,
        memory_mb=config.grade_memory_mb,
        workers=config.grade_workers,
        comparison=config.grade_comparison,
    )


def _write_run_config(config: MicroCoderGRPOConfig, run_dir: Path) -> None:
    atomic_write_json(run_dir / RUN_CONFIG_FILE, config.to_dict(), default=str, sort_keys=True)


def run_training(
    config: MicroCoderGRPOConfig,
    *,
    resume: bool | str = True,
    problems: Sequence[Problem] | None = None,
    model: Any = None,
    tokenizer: Any = None,
    callbacks: Sequence[Any] = (),
    log_mask_decisions: bool = False,
) -> RunResult:
    """Train one MicroCoder-GRPO run into `config.output_dir` (RUN_DIR).

    Args:
        config: the run configuration (recipe + overrides).
        resume: True resumes from RUN_DIR's newest checkpoint if any; a path resumes from it;
            False starts over.
        problems / model / tokenizer: already-loaded objects (tests, notebooks); by default they
            come from `config.dataset` and `config.model_name_or_path`.
        callbacks: extra `transformers.TrainerCallback`s.
        log_mask_decisions: write RUN_DIR/mask_decisions.jsonl (one row per response).
    """
    from transformers.trainer_callback import ProgressCallback
    from trl.trainer.callbacks import RichProgressCallback

    from mctrain.data import load_problems, prompt_dataset
    from mctrain.metrics import METRICS_FILE
    from mctrain.reward import CodeReward
    from mctrain.trainer import MicroCoderGRPOTrainer

    run_dir = Path(config.output_dir)
    if problems is None:
        if not config.dataset:
            raise ValueError("no training data: pass --dataset DIR_OR_HUB_ID (a `microcoder build-dataset` output)")
        problems = load_problems(config.dataset, config.dataset_split, limit=config.max_train_problems)
    elif config.max_train_problems is not None:
        problems = list(problems)[: config.max_train_problems]
    if model is None:
        model, loaded_tokenizer = load_policy(
            config.model_name_or_path, seed=config.seed, trust_remote_code=config.trust_remote_code
        )
        tokenizer = tokenizer or loaded_tokenizer
    if tokenizer is None:
        raise ValueError("a model object was given without its tokenizer")

    checkpoint: str | None = None
    if resume is True:
        checkpoint = _last_checkpoint(run_dir)
    elif isinstance(resume, str):
        checkpoint = resume
    _write_run_config(config, run_dir)

    reward = CodeReward(
        problems, mode=config.reward_mode, extract_mode=config.extract_mode, grade_config=_grade_config(config)
    )
    start = time.perf_counter()
    with reward:
        trainer = MicroCoderGRPOTrainer(
            model,
            reward,
            config,
            prompt_dataset(problems),
            processing_class=tokenizer,
            callbacks=list(callbacks),
            log_mask_decisions=log_mask_decisions,
        )
        if config.heldout_eval_steps:
            from mctrain.heldout import HeldOutEvalCallback

            trainer.add_callback(
                HeldOutEvalCallback.from_config(
                    config, reward=reward, tokenizer=tokenizer, metrics=trainer.metrics_callback
                )
            )
        if not config.disable_tqdm:
            trainer.remove_callback(ProgressCallback)
            trainer.add_callback(RichProgressCallback())
        trainer.train(resume_from_checkpoint=checkpoint)
        final_dir = None
        if config.save_strategy != "no" or config.push_to_hub:
            final_dir = run_dir / FINAL_MODEL_DIR
            trainer.save_model(str(final_dir))
            if trainer.accelerator.is_main_process:
                tokenizer.save_pretrained(str(final_dir))
    last = trainer.state.log_history[-1] if trainer.state.log_history else {}
    return RunResult(
        run_dir=run_dir,
        global_step=trainer.state.global_step,
        metrics_path=run_dir / METRICS_FILE,
        final_model_dir=final_dir,
        resumed_from=checkpoint,
        train_runtime_s=time.perf_counter() - start,
        last_metrics=dict(last),
    )


def train_main(
    recipe: str | Path | None,
    options: dict[str, Any],
    overrides: Sequence[str] = (),
    *,
    resume: bool = True,
    log_mask_decisions: bool = False,
) -> RunResult:
    """The CLI entry: recipe YAML, then the named options, then ``KEY=VALUE`` overrides (last wins)."""
    import yaml

    values = {k: v for k, v in options.items() if v is not None}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            values[key.strip()] = load_yaml(raw)
        except yaml.YAMLError as exc:
            raise ValueError(f"--set {item!r}: value is not valid YAML: {exc}") from exc
    config = MicroCoderGRPOConfig.from_yaml(recipe, **values)
    with warnings.catch_warnings():
        # TRL 1.16 itself calls transformers 5's deprecated `*gradient_checkpointing*` aliases on every
        # generation; the warning is about TRL's code, not the user's config, so keep the terminal clean.
        warnings.filterwarnings("ignore", message=r"`\w*gradient_checkpointing\w*` is deprecated", category=FutureWarning)
        return run_training(config, resume=resume, log_mask_decisions=log_mask_decisions)
