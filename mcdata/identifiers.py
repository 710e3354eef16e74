"""Platform identifiers of a problem: the same task under different statements.

Why: text matching misses a judge's own rewordings (LeetCode rewrites its statements between
scrapes: 8 of 78 real LiveCodeBench LeetCode problems evaded the n-gram rule), but the identifier
does not change. LiveCodeBench names its problems by platform id: the LeetCode slug is LCB's
`question_title`, AtCoder task ids (`abc301_a`) are its `question_id`, Codeforces problems are
contest + index (`1873_A`). Sources carry the same ids in their own shapes (LeetCodeDataset's
`task_id` slug as title, open-r1's `1999/A`, CodeContests' `1548_A. Name` and `cf_contest_id`,
APPS/TACO URLs). All map to `platform:id` keys here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mccore.schema import Problem

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
_ATCODER = re.compile(r"^(?:abc|arc|agc|ahc)\d{3}_[a-z]\d?$")
_CF = re.compile(r"^(\d{1,5})[_/ ]?([A-Z]\d?)(?:\.|$|\s)")
_CF_URL = re.compile(r"codeforces\.com/(?:problemset/problem|contest|gym)/(\d+)/(?:problem/)?([A-Za-z]\d?)")
_ATCODER_URL = re.compile(r"atcoder\.jp/contests/[\w-]+/tasks/([a-z0-9_]+)")
_LEETCODE_URL = re.compile(r"leetcode\.com/problems/([a-z0-9-]+)")


def codeforces_key(contest: Any, index: Any) -> str:
    return f"codeforces:{int(contest)}{str(index).upper()}"


def problem_keys(problem: Problem) -> set[str]:
    """Every platform identifier the problem carries, as `platform:id` strings."""
    keys: set[str] = set()
    stats = problem.stats
    url = str(stats.get("url") or "")
    if m := _LEETCODE_URL.search(url):
        keys.add(f"leetcode:{m.group(1)}")
    if m := _ATCODER_URL.search(url):
        keys.add(f"atcoder:{m.group(1)}")
    if m := _CF_URL.search(url):
        keys.add(codeforces_key(m.group(1), m.group(2)))
    if stats.get("cf_contest_id") and stats.get("cf_index"):
        keys.add(codeforces_key(stats["cf_contest_id"], stats["cf_index"]))
    upstream_id = str(stats.get("upstream_id") or problem.problem_id)
    for text in (upstream_id, problem.title):
        text = (text or "").strip()
        if problem.platform == "leetcode" or problem.source == "leetcodedataset":
            if _SLUG.match(text):
                keys.add(f"leetcode:{text}")
        if _ATCODER.match(text):
            keys.add(f"atcoder:{text}")
        if problem.platform == "codeforces" or problem.source in ("codeforces", "codecontests", "lcb"):
            if m := _CF.match(text):
                keys.add(codeforces_key(m.group(1), m.group(2)))
    if problem.source == "lcb" and problem.platform == "leetcode" and upstream_id.isdigit():
        keys.add(f"leetcode-id:{upstream_id}")  # LCB numbers LeetCode problems by their internal id
    return keys


def reference_keys(row: Mapping[str, Any]) -> set[str]:
    """Identifiers of a LiveCodeBench row (statement files, code_generation_lite, leaderboard ids)."""
    platform = str(row.get("platform") or "").lower()
    qid = str(row.get("question_id") or "").strip()
    title = str(row.get("question_title") or "").strip()
    keys: set[str] = set()
    if platform == "leetcode":
        if _SLUG.match(title):
            keys.add(f"leetcode:{title}")
        if qid.isdigit():
            keys.add(f"leetcode-id:{qid}")
    elif platform == "atcoder" and qid:
        keys.add(f"atcoder:{qid}")
    elif platform == "codeforces" and (m := _CF.match(qid)):
        keys.add(codeforces_key(m.group(1), m.group(2)))
    return keys
