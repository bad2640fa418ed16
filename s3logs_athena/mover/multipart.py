"""The copy of an object too big for one CopyObject (over 5 GiB): a multipart upload whose
parts are copied from the source.

Every part is pinned to the source's ETag (``CopySourceIfMatch``), so the parts all come
from the one object the event describes, and the upload is completed with
``IfNoneMatch='*'``, so it creates the target and never replaces an object already there:
S3 answers 412 instead, and the move decides what that object is. A failed copy aborts the
upload (best effort; the bucket's lifecycle rule for incomplete uploads removes what is
left).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["KEPT_HEADERS", "MAX_PARTS", "MULTIPART_THRESHOLD", "PART_SIZE", "multipart_copy"]

#: CopyObject copies at most 5 GiB; bigger objects need a multipart copy.
MULTIPART_THRESHOLD = 5 * 1024**3
#: Part size of a multipart copy (raised when needed to stay within MAX_PARTS).
PART_SIZE = 512 * 1024**2
MAX_PARTS = 10_000
#: Headers a multipart copy must carry over by hand (CopyObject copies them itself).
KEPT_HEADERS = (
    "ContentType",
    "ContentEncoding",
    "ContentDisposition",
    "ContentLanguage",
    "CacheControl",
    "Metadata",
)


def multipart_copy(
    call: Callable[..., Any],
    s3: S3Client,
    *,
    source_head: dict[str, Any],
    bucket: str,
    key: str,
    etag: str,
    target_bucket: str,
    target_key: str,
    part_size: int = PART_SIZE,
) -> str:
    """Copy ``bucket/key`` (whose HeadObject is ``source_head`` and ETag ``etag``) to
    ``target_bucket/target_key`` in parts; the completed upload's ETag. Every request goes
    through ``call(operation, **kwargs)``, which sorts failures for the caller."""
    size = int(source_head["ContentLength"])
    part_size = max(part_size, math.ceil(size / MAX_PARTS))
    create: dict[str, Any] = {"Bucket": target_bucket, "Key": target_key}
    create.update({name: source_head[name] for name in KEPT_HEADERS if source_head.get(name)})
    upload = call(s3.create_multipart_upload, **create)
    upload_id = upload["UploadId"]
    try:
        parts = []
        for number, start in enumerate(range(0, size, part_size), start=1):
            end = min(start + part_size, size) - 1
            part = call(
                s3.upload_part_copy,
                Bucket=target_bucket,
                Key=target_key,
                UploadId=upload_id,
                PartNumber=number,
                CopySource={"Bucket": bucket, "Key": key},
                CopySourceIfMatch=f'"{etag}"',
                CopySourceRange=f"bytes={start}-{end}",
            )
            parts.append({"PartNumber": number, "ETag": part["CopyPartResult"]["ETag"]})
        done = call(
            s3.complete_multipart_upload,
            Bucket=target_bucket,
            Key=target_key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            IfNoneMatch="*",
        )
    except BaseException:
        with contextlib.suppress(Exception):
            s3.abort_multipart_upload(Bucket=target_bucket, Key=target_key, UploadId=upload_id)
        raise
    return str(done.get("ETag") or "").strip('"')
