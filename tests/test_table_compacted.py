"""The compacted table's DDL, Glue input and ALTER: the raw table's projection, typed
columns, Parquet."""

from __future__ import annotations

import pytest
import sqlglot

from s3logs_athena.errors import InputError
from s3logs_athena.layout import PARTITION_COLUMNS
from s3logs_athena.table.compacted import (
    PARQUET_SERDE,
    compacted_alter_statements,
    compacted_create_statement,
    compacted_glue_table_input,
    compacted_spec,
)
from s3logs_athena.table.ddl import TableSpec, alter_statements, glue_table_input, render_script
from s3logs_athena.table.schema import TYPED_COLUMNS

from .conftest import FIXTURES

LOCATION = "s3://central-logs/PartitionedLogs/"
ENUM = TableSpec(LOCATION, buckets=("app-assets", "app-uploads"))
INJECTED = TableSpec(LOCATION, database="logs", table="access", bucket_projection="injected")


def test_the_create_statement_is_the_golden_file() -> None:
    expected = (FIXTURES / "ddl" / "create_compacted.sql").read_text(encoding="utf-8")
    assert render_script([compacted_create_statement(ENUM)]) == expected


def test_it_parses_as_hive_ddl() -> None:
    statement = compacted_create_statement(INJECTED)
    assert sqlglot.parse_one(statement, read="hive") is not None
    assert "`logs`.`access_compacted`" in statement
    assert "LOCATION 's3://central-logs/CompactedLogs/'" in statement


@pytest.mark.parametrize("spec", [ENUM, INJECTED])
def test_the_glue_table_projects_like_the_raw_table(spec: TableSpec) -> None:
    raw = glue_table_input(spec)
    compacted = compacted_glue_table_input(spec)
    assert compacted["Name"] == spec.table + "_compacted"
    assert compacted["PartitionKeys"] == raw["PartitionKeys"]
    raw_projection = {k: v for k, v in raw["Parameters"].items() if k.startswith("projection.")}
    projection = {k: v for k, v in compacted["Parameters"].items() if k.startswith("projection.")}
    assert projection == raw_projection
    template = compacted["Parameters"]["storage.location.template"]
    assert template == raw["Parameters"]["storage.location.template"].replace(
        "PartitionedLogs/", "CompactedLogs/"
    )
    descriptor = compacted["StorageDescriptor"]
    assert descriptor["SerdeInfo"]["SerializationLibrary"] == PARQUET_SERDE
    assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [
        (c.name, c.athena_type) for c in TYPED_COLUMNS
    ]
    assert {c["Name"] for c in descriptor["Columns"]}.isdisjoint(c.name for c in PARTITION_COLUMNS)


def test_alter_updates_the_same_properties_as_the_raw_tables() -> None:
    (raw,) = alter_statements(ENUM)
    (compacted,) = compacted_alter_statements(ENUM)
    assert compacted == raw.replace("`s3_access_logs`", "`s3_access_logs_compacted`")


def test_a_custom_root_and_its_checks() -> None:
    spec = compacted_spec(ENUM, "logs/compacted/")
    assert spec.location == "s3://central-logs/logs/compacted/"
    with pytest.raises(InputError):
        compacted_spec(ENUM, "PartitionedLogs/compacted/")
    with pytest.raises(InputError):
        compacted_spec(TableSpec(LOCATION, table="t" * 250, bucket_projection="injected"))
