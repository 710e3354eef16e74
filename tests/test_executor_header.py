"""The sandbox server runs a solution's leading imports of preloaded modules once, outside the
children (`Server.functional_module`); this checks what it splits off and what it refuses.
The end-to-end equivalence is checked through the grader in test_grader_idioms.py."""

from __future__ import annotations

import gc
import math

import pytest

from mceval.executor import Server


@pytest.fixture(scope="module")
def server():
    yield Server({}, -1, -1)  # the constructor only builds the preamble; no fds are touched
    gc.unfreeze()  # caching a header freezes the collector's objects, as in the sandbox


def test_header_is_run_once_and_line_numbers_are_kept(server):
    code = "import math\nfrom math import *\n\nclass Solution:\n    pass\n"
    module, rest = server.functional_module(code)
    assert module is not server.functional_main
    assert rest == "\n\n\nclass Solution:\n    pass\n"  # same line numbers as the original
    assert module.pow is math.pow  # the header's star import re-binds what the preamble un-shadowed
    assert "pow" not in vars(server.functional_main)
    again, _ = server.functional_module(code + "# another sample\n")
    assert again is module  # cached per distinct header


@pytest.mark.parametrize("code", [
    "from sys import stdin\nclass Solution: pass",  # would bind the server's stdin, not the child's
    "import numpy as np\nclass Solution: pass",  # aliases and modules outside the allowlist
    "import os.path\nclass Solution: pass",
    "from __future__ import annotations\nimport math\nclass Solution: pass",  # must stay first
    "x = 1\nimport math\nclass Solution: pass",  # only LEADING imports
    "from math import (\n    floor)\nclass Solution: pass",
    "class Solution: pass",
])
def test_not_split(server, code):
    module, rest = server.functional_module(code)
    assert module is server.functional_main and rest == code


def test_failing_header_runs_in_the_child(server):
    code = "from math import no_such_name\nclass Solution: pass"
    module, rest = server.functional_module(code)
    assert module is server.functional_main and rest == code  # the child raises the ImportError
