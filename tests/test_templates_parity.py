"""Athena and DuckDB answer every template alike, as far as this machine can tell.

* Every template's Athena SQL, for several parameter sets, parses as Trino and as Athena SQL,
  reads only ``<table>_all``, and references only columns that exist there: the typed columns
  (:data:`~s3logs_athena.table.schema.TYPED_COLUMNS`) and the partition columns (sqlglot's
  qualifier resolves every column against that schema; an unknown one fails). Nothing parses
  a raw string per query.
* Athena's raw side of ``<table>_all`` is the typed view over the raw table, partitioned by
  delivery day; the local engine reads the typed cache, partitioned by request day. The view
  is built here in DuckDB from the very DDL Athena gets (``view_statement``, transpiled) over
  the raw table's strings, and every template must give the same rows over it as the engine
  gives over the cache. (tests/test_templates_on_duckdb.py checks the engine's answers
  against Python-computed ones.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

from s3logs_athena.cache import find_log_files, ingest
from s3logs_athena.engines.duckdb import DuckDBEngine
from s3logs_athena.engines.result import frame_from_arrow
from s3logs_athena.fields import FIELD_NAMES, LOG_FIELDS, TRAILING_FIELD
from s3logs_athena.layout import DEFAULT_DATABASE, DEFAULT_TABLE, PARTITION_COLUMNS
from s3logs_athena.parser import split_line
from s3logs_athena.table.ddl import TableSpec, view_statement
from s3logs_athena.table.names import all_view, typed_view
from s3logs_athena.table.schema import TYPED_COLUMNS
from s3logs_athena.templates import QueryTemplate, list_templates
from s3logs_athena.templates.dialect import install_duckdb_macros, to_duckdb

from .conftest import FIXTURES

PARTITIONED = FIXTURES / "logs" / "partitioned"
NOW = datetime(2024, 5, 10, 12)
TEMPLATES = list_templates()
NAMES = [t.name for t in TEMPLATES]
#: Parameters that find fixture rows, beyond the range.
OWN = {
    "ip-activity": {"ip": "198.51.100.0/24"},
    "principal-activity": {
        "requester": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"
    },
    "object-history": {"prefix": "photos/", "key": None},
    "who-deleted": {"include_failed": "true"},
    "bucket-config-changes": {"include_failed": "true"},
    "latency-hotspots": {"min_requests": 1},
    "bulk-downloads": {"min_bytes": "1"},
    "bulk-download-days": {"min_bytes": "1"},
    "new-ips": {"baseline_days": 1},
}
RANGES = [
    {"start": "2024-03-01", "end": "2024-03-03"},
    {"start": "2024-03-01T10:00", "end": "2024-03-02T23:59:59"},
    {"start": "2024-02-29", "end": "2024-03-04", "buckets": "app-assets"},
]


def _params(template: QueryTemplate, window: dict[str, str]) -> dict[str, Any]:
    return {**template.example, **window, **OWN.get(template.name, {})}


# -- the SQL reads typed columns only --------------------------------------------------------


def _schema() -> dict[str, dict[str, dict[str, str]]]:
    columns = {c.name: c.trino_type for c in TYPED_COLUMNS}
    columns.update(
        {p.name: "integer" if p.athena_type == "int" else "varchar" for p in PARTITION_COLUMNS}
    )
    return {DEFAULT_DATABASE: {all_view(DEFAULT_TABLE): columns}}


@pytest.mark.parametrize("template", TEMPLATES, ids=NAMES)
def test_athena_sql_reads_only_typed_columns_of_the_all_view(template: QueryTemplate) -> None:
    for window in [{}, *RANGES]:
        sql = template.render({**template.example, **window}, now=NOW).sql
        for dialect in ("trino", "athena"):
            statements = sqlglot.parse(sql, read=dialect)
            assert len(statements) == 1 and isinstance(statements[0], exp.Query)
            tree = statements[0]
            tables = {(t.db, t.name) for t in tree.find_all(exp.Table) if t.db}
            assert tables == {(DEFAULT_DATABASE, all_view(DEFAULT_TABLE))}, template.name
            # Raises if any column is neither a typed nor a partition column (nor an alias).
            qualify(tree, schema=_schema(), dialect=dialect, validate_qualify_columns=True)
            assert not list(tree.find_all(exp.StrToTime)), "a time parsed per query"
            assert "requestdatetime" not in sql and "parse_datetime" not in sql


# -- Athena's typed view over the raw table answers like the typed cache --------------------


@pytest.fixture(scope="module")
def athena_raw_side() -> Iterator[duckdb.DuckDBPyConnection]:
    """``<table>_all`` as Athena has it over raw days: the typed view (from the DDL Athena
    gets) over the raw table's strings, partitioned by delivery day."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    install_duckdb_macros(con)
    types = {
        f.name: "BIGINT" if f.athena_type == "bigint" else "VARCHAR"
        for f in (*LOG_FIELDS, TRAILING_FIELD)
    }
    columns = ", ".join(f'"{name}" {types[name]}' for name in FIELD_NAMES)
    con.execute(f'CREATE SCHEMA "{DEFAULT_DATABASE}"')
    raw = f'"{DEFAULT_DATABASE}"."{DEFAULT_TABLE}"'
    con.execute(
        f"CREATE TABLE {raw} ({columns}, year INTEGER, month INTEGER, day INTEGER, bucket VARCHAR)"
    )
    for source in find_log_files(PARTITIONED)[0]:
        for line in source.path.read_text().splitlines():
            try:
                values: list[Any] = list(split_line(line))
            except ValueError:
                continue  # the SerDe gives a row of NULLs; no template counts it
            for i, name in enumerate(FIELD_NAMES):
                if types[name] == "BIGINT":  # the SerDe: NULL when not a number
                    values[i] = int(values[i]) if (values[i] or "").isdigit() else None
            values += [source.year, source.month, source.day, source.bucket]
            con.execute(f"INSERT INTO {raw} VALUES ({', '.join('?' * len(values))})", values)
    spec = TableSpec("s3://central-logs/PartitionedLogs/", bucket_projection="injected")
    select = view_statement(spec).split(" AS\n", 1)[1]
    view = f'"{DEFAULT_DATABASE}"."{typed_view(DEFAULT_TABLE)}"'
    con.execute(f"CREATE VIEW {view} AS {to_duckdb(select)}")
    con.execute(
        f'CREATE VIEW "{DEFAULT_DATABASE}"."{all_view(DEFAULT_TABLE)}" AS SELECT * FROM {view}'
    )
    yield con
    con.close()


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    cache = tmp_path_factory.mktemp("cache")
    ingest(PARTITIONED, cache)
    with DuckDBEngine(cache) as engine:
        yield engine


@pytest.mark.parametrize("template", TEMPLATES, ids=NAMES)
def test_the_typed_view_and_the_typed_cache_answer_alike(
    template: QueryTemplate, athena_raw_side: duckdb.DuckDBPyConnection, engine: DuckDBEngine
) -> None:
    answered = 0
    for window in RANGES:
        params = _params(template, window)
        athena_sql = template.render(params, now=NOW).sql
        cache_frame = engine.run(athena_sql).frame
        duck_sql = template.render(params, dialect="duckdb", now=NOW).sql
        view_frame = frame_from_arrow(athena_raw_side.sql(duck_sql).to_arrow_table())
        pd.testing.assert_frame_equal(cache_frame, view_frame, check_dtype=False)
        answered += len(cache_frame)
    assert answered, f"{template.name}: no fixture rows for any parameter set"


def test_partition_days_differ_but_answers_do_not(
    athena_raw_side: duckdb.DuckDBPyConnection, engine: DuckDBEngine, tmp_path: Path
) -> None:
    """The late record of 2024-03-01 sits in the 2nd's partition on the raw side and in the
    1st's in the cache: the proof above is not comparing two copies of one layout."""
    when = "request_time = TIMESTAMP '2024-03-01 23:59:59'"
    relation = f'"{DEFAULT_DATABASE}"."{all_view(DEFAULT_TABLE)}"'
    raw_days = athena_raw_side.execute(f"SELECT day FROM {relation} WHERE {when}").fetchall()
    cache_days = engine.run(f"SELECT day FROM {relation} WHERE {when}").frame["day"].tolist()
    assert raw_days and {d for (d,) in raw_days} == {2} and set(cache_days) == {1}
