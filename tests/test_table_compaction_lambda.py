"""The scheduled compactor's functions on moto: the scheduler fans out one unit per (day,
bucket) and re-applies the view; the worker compacts units with partial batch failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.errors import AwsError, ConfigError
from s3logs_athena.generator import GeneratorConfig
from s3logs_athena.table.compaction import lambda_handler
from s3logs_athena.table.compaction import partition as partition_module
from s3logs_athena.table.compaction.lambda_handler import (
    CompactorSettings,
    load_compactor_settings,
    plan_units,
    run_schedule,
    run_worker,
)

from .compaction_support import (
    KEYS,
    LOG_BUCKET,
    bucket_keys,
    compacted_rows,
    moved_dataset,
    raw_rows,
)

CONFIG = GeneratorConfig(buckets=2, days=2, objects_per_day=8, records_per_object=30, seed=4)
START = CONFIG.start
#: Late enough that the generated days (and the day after) are closed.
NOW = datetime(START.year, START.month, START.day, 12, tzinfo=UTC) + timedelta(days=5)


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=LOG_BUCKET)
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue = sqs.create_queue(QueueName="compaction")["QueueUrl"]
        athena = boto3.client("athena", region_name="us-east-1")
        yield {"s3": s3, "sqs": sqs, "queue": queue, "athena": athena}


def settings(queue: str | None = None, **changes: Any) -> CompactorSettings:
    values: dict[str, Any] = {
        "log_bucket": LOG_BUCKET,
        "queue_url": queue,
        "lookback_days": 5,
        "athena_output": "s3://central-logs/CompactedLogs/_athena/",
    }
    values.update(changes)
    return CompactorSettings(**values)


def test_settings_come_from_the_environment() -> None:
    loaded = load_compactor_settings(
        {
            "COMPACTOR_LOG_BUCKET": "central-logs",
            "COMPACTOR_COMPACTED_ROOT": "Compacted/",
            "COMPACTOR_LOOKBACK_DAYS": "7",
            "COMPACTOR_GRACE_MINUTES": "90",
            "COMPACTOR_UPDATE_VIEW": "false",
            "COMPACTOR_WORKGROUP": "logs",
        }
    )
    assert loaded.log_bucket == "central-logs" and loaded.layout.compacted_root == "Compacted/"
    assert (loaded.lookback_days, loaded.grace) == (7, timedelta(minutes=90))
    assert loaded.update_view is False and loaded.workgroup == "logs"
    assert load_compactor_settings({}) == CompactorSettings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COMPACTOR_LOG_BUCKET", "Not_A_Bucket"),
        ("COMPACTOR_COMPACTED_ROOT", "PartitionedLogs/x/"),
        ("COMPACTOR_LOOKBACK_DAYS", "0"),
        ("COMPACTOR_ATHENA_OUTPUT", "bucket/prefix"),
        ("COMPACTOR_UPDATE_VIEW", "maybe"),
        ("COMPACTOR_LOOKBAK_DAYS", "3"),
    ],
)
def test_a_bad_setting_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_compactor_settings({name: value})
    assert raised.value.setting == name


def test_the_scheduler_sends_a_unit_per_day_and_bucket_then_the_view(
    aws: dict[str, Any],
) -> None:
    dataset = moved_dataset(aws["s3"], CONFIG)
    units = plan_units(aws["s3"], settings(), NOW)
    # Raw days START..START+2 hold objects (the last window is delivered after midnight),
    # START+3 is the quiet day after; the window's earlier days are before any object.
    expected = {
        (LOG_BUCKET, START + timedelta(days=n), spec.name)
        for n in range(4)
        for spec in dataset.buckets
    }
    assert set(units) == expected
    outcome = run_schedule(aws["s3"], aws["sqs"], aws["athena"], settings(aws["queue"]), NOW)
    assert outcome["units"] == len(expected)
    bodies = []
    while (
        batch := aws["sqs"]
        .receive_message(QueueUrl=aws["queue"], MaxNumberOfMessages=10)
        .get("Messages")
    ):
        for message in batch:
            bodies.append(json.loads(message["Body"]))
            aws["sqs"].delete_message(QueueUrl=aws["queue"], ReceiptHandle=message["ReceiptHandle"])
    assert {
        (b["log_bucket"], date.fromisoformat(b["day"]), b["bucket"]) for b in bodies
    } == expected
    (query_id,) = aws["athena"].list_query_executions()["QueryExecutionIds"]
    assert query_id == outcome["view_query_id"]
    query = aws["athena"].get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert query["Query"].startswith('CREATE OR REPLACE VIEW "s3_access_logs_db"')
    assert query["ResultConfiguration"]["OutputLocation"].startswith("s3://central-logs/")


def _event(*bodies: Any) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"m{i}", "body": body if isinstance(body, str) else json.dumps(body)}
            for i, body in enumerate(bodies)
        ]
    }


def _unit(day: date, bucket: str) -> dict[str, str]:
    return {"log_bucket": LOG_BUCKET, "day": day.isoformat(), "bucket": bucket}


def test_the_worker_compacts_units_and_reports_the_failed_ones(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = moved_dataset(aws["s3"], CONFIG)
    names = [spec.name for spec in dataset.buckets]
    units = [_unit(START + timedelta(days=n), name) for n in range(4) for name in names]
    response = run_worker(aws["s3"], _event(*units, "not json", {"day": "x"}), settings(), None)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m8"}, {"itemIdentifier": "m9"}]}
    assert compacted_rows(aws["s3"]) == raw_rows(aws["s3"])
    assert bucket_keys(aws["s3"], KEYS.manifest_key(START + timedelta(days=3), names[0]))
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [entry["status"] for entry in logged if "status" in entry].count("compacted") == 8

    real = partition_module.get_bytes

    def denied(client: Any, bucket: str, key: str) -> Any:
        if names[1] in key:
            raise AwsError("GetObject", "AccessDenied", "no")
        return real(client, bucket, key)

    late = dataset.log_objects[0]
    aws["s3"].put_object(
        Bucket=LOG_BUCKET,
        Key=f"PartitionedLogs/Year=2024/Month=03/Day=05/{names[1]}/2024-03-05-01-00-00-LATE0001",
        Body=late.body,
    )
    monkeypatch.setattr(partition_module, "get_bytes", denied)
    again = run_worker(aws["s3"], _event(*units), settings(), None)
    # Only the stale partition is read again, and it fails: its message is redelivered.
    assert again == {"batchItemFailures": [{"itemIdentifier": "m3"}]}


def test_a_unit_is_not_started_without_time_to_finish(aws: dict[str, Any]) -> None:
    event = _event(_unit(START, "app-logs"))
    deadline = 100.0  # long past, in time.monotonic() terms
    assert run_worker(aws["s3"], event, settings(reserve_seconds=60), deadline) == {
        "batchItemFailures": [{"itemIdentifier": "m0"}]
    }
    assert not bucket_keys(aws["s3"], KEYS.root)


def test_the_entry_points_read_the_environment(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    moved_dataset(aws["s3"], CONFIG)
    monkeypatch.setenv("COMPACTOR_LOG_BUCKET", LOG_BUCKET)
    monkeypatch.setenv("COMPACTOR_QUEUE_URL", aws["queue"])
    monkeypatch.setenv("COMPACTOR_UPDATE_VIEW", "false")
    monkeypatch.setenv("COMPACTOR_LOOKBACK_DAYS", "5")
    monkeypatch.setattr(lambda_handler, "_clients", {})
    tick = {"source": "aws.events", "detail-type": "Scheduled Event",
            "time": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
    outcome = lambda_handler.schedule(tick, None)
    assert outcome["units"] > 0 and "view_query_id" not in outcome
    message = aws["sqs"].receive_message(QueueUrl=aws["queue"])["Messages"][0]

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 900_000

    response = lambda_handler.worker(
        {"Records": [{"messageId": "x", "body": message["Body"]}]}, Context()
    )
    assert response == {"batchItemFailures": []}
