"""The embedded engine: Athena SQL, transpiled, over the local typed Parquet cache.

The cache holds the typed columns (:data:`~s3logs_athena.table.schema.TYPED_COLUMNS`),
partitioned by each record's request day. The engine serves Athena's relation names over it
(:mod:`s3logs_athena.table.names`), created on first use in each query's database:

``<table>_all``, ``<table>_typed``, ``<table>_compacted``
    the typed columns plus ``year``, ``month``, ``day``, ``bucket``, straight from the
    Parquet files (hive partitioning). What the query templates read (``_all``) runs here
    unchanged. Locally the three are one relation: the cache is typed once, at ingest, and
    partitioned by request day like the compacted table; a day range padded for Athena's raw
    side (the day after, for late deliveries) reads one extra, harmless day.
``<table>``
    the raw table's columns (``bucketowner`` ... ``trailing_fields``, AWS's names), rendered
    back from the typed columns for hand-written queries in AWS's style (``parse_datetime
    (requestdatetime, ...)``, ``httpstatus = '403'``): ``-`` for NULL, the time as
    ``06/Feb/2019:00:00:38 +0000`` (UTC), ``bytessent``/``objectsize`` bigint. Unlike
    Athena's raw table it is partitioned by request day too, and an optional field an old
    log line lacked reads ``-``, not NULL (``trailing_fields`` stays NULL).

A filter on ``year``/``month``/``day``/``bucket`` prunes whole directories (``EXPLAIN`` shows
``Scanning Files: k/n``) the way Athena's partition projection prunes S3 prefixes.
``bytes_scanned`` is what DuckDB read from the Parquet files (its profiler's
``total_bytes_read``); the cost is zero. A cache written by an older version (raw strings)
is refused with one line saying how to rebuild it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ..errors import InputError, QueryError
from ..fields import LOG_FIELDS, TRAILING_FIELD, LogField
from ..layout import DEFAULT_DATABASE, PARTITION_COLUMNS
from ..table.names import TYPED_SUFFIXES
from ..table.schema import TYPED_COLUMNS, TypedColumn
from .result import QueryResult, frame_from_arrow
from .translate import referenced_tables, register_functions, to_duckdb_sql

__all__ = ["DuckDBEngine", "raw_columns_sql", "typed_columns_sql"]

#: How the raw table writes the request time, as a DuckDB strftime pattern.
_RAW_TIME_FORMAT = "%d/%b/%Y:%H:%M:%S +0000"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def typed_columns_sql() -> str:
    """The select list of the typed relations: typed columns, then partition columns."""
    names = [c.name for c in TYPED_COLUMNS] + [p.name for p in PARTITION_COLUMNS]
    return ", ".join(_quote_identifier(name) for name in names)


def _raw_expression(column: TypedColumn) -> str:
    field: LogField = column.source
    name = _quote_identifier(column.name)
    if field.athena_type == "bigint" or field is TRAILING_FIELD:
        value = name  # NULL for '-' in bigint columns; no trailing fields is NULL too
    elif column.trino_type == "timestamp":
        value = f"coalesce(strftime({name}, {_quote_string(_RAW_TIME_FORMAT)}), '-')"
    elif column.trino_type == "varchar":
        value = f"coalesce({name}, '-')"
    else:
        value = f"coalesce(CAST({name} AS VARCHAR), '-')"
    return f"{value} AS {_quote_identifier(field.name)}"


def raw_columns_sql() -> str:
    """The select list of the local ``<table>``: the raw table's columns from typed ones."""
    by_source = {c.source.name: c for c in TYPED_COLUMNS}
    columns = [_raw_expression(by_source[f.name]) for f in (*LOG_FIELDS, TRAILING_FIELD)]
    columns += [_quote_identifier(p.name) for p in PARTITION_COLUMNS]
    return ", ".join(columns)


class DuckDBEngine:
    """Runs Athena SQL locally. One in-memory DuckDB connection per engine."""

    name = "duckdb"

    def __init__(self, cache_dir: Path | str | None = None, *, threads: int | None = None) -> None:
        from ..cache import default_cache_dir
        from ..cache.schema import HIVE_TYPES, PARQUET_DIR

        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        self._parquet_root = self.cache_dir / PARQUET_DIR
        self._hive_types = HIVE_TYPES
        self._con = duckdb.connect()
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self._con.execute("SET TimeZone = 'UTC'")
        register_functions(self._con)
        self._views: set[tuple[str, str]] = set()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    # -- the relations --------------------------------------------------------------------

    def _files_glob(self) -> str:
        from ..cache.store import check_cache_format

        if not any(self._parquet_root.glob("year=*/month=*/day=*/bucket=*/*.parquet")):
            raise InputError(
                f"the local cache {self.cache_dir} holds no data: fill it with "
                "`s3logs-athena sync --log-bucket ... --from ... --to ...` or "
                "`s3logs-athena ingest DIR` (or pass --cache)"
            )
        check_cache_format(self.cache_dir)
        return (
            self._parquet_root / "year=*" / "month=*" / "day=*" / "bucket=*" / "*.parquet"
        ).as_posix()

    def _create_view(self, database: str, relation: str, columns: str) -> None:
        if (database, relation) in self._views:
            return
        hive_types = ", ".join(f"{_quote_string(k)}: {v}" for k, v in self._hive_types.items())
        db = _quote_identifier(database)
        self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {db}")
        self._con.execute(
            f"CREATE OR REPLACE VIEW {db}.{_quote_identifier(relation)} AS SELECT {columns} "
            f"FROM read_parquet({_quote_string(self._files_glob())}, hive_partitioning = true, "
            f"hive_types = {{{hive_types}}})"
        )
        self._views.add((database, relation))

    def _prepare(self, athena_sql: str) -> None:
        for database, relation in referenced_tables(athena_sql):
            db = database or DEFAULT_DATABASE
            if relation.endswith(TYPED_SUFFIXES):
                self._create_view(db, relation, typed_columns_sql())
            else:
                self._create_view(db, relation, raw_columns_sql())

    # -- running --------------------------------------------------------------------------

    def explain(self, athena_sql: str) -> str:
        """DuckDB's physical plan (shows the files the scan keeps: ``Scanning Files``)."""
        self._prepare(athena_sql)
        rows = self._con.execute("EXPLAIN " + to_duckdb_sql(athena_sql)).fetchall()
        return "\n".join(str(row[-1]) for row in rows)

    def run(self, athena_sql: str, parameters: Sequence[Any] | None = None) -> QueryResult:
        """Run one Athena ``SELECT``; ``parameters`` fill its ``?`` placeholders."""
        sql = to_duckdb_sql(athena_sql)
        self._prepare(athena_sql)
        started = time.perf_counter()
        self._con.execute("PRAGMA enable_profiling = 'no_output'")
        try:
            relation = self._con.sql(sql, params=list(parameters) if parameters else None)
            table = relation.to_arrow_table()
            profile = json.loads(self._con.get_profiling_information(format="json"))
        except duckdb.Error as exc:
            raise QueryError(f"DuckDB could not run the query: {exc}") from None
        finally:
            self._con.execute("PRAGMA disable_profiling")
        seconds = time.perf_counter() - started
        bytes_read = int(profile.get("io", {}).get("total_bytes_read", 0))
        return QueryResult(
            frame=frame_from_arrow(table),
            engine=self.name,
            sql=sql,
            seconds=seconds,
            bytes_scanned=bytes_read,
            cost_usd=0.0,
            details={"cache_dir": str(self.cache_dir)},
        )
