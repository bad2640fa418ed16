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


body_text = body("s3-notification-object-created.json")


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


# -- bodies of any shape are problems, never exceptions ---------------------------------------

EB_OBJECT = (
    '{"detail-type": "Object Created", "source": "aws.s3", "detail": '
    '{"bucket": {"name": "central-logs"}, "object": {"key": %s, "size": %s, "etag": %s}}}'
)
HOSTILE = {
    "deeply nested list": "[" * 100_000 + "]" * 100_000,
    "deeply nested records": '{"Records": ' + "[" * 50_000 + "]" * 50_000 + "}",
    "deeply nested object": '{"a": ' * 50_000 + "1" + "}" * 50_000,
    "an integer of 5,000 digits": "1" * 5000,
    "an integer of 5,000 digits inside": '{"Records": [{"eventName": ' + "7" * 5000 + "}]}",
    "null": "null",
    "a number": "3.5e400",
    "a string": '"\\ud800"',
    "a list of events": '[{"Event": "s3:TestEvent"}]',
    "a lone surrogate in the key": EB_OBJECT % ('"app/2024-03-01-10-11-12-AB\\udc80"', 1, '"e"'),
    "a key that is a list": EB_OBJECT % ('["app"]', 1, '"e"'),
    "a key that is an object": EB_OBJECT % ('{"key": "app"}', 1, '"e"'),
    "raw lone surrogates": '{"Records": "\ud800\udfff\udc80"}',
    "not UTF-8, as a runtime would decode it": b"\xff\xfe{\x80}".decode("utf-8", "surrogateescape"),
    "twice wrapped in SNS": json.dumps(
        {
            "Type": "Notification",
            "Message": json.dumps({"Type": "Notification", "Message": body_text}),
        }
    ),
    "too many records": json.dumps({"Records": [json.loads(body_text)["Records"][0]] * 101}),
    "10 MB of brackets and quotes": '["' * 2_500_000,
    "a number for detail": '{"detail-type": "Object Created", "source": "aws.s3", "detail": 1}',
    "records that are numbers": '{"Records": [1, 2, 3]}',
    "an event name that is an object": '{"Records": [{"eventName": {"a": [1, [2, [3]]]}}]}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_bodies_are_one_problem_each(name: str) -> None:
    message = decode_body("m1", HOSTILE[name], 2)
    assert message.problem is not None and message.objects == ()
    assert (message.message_id, message.receive_count) == ("m1", 2)
    assert len(message.problem) < 1000  # quoted in bounded form, whatever the body's size


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (6, 6),
        ("6", 6),
        ("9" * 5000, None),  # more digits than int() converts
        ("²", None),  # a digit to str.isdigit(), not to int()
        ("٣", None),  # Arabic-Indic three: not what S3 writes
        (-1, None),
        (True, None),
        (1.5, None),
        (2**70, None),
        ([6], None),
        (None, None),
    ],
)
def test_sizes_of_any_type(size: Any, expected: int | None) -> None:
    text = EB_OBJECT % ('"app/2024-03-01-10-11-12-ABC"', json.dumps(size), '"e"')
    (obj,) = decode_body("m1", text).objects
    assert obj.size == expected


@pytest.mark.parametrize(
    ("etag", "expected"),
    [
        ('"b1946ac92492d2347c6235b4d2611184"', "b1946ac92492d2347c6235b4d2611184"),
        ('"d41d8cd98f00b204e9800998ecf8427e-12"', "d41d8cd98f00b204e9800998ecf8427e-12"),
        ('"\\"quoted\\""', "quoted"),
        ('"a b"', None),  # not an ETag: looked up instead
        ('"\\r\\n"', None),
        ('"\\ud800"', None),
        ('"' + "f" * 200 + '"', None),
        ("5", None),
        ("null", None),
    ],
)
def test_etags_of_any_shape(etag: str, expected: str | None) -> None:
    text = EB_OBJECT % ('"app/2024-03-01-10-11-12-ABC"', 1, etag)
    (obj,) = decode_body("m1", text).objects
    assert obj.etag == expected


def test_a_record_that_is_not_an_object_is_not_a_lambda_event() -> None:
    with pytest.raises(ValueError, match="not an object"):
        decode_record("a string")  # type: ignore[arg-type]
