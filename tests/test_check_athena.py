"""``--athena``: the row count query, pyathena against moto's Athena, and the comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlglot
from moto.athena.models import QueryResults, athena_backends
from moto.core import DEFAULT_ACCOUNT_ID

from s3logs_athena.check import CheckConfig, Kind, Projection, RowCount, row_count_sql, run_check
from s3logs_athena.check.athena import PyAthenaRowCounter
from s3logs_athena.errors import InputError, QueryError
from s3logs_athena.table.apply import connect_athena
from tests.check_support import LOG_BUCKET, body, s3, seed

__all__ = ["s3"]

P = "PartitionedLogs/Year=2024/Month=01/"
GOOD = f"{P}Day=02/app/2024-01-02-10-00-00-AAAA"
SHORT = f"{P}Day=02/app/2024-01-02-11-00-00-BBBB"
UNSEEN = f"{P}Day=03/app/2024-01-03-10-00-00-CCCC"
HIDDEN = f"{P}Day=02/web/2024-01-02-10-00-00-DDDD"


def test_the_query_filters_every_partition_column_and_parses() -> None:
    sql = row_count_sql(
        "s3_access_logs_db", "s3_access_logs", [date(2024, 1, 3), date(2024, 1, 2)], ["b", "a'b"]
    )
    tree = sqlglot.parse_one(sql, read="trino")
    assert tree.find(sqlglot.exp.Group) is not None
    assert "bucket IN ('a''b', 'b')" in sql
    assert (
        "(year = 2024 AND month = 1 AND day = 2) OR (year = 2024 AND month = 1 AND day = 3)" in sql
    )
    assert 'FROM "s3_access_logs_db"."s3_access_logs"' in sql
    with pytest.raises(InputError):
        row_count_sql("d", "t", [], ["a"])


def seed_objects(client: Any) -> None:
    line = [("app", "2024-01-02T09:00:00")]
    seed(
        client,
        [
            (GOOD, body(line * 3)),
            (SHORT, body(line * 2) + b"not a record\n"),
            (UNSEEN, body(line)),
            (HIDDEN, body([("web", "2024-01-02T09:00:00")])),
        ],
    )


def athena_answers(rows: list[tuple[str, int, int]]) -> None:
    """Queue the result moto's Athena gives the next query (it does not run SQL)."""

    def cell(value: object) -> dict[str, str]:
        return {"VarCharValue": str(value)}

    header = {"Data": [cell("path"), cell("row_count"), cell("parsed_count")]}
    data = [{"Data": [cell(p), cell(r), cell(n)]} for p, r, n in rows]
    columns = [
        {"Name": "path", "Type": "varchar"},
        {"Name": "row_count", "Type": "bigint"},
        {"Name": "parsed_count", "Type": "bigint"},
    ]
    backend = athena_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    backend.query_results_queue.append(QueryResults([header, *data], columns))


def test_counts_compared_object_by_object_through_pyathena_on_moto(s3: Any) -> None:
    seed_objects(s3)
    s3.create_bucket(Bucket="athena-results")
    athena_answers(
        [
            (f"s3://{LOG_BUCKET}/{GOOD}", 3, 3),
            (f"s3://{LOG_BUCKET}/{SHORT}", 3, 3),  # Athena parses a line we do not
            (f"s3://{LOG_BUCKET}/{P}Day=02/app/2024-01-02-12-00-00-GONE", 5, 5),
        ]
    )
    counter = PyAthenaRowCounter(
        "s3_access_logs_db",
        "s3_access_logs",
        connect=lambda: connect_athena(region="us-east-1", output_location="s3://athena-results/"),
    )
    config = CheckConfig(
        LOG_BUCKET, date(2024, 1, 2), date(2024, 1, 3),
        projection=Projection({}, frozenset({"app"}), "the test"),
        now=datetime.now(UTC) + timedelta(hours=1),
    )  # fmt: skip
    report = run_check(s3, config, row_counter=counter)
    mismatches = {f.key: f.detail for f in report.findings if f.kind is Kind.ATHENA_MISMATCH}
    assert mismatches == {
        SHORT: "Athena reads 3 rows (3 parsed); the object holds 3 lines (2 records)",
        UNSEEN: "Athena returns no rows for this object; it holds 1 lines",
        f"{P}Day=02/app/2024-01-02-12-00-00-GONE": (
            "Athena reads 5 rows from an object the listing did not find"
        ),
    }
    # The web partition is unprojected: reported as such, not as an Athena mismatch.
    assert {f.kind for f in report.findings} == {Kind.ATHENA_MISMATCH, Kind.UNPROJECTED}
    assert report.objects_read == 4 and report.athena


class _Cursor:
    def __init__(self, rows: list[tuple[Any, ...]] | Exception) -> None:
        self.rows = rows
        self.sql: str | None = None

    def execute(self, sql: str) -> None:
        self.sql = sql
        if isinstance(self.rows, Exception):
            raise self.rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        assert not isinstance(self.rows, Exception)
        return self.rows


class _Connection:
    def __init__(self, cursor: _Cursor) -> None:
        self._cursor = cursor
        self.closed = False

    def cursor(self) -> _Cursor:
        return self._cursor

    def close(self) -> None:
        self.closed = True


def test_the_adapter_runs_one_query_and_closes_its_connection() -> None:
    cursor = _Cursor([("s3://b/k", "4", "3")])
    connection = _Connection(cursor)
    counter = PyAthenaRowCounter("db", "t", connect=lambda: connection)
    assert counter.row_counts([date(2024, 1, 2)], ["app"]) == {"s3://b/k": RowCount(4, 3)}
    assert cursor.sql == row_count_sql("db", "t", [date(2024, 1, 2)], ["app"])
    assert connection.closed


def test_an_athena_failure_is_a_query_error(s3: Any) -> None:
    seed_objects(s3)
    connection = _Connection(_Cursor(RuntimeError("TABLE_NOT_FOUND: line 2:6")))
    counter = PyAthenaRowCounter("db", "t", connect=lambda: connection)
    config = CheckConfig(LOG_BUCKET, date(2024, 1, 2), date(2024, 1, 3))
    with pytest.raises(QueryError, match="TABLE_NOT_FOUND"):
        run_check(s3, config, row_counter=counter)
    assert connection.closed


def test_matching_counts_are_aligned(s3: Any) -> None:
    seed(s3, [(GOOD, body([("app", "2024-01-02T09:00:00")] * 2) + b"\n")])
    counter = PyAthenaRowCounter(
        "db", "t", connect=lambda: _Connection(_Cursor([(f"s3://{LOG_BUCKET}/{GOOD}", 3, 2)]))
    )
    report = run_check(
        s3, CheckConfig(LOG_BUCKET, date(2024, 1, 2), date(2024, 1, 2)), row_counter=counter
    )
    assert report.findings == [] and report.objects_read == 1


def test_the_command_compares_with_athena(s3: Any) -> None:
    from click.testing import CliRunner

    from s3logs_athena.cli.main import cli

    seed(s3, [(GOOD, body([("app", "2024-01-02T09:00:00")]))])
    s3.create_bucket(Bucket="athena-results")
    athena_answers([(f"s3://{LOG_BUCKET}/{GOOD}", 1, 1)])
    args = ["check", "--log-bucket", LOG_BUCKET, "--from", "2024-01-02", "--to", "2024-01-02",
            "--athena", "--athena-output", "s3://athena-results/", "--format", "json"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    athena_answers([(f"s3://{LOG_BUCKET}/{GOOD}", 2, 2)])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert '"athena_mismatch": 1' in result.stdout
