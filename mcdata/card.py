"""The dataset card: README.md with Hub YAML metadata, what the build checked, and a histogram image.

The YAML `dataset_info` is generated from `mccore.schema.problem_features()` by `datasets`
itself (`DatasetInfosDict.to_dataset_card_data`), so the card can never disagree with the
Parquet schema; `num_bytes`/`dataset_size` are the uncompressed sizes (what the Hub means by them),
`download_size` the files' size. `configs` points the default config's splits at `data/{split}-*`
(and a `verl` config at the exported layout). The body says what a user must know before training:
how many rows references verified, how many rest on a single reference or none, what the build was
decontaminated against (or that it was not), which upstream defects were flagged, and each row's
license with a link.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mccore.atomic import atomic_savefig, atomic_write_text
from mccore.schema import Problem, problem_features
from mcdata.licenses import LICENSE_URLS, UPSTREAMS, upstream_name
from mcdata.report import BuildReport
from mcdata.write import uncompressed_bytes

HISTOGRAM = "stats.png"
VERIFY_MEANING = {
    "verified": "at least two reference solutions agree with every test",
    "single_reference": "exactly one reference solution passes every test (no second opinion)",
    "unverified": "no reference solution: the tests are the source's own, unchecked",
    "not verified": "verification was not run for this build",
}


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
    by_split: Counter = field(default_factory=Counter)
    by_source: Counter = field(default_factory=Counter)
    by_difficulty: Counter = field(default_factory=Counter)
    by_platform: Counter = field(default_factory=Counter)
    by_year: Counter = field(default_factory=Counter)
    by_license: Counter = field(default_factory=Counter)
    by_kind: Counter = field(default_factory=Counter)
    by_verify: Counter = field(default_factory=Counter)
    by_defect: Counter = field(default_factory=Counter)
    by_judge_flag: Counter = field(default_factory=Counter)
    by_upstream: Counter = field(default_factory=Counter)  # (license, upstream name)
    tests: int = 0

    def add(self, problem: Problem, split: str = "train") -> None:
        self.rows += 1
        self.by_split[split] += 1
        self.by_source[problem.source] += 1
        self.by_difficulty[problem.difficulty or "unknown"] += 1
        self.by_platform[problem.platform] += 1
        self.by_year[problem.contest_date[:4] if problem.contest_date else "undated"] += 1
        self.by_license[problem.license] += 1
        self.by_upstream[(problem.license, upstream_name(problem.source, problem.stats) or problem.source)] += 1
        self.by_kind["functional" if problem.is_functional else "stdin"] += 1
        self.by_verify[str(problem.stats.get("verify_status", "not verified"))] += 1
        self.by_defect.update(problem.stats.get("upstream_defects", []))
        self.by_judge_flag.update(problem.stats.get("judge_needs", []))
        if problem.stats.get("judge_tolerance"):
            self.by_judge_flag["tolerance"] += 1
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


def _split_of(path: Path) -> str:
    return path.name.split("-", 1)[0]


def card_metadata(stats: DatasetStats, data_files: list[Path], cfg: CardConfig, exports: list[str] = ()):
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData


    splits_found = sorted({_split_of(f) for f in data_files}, key=lambda s: (s != "train", s))
    info = DatasetInfo(features=problem_features())
    splits = SplitDict()
    for split in splits_found:
        files = [f for f in data_files if _split_of(f) == split]
        splits.add(SplitInfo(name=split, num_bytes=uncompressed_bytes(files), num_examples=stats.by_split.get(split, 0)))
    info.splits = splits
    info.download_size = sum(f.stat().st_size for f in data_files)
    info.dataset_size = uncompressed_bytes(data_files)
    licenses = sorted(stats.by_license)
    configs: list[dict[str, Any]] = [{
        "config_name": "default",
        "data_files": [{"split": s, "path": f"data/{s}-*"} for s in splits_found],
    }]
    if exports:
        configs.append({"config_name": "verl", "data_files": [{"split": Path(e).stem, "path": e} for e in exports]})
    card = DatasetCardData(
        license=cfg.license or (licenses[0].lower() if len(licenses) == 1 and licenses[0] != "unknown" else "other"),
        task_categories=["text-generation"],
        language=["en"],
        tags=list(cfg.tags),
        size_categories=[size_category(stats.rows)],
        pretty_name=cfg.pretty_name,
        configs=configs,
    )
    DatasetInfosDict({"default": info}).to_dataset_card_data(card)
    return card


def verification_lines(stats: DatasetStats) -> list[str]:
    """One line per verification status with its meaning; the unverified rows named plainly."""
    lines = []
    for status in ("verified", "single_reference", "unverified", "not verified"):
        n = stats.by_verify.get(status, 0)
        if n:
            lines.append(f"- **{status}**: {n:,} of {_rows(stats.rows)} — {VERIFY_MEANING[status]}.")
    if stats.by_verify.get("unverified"):
        lines.append(
            f"\n{stats.by_verify['unverified']:,} rows were KEPT UNVERIFIED (`--no-reference keep`): filter on "
            "`stats.verify_status` if you need checked tests."
        )
    return lines


def decontamination_lines(report: BuildReport) -> list[str]:
    notes = report.notes.get("decontaminate", {})
    window = notes.get("window", "off")
    against = notes.get("against") or []
    if not against:
        return [f"- Evaluation window {window} (contest-date rule only).",
                "- **NOT checked against any LiveCodeBench reference** (no `--decontaminate-against`): copies of "
                "benchmark problems are removed only when they carry a contest date inside the window."]
    dates = notes.get("reference_dates")
    return [
        f"- Evaluation window {window}: problems dated inside it are removed.",
        f"- Reference: {', '.join(Path(a).name if '/' in a else a for a in against)} — "
        f"{notes.get('reference_problems', 0):,} LiveCodeBench problems"
        + (f" dated {dates[0]} to {dates[1]}" if dates else "")
        + f"; {notes.get('reference_problems_in_window', 0):,} inside the window, matched by platform id "
        f"({notes.get('reference_ids_in_window', 0):,} ids) and by {notes.get('ngram')}-gram statement overlap "
        f"({notes.get('reference_statements_in_window', 0):,} statements, min coverage {notes.get('min_coverage')}).",
        "- The shipped reference is LiveCodeBench release_v5 statements (880) plus release_v6 ids and dates "
        "(1,055 problems up to 2025-04-06); pass `--decontaminate-against livecodebench/code_generation_lite` "
        "for the full current statements.",
    ]


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def license_lines(stats: DatasetStats) -> list[str]:
    """Each license with its text's link, and the upstream data sets (linked) its rows came from."""
    lines = []
    for name, n in stats.by_license.most_common():
        url = LICENSE_URLS.get(name)
        parts = []
        for (license, upstream), count in sorted(stats.by_upstream.items()):
            if license == name:
                known = UPSTREAMS.get(upstream)
                parts.append(f"[{upstream}]({known.url}) {count:,}" if known else f"{upstream} {count:,}")
        label = f"[{name}]({url})" if url else name
        lines.append(f"- {label}: {_rows(n)}" + (f" (from {', '.join(parts)})" if parts else ""))
    return lines


def render_card(stats: DatasetStats, report: BuildReport, data_files: list[Path], cfg: CardConfig, exports: list[str] = ()) -> str:
    card = card_metadata(stats, data_files, cfg, exports)
    stage_lines = ["| stage | in | out | removed |", "|---|---:|---:|---:|"]
    for name, counts in report.to_dict()["stages"].items():
        stage_lines.append(f"| {name} | {counts['in']:,} | {counts['out']:,} | {counts['in'] - counts['out']:,} |")
    reasons = ["| stage | reason | problems |", "|---|---|---:|"]
    for stage, by_reason in report.reasons().items():
        for reason, n in sorted(by_reason.items(), key=lambda kv: -kv[1])[:12]:
            reasons.append(f"| {stage} | {reason[:90]} | {n:,} |")
    flags = [f"- `{k}`: {_rows(v)}" for k, v in stats.by_judge_flag.most_common()] or ["- none"]
    defects = [f"- `{k}`: {_rows(v)}" for k, v in stats.by_defect.most_common()] or ["- none"]
    warnings = report.notes.get("build", {}).get("warnings", [])
    split_text = ", ".join(f"{s} {n:,}" for s, n in stats.by_split.items()) or "train 0"
    verl = ("\nA `verl` config holds the same problems in verl/rllm's layout (chat `prompt`, tests as a JSON "
            "string in `reward_model.ground_truth`).\n" if exports else "")
    return f"""---
{card.to_yaml()}
---

# {cfg.pretty_name}

Competitive-programming problems with test cases for reinforcement learning of code models,
built with `microcoder build-dataset` (collection -> processing -> decontamination ->
verification -> deduplication -> difficulty filtering). One row per problem; the schema is MicroCoder's
`Problem` (`mccore/schema.py`): stdin/stdout problems have `func_name` null, functional
(LeetCode-style) problems name the `Solution` method, with one JSON value per input line.
`stats` is a JSON string with what the stages recorded (verification, flags, difficulty scores).
{verl}
```python
from datasets import load_dataset
ds = load_dataset("path/or/repo_id", split="train")
```
{"".join(f"{chr(10)}> **Warning:** {w}{chr(10)}" for w in warnings)}
## Statistics

{stats.rows:,} problems ({split_text}), {stats.tests:,} tests ({stats.tests / max(stats.rows, 1):.1f} per problem);
{stats.by_kind.get('stdin', 0):,} stdin and {stats.by_kind.get('functional', 0):,} functional.

![difficulty, source and date histogram]({HISTOGRAM})

{_table(stats.by_source, stats.rows, "source")}

{_table(stats.by_difficulty, stats.rows, "difficulty")}

{_table(stats.by_year, stats.rows, "contest year")}

## Verification (`stats.verify_status`)

{chr(10).join(verification_lines(stats)) or "- no rows"}

## Decontamination

{chr(10).join(decontamination_lines(report))}

## Flags

What a single expected output per test cannot judge (`stats.judge_needs`; `tolerance` is handled by the
evaluator's comparator):

{chr(10).join(flags)}

Upstream defects found in the text (`stats.upstream_defects`; `lost_superscript`: constraints such as
"1 <= n <= 105" meaning 10^5, as scraped):

{chr(10).join(defects)}

## Build

{chr(10).join(stage_lines)}

Most frequent removal reasons (every rejection, with its row, is in `build_report.json`):

{chr(10).join(reasons)}

## Licenses

Every row carries the license of the data it came from (`license` column):

{chr(10).join(license_lines(stats)) or "- no rows"}

Problem statements are the property of the judges they come from; check each source's terms before
redistributing.
"""


def write_card(out_dir: Path, stats: DatasetStats, report: BuildReport, data_files: list[Path], cfg: CardConfig,
               exports: list[str] = ()) -> Path:
    plot_histogram(stats, out_dir / HISTOGRAM)
    return atomic_write_text(out_dir / "README.md", render_card(stats, report, data_files, cfg, exports))
