"""``s3logs_athena.demo.deploy_spec`` says what ``infra/template.yaml`` says.

The demo builds the event path from deploy_spec; these tests resolve the SAM template with
its parameter defaults (and with other values) and compare, so neither can change alone.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.demo.deploy_spec import (
    BATCH_SIZE,
    BATCHING_WINDOW_SECONDS,
    DEAD_LETTER_QUEUE,
    FUNCTION_TIMEOUT_SECONDS,
    MAX_RECEIVE_COUNT,
    MAXIMUM_CONCURRENCY,
    MOVE_QUEUE,
    NONCURRENT_VERSION_DAYS,
    log_bucket_lifecycle,
    mover_environment,
    object_created_pattern,
)

template_support = pytest.importorskip("s3logs_athena.testing.template")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = template_support.load_template()
    return loaded


@pytest.mark.parametrize(
    ("root", "compacted"),
    [("PartitionedLogs/", "CompactedLogs/"), ("logs/by-day/", "logs/compacted/")],
)
def test_the_rule_pattern_is_the_templates(root: str, compacted: str) -> None:
    assert template_support.rule_pattern("central-logs", root, compacted) == object_created_pattern(
        "central-logs", root, compacted
    )


def test_the_queues_are_the_templates(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    queue = resources["MoveQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == MOVE_QUEUE.visibility_timeout
    assert queue["MessageRetentionPeriod"] == MOVE_QUEUE.message_retention_seconds
    assert queue["SqsManagedSseEnabled"] is MOVE_QUEUE.sqs_managed_sse
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVE_COUNT
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]
    }
    dlq = resources["DeadLetterQueue"]["Properties"]
    assert dlq == {
        "SqsManagedSseEnabled": DEAD_LETTER_QUEUE.sqs_managed_sse,
        "MessageRetentionPeriod": DEAD_LETTER_QUEUE.message_retention_seconds,
    }
    assert DEAD_LETTER_QUEUE.visibility_timeout is None


def test_the_event_source_and_timeout_are_the_templates(template: dict[str, Any]) -> None:
    function = template["Resources"]["MoverFunction"]["Properties"]
    source = function["Events"]["Queue"]["Properties"]
    assert source["BatchSize"] == BATCH_SIZE
    assert source["MaximumBatchingWindowInSeconds"] == BATCHING_WINDOW_SECONDS
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert template["Globals"]["Function"]["Timeout"] == FUNCTION_TIMEOUT_SECONDS


def test_the_event_source_concurrency_is_the_templates(template: dict[str, Any]) -> None:
    function = template["Resources"]["MoverFunction"]["Properties"]
    scaling = function["Events"]["Queue"]["Properties"]["ScalingConfig"]
    resolved = template_support.Resolver(template).resolve(scaling)
    assert resolved == {"MaximumConcurrency": MAXIMUM_CONCURRENCY}


def _as_api(rule: dict[str, Any]) -> dict[str, Any]:
    """A lifecycle rule in CloudFormation's spelling, as the S3 API spells it."""
    api: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": ""}}
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = rule["NoncurrentVersionExpiration"]
    if "ExpiredObjectDeleteMarker" in rule:
        api["Expiration"] = {"ExpiredObjectDeleteMarker": rule["ExpiredObjectDeleteMarker"]}
    assert set(rule) <= {"Id", "Status", "AbortIncompleteMultipartUpload",
                         "NoncurrentVersionExpiration", "ExpiredObjectDeleteMarker"}  # fmt: skip
    return api


@pytest.mark.parametrize("days", [None, 30])
def test_the_log_bucket_lifecycle_is_the_templates(
    template: dict[str, Any], days: int | None
) -> None:
    given = {} if days is None else {"NoncurrentVersionDays": days}
    bucket = template_support.Resolver(template, given).resolve(
        template["Resources"]["LogBucket"]["Properties"]
    )
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = [_as_api(rule) for rule in bucket["LifecycleConfiguration"]["Rules"]]
    assert {"Rules": rules} == log_bucket_lifecycle(days or NONCURRENT_VERSION_DAYS)


def test_the_mover_environment_is_the_templates(template: dict[str, Any]) -> None:
    variables = template["Resources"]["MoverFunction"]["Properties"]["Environment"]["Variables"]
    defaults = template_support.Resolver(template).resolve(variables)
    assert {name: str(value) for name, value in defaults.items()} == mover_environment()
    given = {"PartitionRoot": "logs/p/", "SourceKeyPattern": "raw/{bucket}/",
             "MoverConcurrency": 8, "MaxAttempts": 3, "CompactedRoot": "logs/c/"}  # fmt: skip
    resolved = template_support.Resolver(template, given).resolve(variables)
    assert {name: str(value) for name, value in resolved.items()} == mover_environment(
        "logs/p/", "raw/{bucket}/", 8, 3, "logs/c/"
    )


def test_the_demo_creates_queues_with_these_attributes() -> None:
    from s3logs_athena.demo.pipeline import build_pipeline

    with mock_aws():
        pipeline = build_pipeline("central-logs")
        sqs = boto3.client("sqs", region_name="us-east-1")
        got = sqs.get_queue_attributes(QueueUrl=pipeline.queue_url, AttributeNames=["All"])
        attributes = got["Attributes"]
        assert attributes["VisibilityTimeout"] == "750"
        assert attributes["MessageRetentionPeriod"] == str(4 * 86_400)
        assert json.loads(attributes["RedrivePolicy"]) == {
            "deadLetterTargetArn": pipeline.dlq_arn,
            "maxReceiveCount": MAX_RECEIVE_COUNT,
        }
        s3 = boto3.client("s3", region_name="us-east-1")
        assert s3.get_bucket_versioning(Bucket="central-logs")["Status"] == "Enabled"
        lifecycle = s3.get_bucket_lifecycle_configuration(Bucket="central-logs")
        assert {"Rules": lifecycle["Rules"]} == log_bucket_lifecycle()
        events = boto3.client("events", region_name="us-east-1")
        rule = events.describe_rule(Name=pipeline.rule_name)
        assert json.loads(rule["EventPattern"]) == object_created_pattern("central-logs")
        (target,) = events.list_targets_by_rule(Rule=pipeline.rule_name)["Targets"]
        assert target["Arn"] == pipeline.queue_arn


# -- the scheduled compactor ---------------------------------------------------------------


def test_the_compaction_queues_are_the_templates(template: dict[str, Any]) -> None:
    from s3logs_athena.demo.deploy_spec import (
        COMPACTION_DEAD_LETTER_QUEUE,
        COMPACTION_MAX_RECEIVE_COUNT,
        COMPACTION_QUEUE,
    )

    resources = template["Resources"]
    queue = resources["CompactionQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == COMPACTION_QUEUE.visibility_timeout
    assert queue["MessageRetentionPeriod"] == COMPACTION_QUEUE.message_retention_seconds
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["CompactionDeadLetterQueue", "Arn"]},
        "maxReceiveCount": COMPACTION_MAX_RECEIVE_COUNT,
    }
    assert resources["CompactionDeadLetterQueue"]["Properties"] == {
        "SqsManagedSseEnabled": True,
        "MessageRetentionPeriod": COMPACTION_DEAD_LETTER_QUEUE.message_retention_seconds,
    }


def test_the_compaction_worker_is_the_templates(template: dict[str, Any]) -> None:
    from s3logs_athena.demo.deploy_spec import COMPACTION_BATCH_SIZE, COMPACTOR_TIMEOUT_SECONDS

    worker = template["Resources"]["CompactionWorkerFunction"]["Properties"]
    assert worker["Timeout"] == COMPACTOR_TIMEOUT_SECONDS
    source = worker["Events"]["Queue"]["Properties"]
    assert source["BatchSize"] == COMPACTION_BATCH_SIZE
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["Queue"] == {"Fn::GetAtt": ["CompactionQueue", "Arn"]}


def test_the_compactor_environment_is_the_templates(template: dict[str, Any]) -> None:
    from s3logs_athena.demo.deploy_spec import compactor_environment

    physical = {"CompactionQueue": "https://sqs/compaction", "AnalystWorkGroup": "s3logs-analysts"}
    variables = template["Resources"]["CompactionSchedulerFunction"]["Properties"]["Environment"][
        "Variables"
    ]
    given = {"ExistingLogBucketName": "central-logs"}
    resolved = template_support.Resolver(template, given, physical).resolve(variables)
    assert {k: str(v) for k, v in resolved.items()} == compactor_environment(
        "central-logs", "https://sqs/compaction"
    )
    given = {"ExistingLogBucketName": "central-logs", "PartitionRoot": "logs/p/",
             "CompactedRoot": "logs/c/", "CompactionLookbackDays": 7,
             "CompactionGraceMinutes": 60, "DatabaseName": "db", "TableName": "t"}  # fmt: skip
    resolved = template_support.Resolver(
        template, given, {**physical, "AnalystWorkGroup": "wg"}
    ).resolve(variables)
    assert {k: str(v) for k, v in resolved.items()} == compactor_environment(
        "central-logs", "https://sqs/compaction", "logs/p/", "logs/c/", 7, 60, "db", "t", "wg"
    )
    worker = template["Resources"]["CompactionWorkerFunction"]["Properties"]["Environment"]
    assert worker["Variables"] == {
        "COMPACTOR_PARTITION_ROOT": {"Ref": "PartitionRoot"},
        "COMPACTOR_COMPACTED_ROOT": {"Ref": "CompactedRoot"},
    }
