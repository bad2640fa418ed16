"""The doctor's catalog checks (:mod:`s3logs_athena.doctor.catalog`) on moto: the raw table,
the typed view, ``<table>_compacted`` and ``<table>_all``, and what to do when one is missing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from s3logs_athena.cli import ddl_cmd
from s3logs_athena.cli.main import cli
from s3logs_athena.doctor import DoctorCheck, DoctorConfig, catalog_checks
from s3logs_athena.table.apply import connect_athena
from s3logs_athena.table.compacted import compacted_glue_table_input
from s3logs_athena.table.ddl import TableSpec, glue_table_input
from s3logs_athena.testing.athena_ddl import GlueDdlConnection
from s3logs_athena.testing.glue_catalog import create_catalog

REGION = "us-east-1"
LOCATION = "s3://central-logs/PartitionedLogs/"
CONFIG = DoctorConfig(region=REGION, log_bucket="central-logs")


@pytest.fixture
def glue() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("glue", region_name=REGION)


def checks(glue: Any, config: DoctorConfig = CONFIG) -> dict[str, DoctorCheck]:
    return {check.name: check for check in catalog_checks(glue, config)}


def statuses(glue: Any, config: DoctorConfig = CONFIG) -> dict[str, str]:
    return {name: check.status for name, check in checks(glue, config).items()}


def ddl_apply(glue: Any, monkeypatch: pytest.MonkeyPatch, *options: str) -> None:
    """`s3logs-athena ddl ... --apply`, its statements applied to moto's Glue as Athena would."""

    def connect(**settings: Any) -> GlueDdlConnection:
        return GlueDdlConnection(glue, inner=connect_athena(**settings))

    monkeypatch.setattr(ddl_cmd, "connect_athena", connect)
    arguments = ["ddl", "--location", LOCATION, "--buckets", "app-assets", *options, "--apply"]
    arguments += ["--output-location", "s3://athena-results/ddl/"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.stderr


def test_missing_compacted_and_all_then_ok_after_ddl_apply(
    glue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ddl_apply(glue, monkeypatch, "--no-compacted")  # the raw table alone
    found = checks(glue)
    assert found["glue table"].status == "ok"
    for name, relation in (
        ("compacted table", "s3_access_logs_compacted"),
        ("all view", "s3_access_logs_all"),
    ):
        assert found[name].status == "missing" and found[name].failed
        assert f"s3_access_logs_db.{relation} does not exist" in found[name].detail
        hint = found[name].hint
        assert "s3logs-athena ddl --location s3://central-logs/PartitionedLogs/" in hint
        assert hint.endswith("--apply` (or deploy infra/template.yaml)")
    assert "query templates read it" in found["all view"].hint

    ddl_apply(glue, monkeypatch)  # the default: raw, compacted and <table>_all
    assert statuses(glue) == {
        "glue table": "ok",
        "typed view": "warn",  # only with --with-view
        "compacted table": "ok",
        "all view": "ok",
    }


def test_the_catalog_a_deploy_leaves_is_ok(glue: Any) -> None:
    create_catalog(glue, TableSpec(LOCATION, bucket_projection="injected"))
    assert set(statuses(glue).values()) == {"ok"}


def test_without_the_raw_table_each_relation_is_named(glue: Any) -> None:
    glue.create_database(DatabaseInput={"Name": "weblogs"})
    config = DoctorConfig(region=REGION, database="weblogs", table="access")
    found = checks(glue, config)
    assert list(found) == ["glue table", "compacted table", "all view"]
    assert {check.status for check in found.values()} == {"missing"}
    hint = found["all view"].hint
    assert "s3://LOG_BUCKET/PartitionedLogs/" in hint  # no --log-bucket given
    assert "--database weblogs --table access --apply" in hint


def test_a_compacted_table_whose_projection_lags_is_a_warning(glue: Any) -> None:
    raw = TableSpec(LOCATION, buckets=("app-assets", "www"))
    create_catalog(glue, raw)
    glue.update_table(  # the compacted table still has the old bucket list
        DatabaseName=raw.database,
        TableInput=compacted_glue_table_input(TableSpec(LOCATION, buckets=("app-assets",))),
    )
    compacted = checks(glue)["compacted table"]
    assert compacted.status == "warn" and not compacted.failed
    assert "projection.bucket.values" in compacted.detail and "ddl --alter" in compacted.hint


def test_a_compacted_table_elsewhere_is_a_warning(glue: Any) -> None:
    create_catalog(glue, TableSpec(LOCATION, bucket_projection="injected"))
    other = TableSpec(LOCATION, bucket_projection="injected")
    table_input = compacted_glue_table_input(other)
    table_input["StorageDescriptor"]["Location"] = "s3://another-bucket/CompactedLogs/"
    glue.update_table(DatabaseName=other.database, TableInput=table_input)
    compacted = checks(glue)["compacted table"]
    assert compacted.status == "warn" and "not in s3://central-logs/" in compacted.detail


def test_an_all_that_is_not_a_view_is_an_error(glue: Any) -> None:
    spec = TableSpec(LOCATION, bucket_projection="injected")
    create_catalog(glue, spec)
    glue.delete_table(DatabaseName=spec.database, Name="s3_access_logs_all")
    table_input = glue_table_input(spec)
    glue.create_table(
        DatabaseName=spec.database, TableInput={**table_input, "Name": "s3_access_logs_all"}
    )
    found = checks(glue)["all view"]
    assert found.status == "error" and "not a view" in found.detail and found.failed


def test_access_denied_is_an_error_not_missing() -> None:
    from botocore.exceptions import ClientError

    class DeniedGlue:
        def get_table(self, **_: Any) -> Any:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "no glue:GetTable"}}
            raise ClientError(error, "GetTable")  # type: ignore[arg-type]

    found = checks(DeniedGlue())
    assert {check.status for check in found.values()} == {"error"}
    assert "access denied" in found["all view"].detail
