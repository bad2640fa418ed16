"""Compaction's S3 boundary: the handful of calls it makes, failures as this package's errors.

Standard library and botocore only (the compactor's Lambda path). Clients are expected to
retry transient failures themselves (botocore's ``standard`` retry mode, see
:func:`make_client_config`); what still fails here is an :class:`~s3logs_athena.errors.AwsError`
naming the operation and the key, and fails the raw partition being compacted, never
another one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import AwsError, InputError

__all__ = [
    "RawObject",
    "delete_object",
    "get_bytes",
    "get_json",
    "list_folders",
    "list_objects",
    "make_client_config",
    "put_bytes",
    "put_json",
    "upload_file",
]

_MISSING = {"NoSuchKey", "404", "NotFound"}


@dataclass(frozen=True, slots=True)
class RawObject:
    """One object as a listing shows it (ETag without quotes)."""

    key: str
    etag: str
    size: int


def make_client_config(concurrency: int) -> Any:
    """A botocore ``Config`` for ``concurrency`` threads sharing one client: a pooled
    connection each, standard retries (throttling and 5xx are retried with backoff)."""
    from botocore.config import Config

    return Config(
        max_pool_connections=concurrency + 8,
        retries={"mode": "standard", "max_attempts": 6},
        connect_timeout=10,
        read_timeout=120,
    )


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", "Unknown"))
    return type(exc).__name__


@contextmanager
def _aws(operation: str, bucket: str, key: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise InputError(
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY (and AWS_ENDPOINT_URL for a local endpoint)"
        ) from None
    except ClientError as exc:
        code = _code(exc)
        if code == "NoSuchBucket":
            raise InputError(
                f"bucket {bucket!r} does not exist or is not visible with these credentials"
            ) from None
        message = str(exc.response.get("Error", {}).get("Message", exc))
        raise AwsError(f"{operation} s3://{bucket}/{key}", code, message) from None
    except BotoCoreError as exc:
        raise AwsError(f"{operation} s3://{bucket}/{key}", type(exc).__name__, str(exc)) from None


def list_objects(s3: Any, bucket: str, prefix: str) -> Iterator[RawObject]:
    """Every object under ``prefix``, in key order, a page at a time."""
    token: str | None = None
    while True:
        arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": 1000}
        if token:
            arguments["ContinuationToken"] = token
        with _aws("ListObjectsV2", bucket, prefix):
            page = s3.list_objects_v2(**arguments)
        for item in page.get("Contents", ()):
            yield RawObject(item["Key"], str(item.get("ETag", "")).strip('"'), int(item["Size"]))
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return


def list_folders(s3: Any, bucket: str, prefix: str) -> list[str]:
    """The sub-folders (common prefixes) of ``prefix``."""
    folders: list[str] = []
    token: str | None = None
    while True:
        arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "Delimiter": "/"}
        if token:
            arguments["ContinuationToken"] = token
        with _aws("ListObjectsV2", bucket, prefix):
            page = s3.list_objects_v2(**arguments)
        folders.extend(item["Prefix"] for item in page.get("CommonPrefixes", ()))
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return folders


def get_bytes(s3: Any, bucket: str, key: str) -> tuple[bytes, str] | None:
    """The object's bytes and ETag, or ``None`` if there is no such key."""
    from botocore.exceptions import ClientError

    try:
        with _aws("GetObject", bucket, key):
            try:
                response = s3.get_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    return None
                raise
            body = response["Body"]
            try:
                data = body.read()
            finally:
                body.close()
    except AwsError as exc:
        if exc.code in _MISSING:
            return None
        raise
    return data, str(response.get("ETag", "")).strip('"')


def get_json(s3: Any, bucket: str, key: str) -> Any:
    """A JSON object's content, ``None`` if there is none; an :class:`AwsError` with code
    ``InvalidJSON`` if it does not parse."""
    got = get_bytes(s3, bucket, key)
    if got is None:
        return None
    try:
        return json.loads(got[0])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AwsError(f"GetObject s3://{bucket}/{key}", "InvalidJSON", str(exc)) from None


def put_bytes(s3: Any, bucket: str, key: str, data: bytes, content_type: str) -> str:
    """Write one object; its ETag."""
    with _aws("PutObject", bucket, key):
        response = s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
    return str(response.get("ETag", "")).strip('"')


def put_json(s3: Any, bucket: str, key: str, document: Any) -> str:
    data = (json.dumps(document, indent=1, sort_keys=False) + "\n").encode("utf-8")
    return put_bytes(s3, bucket, key, data, "application/json")


def upload_file(s3: Any, bucket: str, key: str, path: Path, content_type: str) -> None:
    """Upload a local file (multipart above 64 MiB, so any size works)."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=64 * 2**20, multipart_chunksize=64 * 2**20)
    with _aws("PutObject", bucket, key):
        s3.upload_file(
            str(path), bucket, key, ExtraArgs={"ContentType": content_type}, Config=config
        )


def delete_object(s3: Any, bucket: str, key: str) -> None:
    with _aws("DeleteObject", bucket, key):
        s3.delete_object(Bucket=bucket, Key=key)
