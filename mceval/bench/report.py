"""Benchmark reports: pass@k overall / by platform / by difficulty, per-problem results, the
LiveCodeBench `*_eval_all.json` file, a Rich table laid out like the MicroCoder results table,
and a PNG plot (pass@1 by difficulty and platform; response-length histogram with truncation rate).

Everything here is computed from `ProblemRun`s; nothing re-grades.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from mcdata.schema import Problem
from mceval.bench.types import Completion
from mceval.passk import mean_pass_at_k, reportable_ks
from mceval.types import Verdict

PLATFORM_ORDER = ("atcoder", "leetcode", "codeforces")
DIFFICULTY_ORDER = ("easy", "medium", "hard")
# LiveCodeBench's metadata error codes (lcb_runner testing_util), for the eval_all file.
LCB_ERROR_CODES = {
    Verdict.WA: (-2, "Wrong Answer"),
    Verdict.TLE: (-3, "Time Limit Exceeded"),
    Verdict.MLE: (-4, "Runtime Error (memory limit exceeded)"),
    Verdict.RE: (-4, "Runtime Error"),
    Verdict.OLE: (-4, "Runtime Error (output limit exceeded)"),
    Verdict.CE: (-1, "Compilation Error"),
    Verdict.NO_CODE: (-1, "Compilation Error (no code block in the response)"),
}


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


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder + os.replace, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; reports are meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------------------------ metrics
def _pass1(runs: Sequence[ProblemRun], comparison: str) -> float | None:
    if not runs:
        return None
    return mean_pass_at_k([(len(r.outputs), r.num_correct(comparison)) for r in runs], 1)


def _ordered(values: set[str], order: Sequence[str]) -> list[str]:
    return [v for v in order if v in values] + sorted(values - set(order))


def pass_rates(runs: Sequence[ProblemRun], comparison: str) -> dict[str, Any]:
    """pass@k for every k <= min n, and pass@1 by platform, difficulty and both."""
    counts = [(len(r.outputs), r.num_correct(comparison)) for r in runs]
    ks = reportable_ks([n for n, _ in counts])
    platforms = _ordered({r.problem.platform for r in runs}, PLATFORM_ORDER)
    difficulties = _ordered({r.problem.difficulty or "unknown" for r in runs}, DIFFICULTY_ORDER)

    def subset(platform: str | None = None, difficulty: str | None = None) -> list[ProblemRun]:
        return [
            r for r in runs
            if (platform is None or r.problem.platform == platform)
            and (difficulty is None or (r.problem.difficulty or "unknown") == difficulty)
        ]

    return {
        "pass@1": _pass1(runs, comparison),
        "pass@k": {f"pass@{k}": mean_pass_at_k(counts, k) for k in ks} if counts else {},
        "by_platform": {p: _pass1(subset(platform=p), comparison) for p in platforms},
        "by_difficulty": {d: _pass1(subset(difficulty=d), comparison) for d in difficulties},
        "by_platform_difficulty": {
            p: {d: _pass1(subset(p, d), comparison) for d in difficulties if subset(p, d)} for p in platforms
        },
        "num_correct_samples": sum(c for _, c in counts),
        "verdicts": _verdict_counts(runs, comparison),
    }


def _verdict_counts(runs: Sequence[ProblemRun], comparison: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for run in runs:
        for result in run.results[comparison]:
            counts[result["verdict"]] = counts.get(result["verdict"], 0) + 1
    return dict(sorted(counts.items()))


def response_stats(runs: Sequence[ProblemRun]) -> dict[str, Any]:
    """Response lengths in tokens and the truncation rate (finish_reason "length")."""
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
    }


# ------------------------------------------------------------------------------------ files
def per_problem_rows(runs: Sequence[ProblemRun], comparisons: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        p = run.problem
        row: dict[str, Any] = {
            "question_id": p.problem_id, "question_title": p.title, "platform": p.platform,
            "difficulty": p.difficulty, "contest_date": p.contest_date, "n": len(run.outputs),
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


def _lcb_metadata(row: dict[str, Any]) -> str:
    """LiveCodeBench's per-generation metadata string (no expected outputs: the grader never exposes them)."""
    tests = row.get("tests") or []
    if row["passed"]:
        return json.dumps({"execution time": round(sum(t.get("time_s", 0.0) for t in tests), 4)})
    code, message = LCB_ERROR_CODES.get(Verdict(row["verdict"]), (-4, "Runtime Error"))
    detail = next((t.get("message", "") for t in tests if t.get("verdict") != "AC"), "")
    return json.dumps({"error_code": code, "error_message": message, "verdict": row["verdict"], "detail": detail})


def eval_all_rows(runs: Sequence[ProblemRun], comparison: str) -> list[dict[str, Any]]:
    """Rows in the shape of LiveCodeBench's `Scenario.codegeneration_{n}_{T}_eval_all.json`."""
    rows = []
    for run in runs:
        p = run.problem
        graded = [bool(r["passed"]) for r in run.results[comparison]]
        rows.append({
            "question_title": p.title, "question_content": p.statement, "platform": p.platform,
            "question_id": p.problem_id, "contest_id": str(p.stats.get("contest_id", "")),
            "contest_date": p.contest_date or "", "starter_code": p.starter_code,
            "difficulty": p.difficulty or "", "output_list": list(run.outputs),
            "code_list": [c or "" for c in run.codes], "graded_list": graded,
            "pass@1": sum(graded) / len(graded) if graded else 0.0,
            "metadata": [_lcb_metadata(r) for r in run.results[comparison]],
        })
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
    return table


# ------------------------------------------------------------------------------------ plot
def write_plot(path: Path, runs: Sequence[ProblemRun], summary: dict[str, Any], comparison: str) -> None:
    """pass@1 by difficulty for each platform (+ all), and the response-length histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = summary["results"][comparison]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    groups = list(rates["by_platform_difficulty"]) + ["all"]
    difficulties = list(rates["by_difficulty"])
    width = 0.8 / max(1, len(difficulties) + 1)
    for j, d in enumerate([*difficulties, "all"]):
        values = []
        for g in groups:
            if g == "all":
                v = rates["by_difficulty"].get(d) if d != "all" else rates["pass@1"]
            else:
                v = rates["by_platform"][g] if d == "all" else rates["by_platform_difficulty"][g].get(d)
            values.append(100 * (v or 0.0))
        left.bar([i + j * width for i in range(len(groups))], values, width, label=d)
    left.set_xticks([i + width * len(difficulties) / 2 for i in range(len(groups))], groups)
    left.set_ylabel("pass@1 (%)")
    left.set_ylim(0, 100)
    left.set_title(f"pass@1 by platform and difficulty ({comparison})")
    left.legend()

    completions = [c for r in runs for c in r.completions if c is not None]
    if completions:
        max_tokens = summary["sampling"]["max_tokens"] if summary.get("sampling") else None
        right.hist([c.num_tokens for c in completions], bins=30, color="tab:gray")
        if max_tokens:
            right.axvline(max_tokens, color="tab:red", linestyle="--", label=f"max_tokens={max_tokens}")
            right.legend()
        rate = sum(c.finish_reason == "length" for c in completions) / len(completions)
        right.set_title(f"response length (tokens), truncated: {100 * rate:.1f}%")
        right.set_xlabel("tokens")
        right.set_ylabel("responses")
    else:
        right.text(0.5, 0.5, "no token counts\n(graded from a generations file)", ha="center", va="center")
        right.set_axis_off()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, path)
