"""Collection adapters: one module per source format, registered by name in `ADAPTERS`."""

from mcdata.adapters import (  # noqa: F401
    apps,
    codecontests,
    codeforces,
    deepcoder,
    lcb,
    leetcodedataset,
    microcoder,
)
from mcdata.adapters.base import ADAPTERS, Adapter, RowError, get_adapter

FORMATS: tuple[str, ...] = tuple(sorted(ADAPTERS))

__all__ = ["ADAPTERS", "FORMATS", "Adapter", "RowError", "get_adapter"]
