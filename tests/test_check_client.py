"""The listing client: its fast ListObjectsV2 parser returns exactly what botocore's does."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from s3logs_athena.check import client as client_module
from s3logs_athena.check.client import _list_objects_v2, make_s3_client, parse_timestamp
from tests.check_support import LOG_BUCKET, s3, seed

__all__ = ["s3"]

KEYS = [
    "PartitionedLogs/Year=2024/Month=01/Day=02/app/2024-01-02-10-00-00-AAAA",
    "app/2024-01-02-10-00-00-with space",
    "app/2024-01-02-10-00-00-plus+sign",
    "app/ünïcødé/2024-01-02",
    "app/a&b<c>'\"",
    "app/percent%41-decoded-once",
    "top-level",
]


def same(fast: dict[str, Any], plain: dict[str, Any]) -> None:
    fast.pop("ResponseMetadata")
    plain.pop("ResponseMetadata")
    assert fast == plain


ARGUMENTS: list[dict[str, Any]] = [
    {},
    {"Prefix": "app/"},
    {"Delimiter": "/"},
    {"Prefix": "app/", "Delimiter": "/"},
    {"MaxKeys": 2},
    {"StartAfter": "app/"},
    {"Prefix": "nothing-here/"},
]


def test_fast_pages_equal_botocore_pages(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(s3, [(key, key.encode()) for key in KEYS])
    fast = make_s3_client(region_name="us-east-1")
    plain = boto3.client("s3", region_name="us-east-1")
    fast_pages = []
    original = client_module._list_objects_v2

    def spy(body: bytes) -> dict[str, Any]:
        parsed = original(body)
        fast_pages.append(parsed)
        return parsed

    monkeypatch.setattr(client_module, "_list_objects_v2", spy)
    for arguments in ARGUMENTS:
        first = fast.list_objects_v2(Bucket=LOG_BUCKET, **arguments)
        same(first, plain.list_objects_v2(Bucket=LOG_BUCKET, **arguments))
        if first.get("NextContinuationToken"):
            token = first["NextContinuationToken"]
            same(
                fast.list_objects_v2(Bucket=LOG_BUCKET, ContinuationToken=token, **arguments),
                plain.list_objects_v2(Bucket=LOG_BUCKET, ContinuationToken=token, **arguments),
            )
    assert len(fast_pages) == len(ARGUMENTS) + 1  # every page took the fast path
    # Owner elements are not on the fast path: botocore's parser takes over, same result.
    same(
        fast.list_objects_v2(Bucket=LOG_BUCKET, FetchOwner=True),
        plain.list_objects_v2(Bucket=LOG_BUCKET, FetchOwner=True),
    )
    assert len(fast_pages) == len(ARGUMENTS) + 1


def test_errors_and_other_operations_use_botocore(s3: Any) -> None:
    fast = make_s3_client(region_name="us-east-1")
    with pytest.raises(fast.exceptions.NoSuchBucket):
        fast.list_objects_v2(Bucket="no-such-bucket")
    seed(s3, [("k", b"x")])
    assert fast.head_object(Bucket=LOG_BUCKET, Key="k")["LastModified"].tzinfo is not None


def test_checksums_are_parsed_like_botocore() -> None:
    body = (
        b"<ListBucketResult><Contents><Key>k</Key><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>"
        b"<ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>"
        b"</Contents></ListBucketResult>"
    )
    assert _list_objects_v2(body)["Contents"] == [
        {"Key": "k", "ChecksumAlgorithm": ["CRC32", "SHA256"], "ChecksumType": "FULL_OBJECT"}
    ]


def test_unknown_elements_fall_back() -> None:
    body = b"<ListBucketResult><Name>b</Name><Surprise>1</Surprise></ListBucketResult>"
    with pytest.raises(Exception, match="Surprise"):
        _list_objects_v2(body)


def test_timestamps() -> None:
    assert parse_timestamp("2024-01-02T10:00:00.000Z").isoformat() == "2024-01-02T10:00:00+00:00"
    assert parse_timestamp("Tue, 02 Jan 2024 10:00:00 GMT").isoformat() == (
        "2024-01-02T10:00:00+00:00"
    )
