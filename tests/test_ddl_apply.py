"""Running DDL on Athena: pyathena against moto's Athena, and failures at the adapter boundary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pyathena.error import OperationalError

from s3logs_athena.errors import ConfigError, QueryError
from s3logs_athena.table.apply import apply_statements, connect_athena
from s3logs_athena.table.ddl import TableSpec, create_statements, view_statement

SPEC = TableSpec("s3://central-logs/PartitionedLogs/", buckets=("app-assets",))


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_statements_reach_athena_verbatim_and_in_order(aws: None) -> None:
    statements = [*create_statements(SPEC), view_statement(SPEC)]
    connection = connect_athena(region="us-east-1", output_location="s3://athena-results/ddl/")
    done: list[str] = []
    query_ids = apply_statements(statements, connection, on_done=lambda sql, _id: done.append(sql))
    assert done == statements
    athena = boto3.client("athena", region_name="us-east-1")
    executed = [
        athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        for query_id in query_ids
        if query_id is not None
    ]
    assert [execution["Query"] for execution in executed] == statements
    assert {execution["Status"]["State"] for execution in executed} == {"SUCCEEDED"}
    assert {
        execution["ResultConfiguration"]["OutputLocation"].rsplit("/", 1)[0]
        for execution in executed
    } == {"s3://athena-results/ddl"}


def test_workgroup_alone_is_enough(aws: None) -> None:
    athena = boto3.client("athena", region_name="us-east-1")
    athena.create_work_group(
        Name="deploy",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://athena-results/wg/"}},
    )
    connection = connect_athena(region="us-east-1", workgroup="deploy")
    (query_id,) = apply_statements(create_statements(SPEC)[:1], connection)
    assert query_id is not None
    execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["WorkGroup"] == "deploy"


class _FailingCursor:
    """A pyathena-like cursor whose ``fail_at``-th statement fails as Athena reports it."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at
        self.executed: list[str] = []
        self.query_id: str | None = None

    def execute(self, operation: str) -> Any:
        if len(self.executed) + 1 == self.fail_at:
            raise OperationalError("FAILED: line 1:8: mismatched input 'EXTERNAL'")
        self.executed.append(operation)
        self.query_id = f"q{len(self.executed)}"
        return self


class _Connection:
    def __init__(self, cursor: _FailingCursor) -> None:
        self._cursor = cursor

    def cursor(self) -> _FailingCursor:
        return self._cursor


def test_a_failed_statement_stops_the_run_and_says_what_ran() -> None:
    cursor = _FailingCursor(fail_at=2)
    statements = [*create_statements(SPEC), view_statement(SPEC)]
    with pytest.raises(QueryError) as caught:
        apply_statements(statements, _Connection(cursor))
    message = str(caught.value)
    assert "statement 2 of 3 failed" in message
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS" in message
    assert "mismatched input 'EXTERNAL'" in message
    assert "statements 1 to 1 had run" in message
    assert cursor.executed == statements[:1]  # nothing after the failure


def test_first_statement_failing_says_nothing_ran() -> None:
    with pytest.raises(QueryError, match="no statement had run"):
        apply_statements(create_statements(SPEC), _Connection(_FailingCursor(fail_at=1)))


def test_results_location_is_required() -> None:
    with pytest.raises(ConfigError, match="query result location"):
        connect_athena(region="us-east-1")
    with pytest.raises(ConfigError, match="not an s3:// URI"):
        connect_athena(region="us-east-1", output_location="/tmp/results")


def test_missing_region_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    with pytest.raises(ConfigError, match="no AWS region"):
        connect_athena(output_location="s3://athena-results/ddl/")
