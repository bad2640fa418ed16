"""``s3logs-athena ddl``: output formats, --apply, and one clear message for bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import boto3
import pytest
from click.testing import CliRunner, Result
from moto import mock_aws
from pyathena.error import OperationalError

from s3logs_athena.cli import ddl_cmd
from s3logs_athena.cli.main import cli
from s3logs_athena.table.ddl import (
    TableSpec,
    alter_statements,
    create_statements,
    glue_table_input,
    render_script,
    view_statement,
)

from .conftest import FIXTURES

LOCATION = "s3://central-logs/PartitionedLogs/"
ENUM_ARGS = ["ddl", "--location", LOCATION, "--buckets", "app-assets,app-uploads"]


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, list(args))


def test_sql_output_is_the_enum_golden_file() -> None:
    result = run(*ENUM_ARGS, "--years", "2020,2035")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (FIXTURES / "ddl" / "create_enum.sql").read_text(encoding="utf-8")


def test_injected_with_view_and_names() -> None:
    result = run(
        "ddl",
        "--location",
        LOCATION,
        "--bucket-projection",
        "injected",
        "--database",
        "logs",
        "--table",
        "access",
        "--with-view",
    )
    assert result.exit_code == 0, result.stderr
    spec = TableSpec(LOCATION, database="logs", table="access", bucket_projection="injected")
    assert result.stdout == render_script([*create_statements(spec), view_statement(spec)])
    assert 'CREATE OR REPLACE VIEW "logs"."access_typed"' in result.stdout


def test_alter_output() -> None:
    result = run(*ENUM_ARGS, "--buckets", "a-b,c-d", "--years", "2021,2040", "--alter")
    assert result.exit_code == 0, result.stderr
    spec = TableSpec(LOCATION, buckets=("a-b", "c-d"), years=(2021, 2040))
    assert result.stdout == render_script(alter_statements(spec))


def test_buckets_list_tolerates_spaces() -> None:
    result = run("ddl", "--location", LOCATION, "--buckets", " a-b , c-d ")
    assert result.exit_code == 0, result.stderr
    assert "'projection.bucket.values' = 'a-b,c-d'" in result.stdout


def test_glue_json_is_create_table_arguments() -> None:
    result = run(*ENUM_ARGS, "--format", "glue-json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    spec = TableSpec(LOCATION, buckets=("app-assets", "app-uploads"))
    assert document == {"DatabaseName": spec.database, "TableInput": glue_table_input(spec)}
    with mock_aws():
        glue = boto3.client("glue", region_name="us-east-1")
        glue.create_database(DatabaseInput={"Name": spec.database})
        glue.create_table(**document)
        stored = glue.get_table(DatabaseName=spec.database, Name=spec.table)["Table"]
    assert stored["Parameters"]["projection.bucket.values"] == "app-assets,app-uploads"


# -- --apply -----------------------------------------------------------------------------------


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_apply_runs_each_statement_on_athena(aws: None) -> None:
    result = run(
        *ENUM_ARGS, "--with-view", "--apply", "--output-location", "s3://athena-results/ddl/"
    )
    assert result.exit_code == 0, result.stderr
    spec = TableSpec(LOCATION, buckets=("app-assets", "app-uploads"))
    statements = [*create_statements(spec), view_statement(spec)]
    assert result.stdout == render_script(statements)
    query_ids = re.findall(r"\(query ([0-9a-f-]+)\)", result.stderr)
    assert len(query_ids) == 3
    athena = boto3.client("athena", region_name="us-east-1")
    executed = [
        athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Query"]
        for query_id in query_ids
    ]
    assert executed == statements
    assert "Applied 3 statement(s)" in result.stderr


def test_apply_takes_settings_from_pyathena_environment(aws: None) -> None:
    env = {"AWS_ATHENA_S3_STAGING_DIR": "s3://athena-results/env/", "AWS_REGION": "eu-west-1"}
    result = run(*ENUM_ARGS, "--alter", "--apply", env=env)
    assert result.exit_code == 0, result.stderr
    (query_id,) = re.findall(r"\(query ([0-9a-f-]+)\)", result.stderr)
    athena = boto3.client("athena", region_name="eu-west-1")
    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["Query"].startswith("ALTER TABLE")
    assert execution["ResultConfiguration"]["OutputLocation"].startswith("s3://athena-results/env/")


def test_apply_failure_exits_1_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    class Cursor:
        query_id = None

        def execute(self, operation: str) -> None:
            raise OperationalError("FAILED: AccessDeniedException: not authorized")

    class Connection:
        def cursor(self) -> Cursor:
            return Cursor()

    monkeypatch.setattr(ddl_cmd, "connect_athena", lambda **_settings: Connection())
    result = run(*ENUM_ARGS, "--apply", "--output-location", "s3://athena-results/ddl/")
    assert result.exit_code == 1
    assert "statement 1 of 2 failed" in result.stderr
    assert "not authorized" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# -- bad input -----------------------------------------------------------------------------

BAD_INPUT = [
    (["--location", "central-logs/PartitionedLogs/", "--buckets", "a-b"], "not an s3:// URI"),
    (["--location", "s3://central-logs/", "--buckets", "a-b"], "partition root"),
    (["--location", "s3://Central_Logs/P/", "--buckets", "a-b"], "invalid bucket name"),
    (["--location", LOCATION], "--buckets a,b,c"),
    (["--location", LOCATION, "--bucket-projection", "enum"], "needs the source buckets"),
    (
        ["--location", LOCATION, "--buckets", "a-b", "--bucket-projection", "injected"],
        "exclude each other",
    ),
    (["--location", LOCATION, "--buckets", "a-b,,c-d"], "comma-separated"),
    (["--location", LOCATION, "--buckets", "a-b,Bad_Name"], "invalid bucket name 'Bad_Name'"),
    (["--location", LOCATION, "--buckets", "a-b", "--years", "2035,2020"], "reversed"),
    (["--location", LOCATION, "--buckets", "a-b", "--years", "1900,2020"], "out of bounds"),
    (["--location", LOCATION, "--buckets", "a-b", "--years", "2020"], "first and last year"),
    (["--location", LOCATION, "--buckets", "a-b", "--years", "20x0,2030"], "first and last year"),
    (["--location", LOCATION, "--buckets", "a-b", "--database", "My-DB"], "database name"),
    (["--location", LOCATION, "--buckets", "a-b", "--table", "logs;drop"], "table name"),
    (
        ["--location", LOCATION, "--buckets", "a-b", "--format", "glue-json", "--with-view"],
        "--with-view works with SQL output only",
    ),
    (
        ["--location", LOCATION, "--buckets", "a-b", "--format", "glue-json", "--alter"],
        "--alter works with SQL output only",
    ),
    (["--location", LOCATION, "--buckets", "a-b", "--format", "yaml"], "Invalid value"),
    (["--buckets", "a-b"], "Missing option '--location'"),
    (
        ["--location", LOCATION, "--buckets", "a-b", "--apply"],
        "query result location",
    ),
    (
        ["--location", LOCATION, "--buckets", "a-b", "--apply", "--output-location", "/tmp/x"],
        "not an s3:// URI",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_exits_2_with_one_clear_message(args: list[str], message: str) -> None:
    env: dict[str, str | None] = {"AWS_ATHENA_S3_STAGING_DIR": None, "AWS_ATHENA_WORK_GROUP": None}
    result = run("ddl", *args, env=env)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Error" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""  # nothing half-printed
    # One message: our errors are a single line (click's usage errors add a usage header).
    if message not in ("Invalid value", "Missing option '--location'"):
        assert len(result.stderr.strip().splitlines()) == 1
