"""A tiny, randomly initialised Qwen2-style causal LM with an in-memory tokenizer.

Why: tests and CPU smoke runs of the evaluator and the trainer need a real `transformers`
model and tokenizer (chat template, eos/pad, `generate`, `save_pretrained`) without
downloading anything. The tokenizer is byte-level BPE with no merges: every UTF-8 byte is a
token, so any text round-trips, and the vocabulary stays at 256 + a few special tokens.
The model is random: its outputs are gibberish, which is exactly what the graders must
survive (no code block -> NO_CODE, truncation -> finish_reason "length").
"""

from __future__ import annotations

from pathlib import Path

from mccore.hub import HubUnreachableError, check_hub_reachable, hub_offline, looks_like_local_path
from mcgen.gguf_model import cache_root, resolve_model, saved_once

TINY_MODEL_NAME = "tiny-random"

# Qwen2-style special tokens; <|im_end|> ends an assistant turn and is the eos token.
PAD_TOKEN = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
SPECIAL_TOKENS = (PAD_TOKEN, IM_START, IM_END)

# The ChatML template Qwen2 models ship (system message optional, generation prompt opens
# an assistant turn). Kept small on purpose: no tools, no reasoning blocks.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


def build_tiny_tokenizer():
    """A byte-level `PreTrainedTokenizerFast` built in memory, with Qwen's chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    byte_chars = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {ch: i for i, ch in enumerate(byte_chars)}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=IM_END,
        pad_token=PAD_TOKEN,
        additional_special_tokens=[IM_START],
        model_max_length=32768,
    )
    # Special tokens may not have been added by the constructor in every version; make sure.
    tokenizer.add_special_tokens({"eos_token": IM_END, "pad_token": PAD_TOKEN})
    tokenizer.add_tokens([IM_START], special_tokens=True)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.padding_side = "left"  # decoder-only generation pads on the left
    return tokenizer


def build_tiny_model(seed: int = 0, *, num_layers: int = 2, hidden_size: int = 64):
    """Return `(model, tokenizer)`: a random Qwen2ForCausalLM (~100K parameters) and its tokenizer.

    The same seed gives the same weights, so tests are reproducible.
    """
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    tokenizer = build_tiny_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=32768,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
    model.eval()
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        do_sample=True,
        temperature=1.0,
        top_p=1.0,
        top_k=0,
    )
    return model, tokenizer


def tiny_model_folder(seed: int = 0) -> Path:
    """The tiny model of `seed` saved once in the user cache, so code that reloads the policy by path
    (TRL builds the KL reference model with `from_pretrained`) finds exactly these weights."""
    return saved_once(cache_root() / "models" / f"{TINY_MODEL_NAME}-seed{seed}", lambda folder: save_tiny_model(folder, seed))


def save_tiny_model(directory: str | Path, seed: int = 0, **model_options) -> Path:
    """Write the tiny model and tokenizer with `save_pretrained`, loadable by `--model DIR`,
    `AutoModelForCausalLM.from_pretrained`, `transformers serve` and vLLM (which needs a larger
    head size: pass hidden_size=256). Returns the directory."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model, tokenizer = build_tiny_model(seed, **model_options)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def load_model_and_tokenizer(name_or_path: str, *, seed: int = 0, dtype: str | None = None,
                             trust_remote_code: bool = False):
    """`tiny-random` builds the tiny model; `smollm2-135m` (the small real model) and `*.gguf` files
    load through a converted folder (mcgen.gguf_model); anything else goes to `from_pretrained`
    (local directory, or a Hub id when the Hub answers or the model is cached)."""
    if name_or_path == TINY_MODEL_NAME:
        return build_tiny_model(seed)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    name_or_path = resolve_model(name_or_path)  # smollm2-135m / *.gguf -> a converted local folder

    kwargs: dict = {"dtype": dtype} if dtype else {}
    if trust_remote_code:
        kwargs["trust_remote_code"] = True
    local = Path(name_or_path).expanduser()
    if local.is_dir() and not (local / "config.json").is_file():
        raise FileNotFoundError(f"model directory {name_or_path} has no config.json: not a saved transformers model")
    if not local.is_dir() and looks_like_local_path(name_or_path):
        raise FileNotFoundError(f"model directory {name_or_path} does not exist")
    if not local.is_dir() and not hub_offline():
        try:  # one quick check instead of minutes of retries; a cached model still loads offline
            check_hub_reachable(f"model {name_or_path}")
        except HubUnreachableError:
            from huggingface_hub import try_to_load_from_cache

            if not isinstance(try_to_load_from_cache(name_or_path, "config.json"), str):
                raise
            kwargs["local_files_only"] = True
    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, local_files_only=kwargs.get("local_files_only", False),
                                                  trust_remote_code=trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(name_or_path, **kwargs)
    except OSError as exc:  # transformers' "not found / cannot connect": a user error, not a crash
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FileNotFoundError(
            f"cannot load model {name_or_path!r}: {reason} — pass a local model directory, or download it "
            f"first (`hf download {name_or_path}`) on a machine with network access"
        ) from exc
    model.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"
    return model, tokenizer
