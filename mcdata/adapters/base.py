"""What every collection adapter shares: the registry, row errors and small parsing helpers.

An adapter is a function `convert(row: dict, ref: RowRef) -> Problem` registered under a format
name. It raises `RowError(field, reason)` for a row it cannot convert; the collector turns that
into a per-row rejection (lenient) or an error naming file, row and field (strict).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from mccore.schema import Problem, SchemaError, TestCase
from mcdata.io import RowRef

Converter = Callable[[dict[str, Any], RowRef], Problem]


class RowError(SchemaError):
    """A raw row that does not convert; `field` names the raw field at fault."""

    def __init__(self, field: str | None, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"field {field!r}: {reason}" if field else reason)


@dataclass(frozen=True)
class Adapter:
    name: str
    convert: Converter
    description: str
    hub_default: str | None = None  # a Hub id that reads with this adapter, for the docs


ADAPTERS: dict[str, Adapter] = {}


def register(name: str, description: str, hub_default: str | None = None):
    def wrap(fn: Converter) -> Converter:
        ADAPTERS[name] = Adapter(name, fn, description, hub_default)
        return fn

    return wrap


def get_adapter(name: str) -> Adapter:
    from mcdata import adapters  # noqa: F401  (imports every adapter module, filling the registry)

    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValueError(f"unknown source format {name!r}; choose one of: {', '.join(sorted(ADAPTERS))}") from None


# ------------------------------------------------------------------------------------------ helpers


def require(row: dict[str, Any], field: str) -> Any:
    value = row.get(field)
    if value is None or (isinstance(value, (str, list, dict)) and not value):
        raise RowError(field, "missing or empty")
    return value


def loads_lenient(value: Any, field: str) -> Any:
    """Parse a field that may already be parsed, JSON text, or a Python literal (some dumps use repr)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as json_exc:
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise RowError(field, f"not valid JSON ({json_exc.msg} at column {json_exc.colno})") from None


def as_text(value: Any, field: str) -> str:
    """A stdin/stdout test value: a string, or a list of lines (older APPS rows) joined with newlines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value) + ("\n" if value else "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise RowError(field, f"expected text, got {type(value).__name__}")


def stdin_tests(inputs: Any, outputs: Any, field: str, *, public: int = 0) -> list[TestCase]:
    """Pair parallel input/output lists; the first `public` tests are marked public."""
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise RowError(field, "inputs/outputs must be lists")
    if len(inputs) != len(outputs):
        raise RowError(field, f"{len(inputs)} inputs but {len(outputs)} outputs")
    return [
        TestCase(as_text(i, field), as_text(o, field), "stdin", n < public)
        for n, (i, o) in enumerate(zip(inputs, outputs))
    ]


def stable_id(*parts: str) -> str:
    """A short id from content, for rows that carry none (stable across row order)."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


_PLATFORM_HOSTS = {
    "codeforces": "codeforces",
    "atcoder": "atcoder",
    "leetcode": "leetcode",
    "codechef": "codechef",
    "hackerrank": "hackerrank",
    "kattis": "kattis",
}


def platform_of(*hints: Any) -> str:
    """Map a URL or source name onto `schema.PLATFORMS` ("other" when unknown)."""
    for hint in hints:
        if not hint:
            continue
        text = str(hint).lower()
        host = urlparse(text).netloc or text
        for key, platform in _PLATFORM_HOSTS.items():
            if key in host:
                return platform
    return "other"


def iso_date(value: Any) -> str | None:
    """Normalise a contest date (ISO text, date, unix seconds/ms) to LiveCodeBench's `YYYY-MM-DDTHH:MM:SS`."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    text = str(value).strip()
    if re.fullmatch(r"\d{9,13}", text):
        return iso_date(int(text))
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y/%m/%d", "%Y-%m"):
        try:
            return datetime.strptime(text[: len(datetime(2000, 1, 1).strftime(fmt))], fmt).isoformat(timespec="seconds")
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None).isoformat(timespec="seconds")
    except ValueError:
        raise RowError("contest_date", f"unrecognised date {text[:40]!r}") from None


# Source difficulty labels -> the schema's easy/medium/hard. The raw label is kept in stats.
_LABELS = {
    "easy": "easy", "introductory": "easy", "very_easy": "easy",
    "medium": "medium", "interview": "medium",
    "medium_hard": "hard", "hard": "hard", "very_hard": "hard", "competition": "hard", "harder": "hard", "hardest": "hard",
}


def difficulty_of(label: Any = None, rating: Any = None) -> str | None:
    """Codeforces-style rating first (<1400 easy, <2000 medium, else hard), then the label."""
    try:
        r = float(rating) if rating not in (None, "", 0) else None
    except (TypeError, ValueError):
        r = None
    if r:
        return "easy" if r < 1400 else "medium" if r < 2000 else "hard"
    if label is None:
        return None
    return _LABELS.get(str(label).strip().lower().replace(" ", "_").replace("-", "_"))


def parse_seconds(value: Any) -> float | None:
    """'2 seconds', '1.5', 2, {'seconds': 2, 'nanos': 0} -> seconds."""
    if value in (None, ""):
        return None
    if isinstance(value, dict):
        return float(value.get("seconds") or 0) + float(value.get("nanos") or 0) / 1e9 or None
    if isinstance(value, (int, float)):
        return float(value) or None
    m = re.search(r"(\d+(?:\.\d+)?)\s*(ms|millisecond)?", str(value).lower())
    if not m:
        return None
    seconds = float(m.group(1)) / (1000 if m.group(2) else 1)
    return seconds or None


def parse_megabytes(value: Any) -> int | None:
    """'256 megabytes', 256, 268435456 (bytes) -> MB."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return int(value // (1024 * 1024)) if value > 1 << 20 else int(value) or None
    m = re.search(r"(\d+(?:\.\d+)?)\s*([kmg]?)", str(value).lower())
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2)
    return int(number * {"k": 1 / 1024, "m": 1, "g": 1024, "": 1}[unit]) or None
