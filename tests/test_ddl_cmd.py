"""``s3logs-athena ddl``: output formats, --apply, and one clear message for bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
from click.testing import CliRunner, Result
from moto import mock_aws
from pyathena.error import OperationalError

from s3logs_athena.cli import ddl_cmd
from s3logs_athena.cli.main import cli
from s3logs_athena.table.apply import connect_athena
from s3logs_athena.table.compacted import (
    compacted_alter_statements,
    compacted_create_statement,
    compacted_glue_table_input,
)
from s3logs_athena.table.ddl import (
    TableSpec,
    alter_statements,
    create_statements,
    glue_table_input,
    render_script,
    view_statement,
)
from s3logs_athena.table.views import Coverage, all_view_statement
from s3logs_athena.testing.athena_ddl import GlueDdlConnection

from .conftest import FIXTURES

LOCATION = "s3://central-logs/PartitionedLogs/"
ENUM_ARGS = ["ddl", "--location", LOCATION, "--buckets", "app-assets,app-uploads"]


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, list(args))


def test_sql_output_is_the_golden_file_raw_compacted_and_all() -> None:
    """By default: the raw table, the compacted table and the view the templates read."""
    result = run(*ENUM_ARGS, "--years", "2020,2035")
    assert result.exit_code == 0, result.stderr
    expected = (FIXTURES / "ddl" / "create_all_enum.sql").read_text(encoding="utf-8")
    assert result.stdout == expected
    assert 'CREATE OR REPLACE VIEW "s3_access_logs_db"."s3_access_logs_all"' in result.stdout
    assert run(*ENUM_ARGS, "--years", "2020,2035", "--compacted").stdout == expected


def test_no_compacted_is_the_raw_table_alone() -> None:
    result = run(*ENUM_ARGS, "--years", "2020,2035", "--no-compacted")
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
    assert result.stdout == render_script(
        [
            *create_statements(spec),
            compacted_create_statement(spec),
            view_statement(spec),
            all_view_statement(spec, Coverage()),
        ]
    )
    assert 'CREATE OR REPLACE VIEW "logs"."access_typed"' in result.stdout
    assert 'FROM "logs"."access_compacted"' in result.stdout
    assert 'CREATE OR REPLACE VIEW "logs"."access_all"' in result.stdout


def test_compacted_root_moves_the_compacted_table() -> None:
    result = run(*ENUM_ARGS, "--compacted-root", "logs/compacted/")
    assert result.exit_code == 0, result.stderr
    assert "LOCATION 's3://central-logs/logs/compacted/'" in result.stdout


def test_alter_output_updates_both_tables() -> None:
    result = run(*ENUM_ARGS, "--buckets", "a-b,c-d", "--years", "2021,2040", "--alter")
    assert result.exit_code == 0, result.stderr
    spec = TableSpec(LOCATION, buckets=("a-b", "c-d"), years=(2021, 2040))
    assert result.stdout == render_script(
        [*alter_statements(spec), *compacted_alter_statements(spec)]
    )
    raw_only = run(*ENUM_ARGS, "--buckets", "a-b,c-d", "--years", "2021,2040", "--alter",
                   "--no-compacted")  # fmt: skip
    assert raw_only.stdout == render_script(alter_statements(spec))


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


def test_glue_json_is_the_raw_table_unless_compacted_is_asked_for() -> None:
    """One TableInput, as before the compacted table became part of the default: the raw
    table's, or the compacted table's with an explicit --compacted."""
    spec = TableSpec(LOCATION, buckets=("app-assets", "app-uploads"))
    raw = json.loads(run(*ENUM_ARGS, "--format", "glue-json", "--no-compacted").stdout)
    assert raw["TableInput"] == glue_table_input(spec)
    result = run(*ENUM_ARGS, "--format", "glue-json", "--compacted", "--compacted-root", "C/")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["TableInput"] == compacted_glue_table_input(spec, "C/")
    assert document["TableInput"]["Name"] == "s3_access_logs_compacted"


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
    statements = [
        *create_statements(spec),
        compacted_create_statement(spec),
        view_statement(spec),
        all_view_statement(spec, Coverage()),  # no log bucket yet: nothing compacted
    ]
    assert result.stdout == render_script(statements)
    assert "s3://central-logs/ does not exist (yet)" in result.stderr
    query_ids = re.findall(r"\(query ([0-9a-f-]+)\)", result.stderr)
    assert len(query_ids) == 5
    athena = boto3.client("athena", region_name="us-east-1")
    executed = [
        athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Query"]
        for query_id in query_ids
    ]
    assert executed == statements
    assert "Applied 5 statement(s)" in result.stderr


def test_apply_takes_settings_from_pyathena_environment(aws: None) -> None:
    env = {"AWS_ATHENA_S3_STAGING_DIR": "s3://athena-results/env/", "AWS_REGION": "eu-west-1"}
    result = run(*ENUM_ARGS, "--alter", "--apply", env=env)
    assert result.exit_code == 0, result.stderr
    query_ids = re.findall(r"\(query ([0-9a-f-]+)\)", result.stderr)
    assert len(query_ids) == 2  # the raw table's ALTER, then the compacted table's
    athena = boto3.client("athena", region_name="eu-west-1")
    for query_id, table in zip(
        query_ids, ("s3_access_logs", "s3_access_logs_compacted"), strict=True
    ):
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        assert execution["Query"].startswith(f"ALTER TABLE `s3_access_logs_db`.`{table}` ")
        location = execution["ResultConfiguration"]["OutputLocation"]
        assert location.startswith("s3://athena-results/env/")


def test_apply_failure_exits_1_with_one_line(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert "statement 1 of 4 failed" in result.stderr
    assert "not authorized" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def _apply_to_glue(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``--apply`` runs on moto's Athena and, through the DDL double, changes moto's Glue as
    Athena would; returns the Glue client."""
    glue = boto3.client("glue", region_name="us-east-1")

    def connect(**settings: Any) -> GlueDdlConnection:
        return GlueDdlConnection(glue, inner=connect_athena(**settings))

    monkeypatch.setattr(ddl_cmd, "connect_athena", connect)
    return glue


def _catalog(glue: Any, database: str = "s3_access_logs_db") -> dict[str, str]:
    tables = glue.get_tables(DatabaseName=database)["TableList"]
    return {table["Name"]: table["TableType"] for table in tables}


APPLY = ("--apply", "--output-location", "s3://athena-results/ddl/")


def test_apply_leaves_raw_compacted_and_all_in_the_catalog(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `query run --engine athena` reads exists after the plain `ddl --apply`."""
    glue = _apply_to_glue(monkeypatch)
    result = run(*ENUM_ARGS, *APPLY)
    assert result.exit_code == 0, result.stderr
    assert _catalog(glue) == {
        "s3_access_logs": "EXTERNAL_TABLE",
        "s3_access_logs_compacted": "EXTERNAL_TABLE",
        "s3_access_logs_all": "VIRTUAL_VIEW",
    }
    compacted = glue.get_table(DatabaseName="s3_access_logs_db", Name="s3_access_logs_compacted")
    assert compacted["Table"]["StorageDescriptor"]["Location"] == "s3://central-logs/CompactedLogs/"
    again = run(*ENUM_ARGS, *APPLY)  # idempotent: IF NOT EXISTS, OR REPLACE
    assert again.exit_code == 0, again.stderr


def test_apply_no_compacted_leaves_the_raw_table_alone(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    glue = _apply_to_glue(monkeypatch)
    result = run(*ENUM_ARGS, "--no-compacted", *APPLY)
    assert result.exit_code == 0, result.stderr
    assert _catalog(glue) == {"s3_access_logs": "EXTERNAL_TABLE"}
    assert "Applied 2 statement(s)" in result.stderr


def test_apply_keeps_the_days_the_manifests_cover(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Applying the view again never undoes the compactor's work."""
    from s3logs_athena.table.compaction.keys import CompactedKeys

    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="central-logs")
    keys = CompactedKeys("CompactedLogs/")
    for day in (date(2024, 5, 1), date(2024, 5, 2)):
        s3.put_object(Bucket="central-logs", Key=keys.manifest_key(day, "app-assets"), Body=b"{}")
    glue = _apply_to_glue(monkeypatch)
    result = run(*ENUM_ARGS, *APPLY)
    assert result.exit_code == 0, result.stderr
    assert "does not exist" not in result.stderr
    spec = TableSpec(LOCATION, buckets=("app-assets", "app-uploads"))
    coverage = Coverage.of([(date(2024, 5, 1), "app-assets"), (date(2024, 5, 2), "app-assets")])
    assert all_view_statement(spec, coverage) in result.stdout
    view = glue.get_table(DatabaseName="s3_access_logs_db", Name="s3_access_logs_all")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"


def test_alter_apply_updates_both_projections(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    glue = _apply_to_glue(monkeypatch)
    assert run(*ENUM_ARGS, *APPLY).exit_code == 0
    result = run(*ENUM_ARGS, "--buckets", "a-b,c-d", "--alter", *APPLY)
    assert result.exit_code == 0, result.stderr
    for name in ("s3_access_logs", "s3_access_logs_compacted"):
        table = glue.get_table(DatabaseName="s3_access_logs_db", Name=name)["Table"]
        assert table["Parameters"]["projection.bucket.values"] == "a-b,c-d"


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
