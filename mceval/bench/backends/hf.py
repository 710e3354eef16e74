"""`--backend hf`: transformers `generate`, for CPU runs, tests and small models.

One `generate` call per prompt with `num_return_sequences=n`, seeded per prompt
(see `prompt_seed`), so results do not depend on batching or on resuming.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from mceval.bench.backends.base import GenerationBackend, Messages, prompt_seed
from mceval.bench.types import Completion, SamplingConfig
from mceval.prompts import render_prompt


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
    ) -> None:
        import torch

        from mceval.tiny_model import load_model_and_tokenizer

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
        self, prompts: Sequence[Messages], sampling: SamplingConfig
    ) -> Iterator[tuple[int, list[Completion]]]:
        for index, messages in enumerate(prompts):
            yield index, self._generate_one(messages, sampling)

    def _generate_one(self, messages: Messages, sampling: SamplingConfig) -> list[Completion]:
        import torch

        text = render_prompt(messages, self.tokenizer)
        encoded = self.tokenizer(text, return_tensors="pt", add_special_tokens=False).to(self.device)
        greedy = sampling.temperature == 0
        options: dict[str, Any] = dict(
            max_new_tokens=sampling.max_tokens,
            num_return_sequences=1 if greedy else sampling.n,
            do_sample=not greedy,
            eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id,
        )
        if greedy:  # greedy samples are identical: decode once, repeat n times
            options.update(temperature=None, top_p=None, top_k=None)
        else:
            options.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=0)
        devices = [torch.cuda.current_device()] if self.device.startswith("cuda") else []
        threads = torch.get_num_threads()
        try:
            if self.cpu_threads:
                torch.set_num_threads(self.cpu_threads)
            with torch.random.fork_rng(devices=devices), torch.inference_mode():
                torch.manual_seed(prompt_seed(sampling.seed, messages))
                output = self.model.generate(**encoded, **options)
        finally:
            torch.set_num_threads(threads)
        new_tokens = output[:, encoded["input_ids"].shape[1]:].tolist()
        completions = [self._completion(tokens) for tokens in new_tokens]
        return completions * sampling.n if greedy else completions

    def _completion(self, tokens: list[int]) -> Completion:
        """Cut at the first eos (the rest is padding); no eos within the budget means truncated."""
        for position, token in enumerate(tokens):
            if token in self.eos_ids:
                kept = tokens[:position]
                return Completion(self._decode(kept), num_tokens=position + 1, finish_reason="stop")
        return Completion(self._decode(tokens), num_tokens=len(tokens), finish_reason="length")

    def _decode(self, tokens: list[int]) -> str:
        return self.tokenizer.decode(tokens, skip_special_tokens=True)

    def close(self) -> None:
        self.model = None
