"""``sync`` from the compacted table: one GET per compacted object instead of thousands of raw
ones, the raw partitions for what is not compacted, the same cache either way.

A sync of raw days ``start..end`` (delivery days, margins included) fills the cache's request
days from ``start - 1`` (late records of ``start``) to ``end``. Request day X of bucket B is
taken from the compacted table when its compacted partition is complete *and current* for
this range: X and X+1 both in ``start..end``, raw partitions X and X+1 both have a manifest
matching their objects as listed now, and no raw partition of the range from X on holds
objects its manifest does not cover (a raw object that arrived since its partition was
compacted, even days after its records: those days come from the raw objects, as without
compaction, until the partition is compacted again). Such a day is written with
:meth:`~s3logs_athena.cache.store.CacheStore.replace_partition`: its compacted objects become
the partition's only rows, and raw objects ingested later skip their rows for it. A raw
partition all of whose request days come from the compacted table (X-1 and X) is not
downloaded at all; the others are, as before.

So the cache holds the same rows whether a day came from its raw objects or its compacted
ones (``tests/test_cache_sync_compacted.py`` syncs both ways and compares). A compacted
object is fetched again only when its ETag or size changed.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ..errors import AwsError
from ..layout import Layout
from ..table.compaction.keys import CompactedKeys
from ..table.compaction.manifest import ObjectDigest
from ..table.compaction.partition import read_manifest
from ..table.compaction.s3io import list_objects
from .partitioning import Partition, SourceObject, partition_key

if TYPE_CHECKING:
    from .remote import RemoteObject
    from .store import CacheStore

__all__ = ["CompactedPlan", "plan_compacted", "sync_compacted"]

_COMPACTED_NAME = re.compile(r"from-\d{4}-\d\d-\d\d\.parquet")


@dataclass
class CompactedPlan:
    """What to take from the compacted table."""

    #: Cache partition (request day, bucket) -> its compacted objects (key, ETag, size).
    partitions: dict[Partition, list[tuple[str, str, int]]] = field(default_factory=dict)
    #: Raw partitions (delivery day, bucket) not to download: all their days are compacted.
    skipped_raw: set[tuple[date, str]] = field(default_factory=set)
    #: Raw partitions whose manifest no longer matches their objects.
    stale: set[tuple[date, str]] = field(default_factory=set)


def _partition(day: date, bucket: str) -> Partition:
    return (day.year, day.month, day.day, bucket)


def plan_compacted(
    s3: Any,
    log_bucket: str,
    layout: Layout,
    start: date,
    end: date,
    listed: Sequence[RemoteObject],
    *,
    workers: int = 16,
) -> CompactedPlan:
    """Which request days of ``start - 1 .. end`` to take from the compacted table, given
    the raw objects ``listed`` for raw days ``start..end`` (in key order)."""
    plan = CompactedPlan()
    raw: dict[tuple[date, str], ObjectDigest] = defaultdict(ObjectDigest)
    for item in listed:
        try:
            target = layout.parse_target_key(item.key)
        except ValueError:
            continue
        prefix = layout.partition_prefix(target.day, target.bucket)
        raw[(target.day, target.bucket)].add(item.key[len(prefix) :], item.etag, item.size)
    keys = CompactedKeys(layout.compacted_root)
    if not raw:
        return plan
    with ThreadPoolExecutor(max(1, workers)) as pool:
        manifests = dict(
            zip(
                raw,
                pool.map(lambda pair: read_manifest(s3, log_bucket, keys, *pair)[0], raw),
                strict=True,
            )
        )
    current = set()
    for pair, digest in raw.items():
        manifest = manifests[pair]
        if manifest is None:
            continue
        if manifest.matches(digest.listing()):
            current.add(pair)
        else:
            plan.stale.add(pair)
    # Records of day X are in raw partitions X and later (late delivery, a straggler moved
    # in days after): X comes from the compacted table only if none of those in the range
    # holds objects its manifest does not cover.
    latest_uncovered: dict[str, date] = {}
    for day, bucket in raw:
        if (day, bucket) not in current:
            latest_uncovered[bucket] = max(day, latest_uncovered.get(bucket, day))
    days = [start + timedelta(days=n) for n in range((end - start).days)]  # X and X+1 in range
    wanted = [
        (day, bucket)
        for day in days
        for bucket in sorted({b for _, b in raw})
        if (day, bucket) in current
        and (day + timedelta(days=1), bucket) in current
        and latest_uncovered.get(bucket, date.min) < day
    ]
    with ThreadPoolExecutor(max(1, workers)) as pool:
        listings = pool.map(
            lambda pair: list(list_objects(s3, log_bucket, keys.partition_prefix(*pair))), wanted
        )
        for (day, bucket), objects in zip(wanted, listings, strict=True):
            outputs = [(o.key, o.etag, o.size) for o in objects if keys.parse_output_key(o.key)]
            plan.partitions[_partition(day, bucket)] = outputs
    taken = {(date(p[0], p[1], p[2]), p[3]) for p in plan.partitions}
    for day, bucket in raw:
        if (day - timedelta(days=1), bucket) in taken and (day, bucket) in taken:
            plan.skipped_raw.add((day, bucket))
    return plan


def sync_compacted(
    s3: Any,
    log_bucket: str,
    plan: CompactedPlan,
    store: CacheStore,
    *,
    workers: int = 16,
    progress: Callable[[int, int, int], None] | None = None,
) -> tuple[int, int, int]:
    """Write the planned partitions into the cache; (partitions written, objects downloaded,
    bytes downloaded). A partition whose objects are all current is left as it is."""
    import pyarrow.parquet as pq

    from ..table.compaction.s3io import get_bytes

    todo = []
    # Compacted objects the cache holds, per partition (raw objects of the same day sit under
    # the same partition key with their own names).
    known: dict[str, set[str]] = defaultdict(set)
    for part, name in store.known_objects():
        if _COMPACTED_NAME.fullmatch(name):
            known[part].add(name)
    replaced = store.replaced_partitions()
    for partition, objects in sorted(plan.partitions.items()):
        sources = [
            SourceObject(partition, key.rsplit("/", 1)[1], f"etag={etag};size={size}")
            for key, etag, size in objects
        ]
        names = {source.name for source in sources}
        up_to_date = all(store.is_current(source) for source in sources)
        if up_to_date and partition in replaced and known[partition_key(partition)] == names:
            continue
        todo.append((partition, objects, sources))
    written = downloaded = size_total = 0
    total = sum(len(objects) for _, objects, _ in todo)

    def fetch(key: str) -> bytes:
        got = get_bytes(s3, log_bucket, key)
        if got is None:
            raise AwsError(f"GetObject s3://{log_bucket}/{key}", "NoSuchKey", "gone meanwhile")
        return got[0]

    with ThreadPoolExecutor(max(1, workers)) as pool:
        for partition, objects, sources in todo:
            bodies = list(pool.map(fetch, [key for key, _, _ in objects]))
            parts = [
                (source, pq.read_table(io.BytesIO(body)).to_batches())
                for source, body in zip(sources, bodies, strict=True)
            ]
            store.replace_partition(partition, parts)
            written += 1
            downloaded += len(bodies)
            size_total += sum(len(body) for body in bodies)
            if progress is not None:
                progress(downloaded, total, size_total)
    return written, downloaded, size_total
