"""Decoding SQS records: EventBridge, classic S3 notifications, test events, junk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from s3logs_athena.mover.events import decode_body, decode_record, key_candidates

EVENTS = Path(__file__).parent / "fixtures" / "events"


def body(name: str) -> str:
    return (EVENTS / name).read_text()


def test_eventbridge_object_created() -> None:
    message = decode_body("m1", body("eventbridge-object-created.json"))
    assert message.problem is None and not message.test_event
    (obj,) = message.objects
    assert obj.bucket == "central-logs"
    assert obj.raw_key == "app-assets/2024-03-01-10-11-12-0123456789ABCDEF"
    assert obj.candidates == (obj.raw_key,)
    assert (obj.etag, obj.size, obj.source) == (
        "b1946ac92492d2347c6235b4d2611184",
        6,
        "eventbridge",
    )


def test_moto_spells_the_etag_field_etag_with_a_capital_t() -> None:
    event = json.loads(body("eventbridge-object-created.json"))
    event["detail"]["object"]["eTag"] = event["detail"]["object"].pop("etag")
    (obj,) = decode_body("m1", json.dumps(event)).objects
    assert obj.etag == "b1946ac92492d2347c6235b4d2611184"


def test_classic_notification_keys_are_tried_as_given_then_url_decoded() -> None:
    (obj,) = decode_body("m1", body("s3-notification-object-created.json")).objects
    assert obj.source == "s3-notification"
    assert obj.candidates == (
        "%E6%97%A5%E5%BF%97+%2B+more/app-assets/2024-03-01-10-11-12-0123456789ABCDEF",
        "日志 + more/app-assets/2024-03-01-10-11-12-0123456789ABCDEF",
    )
    assert (obj.etag, obj.size) == ("b1946ac92492d2347c6235b4d2611184", 6)


def test_an_sns_envelope_is_unwrapped() -> None:
    message = decode_body("m1", body("sns-wrapped-s3-notification.json"))
    assert message.problem is None
    assert message.objects[0].candidates[-1].startswith("日志 + more/")


def test_the_s3_test_event_is_acknowledged() -> None:
    message = decode_body("m1", body("s3-test-event.json"))
    assert message.test_event and message.objects == () and message.problem is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json at all", "not JSON"),
        ("[1, 2]", "not an object"),
        ('{"hello": "world"}', "not an S3 event"),
        ('{"Records": []}', "non-empty list"),
        ('{"Records": [{"eventName": "ObjectCreated:Put", "s3": {}}]}', "s3.bucket.name"),
        ('{"detail-type": "Object Created", "source": "aws.s3", "detail": {}}', "bucket.name"),
    ],
)
def test_malformed_bodies_are_problems_not_exceptions(text: str, problem: str) -> None:
    message = decode_body("m1", text)
    assert message.objects == ()
    assert problem in (message.problem or "")


@pytest.mark.parametrize(
    ("fixture", "problem"),
    [
        ("eventbridge-object-deleted.json", "'Object Deleted'"),
        ("s3-notification-object-removed.json", "'ObjectRemoved:Delete'"),
    ],
)
def test_other_event_types_are_problems(fixture: str, problem: str) -> None:
    assert problem in (decode_body("m1", body(fixture)).problem or "")


def test_lambda_records() -> None:
    event: dict[str, Any] = json.loads(body("lambda-sqs-batch.json"))
    first, second = (decode_record(r) for r in event["Records"])
    assert first.message_id == "059f36b4-87a3-44ab-83d2-661975830a7d"
    assert first.receive_count == 1 and len(first.objects) == 1
    assert second.test_event


def test_a_record_without_message_id_is_not_a_lambda_event() -> None:
    with pytest.raises(ValueError, match="messageId"):
        decode_record({"body": "{}"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a/b", ("a/b",)),
        ("red+flower", ("red+flower", "red flower")),
        ("a%2Bb", ("a%2Bb", "a+b")),
        ("caf%C3%A9", ("caf%C3%A9", "café")),
        ("café", ("café",)),
    ],
)
def test_key_candidates(raw: str, expected: tuple[str, ...]) -> None:
    assert key_candidates(raw) == expected
