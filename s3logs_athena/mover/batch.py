"""One SQS batch: decode every record, move every object concurrently, answer SQS.

The answer is a partial batch response: ``{"batchItemFailures": [{"itemIdentifier":
messageId}, ...]}`` naming every message with an object that was not moved (failed,
rejected) or that could not be decoded. SQS deletes the others and redelivers these after
the visibility timeout; after ``maxReceiveCount`` deliveries they wait in the DLQ with the
source object untouched. No single record can crash the batch: an unexpected exception
while moving one object makes that object (and its message) a failed item.

Objects are moved on a bounded thread pool sharing one boto3 client. The same object named
by several messages of a batch (duplicate deliveries) is moved once; every message naming it
gets that result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import KeyFormatError
from .events import DecodedMessage, ObjectRef, decode_record
from .move import MoveOutcome, MoveResult, move_object
from .observe import Observer, metric_counts
from .retry import ErrorKind, classify_error
from .settings import MoverSettings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["BatchOutcome", "process_batch", "resolve_key"]

_ObjectId = tuple[str, str, str | None]  # bucket, raw key, etag


@dataclass
class BatchOutcome:
    """What a batch did: the response for SQS and the per-object results."""

    response: dict[str, list[dict[str, str]]]
    results: dict[_ObjectId, MoveResult] = field(default_factory=dict)
    messages: list[DecodedMessage] = field(default_factory=list)

    @property
    def failed_message_ids(self) -> list[str]:
        return [item["itemIdentifier"] for item in self.response["batchItemFailures"]]


def resolve_key(s3: S3Client, obj: ObjectRef, settings: MoverSettings) -> str:
    """Which of the event's key candidates to move (see :mod:`.events`)."""
    layout = settings.layout
    if len(obj.candidates) == 1:
        return obj.candidates[0]
    for candidate in obj.candidates:
        if layout.is_partitioned(candidate):
            return candidate  # the loop guard reports it
    parseable = []
    for candidate in obj.candidates:
        try:
            layout.parse_source_key(candidate)
        except KeyFormatError:
            continue
        parseable.append(candidate)
    if not parseable:
        return obj.candidates[-1]  # rejected; the decoded form reads better in the log
    if len(parseable) == 1:
        return parseable[0]
    # Both the key as given and its decoded form are log keys: ask S3 which one exists.
    for candidate in parseable:
        try:
            s3.head_object(Bucket=obj.bucket, Key=candidate)
        except Exception as exc:
            if classify_error(exc) is ErrorKind.NOT_FOUND:
                continue
            break  # the move itself will meet and report this failure
        return candidate
    return parseable[0]


def _not_moved(
    obj: ObjectRef, *, attempts: int, elapsed: float, error: str, code: str
) -> MoveResult:
    """A failed result for an object the move never got a hold of."""
    return MoveResult(
        outcome=MoveOutcome.FAILED,
        bucket=obj.bucket,
        key=obj.raw_key,
        target_bucket=None,
        target_key=None,
        attempts=attempts,
        elapsed=elapsed,
        error=error,
        error_code=code,
    )


def _move(
    s3: S3Client, obj: ObjectRef, settings: MoverSettings, deadline: float | None
) -> MoveResult:
    started = time.monotonic()
    try:
        if deadline is not None and started >= deadline:
            return _not_moved(
                obj,
                attempts=0,
                elapsed=0.0,
                error="not started: the invocation is out of time",
                code="OutOfTime",
            )
        key = resolve_key(s3, obj, settings)
        return move_object(
            s3,
            bucket=obj.bucket,
            key=key,
            layout=settings.layout,
            target_bucket=settings.target_bucket,
            expected_etag=obj.etag,
            expected_size=obj.size,
            deadline=deadline,
            retry=settings.retry,
        )
    except Exception as exc:  # a bug must not take the whole batch down
        return _not_moved(
            obj,
            attempts=1,
            elapsed=time.monotonic() - started,
            error=f"unexpected {type(exc).__name__}: {exc}",
            code=type(exc).__name__,
        )


def process_batch(
    event: Mapping[str, Any],
    *,
    s3: S3Client,
    settings: MoverSettings,
    executor: Executor,
    observer: Observer,
    deadline: float | None = None,
    move: Callable[[S3Client, ObjectRef, MoverSettings, float | None], MoveResult] = _move,
) -> BatchOutcome:
    """Handle a Lambda SQS event. ``deadline`` is a :func:`time.monotonic` timestamp after
    which no attempt starts."""
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("not an SQS event: no 'Records' list")
    messages = [decode_record(record) for record in records]

    # One move per distinct object, however many messages name it.
    wanted: dict[_ObjectId, ObjectRef] = {}
    named_by: dict[_ObjectId, list[str]] = {}
    for message in messages:
        for obj in message.objects:
            object_id = (obj.bucket, obj.raw_key, obj.etag)
            wanted.setdefault(object_id, obj)
            named_by.setdefault(object_id, []).append(message.message_id)
    futures: dict[_ObjectId, Future[MoveResult]] = {
        object_id: executor.submit(move, s3, obj, settings, deadline)
        for object_id, obj in wanted.items()
    }
    # Wait for every move before looking at any result: a crash of one worker (the test
    # double's SimulatedCrash) must not leave others running into the next batch.
    for future in futures.values():
        future.exception()
    results = {object_id: future.result() for object_id, future in futures.items()}

    failed: list[str] = []
    for message in messages:
        if message.test_event:
            observer.log("INFO", "s3:TestEvent acknowledged", message_id=message.message_id)
        elif message.problem is not None:
            observer.log(
                "ERROR",
                f"message rejected: {message.problem}",
                message_id=message.message_id,
                outcome="rejected",
                receive_count=message.receive_count,
            )
            failed.append(message.message_id)
        elif any(not results[(o.bucket, o.raw_key, o.etag)].ok for o in message.objects):
            failed.append(message.message_id)
    for object_id, result in results.items():
        observer.moved(result, named_by[object_id])

    counts = metric_counts(list(results.values()))
    counts["Rejected"] += sum(1 for m in messages if m.problem is not None)
    counts["TestEvents"] = sum(1 for m in messages if m.test_event)
    counts["BatchItemFailures"] = len(failed)
    observer.metrics(counts, messages=len(messages), objects=len(results))
    response = {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
    return BatchOutcome(response=response, results=results, messages=messages)
