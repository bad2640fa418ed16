"""Athena (Trino) SQL to DuckDB SQL for the embedded engine.

The translation itself is :func:`s3logs_athena.templates.dialect.to_duckdb` - the same one
``query render --dialect duckdb`` prints - with its macros installed on the connection. This
module adapts it to the engine: errors become :class:`~s3logs_athena.errors.QueryError`, and
:func:`referenced_tables` tells the engine which tables and views to create over the cache.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ..errors import QueryError, TemplateError
from ..templates.dialect import install_duckdb_macros, parse_athena, to_duckdb

__all__ = ["referenced_tables", "register_functions", "to_duckdb_sql"]


def _parse(athena_sql: str) -> exp.Query:
    try:
        return parse_athena(athena_sql)
    except TemplateError as exc:
        raise QueryError(f"expected exactly one SELECT statement in Athena SQL: {exc}") from None


def to_duckdb_sql(athena_sql: str) -> str:
    """The DuckDB SQL for one Athena query."""
    tree = _parse(athena_sql)
    try:
        return to_duckdb(tree, pretty=False)
    except TemplateError as exc:
        raise QueryError(f"this query cannot run on DuckDB: {exc}") from None


def referenced_tables(athena_sql: str) -> list[tuple[str | None, str]]:
    """The ``(database, table)`` pairs a query reads, CTE names excluded."""
    tree = _parse(athena_sql)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    seen: list[tuple[str | None, str]] = []
    for table in tree.find_all(exp.Table):
        if not table.db and table.name.lower() in ctes:
            continue
        if isinstance(table.this, exp.Identifier):
            pair = (table.db or None, table.name)
            if pair not in seen:
                seen.append(pair)
    return seen


def register_functions(connection: Any) -> None:
    """Install what the translated SQL calls (plain SQL macros)."""
    install_duckdb_macros(connection)
