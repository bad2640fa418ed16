"""The DDL double: our statements leave in moto's Glue what Athena would leave."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.table.apply import apply_statements
from s3logs_athena.table.ddl import TableSpec, create_statements, glue_table_input, view_statement
from s3logs_athena.testing.athena_ddl import GlueDdlConnection

SPEC = TableSpec("s3://central-logs/PartitionedLogs/", buckets=("a-b",))


@mock_aws
def test_a_created_table_has_the_generated_columns_keys_location_and_properties() -> None:
    glue = boto3.client("glue", region_name="us-east-1")
    apply_statements([*create_statements(SPEC), view_statement(SPEC)], GlueDdlConnection(glue))
    table = glue.get_table(DatabaseName=SPEC.database, Name=SPEC.table)["Table"]
    expected = glue_table_input(SPEC)
    columns = [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]
    assert columns == [(c["Name"], c["Type"]) for c in expected["StorageDescriptor"]["Columns"]]
    assert table["PartitionKeys"] == expected["PartitionKeys"]
    assert table["StorageDescriptor"]["Location"] == SPEC.location
    for name in ("projection.enabled", "projection.bucket.values", "storage.location.template"):
        assert table["Parameters"][name] == expected["Parameters"][name]
    view = glue.get_table(DatabaseName=SPEC.database, Name=SPEC.view)["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"


@mock_aws
def test_create_without_if_not_exists_fails_on_an_existing_table() -> None:
    glue = boto3.client("glue", region_name="us-east-1")
    apply_statements(create_statements(SPEC), GlueDdlConnection(glue))
    statement = create_statements(SPEC)[1].replace(" IF NOT EXISTS", "")
    with pytest.raises(glue.exceptions.AlreadyExistsException):
        GlueDdlConnection(glue).cursor().execute(statement)


def test_an_unknown_statement_is_refused() -> None:
    with pytest.raises(NotImplementedError):
        GlueDdlConnection(glue=None).cursor().execute("DROP TABLE x")
