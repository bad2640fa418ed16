"""The core move: copy the event's object, verify the target, delete the source last."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from s3logs_athena.layout import Layout
from s3logs_athena.mover import MoveOutcome, RetryPolicy, move_object
from s3logs_athena.testing.faults import FaultInjector, FaultRates, SimulatedCrash

BUCKET = "central-logs"  # not "logs": moto routes logs.s3.amazonaws.com to CloudWatch Logs
KEY = "app-assets/2024-03-01-10-11-12-0123456789ABCDEF"
TARGET = "PartitionedLogs/Year=2024/Month=03/Day=01/app-assets/2024-03-01-10-11-12-0123456789ABCDEF"
BODY = b'79a5 app-assets [01/Mar/2024:10:11:12 +0000] 192.0.2.1 - ABC REST.GET.OBJECT k "GET"\n'
FAST = RetryPolicy(max_attempts=6, base_delay=0.001, max_delay=0.004)
LAYOUT = Layout()


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put(s3: Any, key: str = KEY, body: bytes = BODY, **extra: Any) -> dict[str, Any]:
    response: dict[str, Any] = s3.put_object(Bucket=BUCKET, Key=key, Body=body, **extra)
    return {"expected_etag": response["ETag"].strip('"'), "expected_size": len(body)}


def plain() -> Any:
    """A client without the test's hooks, to look at what S3 really holds."""
    return boto3.client("s3", region_name="us-east-1")


def keys(s3: Any, bucket: str = BUCKET) -> list[str]:
    listing = plain().list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def body(s3: Any, key: str, bucket: str = BUCKET) -> bytes:
    data: bytes = plain().get_object(Bucket=bucket, Key=key)["Body"].read()
    return data


def record_calls(s3: Any) -> list[str]:
    calls: list[str] = []
    s3.meta.events.register_first(
        "before-call.s3.*", lambda model, **_: calls.append(model.name) and None
    )
    return calls


def answer_with(code: str, status: int, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    class Raw:
        def stream(self, **_: Any) -> Any:
            return iter(())

    parsed = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
    }
    return AWSResponse("https://x.invalid/", status, {}, Raw()), parsed


def test_happy_path_is_a_conditional_copy_and_a_conditional_delete(s3: Any) -> None:
    expected = put(s3, ContentType="text/plain", Metadata={"origin": "test"})
    calls = record_calls(s3)

    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)

    assert result.outcome is MoveOutcome.MOVED and result.ok
    assert (result.attempts, result.target_key, result.size) == (1, TARGET, len(BODY))
    # The copy's ETag (the source's MD5) is the verification: no HeadObject of the target.
    assert calls == ["CopyObject", "DeleteObject"]
    assert keys(s3) == [TARGET]
    assert body(s3, TARGET) == BODY
    head = s3.head_object(Bucket=BUCKET, Key=TARGET)
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"origin": "test"}


def test_without_etag_and_size_the_source_is_looked_up_first(s3: Any) -> None:
    put(s3)
    calls = record_calls(s3)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST)
    assert result.outcome is MoveOutcome.MOVED
    assert calls == ["HeadObject", "CopyObject", "DeleteObject"]
    assert keys(s3) == [TARGET]


def test_other_target_bucket(s3: Any) -> None:
    s3.create_bucket(Bucket="partitioned-logs")
    expected = put(s3)
    result = move_object(
        s3,
        bucket=BUCKET,
        key=KEY,
        layout=LAYOUT,
        target_bucket="partitioned-logs",
        retry=FAST,
        **expected,
    )
    assert result.outcome is MoveOutcome.MOVED
    assert keys(s3) == []
    assert keys(s3, "partitioned-logs") == [TARGET]


def test_not_found_for_the_first_attempts_is_retried_then_moved(s3: Any) -> None:
    expected = put(s3)
    faults = FaultInjector(FaultRates(not_found=1.0, not_found_attempts=3)).install(s3)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.MOVED
    assert result.attempts == 4 and result.retried
    assert faults.injected["CopyObject:NoSuchKey"] == 3
    assert keys(s3) == [TARGET] and body(s3, TARGET) == BODY


def test_not_found_for_some_time_after_creation_is_retried_then_moved(s3: Any) -> None:
    expected = put(s3)
    # A window wide enough that even a loaded CI machine makes its first attempt inside it.
    faults = FaultInjector(FaultRates(not_found=1.0, not_found_seconds=0.5)).install(s3)
    faults.created(BUCKET, KEY)
    policy = RetryPolicy(max_attempts=200, base_delay=0.01, max_delay=0.02)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=policy, **expected)
    assert result.outcome is MoveOutcome.MOVED and result.retried
    assert keys(s3) == [TARGET]


def test_not_found_beyond_the_attempts_fails_and_leaves_the_source(s3: Any) -> None:
    expected = put(s3)
    FaultInjector(FaultRates(not_found=1.0, not_found_attempts=100)).install(s3)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.FAILED and not result.ok
    assert result.error_code == "NoSuchKey"
    assert result.attempts == FAST.max_attempts
    assert "gave up after 6 attempts" in (result.error or "")
    assert keys(s3) == [KEY] and body(s3, KEY) == BODY


def test_retries_stop_at_the_deadline(s3: Any) -> None:
    expected = put(s3)
    FaultInjector(FaultRates(not_found=1.0, not_found_attempts=100)).install(s3)
    slow = RetryPolicy(max_attempts=50, base_delay=0.05, max_delay=0.05)
    result = move_object(
        s3,
        bucket=BUCKET,
        key=KEY,
        layout=LAYOUT,
        retry=slow,
        deadline=time.monotonic() + 0.12,
        **expected,
    )
    assert result.outcome is MoveOutcome.FAILED
    assert "out of time" in (result.error or "")
    assert result.attempts < slow.max_attempts
    assert keys(s3) == [KEY]


def test_a_duplicate_delivery_finds_the_object_already_moved(s3: Any) -> None:
    expected = put(s3)
    first = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    calls = record_calls(s3)
    again = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert (first.outcome, again.outcome) == (MoveOutcome.MOVED, MoveOutcome.ALREADY_MOVED)
    assert again.attempts == 1
    assert calls == ["CopyObject", "HeadObject"]  # NoSuchKey, then the target check
    assert keys(s3) == [TARGET]


def test_a_target_that_differs_is_not_taken_for_the_moved_object(s3: Any) -> None:
    expected = put(s3)
    s3.delete_object(Bucket=BUCKET, Key=KEY)
    s3.put_object(Bucket=BUCKET, Key=TARGET, Body=b"something else")
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.FAILED and result.error_code == "NoSuchKey"


def test_a_crash_between_copy_and_delete_is_repaired_by_the_next_delivery(s3: Any) -> None:
    expected = put(s3)
    FaultInjector(FaultRates(crash_before_delete=1.0)).install(s3)
    with pytest.raises(SimulatedCrash):
        move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert keys(s3) == [TARGET, KEY]  # copied, not deleted
    calls = record_calls(s3)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    # The target is not copied again: the 412 of the copy leads to it, it holds the object.
    assert result.outcome is MoveOutcome.ALREADY_MOVED and result.attempts == 1
    assert calls == ["CopyObject", "HeadObject", "DeleteObject"]
    assert keys(s3) == [TARGET] and body(s3, TARGET) == BODY


def test_only_the_object_the_event_describes_is_copied(s3: Any) -> None:
    stale = put(s3)
    put(s3, body=b"a newer object under the same key\n")
    FaultInjector().install(s3)  # enforces CopySourceIfMatch, which moto ignores
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **stale)
    assert result.outcome is MoveOutcome.REJECTED
    assert result.error_code == "PreconditionFailed"
    assert "replaced" in (result.error or "")
    assert keys(s3) == [KEY]  # nothing copied, nothing deleted
    assert body(s3, KEY) == b"a newer object under the same key\n"


def test_a_stale_event_after_a_move_and_a_newer_upload_is_already_moved(s3: Any) -> None:
    first = put(s3)
    move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **first)
    put(s3, body=b"newer\n")
    FaultInjector().install(s3)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **first)
    assert result.outcome is MoveOutcome.ALREADY_MOVED
    assert body(s3, KEY) == b"newer\n"  # the newer object waits for its own event
    assert body(s3, TARGET) == BODY


def test_a_source_replaced_after_the_copy_is_not_deleted(s3: Any) -> None:
    expected = put(s3)
    other = boto3.client("s3", region_name="us-east-1")

    def replace_once(model: Any, **_: Any) -> None:
        if model.name == "DeleteObject" and not replaced:
            replaced.append(True)
            other.put_object(Bucket=BUCKET, Key=KEY, Body=b"newer\n")

    replaced: list[bool] = []
    s3.meta.events.register_first("before-call.s3.DeleteObject", replace_once)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.MOVED
    assert "replaced" in (result.error or "")
    assert body(s3, KEY) == b"newer\n"
    assert body(s3, TARGET) == BODY


@pytest.mark.parametrize("code", ["SlowDown", "InternalError"])
def test_throttling_and_server_errors_are_retried(s3: Any, code: str) -> None:
    expected = put(s3)
    rates = FaultRates(slowdown=0.5) if code == "SlowDown" else FaultRates(internal_error=0.5)
    faults = FaultInjector(rates, seed=3).install(s3)
    policy = RetryPolicy(max_attempts=30, base_delay=0.001, max_delay=0.002)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=policy, **expected)
    assert result.outcome is MoveOutcome.MOVED
    assert sum(n for name, n in faults.injected.items() if name.endswith(code)) > 0
    assert keys(s3) == [TARGET] and body(s3, TARGET) == BODY


def test_persistent_throttling_fails_and_leaves_the_source(s3: Any) -> None:
    expected = put(s3)
    FaultInjector(FaultRates(slowdown=1.0)).install(s3)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.FAILED and result.error_code == "SlowDown"
    assert keys(s3) == [KEY]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("AccessDenied", "User is not authorized to perform: s3:PutObject"),
        ("KMS.DisabledException", "arn:aws:kms:us-east-1:123456789012:key/abc is disabled."),
    ],
)
def test_access_denied_and_kms_errors_are_rejected_with_their_cause(
    s3: Any, code: str, message: str
) -> None:
    expected = put(s3)
    s3.meta.events.register_first(
        "before-call.s3.CopyObject", lambda **_: answer_with(code, 403, message)
    )
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.REJECTED
    assert result.attempts == 1 and result.error_code == code
    assert message in (result.error or "") and "CopyObject" in (result.error or "")
    assert keys(s3) == [KEY]


def test_keys_under_the_partition_root_are_skipped_without_a_request(s3: Any) -> None:
    calls = record_calls(s3)
    result = move_object(s3, bucket=BUCKET, key=TARGET, layout=LAYOUT)
    assert result.outcome is MoveOutcome.SKIPPED and result.ok
    assert "loop guard" in (result.error or "")
    assert calls == []


def test_keys_under_the_compacted_root_are_skipped_without_a_request(s3: Any) -> None:
    calls = record_calls(s3)
    key = "CompactedLogs/2024-03-01-10-11-12-0123456789ABCDEF"  # a log-like name
    result = move_object(s3, bucket=BUCKET, key=key, layout=LAYOUT)
    assert result.outcome is MoveOutcome.SKIPPED and result.ok
    assert "compacted root" in (result.error or "")
    assert calls == []


@pytest.mark.parametrize("key", ["notes.txt", "app/2024-13-01-00-00-00-ABC", "app/"])
def test_keys_in_no_log_format_are_rejected_without_a_request(s3: Any, key: str) -> None:
    calls = record_calls(s3)
    result = move_object(s3, bucket=BUCKET, key=key, layout=LAYOUT)
    assert result.outcome is MoveOutcome.REJECTED
    assert result.error_code == "KeyFormatError" and key in (result.error or "")
    assert calls == []


@pytest.mark.parametrize(
    "pattern", ["logs dir/{bucket}/", "logs+plus/{bucket}/", "日志/{bucket}/", "a%20b/{bucket}/"]
)
def test_keys_with_spaces_plus_signs_and_unicode(s3: Any, pattern: str) -> None:
    layout = Layout(source_pattern=pattern)
    key = layout.source_prefix("app") + "2024-03-01-10-11-12-ABCDEF"
    expected = put(s3, key=key)
    result = move_object(s3, bucket=BUCKET, key=key, layout=layout, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.MOVED
    assert keys(s3) == ["PartitionedLogs/Year=2024/Month=03/Day=01/app/2024-03-01-10-11-12-ABCDEF"]


def test_large_objects_use_a_multipart_copy_and_keep_their_headers(s3: Any) -> None:
    data = hashlib.sha256(b"seed").digest() * (11 * 1024 * 1024 // 32)  # 11 MiB
    expected = put(s3, body=data, ContentType="text/plain", Metadata={"origin": "big"})
    calls = record_calls(s3)
    result = move_object(
        s3,
        bucket=BUCKET,
        key=KEY,
        layout=LAYOUT,
        retry=FAST,
        multipart_threshold=6 * 1024 * 1024,
        part_size=5 * 1024 * 1024,
        **expected,
    )
    assert result.outcome is MoveOutcome.MOVED
    assert calls.count("UploadPartCopy") == 3 and "CopyObject" not in calls
    head = s3.head_object(Bucket=BUCKET, Key=TARGET)
    assert head["ETag"].strip('"').endswith("-3")  # a multipart ETag, compared by size
    assert (head["ContentType"], head["Metadata"]) == ("text/plain", {"origin": "big"})
    assert keys(s3) == [TARGET] and body(s3, TARGET) == data


def test_a_failed_multipart_copy_is_aborted_and_the_source_kept(s3: Any) -> None:
    data = b"x" * (11 * 1024 * 1024)
    expected = put(s3, body=data)
    calls = record_calls(s3)
    s3.meta.events.register_first(
        "before-call.s3.CompleteMultipartUpload",
        lambda **_: answer_with("AccessDenied", 403, "no"),
    )
    result = move_object(
        s3,
        bucket=BUCKET,
        key=KEY,
        layout=LAYOUT,
        retry=FAST,
        multipart_threshold=6 * 1024 * 1024,
        part_size=5 * 1024 * 1024,
        **expected,
    )
    assert result.outcome is MoveOutcome.REJECTED
    assert "AbortMultipartUpload" in calls
    assert keys(s3) == [KEY]
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_a_multipart_source_etag_is_not_compared_with_a_single_part_copy(s3: Any) -> None:
    part = b"p" * (5 * 1024 * 1024)
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=KEY)
    etags = [
        s3.upload_part(
            Bucket=BUCKET, Key=KEY, UploadId=upload["UploadId"], PartNumber=n, Body=part
        )["ETag"]
        for n in (1, 2)
    ]
    done = s3.complete_multipart_upload(
        Bucket=BUCKET,
        Key=KEY,
        UploadId=upload["UploadId"],
        MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": e} for n, e in zip((1, 2), etags, strict=True)]
        },
    )
    assert done["ETag"].strip('"').endswith("-2")
    result = move_object(
        s3,
        bucket=BUCKET,
        key=KEY,
        layout=LAYOUT,
        retry=FAST,
        expected_etag=done["ETag"],
        expected_size=2 * len(part),
    )
    assert result.outcome is MoveOutcome.MOVED
    assert body(s3, TARGET) == part * 2


def test_timeouts_and_dropped_connections_are_retried(s3: Any) -> None:
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    expected = put(s3)
    failures = [ReadTimeoutError(endpoint_url="u"), ConnectionClosedError(endpoint_url="u")]

    def flaky(**_: Any) -> None:
        if failures:
            raise failures.pop(0)

    s3.meta.events.register_first("before-call.s3.CopyObject", flaky)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.MOVED and result.attempts == 3
    assert keys(s3) == [TARGET]


def test_relocate_moves_a_partitioned_key_to_its_right_day(s3: Any) -> None:
    misplaced = TARGET.replace("Day=01", "Day=07")
    expected = put(s3, misplaced)
    skipped = move_object(s3, bucket=BUCKET, key=misplaced, layout=LAYOUT, **expected)
    assert skipped.outcome is MoveOutcome.SKIPPED  # the loop guard, without relocate_to
    result = move_object(
        s3, bucket=BUCKET, key=misplaced, layout=LAYOUT, relocate_to=TARGET, **expected
    )
    assert result.outcome is MoveOutcome.MOVED
    assert result.target_key == TARGET
    assert keys(s3) == [TARGET]
    assert body(s3, TARGET) == BODY


def test_relocate_only_to_a_valid_target_key(s3: Any) -> None:
    misplaced = TARGET.replace("Day=01", "Day=07")
    expected = put(s3, misplaced)
    result = move_object(
        s3, bucket=BUCKET, key=misplaced, layout=LAYOUT, relocate_to="elsewhere/x", **expected
    )
    assert result.outcome is MoveOutcome.REJECTED
    assert result.error_code == "KeyFormatError"
    assert keys(s3) == [misplaced]


# -- the target is never overwritten --------------------------------------------------------

OTHER = b"a different log object whose file name maps to the same target\n"


def sent_headers(s3: Any) -> list[tuple[str, dict[str, str]]]:
    """(operation, HTTP headers) of every request sent."""
    sent: list[tuple[str, dict[str, str]]] = []

    def record(request: Any, event_name: str, **_: Any) -> None:
        headers = {
            k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
        }
        sent.append((event_name.rsplit(".", 1)[-1], headers))

    s3.meta.events.register_first("before-send.s3", record)
    return sent


def test_the_copy_is_conditional_on_both_ends_and_the_delete_on_the_source(s3: Any) -> None:
    expected = put(s3)
    sent = sent_headers(s3)
    move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    (copy_op, copy), (delete_op, delete) = sent
    etag = f'"{expected["expected_etag"]}"'
    assert (copy_op, delete_op) == ("CopyObject", "DeleteObject")
    assert copy["if-none-match"] == "*"
    assert copy["x-amz-copy-source-if-match"] == etag
    assert delete["if-match"] == etag


def test_a_different_object_at_the_target_is_never_overwritten(s3: Any) -> None:
    other = s3.put_object(Bucket=BUCKET, Key=TARGET, Body=OTHER)["ETag"].strip('"')
    expected = put(s3)
    FaultInjector().install(s3)  # enforces IfNoneMatch, which moto ignores on CopyObject
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.REJECTED and not result.ok
    assert result.error_code == "TargetExists" and result.attempts == 1
    for named in (KEY, TARGET, expected["expected_etag"], other):
        assert named in (result.error or "")
    assert body(s3, TARGET) == OTHER and body(s3, KEY) == BODY  # both kept


def test_a_different_object_of_the_same_size_is_told_apart_by_its_etag(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=TARGET, Body=BODY.upper())
    expected = put(s3)
    FaultInjector().install(s3)
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.REJECTED and result.error_code == "TargetExists"
    assert body(s3, TARGET) == BODY.upper() and body(s3, KEY) == BODY


def test_a_conditional_write_conflict_is_retried(s3: Any) -> None:
    expected = put(s3)
    conflicts = [answer_with("ConditionalRequestConflict", 409, "A conflicting write")]
    s3.meta.events.register_first(
        "before-call.s3.CopyObject", lambda **_: conflicts.pop() if conflicts else None
    )
    result = move_object(s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST, **expected)
    assert result.outcome is MoveOutcome.MOVED and result.attempts == 2
    assert keys(s3) == [TARGET]


def multipart_put(s3: Any, key: str, data: bytes) -> str:
    """Upload ``data`` in two parts (the first of 5 MiB); the multipart-style ETag."""
    half = 5 * 1024 * 1024
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key=key)
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(
                Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], PartNumber=n, Body=chunk
            )["ETag"],
        }
        for n, chunk in ((1, data[:half]), (2, data[half:]))
    ]
    done = s3.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    etag: str = done["ETag"].strip('"')
    assert etag.endswith("-2")
    return etag


@pytest.mark.parametrize("same_bytes", [True, False])
def test_where_etags_cannot_be_compared_the_bytes_decide(s3: Any, same_bytes: bool) -> None:
    data = b"m" * (5 * 1024 * 1024) + b"tail\n"
    etag = multipart_put(s3, KEY, data)
    at_target = data if same_bytes else data[:-5] + b"TAIL\n"  # same size either way
    s3.put_object(Bucket=BUCKET, Key=TARGET, Body=at_target)  # a single-part ETag
    FaultInjector().install(s3)
    result = move_object(
        s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST,
        expected_etag=etag, expected_size=len(data),
    )  # fmt: skip
    if same_bytes:  # e.g. an earlier attempt's copy, then a crash
        assert result.outcome is MoveOutcome.ALREADY_MOVED
        assert keys(s3) == [TARGET] and body(s3, TARGET) == data
    else:
        assert result.outcome is MoveOutcome.REJECTED and result.error_code == "TargetExists"
        assert body(s3, KEY) == data and body(s3, TARGET) == at_target


def test_a_multipart_style_source_etag_is_verified_by_a_head_of_the_target(s3: Any) -> None:
    data = b"q" * (5 * 1024 * 1024) + b"end\n"
    etag = multipart_put(s3, KEY, data)
    calls = record_calls(s3)
    result = move_object(
        s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST,
        expected_etag=etag, expected_size=len(data),
    )  # fmt: skip
    assert result.outcome is MoveOutcome.MOVED
    assert calls == ["CopyObject", "HeadObject", "DeleteObject"]


def test_a_large_object_is_not_copied_onto_a_different_one(s3: Any) -> None:
    data = b"L" * (7 * 1024 * 1024)
    expected = put(s3, body=data)
    s3.put_object(Bucket=BUCKET, Key=TARGET, Body=OTHER)
    calls = record_calls(s3)
    result = move_object(
        s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST,
        multipart_threshold=6 * 1024 * 1024, part_size=5 * 1024 * 1024, **expected,
    )  # fmt: skip
    assert result.outcome is MoveOutcome.REJECTED and result.error_code == "TargetExists"
    assert "UploadPartCopy" not in calls  # found before any part was copied
    assert body(s3, TARGET) == OTHER and body(s3, KEY) == data


def test_a_target_written_during_a_multipart_copy_is_not_replaced(s3: Any) -> None:
    data = b"R" * (11 * 1024 * 1024)
    expected = put(s3, body=data)
    FaultInjector().install(s3)
    calls = record_calls(s3)
    written: list[bool] = []

    def write_the_target_first(**_: Any) -> None:
        if not written:
            written.append(True)
            plain().put_object(Bucket=BUCKET, Key=TARGET, Body=OTHER)

    s3.meta.events.register_first("before-call.s3.CompleteMultipartUpload", write_the_target_first)
    result = move_object(
        s3, bucket=BUCKET, key=KEY, layout=LAYOUT, retry=FAST,
        multipart_threshold=6 * 1024 * 1024, part_size=5 * 1024 * 1024, **expected,
    )  # fmt: skip
    assert result.outcome is MoveOutcome.REJECTED and result.error_code == "TargetExists"
    assert "AbortMultipartUpload" in calls
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert body(s3, TARGET) == OTHER and body(s3, KEY) == data


def test_relocate_never_overwrites_a_different_object(s3: Any) -> None:
    misplaced = TARGET.replace("Day=01", "Day=07")
    expected = put(s3, misplaced)
    s3.put_object(Bucket=BUCKET, Key=TARGET, Body=OTHER)
    FaultInjector().install(s3)
    result = move_object(
        s3, bucket=BUCKET, key=misplaced, layout=LAYOUT, relocate_to=TARGET, retry=FAST,
        **expected,
    )  # fmt: skip
    assert result.outcome is MoveOutcome.REJECTED and result.error_code == "TargetExists"
    assert body(s3, TARGET) == OTHER and body(s3, misplaced) == BODY
