"""One `SamplingConfig`, spelled the way each backend takes it, with nothing left to defaults.

Why: a parameter a backend does not receive is filled by someone else. A vLLM server fills top_k,
min_p and repetition_penalty from the model's `generation_config.json` (Qwen: top_k 20; Qwen2.5:
repetition_penalty 1.05), transformers' `generate` merges the model's generation config, while
offline vLLM uses its own neutral defaults: the same command sampled differently per backend.
So every value is passed explicitly, with "off" written as each backend writes it. These functions
are also what `summary.json` records as the effective parameters.

Server dialects (`--server-dialect`), because OpenAI-compatible servers disagree on extra fields:
  vllm          top_k / min_p / repetition_penalty as top-level body fields (vLLM, SGLang)
  transformers  the same inside a `generation_config` JSON string (`transformers serve` refuses
                unknown top-level fields)
  openai        OpenAI's own fields only; the server's defaults decide the rest (recorded as such)
"""

from __future__ import annotations

import json
from typing import Any, Literal

from mcgen.types import SamplingConfig

ServerDialect = Literal["vllm", "transformers", "openai"]
SERVER_DIALECTS: tuple[str, ...] = ("vllm", "transformers", "openai")
SERVER_DEFAULT = "server default"


def vllm_sampling_kwargs(sampling: SamplingConfig, seed: int | None) -> dict[str, Any]:
    """Keyword arguments of `vllm.SamplingParams` for one prompt.

    Greedy decoding asks for one sample (vLLM refuses n > 1 at temperature 0; the backend repeats
    it). top_k off is -1: every vLLM version accepts it (older ones reject 0)."""
    return {
        "n": 1 if sampling.greedy else sampling.n,
        "temperature": sampling.temperature,
        "top_p": 1.0 if sampling.greedy else sampling.top_p,
        "top_k": sampling.top_k or -1,
        "min_p": sampling.min_p,
        "repetition_penalty": sampling.repetition_penalty,
        "presence_penalty": 0.0,
        "frequency_penalty": 0.0,
        "max_tokens": sampling.max_tokens,
        "stop": list(sampling.stop) or None,
        "seed": seed,
    }


def hf_generate_kwargs(sampling: SamplingConfig) -> dict[str, Any]:
    """Keyword arguments of transformers' `generate` (None and 0 switch a model default off).

    Greedy decoding decodes one sequence (the backend repeats it n times); the repetition
    penalty still applies, as it does in vLLM. Stop strings also need `tokenizer=` (the backend
    passes it)."""
    options: dict[str, Any] = {
        "max_new_tokens": sampling.max_tokens,
        "num_return_sequences": 1 if sampling.greedy else sampling.n,
        "do_sample": not sampling.greedy,
        "repetition_penalty": sampling.repetition_penalty,
    }
    if sampling.greedy:
        options.update(temperature=None, top_p=None, top_k=None, min_p=None)
    else:
        options.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k,
                       min_p=sampling.min_p or None)
    if sampling.stop:
        options["stop_strings"] = list(sampling.stop)
    return options


def openai_sampling_fields(sampling: SamplingConfig, dialect: ServerDialect, seed: int | None) -> dict[str, Any]:
    """Request-body fields of one OpenAI-compatible request (one sample: n=1)."""
    body: dict[str, Any] = {"n": 1, "max_tokens": sampling.max_tokens, "temperature": sampling.temperature,
                            "top_p": sampling.top_p}
    if seed is not None:
        body["seed"] = seed
    if sampling.stop:
        body["stop"] = list(sampling.stop)
    if dialect == "vllm":
        body.update(top_k=sampling.top_k or -1, min_p=sampling.min_p, repetition_penalty=sampling.repetition_penalty,
                    presence_penalty=0.0, frequency_penalty=0.0)
    elif dialect == "transformers":
        # `transformers serve` maps frequency_penalty onto repetition_penalty, so it is not sent.
        body["generation_config"] = json.dumps({"top_k": sampling.top_k, "min_p": sampling.min_p or None,
                                                "repetition_penalty": sampling.repetition_penalty})
    elif dialect == "openai":
        changed = [name for name, value, off in (("--top-k", sampling.top_k, 0), ("--min-p", sampling.min_p, 0.0),
                                                  ("--repetition-penalty", sampling.repetition_penalty, 1.0))
                   if value != off]
        if changed:
            raise ValueError(f"{', '.join(changed)} cannot be sent with --server-dialect openai (OpenAI's API has no "
                             "such field); use --server-dialect vllm or transformers")
        body.update(presence_penalty=0.0, frequency_penalty=0.0)
    else:
        raise ValueError(f"--server-dialect must be one of {', '.join(SERVER_DIALECTS)}, got {dialect!r}")
    return body

