"""The templates room: parameterized, injection-safe, partition-pruning SQL.

``catalog``     finds the shipped templates (``queries/``), reads their metadata, renders them
``params``      typed template parameters (dates, ranges, buckets, networks...)
``partitions``  the partition predicates a date range becomes (what makes a query prune)
``dialect``     Athena (Trino) SQL parsed with sqlglot and transpiled for DuckDB
``quoting``     the one way a value becomes SQL text

The catalog's names are re-exported here, imported on first use so that modules needing only
``quoting`` (the DDL) do not load jinja2 and sqlglot.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import (
        CATEGORIES,
        Dialect,
        QueryTemplate,
        RenderedQuery,
        describe_params,
        get_template,
        list_templates,
        load_templates,
        render_template,
    )

__all__ = [
    "CATEGORIES",
    "Dialect",
    "QueryTemplate",
    "RenderedQuery",
    "describe_params",
    "get_template",
    "list_templates",
    "load_templates",
    "render_template",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(".catalog", __name__), name)
    globals()[name] = value
    return value
