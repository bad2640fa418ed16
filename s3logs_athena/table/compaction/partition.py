"""Compact one raw partition (delivery day D, source bucket B) into the typed Parquet table.

:func:`partition_state` says whether it needs compacting (no manifest, or one that no longer
matches the listing); :func:`compact_partition` does it:

1. the raw objects are listed in key order and fetched ``read_concurrency`` at a time (an
   ordered window of GETs, at most ``prefetch_bytes`` ahead), so S3's latency is hidden
   behind parsing;
2. every object goes through the parser ``ingest`` uses (the field list's regex, no
   RegexSerDe), a chunk of lines at a time, and its records become typed Arrow rows
   (:mod:`.rows`: column by column, :func:`~s3logs_athena.table.typed_lines.typed_batch`),
   routed to their own request day (UTC; a record without a time stays in D);
3. :class:`~.sorting.SortedDayWriter` writes one file per request day, sorted by request
   time, in memory bounded by ``row_group_rows``;
4. then, in this order: ``pending.json`` (the output keys about to be written), the outputs
   (``from-D.parquet`` in each request day's partition: overwritten, never duplicated), the
   removal of outputs an earlier compaction wrote that this one did not, the rejects, the
   object list, **the manifest last**, and the removal of ``pending.json``.

A line the parser cannot read, or whose value does not fit its typed column, is never
dropped: it goes to the rejects object (raw text, source key, line number, reason) and is
counted. A crash anywhere before the manifest leaves the previous manifest (or none): the
partition is stale, the next run compacts it again, overwriting what it finds, and removes
whatever ``pending.json`` or the previous manifest name that it no longer writes.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ...errors import AwsError
from ...layout import Layout
from .keys import CompactedKeys
from .manifest import Listing, Manifest, ManifestError, ObjectDigest, OutputFile
from .memory import use_compaction_memory_pool
from .rows import Counts, Rejects, Router, parse_object
from .s3io import (
    RawObject,
    delete_object,
    get_bytes,
    get_json,
    list_objects,
    put_json,
    upload_file,
)
from .sorting import SortedDayWriter

__all__ = [
    "DEFAULT_ROW_GROUP_ROWS",
    "CompactionSettings",
    "PartitionResult",
    "PartitionState",
    "compact_partition",
    "iter_bodies",
    "partition_state",
    "read_manifest",
]

#: Rows per row group, and the bound on buffered rows (see :mod:`.sorting`).
DEFAULT_ROW_GROUP_ROWS = 131_072


@dataclass(frozen=True)
class CompactionSettings:
    """How compaction reads and writes; the same for every partition of a run."""

    layout: Layout = field(default_factory=Layout)
    row_group_rows: int = DEFAULT_ROW_GROUP_ROWS
    #: GETs in flight per partition.
    read_concurrency: int = 32
    #: Bytes of raw objects fetched ahead of the parser, at most.
    prefetch_bytes: int = 64 * 2**20
    #: Where local work files go (the system's temporary directory by default).
    workdir: str | None = None

    def __post_init__(self) -> None:
        self.layout.check_roots_apart()

    @property
    def keys(self) -> CompactedKeys:
        return CompactedKeys(self.layout.compacted_root)


@dataclass(frozen=True)
class PartitionState:
    """Where one raw partition stands."""

    day: date
    bucket: str
    #: ``new`` (no manifest), ``stale`` (the manifest does not match the raw objects, or
    #: cannot be read) or ``up_to_date``.
    status: str
    listing: Listing
    manifest: Manifest | None
    #: Why the manifest could not be read, when it could not.
    manifest_problem: str | None = None


@dataclass
class PartitionResult:
    """What compacting one raw partition did."""

    day: date
    bucket: str
    #: ``compacted``, ``recompacted``, ``up_to_date`` or ``failed`` (``to_compact`` /
    #: ``to_recompact`` in a dry run).
    status: str
    objects: int = 0
    bytes_in: int = 0
    lines: int = 0
    records: int = 0
    rejects: int = 0
    blank: int = 0
    bytes_out: int = 0
    outputs: tuple[OutputFile, ...] = ()
    #: Objects listed but gone before they were read (moved or removed meanwhile).
    vanished: int = 0
    #: Parquet runs spilled to disk (0 when the partition fitted in the row-group budget).
    spilled_runs: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "bucket": self.bucket,
            "status": self.status,
            "objects": self.objects,
            "bytes_in": self.bytes_in,
            "lines": self.lines,
            "records": self.records,
            "rejects": self.rejects,
            "bytes_out": self.bytes_out,
            "outputs": [output.to_json() for output in self.outputs],
            "error": self.error,
        }


def read_manifest(
    s3: Any, log_bucket: str, keys: CompactedKeys, day: date, bucket: str
) -> tuple[Manifest | None, str | None]:
    """The manifest of a raw partition (or ``None``) and, if it is unreadable, why."""
    try:
        document = get_json(s3, log_bucket, keys.manifest_key(day, bucket))
    except AwsError as exc:
        if exc.code != "InvalidJSON":
            raise
        return None, str(exc)
    if document is None:
        return None, None
    try:
        return Manifest.from_json(document), None
    except ManifestError as exc:
        return None, str(exc)


def partition_state(
    s3: Any, log_bucket: str, day: date, bucket: str, settings: CompactionSettings
) -> PartitionState:
    """Compare one raw partition's listing with its manifest (one streamed listing and one
    GET; memory does not grow with the number of objects)."""
    keys = settings.keys
    manifest, problem = read_manifest(s3, log_bucket, keys, day, bucket)
    prefix = settings.layout.partition_prefix(day, bucket)
    digest = ObjectDigest()
    for item in list_objects(s3, log_bucket, prefix):
        digest.add(item.key[len(prefix) :], item.etag, item.size)
    listing = digest.listing()
    if manifest is None:
        status = "stale" if problem else "new"
    else:
        status = "up_to_date" if manifest.matches(listing) else "stale"
    return PartitionState(day, bucket, status, listing, manifest, problem)


# -- reading ------------------------------------------------------------------------------


def iter_bodies(
    s3: Any,
    log_bucket: str,
    objects: Iterable[RawObject],
    *,
    concurrency: int,
    max_bytes: int,
) -> Iterator[tuple[RawObject, tuple[bytes, str] | None]]:
    """Each object with its bytes and ETag (``None`` if it is gone), in the given order,
    fetched ``concurrency`` at a time and at most ``max_bytes`` ahead of the consumer."""
    pending: deque[tuple[RawObject, Future[tuple[bytes, str] | None]]] = deque()
    remaining = iter(objects)
    ahead = 0
    with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="compact-get") as pool:
        try:

            def fill() -> None:
                nonlocal ahead
                while len(pending) < concurrency and (ahead < max_bytes or not pending):
                    item = next(remaining, None)
                    if item is None:
                        return
                    pending.append((item, pool.submit(get_bytes, s3, log_bucket, item.key)))
                    ahead += item.size

            fill()
            while pending:
                item, future = pending.popleft()
                got = future.result()
                ahead -= item.size
                fill()  # the next GETs run while the caller parses this one
                yield item, got
        finally:
            for _, future in pending:
                future.cancel()


# -- writing ------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _compactor() -> str:
    from ... import __version__

    return f"s3logs-athena {__version__}"


def _pending_outputs(s3: Any, log_bucket: str, key: str) -> set[str]:
    try:
        document = get_json(s3, log_bucket, key)
    except AwsError as exc:
        if exc.code != "InvalidJSON":
            raise
        return set()
    if not isinstance(document, dict) or not isinstance(document.get("outputs"), list):
        return set()
    return {str(item) for item in document["outputs"]}


def compact_partition(
    s3: Any,
    log_bucket: str,
    day: date,
    bucket: str,
    settings: CompactionSettings,
    *,
    previous: Manifest | None = None,
    on_object: Callable[[int], None] | None = None,
) -> tuple[Manifest, int]:
    """Compact raw partition ``day``/``bucket`` of ``log_bucket``; the new manifest and the
    number of Parquet runs spilled to disk. ``previous`` is the manifest it replaces (read
    from S3 when not given); ``on_object(bytes)`` is called after each raw object.

    A partition with no objects gets a manifest too (no outputs): a quiet day of an active
    bucket then counts as compacted, and an object arriving later makes it stale."""
    from ..schema import typed_arrow_schema

    use_compaction_memory_pool()  # see .memory: mimalloc's growing heap costs CPU
    keys = settings.keys
    prefix = settings.layout.partition_prefix(day, bucket)
    if previous is None:
        previous, _ = read_manifest(s3, log_bucket, keys, day, bucket)
    pending_key = keys.pending_key(day, bucket)
    earlier_outputs = _pending_outputs(s3, log_bucket, pending_key)
    if previous is not None:
        earlier_outputs |= previous.output_keys
    metadata = {
        "s3logs_athena.raw_partition": f"s3://{log_bucket}/{prefix}",
        "s3logs_athena.compactor": _compactor(),
    }
    with tempfile.TemporaryDirectory(prefix="s3logs-compact-", dir=settings.workdir) as tmp:
        work = Path(tmp)
        writer = SortedDayWriter(work, typed_arrow_schema(), settings.row_group_rows, metadata)
        router = Router(writer, day)
        rejects = Rejects(work / "rejects.jsonl")
        counts = Counts()
        digest = ObjectDigest()
        objects_path = work / "objects.jsonl.gz"
        with gzip.open(objects_path, "wt", encoding="utf-8") as object_list:
            listed = list_objects(s3, log_bucket, prefix)
            for item, got in iter_bodies(
                s3,
                log_bucket,
                listed,
                concurrency=settings.read_concurrency,
                max_bytes=settings.prefetch_bytes,
            ):
                if got is None:
                    continue  # gone since the listing: not compacted, not in the manifest
                body, etag = got
                name = item.key[len(prefix) :]
                digest.add(name, etag or item.etag, len(body))
                object_list.write(
                    json.dumps({"name": name, "etag": etag or item.etag, "size": len(body)}) + "\n"
                )
                parse_object(item.key, body, router, rejects, counts)
                if on_object is not None:
                    on_object(len(body))
        rejects.close()
        files = writer.finish()

        outputs = tuple(
            OutputFile(keys.output_key(f.day, bucket, day), f.day, f.rows, f.bytes, f.row_groups)
            for f in files
        )
        new_keys = {output.key for output in outputs}
        put_json(s3, log_bucket, pending_key, {"outputs": sorted(new_keys | earlier_outputs)})
        with ThreadPoolExecutor(max(1, min(8, len(files)))) as pool:
            for done in [
                pool.submit(
                    upload_file,
                    s3,
                    log_bucket,
                    output.key,
                    local.path,
                    "application/vnd.apache.parquet",
                )
                for output, local in zip(outputs, files, strict=True)
            ]:
                done.result()
        for stale in sorted(earlier_outputs - new_keys):
            delete_object(s3, log_bucket, stale)
        rejects_key = keys.rejects_key(day, bucket)
        if rejects.count:
            upload_file(s3, log_bucket, rejects_key, rejects.path, "application/x-ndjson")
        elif previous is not None and previous.rejects_key is not None:
            delete_object(s3, log_bucket, previous.rejects_key)
        objects_key = keys.objects_key(day, bucket)
        upload_file(s3, log_bucket, objects_key, objects_path, "application/gzip")
        manifest = Manifest(
            log_bucket=log_bucket,
            raw_day=day,
            bucket=bucket,
            raw_prefix=prefix,
            objects=digest.count,
            raw_bytes=digest.bytes,
            digest=digest.hexdigest(),
            objects_key=objects_key,
            lines=counts.lines,
            blank=counts.blank,
            records=counts.records,
            rejects=rejects.count,
            outputs=outputs,
            rejects_key=rejects_key if rejects.count else None,
            compacted_at=_now(),
            compactor=_compactor(),
            row_group_rows=settings.row_group_rows,
        )
        put_json(s3, log_bucket, keys.manifest_key(day, bucket), manifest.to_json())
        delete_object(s3, log_bucket, pending_key)
        return manifest, writer.spilled_runs
