"""Prove that the mover lost nothing: every generated object is in the bucket exactly once,
where it belongs, with the bytes it was generated with.

The bucket is listed and every object read with a plain client (no fault injection) and
hashed (SHA-256). Each generated object is found by its file name (S3's unique string makes
it unique in the bucket): an object the mover was told about must be at its target key and
nowhere else; an object whose event was lost (a straggler) must still be at its source key
and nowhere else. Anything else in the bucket is reported too.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..generator import LogObject
from ..layout import Layout

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["BucketProof", "prove_nothing_lost"]


@dataclass
class BucketProof:
    """What the bucket holds, compared with what was generated."""

    #: Objects expected at their target (every generated object but the stragglers).
    expected_at_target: int = 0
    #: ...found there exactly once, byte-identical.
    at_target: int = 0
    #: Stragglers still exactly once at their source, byte-identical.
    stragglers_at_source: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    #: Found, but not only at the expected key (key -> the keys it was found at).
    misplaced: dict[str, list[str]] = field(default_factory=dict)
    #: At the expected key with other bytes.
    changed: list[str] = field(default_factory=list)
    #: Keys in the bucket that belong to no generated object.
    unexpected: list[str] = field(default_factory=list)
    objects_in_bucket: int = 0
    bytes_hashed: int = 0

    @property
    def ok(self) -> bool:
        return self.at_target == self.expected_at_target and not (
            self.missing or self.misplaced or self.changed or self.unexpected
        )


def _file_name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _bucket_digests(s3: S3Client, bucket: str, workers: int = 8) -> dict[str, tuple[str, int]]:
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ]

    def digest(key: str) -> tuple[str, tuple[str, int]]:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return key, (hashlib.sha256(body).hexdigest(), len(body))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(digest, keys))


def prove_nothing_lost(
    s3: S3Client,
    bucket: str,
    objects: Iterable[LogObject],
    *,
    stragglers: Iterable[str],
    layout: Layout,
) -> BucketProof:
    """Compare the bucket with the generated ``objects`` (see the module docstring)."""
    held = _bucket_digests(s3, bucket)
    by_name: dict[str, list[str]] = defaultdict(list)
    for key in held:
        by_name[_file_name(key)].append(key)
    lost_events = set(stragglers)
    proof = BucketProof(objects_in_bucket=len(held))
    proof.bytes_hashed = sum(size for _, size in held.values())
    accounted: set[str] = set()
    for log_object in objects:
        straggler = log_object.key in lost_events
        wanted = log_object.key if straggler else layout.target_key(log_object.key)
        proof.expected_at_target += not straggler
        found = by_name.get(_file_name(log_object.key), [])
        accounted.update(found)
        if not found:
            proof.missing.append(log_object.key)
        elif found != [wanted]:
            proof.misplaced[log_object.key] = sorted(found)
        elif held[wanted][0] != hashlib.sha256(log_object.body).hexdigest():
            proof.changed.append(log_object.key)
        elif straggler:
            proof.stragglers_at_source.append(log_object.key)
        else:
            proof.at_target += 1
    proof.unexpected = sorted(set(held) - accounted)
    return proof
