"""Athena views as Glue stores them: the payload decodes to the view's SQL and columns, the
columns are the SQL's output columns, and the cost estimator (a reader of such views) follows
them; Glue on moto accepts the entry."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import sqlglot
from moto import mock_aws
from sqlglot import exp

from s3logs_athena.cost.stores import _view_sql
from s3logs_athena.table.compacted import compacted_spec
from s3logs_athena.table.ddl import TableSpec, typed_view_columns
from s3logs_athena.table.glue_view import (
    all_view_columns,
    all_view_input,
    athena_view_input,
    presto_view_payload,
)
from s3logs_athena.table.views import Coverage, all_view_query

SPEC = TableSpec(
    "s3://central-logs/PartitionedLogs/", database="weblogs", table="access", buckets=("a-b",)
)


def payload_of(table_input: dict[str, Any]) -> dict[str, Any]:
    text = table_input["ViewOriginalText"]
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    decoded: dict[str, Any] = json.loads(base64.b64decode(text[len("/* Presto View: ") : -3]))
    return decoded


def test_a_view_entry_is_what_athena_writes() -> None:
    columns = [("n", "bigint", "bigint"), ("when", "timestamp", "timestamp")]
    table_input = athena_view_input("v", "SELECT 1 AS n", database="db", columns=columns)
    assert table_input["TableType"] == "VIRTUAL_VIEW"
    assert table_input["Parameters"] == {"presto_view": "true", "comment": "Presto View"}
    assert table_input["ViewExpandedText"] == "/* Presto View */"
    assert payload_of(table_input) == {
        "originalSql": "SELECT 1 AS n",
        "catalog": "awsdatacatalog",
        "schema": "db",
        "columns": [{"name": "n", "type": "bigint"}, {"name": "when", "type": "timestamp"}],
    }
    storage = table_input["StorageDescriptor"]
    assert storage["Columns"] == [
        {"Name": "n", "Type": "bigint"},
        {"Name": "when", "Type": "timestamp"},
    ]
    assert storage["SerdeInfo"] == {}  # Athena refuses a table without one


def test_the_all_view_columns_are_its_select_list_with_both_type_systems() -> None:
    names = [name for name, _, _ in all_view_columns()]
    assert names == [column["name"] for column in typed_view_columns()]
    types = {name: (trino, hive) for name, trino, hive in all_view_columns()}
    assert types["request_time"] == ("timestamp", "timestamp")
    assert types["http_status"] == ("integer", "int")
    assert types["bytes_sent"] == ("bigint", "bigint")
    assert types["year"] == ("integer", "int") and types["bucket"] == ("varchar", "string")


def test_the_all_view_entry_holds_the_view_with_no_day_compacted() -> None:
    table_input = all_view_input(SPEC, "Compacted/")
    assert table_input["Name"] == "access_all"
    payload = payload_of(table_input)
    compacted = compacted_spec(SPEC, "Compacted/").table
    assert payload["originalSql"] == all_view_query(SPEC, Coverage(), compacted_table=compacted)
    assert payload["schema"] == "weblogs"
    query = sqlglot.parse_one(payload["originalSql"], read="athena")
    assert isinstance(query, exp.Union)
    scanned = {(t.db, t.name) for t in query.find_all(exp.Table)}
    assert scanned == {("weblogs", "access"), ("weblogs", "access_compacted")}
    assert [select.alias_or_name for select in query.left.expressions] == [  # type: ignore[attr-defined]
        c["name"] for c in payload["columns"]
    ]


def test_the_cost_estimator_reads_the_entry() -> None:
    table_input = all_view_input(SPEC)
    assert "access_compacted" in _view_sql(table_input["ViewOriginalText"], "test")


@mock_aws
def test_glue_accepts_the_entry() -> None:
    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_database(DatabaseInput={"Name": "weblogs"})
    glue.create_table(DatabaseName="weblogs", TableInput=all_view_input(SPEC))
    stored = glue.get_table(DatabaseName="weblogs", Name="access_all")["Table"]
    assert stored["TableType"] == "VIRTUAL_VIEW"
    assert len(stored["StorageDescriptor"]["Columns"]) == len(all_view_columns())


def test_a_payload_without_a_database_leaves_the_schema_out() -> None:
    assert presto_view_payload("SELECT 1") == {
        "originalSql": "SELECT 1",
        "catalog": "awsdatacatalog",
        "columns": [],
    }
