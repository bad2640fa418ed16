"""Move messages from the DLQ back to the mover's queue, once their cause is fixed.

Each message is sent to the queue first and deleted from the DLQ only after SQS accepted
it, so an interruption can at worst deliver a message twice - which the mover handles (a
duplicate finds its object already moved). Bodies and message attributes are kept; FIFO
queues keep the group id. Works against any SQS endpoint boto3 is configured for.

SQS also has a native redrive (``StartMessageMoveTask``, "Start DLQ redrive" in the
console); this one needs no extra permission, works on moto and other endpoints, and shows
what it did.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .retry import aws_error

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

__all__ = [
    "QueueDepth",
    "RedriveSummary",
    "check_queue_urls",
    "queue_depth",
    "redrive",
    "region_from_queue_url",
]


@dataclass(frozen=True)
class QueueDepth:
    visible: int
    in_flight: int
    delayed: int

    @property
    def total(self) -> int:
        return self.visible + self.in_flight + self.delayed


@dataclass
class RedriveSummary:
    dlq: QueueDepth
    dry_run: bool
    moved: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def queue_depth(sqs: SQSClient, url: str) -> QueueDepth:
    """Approximate message counts of a queue (SQS's own figures)."""
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
    except Exception as exc:
        raise aws_error("GetQueueAttributes", exc, f"queue {url}") from exc
    return QueueDepth(
        visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
        in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        delayed=int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
    )


def _attributes(message: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for name, value in message.get("MessageAttributes", {}).items():
        entry = {"DataType": value["DataType"]}
        for part in ("StringValue", "BinaryValue"):
            if part in value:
                entry[part] = value[part]
        kept[name] = entry
    return kept


# https://sqs.us-east-1.amazonaws.com/..., https://sqs.cn-north-1.amazonaws.com.cn/..., and the
# legacy https://us-east-1.queue.amazonaws.com/...
_QUEUE_URL_REGION = re.compile(
    r"https?://(?:sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)|([a-z]{2}(?:-[a-z]+)+-\d+)\.queue)"
    r"\.amazonaws\.com(?:\.cn)?(?:/|$)"
)


def region_from_queue_url(url: str) -> str | None:
    """The region an SQS queue URL names (``None`` for other endpoints, a moto server say)."""
    match = _QUEUE_URL_REGION.match(url.strip())
    return (match[1] or match[2]) if match else None


def check_queue_urls(dlq_url: str, queue_url: str) -> None:
    """:class:`InputError` unless both are queue URLs and different."""
    for option, url in (("--dlq", dlq_url), ("--queue", queue_url)):
        if not url.startswith(("https://", "http://")):
            raise InputError(f"{option} {url!r}: expected a queue URL (https://sqs...)")
    if dlq_url.rstrip("/") == queue_url.rstrip("/"):
        raise InputError("--dlq and --queue are the same queue; give the DLQ and its source")


def redrive(
    sqs: SQSClient,
    *,
    dlq_url: str,
    queue_url: str,
    dry_run: bool = False,
    limit: int | None = None,
    wait_seconds: int = 1,
    visibility_timeout: int = 120,
    on_progress: Callable[[int], None] | None = None,
) -> RedriveSummary:
    """Move up to ``limit`` messages (default: all) from ``dlq_url`` to ``queue_url``.
    ``on_progress(n)`` is called after each batch with the number moved in it."""
    check_queue_urls(dlq_url, queue_url)
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}")
    depth = queue_depth(sqs, dlq_url)
    queue_depth(sqs, queue_url)  # fail early on a wrong --queue
    summary = RedriveSummary(dlq=depth, dry_run=dry_run)
    if dry_run:
        return summary
    fifo = queue_url.endswith(".fifo")
    attempted: set[str] = set()
    while limit is None or summary.moved < limit:
        want = 10 if limit is None else min(10, limit - summary.moved)
        try:
            received = sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=want,
                WaitTimeSeconds=wait_seconds,
                VisibilityTimeout=visibility_timeout,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
        except Exception as exc:
            raise aws_error("ReceiveMessage", exc, f"queue {dlq_url}") from exc
        # A message whose send failed comes back once its visibility timeout is over:
        # stop instead of trying it again and again.
        fresh = [m for m in received if m["MessageId"] not in attempted]
        if not fresh:
            break
        attempted.update(m["MessageId"] for m in fresh)
        by_id: dict[str, dict[str, Any]] = {str(i): dict(m) for i, m in enumerate(fresh)}
        entries: list[Any] = []
        for entry_id, message in by_id.items():
            entry: dict[str, Any] = {"Id": entry_id, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                entry["MessageAttributes"] = _attributes(message)
            if fifo:
                system = message.get("Attributes", {})
                entry["MessageGroupId"] = system.get("MessageGroupId", "s3logs-athena")
                entry["MessageDeduplicationId"] = message["MessageId"]
            entries.append(entry)
        try:
            sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception as exc:
            raise aws_error("SendMessageBatch", exc, f"queue {queue_url}") from exc
        for failure in sent.get("Failed", []):
            summary.failed += 1
            summary.errors.append(f"{failure.get('Code')}: {failure.get('Message', '')}")
        done = [by_id[s["Id"]] for s in sent.get("Successful", [])]
        if done:
            try:
                sqs.delete_message_batch(
                    QueueUrl=dlq_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done)
                    ],
                )
            except Exception as exc:
                raise aws_error("DeleteMessageBatch", exc, f"queue {dlq_url}") from exc
        summary.moved += len(done)
        if on_progress is not None:
            on_progress(len(done))
    return summary
