"""Which cache partition each typed row belongs to: its own request day, its source's bucket.

A log object delivered on day D holds records of D and, near midnight, of D-1 (S3 delivers
minutes to hours late). The cache, like the compacted table, files every record under its
**request** day (UTC), so a one-day query reads one day (plus, on the raw side of Athena's
view, the next one). The bucket is the source object's (the partition it was moved to), not
the ``bucket_name`` field. A record without a request time (``-``) stays in its source
object's own day: it is kept, and the time filter of every template leaves it out anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .schema import SOURCE_COLUMN, partition_dir

__all__ = ["Partition", "SourceObject", "partition_key", "split_by_partition"]

#: (year, month, day, bucket) of a partition.
Partition = tuple[int, int, int, str]

_EPOCH = date(1970, 1, 1)
_MS_PER_DAY = 86_400_000


@dataclass(frozen=True)
class SourceObject:
    """An object whose typed rows the cache holds: a raw log object, or a compacted Parquet
    object. ``partition`` is where the object itself sits in its layout (a raw object's
    delivery day, a compacted object's request day) and its bucket; ``name`` is unique within
    that partition; ``fingerprint`` changes whenever the object does (ETag and size, or size
    and modification time)."""

    partition: Partition
    name: str
    fingerprint: str

    @property
    def key(self) -> str:
        """``year=Y/month=M/day=D/bucket=B/<name>``: the source's identity in the manifest
        and in the ``_source_file`` column."""
        return f"{partition_key(self.partition)}/{self.name}"


def partition_key(partition: Partition) -> str:
    """``year=2024/month=3/day=1/bucket=b``: a partition's directory, relative."""
    return partition_dir(*partition).as_posix()


def _day_number(partition: Partition) -> int:
    return (date(partition[0], partition[1], partition[2]) - _EPOCH).days


def _partition_of(day: int, bucket: str) -> Partition:
    moment = _EPOCH + timedelta(days=day)
    return (moment.year, moment.month, moment.day, bucket)


def split_by_partition(
    rows: pa.Table, sources: Sequence[SourceObject]
) -> dict[Partition, pa.Table]:
    """Cut ``rows`` (the typed columns plus ``file``, an index into ``sources``) into one table
    per cache partition, each with ``_source_file`` instead of ``file``.

    Rows keep their order within a partition (a stable sort); when the rows already come in
    partition order (one day per file, files in partition order) no row is copied."""
    if not rows.num_rows:
        return {}
    file_index = rows["file"].to_numpy()
    millis = pc.cast(rows["request_time"], pa.int64())
    own_day = np.floor_divide(pc.fill_null(millis, 0).to_numpy(), _MS_PER_DAY)
    fallback = np.array([_day_number(s.partition) for s in sources], dtype=np.int64)
    has_time = pc.is_valid(millis).to_numpy(zero_copy_only=False)
    day = np.where(has_time, own_day, fallback[file_index])
    buckets = sorted({s.partition[3] for s in sources})
    bucket_of_source = np.array([buckets.index(s.partition[3]) for s in sources], dtype=np.int64)
    key = day * len(buckets) + bucket_of_source[file_index]
    if len(key) > 1 and np.any(key[1:] < key[:-1]):
        order = np.argsort(key, kind="stable")
        rows, key, file_index = rows.take(pa.array(order)), key[order], file_index[order]
    names = pa.array([s.key for s in sources], type=pa.string())
    rows = rows.drop_columns(["file"]).append_column(SOURCE_COLUMN, pc.take(names, file_index))
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    stops = np.append(starts[1:], len(key))
    tables: dict[Partition, pa.Table] = {}
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        value = int(key[start])
        partition = _partition_of(value // len(buckets), buckets[value % len(buckets)])
        tables[partition] = rows.slice(start, stop - start)
    return tables
