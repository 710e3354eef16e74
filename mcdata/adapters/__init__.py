"""Collection adapters: one module per source format, registered by name in `ADAPTERS`."""

from mcdata.adapters import apps, codecontests, codeforces, deepcoder, lcb, leetcodedataset, microcoder  # noqa: F401
from mcdata.adapters.base import ADAPTERS, Adapter, RowError, get_adapter

FORMATS: tuple[str, ...] = tuple(sorted(ADAPTERS))

__all__ = ["ADAPTERS", "FORMATS", "Adapter", "RowError", "get_adapter"]
