"""infra/template.yaml: the settings the issue requires, and the rule's pattern in moto."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.mover.settings import SETTINGS
from s3logs_athena.testing.template import Resolver, load_template

from .conftest import REPO_ROOT
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


ACCOUNT = "123456789012"


def _wildcard(pattern: str, value: str) -> bool:
    """IAM's matching: ``*`` any run of characters, ``?`` one character."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value) is not None


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            value = context.get(key)
            if value is None:
                return False
            if operator == "ArnLike":
                if not any(_wildcard(e, value) for e in _list(expected)):
                    return False
            elif operator in ("StringEquals", "ArnEquals", "Bool"):
                if value not in [
                    str(e).lower() if operator == "Bool" else e for e in _list(expected)
                ]:
                    return False
            else:
                raise NotImplementedError(operator)
    return True


def allowed(
    statements: list[dict[str, Any]],
    action: str,
    resource: str,
    context: dict[str, str] | None = None,
    principal: str | None = None,
) -> bool:
    """Whether ``statements`` allow ``action`` on ``resource``: some Allow applies and no
    Deny does (IAM's rule: an explicit Deny wins)."""
    context = {"aws:SecureTransport": "true", **(context or {})}

    def applies(statement: dict[str, Any]) -> bool:
        if principal is not None and statement.get("Principal") not in (
            "*",
            {"Service": principal},
        ):
            return False
        return (
            any(_wildcard(a, action) for a in _list(statement["Action"]))
            and any(_wildcard(r, resource) for r in _list(statement["Resource"]))
            and _condition_holds(statement.get("Condition", {}), context)
        )

    effects = {s["Effect"] for s in statements if applies(s)}
    return effects == {"Allow"}


def mover_statements(template: dict[str, Any], **parameters: Any) -> list[dict[str, Any]]:
    resolver = Resolver(
        template,
        parameters,
        {
            "MoveQueue.Arn": "arn:queue",
            "MoverLogGroup.Arn": "arn:log-group",
            "LogBucket.Arn": "arn:aws:s3:::created-logs",
        },
    )
    role = resolver.resolve(props(template, "MoverRole"))
    assert "ManagedPolicyArns" not in role  # with Role given, SAM's event source adds none
    (policy,) = role["Policies"]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.parametrize(
    ("parameters", "bucket", "root"),
    [
        ({"ExistingLogBucketName": "central-logs"}, "central-logs", "PartitionedLogs/"),
        ({}, "created-logs", "PartitionedLogs/"),
        ({"ExistingLogBucketName": "b", "PartitionRoot": "logs/by-day/"}, "b", "logs/by-day/"),
    ],
)
def test_the_mover_writes_only_under_the_partition_root_and_deletes_only_outside_it(
    template: dict[str, Any], parameters: dict[str, str], bucket: str, root: str
) -> None:
    statements = mover_statements(template, **parameters)
    source = f"arn:aws:s3:::{bucket}/app/2024-03-01-10-11-12-0123456789ABCDEF"
    partitioned = f"arn:aws:s3:::{bucket}/123456789012/us-east-1/app/2024/03/01/2024-03-01-x"
    target = f"arn:aws:s3:::{bucket}/{root}Year=2024/Month=03/Day=01/app/2024-03-01-x"
    elsewhere = f"arn:aws:s3:::other-bucket/{root}Year=2024/Month=03/Day=01/app/x"
    for key in (source, partitioned, target):
        assert allowed(statements, "s3:GetObject", key)
    for action in ("s3:PutObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"):
        assert allowed(statements, action, target), action
        assert not allowed(statements, action, source), action
        assert not allowed(statements, action, partitioned), action
    assert allowed(statements, "s3:DeleteObject", source)
    assert allowed(statements, "s3:DeleteObject", partitioned)
    assert not allowed(statements, "s3:DeleteObject", target)
    assert not any(allowed(statements, a, elsewhere) for a in ("s3:GetObject", "s3:PutObject"))
    assert not any(allowed(statements, "s3:DeleteObjectVersion", key) for key in (source, target))
    # The Deny is explicit, so no later Allow (this role's or another policy's) undoes it.
    denies = [s for s in statements if s["Effect"] == "Deny"]
    assert any(
        "s3:DeleteObject" in _list(s["Action"])
        and _list(s["Resource"]) == [f"arn:aws:s3:::{bucket}/{root}*"]
        for s in denies
    )


def test_iam_is_least_privilege(template: dict[str, Any]) -> None:
    statements = {
        s["Sid"]: s for s in mover_statements(template, ExistingLogBucketName="central-logs")
    }
    assert statements["TellMissingFromDenied"] == {
        "Sid": "TellMissingFromDenied",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::central-logs",
    }
    queue = statements["DrainItsQueue"]
    assert queue["Resource"] == "arn:queue"
    assert set(queue["Action"]) >= {"sqs:ReceiveMessage", "sqs:DeleteMessage"}
    objects = {"ReadLogObjects", "WriteOnlyUnderThePartitionRoot", "DeleteMovedSources",
               "NeverDeleteUnderThePartitionRoot"}  # fmt: skip
    assert objects <= set(statements)
    others = [s for sid, s in statements.items() if sid not in objects]
    assert not any("*" in str(s["Resource"]) for s in others)
    assert not any("*" in a for s in statements.values() for a in _list(s["Action"]))
    assert props(template, "MoverFunction")["Role"] == {"Fn::GetAtt": ["MoverRole", "Arn"]}


def bucket_policy(template: dict[str, Any], **parameters: Any) -> list[dict[str, Any]]:
    resolver = Resolver(
        template,
        parameters,
        {"LogBucket": "central-logs", "LogBucket.Arn": "arn:aws:s3:::central-logs"},
    )
    policy = resolver.resolve(props(template, "LogBucketPolicy"))
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


def delivery(
    statements: list[dict[str, Any]], key: str, source: str, account: str = ACCOUNT
) -> bool:
    context = {"aws:SourceArn": f"arn:aws:s3:::{source}", "aws:SourceAccount": account}
    return allowed(
        statements, "s3:PutObject", f"arn:aws:s3:::central-logs/{key}", context,
        principal="logging.s3.amazonaws.com",
    )  # fmt: skip


def test_log_delivery_is_conditioned_on_source_arn_and_account(template: dict[str, Any]) -> None:
    (statement,) = [
        s for s in bucket_policy(template) if s.get("Sid") == "S3ServerAccessLogsPolicy"
    ]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": ["arn:aws:s3:::*"]}
    statements = bucket_policy(template, LoggedBucketArns="arn:aws:s3:::app-*,arn:aws:s3:::web")
    key = "app-assets/2024-03-01-10-11-12-0123456789ABCDEF"
    assert delivery(statements, key, "app-assets")
    assert delivery(statements, key, "web")
    assert not delivery(statements, key, "someone-elses")
    assert not delivery(statements, key, "app-assets", account="210987654321")


def test_log_delivery_is_limited_to_the_source_prefixes(template: dict[str, Any]) -> None:
    statements = bucket_policy(template)
    assert delivery(statements, "app/2024-03-01-10-11-12-ABCDEF", "app")
    assert delivery(statements, "123456789012/us-east-1/app/2024/03/01/2024-03-01-x", "app")
    # Never into the partition root, where a crafted target prefix would plant partitions.
    assert not delivery(statements, "PartitionedLogs/Year=2024/Month=03/Day=01/app/x", "app")
    prefixed = bucket_policy(template, SourceKeyPattern="logs/{bucket}/", PartitionRoot="p/")
    assert delivery(prefixed, "logs/app/2024-03-01-10-11-12-ABCDEF", "app")
    assert not delivery(prefixed, "app/2024-03-01-10-11-12-ABCDEF", "app")
    assert not delivery(prefixed, "p/Year=2024/Month=03/Day=01/app/x", "app")


def test_the_log_bucket_keeps_noncurrent_versions_for_a_while(template: dict[str, Any]) -> None:
    bucket = props(template, "LogBucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    expiry = rules["expire-noncurrent-versions"]
    assert expiry["Status"] == "Enabled"
    assert expiry["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": {"Ref": "NoncurrentVersionDays"}
    }
    assert expiry["ExpiredObjectDeleteMarker"] is True
    days = template["Parameters"]["NoncurrentVersionDays"]
    assert days["Type"] == "Number" and days["MinValue"] >= 1


def test_the_event_source_caps_concurrency(template: dict[str, Any]) -> None:
    source = props(template, "MoverFunction")["Events"]["Queue"]["Properties"]
    assert source["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "MaximumConcurrency"}}
    parameter = template["Parameters"]["MaximumConcurrency"]
    assert (parameter["MinValue"], parameter["MaxValue"]) == (2, 1000)  # what AWS accepts
    assert 2 <= parameter["Default"] <= 1000


def test_checkov_passes_with_every_skip_explained() -> None:
    """CI runs checkov (.ci/run, its own venv); here it runs if it is installed."""
    checkov = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
    if not checkov.exists():
        found = shutil.which("checkov")
        if found is None:
            pytest.skip("checkov is not installed (.ci/run installs it in .venv-checkov)")
        checkov = Path(found)
    done = subprocess.run(
        [str(checkov), "-f", "infra/template.yaml", "--framework", "cloudformation",
         "--skip-download", "--output", "json"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    report = json.loads(done.stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert summary["failed"] == 0, failed
    assert summary["passed"] > 0
    for skipped in report["results"]["skipped_checks"]:
        comment = skipped["check_result"].get("suppress_comment") or ""
        assert len(comment) > 40, skipped["check_id"]  # a reason, not a bare skip
    assert "checkov" in (REPO_ROOT / ".ci" / "run").read_text()


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
            "AnalystWorkGroup": "s3logs-analysts",
            "AthenaResultsBucket.Arn": "arn:aws:s3:::results",
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
    assert statements["AthenaResults"]["Resource"] == "arn:aws:s3:::results/results/*"
    assert statements["ApplyTheView"]["Resource"].endswith(":workgroup/s3logs-analysts")
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
        "CompactedLogs/_rejects/Year=2024/Month=03/Day=02/app/rejects.jsonl",
    ):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert receive_all(urls["queue"]) == []
