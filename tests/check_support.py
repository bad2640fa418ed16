"""Shared helpers for the checker's tests: log bodies built from a fixture line, seeding a
moto bucket from a dataset file, and the moto client fixture.

Bucket note: a bucket literally named ``logs`` is routed to CloudWatch Logs by moto's URL
patterns (``logs.s3.amazonaws.com``), so the central bucket here is ``central-logs``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
LOG_BUCKET = "central-logs"

# A complete record from the AWS docs example (fixtures/logs/formats.log, line 2).
_TEMPLATE = (FIXTURES / "logs" / "formats.log").read_text().splitlines()[1]
_TIME = re.compile(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\]")


def record_line(bucket: str, moment: datetime) -> str:
    """The template record, for ``bucket`` at ``moment`` (UTC)."""
    owner, _, rest = _TEMPLATE.partition(" ")
    _, _, rest = rest.partition(" ")
    rest = _TIME.sub(moment.strftime("[%d/%b/%Y:%H:%M:%S +0000]"), rest, count=1)
    return f"{owner} {bucket} {rest}"


def body(records: list[tuple[str, str]]) -> bytes:
    """Log lines for ``(bucket, ISO time)`` pairs."""
    lines = [
        record_line(bucket, datetime.fromisoformat(moment).replace(tzinfo=UTC))
        for bucket, moment in records
    ]
    return "".join(line + "\n" for line in lines).encode()


def dataset(name: str) -> list[tuple[str, bytes]]:
    """``fixtures/check/<name>.json``: objects as ``{"key", "records" | "text"}``."""
    spec = json.loads((FIXTURES / "check" / f"{name}.json").read_text())
    objects = []
    for item in spec["objects"]:
        if "records" in item:
            data = body([tuple(r) for r in item["records"]])  # type: ignore[misc]
        else:
            data = item["text"].encode()
        objects.append((item["key"], data))
    return objects


def seed(s3: Any, objects: list[tuple[str, bytes]], bucket: str = LOG_BUCKET) -> None:
    for key, data in objects:
        s3.put_object(Bucket=bucket, Key=key, Body=data)


def keys(s3: Any, bucket: str = LOG_BUCKET) -> list[str]:
    paginator = s3.get_paginator("list_objects_v2")
    return [
        o["Key"] for page in paginator.paginate(Bucket=bucket) for o in page.get("Contents", [])
    ]


@pytest.fixture
def s3() -> Iterator[Any]:
    """A moto S3 client with an empty central log bucket."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=LOG_BUCKET)
        yield client
