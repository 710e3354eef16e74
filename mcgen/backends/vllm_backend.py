"""`--backend vllm`: offline generation with `vllm.LLM` on GPUs (optional extra `vllm`).

vLLM is imported lazily, so everything else works without it. Chat prompts are rendered with the
model's chat template (the same `render_prompt` the hf backend uses), finished texts are taken as
they are, and both are passed as token ids, so no BOS token is added twice. Every prompt is
submitted at once and vLLM schedules them all; each one is yielded (and cached by the caller) as
soon as it finishes, so a long sample holds up nothing and an interrupted run loses only what was
in flight. Each prompt gets its own seeded parameters (`vllm_sampling_kwargs`, see `prompt_seed`);
greedy decoding asks for one sample and repeats it, as vLLM refuses n > 1 at temperature 0.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from mcgen.backends.base import GenerationBackend, Prompt, prompt_seed
from mcgen.backends.sampling import vllm_sampling_kwargs
from mcgen.gguf_model import resolve_model
from mcgen.prompts import render_prompt
from mcgen.thinking import prompt_opens_thinking
from mcgen.types import Completion, SamplingConfig, repeat_greedy


class VLLMBackend(GenerationBackend):
    """`vllm.LLM` in this process (GPUs, `tensor_parallel_size` of them); extra kwargs go to `LLM`.
    `chunk_size` is accepted for compatibility and ignored: all prompts are submitted together."""

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
        chunk_size: int | None = None,
        trust_remote_code: bool = False,
        chat_template_kwargs: Mapping[str, Any] | None = None,
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
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
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
        self._calls = 0

    @classmethod
    def sampling_parameters(cls, sampling: SamplingConfig) -> dict[str, Any]:
        return {**vllm_sampling_kwargs(sampling, seed=None), "seed": "per prompt, derived from --seed"}

    def _params(self, prompt: Prompt, sampling: SamplingConfig):
        from vllm import SamplingParams

        params = SamplingParams(**vllm_sampling_kwargs(sampling, prompt_seed(sampling.seed, prompt)))
        try:  # only finished outputs are read: skip building the intermediate ones
            from vllm.sampling_params import RequestOutputKind

            params.output_kind = RequestOutputKind.FINAL_ONLY
        except (ImportError, AttributeError):
            pass
        return params

    def _inputs(self, prompt: Prompt) -> tuple[dict[str, Any], bool]:
        text = render_prompt(prompt, self.tokenizer, self.chat_template_kwargs)
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return {"prompt_token_ids": ids}, prompt_opens_thinking(text)

    def iter_generate(
        self, prompts: Sequence[Prompt], sampling: SamplingConfig
    ) -> Iterator[tuple[int, list[Completion]]]:
        engine = self.llm.llm_engine
        self._calls += 1
        pending: dict[str, tuple[int, bool]] = {}  # request id -> (prompt index, prompt opens <think>)
        try:
            for index, prompt in enumerate(prompts):
                inputs, opens = self._inputs(prompt)
                request_id = f"mc-{self._calls}-{index}"
                engine.add_request(request_id, inputs, self._params(prompt, sampling))
                pending[request_id] = (index, opens)
            while pending and engine.has_unfinished_requests():
                for request_output in engine.step():
                    if not request_output.finished or request_output.request_id not in pending:
                        continue
                    index, opens = pending.pop(request_output.request_id)
                    completions = [
                        Completion(text=o.text, num_tokens=len(o.token_ids),
                                   finish_reason="length" if o.finish_reason == "length" else "stop",
                                   thinking_prefilled=opens)
                        for o in request_output.outputs
                    ]
                    yield index, repeat_greedy(completions, sampling.n) if sampling.greedy else completions
        finally:
            if pending:  # stopped early (an error, Ctrl-C): do not leave requests running in the engine
                engine.abort_request(list(pending))

    def close(self) -> None:
        self.llm = None
