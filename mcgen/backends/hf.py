"""`--backend hf`: transformers `generate`, for CPU runs, tests and small models.

One `generate` call per prompt with `num_return_sequences=n`, seeded per prompt
(see `prompt_seed`), so results do not depend on batching or on resuming. Every sampling value is
passed explicitly (`hf_generate_kwargs`), so the model's own generation config (a Qwen2.5
repetition penalty, a top_k) does not change the sampling; stop strings end a response and are
cut from its text, as vLLM and servers do.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence

from mcgen.backends.base import GenerationBackend, Prompt, prompt_seed
from mcgen.backends.sampling import hf_generate_kwargs
from mcgen.prompts import render_prompt
from mcgen.thinking import prompt_opens_thinking
from mcgen.types import Completion, SamplingConfig, repeat_greedy


class HFBackend(GenerationBackend):
    """Generate with a `transformers` causal LM. Pass `model` as a name/path (`tiny-random` builds
    the tiny test model), or pass already-loaded `model` and `tokenizer` objects (the trainer does)."""

    name = "hf"

    def __init__(
        self,
        model: Any = "tiny-random",
        tokenizer: Any = None,
        *,
        device: str | None = None,
        dtype: str | None = None,
        seed: int = 0,
        cpu_threads: int | None = None,
        chat_template_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        import torch

        from mcgen.tiny_model import load_model_and_tokenizer

        caller_model = not isinstance(model, str)
        if not caller_model:
            self.model_id = model
            model, loaded_tokenizer = load_model_and_tokenizer(model, seed=seed, dtype=dtype)
            tokenizer = tokenizer or loaded_tokenizer
        else:
            if tokenizer is None:
                raise ValueError("HFBackend: pass `tokenizer` together with a model object")
            self.model_id = getattr(getattr(model, "config", None), "_name_or_path", "") or type(model).__name__
        if device is None and caller_model and hasattr(model, "device"):
            device = str(model.device)  # a caller's model (e.g. being trained) stays where it is
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(device)
        self.tokenizer = tokenizer
        self.device = device
        self.chat_template_kwargs = dict(chat_template_kwargs or {})
        eos = self.model.generation_config.eos_token_id
        eos_ids = list(eos) if isinstance(eos, (list, tuple)) else [eos]
        if tokenizer.eos_token_id is not None:
            eos_ids.append(tokenizer.eos_token_id)
        self.eos_ids = sorted({int(e) for e in eos_ids if e is not None})
        if not self.eos_ids:
            raise ValueError(f"{self.model_id}: neither the tokenizer nor the generation config names an eos token")
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_ids[0]
        # Tiny models spend their time synchronising threads, badly so on a busy machine: one
        # thread is several times faster there. Larger models keep torch's setting.
        small = sum(p.numel() for p in self.model.parameters()) < 10_000_000
        self.cpu_threads = cpu_threads or (1 if small and self.device == "cpu" else None)

    def iter_generate(
        self, prompts: Sequence[Prompt], sampling: SamplingConfig
    ) -> Iterator[tuple[int, list[Completion]]]:
        for index, prompt in enumerate(prompts):
            yield index, self._generate_one(prompt, sampling)

    @classmethod
    def sampling_parameters(cls, sampling: SamplingConfig) -> dict[str, Any]:
        return hf_generate_kwargs(sampling)

    def _generate_one(self, prompt: Prompt, sampling: SamplingConfig) -> list[Completion]:
        import torch

        text = render_prompt(prompt, self.tokenizer, self.chat_template_kwargs)
        encoded = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(self.device)
        options = dict(hf_generate_kwargs(sampling), eos_token_id=self.eos_ids, pad_token_id=self.pad_id)
        if sampling.stop:
            options["tokenizer"] = self.tokenizer  # generate() needs it to find stop strings
        devices = [torch.cuda.current_device()] if self.device.startswith("cuda") else []
        threads = torch.get_num_threads()
        try:
            if self.cpu_threads:
                torch.set_num_threads(self.cpu_threads)
            with torch.random.fork_rng(devices=devices), torch.inference_mode():
                torch.manual_seed(prompt_seed(sampling.seed, prompt))
                output = self.model.generate(**encoded, **options)
        finally:
            torch.set_num_threads(threads)
        new_tokens = output[:, encoded["input_ids"].shape[1]:].tolist()
        prefilled = prompt_opens_thinking(text)
        completions = [self._completion(tokens, sampling.stop, prefilled) for tokens in new_tokens]
        return repeat_greedy(completions, sampling.n) if sampling.greedy else completions

    def _completion(self, tokens: list[int], stop: Sequence[str] = (), prefilled: bool = False) -> Completion:
        """Cut at the first eos (the rest is padding) or stop string; neither within the budget
        means truncated."""
        end = next((i for i, token in enumerate(tokens) if token in self.eos_ids), None)
        if end is not None:
            return self._stopped(self._decode(tokens[:end]), end + 1, stop, prefilled)
        if stop:  # a sequence that ended at a stop string is padded up to the longest one
            while tokens and tokens[-1] == self.pad_id:
                tokens = tokens[:-1]
        text = self._decode(tokens)
        if any(s in text for s in stop):
            return self._stopped(text, len(tokens), stop, prefilled)
        return Completion(text, num_tokens=len(tokens), finish_reason="length", thinking_prefilled=prefilled)

    @staticmethod
    def _stopped(text: str, num_tokens: int, stop: Sequence[str], prefilled: bool) -> Completion:
        cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=len(text))
        return Completion(text[:cut], num_tokens=num_tokens, finish_reason="stop", thinking_prefilled=prefilled)

    def _decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

    def close(self) -> None:
        self.model = None
