"""The cost room: know what a query will scan before it runs, and refuse what is too big.

``predicate``  the tables a query reads and the partition predicates it reads them with,
               evaluated over candidate partitions (what Athena's projection does)
``stores``     where a table's partitions live (an S3 location, a Glue table or view, the
               local cache) and which its projection can reach
``listing``    objects and bytes under partition folders: concurrent S3 listings
``estimate``   partitions, objects, bytes and price of a query: :func:`estimate_query`
``guard``      refuse a query whose estimate is over a limit (``--max-bytes``)
``lint``       every template, for every parameter combination, prunes every partition column
``sizes``      ``10GB``/``500MiB`` parsing and display, Athena's price per TB

Public names are imported on first use (DuckDB, sqlglot and boto3 load only then).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .estimate import Accuracy, Estimate, ScanEstimate, estimate_query, estimate_sql
    from .guard import MAX_BYTES_ENV, CostLimitError, check_limit
    from .sizes import format_size, parse_size

_LAZY = {
    "Accuracy": ".estimate",
    "Estimate": ".estimate",
    "ScanEstimate": ".estimate",
    "estimate_query": ".estimate",
    "estimate_sql": ".estimate",
    "MAX_BYTES_ENV": ".guard",
    "CostLimitError": ".guard",
    "check_limit": ".guard",
    "format_size": ".sizes",
    "parse_size": ".sizes",
}

__all__ = [
    "MAX_BYTES_ENV",
    "Accuracy",
    "CostLimitError",
    "Estimate",
    "ScanEstimate",
    "check_limit",
    "estimate_query",
    "estimate_sql",
    "format_size",
    "parse_size",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
