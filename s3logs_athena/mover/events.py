"""Decode the SQS records a Lambda batch carries into the objects to move.

A record's body is one of:

* an EventBridge event, ``detail-type: Object Created`` from ``aws.s3`` (the deployed path:
  S3 -> EventBridge rule -> SQS);
* a classic S3 notification, ``{"Records": [{"eventName": "ObjectCreated:Put", "s3": ...}]}``,
  sent to SQS directly (or wrapped in an SNS notification);
* S3's ``s3:TestEvent``, sent when a notification is configured: acknowledged, no work.

Anything else - a body that is not JSON, another event type, a record without a bucket or
key - is a :class:`DecodedMessage` with a ``problem``: the batch reports it as a failed item
(it ends in the DLQ for a human to look at) and moves on. That holds for a body of *any*
shape: nested deeper than the JSON parser recurses, too many digits for an int, lone
surrogates, a list or a number or ``null``, a wrong type in any field. :func:`decode_body`
never raises; what it says about a body quotes it in bounded form.

**Keys.** Classic notifications URL-encode the key (``red flower`` arrives as
``red+flower``); EventBridge events have been seen both ways. Each object therefore carries
its key *candidates*: the key as given, then ``unquote_plus`` of it when that differs. The
batch picks the candidate that is a log key (and, if both are, the one that exists).
"""

from __future__ import annotations

import json
import reprlib
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

__all__ = [
    "MAX_RECORDS",
    "DecodedMessage",
    "ObjectRef",
    "decode_body",
    "decode_record",
    "key_candidates",
]

#: Records one notification body may name. S3 sends one per notification; a body naming
#: more is not S3's, and one message must not become an unbounded amount of work.
MAX_RECORDS = 100
#: What an ETag may look like (S3's are hex digits, ``-`` and a part count); anything else
#: is treated as unknown and the source's own ETag is looked up.
_ETAG_CHARS = frozenset(string.ascii_letters + string.digits + "-_.:/+=")
_SHOW = reprlib.Repr()
_SHOW.maxstring = _SHOW.maxother = 80
_SHOW.maxlevel = 2
_SHOW.maxdict = _SHOW.maxlist = 8


def _show(value: Any) -> str:
    """A bounded ``repr`` of a value from a message (it may be huge or deeply nested)."""
    return _SHOW.repr(value)


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object an event says was created."""

    bucket: str
    #: The key exactly as the event carries it.
    raw_key: str
    #: Keys to try, in order: as given, then URL-decoded (when different).
    candidates: tuple[str, ...]
    etag: str | None
    size: int | None
    #: ``eventbridge`` or ``s3-notification``.
    source: str


@dataclass(frozen=True, slots=True)
class DecodedMessage:
    message_id: str
    objects: tuple[ObjectRef, ...] = ()
    #: ``s3:TestEvent``: acknowledged, nothing to do.
    test_event: bool = False
    #: Why this message cannot be processed (it is reported as a failed item).
    problem: str | None = None
    receive_count: int | None = None


def key_candidates(raw: str) -> tuple[str, ...]:
    decoded = unquote_plus(raw)
    return (raw,) if decoded == raw else (raw, decoded)


def _etag(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    etag = value.strip('"')
    if not etag or len(etag) > 128 or not set(etag) <= _ETAG_CHARS:
        return None
    return etag


def _size(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value < 2**63:
        return value
    # ASCII digits only ("²".isdigit() is true, and int() refuses it), and few enough that
    # int() does not refuse them either (Python limits int() to 4,300 digits).
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


class _Problem(Exception):
    pass


def _text(container: Any, *path: str) -> str:
    node = container
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            raise _Problem(f"no {'.'.join(path)} in the event")
        node = node[part]
    if not isinstance(node, str) or not node:
        raise _Problem(f"{'.'.join(path)} is not a non-empty string")
    try:
        node.encode("utf-8")  # bucket names and keys are UTF-8: a lone surrogate is no key
    except UnicodeEncodeError:
        raise _Problem(f"{'.'.join(path)} is not valid Unicode text: {_show(node)}") from None
    return node


def _from_eventbridge(body: Mapping[str, Any]) -> tuple[ObjectRef, ...]:
    detail_type = body.get("detail-type")
    if body.get("source") != "aws.s3" or detail_type != "Object Created":
        raise _Problem(
            f"unsupported EventBridge event {_show(body.get('source'))}/{_show(detail_type)}: "
            "only aws.s3 'Object Created' events are moved (check the rule's event pattern)"
        )
    detail = body.get("detail")
    bucket = _text(detail, "bucket", "name")
    raw_key = _text(detail, "object", "key")
    obj = detail["object"]  # type: ignore[index]
    return (
        ObjectRef(
            bucket=bucket,
            raw_key=raw_key,
            candidates=key_candidates(raw_key),
            etag=_etag(obj.get("etag", obj.get("eTag"))),
            size=_size(obj.get("size")),
            source="eventbridge",
        ),
    )


def _from_notification(records: Any) -> tuple[ObjectRef, ...]:
    if not isinstance(records, list) or not records:
        raise _Problem("'Records' is not a non-empty list")
    if len(records) > MAX_RECORDS:
        raise _Problem(
            f"{len(records)} records in one notification: S3 sends one (at most "
            f"{MAX_RECORDS} are taken)"
        )
    objects = []
    for record in records:
        if not isinstance(record, Mapping):
            raise _Problem("a notification record is not an object")
        event_name = record.get("eventName")
        if not isinstance(event_name, str) or not event_name.startswith("ObjectCreated:"):
            raise _Problem(
                f"unsupported S3 notification {_show(event_name)}: only ObjectCreated:* is "
                "moved (check the bucket's notification configuration)"
            )
        bucket = _text(record, "s3", "bucket", "name")
        raw_key = _text(record, "s3", "object", "key")
        obj = record["s3"]["object"]
        objects.append(
            ObjectRef(
                bucket=bucket,
                raw_key=raw_key,
                candidates=key_candidates(raw_key),
                etag=_etag(obj.get("eTag", obj.get("etag"))),
                size=_size(obj.get("size")),
                source="s3-notification",
            )
        )
    return tuple(objects)


def decode_body(message_id: str, body: Any, receive_count: int | None = None) -> DecodedMessage:
    """Decode one SQS message body (a string). Never raises: whatever the body is, the
    result is the objects it names or a ``problem`` saying why there are none."""
    try:
        return _decode_body(message_id, body, receive_count, envelope=True)
    except Exception as exc:  # a shape nobody foresaw: still one failed item, not a batch
        return DecodedMessage(
            message_id,
            problem=f"the body could not be decoded ({type(exc).__name__}: {_show(str(exc))})",
            receive_count=receive_count,
        )


def _decode_body(
    message_id: str, body: Any, receive_count: int | None, *, envelope: bool
) -> DecodedMessage:
    def problem(text: str) -> DecodedMessage:
        return DecodedMessage(message_id, problem=text, receive_count=receive_count)

    if not isinstance(body, str):
        return problem("the message has no text body")
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as exc:
        return problem(f"the body is not JSON ({exc.msg}): {_show(body)}")
    except RecursionError:
        return problem(f"the body is JSON nested too deeply to be an S3 event: {_show(body)}")
    except ValueError as exc:  # e.g. an integer of more digits than int() converts
        return problem(f"the body is not JSON this decoder reads ({exc}): {_show(body)}")
    if isinstance(parsed, Mapping) and parsed.get("Type") == "Notification" and envelope:
        # An SNS envelope (S3 -> SNS -> SQS without raw message delivery); only one.
        return _decode_body(message_id, parsed.get("Message"), receive_count, envelope=False)
    if not isinstance(parsed, Mapping):
        return problem(f"the body is JSON but not an object: {type(parsed).__name__}")
    try:
        if parsed.get("Event") == "s3:TestEvent":
            return DecodedMessage(message_id, test_event=True, receive_count=receive_count)
        if "detail-type" in parsed:
            objects = _from_eventbridge(parsed)
        elif "Records" in parsed:
            objects = _from_notification(parsed["Records"])
        else:
            return problem(
                "not an S3 event: expected an EventBridge 'Object Created' event, an S3 "
                f"notification with 'Records' or s3:TestEvent; keys: {_show(sorted(parsed))}"
            )
    except _Problem as exc:
        return problem(str(exc))
    return DecodedMessage(message_id, objects=objects, receive_count=receive_count)


def decode_record(record: Mapping[str, Any]) -> DecodedMessage:
    """Decode one record of a Lambda SQS event. The record must be an object with a
    ``messageId`` (the partial batch response needs it; without one this is not a Lambda SQS
    event: ``ValueError``); anything wrong beyond that is a ``problem``."""
    if not isinstance(record, Mapping):
        raise ValueError("an SQS record that is not an object: not a Lambda SQS event")
    message_id = record.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise ValueError("an SQS record without a messageId: not a Lambda SQS event")
    attributes = record.get("attributes")
    count = None
    if isinstance(attributes, Mapping):
        count = _size(attributes.get("ApproximateReceiveCount"))
    return decode_body(message_id, record.get("body"), count)
