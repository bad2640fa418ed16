"""Helpers shared by the mover tests: log objects, event bodies, a look at the bucket."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3

from s3logs_athena.testing import template

BUCKET = "central-logs"  # not "logs": moto routes logs.s3.amazonaws.com to CloudWatch Logs
REGION = "us-east-1"


def log_key(n: int, bucket: str = "app-assets", prefix: str = "") -> str:
    """The n-th SimplePrefix log key (valid dates, unique string derived from n)."""
    day = 1 + n % 28
    unique = hashlib.sha1(str(n).encode()).hexdigest()[:16].upper()
    return f"{prefix}{bucket}/2024-03-{day:02d}-10-{n // 60 % 60:02d}-{n % 60:02d}-{unique}"


def target_of(key: str, root: str = "PartitionedLogs/") -> str:
    source_bucket, file_name = key.rsplit("/", 2)[-2:]
    y, m, d = file_name[:4], file_name[5:7], file_name[8:10]
    return f"{root}Year={y}/Month={m}/Day={d}/{source_bucket}/{file_name}"


def log_body(n: int) -> bytes:
    return (
        f"79a59df900b949e5 app-assets [01/Mar/2024:10:11:{n % 60:02d} +0000] 192.0.2.{n % 250} "
        f'- REQ{n:08d} REST.GET.OBJECT obj{n}.txt "GET /obj{n}.txt HTTP/1.1" 200 - {n} {n} 5 4 '
        '"-" "curl/8.0" - hostid SigV4 TLS_AES_128_GCM_SHA256 AuthHeader '
        "app-assets.s3.us-east-1.amazonaws.com TLSv1.3 - -\n"
    ).encode()


def eventbridge_body(bucket: str, key: str, etag: str | None, size: int | None) -> str:
    obj: dict[str, Any] = {"key": key, "sequencer": "0062E99A88DC407460"}
    if etag is not None:
        obj["etag"] = etag.strip('"')
    if size is not None:
        obj["size"] = size
    return json.dumps(
        {
            "version": "0",
            "id": hashlib.md5(key.encode()).hexdigest(),
            "detail-type": "Object Created",
            "source": "aws.s3",
            "account": "123456789012",
            "time": "2024-03-01T10:11:13Z",
            "region": REGION,
            "resources": [f"arn:aws:s3:::{bucket}"],
            "detail": {
                "version": "0",
                "bucket": {"name": bucket},
                "object": obj,
                "request-id": "N4N7GDK58NMKJ12R",
                "requester": "s3.amazonaws.com",
                "reason": "PutObject",
            },
        }
    )


def sqs_record(message_id: str, body: str, receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode("utf-8", "surrogatepass")).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:mover",
        "awsRegion": REGION,
    }


def plain_s3() -> Any:
    """A client without any test hooks, to look at what S3 really holds."""
    return boto3.client("s3", region_name=REGION)


def bucket_contents(bucket: str = BUCKET) -> dict[str, bytes]:
    """Every object of ``bucket``: key -> bytes."""
    s3 = plain_s3()
    out: dict[str, bytes] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            out[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
    return out


def put_log(s3: Any, key: str, body: bytes, bucket: str = BUCKET) -> tuple[str, int]:
    """Put a log object; its ETag and size, as an event would carry them."""
    response = s3.put_object(Bucket=bucket, Key=key, Body=body)
    return response["ETag"].strip('"'), len(body)


def build_pipeline(
    bucket: str = BUCKET, partition_root: str = "PartitionedLogs/"
) -> dict[str, str]:
    return template.build_pipeline(bucket, partition_root)


def rule_pattern(bucket: str = BUCKET, partition_root: str = "PartitionedLogs/") -> dict[str, Any]:
    return template.rule_pattern(bucket, partition_root)


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    """Every message of a queue (received and deleted)."""
    sqs = boto3.client("sqs", region_name=REGION)
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            return messages
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        messages.extend(batch)
