"""The packages depend on one another in one direction: mccore <- mcgen <- mceval <- mcdata <- mctrain.

Generation (backends, prompts, extraction, models) serves the dataset builder, the evaluator and
the trainer, so it lives in `mcgen`; the schema and file helpers every package needs live in
`mccore`. An import against that order would bring back the cycle that forced imports into
function bodies, so this test reads every module's imports (function bodies included).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ORDER = ["mccore", "mcgen", "mceval", "mcdata", "mctrain"]
# Imported inside functions on purpose: they pull in torch/vLLM/an HTTP client only when that backend is used.
LAZY_BY_DESIGN = {"mcgen.backends.hf", "mcgen.backends.vllm_backend", "mcgen.backends.openai_compat"}


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module, imported inside a function) for every absolute import in the file."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, True)
            elif isinstance(child, ast.Import):
                found.extend((alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module, in_function))
            else:
                visit(child, in_function)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def _modules(package: str) -> list[Path]:
    return [p for p in (REPO / package).rglob("*.py") if "inner" not in p.relative_to(REPO).parts]


def test_no_package_imports_one_above_it() -> None:
    wrong = []
    for rank, package in enumerate(ORDER):
        for path in _modules(package):
            for module, _ in _imports(path):
                top = module.split(".")[0]
                if top in ORDER and ORDER.index(top) > rank:
                    wrong.append(f"{path.relative_to(REPO)} imports {module}")
    assert not wrong, "\n".join(wrong)


def test_shared_pieces_are_imported_at_the_top_of_modules() -> None:
    hidden = []
    for package in ORDER:
        for path in _modules(package):
            for module, in_function in _imports(path):
                top = module.split(".")[0]
                if in_function and top in ORDER and top != package and module not in LAZY_BY_DESIGN:
                    hidden.append(f"{path.relative_to(REPO)} imports {module} inside a function")
    assert not hidden, "\n".join(hidden)


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    """The reader finds imports wherever they are, so the two checks above can fail."""
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from mcdata.pipeline import build_dataset\n    return build_dataset\n")
    assert _imports(module) == [("os", False), ("mcdata.pipeline", True)]
