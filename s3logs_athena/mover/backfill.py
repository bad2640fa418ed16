"""Find log objects the mover missed (stragglers) and move them the same way.

Stragglers are objects still under a source key format, older than a threshold (younger
ones are most likely on their way through the queue). Listing skips the partition root
without reading it: at each level ``ListObjectsV2`` with a ``/`` delimiter, descending only
into prefixes that lead to the root and listing every other prefix flat. Each straggler is
moved by :func:`~s3logs_athena.mover.move.move_object` pinned to the ETag and size the
listing showed, so backfill is idempotent and safe to interrupt and rerun: a moved object
is no longer listed, a half-moved one is finished.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import InputError, KeyFormatError
from ..layout import Layout
from .move import MoveOutcome, MoveResult, move_object
from .retry import RetryPolicy, aws_error

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "BackfillSummary",
    "ListingStats",
    "Straggler",
    "find_stragglers",
    "move_stragglers",
    "parse_duration",
]

_DURATION = re.compile(r"(?P<n>\d+)(?P<unit>[smhd]?)")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``1d`` (a bare number is seconds)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InputError(f"invalid duration {text!r}: use e.g. 30s, 15m, 2h or 1d")
    return timedelta(seconds=int(match["n"]) * _UNIT[match["unit"]])


@dataclass(frozen=True, slots=True)
class Straggler:
    key: str
    target_key: str
    etag: str
    size: int
    last_modified: datetime


@dataclass
class ListingStats:
    listed: int = 0
    stragglers: int = 0
    too_recent: int = 0
    not_log_keys: int = 0
    #: A few keys that are in no log format, to show (they are never touched).
    not_log_examples: list[str] = field(default_factory=list)


def _pages(s3: S3Client, bucket: str, prefix: str, delimiter: bool) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if delimiter:
        kwargs["Delimiter"] = "/"
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(**kwargs):
            yield dict(page)
    except Exception as exc:
        raise aws_error("ListObjectsV2", exc, f"s3://{bucket}/{prefix}") from exc


def _walk(
    s3: S3Client, bucket: str, prefix: str, root: str, *skipped: str
) -> Iterator[dict[str, Any]]:
    """Every object under ``prefix`` except those under ``root`` (or another of the
    ``skipped`` roots: the compacted table's)."""
    roots = (root, *skipped)
    for page in _pages(s3, bucket, prefix, delimiter=True):
        yield from page.get("Contents", [])
        for common in page.get("CommonPrefixes", []):
            sub = common["Prefix"]
            if sub.startswith(roots):
                continue
            if any(r.startswith(sub) for r in roots):
                yield from _walk(s3, bucket, sub, root, *skipped)
            else:
                for flat in _pages(s3, bucket, sub, delimiter=False):
                    yield from flat.get("Contents", [])


def find_stragglers(
    s3: S3Client,
    *,
    bucket: str,
    layout: Layout,
    prefix: str = "",
    older_than: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    stats: ListingStats | None = None,
    on_listed: Callable[[int], None] | None = None,
) -> Iterator[Straggler]:
    """Objects under ``prefix`` in a source key format, last modified before
    ``now - older_than``. ``stats`` (if given) counts what was listed and skipped."""
    stats = stats if stats is not None else ListingStats()
    if layout.is_partitioned(prefix):
        return
    cutoff = (now or datetime.now(UTC)) - older_than
    if layout.is_compacted(prefix):
        return
    for item in _walk(s3, bucket, prefix, layout.partition_root, layout.compacted_root):
        stats.listed += 1
        if on_listed is not None:
            on_listed(stats.listed)
        key = item["Key"]
        try:
            target = layout.target_key(key)
        except KeyFormatError:
            stats.not_log_keys += 1
            if len(stats.not_log_examples) < 5:
                stats.not_log_examples.append(key)
            continue
        if item["LastModified"] > cutoff:
            stats.too_recent += 1
            continue
        stats.stragglers += 1
        yield Straggler(
            key=key,
            target_key=target,
            etag=str(item["ETag"]).strip('"'),
            size=int(item["Size"]),
            last_modified=item["LastModified"],
        )


@dataclass
class BackfillSummary:
    outcomes: Counter[MoveOutcome] = field(default_factory=Counter)
    failures: list[MoveResult] = field(default_factory=list)
    retried: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def move_stragglers(
    s3: S3Client,
    stragglers: Iterable[Straggler],
    *,
    bucket: str,
    layout: Layout,
    target_bucket: str | None = None,
    concurrency: int = 16,
    retry: RetryPolicy | None = None,
    on_result: Callable[[MoveResult], None] | None = None,
) -> BackfillSummary:
    """Move each straggler (concurrently, one shared client) and tally the outcomes."""
    if concurrency < 1:
        raise InputError(f"--concurrency must be at least 1, got {concurrency}")
    summary = BackfillSummary()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="backfill") as pool:
        futures = [
            pool.submit(
                move_object,
                s3,
                bucket=bucket,
                key=s.key,
                layout=layout,
                target_bucket=target_bucket,
                expected_etag=s.etag,
                expected_size=s.size,
                retry=retry,
            )
            for s in stragglers
        ]
        for future in as_completed(futures):
            result = future.result()
            summary.outcomes[result.outcome] += 1
            summary.retried += result.retried
            if not result.ok:
                summary.failures.append(result)
            if on_result is not None:
                on_result(result)
    return summary
