"""`BenchConfig`: every option of `microcoder eval --bench`, checked once, with one-line errors
naming the option."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from mceval.bench.truncation import TRUNCATION_POLICIES
from mceval.evaluate import MISSING_GENERATIONS
from mceval.types import PROFILES
from mcgen.backends.sampling import SERVER_DIALECTS
from mcgen.prompt_styles import PROMPT_STYLES
from mcgen.types import SamplingConfig

ComparisonChoice = Literal["microcoder", "lcb", "both"]


@dataclass
class BenchConfig:
    """Everything `microcoder eval --bench` needs. Either `model` (+ `backend`) or `generations`."""

    output_dir: str
    bench: str = "lcb-v6"
    dataset_path: str | None = None
    release_version: str | None = None
    revision: str | None = None  # the dataset's commit/branch on the Hub
    start_date: str | None = None
    end_date: str | None = None
    platform: str | None = None
    difficulty: str | None = None
    # generation
    model: str | None = None
    backend: str = "hf"
    base_url: str | None = None
    api_key: str | None = None
    tensor_parallel_size: int = 1
    concurrency: int = 8
    dtype: str | None = None
    device: str | None = None
    max_model_len: int | None = None
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    prompt_style: str = "auto"
    system_prompt: str | None = None
    chat_template_kwargs: dict[str, Any] | None = None
    server_dialect: str = "vllm"
    request_timeout_s: float = 600.0
    stream: bool = False
    use_cache: bool = True
    generations: str | None = None  # grade this LiveCodeBench generations file instead of generating
    generations_temperature: float | None = None  # the file's sampling temperature, for LCB's file names
    # grading
    extract: Literal["lcb", "robust"] = "robust"
    truncation_policy: str = "cut-answer-fails"
    comparison: ComparisonChoice = "microcoder"
    grading_profile: str = "microcoder"  # how programs run: microcoder, or lcb (as LiveCodeBench runs them)
    missing_generations: str = "fail"
    timeout_s: float | None = None
    memory_mb: int = 1024
    all_tests: bool = False  # run every test of a sample (fractional score) instead of stopping at the first failure
    workers: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        choices = {
            "--comparison": (self.comparison, ("microcoder", "lcb", "both")),
            "--grading-profile": (self.grading_profile, PROFILES),
            "--extract": (self.extract, ("lcb", "robust")),
            "--backend": (self.backend, ("hf", "openai", "vllm")),
            "--prompt-style": (self.prompt_style, ("auto", *PROMPT_STYLES)),
            "--server-dialect": (self.server_dialect, SERVER_DIALECTS),
            "--truncation-policy": (self.truncation_policy, TRUNCATION_POLICIES),
            "--missing-generations": (self.missing_generations, MISSING_GENERATIONS),
        }
        for option, (value, allowed) in choices.items():
            if value not in allowed:
                raise ValueError(f"{option} must be one of {', '.join(allowed)}, got {value!r}")
        if self.generations is None and self.model is None and self.backend != "openai":
            raise ValueError("--bench needs --model M (with --backend) or --generations FILE")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ValueError(f"--timeout must be positive, got {self.timeout_s}")
        if self.request_timeout_s <= 0:
            raise ValueError(f"--request-timeout must be positive, got {self.request_timeout_s}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"--workers must be at least 1, got {self.workers}")
        if self.memory_mb < 16:
            raise ValueError(f"--memory-mb must be at least 16, got {self.memory_mb}")
        if self.generations is not None and self.model is not None:
            raise ValueError("pass either --model (generate) or --generations FILE (grade only), not both")
        if self.revision is not None and self.dataset_path is not None:
            raise ValueError("--revision picks the Hub dataset's commit; it does not apply to --dataset-path")
        if self.chat_template_kwargs is not None and not isinstance(self.chat_template_kwargs, dict):
            raise ValueError("--chat-template-kwargs must be a JSON object, e.g. '{\"enable_thinking\": false}'")

    @property
    def comparisons(self) -> list[str]:
        return ["microcoder", "lcb"] if self.comparison == "both" else [self.comparison]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("api_key", None)  # never write secrets to disk
        data["sampling"] = self.sampling.to_dict()
        return data


def json_object(text: str | None, option: str) -> dict[str, Any] | None:
    """A JSON object given on the command line (None stays None); ValueError names the option."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{option} must be a JSON object, e.g. '{{\"enable_thinking\": false}}' ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{option} must be a JSON object, e.g. '{{\"enable_thinking\": false}}', got {text!r}")
    return value
