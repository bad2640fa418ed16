"""The fault-injection double enforces S3's conditional requests, which moto ignores on
CopyObject, as S3 does: a condition that does not hold is a 412 and writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from s3logs_athena.testing.faults import FaultInjector

BUCKET = "central-logs"
SOURCE, TARGET = "source", "target"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def plain() -> Any:
    return boto3.client("s3", region_name="us-east-1")


def read(key: str) -> bytes:
    data: bytes = plain().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return data


def etag(s3: Any, key: str, data: bytes) -> str:
    return str(s3.put_object(Bucket=BUCKET, Key=key, Body=data)["ETag"])


def code_of(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def copy(s3: Any, source: str | dict[str, str] = SOURCE, **conditions: Any) -> Any:
    copy_source = {"Bucket": BUCKET, "Key": source} if isinstance(source, str) else source
    return lambda: s3.copy_object(Bucket=BUCKET, Key=TARGET, CopySource=copy_source, **conditions)


def test_moto_alone_ignores_if_none_match_on_copy_object(s3: Any) -> None:
    """Why the double is needed: without it the copy replaces the target."""
    etag(s3, SOURCE, b"new")
    etag(s3, TARGET, b"old")
    copy(s3, IfNoneMatch="*")()
    assert read(TARGET) == b"new"


def test_if_none_match_on_copy_object(s3: Any) -> None:
    etag(s3, SOURCE, b"new")
    faults = FaultInjector().install(s3)
    copy(s3, IfNoneMatch="*")()  # a free target: created
    assert read(TARGET) == b"new"
    etag(s3, SOURCE, b"newer")
    assert code_of(copy(s3, IfNoneMatch="*")) == "PreconditionFailed"
    assert read(TARGET) == b"new"
    assert faults.injected["CopyObject:PreconditionFailed"] == 1


def test_if_match_on_copy_object(s3: Any) -> None:
    etag(s3, SOURCE, b"new")
    faults = FaultInjector().install(s3)
    assert code_of(copy(s3, IfMatch='"0123"')) == "NoSuchKey"  # no target to match
    old = etag(s3, TARGET, b"old")
    assert code_of(copy(s3, IfMatch='"0123"')) == "PreconditionFailed"
    assert read(TARGET) == b"old"
    copy(s3, IfMatch=old)()
    assert read(TARGET) == b"new"
    assert sum(faults.injected.values()) == 2


def test_copy_source_if_match(s3: Any) -> None:
    first = etag(s3, SOURCE, b"first")
    current = etag(s3, SOURCE, b"second")
    FaultInjector().install(s3)
    assert code_of(copy(s3, CopySourceIfMatch=first)) == "PreconditionFailed"
    assert plain().list_objects_v2(Bucket=BUCKET)["KeyCount"] == 1  # nothing copied
    as_text = lambda **c: s3.copy_object(  # noqa: E731 - CopySource as "bucket/key"
        Bucket=BUCKET, Key=TARGET, CopySource=f"{BUCKET}/{SOURCE}", **c
    )
    assert code_of(lambda: as_text(CopySourceIfMatch=first)) == "PreconditionFailed"
    as_text(CopySourceIfMatch=current)
    assert read(TARGET) == b"second"


def test_conditions_on_put_complete_and_delete(s3: Any) -> None:
    FaultInjector().install(s3)
    old = etag(s3, TARGET, b"old")
    put = lambda **c: s3.put_object(Bucket=BUCKET, Key=TARGET, Body=b"x", **c)  # noqa: E731
    assert code_of(lambda: put(IfNoneMatch="*")) == "PreconditionFailed"
    assert code_of(lambda: put(IfMatch='"0123"')) == "PreconditionFailed"
    delete = lambda **c: s3.delete_object(Bucket=BUCKET, Key=TARGET, **c)  # noqa: E731
    assert code_of(lambda: delete(IfMatch='"0123"')) == "PreconditionFailed"
    assert read(TARGET) == b"old"
    delete(IfMatch=old)
    assert code_of(lambda: delete(IfMatch=old)) == "NoSuchKey"


def test_a_header_sent_by_an_event_hook_counts_like_a_parameter(s3: Any) -> None:
    etag(s3, SOURCE, b"new")
    etag(s3, TARGET, b"old")
    FaultInjector().install(s3)

    def add_header(params: dict[str, Any], **_: Any) -> None:
        params["headers"]["If-None-Match"] = "*"

    s3.meta.events.register("before-call.s3.CopyObject", add_header)
    assert code_of(copy(s3)) == "PreconditionFailed"
    assert read(TARGET) == b"old"


def test_concurrent_conditional_copies_to_one_key_let_exactly_one_through(s3: Any) -> None:
    """The check and the write are one step: of many copies racing to create one target,
    one wins and every other gets a 412."""
    writers = 8
    for n in range(writers):
        etag(s3, f"{SOURCE}-{n}", f"object {n}".encode())
    FaultInjector().install(s3)
    start = threading.Barrier(writers)
    results: dict[int, str] = {}

    def race(n: int) -> None:
        start.wait()
        try:
            copy(s3, source=f"{SOURCE}-{n}", IfNoneMatch="*")()
        except ClientError as exc:
            results[n] = str(exc.response["Error"]["Code"])
        else:
            results[n] = "created"

    threads = [threading.Thread(target=race, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (winner,) = [n for n, outcome in results.items() if outcome == "created"]
    assert sorted(results.values()) == ["PreconditionFailed"] * (writers - 1) + ["created"]
    assert read(TARGET) == f"object {winner}".encode()


def test_not_enforced_when_turned_off(s3: Any) -> None:
    etag(s3, SOURCE, b"new")
    etag(s3, TARGET, b"old")
    FaultInjector(enforce_conditions=False).install(s3)
    copy(s3, IfNoneMatch="*")()
    assert read(TARGET) == b"new"
