"""Step 1 of the demo: the deployed event path, built in moto from the deploy definitions.

The central log bucket (versioned, with the template's lifecycle rules) with EventBridge
notifications on, the rule (S3 "Object Created"
events outside the partition root) targeting the mover's queue, and the queue's dead-letter
queue - with the event pattern, queue attributes and redrive policy of
:mod:`s3logs_athena.demo.deploy_spec`, which ``infra/template.yaml`` is checked against.

Call inside ``moto.mock_aws()``: the clients are plain boto3 clients and talk to whatever
boto3 would talk to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ..layout import Layout
from .deploy_spec import (
    DEAD_LETTER_QUEUE,
    MOVE_QUEUE,
    log_bucket_lifecycle,
    object_created_pattern,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import (
        BucketLifecycleConfigurationTypeDef,
        NotificationConfigurationTypeDef,
    )
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

__all__ = ["REGION", "Pipeline", "build_pipeline"]

REGION = "us-east-1"
_EVENTBRIDGE_ON: NotificationConfigurationTypeDef = {"EventBridgeConfiguration": {}}
_NOTHING: NotificationConfigurationTypeDef = {}


@dataclass(frozen=True)
class Pipeline:
    """The resources of the event path and clients to reach them."""

    log_bucket: str
    layout: Layout
    queue_url: str
    queue_arn: str
    dlq_url: str
    dlq_arn: str
    rule_name: str
    event_pattern: dict[str, Any]
    queue_attributes: dict[str, str]
    s3: S3Client
    sqs: SQSClient

    @contextmanager
    def notifications_overwritten(self) -> Iterator[None]:
        """While the block runs, the bucket's notification configuration is someone
        else's: PutBucketNotificationConfiguration replaces the whole configuration, so a
        second tool writing its own (a Terraform module, a console click) silently turns
        EventBridge delivery off. Objects delivered meanwhile raise no event: stragglers
        only a check can find. The configuration is put back afterwards."""
        self.s3.put_bucket_notification_configuration(
            Bucket=self.log_bucket, NotificationConfiguration=_NOTHING
        )
        try:
            yield
        finally:
            self.s3.put_bucket_notification_configuration(
                Bucket=self.log_bucket, NotificationConfiguration=_EVENTBRIDGE_ON
            )


def _typed(attributes: dict[str, str]) -> Mapping[QueueAttributeNameType, str]:
    return cast("Mapping[QueueAttributeNameType, str]", attributes)


def _arn(sqs: SQSClient, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def build_pipeline(log_bucket: str, layout: Layout | None = None) -> Pipeline:
    """Create the bucket, the DLQ, the queue and the rule (see the module docstring)."""
    import boto3

    layout = layout or Layout()
    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    events = boto3.client("events", region_name=REGION)

    s3.create_bucket(Bucket=log_bucket)
    s3.put_bucket_versioning(Bucket=log_bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_lifecycle_configuration(
        Bucket=log_bucket,
        LifecycleConfiguration=cast("BucketLifecycleConfigurationTypeDef", log_bucket_lifecycle()),
    )
    s3.put_bucket_notification_configuration(
        Bucket=log_bucket, NotificationConfiguration=_EVENTBRIDGE_ON
    )
    dlq_url = sqs.create_queue(
        QueueName="s3logs-mover-dlq", Attributes=_typed(DEAD_LETTER_QUEUE.attributes())
    )["QueueUrl"]
    dlq_arn = _arn(sqs, dlq_url)
    attributes = MOVE_QUEUE.attributes(dead_letter_arn=dlq_arn)
    queue_url = sqs.create_queue(QueueName="s3logs-mover", Attributes=_typed(attributes))[
        "QueueUrl"
    ]
    queue_arn = _arn(sqs, queue_url)
    pattern = object_created_pattern(log_bucket, layout.partition_root, layout.compacted_root)
    rule = "s3logs-object-created"
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(pattern),
        Description=(
            "New log objects outside the partition root and the compacted root, to the "
            "mover's queue."
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "mover-queue", "Arn": queue_arn}])
    return Pipeline(
        log_bucket=log_bucket,
        layout=layout,
        queue_url=queue_url,
        queue_arn=queue_arn,
        dlq_url=dlq_url,
        dlq_arn=dlq_arn,
        rule_name=rule,
        event_pattern=pattern,
        queue_attributes=attributes,
        s3=s3,
        sqs=sqs,
    )
