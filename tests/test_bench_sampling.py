"""Sampling that means the same on every backend: one SamplingConfig, every value sent explicitly.

The hf backend runs the tiny model for real. vLLM is not installed here (no GPU), so the vllm
backend is driven through a stand-in `vllm` module whose engine records what the backend passes
(parameters, request order, aborts) and finishes requests in the order a real scheduler might.
The openai backend's request bodies are checked against a real server in tests/test_bench_openai.py.
"""

from __future__ import annotations

import json
import string
import sys
import types

import pytest
from test_bench_prompts import THINKING_TEMPLATE

from mccore.schema import Problem, TestCase
from mcgen.backends import make_backend
from mcgen.backends.sampling import hf_generate_kwargs, openai_sampling_fields, vllm_sampling_kwargs
from mcgen.prompts import build_chat_messages
from mcgen.tiny_model import build_tiny_model
from mcgen.types import Completion, SamplingConfig

STDIN = Problem(problem_id="abc1_a", source="lcb", statement="Print A+B.", tests=(TestCase("1 2\n", "3\n"),))
QWEN_LIKE = SamplingConfig(n=4, temperature=0.7, top_p=0.8, max_tokens=64, seed=3, top_k=20, min_p=0.05,
                           repetition_penalty=1.05, stop=("###",))


def test_sampling_config_validates_and_normalises():
    assert SamplingConfig(top_k=-1).top_k == 0  # vLLM's spelling of "off"
    assert SamplingConfig(stop="###").stop == ("###",)
    assert SamplingConfig(stop=["a", "b"]).to_dict()["stop"] == ["a", "b"]
    for bad, message in [({"top_k": -2}, "top_k"), ({"min_p": 1.5}, "min_p"), ({"repetition_penalty": 0}, "repetition"),
                         ({"stop": [""]}, "stop")]:
        with pytest.raises(ValueError, match=message):
            SamplingConfig(**bad)


def test_every_backend_gets_every_value():
    assert vllm_sampling_kwargs(QWEN_LIKE, seed=11) == {
        "n": 4, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "min_p": 0.05, "repetition_penalty": 1.05,
        "presence_penalty": 0.0, "frequency_penalty": 0.0, "max_tokens": 64, "stop": ["###"], "seed": 11}
    assert hf_generate_kwargs(QWEN_LIKE) == {
        "max_new_tokens": 64, "num_return_sequences": 4, "do_sample": True, "repetition_penalty": 1.05,
        "temperature": 0.7, "top_p": 0.8, "top_k": 20, "min_p": 0.05, "stop_strings": ["###"]}
    assert openai_sampling_fields(QWEN_LIKE, "vllm", seed=5) == {
        "n": 1, "max_tokens": 64, "temperature": 0.7, "top_p": 0.8, "seed": 5, "stop": ["###"], "top_k": 20,
        "min_p": 0.05, "repetition_penalty": 1.05, "presence_penalty": 0.0, "frequency_penalty": 0.0}
    fields = openai_sampling_fields(QWEN_LIKE, "transformers", seed=5)
    assert json.loads(fields.pop("generation_config")) == {"top_k": 20, "min_p": 0.05, "repetition_penalty": 1.05}
    assert fields == {"n": 1, "max_tokens": 64, "temperature": 0.7, "top_p": 0.8, "seed": 5, "stop": ["###"]}
    with pytest.raises(ValueError, match="--top-k, --min-p, --repetition-penalty cannot be sent with --server-dialect openai"):
        openai_sampling_fields(QWEN_LIKE, "openai", seed=5)


def test_off_is_spelled_the_way_each_backend_spells_it():
    plain = SamplingConfig(n=3, temperature=0.2)
    assert vllm_sampling_kwargs(plain, None)["top_k"] == -1 and vllm_sampling_kwargs(plain, None)["min_p"] == 0.0
    assert hf_generate_kwargs(plain)["top_k"] == 0 and hf_generate_kwargs(plain)["min_p"] is None  # None: off, not "model default"
    assert openai_sampling_fields(plain, "vllm", None)["top_k"] == -1 and "seed" not in openai_sampling_fields(plain, "vllm", None)
    greedy = SamplingConfig(n=10, temperature=0.0, repetition_penalty=1.1)
    assert vllm_sampling_kwargs(greedy, 1)["n"] == 1 and hf_generate_kwargs(greedy)["num_return_sequences"] == 1
    assert hf_generate_kwargs(greedy)["repetition_penalty"] == 1.1 and hf_generate_kwargs(greedy)["do_sample"] is False


def test_hf_backend_ignores_the_models_own_generation_config():
    """A model whose generation_config.json asks for top_k 3 and a repetition penalty samples exactly
    like one without: every value is passed, so nothing falls back to the model's config."""
    sampling = SamplingConfig(n=3, temperature=1.0, top_p=0.95, max_tokens=16, seed=4)
    plain = make_backend("hf", model=build_tiny_model(seed=0)[0], tokenizer=build_tiny_model(seed=0)[1])
    model, tokenizer = build_tiny_model(seed=0)
    model.generation_config.top_k, model.generation_config.repetition_penalty = 3, 1.8
    model.generation_config.min_p = 0.2
    configured = make_backend("hf", model=model, tokenizer=tokenizer)
    prompts = [build_chat_messages(STDIN)]
    assert configured.generate(prompts, sampling) == plain.generate(prompts, sampling)
    # and the values given do reach generate(): a different top_k changes the samples
    assert configured.generate(prompts, SamplingConfig(n=3, temperature=1.0, max_tokens=16, seed=4, top_k=3)) != \
        plain.generate(prompts, sampling)


def test_hf_backend_renders_with_the_options_and_sees_a_prefilled_think() -> None:
    """The hf backend passes --chat-template-kwargs to the template; a template that opens <think>
    marks the answers as starting inside it (what the thinking cut-off count needs)."""
    model, tokenizer = build_tiny_model(seed=0)
    tokenizer.chat_template = THINKING_TEMPLATE
    sampling = SamplingConfig(n=1, temperature=1.0, max_tokens=4)
    thinking = make_backend("hf", model=model, tokenizer=tokenizer).generate([build_chat_messages(STDIN)], sampling)
    plain = make_backend("hf", model=model, tokenizer=tokenizer, chat_template_kwargs={"enable_thinking": False})
    assert thinking[0][0].thinking_prefilled and not plain.generate([build_chat_messages(STDIN)], sampling)[0][0].thinking_prefilled


def test_hf_backend_stops_at_stop_strings():
    model, tokenizer = build_tiny_model(seed=0)
    backend = make_backend("hf", model=model, tokenizer=tokenizer)
    free = backend.generate([build_chat_messages(STDIN)], SamplingConfig(n=4, temperature=1.0, max_tokens=48, seed=2))[0]
    # the tiny model writes random bytes: stop at a printable character two of its answers contain
    stop = next(ch for ch in string.ascii_letters + string.digits if sum(ch in c.text for c in free) >= 2)
    stopped = backend.generate([build_chat_messages(STDIN)],
                               SamplingConfig(n=4, temperature=1.0, max_tokens=48, seed=2, stop=(stop,)))[0]
    assert all(stop not in c.text for c in stopped)
    for before, after in zip(free, stopped):
        if stop in before.text:  # same seed: the same text up to the stop string, then it ends
            assert after.finish_reason == "stop" and before.text.startswith(after.text)
            assert after.text == before.text[: before.text.index(stop)]
        else:
            assert after == before


# ---------------------------------------------------------------------------- vllm (stand-in engine)
class _FakeEngine:
    """vLLM's LLMEngine surface the backend uses; finishes requests in reverse submission order."""

    def __init__(self, texts_per_request: int) -> None:
        self.added: list[tuple[str, dict, dict]] = []
        self.aborted: list[str] = []
        self.steps = 0
        self.texts = texts_per_request

    def add_request(self, request_id, inputs, params):
        self.added.append((request_id, inputs, params.kwargs))

    def has_unfinished_requests(self):
        return len(self.added) > self.steps

    def step(self):
        request_id, _, params = self.added[len(self.added) - 1 - self.steps]
        self.steps += 1
        outputs = [types.SimpleNamespace(text=f"{request_id}/{i}", token_ids=[1] * (i + 2),
                                         finish_reason="length" if i == 0 else "stop") for i in range(params["n"])]
        return [types.SimpleNamespace(request_id="noise", finished=False, outputs=[]),
                types.SimpleNamespace(request_id=request_id, finished=True, outputs=outputs)]

    def abort_request(self, ids):
        self.aborted.extend(ids)


@pytest.fixture
def fake_vllm(monkeypatch):
    class SamplingParams:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

    class LLM:
        def __init__(self, **options):
            self.options = options
            self.llm_engine = _FakeEngine(texts_per_request=0)

        def get_tokenizer(self):
            return build_tiny_model(seed=0)[1]

    module = types.ModuleType("vllm")
    module.LLM, module.SamplingParams = LLM, SamplingParams
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def test_vllm_backend_submits_everything_and_yields_as_requests_finish(fake_vllm):
    backend = make_backend("vllm", model="tiny-random", chat_template_kwargs={"enable_thinking": False})
    prompts = [build_chat_messages(STDIN), "finished text <think>\n", build_chat_messages(STDIN)[1:]]
    results = list(backend.iter_generate(prompts, QWEN_LIKE))
    engine = backend.llm.llm_engine
    assert len(engine.added) == 3 and engine.steps == 3  # all submitted up front, then vLLM schedules
    assert [index for index, _ in results] == [2, 1, 0]  # yielded in the order they finished
    assert all(len(c) == 4 for _, c in results)
    by_index = dict(results)
    assert by_index[1][0] == Completion("mc-1-1/0", 2, "length", thinking_prefilled=True)
    assert by_index[0][1].finish_reason == "stop" and not by_index[0][1].thinking_prefilled
    params = engine.added[0][2]
    assert {k: v for k, v in params.items() if k != "seed"} == {k: v for k, v in vllm_sampling_kwargs(QWEN_LIKE, 0).items()
                                                              if k != "seed"}
    assert len({p["seed"] for _, _, p in engine.added}) == 3  # a seed per prompt, derived from its content
    # a finished text is tokenized as it is, without a second BOS or a template
    tokenizer = backend.tokenizer
    assert engine.added[1][1] == {"prompt_token_ids": tokenizer("finished text <think>\n", add_special_tokens=False)["input_ids"]}


def test_vllm_greedy_asks_for_one_sample_and_repeats_it(fake_vllm):
    backend = make_backend("vllm", model="tiny-random")
    [(index, completions)] = list(backend.iter_generate([build_chat_messages(STDIN)],
                                                        SamplingConfig(n=10, temperature=0.0, max_tokens=8)))
    assert backend.llm.llm_engine.added[0][2]["n"] == 1  # vLLM refuses n > 1 at temperature 0
    assert completions == [completions[0]] * 10


def test_vllm_stopped_early_aborts_what_is_in_flight(fake_vllm):
    backend = make_backend("vllm", model="tiny-random")
    stream = backend.iter_generate([build_chat_messages(STDIN)] * 3, SamplingConfig(n=1, max_tokens=8))
    next(stream)
    stream.close()  # the caller stops (an error, Ctrl-C)
    assert sorted(backend.llm.llm_engine.aborted) == ["mc-1-0", "mc-1-1"]
    # the next call uses fresh request ids, so nothing left over can be mistaken for its own
    list(backend.iter_generate([build_chat_messages(STDIN)], SamplingConfig(n=1, max_tokens=8)))
    assert backend.llm.llm_engine.added[-1][0] == "mc-2-0"
