"""Download a date range of partitions from the log bucket, then ingest them.

Objects are listed per day (and per bucket when buckets are given) under the partition root,
downloaded concurrently into ``<cache>/raw/<log bucket>/<key>`` (a mirror of the bucket), and
recorded in the manifest with their ETag and size as each one lands. A rerun - after an
interruption or the next day - downloads only objects that are new or whose ETag or size
changed, and ingests only those. Works against any S3 endpoint the client points at
(``AWS_ENDPOINT_URL`` for a local moto server).

When the bucket has a compacted table, the days it holds completely and currently come from
it instead, one GET per compacted object (:mod:`.compacted`); the cache ends up the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import AwsError, InputError, KeyFormatError
from ..layout import Layout, validate_bucket_name
from .local import IngestReport, ingest_files
from .splitter import SourceFile
from .store import CacheStore

__all__ = ["RemoteObject", "SyncProgress", "SyncReport", "list_partition_objects", "sync"]

_MAX_DAYS = 3660


@dataclass(frozen=True)
class RemoteObject:
    key: str
    etag: str
    size: int


@dataclass(frozen=True)
class SyncProgress:
    """A progress event: ``phase`` is ``list``, ``download`` or ``ingest``."""

    phase: str
    done: int
    total: int
    bytes: int = 0


@dataclass
class SyncReport:
    days: int = 0
    objects_listed: int = 0
    objects_downloaded: int = 0
    objects_unchanged: int = 0
    bytes_downloaded: int = 0
    skipped_keys: list[str] = field(default_factory=list)
    ingest: IngestReport = field(default_factory=IngestReport)
    #: Request days (per bucket) taken from the compacted table, the compacted objects
    #: downloaded for them, their bytes, and the raw partitions that were not needed.
    compacted_partitions: int = 0
    compacted_objects_downloaded: int = 0
    compacted_bytes_downloaded: int = 0
    raw_partitions_skipped: int = 0


def _aws_error(operation: str, exc: ClientError | BotoCoreError) -> AwsError:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return AwsError(
            operation, str(error.get("Code", "Unknown")), str(error.get("Message", exc))
        )
    return AwsError(operation, type(exc).__name__, str(exc))


def list_partition_objects(
    s3_client: Any, log_bucket: str, prefixes: Sequence[str]
) -> list[RemoteObject]:
    """Every object under the given key prefixes."""
    found: list[RemoteObject] = []
    paginator = s3_client.get_paginator("list_objects_v2")
    for prefix in prefixes:
        try:
            for page in paginator.paginate(Bucket=log_bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    etag = str(item.get("ETag", "")).strip('"')
                    found.append(RemoteObject(item["Key"], etag, int(item["Size"])))
        except (ClientError, BotoCoreError) as exc:
            raise _aws_error(f"ListObjectsV2 s3://{log_bucket}/{prefix}", exc) from None
    return found


def _download(s3_client: Any, log_bucket: str, obj: RemoteObject, target: Path) -> RemoteObject:
    """Fetch one object to ``target`` (atomically: a partial download never looks done)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        response = s3_client.get_object(Bucket=log_bucket, Key=obj.key)
        with partial.open("wb") as out:
            for chunk in response["Body"].iter_chunks(1 << 20):
                out.write(chunk)
    except (ClientError, BotoCoreError) as exc:
        partial.unlink(missing_ok=True)
        raise _aws_error(f"GetObject s3://{log_bucket}/{obj.key}", exc) from None
    partial.replace(target)
    etag = str(response.get("ETag", obj.etag)).strip('"')
    return RemoteObject(obj.key, etag, target.stat().st_size)


def sync(
    s3_client: Any,
    log_bucket: str,
    start: date,
    end: date,
    buckets: Sequence[str] | None,
    cache_dir: Path | str,
    *,
    layout: Layout | None = None,
    workers: int = 16,
    progress: Callable[[SyncProgress], None] | None = None,
    rebuild: bool = False,
    compacted: bool = True,
) -> SyncReport:
    """Download the partitions of days ``start`` to ``end`` (inclusive, delivery days) from
    ``log_bucket`` - only the given source ``buckets`` if any - and ingest them.

    Remember that a day's records can arrive in the next day's partition: to query days
    D1..D2, sync D1 - 1 to D2 + 1 (the CLI's ``--margin-days`` does this).
    ``rebuild`` empties a cache written by another version first (its downloads are kept
    and ingested again); else such a cache is refused. ``compacted``: take the days the
    compacted table holds completely from it (when the bucket has one).
    """
    layout = layout or Layout()
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    days = (end - start).days + 1
    if days > _MAX_DAYS:
        raise InputError(f"{days} days is more than {_MAX_DAYS}: narrow --from/--to")
    for bucket in buckets or ():
        validate_bucket_name(bucket)
    report = SyncReport(days=days)
    wanted: list[str | None] = list(buckets) if buckets else [None]
    prefixes = [
        layout.partition_prefix(start + timedelta(days=offset), bucket)
        for offset in range(days)
        for bucket in wanted
    ]
    if progress:
        progress(SyncProgress("list", 0, len(prefixes)))
    listed = list_partition_objects(s3_client, log_bucket, prefixes)
    report.objects_listed = len(listed)
    plan = None
    if compacted and _has_compacted(s3_client, log_bucket, layout):
        from .compacted import plan_compacted

        plan = plan_compacted(s3_client, log_bucket, layout, start, end, listed, workers=workers)
        report.raw_partitions_skipped = len(plan.skipped_raw)
        listed = [o for o in listed if not _in_partitions(o.key, layout, plan.skipped_raw)]
    with CacheStore(cache_dir, rebuild=rebuild) as store:
        if plan is not None and plan.partitions:
            from .compacted import sync_compacted

            def fetched(done: int, total: int, size: int) -> None:
                if progress:
                    progress(SyncProgress("compacted", done, total, size))

            _, objects, size = sync_compacted(
                s3_client, log_bucket, plan, store, workers=workers, progress=fetched
            )
            report.compacted_partitions = len(plan.partitions)
            report.compacted_objects_downloaded, report.compacted_bytes_downloaded = objects, size
        raw = store.raw_dir(log_bucket)
        sources = _download_all(
            s3_client, log_bucket, listed, store, raw, layout, report, workers, progress
        )

        def ingest_progress(done: int, total: int, size: int) -> None:
            if progress:
                progress(SyncProgress("ingest", done, total, size))

        report.ingest = ingest_files(store, sources, progress=ingest_progress)
    return report


def _has_compacted(s3_client: Any, log_bucket: str, layout: Layout) -> bool:
    from ..table.compaction.keys import CompactedKeys

    prefix = CompactedKeys(layout.compacted_root).manifests_root
    try:
        page = s3_client.list_objects_v2(Bucket=log_bucket, Prefix=prefix, MaxKeys=1)
    except (ClientError, BotoCoreError) as exc:
        raise _aws_error(f"ListObjectsV2 s3://{log_bucket}/{prefix}", exc) from None
    return bool(page.get("Contents"))


def _in_partitions(key: str, layout: Layout, partitions: set[tuple[date, str]]) -> bool:
    try:
        target = layout.parse_target_key(key)
    except KeyFormatError:
        return False
    return (target.day, target.bucket) in partitions


def _download_all(
    s3_client: Any,
    log_bucket: str,
    listed: list[RemoteObject],
    store: CacheStore,
    raw: Path,
    layout: Layout,
    report: SyncReport,
    workers: int,
    progress: Callable[[SyncProgress], None] | None,
) -> list[SourceFile]:
    """Download what is new or changed; return every listed log object as a source file."""
    have = store.downloads(log_bucket)
    sources: list[SourceFile] = []
    todo: list[tuple[RemoteObject, Path]] = []
    for obj in listed:
        try:
            target_key = layout.parse_target_key(obj.key)
        except KeyFormatError:
            report.skipped_keys.append(obj.key)
            continue
        local = raw / obj.key
        sources.append(
            SourceFile(
                path=local,
                name=target_key.file_name,
                year=target_key.day.year,
                month=target_key.day.month,
                day=target_key.day.day,
                bucket=target_key.bucket,
                fingerprint=f"etag={obj.etag};size={obj.size}",
            )
        )
        previous = have.get(obj.key)
        if (
            previous == (obj.etag, obj.size)
            and local.is_file()
            and local.stat().st_size == obj.size
        ):
            report.objects_unchanged += 1
        else:
            todo.append((obj, local))
    total = len(todo)
    if progress:
        progress(SyncProgress("download", 0, total))
    failures: list[AwsError] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending: set[Future[RemoteObject]] = {
            pool.submit(_download, s3_client, log_bucket, obj, local) for obj, local in todo
        }
        try:
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    try:
                        got = future.result()
                    except AwsError as exc:
                        failures.append(exc)
                        continue
                    store.record_download(log_bucket, got.key, got.etag, got.size)
                    report.objects_downloaded += 1
                    report.bytes_downloaded += got.size
                if progress:
                    progress(
                        SyncProgress(
                            "download", report.objects_downloaded, total, report.bytes_downloaded
                        )
                    )
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    if failures:
        first = failures[0]
        raise AwsError(
            first.operation,
            first.code,
            f"{first} ({len(failures)} of {total} downloads failed; the other "
            f"{report.objects_downloaded} are saved: rerun sync to retry)",
        )
    return sources
