"""The template's Glue tables and view are the generators', for any parameter values (no drift)."""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import boto3
import pytest
import sqlglot
from moto import mock_aws
from sqlglot import exp

from s3logs_athena.table.ddl import TableSpec, glue_table_input
from s3logs_athena.table.glue_view import all_view_input
from s3logs_athena.table.views import Coverage, all_view_query
from s3logs_athena.testing.template import Resolver, load_template

from .conftest import REPO_ROOT

PHYSICAL = {"LogBucket": "s3logs-logbucket-1a2b3c", "GlueDatabase": "s3_access_logs_db"}


def sync_module() -> Any:
    sys.path.insert(0, str(REPO_ROOT / "infra"))
    try:
        import sync_template
    finally:
        sys.path.pop(0)
    return sync_template


def resolved_glue(parameters: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    template = load_template()
    physical = dict(PHYSICAL)
    resolver = Resolver(template, parameters, physical)
    database = resolver.resolve(template["Resources"]["GlueDatabase"]["Properties"])
    table = resolver.resolve(template["Resources"]["GlueTable"]["Properties"])
    assert table["DatabaseName"] == physical["GlueDatabase"]
    return database["DatabaseInput"]["Name"], table["TableInput"]


def test_the_template_is_up_to_date_with_the_generator() -> None:
    sync = sync_module()
    current = sync.TEMPLATE.read_text()
    assert sync.synced(current) == current, "run: python infra/sync_template.py"


CASES = [
    pytest.param(
        {},
        TableSpec(
            location=f"s3://{PHYSICAL['LogBucket']}/PartitionedLogs/",
            bucket_projection="injected",
        ),
        id="defaults: new bucket, injected projection",
    ),
    pytest.param(
        {
            "ExistingLogBucketName": "central-logs",
            "PartitionRoot": "logs/by-day/",
            "DatabaseName": "weblogs",
            "TableName": "access",
            "BucketProjection": "enum",
            "SourceBuckets": ["app-assets", "app-uploads", "static.example.com"],
            "FirstProjectedYear": 2019,
            "LastProjectedYear": 2030,
        },
        TableSpec(
            location="s3://central-logs/logs/by-day/",
            database="weblogs",
            table="access",
            buckets=("app-assets", "app-uploads", "static.example.com"),
            bucket_projection="enum",
            years=(2019, 2030),
        ),
        id="existing bucket, enum projection, custom names and years",
    ),
]


@pytest.mark.parametrize(("parameters", "spec"), CASES)
def test_the_resolved_table_equals_glue_table_input(
    parameters: dict[str, Any], spec: TableSpec
) -> None:
    database, table_input = resolved_glue(parameters)
    assert database == spec.database
    assert table_input == glue_table_input(spec)


def test_the_mover_and_the_table_share_the_partition_root() -> None:
    template = load_template()
    variables = template["Resources"]["MoverFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["MOVER_PARTITION_ROOT"] == {"Ref": "PartitionRoot"}
    _, table_input = resolved_glue({"ExistingLogBucketName": "b-logs", "PartitionRoot": "P/"})
    assert table_input["StorageDescriptor"]["Location"] == "s3://b-logs/P/"


@mock_aws
def test_glue_accepts_the_resolved_table() -> None:
    database, table_input = resolved_glue({"BucketProjection": "enum", "SourceBuckets": ["a-b-c"]})
    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput=table_input)
    table = glue.get_table(DatabaseName=database, Name=table_input["Name"])["Table"]
    assert table["Parameters"]["projection.bucket.values"] == "a-b-c"
    assert [c["Name"] for c in table["PartitionKeys"]] == ["year", "month", "day", "bucket"]


def resolved_compacted(parameters: dict[str, Any]) -> dict[str, Any]:
    template = load_template()
    resolver = Resolver(template, parameters, dict(PHYSICAL))
    table = resolver.resolve(template["Resources"]["GlueCompactedTable"]["Properties"])
    assert table["DatabaseName"] == PHYSICAL["GlueDatabase"]
    table_input: dict[str, Any] = table["TableInput"]
    return table_input


@pytest.mark.parametrize(("parameters", "spec"), CASES)
def test_the_resolved_compacted_table_equals_its_generator(
    parameters: dict[str, Any], spec: TableSpec
) -> None:
    from s3logs_athena.table.compacted import compacted_glue_table_input

    assert resolved_compacted(parameters) == compacted_glue_table_input(spec)
    custom = {**parameters, "CompactedRoot": "logs/compacted/"}
    assert resolved_compacted(custom) == compacted_glue_table_input(spec, "logs/compacted/")


@mock_aws
def test_glue_accepts_the_resolved_compacted_table() -> None:
    database, _ = resolved_glue({})
    table_input = resolved_compacted({})
    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput=table_input)
    table = glue.get_table(DatabaseName=database, Name="s3_access_logs_compacted")["Table"]
    assert table["StorageDescriptor"]["Location"].endswith("/CompactedLogs/")
    assert table["Parameters"]["projection.bucket.type"] == "injected"


# -- <table>_all: the view the query templates read, there from the first deploy ---------------


def resolved_all_view(parameters: dict[str, Any]) -> dict[str, Any]:
    template = load_template()
    resolver = Resolver(template, parameters, dict(PHYSICAL))
    view = resolver.resolve(template["Resources"]["GlueAllView"]["Properties"])
    assert view["DatabaseName"] == PHYSICAL["GlueDatabase"]
    table_input: dict[str, Any] = view["TableInput"]
    return table_input


def view_payload(table_input: dict[str, Any]) -> dict[str, Any]:
    text = table_input["ViewOriginalText"]
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    payload: dict[str, Any] = json.loads(base64.b64decode(text[len("/* Presto View: ") : -3]))
    return payload


@pytest.mark.parametrize(("parameters", "spec"), CASES)
def test_the_resolved_all_view_equals_its_generator(
    parameters: dict[str, Any], spec: TableSpec
) -> None:
    """The view with no day compacted, for the stack's names, as Athena would store it."""
    table_input = resolved_all_view(parameters)
    assert table_input == all_view_input(spec)
    assert table_input["Name"] == f"{spec.table}_all"
    payload = view_payload(table_input)
    assert payload["schema"] == spec.database and payload["catalog"] == "awsdatacatalog"
    compacted = f"{spec.table}_compacted"
    assert payload["originalSql"] == all_view_query(spec, Coverage(), compacted_table=compacted)
    for dialect in ("athena", "trino"):
        query = sqlglot.parse_one(payload["originalSql"], read=dialect)
        scanned = {(table.db, table.name) for table in query.find_all(exp.Table)}
        assert scanned == {(spec.database, spec.table), (spec.database, compacted)}
    names = [column["Name"] for column in table_input["StorageDescriptor"]["Columns"]]
    assert names == [column["name"] for column in payload["columns"]]


def test_the_view_block_is_generated_not_edited() -> None:
    """A hand edit of the view's SQL in the template is undone by the generator (and fails
    test_the_template_is_up_to_date_with_the_generator)."""
    sync = sync_module()
    current = sync.TEMPLATE.read_text()
    start = current.index("  GlueAllView:")
    block = current[start : current.index("# -- END generated", start)]
    assert block.count("WHERE FALSE") == 1  # the compacted side, no day covered
    edited = current.replace(block, block.replace("WHERE FALSE", "WHERE TRUE"))
    assert sync.synced(edited) != edited
    assert sync.synced(edited) == current


def test_the_compactor_may_replace_the_view() -> None:
    """CREATE OR REPLACE VIEW through Athena updates the Glue entry the stack created."""
    template = load_template()
    role = template["Resources"]["CompactionSchedulerRole"]["Properties"]
    statements = [
        statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if statement.get("Sid") == "WriteTheViewToTheCatalog"
    ]
    (statement,) = statements
    assert {"glue:GetTable", "glue:UpdateTable", "glue:CreateTable"} <= set(statement["Action"])
    resources = Resolver(template, {}, dict(PHYSICAL)).resolve(statement["Resource"])
    assert "arn:aws:glue:us-east-1:123456789012:table/s3_access_logs_db/s3_access_logs_all" in (
        resources
    )


@mock_aws
def test_glue_accepts_the_resolved_all_view() -> None:
    database, _ = resolved_glue({})
    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput=resolved_all_view({}))
    view = glue.get_table(DatabaseName=database, Name="s3_access_logs_all")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    assert view["Parameters"]["presto_view"] == "true"


def test_an_existing_view_can_stay_the_compactors() -> None:
    """A stack whose compactor created <table>_all before the template held it cannot adopt
    it: CreateAllView=false leaves the view out of the stack (and the output still names
    it), the default puts it in."""
    template = load_template()
    parameter = template["Parameters"]["CreateAllView"]
    assert parameter["Default"] == "true" and parameter["AllowedValues"] == ["true", "false"]
    view = template["Resources"]["GlueAllView"]
    assert view["Condition"] == "CreateAllViewInStack"
    condition = template["Conditions"]["CreateAllViewInStack"]
    assert condition == {"Fn::Equals": [{"Ref": "CreateAllView"}, "true"]}
    output = json.dumps(template["Outputs"]["AllView"])
    assert "GlueAllView" not in output and "_all" in output
