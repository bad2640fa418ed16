"""The Athena engine against moto's Athena API: what is sent, and how results and statistics
are read. moto runs no SQL, so each test queues the result rows Athena would return (the
format of GetQueryResults: a header row, then values as strings) and the statistics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws
from moto.athena import athena_backends
from moto.athena.models import QueryResults
from moto.athena.responses import AthenaResponse
from moto.core import DEFAULT_ACCOUNT_ID

from s3logs_athena.cache import ingest
from s3logs_athena.engines import make_engine
from s3logs_athena.engines.athena import AthenaEngine
from s3logs_athena.engines.duckdb import DuckDBEngine
from s3logs_athena.engines.result import athena_cost_usd
from s3logs_athena.errors import ConfigError, QueryError

from .conftest import FIXTURES

REGION = "us-east-1"


class FakeAthena:
    """Records StartQueryExecution requests; answers GetQueryExecution with chosen statistics."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statistics: dict[str, Any] = {}

    def queue(self, columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
        header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
        data = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
        info = [
            {
                "Name": name,
                "Label": name,
                "Type": kind,
                "Nullable": "UNKNOWN",
                "CatalogName": "hive",
                "SchemaName": "",
                "TableName": "",
                "Precision": 0,
                "Scale": 0,
                "CaseSensitive": False,
            }
            for name, kind in columns
        ]
        backend = athena_backends[DEFAULT_ACCOUNT_ID][REGION]
        backend.query_results_queue.append(QueryResults(rows=[header, *data], column_info=info))


@pytest.fixture
def athena(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAthena]:
    fake = FakeAthena()
    start = AthenaResponse.start_query_execution
    get = AthenaResponse.get_query_execution

    def recording_start(self: AthenaResponse) -> Any:
        fake.requests.append(json.loads(self.body))
        return start(self)

    def with_statistics(self: AthenaResponse) -> str:
        response = json.loads(get(self))
        response["QueryExecution"]["Statistics"].update(fake.statistics)
        return json.dumps(response)

    monkeypatch.setattr(AthenaResponse, "start_query_execution", recording_start)
    monkeypatch.setattr(AthenaResponse, "get_query_execution", with_statistics)
    with mock_aws():
        boto3.client("athena", region_name=REGION).create_work_group(
            Name="analysts",
            Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/"}},
        )
        yield fake


def _engine(**kwargs: Any) -> AthenaEngine:
    return AthenaEngine(region=REGION, poll_interval=0.01, **kwargs)


def test_the_query_workgroup_and_reuse_are_sent(athena: FakeAthena) -> None:
    athena.queue([("n", "bigint")], [["39"]])
    engine = _engine(workgroup="analysts", output_location="s3://results/q/", reuse_minutes=60)
    result = engine.run("SELECT count(*) AS n FROM s3_access_logs_db.s3_access_logs")
    (request,) = athena.requests
    assert request["QueryString"] == "SELECT count(*) AS n FROM s3_access_logs_db.s3_access_logs"
    assert request["WorkGroup"] == "analysts"
    assert request["ResultConfiguration"]["OutputLocation"] == "s3://results/q/"
    assert request["QueryExecutionContext"]["Database"] == "s3_access_logs_db"
    assert request["ResultReuseConfiguration"] == {
        "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 60}
    }
    assert result.frame["n"].tolist() == [39] and str(result.frame["n"].dtype) == "Int64"
    assert result.details["workgroup"] == "analysts"


def test_settings_come_from_the_environment(
    athena: FakeAthena, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("S3LOGS_ATHENA_WORKGROUP", "analysts")
    monkeypatch.setenv("S3LOGS_ATHENA_OUTPUT", "s3://results/env/")
    athena.queue([("x", "integer")], [["1"]])
    _engine().run("SELECT 1 AS x")
    (request,) = athena.requests
    assert request["WorkGroup"] == "analysts"
    assert request["ResultConfiguration"]["OutputLocation"] == "s3://results/env/"
    assert "ResultReuseConfiguration" not in request


def test_execution_parameters_are_passed_through(athena: FakeAthena) -> None:
    athena.queue([("n", "bigint")], [["2"]])
    _engine(output_location="s3://results/").run(
        "SELECT count(*) AS n FROM t WHERE key = ?", ["'reports/o''brien.csv'"]
    )
    assert athena.requests[0]["ExecutionParameters"] == ["'reports/o''brien.csv'"]


def test_statistics_become_bytes_cost_and_reuse(athena: FakeAthena) -> None:
    athena.statistics = {
        "DataScannedInBytes": 3 * 1024**3,
        "EngineExecutionTimeInMillis": 1500,
        "TotalExecutionTimeInMillis": 2000,
    }
    athena.queue([("n", "bigint")], [["1"]])
    result = _engine(output_location="s3://results/").run("SELECT 1 AS n")
    assert result.bytes_scanned == 3 * 1024**3
    assert result.cost_usd == pytest.approx(3 / 1024 * 5.0)
    assert result.reused is False
    assert result.details["engine_seconds"] == 1.5 and result.details["total_seconds"] == 2.0

    athena.statistics = {
        "DataScannedInBytes": 0,
        "ResultReuseInformation": {"ReusedPreviousResult": True},
    }
    athena.queue([("n", "bigint")], [["1"]])
    reused = _engine(output_location="s3://results/", reuse_minutes=5).run("SELECT 1 AS n")
    assert reused.reused is True and reused.cost_usd == 0.0
    frame = reused.attach()
    assert frame.attrs["engine"] == "athena" and frame.attrs["reused"] is True


def test_cost_rounds_up_to_the_megabyte_with_a_10_mb_minimum() -> None:
    assert athena_cost_usd(0) == athena_cost_usd(1) == athena_cost_usd(10 * 1024**2)
    assert athena_cost_usd(10 * 1024**2) == pytest.approx(10 / 1024**2 * 5.0)
    assert athena_cost_usd(10 * 1024**2 + 1) == pytest.approx(11 / 1024**2 * 5.0)
    assert athena_cost_usd(1024**4) == pytest.approx(5.0)
    assert athena_cost_usd(1024**4, reused=True) == 0.0


def test_both_engines_give_the_same_frame_for_the_same_answer(
    athena: FakeAthena, tmp_path: Path
) -> None:
    """Athena's typed text results and DuckDB's Arrow results normalise to equal frames."""
    ingest(FIXTURES / "logs" / "partitioned", tmp_path)
    sql = (
        "SELECT bucket, operation, count(*) AS requests, sum(bytessent) AS bytes_sent, "
        "avg(totaltime_ms) AS avg_ms, "
        "max(parse_datetime(requestdatetime, 'dd/MMM/yyyy:HH:mm:ss Z')) AS last_seen "
        "FROM (SELECT *, CAST(NULLIF(totaltime, '-') AS bigint) AS totaltime_ms "
        "FROM s3_access_logs_db.s3_access_logs WHERE year = 2024 AND month = 3 AND day = 2) "
        "GROUP BY bucket, operation ORDER BY bucket, operation"
    )
    with DuckDBEngine(tmp_path) as duck:
        local = duck.run(sql).frame
    # What Athena's GetQueryResults returns for this answer: strings, typed by ColumnInfo.
    athena.queue(
        [
            ("bucket", "varchar"),
            ("operation", "varchar"),
            ("requests", "bigint"),
            ("bytes_sent", "bigint"),
            ("avg_ms", "double"),
            ("last_seen", "timestamp with time zone"),
        ],
        [
            [
                row.bucket,
                row.operation,
                str(row.requests),
                None if pd.isna(row.bytes_sent) else str(row.bytes_sent),
                None if pd.isna(row.avg_ms) else repr(row.avg_ms),
                row.last_seen.strftime("%Y-%m-%d %H:%M:%S.000 UTC"),
            ]
            for row in local.itertuples()
        ],
    )
    remote = _engine(output_location="s3://results/").run(sql).frame
    pd.testing.assert_frame_equal(remote, local)
    assert str(local["requests"].dtype) == "Int64" and str(local["bytes_sent"].dtype) == "Int64"


def test_a_failed_query_is_a_query_error(
    athena: FakeAthena, monkeypatch: pytest.MonkeyPatch
) -> None:
    get = AthenaResponse.get_query_execution

    def failed(self: AthenaResponse) -> str:
        response = json.loads(get(self))
        response["QueryExecution"]["Status"].update(
            State="FAILED",
            StateChangeReason="COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved",
        )
        return json.dumps(response)

    monkeypatch.setattr(AthenaResponse, "get_query_execution", failed)
    with pytest.raises(QueryError, match="COLUMN_NOT_FOUND"):
        _engine(output_location="s3://results/").run("SELECT x FROM t")


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="s3://"):
        make_engine("athena", output_location="results/")
    with pytest.raises(ConfigError, match="reuse"):
        make_engine("athena", reuse_minutes=0)
