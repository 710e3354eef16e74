"""Entry point of a sandbox: `python -I -S launch.py < CONFIG_JSON`, started by
`mceval.sandbox.Sandbox`. Standard library only: the project is not mounted inside, and nothing of
the grader (whose memory holds expected outputs) may be imported. See boot.py for what follows.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

PACKAGE = "mceval_sandbox_inner"


def _load_package() -> None:
    """Import this folder as a package under a private name, before anything is mounted (the
    sandbox never sees these files). Every module is loaded now, so the zygote and the children
    inherit them."""
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(PACKAGE, os.path.join(here, "__init__.py"),
                                                  submodule_search_locations=[here])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    for name in ("wire", "codec", "isolate", "meter", "scratch", "lcb", "child", "zygote", "supervisor", "boot"):
        __import__(f"{PACKAGE}.{name}")


def _read_config() -> dict:
    """The configuration, from stdin (which then becomes /dev/null)."""
    chunks = []
    while chunk := os.read(0, 1 << 16):
        chunks.append(chunk)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return json.loads(b"".join(chunks))


if __name__ == "__main__":
    _load_package()
    sys.modules[f"{PACKAGE}.boot"].boot(_read_config())
