"""Upstream licenses: which license each source's rows carry, and where it is stated.

Why: a re-packer's label is not the data's license. DeepCoder's test files are MIT-labelled as a
bundle, but their CodeContests rows are CC-BY-4.0 and their CodeElo rows Apache-2.0; a dataset that
mixes sources must label every row with the license of the data it came from, and the card must
link each one. Identifiers follow the Hub's license list (lower-case SPDX where one exists).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Upstream:
    """One upstream data set: its license and where that license is stated."""

    name: str
    license: str
    url: str


UPSTREAMS: dict[str, Upstream] = {
    u.name: u
    for u in (
        Upstream("APPS", "mit", "https://github.com/hendrycks/apps/blob/main/LICENSE"),
        Upstream("TACO", "apache-2.0", "https://huggingface.co/datasets/BAAI/TACO"),
        Upstream("CodeContests", "cc-by-4.0", "https://github.com/google-deepmind/code_contests/blob/main/LICENSE"),
        Upstream("open-r1/codeforces", "cc-by-4.0", "https://huggingface.co/datasets/open-r1/codeforces"),
        Upstream("CodeElo", "apache-2.0", "https://huggingface.co/datasets/Qwen/CodeElo"),
        Upstream("LiveCodeBench", "cc", "https://huggingface.co/datasets/livecodebench/code_generation_lite"),
        Upstream("LeetCodeDataset", "mit", "https://github.com/newfacade/LeetCodeDataset/blob/main/LICENSE"),
        Upstream("PrimeIntellect SYNTHETIC-1", "unknown", "https://huggingface.co/datasets/PrimeIntellect/verifiable-coding-problems"),
        Upstream("DeepCoder-Preview", "mit", "https://huggingface.co/datasets/agentica-org/DeepCoder-Preview-Dataset"),
    )
}

LICENSE_URLS: dict[str, str] = {
    "mit": "https://opensource.org/license/mit",
    "apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "bsd-3-clause": "https://opensource.org/license/bsd-3-clause",
}

# Words in a DeepCoder file name or Hub config -> the upstream its rows come from.
_DEEPCODER_PARTS: tuple[tuple[str, str], ...] = (
    ("code_contests", "CodeContests"),
    ("codecontests", "CodeContests"),
    ("codeforces", "CodeElo"),
    ("codeelo", "CodeElo"),
    ("taco", "TACO"),
    ("lcb", "LiveCodeBench"),
    ("primeintellect", "PrimeIntellect SYNTHETIC-1"),
)


def upstream(name: str) -> Upstream:
    return UPSTREAMS[name]


def deepcoder_upstream(location: str) -> Upstream:
    """The upstream of a DeepCoder row from where it was read (rllm's test files, or the Hub config)."""
    text = location.lower().replace("-", "_")
    for part, name in _DEEPCODER_PARTS:
        if part in text:
            return UPSTREAMS[name]
    return UPSTREAMS["DeepCoder-Preview"]


_SOURCE_UPSTREAM = {
    "apps": "APPS", "taco": "TACO", "codecontests": "CodeContests", "codeforces": "open-r1/codeforces",
    "lcb": "LiveCodeBench", "leetcodedataset": "LeetCodeDataset",
}


def upstream_name(source: str, stats: dict) -> str | None:
    """The upstream a row came from: recorded by its adapter (DeepCoder), else fixed by its source."""
    return stats.get("upstream") or _SOURCE_UPSTREAM.get(source)
