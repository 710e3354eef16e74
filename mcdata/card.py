"""The dataset card: README.md with Hub YAML metadata, a stats section and a histogram image.

The YAML `dataset_info` is generated from `mcdata.schema.problem_features()` by `datasets`
itself (`DatasetInfosDict.to_dataset_card_data`), so the card can never disagree with the
Parquet schema; `configs` points the default config's train split at `data/train-*`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from mcdata.atomic import atomic_savefig, atomic_write_text
from mcdata.report import BuildReport
from mcdata.schema import Problem

HISTOGRAM = "stats.png"


@dataclass
class CardConfig:
    """> Dataset card metadata.

    pretty_name / license: shown on the Hub. The license of a mixed build is "other" unless set:
    every row keeps its source license in the `license` column.
    """

    pretty_name: str = "MicroCoder-Dataset"
    license: str | None = None
    tags: tuple[str, ...] = ("code", "reinforcement-learning", "competitive-programming", "microcoder")


@dataclass
class DatasetStats:
    """Counts the card reports; built in one streaming pass over the written rows."""

    rows: int = 0
    by_source: Counter = field(default_factory=Counter)
    by_difficulty: Counter = field(default_factory=Counter)
    by_platform: Counter = field(default_factory=Counter)
    by_year: Counter = field(default_factory=Counter)
    by_license: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    tests: int = 0

    def add(self, problem: Problem) -> None:
        self.rows += 1
        self.by_source[problem.source] += 1
        self.by_difficulty[problem.difficulty or "unknown"] += 1
        self.by_platform[problem.platform] += 1
        self.by_year[problem.contest_date[:4] if problem.contest_date else "undated"] += 1
        self.by_license[problem.license] += 1
        self.by_kind["functional" if problem.is_functional else "stdin"] += 1
        self.tests += len(problem.tests)

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> "DatasetStats":
        stats = cls()
        for problem in problems:
            stats.add(problem)
        return stats


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def plot_histogram(stats: DatasetStats, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    panels = [
        ("difficulty", _ordered(stats.by_difficulty, ["easy", "medium", "hard", "unknown"])),
        ("source", sorted(stats.by_source.items())),
        ("contest year", sorted(stats.by_year.items())),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (title, items) in zip(axes, panels):
        labels = [k for k, _ in items]
        ax.bar(range(len(items)), [v for _, v in items], color="#4C72B0")
        ax.set_xticks(range(len(items)), labels, rotation=30 if len(items) > 4 else 0, ha="right" if len(items) > 4 else "center")
        ax.set_title(f"problems by {title}")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return atomic_savefig(fig, path, dpi=90)


def _ordered(counter: Counter, order: list[str]) -> list[tuple[str, int]]:
    known = [(k, counter[k]) for k in order if counter.get(k)]
    return known + sorted((k, v) for k, v in counter.items() if k not in order)


def _table(counter: Counter, total: int, header: str) -> str:
    lines = [f"| {header} | problems | share |", "|---|---:|---:|"]
    for key, value in counter.most_common():
        lines.append(f"| {key} | {value:,} | {value / total:.1%} |" if total else f"| {key} | {value} | - |")
    return "\n".join(lines)


def card_metadata(stats: DatasetStats, data_files: list[Path], cfg: CardConfig, split: str = "train"):
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    from mcdata.schema import problem_features

    num_bytes = sum(f.stat().st_size for f in data_files)
    info = DatasetInfo(features=problem_features())
    splits = SplitDict()
    splits.add(SplitInfo(name=split, num_bytes=num_bytes, num_examples=stats.rows))
    info.splits = splits
    info.download_size = num_bytes
    info.dataset_size = num_bytes
    licenses = sorted(stats.by_license)
    card = DatasetCardData(
        license=cfg.license or (licenses[0].lower() if len(licenses) == 1 and licenses[0] != "unknown" else "other"),
        task_categories=["text-generation"],
        language=["en"],
        tags=list(cfg.tags),
        size_categories=[size_category(stats.rows)],
        pretty_name=cfg.pretty_name,
        configs=[{"config_name": "default", "data_files": [{"split": split, "path": f"data/{split}-*"}]}],
    )
    DatasetInfosDict({"default": info}).to_dataset_card_data(card)
    return card


def render_card(stats: DatasetStats, report: BuildReport, data_files: list[Path], cfg: CardConfig) -> str:
    card = card_metadata(stats, data_files, cfg)
    stage_lines = ["| stage | in | out | removed |", "|---|---:|---:|---:|"]
    for name, counts in report.to_dict()["stages"].items():
        stage_lines.append(f"| {name} | {counts['in']:,} | {counts['out']:,} | {counts['in'] - counts['out']:,} |")
    reasons = ["| stage | reason | problems |", "|---|---|---:|"]
    for stage, by_reason in report.reasons().items():
        for reason, n in sorted(by_reason.items(), key=lambda kv: -kv[1])[:12]:
            reasons.append(f"| {stage} | {reason[:90]} | {n:,} |")
    licenses = ", ".join(f"{k} ({v:,})" for k, v in stats.by_license.most_common())
    return f"""---
{card.to_yaml()}
---

# {cfg.pretty_name}

Competitive-programming problems with test cases for reinforcement learning of code models,
built with `microcoder build-dataset` (collection -> processing -> decontamination ->
verification -> difficulty filtering). One row per problem; the schema is MicroCoder's
`Problem` (`mcdata/schema.py`): stdin/stdout problems have `func_name` null, functional
(LeetCode-style) problems name the `Solution` method, with one JSON value per input line.
`stats` is a JSON string with what later stages recorded (verification, difficulty scores).

```python
from datasets import load_dataset
ds = load_dataset("path/or/repo_id", split="train")
```

## Statistics

{stats.rows:,} problems, {stats.tests:,} tests ({stats.tests / max(stats.rows, 1):.1f} per problem);
{stats.by_kind.get('stdin', 0):,} stdin and {stats.by_kind.get('functional', 0):,} functional.

![difficulty, source and date histogram]({HISTOGRAM})

{_table(stats.by_source, stats.rows, "source")}

{_table(stats.by_difficulty, stats.rows, "difficulty")}

{_table(stats.by_year, stats.rows, "contest year")}

## Build

{chr(10).join(stage_lines)}

Most frequent removal reasons (every rejection, with its row, is in `build_report.json`):

{chr(10).join(reasons)}

## Licenses

Rows keep the license of their source ({licenses}). Problem statements are the property of the
judges they come from; check each source's terms before redistributing.
"""


def write_card(out_dir: Path, stats: DatasetStats, report: BuildReport, data_files: list[Path], cfg: CardConfig) -> Path:
    plot_histogram(stats, out_dir / HISTOGRAM)
    return atomic_write_text(out_dir / "README.md", render_card(stats, report, data_files, cfg))
