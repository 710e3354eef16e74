"""Benchmark reports: pass@k overall / by platform / by difficulty, per-problem results, a Rich
table laid out like the MicroCoder results table, and a PNG plot (pass@1 by difficulty and
platform; response-length histogram with truncation rate). LiveCodeBench's own result files are
written by `mceval.bench.lcb_files`.

Everything here is computed from `ProblemRun`s; nothing re-grades.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mccore.atomic import atomic_savefig
from mccore.schema import Problem
from mceval.evaluate import pass_rates as shared_pass_rates
from mcgen.thinking import thinking_stats
from mcgen.types import Completion


@dataclass
class ProblemRun:
    """One problem's samples: raw outputs, their completions (None when read from a file),
    extracted code, and per comparison mode the graded rows of `samples.jsonl` (same order)."""

    problem: Problem
    outputs: list[str]
    completions: list[Completion | None]
    codes: list[str | None]
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def num_correct(self, comparison: str) -> int:
        return sum(bool(r["passed"]) for r in self.results[comparison])


# ------------------------------------------------------------------------------------ metrics
def pass_rates(runs: Sequence[ProblemRun], comparison: str) -> dict[str, Any]:
    """`mceval.evaluate.pass_rates` of one comparison mode (the numbers every report shares),
    plus the correct-sample count and the verdict histogram."""
    rates = shared_pass_rates([(r.problem, len(r.outputs), r.num_correct(comparison)) for r in runs])
    return {
        **rates,
        "num_correct_samples": sum(r.num_correct(comparison) for r in runs),
        "verdicts": _verdict_counts(runs, comparison),
    }


def _verdict_counts(runs: Sequence[ProblemRun], comparison: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for run in runs:
        for result in run.results[comparison]:
            counts[result["verdict"]] = counts.get(result["verdict"], 0) + 1
    return dict(sorted(counts.items()))


def response_stats(runs: Sequence[ProblemRun]) -> dict[str, Any]:
    """Response lengths in tokens, the truncation rate (finish_reason "length") and how many
    responses were cut off while still thinking (`mcgen.thinking`)."""
    completions = [c for r in runs for c in r.completions if c is not None]
    if not completions:
        return {"num_responses_with_token_counts": 0}
    lengths = sorted(c.num_tokens for c in completions)
    return {
        "num_responses_with_token_counts": len(completions),
        "mean_tokens": sum(lengths) / len(lengths),
        "median_tokens": lengths[len(lengths) // 2],
        "max_tokens_seen": lengths[-1],
        "truncation_rate": sum(c.finish_reason == "length" for c in completions) / len(completions),
        "thinking": thinking_stats(completions),
    }


# ------------------------------------------------------------------------------------ files
def per_problem_rows(runs: Sequence[ProblemRun], comparisons: Sequence[str],
                     grading: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """problems.jsonl: one row per problem (pass@1 and verdicts per mode, token counts), to find
    which problems moved between two checkpoints without reading samples.jsonl. `grading` (the
    profile, extraction and comparisons that made the row) is recorded in every row."""
    rows = []
    for run in runs:
        p = run.problem
        row: dict[str, Any] = {
            "question_id": p.problem_id, "question_title": p.title, "platform": p.platform,
            "difficulty": p.difficulty, "contest_date": p.contest_date, "n": len(run.outputs),
            **({"grading": grading} if grading else {}),
        }
        for mode in comparisons:
            suffix = "" if mode == comparisons[0] else f"_{mode}"
            row[f"num_correct{suffix}"] = run.num_correct(mode)
            row[f"pass@1{suffix}"] = run.num_correct(mode) / len(run.outputs)
            row[f"verdicts{suffix}"] = [r["verdict"] for r in run.results[mode]]
        tokens = [c.num_tokens for c in run.completions if c is not None]
        if tokens:
            row["num_tokens"] = tokens
            row["truncated"] = [c.finish_reason == "length" for c in run.completions if c is not None]
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------ terminal
def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def results_table(summary: dict[str, Any], comparison: str):
    """A Rich table: rows = platforms + "LiveCodeBench" (all), columns = Easy/Medium/Hard/All pass@1 (%)."""
    from rich.table import Table

    rates = summary["results"][comparison]
    title = f"{summary['bench']} · {summary.get('model') or 'generations file'} · pass@1 (%) · comparison={comparison}"
    table = Table(title=title)
    table.add_column("platform")
    difficulties = list(rates["by_difficulty"])
    for d in difficulties:
        table.add_column(d.capitalize(), justify="right")
    table.add_column("All", justify="right")
    table.add_column("problems", justify="right")
    per_platform = summary["counts"]["by_platform"]
    for platform, by_d in rates["by_platform_difficulty"].items():
        table.add_row(platform, *(_pct(by_d.get(d)) for d in difficulties), _pct(rates["by_platform"][platform]),
                      str(per_platform.get(platform, 0)))
    table.add_row("LiveCodeBench", *(_pct(rates["by_difficulty"][d]) for d in difficulties), _pct(rates["pass@1"]),
                  str(summary["num_problems"]), style="bold")
    caption = [f"{summary['num_samples']} samples", *(f"{k} {_pct(v)}" for k, v in rates["pass@k"].items() if k != "pass@1")]
    if summary.get("prompt"):
        caption.append(f"prompt {summary['prompt']['style']}")
    responses = summary.get("responses", {})
    if responses.get("truncation_rate") is not None:
        caption.append(f"truncated {_pct(responses['truncation_rate'])}%")
    if responses.get("thinking", {}).get("cut_off_in_thinking"):
        caption.append(f"{responses['thinking']['cut_off_in_thinking']} cut off inside <think>")
    table.caption = " · ".join(caption)
    return table


# ------------------------------------------------------------------------------------ plot
def write_plot(path: Path, runs: Sequence[ProblemRun], summary: dict[str, Any], comparison: str) -> None:
    """pass@1 by difficulty for each platform (+ all), and the response-length histogram.

    Bars carry their value (a 0.0 bar is otherwise invisible) and the x tick says how many problems
    a group has; the histogram spans 0..max_tokens so runs at different budgets look alike."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = summary["results"][comparison]
    counts = summary["counts"]["by_platform"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    sampling = summary.get("sampling") or {}
    fig.suptitle(
        f"{summary['bench']} · {summary.get('model') or 'generations file'} · {summary['num_problems']} problems"
        + (f" · n={sampling['n']}, T={sampling['temperature']}, max_tokens={sampling['max_tokens']}" if sampling else "")
    )
    groups = list(rates["by_platform_difficulty"]) + ["all"]
    series = [*rates["by_difficulty"], "all"]
    width = 0.8 / len(series)
    for j, d in enumerate(series):
        values = []
        for g in groups:
            if g == "all":
                v = rates["pass@1"] if d == "all" else rates["by_difficulty"][d]
            else:
                v = rates["by_platform"][g] if d == "all" else rates["by_platform_difficulty"][g].get(d)
            values.append(float("nan") if v is None else 100 * v)  # nan: no problem in that group
        bars = left.bar([i + j * width for i in range(len(groups))], values, width, label=d)
        left.bar_label(bars, labels=["" if v != v else f"{v:.1f}" for v in values], fontsize=7, padding=1)
    labels = [f"{g}\n({counts.get(g, 0) if g != 'all' else summary['num_problems']})" for g in groups]
    left.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(groups))], labels)
    left.set_ylabel("pass@1 (%)")
    left.set_ylim(0, 105)
    left.set_title(f"pass@1 by platform and difficulty (comparison={comparison})")
    left.legend(fontsize=8)

    completions = [c for r in runs for c in r.completions if c is not None]
    if completions:
        max_tokens = sampling.get("max_tokens") or max(c.num_tokens for c in completions)
        upper = max(max_tokens, max(c.num_tokens for c in completions))
        right.hist([c.num_tokens for c in completions], bins=30, range=(0, upper), color="tab:gray")
        right.axvline(max_tokens, color="tab:red", linestyle="--", label=f"max_tokens={max_tokens}")
        right.legend(fontsize=8)
        rate = sum(c.finish_reason == "length" for c in completions) / len(completions)
        right.set_title(f"response length (tokens) · truncated {100 * rate:.1f}% of {len(completions)}")
        right.set_xlim(0, upper * 1.03)
        right.set_xlabel("tokens")
        right.set_ylabel("responses")
    else:
        right.text(0.5, 0.5, "no token counts\n(graded from a generations file)", ha="center", va="center")
        right.set_axis_off()
    fig.tight_layout()
    atomic_savefig(fig, path, dpi=100)
