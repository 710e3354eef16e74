"""`run_training(config) -> RunResult`: what `microcoder train` calls.

Steps: load the problems -> build prompts -> load the policy in float32 (bf16 is compute only)
-> open the grader (sized per process) and the other rewards -> load the LiveCodeBench
evaluation problems -> fix vLLM's context from the data -> train with `MicroCoderGRPOTrainer`,
resuming from the newest checkpoint in RUN_DIR when there is one -> save the final model.
Scale-out is TRL's: launch the same command under `accelerate launch --config_file
configs/accelerate/...` (DDP, DeepSpeed ZeRO-2/3, FSDP2) and set `use_vllm` for vLLM rollouts.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mccore.atomic import atomic_write_json
from mccore.schema import Problem
from mceval.types import GradeConfig
from mcgen.prompts import build_chat_messages
from mcgen.tiny_model import build_tiny_model, load_model_and_tokenizer, tiny_model_folder
from mctrain.config import TINY_MODEL, MicroCoderGRPOConfig, load_yaml

RUN_CONFIG_FILE = "run_config.json"
FINAL_MODEL_DIR = "final"


@dataclass
class RunResult:
    """Where a run's outputs are and how far it got."""

    run_dir: Path
    global_step: int  # rollout rounds completed
    optimizer_steps: int
    metrics_path: Path
    final_model_dir: Path | None
    resumed_from: str | None
    train_runtime_s: float
    last_metrics: dict[str, Any]


def load_policy(name: str, *, seed: int = 0, trust_remote_code: bool = False):
    """(model, tokenizer) with float32 weights: `tiny-random` builds the offline tiny Qwen2 model, else from_pretrained.

    Float32 whatever the checkpoint's dtype: the optimizer updates these weights, and bf16 weights
    would round a 1e-6 step away (`mctrain.engine`); mixed precision computes in bf16 anyway.
    """
    if name == TINY_MODEL:
        model, tokenizer = build_tiny_model(seed=seed)
        model.config._name_or_path = str(tiny_model_folder(seed))  # where TRL reloads the KL reference from
        return model, tokenizer

    # Local folders, Hub ids (checked within seconds), smollm2-135m and *.gguf files alike.
    return load_model_and_tokenizer(name, seed=seed, dtype="float32", trust_remote_code=trust_remote_code)


def _last_checkpoint(run_dir: Path) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(str(run_dir)) if run_dir.is_dir() else None


def _code_reward(config: MicroCoderGRPOConfig, problems: Sequence[Problem]):
    """The grader reward, with one sandbox per core of this process's share of the node (or of
    every Ray node, or a grading service's, with `grader`)."""
    import os

    from mctrain.engine import grader_workers_per_process
    from mctrain.reward import CodeReward

    local = config.grader == "local"
    grade = GradeConfig(
        timeout_s=config.grade_timeout_s,
        memory_mb=config.grade_memory_mb,
        workers=config.grade_workers or (grader_workers_per_process() if local else None),
        comparison=config.grade_comparison,
    )
    return CodeReward(
        problems, mode=config.reward_mode, extract_mode=config.extract_mode, grade_config=grade,
        retries=config.grade_retries, batch_timeout_s=config.grade_batch_timeout_s, grader=config.grader,
        grader_share=int(os.environ.get("WORLD_SIZE", "1")),
    )


def check_output_dir(path: str | Path) -> Path:
    """RUN_DIR must be a directory or not exist yet; a file there is refused before anything is written."""
    run_dir = Path(path)
    for where in (run_dir, *run_dir.parents):
        if where.exists() and not where.is_dir():
            raise ValueError(f"--output {run_dir}: {where} is a file, not a directory; choose another run directory")
    return run_dir


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
        config: the run configuration (recipe + overrides), counted in rollout rounds.
        resume: True resumes from RUN_DIR's newest checkpoint if any; a path resumes from it;
            False starts over.
        problems / model / tokenizer: already-loaded objects (tests, notebooks); by default they
            come from `config.dataset` and `config.model_name_or_path`.
        callbacks: extra `transformers.TrainerCallback`s.
        log_mask_decisions: write RUN_DIR/mask_decisions.jsonl (one row per response).
    """
    from transformers.trainer_callback import ProgressCallback

    from mctrain.data import prompt_dataset
    from mctrain.metrics import METRICS_FILE
    from mctrain.progress import RolloutProgressCallback
    from mctrain.reward_funcs import extra_reward_funcs
    from mctrain.trainer import MicroCoderGRPOTrainer

    run_dir = check_output_dir(config.output_dir)
    problems, model, tokenizer, eval_problems = _load_inputs(config, problems, model, tokenizer)
    checkpoint: str | None = None
    if resume is True:
        checkpoint = _last_checkpoint(run_dir)
    elif isinstance(resume, str):
        checkpoint = resume
    _write_run_config(config, run_dir)

    reward = _code_reward(config, problems)
    start = time.perf_counter()
    with reward, _quiet_transformers_bars():
        trainer = MicroCoderGRPOTrainer(
            model, reward, config, prompt_dataset(problems, config.prompt_style), extra_rewards=extra_reward_funcs(config),
            eval_problems=eval_problems, processing_class=tokenizer, callbacks=list(callbacks),
            log_mask_decisions=log_mask_decisions,
        )
        if not config.disable_tqdm:
            trainer.remove_callback(ProgressCallback)
            trainer.add_callback(RolloutProgressCallback())
        trainer.train(resume_from_checkpoint=checkpoint)
        final_dir = _save_final(trainer, config, run_dir)
    last = trainer.state.log_history[-1] if trainer.state.log_history else {}
    return RunResult(
        run_dir=run_dir,
        global_step=trainer.rollout,
        optimizer_steps=trainer.state.global_step,
        metrics_path=run_dir / METRICS_FILE,
        final_model_dir=final_dir,
        resumed_from=checkpoint,
        train_runtime_s=time.perf_counter() - start,
        last_metrics=dict(last),
    )


def _save_final(trainer: Any, config: MicroCoderGRPOConfig, run_dir: Path) -> Path | None:
    """RUN_DIR/final: the trained policy and its tokenizer, loadable by from_pretrained, vLLM and `microcoder eval`."""
    if config.save_strategy == "no" and not config.push_to_hub:
        return None
    final_dir = run_dir / FINAL_MODEL_DIR
    trainer.save_model(str(final_dir))  # every process: ZeRO-3 and FSDP gather the full weights
    if trainer.accelerator.is_main_process:
        trainer.processing_class.save_pretrained(str(final_dir))
    return final_dir


def _load_inputs(config: MicroCoderGRPOConfig, problems: Any, model: Any, tokenizer: Any) -> tuple:
    """(problems, model, tokenizer, LiveCodeBench problems); sets vLLM's context from every prompt."""
    from mctrain.data import load_problems

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
    eval_problems = []
    if config.lcb_eval_every:
        from mctrain.lcb_eval import load_eval_problems

        eval_problems = load_eval_problems(config)
    if config.use_vllm:
        from mctrain.engine import vllm_context_length

        every_prompt = [build_chat_messages(p) for p in [*problems, *eval_problems]]
        config.vllm_max_model_length = vllm_context_length(config, tokenizer, every_prompt)
    return problems, model, tokenizer, eval_problems


@contextlib.contextmanager
def _quiet_transformers_bars():
    """No tqdm bars from transformers (model saves) while the rollout bar owns the terminal."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


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
    overridden = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            overridden[key.strip()] = load_yaml(raw)
        except yaml.YAMLError as exc:
            raise ValueError(f"--set {item!r}: value is not valid YAML: {exc}") from exc
    MicroCoderGRPOConfig.check_keys(overridden, where="--set")
    values.update(overridden)
    if values.get("output_dir"):
        check_output_dir(values["output_dir"])
    config = MicroCoderGRPOConfig.from_yaml(recipe, **values)
    with warnings.catch_warnings():
        # TRL 1.16 itself calls transformers 5's deprecated `*gradient_checkpointing*` aliases on every
        # generation; the warning is about TRL's code, not the user's config, so keep the terminal clean.
        warnings.filterwarnings("ignore", message=r"`\w*gradient_checkpointing\w*` is deprecated", category=FutureWarning)
        return run_training(config, resume=resume, log_mask_decisions=log_mask_decisions)
