"""Drive a Lambda SQS handler the way the Lambda service does, against a real (moto) queue.

The poller receives up to ``batch_size`` messages (ReceiveMessage returns at most 10, so it
receives repeatedly, as Lambda's poller does), builds a Lambda-shaped SQS event from them
(``messageId``, ``receiptHandle``, ``body``, ``attributes.ApproximateReceiveCount``...),
calls the handler, deletes every message not named in ``batchItemFailures`` and leaves the
named ones to SQS. If the handler raises (a crash), nothing is deleted.

To keep runs short, messages left to SQS are made visible again at once
(``ChangeMessageVisibility`` 0) instead of after the visibility timeout: the same effect,
sooner. The queue's redrive policy still counts the receives and moves a message to the DLQ
after ``maxReceiveCount`` of them.

Also available: shuffling the records of each batch (reordering) and sending a second copy
of a fraction of messages (duplicate deliveries).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = ["DrainReport", "FakeLambdaContext", "LambdaSqsPoller", "lambda_sqs_event"]

Handler = Callable[[Mapping[str, Any], Any], Mapping[str, Any]]


@dataclass
class FakeLambdaContext:
    """What the handler reads from Lambda's context object."""

    remaining_ms: int = 60_000
    function_name: str = "s3logs-athena-mover"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def lambda_sqs_event(
    messages: Sequence[Mapping[str, Any]], queue_arn: str, region: str = "us-east-1"
) -> dict[str, Any]:
    """A Lambda SQS event from ReceiveMessage results (received with
    ``MessageSystemAttributeNames=["All"]``)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": dict(m.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


@dataclass
class DrainReport:
    invocations: int = 0
    records: int = 0
    deleted: int = 0
    failed_items: int = 0
    crashes: int = 0
    duplicates_sent: int = 0


class LambdaSqsPoller:
    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        handler: Handler,
        *,
        batch_size: int = 100,
        remaining_ms: int = 60_000,
        shuffle_seed: int | None = None,
        duplicate_rate: float = 0.0,
        crash_types: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.batch_size = batch_size
        self.remaining_ms = remaining_ms
        self.crash_types = crash_types
        self.duplicate_rate = duplicate_rate
        self._rng = Random(shuffle_seed) if shuffle_seed is not None else None
        self._dup_rng = Random(0 if shuffle_seed is None else shuffle_seed + 1)
        self._seen: set[str] = set()
        arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        self.queue_arn = arn["Attributes"]["QueueArn"]
        self.report = DrainReport()

    def _receive_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        while len(batch) < self.batch_size:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.batch_size - len(batch)),
                MessageSystemAttributeNames=["All"],
                VisibilityTimeout=300,
                WaitTimeSeconds=0,
            )
            received = response.get("Messages", [])
            if not received:
                break
            batch.extend(dict(m) for m in received)
        return batch

    def _duplicate(self, batch: list[dict[str, Any]]) -> None:
        for message in batch:
            if message["MessageId"] in self._seen:
                continue
            self._seen.add(message["MessageId"])
            if self.duplicate_rate and self._dup_rng.random() < self.duplicate_rate:
                self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=message["Body"])
                self.report.duplicates_sent += 1

    def _release(self, messages: list[dict[str, Any]]) -> None:
        """Make messages visible again now (their visibility timeout "expired")."""
        for start in range(0, len(messages), 10):
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                    for i, m in enumerate(messages[start : start + 10])
                ],
            )

    def run_once(self) -> bool:
        """One invocation; False when there was nothing to receive."""
        batch = self._receive_batch()
        if not batch:
            return False
        self._duplicate(batch)
        if self._rng is not None:
            self._rng.shuffle(batch)
        event = lambda_sqs_event(batch, self.queue_arn)
        self.report.invocations += 1
        self.report.records += len(batch)
        try:
            response = self.handler(event, FakeLambdaContext(self.remaining_ms))
        except self.crash_types:
            self.report.crashes += 1
            self._release(batch)
            return True
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        self.report.failed_items += len(failed)
        self._delete([m for m in batch if m["MessageId"] not in failed])
        self.report.deleted += len(batch) - len(failed)
        self._release([m for m in batch if m["MessageId"] in failed])
        return True

    def drain(self, max_invocations: int = 100_000) -> DrainReport:
        """Invoke until the queue is empty (messages past maxReceiveCount go to the DLQ)."""
        for _ in range(max_invocations):
            if not self.run_once() and self._empty():
                return self.report
        raise RuntimeError(f"queue not drained after {max_invocations} invocations")

    def _empty(self) -> bool:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return all(int(v) == 0 for v in attributes.values())
