"""A baseline grader with LiveCodeBench's PROCESS LAYOUT (our own code, used only by benchmarks).

LiveCodeBench's `lcb_runner` grades each generation with a process pool over samples; per sample
it starts a `multiprocessing.Manager` (a server process) plus a `multiprocessing.Process` worker,
`exec`s the code in that worker and times each test with SIGALRM (`lcb_runner/evaluation/testing_util.py`
in LiveCodeBench). This module reproduces that layout - the cost
structure is what we compare against - with simple, LCB-like judging (Python `==` after a
top-level tuple->list, early exit at the first failure). It is NOT a sandbox: never feed it
untrusted code.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Any

IMPORTS = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\nfrom random import *\n"
    "from statistics import *\nfrom itertools import *\nfrom functools import *\nfrom operator import *\n"
    "from io import *\nfrom sys import *\nfrom json import *\nfrom builtins import *\nfrom typing import *\n"
    "import string, re, datetime, collections, heapq, bisect, copy, math, random, statistics, itertools\n"
    "import functools, operator, io, sys, json\nsys.setrecursionlimit(50000)\n"
)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def _run_test(sample: dict, code: str, timeout: int, result: Any) -> None:
    """The worker: exec the code in-process, then run the tests in order under SIGALRM."""
    signal.signal(signal.SIGALRM, _alarm)
    outcomes: list[int | bool] = []
    try:
        namespace: dict = {}
        signal.alarm(timeout)
        exec(IMPORTS + code, namespace)
        signal.alarm(0)
        method = getattr(namespace["Solution"](), sample["fn_name"])  # one instance for all tests (as LCB)
    except BaseException:  # noqa: BLE001
        signal.alarm(0)
        result.append([-4])
        return
    for inputs, expected in zip(sample["inputs"], sample["outputs"]):
        args = [json.loads(line) for line in inputs.split("\n")]
        try:
            signal.alarm(timeout)
            got = method(*args)
            signal.alarm(0)
        except _Timeout:
            outcomes.append(-3)
            break
        except BaseException:  # noqa: BLE001
            signal.alarm(0)
            outcomes.append(-4)
            break
        if isinstance(got, tuple):
            got = list(got)
        if got != json.loads(expected):
            outcomes.append(-2)
            break
        outcomes.append(True)
    result.append(outcomes)


def check_correctness(sample: dict, code: str, timeout: int = 6) -> list[int | bool]:
    """Per sample: a Manager process for the result list and a Process running the tests."""
    manager = multiprocessing.Manager()
    try:
        result = manager.list()
        p = multiprocessing.Process(target=_run_test, args=(sample, code, timeout, result))
        p.start()
        p.join(timeout=(timeout + 1) * len(sample["inputs"]) + 5)
        if p.is_alive():
            p.kill()
        return list(result[0]) if result else [-1] * len(sample["inputs"])
    finally:
        manager.shutdown()


def _check_one(args):
    return check_correctness(*args)


def grade_lcb_layout(samples: list[tuple[dict, str]], workers: int, timeout: int = 6) -> list[list[int | bool]]:
    """Grade (sample, code) pairs with a process pool over samples, as lcb_runner does.
    `sample` = {"fn_name": ..., "inputs": [...], "outputs": [...]} (LCB's input_output)."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_check_one, [(s, c, timeout) for s, c in samples]))
