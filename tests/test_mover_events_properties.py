"""Property tests: an SQS body of any shape is one failed item, never an exception.

Bodies are generated as arbitrary JSON structures (keys drawn from the event vocabulary as
well as at random, so the decoder goes deep), event-shaped structures with a value of any
type in every field, SNS envelopes around those, arbitrary text with lone surrogates, bytes
that are not UTF-8 (decoded as a runtime would, with surrogate escapes), and brackets nested
deeper than the JSON parser recurses. Each goes through :func:`decode_body`, then whole
batches through the handler's :func:`process_batch` with an S3 client that answers every
request ``NoSuchKey`` and a log stream that writes strict UTF-8, as Lambda's stdout does.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from s3logs_athena.mover import MoverSettings, RetryPolicy
from s3logs_athena.mover.batch import process_batch
from s3logs_athena.mover.events import MAX_RECORDS, decode_body
from s3logs_athena.mover.observe import Observer

# Generated bodies run to megabytes; hypothesis warns when it prints one.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)

# -- bodies ---------------------------------------------------------------------------------

_CHARS = st.one_of(st.characters(), st.characters(codec=None, categories=["Cs"]))
_TEXT = st.text(_CHARS, max_size=30)
_VOCABULARY = [
    "Records", "detail-type", "source", "detail", "bucket", "name", "object", "key", "etag",
    "eTag", "size", "eventName", "s3", "Type", "Message", "Event", "aws.s3", "Object Created",
    "ObjectCreated:Put", "Notification", "s3:TestEvent", "central-logs",
    "app/2024-03-01-10-11-12-ABCDEF", "PartitionedLogs/x", "1", "-1", "²", "٣", "1e3",
]  # fmt: skip
_WORDS = st.sampled_from(_VOCABULARY) | _TEXT
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | _WORDS
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_WORDS, inner, max_size=5),
    max_leaves=25,
)


def _either(value: Any, *others: Any) -> Any:
    """Mostly the right value, or anything in its place (so most bodies get deep)."""
    return st.one_of(st.just(value), st.just(value), st.just(value), *others, _JSON)


def _either_shape(shape: Any) -> Any:
    """Mostly the right structure, or anything in its place."""
    return st.one_of(shape, shape, shape, _JSON)


_OBJECT = st.fixed_dictionaries(
    {"key": _either("app/2024-03-01-10-11-12-ABCDEF", _TEXT),
     "size": _either(10), "etag": _either("b1946ac92492d2347c6235b4d2611184")}
)  # fmt: skip
_BUCKET = st.fixed_dictionaries({"name": _either("central-logs", _TEXT)})
_EVENTBRIDGE = st.fixed_dictionaries(
    {"detail-type": _either("Object Created"), "source": _either("aws.s3"),
     "detail": _either_shape(
         st.fixed_dictionaries({"bucket": _either_shape(_BUCKET), "object": _either_shape(_OBJECT)})
     )}
)  # fmt: skip
_RECORD = st.fixed_dictionaries(
    {"eventName": _either("ObjectCreated:Put"),
     "s3": _either_shape(
         st.fixed_dictionaries({"bucket": _either_shape(_BUCKET), "object": _either_shape(_OBJECT)})
     )}
)  # fmt: skip
_NOTIFICATION = st.fixed_dictionaries(
    {"Records": _either_shape(st.lists(_either_shape(_RECORD), min_size=1, max_size=3))}
)
_SHAPED = _EVENTBRIDGE | _NOTIFICATION | _JSON


def _dumps(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)


_JSON_BODIES = st.builds(_dumps, _SHAPED, st.booleans())
_SNS_BODIES = st.builds(
    lambda inner, ascii_only: _dumps({"Type": "Notification", "Message": inner}, ascii_only),
    _JSON_BODIES | _TEXT | _JSON,
    st.booleans(),
)
_NESTED = st.builds(
    lambda depth, opener, closer, wrap: (
        ('{"Records": ' if wrap else "") + opener * depth + closer * depth + ("}" if wrap else "")
    ),
    st.integers(min_value=500, max_value=60_000),
    st.sampled_from(["[", '{"a":', '{"Records":[']),
    st.sampled_from(["]", "}", "]}"]),
    st.booleans(),
)
# Numbers of more digits than int() converts (4,300), where a size or anything else goes.
_DIGIT_BOMBS = st.builds(
    lambda body, digits: body.replace("10", "9" * digits, 1),
    st.builds(_dumps, _EVENTBRIDGE | _NOTIFICATION, st.just(True)),
    st.integers(min_value=4000, max_value=20_000),
)
BODIES = (
    _JSON_BODIES
    | _DIGIT_BOMBS
    | _SNS_BODIES
    | _NESTED
    | _TEXT
    | st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape"))
    | _JSON  # not even a string
)


# -- properties -----------------------------------------------------------------------------


@SETTINGS
@given(BODIES)
def test_any_body_decodes_to_objects_a_test_event_or_one_problem(body: Any) -> None:
    message = decode_body("m", body, 1)
    assert message.message_id == "m" and message.receive_count == 1
    outcomes = [message.problem is not None, message.test_event, bool(message.objects)]
    assert sum(outcomes) == 1, message
    event("problem" if outcomes[0] else "test event" if outcomes[1] else "objects")
    if message.problem is not None:
        assert isinstance(message.problem, str) and len(message.problem) < 2000
    assert len(message.objects) <= MAX_RECORDS
    for obj in message.objects:
        for text in (obj.bucket, obj.raw_key, *obj.candidates):
            assert isinstance(text, str) and text
            text.encode("utf-8")  # valid text: a key S3 could hold
        assert obj.etag is None or (isinstance(obj.etag, str) and obj.etag.isascii())
        assert obj.size is None or (type(obj.size) is int and obj.size >= 0)


class _NoSuchKeyEverywhere:
    """An S3 client that answers every request NoSuchKey without a network."""

    def __init__(self) -> None:
        from botocore.awsrequest import AWSResponse

        class Raw:
            def stream(self, **_: Any) -> Any:
                return iter(())

        self.client = boto3.client(
            "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        parsed = {
            "Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."},
            "ResponseMetadata": {"HTTPStatusCode": 404, "HTTPHeaders": {}},
        }
        answer = (AWSResponse("https://s3.invalid/", 404, {}, Raw()), parsed)
        self.client.meta.events.register_first("before-call.s3.*", lambda **_: answer)


@pytest.fixture(scope="module")
def s3() -> Any:
    return _NoSuchKeyEverywhere().client


@pytest.fixture(scope="module")
def executor() -> Any:
    with ThreadPoolExecutor(4) as pool:
        yield pool


_RECEIVE_COUNTS = st.just("1") | _JSON


@SETTINGS
@given(bodies=st.lists(BODIES, min_size=1, max_size=6), counts=st.lists(_RECEIVE_COUNTS))
def test_a_batch_of_any_bodies_answers_sqs_and_never_raises(
    s3: Any, executor: Any, bodies: list[Any], counts: list[Any]
) -> None:
    records = [
        {"messageId": f"m{n}", "body": body,
         "attributes": {"ApproximateReceiveCount": counts[n] if n < len(counts) else "1"}}
        for n, body in enumerate(bodies)
    ]  # fmt: skip
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    settings = MoverSettings(retry=RetryPolicy(max_attempts=1))
    outcome = process_batch(
        {"Records": records}, s3=s3, settings=settings, executor=executor,
        observer=Observer(stream),
    )  # fmt: skip
    failures = outcome.response["batchItemFailures"]
    assert all(set(item) == {"itemIdentifier"} for item in failures)
    failed = {item["itemIdentifier"] for item in failures}
    ids = {record["messageId"] for record in records}
    assert failed <= ids and len(failed) == len(failures)
    for message in outcome.messages:
        if message.problem is not None or message.objects:  # nothing moves against NoSuchKey
            assert message.message_id in failed
        else:
            assert message.test_event and message.message_id not in failed
    for line in raw.getvalue().decode("utf-8").splitlines():
        json.loads(line)
