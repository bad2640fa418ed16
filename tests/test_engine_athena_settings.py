"""The Athena engine's settings as the README states them: no workgroup means ``primary``, and
a workgroup without a result location gets the hint ``ddl --apply`` gives."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from s3logs_athena.cli.main import cli
from s3logs_athena.engines.athena import AthenaEngine
from s3logs_athena.errors import ConfigError

from .test_engine_athena import FakeAthena, athena  # noqa: F401  (fixture)

NO_SETTINGS = ("S3LOGS_ATHENA_WORKGROUP", "AWS_ATHENA_WORK_GROUP", "S3LOGS_ATHENA_OUTPUT",
               "AWS_ATHENA_S3_STAGING_DIR")  # fmt: skip


def test_no_workgroup_means_primary(
    athena: FakeAthena,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in NO_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    athena.queue([("n", "bigint")], [["1"]])
    result = CliRunner().invoke(cli, ["query", "run", "top-ips", "--engine", "athena",
                                      "--region", "us-east-1", "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert athena.requests[-1]["WorkGroup"] == "primary"


def test_a_workgroup_without_a_result_location_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pyathena
    from pyathena.error import DatabaseError

    class Cursor:
        def __enter__(self) -> Cursor:
            return self

        def __exit__(self, *_: Any) -> None:
            pass

        def execute(self, *_: Any, **__: Any) -> None:
            raise DatabaseError(
                "An error occurred (InvalidRequestException) when calling the "
                "StartQueryExecution operation: No output location provided. An output "
                "location is required either through the Workgroup result configuration "
                "setting or as an API input."
            )

    class Connection:
        def cursor(self) -> Cursor:
            return Cursor()

    monkeypatch.setattr(pyathena, "connect", lambda **_: Connection())
    for name in NO_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    engine = AthenaEngine(region="us-east-1")
    assert engine.workgroup == "primary"
    with pytest.raises(ConfigError, match="workgroup 'primary' has no query result location") as e:
        engine.run("SELECT 1")
    assert "--output-location s3://" in str(e.value) and "AWS_ATHENA_WORK_GROUP" in str(e.value)
    result = CliRunner().invoke(cli, ["query", "run", "top-ips", "--engine", "athena"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--output-location" in result.stderr


def test_profile_and_endpoint_reach_pyathena(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyathena

    seen: dict[str, Any] = {}

    def connect(**kwargs: Any) -> Any:
        seen.update(kwargs)
        raise RuntimeError("stop here")

    monkeypatch.setattr(pyathena, "connect", connect)
    result = CliRunner().invoke(
        cli,
        ["query", "run", "top-ips", "--engine", "athena", "--region", "eu-west-1",
         "--profile", "analyst", "--endpoint-url", "http://127.0.0.1:9"],
    )  # fmt: skip
    assert isinstance(result.exception, RuntimeError)
    assert (seen["region_name"], seen["profile_name"], seen["endpoint_url"]) == (
        "eu-west-1",
        "analyst",
        "http://127.0.0.1:9",
    )
