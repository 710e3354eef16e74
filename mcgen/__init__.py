"""Generation: turning problems into model answers, for every package that needs answers.

The dataset builder (difficulty by pass rate, the difficulty judge), the evaluator (`eval --bench`)
and the trainer (temperature calibration, rollouts' prompts) all sample from models the same way,
so the pieces live here rather than in any one of them:

- `backends`: `make_backend("hf" | "openai" | "vllm", ...)` and `SamplingConfig` (`types`)
- `prompts`, `prompt_styles`: the chat messages LiveCodeBench and MicroCoder send
- `extract`: the code inside an answer
- `tiny_model`, `gguf_model`: the models `--model` names (tiny-random, smollm2-135m, GGUF files)

It depends only on `mccore`; `mcdata`, `mceval` and `mctrain` import it at the top of their modules.
"""
