"""Athena (Trino) SQL to DuckDB SQL for the embedded engine.

The translation itself is :func:`s3logs_athena.sqldialect.to_duckdb` - the same one
``query render --dialect duckdb`` prints - with its macros installed on the connection. This
module adapts it to the engine: one more rewrite the answers need (``count_if`` is never NULL
on Athena), errors become :class:`~s3logs_athena.errors.QueryError`, and
:func:`referenced_tables` tells the engine which tables and views to create over the cache.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ..errors import QueryError, TemplateError
from ..sqldialect import install_duckdb_macros, parse_athena, to_duckdb

__all__ = ["referenced_tables", "register_functions", "to_duckdb_sql"]


def _parse(athena_sql: str) -> exp.Query:
    try:
        return parse_athena(athena_sql)
    except TemplateError as exc:
        raise QueryError(f"expected exactly one SELECT statement in Athena SQL: {exc}") from None


def _count_if_never_null(node: exp.Expression) -> exp.Expression:
    """Trino's ``count_if`` is 0 when the condition is never true; DuckDB's is NULL when the
    condition is NULL on every row of a group (e.g. ``try_cast(httpstatus AS integer) >= 400``
    for a group whose status is ``-``)."""
    if isinstance(node, exp.CountIf) and not isinstance(node.this, exp.Coalesce):
        condition = exp.Coalesce(this=node.this.copy(), expressions=[exp.false()])
        return exp.CountIf(this=condition)
    return node


def to_duckdb_sql(athena_sql: str) -> str:
    """The DuckDB SQL for one Athena query."""
    tree = _parse(athena_sql).transform(_count_if_never_null)
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
