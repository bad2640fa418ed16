"""End to end in moto: S3 -> EventBridge (the template's rule) -> SQS (+DLQ) -> the handler,
driven like Lambda's SQS poller, with and without faults."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.mover import MoverRuntime, MoverSettings, RetryPolicy
from s3logs_athena.mover.batch import BatchOutcome
from s3logs_athena.testing.faults import FaultInjector
from s3logs_athena.testing.soak import SoakConfig, run_soak
from s3logs_athena.testing.sqs_harness import LambdaSqsPoller

from .mover_support import (
    BUCKET,
    REGION,
    bucket_contents,
    build_pipeline,
    log_body,
    log_key,
    receive_all,
    target_of,
)

PARTITIONED = "123456789012/us-east-1/app-uploads/2024/03/09/2024-03-09-23-59-59-ABCDEF012345"
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.004)


@mock_aws
def test_log_objects_flow_from_the_bucket_to_their_partitions() -> None:
    urls = build_pipeline()
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    objects = {log_key(n): log_body(n) for n in range(30)}
    objects[PARTITIONED] = b"partitioned prefix\n"
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    s3.put_object(Bucket=BUCKET, Key="uploads/report.pdf", Body=b"%PDF")  # a poison message

    events: list[Mapping[str, Any]] = []
    outcomes: list[BatchOutcome] = []
    runtime = MoverRuntime(MoverSettings(retry=FAST), stream=io.StringIO())

    def handler(event: Mapping[str, Any], context: Any) -> Mapping[str, Any]:
        events.append(event)
        outcome = runtime.process(event, context)
        outcomes.append(outcome)
        return outcome.response

    report = LambdaSqsPoller(sqs, urls["queue"], handler, batch_size=10).drain()
    runtime.close()

    # Lambda-shaped events: records carry what Lambda's SQS records carry.
    record = events[0]["Records"][0]
    assert {"messageId", "receiptHandle", "body", "attributes", "eventSource"} <= set(record)
    assert record["eventSource"] == "aws:sqs"
    assert int(record["attributes"]["ApproximateReceiveCount"]) >= 1
    assert json.loads(record["body"])["detail-type"] == "Object Created"

    expected = {target_of(k): v for k, v in objects.items() if k != PARTITIONED}
    partitioned_target = (
        "PartitionedLogs/Year=2024/Month=03/Day=09/app-uploads/2024-03-09-23-59-59-ABCDEF012345"
    )
    expected[partitioned_target] = objects[PARTITIONED]
    expected["uploads/report.pdf"] = b"%PDF"
    assert bucket_contents() == expected

    # The copies' own "Object Created" events never reached the queue (the rule drops the
    # partition root), so nothing was ever skipped by the handler's loop guard.
    results = [r for o in outcomes for r in o.results.values()]
    assert not any(r.outcome.value == "skipped" for r in results)
    assert sum(r.outcome.value == "moved" for r in results) == 31

    # The poison message was redelivered maxReceiveCount times, then parked in the DLQ.
    (parked,) = receive_all(urls["dlq"])
    assert json.loads(parked["Body"])["detail"]["object"]["key"] == "uploads/report.pdf"
    assert report.failed_items == 5  # the template's maxReceiveCount
    assert receive_all(urls["queue"]) == []


@mock_aws
def test_two_sources_with_one_target_keep_both_objects() -> None:
    """A SimplePrefix and a PartitionedPrefix log with the same file name name one target.
    Through the deployed path (rule, queue, DLQ, handler): one is moved, the other is
    rejected on every delivery and parked in the DLQ, its source untouched; the log line
    names both keys and both ETags."""
    urls = build_pipeline()
    plain = boto3.client("s3", region_name=REGION)
    simple = "app-uploads/2024-03-09-23-59-59-ABCDEF012345"
    bodies = {simple: b"simple prefix\n", PARTITIONED: b"partitioned prefix, same name\n"}
    etags = {
        key: plain.put_object(Bucket=BUCKET, Key=key, Body=data)["ETag"].strip('"')
        for key, data in bodies.items()
    }
    mover_s3 = boto3.client("s3", region_name=REGION)
    FaultInjector().install(mover_s3)  # S3's conditions on CopyObject, which moto ignores
    log = io.StringIO()
    runtime = MoverRuntime(MoverSettings(retry=FAST), mover_s3, stream=log)
    sqs = boto3.client("sqs", region_name=REGION)
    report = LambdaSqsPoller(sqs, urls["queue"], runtime.handle, batch_size=10).drain()
    runtime.close()

    target = target_of(simple)
    after = bucket_contents()
    (kept,) = set(after) - {target}
    (moved,) = set(bodies) - {kept}
    assert after == {kept: bodies[kept], target: bodies[moved]}
    (parked,) = receive_all(urls["dlq"])
    assert json.loads(parked["Body"])["detail"]["object"]["key"] == kept
    assert report.failed_items == 5  # rejected on each of maxReceiveCount deliveries
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    rejected = [line for line in lines if line.get("outcome") == "rejected"]
    assert len(rejected) == 5
    for line in rejected:
        assert (line["key"], line["target"], line["error_code"]) == (kept, target, "TargetExists")
        for named in (kept, target, etags[kept], etags[moved]):
            assert named in line["error"]


@mock_aws
def test_every_fault_at_once_small() -> None:
    """Eventual consistency, throttling, 500s, crashes between copy and delete, duplicate
    deliveries, reordering and poison messages - far above the seed's 0.02% - and still
    every log object is moved exactly once, byte-identical (the checks are in run_soak)."""
    report = run_soak(
        SoakConfig(
            objects=120,
            not_found=0.15,
            slowdown=0.03,
            internal_error=0.03,
            duplicates=0.15,
            crash_before_delete=0.02,
            poison=0.03,
            stuck=0.02,
            wave=60,
            seed=3,
        )
    )
    assert report.problems == []
    for fault in ("NoSuchKey", "SlowDown", "InternalError", "Crash"):
        assert report.injected[fault] > 0, fault
    drains = report.drains
    assert sum(d.duplicates_sent for d in drains) > 0
    assert sum(d.crashes for d in drains) > 0
    assert report.stuck_objects > 0 and report.redriven > 0
    assert report.verified_targets == report.good_objects == 120
    assert report.intact_poison_sources == report.poison_objects > 0
    assert report.dlq_at_end >= report.poison_objects + report.junk_messages


@pytest.mark.slow
@mock_aws
def test_soak_small() -> None:
    """benchmarks/soak_mover.py at the issue's rates, on fewer objects."""
    report = run_soak(SoakConfig(objects=300, seed=11))
    print("\n".join(report.lines()))
    assert report.problems == []
    assert report.verified_targets == 300
