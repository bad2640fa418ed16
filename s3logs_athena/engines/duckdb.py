"""The embedded engine: Athena SQL, transpiled, over the local Parquet cache.

The Athena table ``<database>.<table>`` becomes a DuckDB view with the same columns over the
cache's hive-partitioned Parquet files, so a filter on ``year``/``month``/``day``/``bucket``
prunes whole directories (``EXPLAIN`` shows ``Scanning Files: k/n``) the way Athena's
partition projection prunes S3 prefixes. The typed view ``<table>_typed`` is created from
the very DDL Athena gets (:func:`s3logs_athena.table.ddl.view_statement`), transpiled.

``bytes_scanned`` is what DuckDB read from the Parquet files (its profiler's
``total_bytes_read``); the cost is zero.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from ..errors import InputError, QueryError
from ..fields import FIELD_NAMES
from ..layout import DEFAULT_DATABASE, PARTITION_COLUMNS
from .result import QueryResult, frame_from_arrow
from .translate import referenced_tables, register_functions, to_duckdb_sql

__all__ = ["DuckDBEngine"]

_VIEW_SUFFIX = "_typed"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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

    # -- the table ------------------------------------------------------------------------

    def _files_glob(self) -> str:
        if not any(self._parquet_root.glob("year=*/month=*/day=*/bucket=*/*.parquet")):
            raise InputError(
                f"the local cache {self.cache_dir} holds no data: fill it with "
                "`s3logs-athena sync --log-bucket ... --from ... --to ...` or "
                "`s3logs-athena ingest DIR` (or pass --cache)"
            )
        return (
            self._parquet_root / "year=*" / "month=*" / "day=*" / "bucket=*" / "*.parquet"
        ).as_posix()

    def _ensure_table(self, database: str, table: str) -> None:
        if (database, table) in self._views:
            return
        hive_types = ", ".join(f"{_quote_string(k)}: {v}" for k, v in self._hive_types.items())
        columns = ", ".join(
            _quote_identifier(c) for c in (*FIELD_NAMES, *(p.name for p in PARTITION_COLUMNS))
        )
        db = _quote_identifier(database)
        self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {db}")
        self._con.execute(
            f"CREATE OR REPLACE VIEW {db}.{_quote_identifier(table)} AS SELECT {columns} "
            f"FROM read_parquet({_quote_string(self._files_glob())}, hive_partitioning = true, "
            f"hive_types = {{{hive_types}}})"
        )
        self._views.add((database, table))

    def _ensure_typed_view(self, database: str, view: str) -> None:
        from ..table.ddl import TableSpec, view_statement

        table = view.removesuffix(_VIEW_SUFFIX)
        self._ensure_table(database, table)
        spec = TableSpec(
            location="s3://placeholder-bucket/PartitionedLogs/",
            database=database,
            table=table,
            bucket_projection="injected",
        )
        select = view_statement(spec).split(" AS\n", 1)[1]
        self._con.execute(
            f"CREATE OR REPLACE VIEW {_quote_identifier(database)}.{_quote_identifier(view)} AS "
            + to_duckdb_sql(select)
        )
        self._views.add((database, view))

    def _prepare(self, athena_sql: str) -> None:
        for database, table in referenced_tables(athena_sql):
            db = database or DEFAULT_DATABASE
            if table.endswith(_VIEW_SUFFIX):
                self._ensure_typed_view(db, table)
            else:
                self._ensure_table(db, table)

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
