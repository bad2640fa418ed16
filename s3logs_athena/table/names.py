"""The names of the relations over the logs, derived in one place from the raw table's name.

Given the raw table ``<table>`` (``s3_access_logs`` by default) in ``<database>``:

``<table>``            the raw table: every field as the text S3 wrote (RegexSerDe over
                       ``PartitionedLogs/``); the source of truth, partitioned by *delivery* day.
``<table>_typed``      the typed view over the raw table (:mod:`s3logs_athena.table.schema`'s
                       columns), still partitioned by delivery day.
``<table>_compacted``  the compacted Parquet table (typed columns), partitioned by each
                       record's *request* day.
``<table>_all``        the view the query templates read: compacted rows for the days
                       compaction covers, typed raw rows for the others. Its columns are exactly
                       the typed columns plus ``year``, ``month``, ``day``, ``bucket``.

The local DuckDB engine serves the same names over the typed cache (see
:mod:`s3logs_athena.engines.duckdb`), so a template's Athena SQL runs there unchanged.
"""

from __future__ import annotations

from ..templates.quoting import quote_identifier

__all__ = [
    "ALL_SUFFIX",
    "COMPACTED_SUFFIX",
    "TYPED_SUFFIX",
    "TYPED_SUFFIXES",
    "all_view",
    "compacted_table",
    "qualified",
    "typed_view",
]

TYPED_SUFFIX = "_typed"
COMPACTED_SUFFIX = "_compacted"
ALL_SUFFIX = "_all"
#: Suffixes of the relations with the typed columns (the same locally: the typed cache).
TYPED_SUFFIXES: tuple[str, ...] = (ALL_SUFFIX, TYPED_SUFFIX, COMPACTED_SUFFIX)


def typed_view(table: str) -> str:
    """``<table>_typed``: the typed view over the raw table."""
    return table + TYPED_SUFFIX


def compacted_table(table: str) -> str:
    """``<table>_compacted``: the compacted Parquet table."""
    return table + COMPACTED_SUFFIX


def all_view(table: str) -> str:
    """``<table>_all``: compacted and typed raw rows together; what the templates read."""
    return table + ALL_SUFFIX


def qualified(database: str, relation: str) -> str:
    """``"<database>"."<relation>"``, quoted for Athena (Trino) SQL."""
    return f"{quote_identifier(database)}.{quote_identifier(relation)}"
