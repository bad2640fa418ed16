"""A batch: concurrent moves, one client, partial batch response, logs and metrics."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from s3logs_athena.layout import Layout
from s3logs_athena.mover import MoverRuntime, MoverSettings, RetryPolicy
from s3logs_athena.mover.observe import METRIC_NAMES
from s3logs_athena.testing.faults import FaultInjector, FaultRates
from s3logs_athena.testing.sqs_harness import FakeLambdaContext

from .conftest import FIXTURES
from .mover_support import (
    BUCKET,
    bucket_contents,
    eventbridge_body,
    log_body,
    log_key,
    put_log,
    sqs_record,
    target_of,
)

FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.004)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


def runtime(s3: Any, out: io.StringIO, **settings: Any) -> MoverRuntime:
    settings.setdefault("retry", FAST)
    return MoverRuntime(MoverSettings(**settings), s3, stream=out, function_name="mover-test")


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def object_lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in lines(out) if "outcome" in line and "key" in line]


def metrics_line(out: io.StringIO) -> dict[str, Any]:
    (line,) = [line for line in lines(out) if "_aws" in line]
    return line


def event_for(s3: Any, numbers: range) -> dict[str, Any]:
    records = []
    for n in numbers:
        etag, size = put_log(s3, log_key(n), log_body(n))
        records.append(sqs_record(f"m{n}", eventbridge_body(BUCKET, log_key(n), etag, size)))
    return {"Records": records}


def test_a_batch_moves_every_object_and_reports_no_failures(s3: Any, out: io.StringIO) -> None:
    event = event_for(s3, range(25))
    response = runtime(s3, out).handle(event, FakeLambdaContext())
    assert response == {"batchItemFailures": []}
    assert bucket_contents() == {target_of(log_key(n)): log_body(n) for n in range(25)}

    logged = object_lines(out)
    assert len(logged) == 25
    first = next(line for line in logged if line["key"] == log_key(0))
    assert first["target"] == target_of(log_key(0))
    assert (first["outcome"], first["attempts"], first["level"]) == ("moved", 1, "INFO")
    assert isinstance(first["ms"], float) and first["message_ids"] == ["m0"]

    emf = metrics_line(out)
    directive = emf["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "S3LogsAthena/Mover"
    assert directive["Dimensions"] == [["FunctionName"]]
    assert [m["Name"] for m in directive["Metrics"]] == list(METRIC_NAMES)
    assert emf["FunctionName"] == "mover-test"
    assert (emf["Moved"], emf["Failed"], emf["Retried"], emf["BatchItemFailures"]) == (25, 0, 0, 0)


def test_records_are_moved_concurrently_on_one_shared_client(s3: Any, out: io.StringIO) -> None:
    event = event_for(s3, range(16))
    in_flight, peak, threads = [0], [0], set()
    lock = threading.Lock()

    def enter(**_: Any) -> None:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            threads.add(threading.current_thread().name)
        time.sleep(0.01)  # hold the request open so overlapping ones can be seen
        with lock:
            in_flight[0] -= 1

    s3.meta.events.register_first("before-send.s3", enter)
    mover = runtime(s3, out, concurrency=8)
    assert mover.s3 is s3
    mover.handle(event, FakeLambdaContext())
    assert peak[0] > 1  # requests overlapped: the records were not moved one after another
    assert peak[0] <= 8  # ...and the pool is bounded
    assert len(threads) > 1 and all(name.startswith("mover") for name in threads)
    assert len(bucket_contents()) == 16


def test_failed_objects_are_reported_by_message_id(s3: Any, out: io.StringIO) -> None:
    event = event_for(s3, range(3))
    faults = FaultInjector(FaultRates(not_found=1.0, not_found_attempts=100))
    faults.affects = lambda key: key == log_key(1)
    faults.install(s3)
    response = runtime(s3, out).handle(event, FakeLambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    contents = bucket_contents()
    assert contents[log_key(1)] == log_body(1)  # untouched
    assert target_of(log_key(0)) in contents and target_of(log_key(2)) in contents
    failed = next(line for line in object_lines(out) if line["key"] == log_key(1))
    assert (failed["outcome"], failed["level"], failed["error_code"]) == (
        "failed",
        "WARNING",
        "NoSuchKey",
    )
    assert failed["attempts"] == FAST.max_attempts
    emf = metrics_line(out)
    assert (emf["Moved"], emf["Failed"], emf["Retried"], emf["BatchItemFailures"]) == (2, 1, 1, 1)


def test_junk_other_events_bad_keys_and_the_loop_guard(s3: Any, out: io.StringIO) -> None:
    fixtures = FIXTURES / "events"
    event = event_for(s3, range(1))
    event["Records"] += [
        sqs_record("junk", "this is not an event"),
        sqs_record("deleted", (fixtures / "eventbridge-object-deleted.json").read_text()),
        sqs_record("test", (fixtures / "s3-test-event.json").read_text()),
        sqs_record("badkey", eventbridge_body(BUCKET, "notes/readme.txt", None, 10)),
        sqs_record("guard", eventbridge_body(BUCKET, target_of(log_key(9)), None, 10)),
    ]
    response = runtime(s3, out).handle(event, FakeLambdaContext())
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    assert failed == {"junk", "deleted", "badkey"}
    by_message = {
        tuple(line.get("message_ids", [line.get("message_id")])): line for line in lines(out)
    }
    assert "not JSON" in by_message[("junk",)]["message"]
    assert "Object Deleted" in by_message[("deleted",)]["message"]
    assert by_message[("test",)]["message"] == "s3:TestEvent acknowledged"
    assert by_message[("badkey",)]["outcome"] == "rejected"
    assert "not a server access log key" in by_message[("badkey",)]["error"]
    assert by_message[("guard",)]["outcome"] == "skipped"
    assert "loop guard" in by_message[("guard",)]["note"]
    emf = metrics_line(out)
    assert (emf["Moved"], emf["Rejected"], emf["Skipped"], emf["TestEvents"]) == (1, 3, 1, 1)


def test_duplicates_within_a_batch_are_moved_once(s3: Any, out: io.StringIO) -> None:
    event = event_for(s3, range(2))
    event["Records"].append(sqs_record("again", event["Records"][0]["body"]))
    calls: list[str] = []
    s3.meta.events.register_first(
        "before-call.s3.CopyObject", lambda **_: calls.append("copy") and None
    )
    response = runtime(s3, out).handle(event, FakeLambdaContext())
    assert response == {"batchItemFailures": []}
    assert len(calls) == 2
    line = next(line for line in object_lines(out) if line["key"] == log_key(0))
    assert sorted(line["message_ids"]) == ["again", "m0"]


def test_an_unexpected_error_fails_only_its_message(
    s3: Any, out: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    from s3logs_athena.mover import batch

    event = event_for(s3, range(3))
    real = batch.resolve_key

    def broken(s3: Any, obj: Any, settings: Any) -> str:
        if obj.raw_key == log_key(2):
            raise RuntimeError("a bug")
        return real(s3, obj, settings)

    monkeypatch.setattr(batch, "resolve_key", broken)
    response = runtime(s3, out).handle(event, FakeLambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    line = next(line for line in object_lines(out) if line["key"] == log_key(2))
    assert line["error"] == "unexpected RuntimeError: a bug"
    assert log_key(2) in bucket_contents()


def test_nothing_starts_when_the_invocation_is_out_of_time(s3: Any, out: io.StringIO) -> None:
    event = event_for(s3, range(3))
    mover = runtime(s3, out, time_reserve=5.0)
    response = mover.handle(event, FakeLambdaContext(remaining_ms=4000))
    assert len(response["batchItemFailures"]) == 3
    assert set(bucket_contents()) == {log_key(n) for n in range(3)}
    assert {line["error_code"] for line in object_lines(out)} == {"OutOfTime"}


def test_target_bucket_setting(s3: Any, out: io.StringIO) -> None:
    s3.create_bucket(Bucket="partitioned")
    event = event_for(s3, range(2))
    runtime(s3, out, target_bucket="partitioned").handle(event, FakeLambdaContext())
    assert bucket_contents() == {}
    assert set(bucket_contents("partitioned")) == {target_of(log_key(n)) for n in range(2)}


@pytest.mark.parametrize(
    ("pattern", "event_key"),
    [
        # EventBridge-style: the key as it is.
        ("server logs/{bucket}/", "server logs/app/2024-03-01-10-11-12-ABCDEF"),
        # Classic-style: URL-encoded, spaces as '+'.
        ("server logs/{bucket}/", "server+logs/app/2024-03-01-10-11-12-ABCDEF"),
        ("c++ logs/{bucket}/", "c%2B%2B+logs/app/2024-03-01-10-11-12-ABCDEF"),
        ("c++ logs/{bucket}/", "c++ logs/app/2024-03-01-10-11-12-ABCDEF"),
        ("日志/{bucket}/", "%E6%97%A5%E5%BF%97/app/2024-03-01-10-11-12-ABCDEF"),
        ("日志/{bucket}/", "日志/app/2024-03-01-10-11-12-ABCDEF"),
    ],
)
def test_event_keys_are_decoded_safely(
    s3: Any, out: io.StringIO, pattern: str, event_key: str
) -> None:
    layout = Layout(source_pattern=pattern)
    real_key = layout.source_prefix("app") + "2024-03-01-10-11-12-ABCDEF"
    etag, size = put_log(s3, real_key, b"line\n")
    event = {"Records": [sqs_record("m", eventbridge_body(BUCKET, event_key, etag, size))]}
    response = runtime(s3, out, layout=layout).handle(event, FakeLambdaContext())
    assert response == {"batchItemFailures": []}
    assert set(bucket_contents()) == {
        "PartitionedLogs/Year=2024/Month=03/Day=01/app/2024-03-01-10-11-12-ABCDEF"
    }


def test_when_both_key_forms_are_log_keys_the_existing_one_is_moved(
    s3: Any, out: io.StringIO
) -> None:
    # PartitionedPrefix keys allow any prefix, so 'a+b/...' and 'a b/...' both parse.
    real_key = "a+b/123456789012/us-east-1/app/2024/03/01/2024-03-01-10-11-12-ABCDEF"
    etag, size = put_log(s3, real_key, b"line\n")
    event = {"Records": [sqs_record("m", eventbridge_body(BUCKET, real_key, etag, size))]}
    assert runtime(s3, out).handle(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert set(bucket_contents()) == {
        "PartitionedLogs/Year=2024/Month=03/Day=01/app/2024-03-01-10-11-12-ABCDEF"
    }
    encoded = "a%2Bb/123456789012/us-east-1/app/2024/03/02/2024-03-02-10-11-12-ABCDEF"
    etag, size = put_log(s3, encoded.replace("%2B", "+"), b"two\n")
    event = {"Records": [sqs_record("n", eventbridge_body(BUCKET, encoded, etag, size))]}
    assert runtime(s3, out).handle(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert "PartitionedLogs/Year=2024/Month=03/Day=02/app/2024-03-02-10-11-12-ABCDEF" in (
        bucket_contents()
    )


def test_an_event_that_is_not_from_sqs_is_refused(s3: Any, out: io.StringIO) -> None:
    with pytest.raises(ValueError, match="not an SQS event"):
        runtime(s3, out).handle({"detail-type": "Object Created"}, None)


def test_hostile_bodies_fail_only_their_own_messages(s3: Any) -> None:
    """Bodies of any shape (nested past the JSON parser's recursion limit, digit bombs, lone
    surrogates, ...) are each one failed item; the good messages around them are moved and
    every log line is valid JSON written as strict UTF-8, as Lambda's stdout is."""
    from .test_mover_events import HOSTILE

    event = event_for(s3, range(3))
    names = sorted(HOSTILE)
    event["Records"] += [sqs_record(f"hostile-{n}", HOSTILE[name]) for n, name in enumerate(names)]
    event["Records"].append(sqs_record("id-\udc80", "not JSON \ud800"))  # a surrogate in the id
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    mover = MoverRuntime(MoverSettings(retry=FAST), s3, stream=stream, function_name="t")
    response = mover.handle(event, FakeLambdaContext())
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    assert failed == {f"hostile-{n}" for n in range(len(names))} | {"id-\udc80"}
    assert bucket_contents() == {target_of(log_key(n)): log_body(n) for n in range(3)}
    logged = [json.loads(line) for line in raw.getvalue().decode("utf-8").splitlines()]
    assert sum("message rejected" in line.get("message", "") for line in logged) == len(failed)
    assert metrics_line_of(logged)["Rejected"] == len(failed)


def metrics_line_of(logged: list[dict[str, Any]]) -> dict[str, Any]:
    (line,) = [line for line in logged if "_aws" in line]
    return line
