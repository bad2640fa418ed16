"""``s3logs-athena compact`` end to end against a moto server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests
from click.testing import CliRunner, Result
from moto.server import ThreadedMotoServer

from s3logs_athena.cli.main import cli
from s3logs_athena.errors import AwsError
from s3logs_athena.generator import GeneratorConfig
from s3logs_athena.table.compaction import partition as partition_module

from .compaction_support import LAYOUT, LOG_BUCKET, compacted_rows, moved_dataset, raw_rows

CONFIG = GeneratorConfig(buckets=2, days=2, objects_per_day=8, records_per_object=30, seed=9)
RANGE = ["--from", "2024-03-01", "--to", "2024-03-09"]


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    requests.post(f"{url}/moto-api/reset", timeout=10)  # the backend outlives the server
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    try:
        client = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
        client.create_bucket(Bucket=LOG_BUCKET)
        yield client
    finally:
        server.stop()


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["compact", "--log-bucket", LOG_BUCKET, *args])


def test_compact_then_nothing_to_do(s3: Any) -> None:
    dataset = moved_dataset(s3, CONFIG)
    result = run(*RANGE, "--format", "json", "--concurrency", "1", "--no-progress")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    summary = document["summary"]
    assert summary["compacted"] == 2 * 4 and summary["failed"] == 0
    assert summary["records"] == sum(len(o.records) for o in dataset.log_objects)
    assert summary["bytes_in"] == dataset.total_bytes
    assert {p["status"] for p in document["partitions"]} == {"compacted"}
    assert compacted_rows(s3) == raw_rows(s3)

    again = run(*RANGE, "--concurrency", "1")
    assert again.exit_code == 0, again.output
    assert "Compacted 0 raw partitions, re-compacted 0, 8 up to date, 0 failed" in again.stdout


def test_a_late_object_is_recompacted_in_worker_processes(s3: Any) -> None:
    dataset = moved_dataset(s3, CONFIG)
    assert run(*RANGE, "--concurrency", "2").exit_code == 0
    late = dataset.log_objects[3]
    key = LAYOUT.partition_prefix(late.day, late.bucket) + "2024-03-05-23-59-59-LATELATELATE0001"
    s3.put_object(Bucket=LOG_BUCKET, Key=key, Body=late.body)
    result = run(*RANGE, "--concurrency", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert (summary["recompacted"], summary["up_to_date"]) == (1, 7)
    assert compacted_rows(s3) == raw_rows(s3)


def test_a_dry_run_writes_nothing(s3: Any) -> None:
    moved_dataset(s3, CONFIG)
    result = run(*RANGE, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Would compact 8 raw partitions" in result.stdout
    assert not s3.list_objects_v2(Bucket=LOG_BUCKET, Prefix="CompactedLogs/").get("Contents")


def test_days_not_closed_are_skipped(s3: Any) -> None:
    today = datetime.now(UTC).date()
    result = run("--from", "-1d", "--to", "today")
    assert result.exit_code == 0, result.output
    assert "Not closed yet (skipped)" in result.stdout and str(today) in result.stdout


def test_a_failure_exits_1_and_says_which(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    moved_dataset(s3, CONFIG)
    real = partition_module.get_bytes

    def flaky(client: Any, bucket: str, key: str) -> Any:
        if "/Day=05/acme-web-assets/" in key:
            raise AwsError("GetObject", "AccessDenied", "\x1b[31mnot for you")
        return real(client, bucket, key)

    monkeypatch.setattr(partition_module, "get_bytes", flaky)
    result = run(*RANGE, "--concurrency", "1")
    assert result.exit_code == 1, result.output
    assert "failed" in result.stdout and "AccessDenied" in result.stdout
    assert "\x1b" not in result.stdout and "\\x1b" in result.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "2024-03-05", "--to", "2024-03-01"], "is after --to"),
        ([*RANGE, "--grace", "soon"], "--grace"),
        ([*RANGE, "--buckets", ","], "--buckets is empty"),
        ([*RANGE, "--update-view"], "--update-view needs"),
        (["--from", "yesterday-ish", "--to", "2024-03-01"], "--from"),
    ],
)
def test_usage_errors_exit_2(s3: Any, args: list[str], says: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr


def test_update_view_sends_the_view_to_athena(s3: Any) -> None:
    moved_dataset(s3, CONFIG)
    result = run(
        *RANGE,
        "--update-view",
        "--output-location",
        "s3://central-logs/athena-results/",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)["view"]
    assert view["view"] == "s3_access_logs_db.s3_access_logs_all"
    # Three days of two buckets are covered (day D needs raw partitions D and D+1).
    assert (view["covered_days"], view["buckets"]) == (6, 2)
    athena = boto3.client("athena", region_name="us-east-1")
    (query_id,) = athena.list_query_executions()["QueryExecutionIds"]
    sql = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Query"]
    assert sql.startswith('CREATE OR REPLACE VIEW "s3_access_logs_db"."s3_access_logs_all"')
    assert "day BETWEEN 4 AND 6" in sql


def test_sync_takes_compacted_days_from_the_compacted_table(s3: Any, tmp_path: Any) -> None:
    moved_dataset(s3, CONFIG)
    assert run(*RANGE, "--concurrency", "1").exit_code == 0
    args = ["sync", "--log-bucket", LOG_BUCKET, "--from", "2024-03-05", "--to", "2024-03-05"]
    result = CliRunner().invoke(cli, [*args, "--cache", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    # Raw days 4-6 (one margin day each side): request days 4 and 5 are compacted.
    assert "compacted: 4 request days (per bucket)" in result.stderr
    raw_only = CliRunner().invoke(cli, [*args, "--raw-only", "--cache", str(tmp_path / "r")])
    assert raw_only.exit_code == 0 and "compacted:" not in raw_only.stderr


def test_progress_goes_to_stderr_and_keeps_stdout_json(s3: Any) -> None:
    moved_dataset(s3, CONFIG)
    result = run(*RANGE, "--format", "json", "--concurrency", "1", "--progress")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["compacted"] == 2 * 4
    assert "partitions" in result.stderr and "raw objects" in result.stderr
