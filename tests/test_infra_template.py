"""infra/template.yaml: the settings the issue requires, and the rule's pattern in moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.mover.settings import SETTINGS
from s3logs_athena.testing.template import Resolver, load_template

from .mover_support import BUCKET, REGION, build_pipeline, eventbridge_body, receive_all
from .mover_support import rule_pattern as template_rule_pattern


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


def props(template: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][name]["Properties"]
    return properties


def test_queue_dlq_and_visibility_timeout(template: dict[str, Any]) -> None:
    queue, dlq = props(template, "MoveQueue"), props(template, "DeadLetterQueue")
    function = props(template, "MoverFunction")
    timeout = function.get("Timeout") or template["Globals"]["Function"]["Timeout"]
    window = function["Events"]["Queue"]["Properties"]["MaximumBatchingWindowInSeconds"]
    assert queue["VisibilityTimeout"] >= 6 * timeout + window
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 5
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["DeadLetterQueue", "Arn"]
    }
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True


def test_the_function_and_its_event_source(template: dict[str, Any]) -> None:
    function = props(template, "MoverFunction")
    assert function["Runtime"] == "python3.12"
    assert function["Handler"] == "s3logs_athena.mover.handler"
    source = function["Events"]["Queue"]
    assert source["Type"] == "SQS"
    assert source["Properties"]["BatchSize"] == 100
    assert source["Properties"]["MaximumBatchingWindowInSeconds"] > 0
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert function["CodeUri"] == "../build/lambda/"  # staged by infra/package_lambda.py
    settings = {s.name for s in SETTINGS}
    assert set(function["Environment"]["Variables"]) <= settings


def test_the_handler_named_in_the_template_exists(template: dict[str, Any]) -> None:
    module, _, attribute = props(template, "MoverFunction")["Handler"].rpartition(".")
    assert callable(getattr(__import__(module, fromlist=[attribute]), attribute))


def test_iam_is_least_privilege(template: dict[str, Any]) -> None:
    resolver = Resolver(
        template,
        {"ExistingLogBucketName": "central-logs"},
        {"MoveQueue.Arn": "arn:queue", "MoverLogGroup.Arn": "arn:log-group"},
    )
    role = resolver.resolve(props(template, "MoverRole"))
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert all(s["Effect"] == "Allow" for s in statements.values())
    objects = statements["LogObjects"]
    assert objects["Resource"] == "arn:aws:s3:::central-logs/*"
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} <= set(objects["Action"])
    assert statements["TellMissingFromDenied"] == {
        "Sid": "TellMissingFromDenied",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::central-logs",
    }
    queue = statements["DrainItsQueue"]
    assert queue["Resource"] == "arn:queue"
    assert set(queue["Action"]) >= {"sqs:ReceiveMessage", "sqs:DeleteMessage"}
    assert not any("*" in str(s["Resource"]) for s in statements.values() if s != objects)
    assert not any("*" in a for s in statements.values() for a in _list(s["Action"]))
    # With no managed policies, SAM's event source adds none either: Role is given.
    assert "ManagedPolicyArns" not in role
    assert props(template, "MoverFunction")["Role"] == {"Fn::GetAtt": ["MoverRole", "Arn"]}


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_the_bucket_sends_to_eventbridge_and_the_alarm_watches_the_dlq(
    template: dict[str, Any],
) -> None:
    bucket = props(template, "LogBucket")
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"] == {
        "EventBridgeEnabled": True
    }
    alarm = props(template, "DeadLetterAlarm")
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["Threshold"] == 0


def test_the_rule_pattern_excludes_the_partition_root(template: dict[str, Any]) -> None:
    assert template_rule_pattern("my-logs", "Logs/Partitioned/") == {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": ["my-logs"]},
            "object": {
                "key": [{"anything-but": {"prefix": ["Logs/Partitioned/", "CompactedLogs/"]}}]
            },
        },
    }


@mock_aws
def test_the_rule_routes_source_keys_to_the_queue_and_drops_partitioned_ones() -> None:
    urls = build_pipeline()
    s3 = boto3.client("s3", region_name=REGION)
    source = "app-assets/2024-03-01-10-11-12-0123456789ABCDEF"
    moved = "PartitionedLogs/Year=2024/Month=03/Day=01/app-assets/2024-03-01-10-11-12-01234567"
    s3.put_object(Bucket=BUCKET, Key=source, Body=b"a\n")
    s3.put_object(Bucket=BUCKET, Key=moved, Body=b"b\n")
    s3.create_bucket(Bucket="elsewhere")
    s3.put_bucket_notification_configuration(
        Bucket="elsewhere", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    s3.put_object(Bucket="elsewhere", Key=source, Body=b"c\n")  # another bucket: dropped

    messages = receive_all(urls["queue"])
    keys = [json.loads(m["Body"])["detail"]["object"]["key"] for m in messages]
    assert keys == [source]


@mock_aws
def test_the_pattern_on_put_events() -> None:
    """More keys than S3 uploads would make convenient, through the same rule. (moto 5.2
    answers TestEventPattern with nothing - it is a stub - so PutEvents it is; its pattern
    matcher implements ``anything-but`` with a nested ``prefix``.)"""
    urls = build_pipeline()
    events = boto3.client("events", region_name=REGION)
    keys = {
        "app-assets/2024-03-01-10-11-12-0123456789ABCDEF": True,
        "123456789012/us-east-1/b/2024/03/01/2024-03-01-10-11-12-ABC": True,
        "notes.txt": True,  # not a log key, but not for the rule to decide: the mover rejects
        "PartitionedLogs/Year=2024/Month=03/Day=01/b/2024-03-01-10-11-12-ABC": False,
        "PartitionedLogs/anything": False,
        "partitionedlogs/case-matters": True,
        "CompactedLogs/Year=2024/Month=03/Day=01/b/from-2024-03-02.parquet": False,
        "CompactedLogs/_manifests/Year=2024/Month=03/Day=01/b/manifest.json": False,
        "CompactedLogs/2024-03-01-10-11-12-ABC": False,  # log-like names too
    }
    for key in keys:
        body = json.loads(eventbridge_body(BUCKET, key, "e", 1))
        entry = {
            "Source": body["source"],
            "DetailType": body["detail-type"],
            "Detail": json.dumps(body["detail"]),
            "Resources": body["resources"],
        }
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    received = {
        json.loads(m["Body"])["detail"]["object"]["key"] for m in receive_all(urls["queue"])
    }
    assert received == {key for key, routed in keys.items() if routed}


# -- the scheduled compactor ---------------------------------------------------------------


def test_the_compaction_queue_outlasts_six_worker_timeouts(template: dict[str, Any]) -> None:
    queue = props(template, "CompactionQueue")
    worker = props(template, "CompactionWorkerFunction")
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 2
    assert worker["Events"]["Queue"]["Properties"]["FunctionResponseTypes"] == [
        "ReportBatchItemFailures"
    ]
    assert worker["Layers"] == [{"Ref": "PyArrowLayerArn"}]
    assert worker["CodeUri"] == "../build/compactor/"
    scheduler = props(template, "CompactionSchedulerFunction")
    assert scheduler["Events"]["Schedule"]["Properties"]["Schedule"] == {
        "Ref": "CompactionSchedule"
    }
    assert "Layers" not in scheduler  # it never writes Parquet


def test_the_compactor_handlers_named_in_the_template_exist(template: dict[str, Any]) -> None:
    from s3logs_athena.table.compaction.lambda_handler import _KNOWN

    for name in ("CompactionSchedulerFunction", "CompactionWorkerFunction"):
        function = props(template, name)
        module, _, attribute = function["Handler"].rpartition(".")
        assert callable(getattr(__import__(module, fromlist=[attribute]), attribute))
        assert set(function["Environment"]["Variables"]) <= _KNOWN


def _statements(template: dict[str, Any], role: str) -> dict[str, Any]:
    resolver = Resolver(
        template,
        {"ExistingLogBucketName": "central-logs"},
        {
            "CompactionQueue.Arn": "arn:queue",
            "CompactorLogGroup.Arn": "arn:log-group",
        },
    )
    (policy,) = resolver.resolve(props(template, role))["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def test_the_worker_reads_raw_partitions_and_writes_only_under_the_compacted_root(
    template: dict[str, Any],
) -> None:
    statements = _statements(template, "CompactionWorkerRole")
    assert statements["ReadRawPartitions"]["Action"] == "s3:GetObject"
    assert statements["ReadRawPartitions"]["Resource"] == (
        "arn:aws:s3:::central-logs/PartitionedLogs/*"
    )
    writes = statements["WriteTheCompactedTable"]
    assert writes["Resource"] == "arn:aws:s3:::central-logs/CompactedLogs/*"
    for sid, statement in statements.items():
        actions = _list(statement["Action"])
        if any(a in ("s3:PutObject", "s3:DeleteObject") for a in actions):
            assert sid == "WriteTheCompactedTable"
        assert not any("*" in a for a in actions)
    assert props(template, "CompactionWorkerFunction")["Role"] == {
        "Fn::GetAtt": ["CompactionWorkerRole", "Arn"]
    }


def test_the_scheduler_only_lists_sends_and_applies_the_view(template: dict[str, Any]) -> None:
    statements = _statements(template, "CompactionSchedulerRole")
    actions = {a for s in statements.values() for a in _list(s["Action"])}
    assert "s3:DeleteObject" not in actions and "s3:PutObject" in actions
    assert statements["AthenaResults"]["Resource"] == (
        "arn:aws:s3:::central-logs/CompactedLogs/_athena/*"
    )
    assert statements["SendUnits"]["Resource"] == "arn:queue"
    tables = statements["WriteTheViewToTheCatalog"]["Resource"]
    assert tables[-1].endswith(":table/s3_access_logs_db/s3_access_logs_all")


@mock_aws
def test_the_compacted_roots_objects_never_reach_the_movers_queue() -> None:
    urls = build_pipeline()
    s3 = boto3.client("s3", region_name=REGION)
    for key in (
        "CompactedLogs/Year=2024/Month=03/Day=01/app/from-2024-03-02.parquet",
        "CompactedLogs/_manifests/Year=2024/Month=03/Day=02/app/manifest.json",
        "CompactedLogs/_athena/results.csv",
    ):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert receive_all(urls["queue"]) == []
