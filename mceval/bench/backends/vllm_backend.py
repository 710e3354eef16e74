"""`--backend vllm`: offline batched generation with `vllm.LLM` on GPUs (optional extra `vllm`).

vLLM is imported lazily, so everything else works without it. Prompts are rendered with the
model's chat template (the same `render_prompt` the hf backend uses) and passed as token ids,
so no BOS token is added twice. Prompts go to vLLM in chunks; each chunk's results are
yielded (and cached by the caller) before the next starts, so an interrupted run loses at most
one chunk. Each prompt gets its own seeded `SamplingParams` (see `prompt_seed`).
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from mceval.bench.backends.base import GenerationBackend, Messages, prompt_seed
from mceval.bench.types import Completion, SamplingConfig
from mceval.gguf_model import resolve_model
from mceval.prompts import render_prompt


class VLLMBackend(GenerationBackend):
    """`vllm.LLM` in this process (GPUs, `tensor_parallel_size` of them); extra kwargs go to `LLM`."""

    name = "vllm"

    def __init__(
        self,
        model: str,
        *,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        max_model_len: int | None = None,
        gpu_memory_utilization: float = 0.9,
        seed: int = 0,
        chunk_size: int = 64,
        trust_remote_code: bool = False,
        **llm_kwargs: Any,
    ) -> None:
        try:
            from vllm import LLM
        except ImportError as exc:
            raise ImportError(
                "--backend vllm needs vLLM on a GPU machine: pip install 'microcoder[vllm]' "
                f"(import failed: {exc})"
            ) from None
        self.model_id = model
        self.chunk_size = max(1, chunk_size)
        options = dict(
            model=resolve_model(model),  # smollm2-135m / *.gguf -> a converted local folder
            tensor_parallel_size=tensor_parallel_size,
            dtype=dtype,
            gpu_memory_utilization=gpu_memory_utilization,
            seed=seed,
            trust_remote_code=trust_remote_code,
        )
        if max_model_len:
            options["max_model_len"] = max_model_len
        options.update(llm_kwargs)
        self.llm = LLM(**options)
        self.tokenizer = self.llm.get_tokenizer()

    def _params(self, messages: Messages, sampling: SamplingConfig):
        from vllm import SamplingParams

        return SamplingParams(
            n=sampling.n,
            temperature=sampling.temperature,
            top_p=sampling.top_p if sampling.temperature > 0 else 1.0,
            max_tokens=sampling.max_tokens,
            seed=prompt_seed(sampling.seed, messages),
        )

    def iter_generate(
        self, prompts: Sequence[Messages], sampling: SamplingConfig
    ) -> Iterator[tuple[int, list[Completion]]]:
        for start in range(0, len(prompts), self.chunk_size):
            chunk = list(prompts[start : start + self.chunk_size])
            inputs = [
                {"prompt_token_ids": self.tokenizer(render_prompt(m, self.tokenizer), add_special_tokens=False)["input_ids"]}
                for m in chunk
            ]
            params = [self._params(m, sampling) for m in chunk]
            outputs = self.llm.generate(inputs, sampling_params=params, use_tqdm=False)
            for offset, request_output in enumerate(outputs):
                yield start + offset, [
                    Completion(
                        text=o.text,
                        num_tokens=len(o.token_ids),
                        finish_reason="length" if o.finish_reason == "length" else "stop",
                    )
                    for o in request_output.outputs
                ]

    def close(self) -> None:
        self.llm = None
