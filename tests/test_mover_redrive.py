"""Redrive: DLQ messages back to the queue, sent before they are deleted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.errors import AwsError, InputError
from s3logs_athena.mover.redrive import queue_depth, redrive


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    out = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for message in batch:
            out.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return out


def test_every_message_moves_with_its_attributes(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    for n in range(23):
        sqs.send_message(
            QueueUrl=dlq,
            MessageBody=f"body {n}",
            MessageAttributes={"origin": {"DataType": "String", "StringValue": f"o{n}"}},
        )
    progress: list[int] = []
    summary = redrive(
        sqs, dlq_url=dlq, queue_url=queue, wait_seconds=0, on_progress=progress.append
    )
    assert (summary.moved, summary.failed, summary.dlq.visible) == (23, 0, 23)
    assert sum(progress) == 23
    assert queue_depth(sqs, dlq).total == 0
    received = {
        m["Body"]: m["MessageAttributes"]["origin"]["StringValue"] for m in drain(sqs, queue)
    }
    assert received == {f"body {n}": f"o{n}" for n in range(23)}


def test_dry_run_and_limit(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    for n in range(5):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
    dry = redrive(sqs, dlq_url=dlq, queue_url=queue, dry_run=True)
    assert (dry.dry_run, dry.moved, dry.dlq.visible) == (True, 0, 5)
    assert queue_depth(sqs, queue).total == 0
    some = redrive(sqs, dlq_url=dlq, queue_url=queue, limit=3, wait_seconds=0)
    assert some.moved == 3
    assert queue_depth(sqs, dlq).visible == 2


def test_a_failed_send_leaves_the_message_in_the_dlq(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="x")

    def refuse(**_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from botocore.compat import HTTPHeaders

        class Raw:
            def stream(self, **_: Any) -> Any:
                return iter(())

        parsed = {
            "Successful": [],
            "Failed": [{"Id": "0", "SenderFault": False, "Code": "InternalError", "Message": "no"}],
            "ResponseMetadata": {"HTTPStatusCode": 200, "HTTPHeaders": {}},
        }
        return AWSResponse("https://x.invalid/", 200, HTTPHeaders(), Raw()), parsed

    sqs.meta.events.register_first("before-call.sqs.SendMessageBatch", refuse)
    summary = redrive(sqs, dlq_url=dlq, queue_url=queue, wait_seconds=0, visibility_timeout=0)
    assert (summary.moved, summary.failed) == (0, 1)
    assert summary.errors == ["InternalError: no"]
    assert queue_depth(sqs, dlq).total == 1


def test_a_fifo_queue_gets_group_and_deduplication_ids(sqs: Any) -> None:
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "false"}
    dlq = sqs.create_queue(QueueName="dlq.fifo", Attributes=attrs)["QueueUrl"]
    queue = sqs.create_queue(QueueName="q.fifo", Attributes=attrs)["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d")
    assert redrive(sqs, dlq_url=dlq, queue_url=queue, wait_seconds=0).moved == 1
    message = sqs.receive_message(QueueUrl=queue, MessageSystemAttributeNames=["All"])["Messages"][
        0
    ]
    assert message["Attributes"]["MessageGroupId"] == "g"


def test_mistakes(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    with pytest.raises(InputError, match="same queue"):
        redrive(sqs, dlq_url=dlq, queue_url=dlq)
    with pytest.raises(AwsError, match="GetQueueAttributes failed"):
        redrive(sqs, dlq_url=dlq, queue_url=dlq.replace("dlq", "nope"))
